// Where the chat box is scrolled while a reply arrives (the page loads this in its <head>).
// A new question: the box scrolls to its end, so the question and the "answering" state show.
// A new reply: the box scrolls once to the reply's first line (with the question above it when
// both fit in a third of the box), and the window follows if the box itself is out of view.
// While the reply streams in below, the scroll is left where it is: a person reads from the top.
(() => {
  let users = 0, bots = 0, queued = false, pinned = null;

  const stickyHeaderBottom = () => {
    const header = document.querySelector(".page-header");
    return header && getComputedStyle(header).position === "sticky" ? header.getBoundingClientRect().bottom : 0;
  };

  // Scroll the box (and the window, if need be) towards the reply's first line. A reply that has
  // only begun is too short for its top to reach the top of the box, so this is tried again as it
  // grows, until the reply sits where it should or the person scrolls.
  const show = (reply, question) => {
    const box = reply.closest(".bubble-wrap");
    const boxTop = box.getBoundingClientRect().top;
    let target = reply.getBoundingClientRect().top;
    if (question) {
      const asked = question.getBoundingClientRect().top;
      if (asked < target && target - asked < box.clientHeight / 3) target = asked;
    }
    const wanted = box.scrollTop + target - boxTop - 8;
    box.scrollTop = wanted;
    const first = reply.getBoundingClientRect().top;
    const top = stickyHeaderBottom();
    if (first < top || first > window.innerHeight - 48) window.scrollBy(0, box.getBoundingClientRect().top - top - 8);
    return Math.abs(box.scrollTop - wanted) < 2;
  };

  const place = () => {
    queued = false;
    const chat = document.getElementById("chat");
    const box = chat && chat.querySelector(".bubble-wrap");
    if (!box) return;
    const userRows = chat.querySelectorAll(".message-row.user-row");
    const botRows = chat.querySelectorAll(".message-row.bot-row");
    if (userRows.length < users || botRows.length < bots) {  // cleared: start counting again
      pinned = null;
    } else if (botRows.length > bots) {
      pinned = { reply: botRows.length - 1, question: userRows[userRows.length - 1] };
    } else if (userRows.length > users) {
      pinned = null;
      box.scrollTop = box.scrollHeight;
    }
    users = userRows.length;
    bots = botRows.length;
    if (pinned && botRows[pinned.reply] && show(botRows[pinned.reply], pinned.question)) pinned = null;
  };

  const letGo = (event) => {
    if (event.target instanceof Element && event.target.closest("#chat")) pinned = null;
  };
  for (const type of ["wheel", "touchstart", "keydown", "mousedown"]) document.addEventListener(type, letGo, true);

  new MutationObserver(() => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(place);
    }
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
})();

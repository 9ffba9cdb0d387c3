"""An assistant that is served before it is loaded: the page's first paint needs only the policy.

``assistant chat`` used to load the model, open the index and warm the pipeline before the page
answered at all. The page itself needs none of that: its header, footer and example questions
come from the policy. ``DeferredAssistant`` holds the policy at once and the real ``Assistant``
once ``load()`` has run (in the serving process, right after the page is up); a question that
arrives in between waits for it. Until then ``/readyz`` says "not ready" (``embedder`` is
``None``), which is what a load balancer needs to hold traffic back.

Example::

    bot = DeferredAssistant(settings)            # policy only: fast, validated
    url = launch(build(bot), settings, block=False)
    bot.load()                                   # model, index, warm-up
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable

from .errors import AssistantError
from .policy import load_policy
from .settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from .assistant import Assistant
    from .types import Reply


class DeferredAssistant:
    """The ``Assistant`` interface the page and the API use, available before the model is loaded."""

    def __init__(self, settings: Settings, loader: Callable[[Settings], "Assistant"] | None = None):
        self.settings = settings
        self.policy = load_policy(settings.guardrails_dir)  # wording errors still stop the start at once
        self._loader = loader or _load_and_warm
        self._bot: Assistant | None = None
        self._failure: AssistantError | None = None
        self._done = threading.Event()

    def load(self) -> "DeferredAssistant":
        """Load and warm the real assistant; questions waiting for it go ahead when this returns."""
        try:
            self._bot = self._loader(self.settings)
        except AssistantError as exc:
            self._failure = exc
            raise
        finally:
            self._done.set()
        return self

    @property
    def ready(self) -> bool:
        return self._bot is not None

    def wait(self, timeout: float | None = None) -> "Assistant":
        """The loaded assistant, once there is one; the load's own error if it failed."""
        if not self._done.wait(timeout):
            raise AssistantError("the assistant is still loading; try again in a few seconds")
        if self._bot is None:
            raise self._failure or AssistantError("the assistant could not be loaded")
        return self._bot

    def ask(self, question: Any, history: Any = None, *, id: Any = None) -> "Reply":
        return self.wait().ask(question, history, id=id)

    # What /readyz reads: absent until loaded.
    @property
    def embedder(self):
        return self._bot.embedder if self._bot is not None else None

    @property
    def retriever(self):
        return self.wait(timeout=0).retriever

    @property
    def store(self):
        return self.wait(timeout=0).store


def _load_and_warm(settings: Settings) -> "Assistant":
    from .assistant import Assistant

    return Assistant.load(settings).warm()

"""The Gradio chat page; it holds no pipeline logic, only presentation of ``Assistant`` replies."""

from __future__ import annotations

import os

from .settings import Settings

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def build(bot):
    import gradio as gr

    def respond(message, history):
        turns = [{"role": m["role"], "content": m["content"]} for m in (history or []) if isinstance(m, dict) and isinstance(m.get("content"), str)]
        return bot.ask(message, turns).answer

    return gr.ChatInterface(respond, title="Depression and pushing people away: answers from our article")


def serve(settings: Settings) -> None:
    from .assistant import Assistant

    bot = Assistant.load(settings).warm()
    demo = build(bot)
    print(f"Chat page: http://{settings.host}:{settings.port}", flush=True)
    demo.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.max_queue)
    demo.launch(server_name=settings.host, server_port=settings.port, share=False, show_api=True)

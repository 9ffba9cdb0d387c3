"""An offline, safety-first assistant that answers only from the articles in ``corpus/``.

Importing the package is cheap: models, clients and indexes load when first used.

Example::

    from assistant import Assistant
    bot = Assistant.load()
    reply = bot.ask("why do I ignore messages?")
    print(reply.answer)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["Assistant", "Reply", "Passage", "Settings"]
__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from .assistant import Assistant
    from .settings import Settings
    from .types import Passage, Reply


def __getattr__(name: str):
    # Lazy re-exports keep `import assistant` fast (no torch, chromadb or gradio).
    if name == "Assistant":
        from .assistant import Assistant

        return Assistant
    if name == "Settings":
        from .settings import Settings

        return Settings
    if name in ("Reply", "Passage"):
        from . import types

        return getattr(types, name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")

"""The few errors the assistant raises; each message says what to do next."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: the CLI and the page turn these into friendly text."""


class ConfigError(AssistantError):
    """Settings or the policy folder are invalid (the message names the file and key)."""


class ModelError(AssistantError):
    """The local embedding model is missing or is not the expected weights."""


class CorpusError(AssistantError):
    """A corpus file cannot be read; other files are still indexed."""


class IndexError_(AssistantError):
    """The vector index is missing, stale or unreadable."""


class StoreUnavailable(AssistantError):
    """The Chroma server cannot be reached right now."""

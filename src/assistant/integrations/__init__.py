"""Adapters that let other frameworks use the assistant without going around its guardrails.

- ``langchain``: ``ArticleRetriever`` (a ``BaseRetriever`` over the hybrid retrieval) and
  ``guarded_chain()`` (a Runnable whose every call goes through ``Assistant.ask()``).

Example::

    from assistant.integrations.langchain import guarded_chain
    print(guarded_chain().invoke({"question": "why do I ignore messages?"}).answer)
"""

"""``assistant bench`` and ``make soak``: speed, scale and load, one module per benchmark section.

- ``command``: the ``assistant bench`` command: runs the sections and writes ``benchmarks/``.
- ``measure``: percentiles, subprocess timing with peak RSS, ports, the machine description.
- ``coldstart``: process start → first answer (``assistant ask``), → page ready (``assistant chat``).
- ``warm``: per-stage latency of a warm ``Assistant.ask`` against one bare query embedding.
- ``ingesting``: ingest throughput against bare batch encoding, and an unchanged re-ingest.
- ``synthetic``: seeded corpora of any size built from the article's sentences and generated filler.
- ``scale``: ingest, disk, memory and query latency at 1k/10k/100k chunks, embedded and server.
- ``concurrency``: many simultaneous users of the running page through ``gradio_client``.
- ``naive``: the LangChain tutorial recipe, as a script, for the side-by-side figures.
- ``apiload``: many simultaneous users of the HTTP API (``POST /api/ask``).
- ``report``: targets, the Markdown table and the plot.
- ``soak``: ``make soak``, many people for minutes against the page, every reply checked
  (``python -m assistant.benchmarking.soak``).

Sections that measure a process from the inside run as workers (``python -m
assistant.benchmarking.<module> '<json args>'``) so that each starts clean and its memory is
its own; a worker prints one JSON object as its last line.
"""

"""The evaluation harness behind ``assistant eval``: datasets as data, metrics as pure functions.

Modules, in the order a run uses them:

- ``datasets``: load and validate ``evals/*.jsonl`` (errors name file and line), filter cases;
- ``runner``: ask each case through a pipeline, time it, score it with ``metrics``;
- ``summary``: totals, confusion matrix, latency per stage;
- ``thresholds``: the bars in ``evals/thresholds.yaml``;
- ``run``: one run as plain data (results, totals, checks) and the figures table;
- ``report`` / ``htmlreport``: results.jsonl, summary.json, summary.md / report.html, each from a ``run.Run``;
- ``naive``: the LangChain tutorial baseline for ``--compare naive``;
- ``changes``: metric deltas, flipped cases and reply diffs against ``--baseline``;
- ``export``: one row per case as CSV or JSON Lines for ``--export``;
- ``agreement``: reviewer agreement (share agreeing, Cohen's kappa) for ``--agreement``;
- ``command``: the click command ``eval_command``.

Importing this package is cheap; the model and Chroma load only when a run starts.

Example::

    from assistant.evaluation.command import execute
    code, run = execute(only=["crisis"])
"""

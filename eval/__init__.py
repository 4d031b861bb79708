"""Offline evaluation of rerankers on labelled query sets, with trec_eval-identical metrics.

The map: one package per concern, lowest first; a package imports only the packages listed under it (lazy and
``TYPE_CHECKING`` imports included; ``tests/test_architecture.py`` checks it), never a top-level module and never
``lychee.ui``:

    measures/  the maths, on plain qrels/run dicts: metrics (NDCG@k, MRR, Hit, Recall, Judged@k with trec_eval's
               conventions), stats (bootstrap intervals, paired randomization test), calibration.
               Imports nothing of eval.
    sets/      inputs -> LabelledSet: labelled (the types), readers and loader (JSONL/CSV/zip), trec, corpus,
               firststage and beir (qrels + documents + queries + a first-stage run), segments; problems (the one
               problem collector), lines (streamed line reading), atomic (write_atomically).
               Imports measures.
    engine/    one evaluation: scored_system, baselines, scoring and resume (chunked, resumable), report (typed,
               metrics.json), evaluate (evaluate_set, what the CLI and the Evaluation page call), outputs.
               Imports sets, measures.
    history/   what outlives a run: workspace (where sets and the store live), store (the SQLite run history),
               compare (two runs per query), labelling (graded queries saved into sets).
               Imports sets, measures.
    bench/     ``python -m eval.bench``: timings, api, remote.
               Imports nothing of eval (only the library).
    explain/   ``python -m eval.explain``: how faithful each explanation method is on a set: pairs (which ones),
               measures (deletion curves, LOO tau, means), bounds (normalized AOPC's greedy bounds).
               Imports sets, measures, engine.

Top level, above every package: the command lines ``__main__`` (``python -m eval``) and ``runs``
(``python -m eval.runs list|show|delete``), and ``tables`` (their aligned text tables); they may import anything.

Reach modules as ``from eval.measures.metrics import ndcg_at_k``: a bare ``import eval`` shadows the builtin ``eval``.
Command line: ``python -m eval --data FILE --model default --out DIR`` (or ``--data BEIR_DIR --run RUN``); the run
history: ``python -m eval.runs list``.
"""

from __future__ import annotations

__all__: list[str] = []

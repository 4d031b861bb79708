"""Offline evaluation of rerankers on labelled query sets, with trec_eval-identical metrics.

The map: one package per concern, lowest first; a package imports only the packages listed under it (lazy and
``TYPE_CHECKING`` imports included; ``tests/test_architecture.py`` checks it), never a top-level module and never
``lychee.ui``:

    measures/  the maths, on plain qrels/run dicts: metrics (NDCG@k, MRR, Hit, Recall, Judged@k with trec_eval's
               conventions), stats (bootstrap intervals, paired randomization test), calibration, agreement
               (Krippendorff's alpha, Fleiss' and Cohen's kappa between raters), correlation (Spearman's rho).
               Imports nothing of eval.
    sets/      inputs -> LabelledSet: labelled (the types), grades (several raters, aggregation rules), readers and
               loader (JSONL/CSV/zip), trec, corpus, firststage and beir (qrels + documents + queries + a first-stage
               run), segments, extra (extra judgments), inputs (what a set is read from); problems (the one problem
               collector), lines (streamed line reading), atomic (write_atomically).
               Imports measures.
    engine/    one evaluation: scored_system, baselines, scoring and resume (chunked, resumable), report (typed,
               metrics.json), evaluate (evaluate_set, what the CLI and the Evaluation page call), outputs.
               Imports sets, measures.
    history/   what outlives a run: workspace (where sets and the store live), store (the SQLite run history),
               compare (two runs per query), trend (a set's metric over its runs), setfile (locked, checked edits
               of a saved set), labelling (a rater's graded queries saved into sets), judging (adjudication,
               aggregation rule, guidelines).
               Imports sets, measures.
    gate/      evaluation as a CI gate: baseline (run id, last-pass, folder, metrics.json), verdict (the rule, overall
               and per segment), reports (Markdown summary, JUnit XML), options (python -m eval's --gate flags).
               Imports history, sets, measures.
    parity/    ``python -m eval.parity``: a served model's scores against a local reference on the same pairs, and
               the degenerate-score alarm.
               Imports sets, measures.
    judgments/ ``python -m eval.judgments``: ratings (agreement, disagreements, progress), holes (the unjudged
               documents of a run's top k as a queue), pregrade (the model as a judge against people).
               Imports history, sets, measures.
    bench/     ``python -m eval.bench``: timings, api, remote.
               Imports nothing of eval (only the library).
    explain/   ``python -m eval.explain``: how faithful each explanation method is on a set: pairs (which ones),
               measures (deletion curves, LOO tau, means), bounds (normalized AOPC's greedy bounds).
               Imports sets, measures, engine.

Top level, above every package: the command lines ``__main__`` (``python -m eval``) and ``runs``
(``python -m eval.runs list|show|delete|trend``), ``tables`` (their aligned text tables) and ``console`` (a reader
that closes the pipe early is no error); they may import anything.

Reach modules as ``from eval.measures.metrics import ndcg_at_k``: a bare ``import eval`` shadows the builtin ``eval``.
Command line: ``python -m eval --data FILE --model default --out DIR`` (or ``--data BEIR_DIR --run RUN``); the run
history: ``python -m eval.runs list``.
"""

from __future__ import annotations

__all__: list[str] = []

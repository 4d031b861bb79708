"""Offline evaluation of rerankers on labelled query sets, with trec_eval-identical metrics.

Modules:
    labelled: the labelled-set types (LabelledSet, LabelledQuery, Candidate), LabelledSetError, the shipped sets.
    readers: the JSONL and CSV readers (text -> raw rows), by suffix.
    loader: load_labelled_set (a file, bytes, or a .zip with images) and the validation every format shares.
    lines, problems, trec, corpus: readers of TREC runs and qrels, documents / queries (JSONL or TSV) and segments files.
    firststage, beir: qrels + documents + queries (a BEIR folder or TREC files) and a first-stage run -> LabelledSet.
    segments: query segments (groups, and a segments file applied to any set).
    metrics: NDCG@k (linear and exponential gain), MRR@10, Hit@1, Recall@k, Judged@k with trec_eval's conventions.
    stats: bootstrap confidence intervals and the paired randomization test.
    calibration: reliability by score bin and the F1-optimal threshold.
    baselines: the candidates' input order and BM25.
    systems: a scored system (scorer, instruction, model name).
    resume: the run fingerprint and the partial file of finished queries.
    scoring: chunked, resumable scoring of a set.
    report: the typed report (per system, A/B comparison, calibration) and the metrics.json object.
    runner: evaluate_set -- scoring, baselines and report in one call.
    outputs: run.trec / qrels.txt / metrics.json / per_query.csv.
    views: tables and charts for the Evaluation page.
    workspace: where saved sets and the run store live (LYCHEE_SETS_DIR, LYCHEE_RUNS_DB).
    labelling: graded queries saved into JSONL sets (validated, locked, atomic, reloaded through the loader).
    runstore: the SQLite run history of every evaluation; run_compare: two runs of a set compared per query.
    runs: ``python -m eval.runs list|show|delete``.

Reach modules as ``from eval.measures.metrics import ndcg_at_k``: a bare ``import eval`` shadows the builtin ``eval``.
Command line: ``python -m eval --data FILE --model default --out DIR`` (or ``--data BEIR_DIR --run RUN``); the run
history: ``python -m eval.runs list``.
"""

from __future__ import annotations

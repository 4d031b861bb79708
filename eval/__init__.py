"""Offline evaluation of rerankers on labelled query sets, with trec_eval-identical metrics.

Modules:
    data: read and validate labelled sets (JSONL, CSV, or a .zip holding one of them plus its images).
    metrics: NDCG@k (linear and exponential gain), MRR@10, Hit@1, Recall@k with trec_eval's ranking conventions.
    stats: bootstrap confidence intervals and the paired randomization test.
    calibration: reliability by score bin and the F1-optimal threshold.
    baselines: the candidates' input order and BM25.
    runner: score a set with a scorer (resumable), build metrics.json, write run.trec / qrels.txt / per_query.csv.

Reach modules as ``from eval.metrics import ndcg_at_k``: a bare ``import eval`` shadows the builtin ``eval``.
Command line: ``python -m eval --data FILE --model default --out DIR``.
"""

from __future__ import annotations

"""The files an evaluation writes: ``run.trec`` (one per system), ``qrels.txt``, ``metrics.json``, ``per_query.csv``.

:func:`output_files` returns their contents (the page offers them as downloads); :func:`write_outputs` writes them,
each through a temporary file and ``os.replace``, so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from eval.engine.evaluate import EvalResult
from eval.measures.metrics import trec_order
from eval.sets.atomic import write_atomically
from eval.sets.trec import qrels_text


def run_trec_text(run: dict[str, dict[str, float]], tag: str) -> str:
    """A standard 6-column TREC run (``qid Q0 docid rank score tag``), ranked in trec_eval's order.

    Scores are written with ``repr`` (shortest round-trip form of the double), so trec_eval reads back exactly the
    values that were ranked and ties stay ties.
    """
    lines = []
    for qid, by_doc in run.items():
        for rank, docid in enumerate(trec_order(by_doc), start=1):
            lines.append(f"{qid} Q0 {docid} {rank} {float(by_doc[docid])!r} {tag}")
    return "\n".join(lines) + "\n"


def metrics_json_text(metrics: dict[str, Any]) -> str:
    """``metrics.json``: the report's object, indented by 2, NaN refused."""
    return json.dumps(metrics, indent=2, allow_nan=False) + "\n"


def per_query_csv_text(rows: list[dict[str, Any]]) -> str:
    """``per_query.csv``: the rows with a header; floats written with ``repr`` (round-trip exact)."""
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
    return buf.getvalue()


#: The run file of each system key.
RUN_FILES = {
    "model": "run.trec",
    "model_b": "run_b.trec",
    "input_order": "run_input_order.trec",
    "bm25": "run_bm25.trec",
}


def output_files(result: EvalResult) -> dict[str, str]:
    """File name -> content of everything an evaluation writes."""
    files = {RUN_FILES[key]: run_trec_text(run, key) for key, run in result.runs.items()}
    files["qrels.txt"] = qrels_text(result.labelled)
    files["metrics.json"] = metrics_json_text(result.metrics)
    files["per_query.csv"] = per_query_csv_text(result.per_query)
    return files


def write_outputs(result: EvalResult, out_dir: str | os.PathLike) -> dict[str, Path]:
    """Write run.trec (and run_b/run_bm25/run_input_order.trec), qrels.txt, metrics.json and per_query.csv."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, text in output_files(result).items():
        path = folder / name
        write_atomically(path, text)
        written[name] = path
    return written


__all__ = [
    "RUN_FILES",
    "metrics_json_text",
    "output_files",
    "per_query_csv_text",
    "qrels_text",
    "run_trec_text",
    "write_outputs",
]

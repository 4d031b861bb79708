"""Helpers that several eval test modules share: input files and set lines, a PNG, an expected refusal, trec_eval's
numbers.

Test modules in the package folders (``tests/eval/sets/`` ...) import them as ``from tests.eval.helpers import ...``
(the repository root is on ``sys.path``: ``pythonpath = ["."]`` in pyproject.toml).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from eval.engine.outputs import run_trec_text
from eval.sets.labelled import LabelledSet, LabelledSetError


def set_line(qid: str = "q1", query: Any = None, candidates: list[dict] | None = None) -> str:
    """One line of a JSONL labelled set; by default a text query with one relevant text candidate."""
    return json.dumps(
        {
            "qid": qid,
            "query": query if query is not None else {"text": "red shoes"},
            "candidates": candidates if candidates is not None else [{"docid": "d1", "text": "red shoe", "label": 1}],
        }
    )


def write_file(folder: Path, name: str, text: str | bytes) -> Path:
    """Write ``text`` (UTF-8) or bytes to ``folder/name``, creating the folders on the way; returns the path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def png_bytes(color: tuple[int, int, int] = (200, 20, 20)) -> bytes:
    """An 8x8 PNG of one colour."""
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buf, format="PNG")
    return buf.getvalue()


def refused(expected: str, load: Callable[..., Any], *args: Any, **kwargs: Any) -> LabelledSetError:
    """The :class:`LabelledSetError` that ``load(*args, **kwargs)`` raises, after checking its message contains
    ``expected`` (verbatim)."""
    with pytest.raises(LabelledSetError, match=re.escape(expected)) as info:
        load(*args, **kwargs)
    return info.value


def write_beir(folder: Path, labelled: LabelledSet, *, split: str = "test") -> Path:
    """A BEIR folder holding a labelled set: every distinct candidate in corpus.jsonl, labels in qrels/<split>.tsv."""
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    docs = {}
    for q in labelled.queries:
        for c in q.candidates:
            docs.setdefault(c.docid, c.text)
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": d, "title": "", "text": t, "metadata": {}}) + "\n" for d, t in docs.items()),
        encoding="utf-8",
    )
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q.qid, "text": q.text}, ensure_ascii=False) + "\n" for q in labelled.queries),
        encoding="utf-8",
    )
    (folder / "qrels" / f"{split}.tsv").write_text(
        "query-id\tcorpus-id\tscore\n"
        + "".join(f"{q.qid}\t{c.docid}\t{c.label}\n" for q in labelled.queries for c in q.candidates)
    )
    return folder


def write_qrels_and_run(
    folder: Path, qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]], *, tag: str = "test"
) -> tuple[Path, Path]:
    """``folder/qrels.txt`` (``qid 0 docid label``) and ``folder/run.trec`` (written as the evaluation writes runs)."""
    qrels_path = folder / "qrels.txt"
    qrels_path.write_text("".join(f"{q} 0 {d} {lab}\n" for q, by in qrels.items() for d, lab in by.items()))
    run_path = folder / "run.trec"
    run_path.write_text(run_trec_text(run, tag))
    return qrels_path, run_path


def trec_eval(qrels_path: Path, run_path: Path, measures: Iterable[Any]) -> dict[Any, dict[str, float]]:
    """``{measure: {qid: value}}`` of trec_eval (pytrec_eval through ir_measures) on the files; ``Judged@k``, which
    trec_eval lacks, from ir_measures' own provider. Callers skip when ``pytrec_eval``/``ir_measures`` are missing."""
    import ir_measures

    qrels = list(ir_measures.read_trec_qrels(str(qrels_path)))
    run = list(ir_measures.read_trec_run(str(run_path)))
    measures = list(measures)
    out: dict[Any, dict[str, float]] = {}
    for provider in (ir_measures.pytrec_eval, ir_measures.judged):
        supported = [m for m in measures if provider.supports(m)]
        for metric in provider.iter_calc(supported, qrels, run) if supported else []:
            out.setdefault(metric.measure, {})[metric.query_id] = metric.value
    return out


__all__ = ["png_bytes", "refused", "set_line", "trec_eval", "write_beir", "write_file", "write_qrels_and_run"]

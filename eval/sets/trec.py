"""Read TREC run files and qrels (TREC or BEIR TSV) as a search team's first stage wrote them.

* **Run** (``--run``): six whitespace-separated columns per line, ``qid Q0 docid rank score tag``. The rank column must
  be an integer but is otherwise ignored, as trec_eval ignores it: a query's documents are ranked by score
  descending, ties by docid descending, comparing the float32-rounded scores (:func:`eval.measures.metrics.trec_order`).
* **Qrels** (``--qrels``, or ``qrels/<split>.tsv`` of a BEIR folder): either TREC's four columns
  ``qid iteration docid label`` or BEIR's three tab-separated columns ``query-id corpus-id score`` (its header line
  ``query-id	corpus-id	score`` is skipped). Labels are integers; a negative label (TREC marks spam -2, say)
  is a judged non-relevant document, exactly as trec_eval counts it, and is read as 0 with a note.

:func:`qrels_text` writes a set's judgments back as TREC qrels (``python -m eval`` writes ``qrels.txt`` with it,
``python -m eval.judgments export`` a set's aggregated labels).

Every problem is reported with the file and line: a wrong number of columns, a label or score that is not a number,
a document listed twice for a query (naming the line of the first). A file with any problem is refused as a whole.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.measures.metrics import trec_order
from eval.sets.labelled import LabelledSet
from eval.sets.lines import check_file, numbered_lines
from eval.sets.problems import Problems

RUN_COLUMNS = "qid Q0 docid rank score tag"
TREC_QRELS_COLUMNS = "qid iteration docid label"
BEIR_QRELS_COLUMNS = "query-id corpus-id score"
BEIR_QRELS_HEADER = ("query-id", "corpus-id", "score")


@dataclass(frozen=True)
class Judgment:
    """One qrels line: the label of a document for a query (negative labels read as 0)."""

    docid: str
    label: int
    line: int


@dataclass(frozen=True)
class Qrels:
    """Judgments per query, in file order.

    Attributes:
        name: the file, for messages.
        judgments: qid -> docid -> :class:`Judgment`.
        sha256: of the file's bytes.
        notes: things the reader changed or noticed that the analyst should know (negative labels read as 0).
    """

    name: str
    judgments: dict[str, dict[str, Judgment]]
    sha256: str
    notes: tuple[str, ...] = ()

    def labels(self, qid: str) -> dict[str, int]:
        """docid -> label of one query's judgments."""
        return {d: j.label for d, j in self.judgments[qid].items()}

    def first_line(self, qid: str) -> int:
        return min(j.line for j in self.judgments[qid].values())


@dataclass(frozen=True)
class RunEntry:
    """One run line: a document retrieved for a query with its first-stage score."""

    docid: str
    score: float
    line: int


@dataclass(frozen=True)
class TrecRun:
    """A first-stage run: qid -> docid -> :class:`RunEntry`, queries in file order."""

    name: str
    entries: dict[str, dict[str, RunEntry]]
    sha256: str

    def ranked(self, qid: str, top_k: int | None = None) -> list[RunEntry]:
        """The query's entries in trec_eval's order (score descending, ties by docid descending), cut at ``top_k``."""
        by_doc = self.entries.get(qid, {})
        order = trec_order({d: e.score for d, e in by_doc.items()})
        return [by_doc[d] for d in (order if top_k is None else order[:top_k])]


def _integer(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def read_run(path: str | Path, problems: Problems | None = None, *, name: str | None = None) -> TrecRun:
    """Read and validate a 6-column TREC run file.

    Args:
        path: the run file.
        problems: where to record problems; ``None`` raises at once on any.
        name: how messages call the file (default its path).

    Returns:
        The :class:`TrecRun` (when ``problems`` is given and got new entries, a partial run: the caller must raise).

    Raises:
        LabelledSetError: (a ``ValueError``, only without ``problems``) the file is missing or has bad lines; the
            message names the file and line of each.
    """
    path = Path(path)
    name = name or str(path)
    own = problems is None
    problems = problems if problems is not None else Problems(name)
    entries: dict[str, dict[str, RunEntry]] = {}
    hasher = hashlib.sha256()
    if check_file(path, f"a TREC run file ({RUN_COLUMNS} per line)", problems, name=name):
        for number, text in numbered_lines(path, problems, hasher=hasher, name=name):
            fields = text.split()
            if not fields:
                continue
            if len(fields) != 6:
                problems.add(
                    name, number, f"has {len(fields)} columns ({text[:80]!r}); a TREC run line has 6: {RUN_COLUMNS}."
                )
                continue
            qid, _, docid, rank, score_text, _ = fields
            if _integer(rank) is None:
                problems.add(name, number, f"rank {rank!r} is not an integer; expected the columns {RUN_COLUMNS}.")
                continue
            try:
                score = float(score_text)
            except ValueError:
                score = math.nan
            if not math.isfinite(score):
                problems.add(
                    name, number, f"score {score_text!r} is not a finite number; expected the columns {RUN_COLUMNS}."
                )
                continue
            by_doc = entries.setdefault(qid, {})
            if docid in by_doc:
                problems.add(
                    name,
                    number,
                    f"document {docid!r} of query {qid!r} is already listed on line {by_doc[docid].line}; a run lists "
                    "each document once per query (trec_eval refuses duplicates too).",
                )
                continue
            by_doc[docid] = RunEntry(docid, score, number)
        if not entries and not problems:
            problems.add(name, 0, f"no run lines found; expected lines of {RUN_COLUMNS}.")
    if own:
        problems.raise_if_any()
    return TrecRun(name, entries, hasher.hexdigest())


def read_qrels(path: str | Path, problems: Problems | None = None, *, name: str | None = None) -> Qrels:
    """Read and validate qrels: TREC (``qid iteration docid label``) or BEIR TSV (``query-id corpus-id score``).

    The first data line decides the format; every line must then have its number of columns. Labels are integers;
    negative ones are read as 0 (judged, not relevant, as trec_eval counts them) and a note says how many.

    Args:
        path: the qrels file.
        problems: where to record problems; ``None`` raises at once on any.
        name: how messages call the file (default its path).

    Raises:
        LabelledSetError: (only without ``problems``) the file is missing or has bad lines, each named with its line.
    """
    path = Path(path)
    name = name or str(path)
    own = problems is None
    problems = problems if problems is not None else Problems(name)
    judgments: dict[str, dict[str, Judgment]] = {}
    hasher = hashlib.sha256()
    negative: list[int] = []
    what = f"qrels (TREC: {TREC_QRELS_COLUMNS}; or BEIR TSV: {BEIR_QRELS_COLUMNS})"
    if check_file(path, what, problems, name=name):
        n_columns = None
        for number, text in numbered_lines(path, problems, hasher=hasher, name=name):
            fields = text.split()
            if not fields:
                continue
            if n_columns is None and tuple(f.lower() for f in fields) == BEIR_QRELS_HEADER:
                continue  # BEIR's header line
            if n_columns is None:
                if len(fields) not in (3, 4):
                    problems.add(name, number, f"has {len(fields)} columns ({text[:80]!r}); expected {what}.")
                    return _finish(name, judgments, hasher, negative, problems, own)
                n_columns = len(fields)
            columns = TREC_QRELS_COLUMNS if n_columns == 4 else BEIR_QRELS_COLUMNS
            if len(fields) != n_columns:
                problems.add(
                    name,
                    number,
                    f"has {len(fields)} columns ({text[:80]!r}); the file's first line has {n_columns}: {columns}.",
                )
                continue
            qid, docid, label_text = (fields[0], fields[2], fields[3]) if n_columns == 4 else fields
            label = _integer(label_text)
            if label is None:
                problems.add(name, number, f"label {label_text!r} is not an integer; expected the columns {columns}.")
                continue
            by_doc = judgments.setdefault(qid, {})
            if docid in by_doc:
                problems.add(
                    name,
                    number,
                    f"document {docid!r} of query {qid!r} is already judged on line {by_doc[docid].line}; judge each "
                    "document once per query.",
                )
                continue
            if label < 0:
                negative.append(number)
            by_doc[docid] = Judgment(docid, max(label, 0), number)
        if not judgments and not problems:
            problems.add(name, 0, f"no judgments found; expected {what}.")
    return _finish(name, judgments, hasher, negative, problems, own)


def _finish(
    name: str,
    judgments: dict[str, dict[str, Judgment]],
    hasher: Any,
    negative: list[int],
    problems: Problems,
    own: bool,
) -> Qrels:
    if own:
        problems.raise_if_any()
    notes = ()
    if negative:
        notes = (
            f"{name}: {len(negative)} judgment(s) with a negative label (first on line {negative[0]}) count as judged, "
            "not relevant (label 0), as in trec_eval.",
        )
    return Qrels(name, judgments, hasher.hexdigest(), notes)


def qrels_text(labelled: LabelledSet) -> str:
    """TREC qrels (``qid 0 docid label``) of every judged document, label 0 included: every judged candidate of a
    JSONL/CSV set; for a first-stage run, its judged candidates and the judged documents it missed, but not its
    unjudged candidates — so trec_eval on ``run.trec`` and this file gives the reported numbers."""
    return "".join(
        f"{qid} 0 {docid} {label}\n" for qid, by_doc in labelled.qrels.items() for docid, label in by_doc.items()
    )


__all__ = [
    "BEIR_QRELS_COLUMNS",
    "RUN_COLUMNS",
    "TREC_QRELS_COLUMNS",
    "Judgment",
    "Qrels",
    "RunEntry",
    "TrecRun",
    "qrels_text",
    "read_qrels",
    "read_run",
]

"""Readers of the labelled-set file formats: decoded text -> :class:`RawQuery` rows, values as written.

A reader only splits the file into queries and candidates and reports what it cannot read (malformed JSON, a bad CSV
header, unknown fields) to a :class:`~eval.sets.problems.Problems` (``add_line``), naming the line. Checking ids,
labels, texts and images is the same for every format and happens once, in :func:`eval.sets.loader.build_set`.

JSONL, one query per line::

    {"qid": "q1", "query": {"text": "red running shoes", "image": "img/q1.png"},
     "candidates": [{"docid": "d1", "text": "Nike Pegasus, red", "image": "img/d1.png", "label": 3}, ...]}

``query`` may also be a plain string (its text). A query or a candidate may have a ``"video"``: a clip (mp4, webm,
mov, mkv; at most 30 s). ``image`` and ``video`` paths are relative to the data file. ``qid``/``docid`` may be JSON
strings or integers (integers are turned into their decimal string). An optional ``"segment"`` (a non-empty string:
a query type, a category) groups queries in the report; an optional ``"saved_by"`` (a string) says who saved the
query from the dashboard, and changes nothing in the evaluation.

Several raters: a candidate may carry ``"grades"`` (``{"<rater>": <grade>}``), ``"graded_at"`` and ``"adjudicated"``
beside (or instead of) ``"label"``, and a query ``"judging"`` (``{"<rater>": {"at": ..., "scores_shown": ..., "seed":
...}}``: when each rater saved, whether they had seen the model's scores, the seed of their shuffled order); a
candidate with neither label nor grades is unjudged (:mod:`eval.sets.grades`). An optional first line
``{"set": {"aggregate": "median", "guidelines": "..."}}`` is the set's header: its aggregation rule and its judging
guidelines (markdown). The CSV format has one label per row (one rater).

CSV with the header ``qid,query,docid,document,label`` (one row per candidate; the rows of a query repeat its text;
optional columns ``query_image``, ``document_image``, ``query_video`` and ``document_video`` hold paths relative to
the file, and ``segment`` the query's segment, repeated on every row of the query).

A new one-file format adds its reader to :data:`READERS` under its suffix.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

from eval.sets.problems import Problems

CSV_REQUIRED = ("qid", "query", "docid", "document", "label")
CSV_OPTIONAL = ("query_image", "document_image", "query_video", "document_video", "segment")
QUERY_KEYS = ("qid", "query", "candidates")
#: ``judging``: who graded and how (seeds, scores shown); ``saved_by``: who saved the query from the dashboard (an
#: e-mail, ``token``, a user name). Both are read, never scored.
QUERY_OPTIONAL_KEYS = ("segment", "judging", "saved_by")
HEADER_KEY = "set"
QUERY_FIELDS = ("text", "image", "video")
CANDIDATE_KEYS = ("docid", "text", "image", "video", "label", "grades", "graded_at", "adjudicated")
EXAMPLE_LINE = (
    '{"qid": "q1", "query": {"text": "red running shoes"}, '
    '"candidates": [{"docid": "d1", "text": "Nike Pegasus, red", "label": 2}]}'
)


@dataclass
class RawCandidate:
    """A candidate as a reader found it: values as written (``MISSING`` for an absent label), checked later."""

    line: int
    docid: Any
    text: Any
    image: Any
    label: Any
    where: str  # "candidate 3" (JSONL) or "" (CSV, where the line says which row), for messages
    video: Any = None
    grades: Any = None  # the JSONL fields of several raters (eval.sets.grades), None when absent
    graded_at: Any = None
    adjudicated: Any = None


@dataclass
class RawQuery:
    """A query as a reader found it, with its raw candidates; :func:`build_set` checks it."""

    line: int
    qid: Any
    text: Any
    image: Any
    candidates: list[RawCandidate]
    segment: Any = None
    video: Any = None
    judging: Any = None


MISSING = object()
"""A field the file does not have (told apart from an explicit ``null``)."""


def _is_header(obj: Any) -> bool:
    return isinstance(obj, dict) and HEADER_KEY in obj and not set(obj) & {"qid", "query", "candidates"}


def jsonl_header(text: str) -> tuple[dict[str, Any] | None, int]:
    """The set header (the first non-blank line when it is ``{"set": {...}}``) and its line, or ``(None, 0)``."""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            return None, 0
        return (obj, number) if _is_header(obj) else (None, 0)
    return None, 0


def read_jsonl(text: str, problems: Problems) -> Iterator[RawQuery]:
    """The JSONL reader: one query object per line (see the module docstring); the set header is skipped here
    (:func:`jsonl_header` reads it)."""
    first = True
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.add_line(
                number,
                f"malformed JSON ({exc.msg} at column {exc.colno}). Expected one object per line like {EXAMPLE_LINE}",
            )
            first = False
            continue
        was_first, first = first, False
        if _is_header(obj):
            if not was_first:
                problems.add_line(number, 'a set header {"set": {...}} must be the first line of the file.')
            continue
        if not isinstance(obj, dict):
            problems.add_line(
                number, f"expected a JSON object with {', '.join(QUERY_KEYS)}, got a {type(obj).__name__}."
            )
            continue
        unknown = sorted(set(obj) - set(QUERY_KEYS) - set(QUERY_OPTIONAL_KEYS))
        if unknown:
            problems.add_line(
                number,
                f"unknown field(s) {unknown}; expected only {list(QUERY_KEYS)} (and optionally 'segment', 'judging', "
                "'saved_by').",
            )
            continue
        missing = [k for k in QUERY_KEYS if k not in obj]
        if missing:
            problems.add_line(number, f"missing field(s) {missing}; expected an object like {EXAMPLE_LINE}")
            continue
        if "saved_by" in obj and not isinstance(obj["saved_by"], str):
            problems.add_line(number, f"saved_by must be a string (who saved the query), got {obj['saved_by']!r}.")
            continue
        query = obj["query"]
        if isinstance(query, str):
            q_text, q_image, q_video = query, None, None
        elif isinstance(query, dict):
            bad = sorted(set(query) - set(QUERY_FIELDS))
            if bad:
                problems.add_line(number, f"query has unknown field(s) {bad}; expected 'text', 'image' and/or 'video'.")
                continue
            q_text, q_image, q_video = query.get("text"), query.get("image"), query.get("video")
        else:
            problems.add_line(
                number,
                f'query must be an object {{"text": ..., "image": ..., "video": ...}} or a string, got {query!r}.',
            )
            continue
        raw_cands = _jsonl_candidates(obj["candidates"], number, problems)
        if raw_cands is None:
            continue
        yield RawQuery(
            number,
            obj["qid"],
            q_text,
            q_image,
            raw_cands,
            segment=obj.get("segment"),
            video=q_video,
            judging=obj.get("judging"),
        )


def _jsonl_candidates(cands: Any, number: int, problems: Problems) -> list[RawCandidate] | None:
    """The raw candidates of the query on line ``number``, or None after recording what is wrong with them."""
    if not isinstance(cands, list):
        problems.add_line(number, f"candidates must be a list of objects, got {type(cands).__name__}.")
        return None
    raw_cands: list[RawCandidate] = []
    for i, cand in enumerate(cands, start=1):
        if not isinstance(cand, dict):
            problems.add_line(number, f"candidate {i} must be an object with {list(CANDIDATE_KEYS)}, got {cand!r}.")
            continue
        bad = sorted(set(cand) - set(CANDIDATE_KEYS))
        if bad:
            problems.add_line(number, f"candidate {i} has unknown field(s) {bad}; expected {list(CANDIDATE_KEYS)}.")
            continue
        raw_cands.append(
            RawCandidate(
                number,
                cand.get("docid"),
                cand.get("text"),
                cand.get("image"),
                cand.get("label", MISSING),
                f"candidate {i}",
                cand.get("video"),
                grades=cand.get("grades"),
                graded_at=cand.get("graded_at"),
                adjudicated=cand.get("adjudicated"),
            )
        )
    return raw_cands if len(raw_cands) == len(cands) else None


def read_csv(text: str, problems: Problems) -> Iterator[RawQuery]:
    """The CSV reader: one row per candidate, rows of a query grouped by ``qid``."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _csv_header(reader, problems)
    if header is None:
        return
    by_qid: dict[str, RawQuery] = {}
    prev_end = reader.line_num
    while True:
        start = prev_end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.add_line(start, f"unreadable CSV row ({exc}).")
            return
        prev_end = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.add_line(
                start,
                f"has {len(row)} fields, expected {len(header)} ({','.join(header)}). Quote fields that contain commas.",
            )
            continue
        _group_row(by_qid, _csv_row(dict(zip(header, row)), start), problems)
    yield from by_qid.values()


def _csv_header(reader: Iterator[list[str]], problems: Problems) -> list[str] | None:
    """The header's column names (stripped), or None: an empty file, or a header with a problem (recorded)."""
    try:
        header = next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        problems.add_line(1, f"unreadable CSV header ({exc}).")
        return None
    header = [h.strip() for h in header]
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [c for c in header if c not in CSV_REQUIRED + CSV_OPTIONAL]
    dupes = sorted({c for c in header if header.count(c) > 1})
    if not (missing or unknown or dupes):
        return header
    parts = []
    if missing:
        parts.append(f"missing column(s) {missing}")
    if unknown:
        parts.append(f"unknown column(s) {unknown}")
    if dupes:
        parts.append(f"repeated column(s) {dupes}")
    problems.add_line(
        1,
        f"{'; '.join(parts)} in the header {header}. Expected the columns {','.join(CSV_REQUIRED)} "
        f"(optionally {', '.join(CSV_OPTIONAL)}).",
    )
    return None


def _csv_row(cell: dict[str, str], line: int) -> RawQuery:
    """One row (column -> cell) as its query with one candidate; an empty optional cell is None."""
    candidate = RawCandidate(
        line,
        cell["docid"].strip(),
        cell["document"] if cell["document"].strip() else None,
        cell.get("document_image", "").strip() or None,
        _csv_label(cell["label"]),
        "",
        cell.get("document_video", "").strip() or None,
    )
    return RawQuery(
        line,
        cell["qid"].strip(),
        cell["query"] if cell["query"].strip() else None,  # an image-only query leaves the text cell empty
        cell.get("query_image", "").strip() or None,
        [candidate],
        segment=cell.get("segment", "").strip() or None,
        video=cell.get("query_video", "").strip() or None,
    )


def _group_row(by_qid: dict[str, RawQuery], row: RawQuery, problems: Problems) -> None:
    """Add ``row``'s candidate to its query's first row, which every later row of the query must repeat."""
    first = by_qid.get(row.qid)
    if first is None:
        by_qid[row.qid] = row
        return
    if row.text != first.text or row.image != first.image or row.video != first.video:
        problems.add_line(
            row.line,
            f"query text/image/video for qid {row.qid!r} differs from line {first.line} ({first.text!r}); every "
            "row of a query must repeat the same query.",
        )
        return
    if row.segment != first.segment:
        problems.add_line(
            row.line,
            f"segment {row.segment!r} of qid {row.qid!r} differs from line {first.line} ({first.segment!r}); every "
            "row of a query must repeat the same segment.",
        )
        return
    first.candidates.extend(row.candidates)


class CsvLabel(str):
    """A label cell as written, so the message can quote it."""


def _csv_label(cell: str) -> Any:
    value = cell.strip()
    if re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    return CsvLabel(value)


Reader: TypeAlias = Callable[[str, Problems], Iterator[RawQuery]]
"""Decoded text of a data file -> its queries as written; what it cannot read goes to the
:class:`~eval.sets.problems.Problems` (``add_line``)."""

#: The reader of each one-file format, by suffix (a ``.zip`` holds one file of these formats).
READERS: dict[str, Reader] = {".jsonl": read_jsonl, ".csv": read_csv}


__all__ = [
    "CANDIDATE_KEYS",
    "CSV_OPTIONAL",
    "CSV_REQUIRED",
    "EXAMPLE_LINE",
    "HEADER_KEY",
    "MISSING",
    "QUERY_FIELDS",
    "QUERY_KEYS",
    "QUERY_OPTIONAL_KEYS",
    "READERS",
    "CsvLabel",
    "RawCandidate",
    "RawQuery",
    "Reader",
    "jsonl_header",
    "read_csv",
    "read_jsonl",
]

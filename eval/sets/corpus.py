"""Read documents, queries and query segments: id -> text / image (/ segment), from JSONL or TSV.

* **JSONL** (BEIR's ``corpus.jsonl`` / ``queries.jsonl`` and any file in that shape): one object per line with the id
  in ``"_id"`` (BEIR), or ``"docid"`` for documents / ``"qid"`` for queries; ``"text"``; documents may add
  ``"title"`` (the text scored is ``title + " " + text``, BEIR's convention for rerankers) and both may add
  ``"image"`` (a path relative to the file); queries may add ``"segment"``. Other keys (BEIR's ``"metadata"``) are
  ignored.
* **TSV**: ``id<TAB>text`` per line (MS MARCO's ``collection.tsv`` / ``queries.tsv``), or a first line naming the
  columns: ``docid``/``_id``/``id`` (documents) or ``qid``/``query-id``/``_id``/``id`` (queries), then any of
  ``title``, ``text``, ``image`` (and ``segment`` for queries).
* **Segments** (``--segments``): ``qid<TAB>segment`` per line, optionally under a ``qid<TAB>segment`` header.

A corpus can be large: with ``needed``, every line is still checked (ids, duplicates, JSON) but only the needed
records are kept. Problems name the file and line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eval.sets.lines import check_file, check_id, numbered_lines
from eval.sets.problems import Problems

Kind = Literal["document", "query"]
ID_KEYS: dict[str, tuple[str, ...]] = {"document": ("_id", "docid"), "query": ("_id", "qid")}
TSV_ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "document": ("docid", "_id", "id", "corpus-id"),
    "query": ("qid", "_id", "id", "query-id"),
}
TSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "document": ("title", "text", "image"),
    "query": ("text", "image", "segment"),
}
SEGMENT_HEADER_IDS = ("qid", "query-id", "_id", "id")
FORMATS = (".jsonl", ".tsv")


@dataclass(frozen=True)
class Record:
    """One document or query as written: ``image`` is the path as written (relative to ``folder``)."""

    id: str
    text: str | None
    image: str | None
    segment: str | None
    line: int


@dataclass(frozen=True)
class Records:
    """Records of one file, in file order, with the file's name, folder (for images) and sha256."""

    name: str
    folder: Path
    items: dict[str, Record]
    sha256: str
    n_total: int


def _example(kind: Kind) -> str:
    if kind == "document":
        return '{"_id": "d1", "title": "Nike Pegasus 41", "text": "men\'s road running shoe, red"}'
    return '{"_id": "q1", "text": "red running shoes", "segment": "visual"}'


def read_records(
    path: str | Path,
    kind: Kind,
    problems: Problems,
    *,
    needed: set[str] | None = None,
    name: str | None = None,
) -> Records:
    """Read documents or queries from a ``.jsonl`` or ``.tsv`` file (see the module docstring).

    Args:
        path: the file.
        kind: ``"document"`` or ``"query"`` (decides the id keys and allowed columns).
        problems: where problems are recorded (the caller raises).
        needed: keep only these ids (every line is still validated); ``None`` keeps all.
        name: how messages call the file (default its path).

    Returns:
        The :class:`Records`; ``n_total`` counts every record of the file.
    """
    path = Path(path)
    name = name or str(path)
    hasher = hashlib.sha256()
    items: dict[str, Record] = {}
    if not check_file(path, f"a {kind} file ({', '.join(FORMATS)})", problems, name=name):
        return Records(name, path.parent, items, hasher.hexdigest(), 0)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        problems.add(
            name, 0, f"unknown format {suffix or '(no suffix)'!r}; expected a {kind} file ending in .jsonl or .tsv."
        )
        return Records(name, path.parent, items, hasher.hexdigest(), 0)
    seen: dict[str, int] = {}
    rows = (_jsonl if suffix == ".jsonl" else _tsv)(path, name, kind, problems, hasher)
    for record in rows:
        if record.id in seen:
            problems.add(
                name,
                record.line,
                f"{kind} id {record.id!r} is already used on line {seen[record.id]}; ids must be unique.",
            )
            continue
        seen[record.id] = record.line
        if needed is not None and record.id not in needed:
            continue
        if not (record.text or "").strip() and not record.image:
            problems.add(name, record.line, f"{kind} {record.id!r} has neither text nor image; give it one, or both.")
            continue
        items[record.id] = record
    if not seen and not problems:
        problems.add(
            name, 0, f"no {kind}s found; expected one JSON object per line like {_example(kind)}, or id<TAB>text lines."
        )
    return Records(name, path.parent, items, hasher.hexdigest(), len(seen))


def _string(value: Any, what: str, name: str, number: int, problems: Problems) -> str | None:
    if value is None or isinstance(value, str):
        return value
    problems.add(name, number, f"{what} must be a string, got {value!r}.")
    return None


def _jsonl(path: Path, name: str, kind: Kind, problems: Problems, hasher: Any) -> Iterator[Record]:
    id_keys = ID_KEYS[kind]
    for number, line in numbered_lines(path, problems, hasher=hasher, name=name):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.add(
                name,
                number,
                f"malformed JSON ({exc.msg} at column {exc.colno}); expected an object like {_example(kind)}.",
            )
            continue
        if not isinstance(obj, dict):
            problems.add(name, number, f"expected a JSON object like {_example(kind)}, got a {type(obj).__name__}.")
            continue
        present = [k for k in id_keys if k in obj]
        if len(present) != 1:
            got = "both " + " and ".join(repr(k) for k in present) if present else "neither"
            problems.add(name, number, f"expected the {kind} id in exactly one of {list(id_keys)}, found {got}.")
            continue
        record_id, problem = check_id(obj[present[0]], f"{kind} id")
        if problem:
            problems.add(name, number, problem)
            continue
        n_before = len(problems)
        text = _string(obj.get("text"), f"{kind} {record_id!r}: 'text'", name, number, problems)
        image = _string(
            obj.get("image"), f"{kind} {record_id!r}: 'image' (a path relative to the file)", name, number, problems
        )
        segment = None
        if kind == "document":
            title = _string(obj.get("title"), f"document {record_id!r}: 'title'", name, number, problems)
            text = " ".join(t for t in (title, text) if t and t.strip()) or None
        else:
            segment = _segment(obj.get("segment"), record_id, name, number, problems)
        if len(problems) == n_before:
            yield Record(record_id, text, image or None, segment, number)


def _segment(value: Any, qid: str, name: str, number: int, problems: Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(
            name, number, f"query {qid!r}: 'segment' must be a non-empty string such as \"风格导向\", got {value!r}."
        )
        return None
    return value.strip()


def _tsv(path: Path, name: str, kind: Kind, problems: Problems, hasher: Any) -> Iterator[Record]:
    columns: list[str] | None = None
    for number, line in numbered_lines(path, problems, hasher=hasher, name=name):
        if not line.strip():
            continue
        fields = line.split("\t")
        if columns is None:
            lowered = [f.strip().lower() for f in fields]
            if (
                lowered[0] in TSV_ID_COLUMNS[kind]
                and len(set(lowered)) == len(lowered)
                and set(lowered[1:]) <= set(TSV_COLUMNS[kind])
                and len(lowered) > 1
            ):
                columns = ["id", *lowered[1:]]
                continue
            columns = ["id", "text"]
            if len(fields) != 2:
                problems.add(
                    name,
                    number,
                    f"has {len(fields)} tab-separated columns; a {kind} TSV without a header line has 2 (id, text). "
                    f"Add a header naming the columns, e.g. '{TSV_ID_COLUMNS[kind][0]}\\t"
                    + "\\t".join(TSV_COLUMNS[kind])
                    + "'.",
                )
                return
        if len(fields) != len(columns):
            problems.add(
                name,
                number,
                f"has {len(fields)} tab-separated columns, expected {len(columns)} ({', '.join(columns)}).",
            )
            continue
        cell = dict(zip(columns, fields))
        record_id, problem = check_id(cell["id"].strip(), f"{kind} id")
        if problem:
            problems.add(name, number, problem)
            continue
        text = " ".join(t for t in (cell.get("title", ""), cell.get("text", "")) if t.strip()) or None
        segment = cell.get("segment", "").strip() or None
        yield Record(record_id, text, cell.get("image", "").strip() or None, segment, number)


def read_segments(
    path: str | Path, problems: Problems, *, name: str | None = None
) -> tuple[dict[str, tuple[str, int]], str]:
    """Read a segments file: ``qid<TAB>segment`` per line (a ``qid<TAB>segment`` header is skipped).

    Returns:
        ``({qid: (segment, line)}, sha256)``; duplicate qids and empty segments are recorded as problems.
    """
    path = Path(path)
    name = name or str(path)
    hasher = hashlib.sha256()
    out: dict[str, tuple[str, int]] = {}
    if not check_file(path, "a segments file (qid<TAB>segment per line)", problems, name=name):
        return out, hasher.hexdigest()
    first = True
    for number, line in numbered_lines(path, problems, hasher=hasher, name=name):
        if not line.strip():
            continue
        qid, sep, segment = line.partition("\t") if "\t" in line else line.strip().partition(" ")
        qid, segment = qid.strip(), segment.strip()
        if first and qid.lower() in SEGMENT_HEADER_IDS and segment.lower() == "segment":
            first = False
            continue
        first = False
        checked, problem = check_id(qid, "qid")
        if problem or not sep or not segment:
            problems.add(name, number, problem or f"expected 'qid<TAB>segment', got {line[:80]!r}.")
            continue
        if checked in out:
            problems.add(
                name, number, f"query {checked!r} already has a segment on line {out[checked][1]}; give each query one."
            )
            continue
        out[checked] = (segment, number)
    if not out and not problems:
        problems.add(name, 0, "no segments found; expected 'qid<TAB>segment' per line.")
    return out, hasher.hexdigest()


__all__ = ["FORMATS", "Kind", "Record", "Records", "read_records", "read_segments"]

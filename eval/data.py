"""Labelled query sets: read, validate and hold them.

Two formats are accepted, plus a ``.zip`` holding one of them with its images:

JSONL, one query per line::

    {"qid": "q1", "query": {"text": "red running shoes", "image": "img/q1.png"},
     "candidates": [{"docid": "d1", "text": "Nike Pegasus, red", "image": "img/d1.png", "label": 3}, ...]}

``query`` may also be a plain string (its text). ``image`` paths are relative to the data file. ``qid``/``docid``
may be JSON strings or integers (integers are turned into their decimal string).

CSV with the header ``qid,query,docid,document,label`` (one row per candidate; the rows of a query repeat its text;
optional columns ``query_image`` and ``document_image`` hold image paths relative to the file).

Labels are non-negative integers (graded relevance, e.g. 0-3). Everything is validated before anything is scored:
each problem is reported with the file name and line, and a file with any problem is refused as a whole, so nothing
half-read is ever evaluated. Images are decoded once by :func:`lychee.load_image` to prove they are readable.

An uploaded JSONL/CSV (bytes without a folder) cannot resolve relative image paths; upload a ``.zip`` containing the
data file and its images instead (paths inside the zip are relative to the data file there).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from lychee import Item, load_image

ImageRef: TypeAlias = Path | bytes
"""An image as held by a set: a file path, or the bytes of an image read from a zip archive."""

FORMATS = (".jsonl", ".csv", ".zip")
CSV_REQUIRED = ("qid", "query", "docid", "document", "label")
CSV_OPTIONAL = ("query_image", "document_image")
QUERY_KEYS = ("qid", "query", "candidates")
CANDIDATE_KEYS = ("docid", "text", "image", "label")
# Listing every problem of a badly broken file helps nobody; the first ones show what to fix.
MAX_LISTED_ERRORS = 20
# A zip upload is read into memory; refuse archives whose content would not fit comfortably.
MAX_ZIP_BYTES = 512 * 1024 * 1024
_WHITESPACE = re.compile(r"\s")
_EXAMPLE_LINE = (
    '{"qid": "q1", "query": {"text": "red running shoes"}, '
    '"candidates": [{"docid": "d1", "text": "Nike Pegasus, red", "label": 2}]}'
)


class LabelledSetError(ValueError):
    """A labelled set was refused. ``errors`` lists every problem found, each naming the file and line."""

    def __init__(self, errors: list[str], name: str) -> None:
        self.errors = list(errors)
        self.name = name
        shown = self.errors[:MAX_LISTED_ERRORS]
        if len(self.errors) == 1:
            message = self.errors[0]
        else:
            message = f"{name}: {len(self.errors)} problems; nothing was evaluated. Fix them and retry:\n" + "\n".join(
                f"- {e}" for e in shown
            )
            if len(self.errors) > len(shown):
                message += f"\n- ... and {len(self.errors) - len(shown)} more"
        super().__init__(message)


@dataclass(frozen=True)
class Candidate:
    """One labelled candidate document of a query."""

    docid: str
    label: int
    text: str | None = None
    image: ImageRef | None = field(default=None, repr=False)
    image_name: str | None = None
    line: int = 0

    def item(self) -> Item:
        """The candidate as a :class:`lychee.Item` (decodes the image)."""
        return Item(text=self.text, image=self.image, name=f"document {self.docid}")


@dataclass(frozen=True)
class LabelledQuery:
    """One query with its labelled candidates, in file order."""

    qid: str
    text: str | None
    candidates: tuple[Candidate, ...]
    image: ImageRef | None = field(default=None, repr=False)
    image_name: str | None = None
    line: int = 0

    def item(self) -> Item:
        """The query as a :class:`lychee.Item` (decodes the image)."""
        return Item(text=self.text, image=self.image, name=f"query {self.qid}")

    @property
    def has_image(self) -> bool:
        return self.image is not None or any(c.image is not None for c in self.candidates)


@dataclass(frozen=True)
class LabelledSet:
    """A validated labelled set.

    Attributes:
        name: the file name used in messages (a path, or an upload's name).
        queries: the queries in file order.
        content_hash: sha256 over the data file's bytes and every image's bytes (keys resumable runs).
    """

    name: str
    queries: tuple[LabelledQuery, ...]
    content_hash: str

    @property
    def qrels(self) -> dict[str, dict[str, int]]:
        """``{qid: {docid: label}}`` over every candidate, including label 0."""
        return {q.qid: {c.docid: c.label for c in q.candidates} for q in self.queries}

    @property
    def n_pairs(self) -> int:
        return sum(len(q.candidates) for q in self.queries)

    @property
    def has_images(self) -> bool:
        return any(q.has_image for q in self.queries)

    def first_image(self) -> str | None:
        """Where the first image is, as ``"<file>, line N: query 'q1' image 'a.png'"`` (for messages), or None."""
        for q in self.queries:
            if q.image is not None:
                return f"{self.name}, line {q.line}: query {q.qid!r} has an image ({q.image_name!r})"
            for c in q.candidates:
                if c.image is not None:
                    return f"{self.name}, line {c.line}: candidate {c.docid!r} of query {q.qid!r} has an image ({c.image_name!r})"
        return None


DATA_DIR = Path(__file__).resolve().parent / "data"
# The sets shipped in eval/data (see eval/data/README.md): file name -> one-line description.
SHIPPED_SETS: dict[str, str] = {
    "passages.csv": "Web-search passages: 8 questions x 6 passages, labels 0-2, text (CSV)",
    "ecommerce.jsonl": "Product search: 22 queries x 10 products, labels 0-3, hard negatives, text (JSONL)",
    "shapes/shapes.jsonl": "Shapes: 6 queries x 6 PIL-drawn images, labels 0-2 — needs a VLM reranker (JSONL + PNG)",
}


def shipped_set_path(name: str) -> Path:
    """Path of a shipped set by its name in :data:`SHIPPED_SETS`."""
    if name not in SHIPPED_SETS:
        raise ValueError(f"unknown shipped set {name!r}; expected one of {sorted(SHIPPED_SETS)}.")
    return DATA_DIR / name


# --- public entry point ---------------------------------------------------------------------------------------------
def load_labelled_set(
    source: str | os.PathLike | bytes,
    *,
    name: str | None = None,
) -> LabelledSet:
    """Read and validate a labelled set.

    Args:
        source: a path to a ``.jsonl``, ``.csv`` or ``.zip`` file, or the bytes of one (an upload).
        name: the file name for messages and for telling the format from its suffix; required with bytes.

    Returns:
        The validated :class:`LabelledSet`.

    Raises:
        LabelledSetError: (a ``ValueError``) the file is missing, of an unknown format, or has any problem; the
            message names the file and line of each problem.
        TypeError: ``source`` is neither a path nor bytes.

    Example:
        >>> labelled = load_labelled_set("eval/data/ecommerce.jsonl")
        >>> labelled.qrels["shoes-01"]["p001"]
        3
    """
    if isinstance(source, (bytes, bytearray)):
        if not name:
            raise ValueError("load_labelled_set: bytes need a file name (name='upload.jsonl') to tell the format.")
        data, base_dir, display = bytes(source), None, name
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        display = name or str(source)
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "file not found"
            raise LabelledSetError(
                [f"{display}: {what}. Expected a labelled set file ({', '.join(FORMATS)}); see eval/data/README.md."],
                display,
            )
        data, base_dir = path.read_bytes(), path.parent
    else:
        raise TypeError(f"load_labelled_set: got {type(source).__name__}; expected a file path or the bytes of a file.")

    suffix = Path(display).suffix.lower()
    if suffix == ".zip":
        return _load_zip(data, display)
    if suffix not in (".jsonl", ".csv"):
        raise LabelledSetError(
            [f"{display}: unknown format {suffix or '(no suffix)'!r}; expected a file ending in {', '.join(FORMATS)}."],
            display,
        )
    resolver = _DirResolver(base_dir, display) if base_dir is not None else _NoResolver(display)
    return _parse(data, display, suffix, resolver)


# --- image resolution -----------------------------------------------------------------------------------------------
class _Resolver:
    """Turns an image path written in the file into an :data:`ImageRef`, validating it once."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.seen: dict[str, tuple[ImageRef, str]] = {}

    def resolve(self, written: str, what: str) -> tuple[ImageRef, str]:
        """Returns (image, sha256 of its bytes); raises ValueError naming ``what`` and the path."""
        raise NotImplementedError


class _DirResolver(_Resolver):
    def __init__(self, base_dir: Path, display: str) -> None:
        super().__init__(display)
        self.base_dir = base_dir

    def resolve(self, written: str, what: str) -> tuple[ImageRef, str]:
        path = (self.base_dir / written).resolve()
        key = str(path)
        if key not in self.seen:
            load_image(path, what=what)  # raises ValueError naming the input when missing/corrupt
            self.seen[key] = (path, hashlib.sha256(path.read_bytes()).hexdigest())
        return self.seen[key]


class _NoResolver(_Resolver):
    def resolve(self, written: str, what: str) -> tuple[ImageRef, str]:
        raise ValueError(
            f"{what} {written!r}: image paths cannot be resolved relative to an uploaded file. Upload a .zip that "
            "holds the data file and its images (paths relative to the data file), or run the CLI on the file."
        )


class _ZipResolver(_Resolver):
    def __init__(self, archive: zipfile.ZipFile, data_member: str, display: str) -> None:
        super().__init__(display)
        self.archive = archive
        self.folder = posixpath.dirname(data_member)
        self.members = {m.filename for m in archive.infolist() if not m.is_dir()}

    def resolve(self, written: str, what: str) -> tuple[ImageRef, str]:
        member = posixpath.normpath(posixpath.join(self.folder, written.replace("\\", "/")))
        if written.startswith(("/", "\\")) or member.startswith("../") or member == "..":
            raise ValueError(f"{what} {written!r}: points outside the archive; expected a path relative to the data file.")
        if member not in self.seen:
            if member not in self.members:
                raise ValueError(f"{what} {written!r}: not found in the archive (looked for {member!r}).")
            raw = self.archive.read(member)
            load_image(raw, what=f"{what} {written!r}")
            self.seen[member] = (raw, hashlib.sha256(raw).hexdigest())
        return self.seen[member]


def _load_zip(data: bytes, display: str) -> LabelledSet:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise LabelledSetError([f"{display}: not a readable zip archive ({exc})."], display) from exc
    with archive:
        infos = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
        total = sum(m.file_size for m in infos)
        if total > MAX_ZIP_BYTES:
            raise LabelledSetError(
                [f"{display}: unpacks to {total:,} bytes; the limit is {MAX_ZIP_BYTES:,}. Split the set or use the CLI."],
                display,
            )
        data_files = [m.filename for m in infos if m.filename.lower().endswith((".jsonl", ".csv"))]
        if len(data_files) != 1:
            found = ", ".join(data_files) if data_files else "none"
            raise LabelledSetError(
                [f"{display}: expected exactly one .jsonl or .csv data file in the archive, found {found}."], display
            )
        member = data_files[0]
        resolver = _ZipResolver(archive, member, f"{display}:{member}")
        return _parse(archive.read(member), f"{display}:{member}", Path(member).suffix.lower(), resolver)


# --- parsing --------------------------------------------------------------------------------------------------------
@dataclass
class _Collector:
    name: str
    entries: list[tuple[int, str]] = field(default_factory=list)

    def add(self, line: int, message: str) -> None:
        self.entries.append((line, f"{self.name}, line {line}: {message}"))

    def add_raw(self, line: int, message: str) -> None:
        """A message that already names the file and line (from :func:`lychee.load_image`)."""
        self.entries.append((line, message))

    @property
    def errors(self) -> list[str]:
        # Rows are checked in two passes (CSV rows, then whole queries); report in file order.
        return [message for _, message in sorted(self.entries, key=lambda e: e[0])]


def _decode(data: bytes, display: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LabelledSetError(
            [f"{display}, line {line}: not valid UTF-8 (byte {data[exc.start]:#04x}); save the file as UTF-8."], display
        ) from exc


def _parse(data: bytes, display: str, suffix: str, resolver: _Resolver) -> LabelledSet:
    text = _decode(data, display)
    errors = _Collector(display)
    hasher = hashlib.sha256(data)
    rows = _jsonl_queries(text, errors) if suffix == ".jsonl" else _csv_queries(text, errors)
    queries: list[LabelledQuery] = []
    seen_qids: dict[str, int] = {}
    for raw in rows:
        query = _build_query(raw, errors, resolver, hasher)
        if query is None:
            continue
        if query.qid in seen_qids:
            errors.add(
                query.line,
                f"qid {query.qid!r} already used on line {seen_qids[query.qid]}; each query must appear once "
                "(merge its candidates into one line).",
            )
            continue
        seen_qids[query.qid] = query.line
        queries.append(query)
    if not errors.entries and not queries:
        errors.add_raw(
            0,
            f"{display}: no queries found; expected one JSON object per line like {_EXAMPLE_LINE}, or a CSV with the "
            f"header {','.join(CSV_REQUIRED)}.",
        )
    if errors.entries:
        raise LabelledSetError(errors.errors, display)
    return LabelledSet(name=display, queries=tuple(queries), content_hash=hasher.hexdigest())


@dataclass
class _RawCandidate:
    line: int
    docid: Any
    text: Any
    image: Any
    label: Any
    where: str  # "candidate 3" (JSONL) or "" (CSV, where the line says which row), for messages


@dataclass
class _RawQuery:
    line: int
    qid: Any
    text: Any
    image: Any
    candidates: list[_RawCandidate]


def _jsonl_queries(text: str, errors: _Collector) -> Iterator[_RawQuery]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.add(number, f"malformed JSON ({exc.msg} at column {exc.colno}). Expected one object per line like {_EXAMPLE_LINE}")
            continue
        if not isinstance(obj, dict):
            errors.add(number, f"expected a JSON object with {', '.join(QUERY_KEYS)}, got a {type(obj).__name__}.")
            continue
        unknown = sorted(set(obj) - set(QUERY_KEYS))
        if unknown:
            errors.add(number, f"unknown field(s) {unknown}; expected only {list(QUERY_KEYS)}.")
            continue
        missing = [k for k in QUERY_KEYS if k not in obj]
        if missing:
            errors.add(number, f"missing field(s) {missing}; expected an object like {_EXAMPLE_LINE}")
            continue
        query = obj["query"]
        if isinstance(query, str):
            q_text, q_image = query, None
        elif isinstance(query, dict):
            bad = sorted(set(query) - {"text", "image"})
            if bad:
                errors.add(number, f"query has unknown field(s) {bad}; expected 'text' and/or 'image'.")
                continue
            q_text, q_image = query.get("text"), query.get("image")
        else:
            errors.add(number, f"query must be an object {{\"text\": ..., \"image\": ...}} or a string, got {query!r}.")
            continue
        cands = obj["candidates"]
        if not isinstance(cands, list):
            errors.add(number, f"candidates must be a list of objects, got {type(cands).__name__}.")
            continue
        raw_cands: list[_RawCandidate] = []
        for i, cand in enumerate(cands, start=1):
            if not isinstance(cand, dict):
                errors.add(number, f"candidate {i} must be an object with {list(CANDIDATE_KEYS)}, got {cand!r}.")
                continue
            bad = sorted(set(cand) - set(CANDIDATE_KEYS))
            if bad:
                errors.add(number, f"candidate {i} has unknown field(s) {bad}; expected {list(CANDIDATE_KEYS)}.")
                continue
            raw_cands.append(
                _RawCandidate(number, cand.get("docid"), cand.get("text"), cand.get("image"), cand.get("label", _MISSING), f"candidate {i}")
            )
        if len(raw_cands) != len(cands):
            continue
        yield _RawQuery(number, obj["qid"], q_text, q_image, raw_cands)


_MISSING = object()


def _csv_queries(text: str, errors: _Collector) -> Iterator[_RawQuery]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        errors.add(1, f"unreadable CSV header ({exc}).")
        return
    header = [h.strip() for h in header]
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [c for c in header if c not in CSV_REQUIRED + CSV_OPTIONAL]
    dupes = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or dupes:
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing}")
        if unknown:
            parts.append(f"unknown column(s) {unknown}")
        if dupes:
            parts.append(f"repeated column(s) {dupes}")
        errors.add(
            1,
            f"{'; '.join(parts)} in the header {header}. Expected the columns {','.join(CSV_REQUIRED)} "
            f"(optionally {', '.join(CSV_OPTIONAL)}).",
        )
        return
    col = {c: header.index(c) for c in header}
    by_qid: dict[str, _RawQuery] = {}
    prev_end = reader.line_num
    while True:
        start = prev_end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.add(start, f"unreadable CSV row ({exc}).")
            return
        prev_end = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.add(start, f"has {len(row)} fields, expected {len(header)} ({','.join(header)}). Quote fields that contain commas.")
            continue
        cell = {c: row[i] for c, i in col.items()}
        qid = cell["qid"].strip()
        q_text = cell["query"] if cell["query"].strip() else None  # an image-only query leaves the text cell empty
        q_image = cell.get("query_image", "").strip() or None
        cand = _RawCandidate(
            start,
            cell["docid"].strip(),
            cell["document"] if cell["document"].strip() else None,
            cell.get("document_image", "").strip() or None,
            _csv_label(cell["label"]),
            "",
        )
        if qid in by_qid:
            first = by_qid[qid]
            if q_text != first.text or q_image != first.image:
                errors.add(
                    start,
                    f"query text/image for qid {qid!r} differs from line {first.line} ({first.text!r}); every row of a "
                    "query must repeat the same query.",
                )
                continue
            first.candidates.append(cand)
        else:
            by_qid[qid] = _RawQuery(start, qid, q_text, q_image, [cand])
    yield from by_qid.values()


class _CsvLabel(str):
    """A label cell as written, so the message can quote it."""


def _csv_label(cell: str) -> Any:
    value = cell.strip()
    if re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    return _CsvLabel(value)


def _check_id(value: Any, what: str) -> tuple[str | None, str | None]:
    """Returns (id, problem)."""
    if value is None or value is _MISSING:
        return None, f"missing {what}; expected a non-empty string without spaces."
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None, f"{what} must be a string (or integer), got {value!r}."
    text = str(value)
    if not text:
        return None, f"{what} is empty; expected a non-empty string without spaces."
    if _WHITESPACE.search(text):
        return None, f"{what} {text!r} contains whitespace; TREC run and qrels files are whitespace-separated, so ids cannot."
    return text, None


def _check_label(value: Any, where: str) -> tuple[int | None, str | None]:
    if value is _MISSING or value is None:
        return None, f"{where}: missing label; expected a non-negative integer (0 = not relevant, higher = more relevant)."
    if isinstance(value, bool) or not isinstance(value, int):
        shown = repr(str(value)) if isinstance(value, _CsvLabel) else f"{value!r} ({type(value).__name__})"
        return None, f"{where}: label must be a non-negative integer, got {shown}. Use graded integers such as 0, 1, 2, 3."
    if value < 0:
        return None, f"{where}: label must be a non-negative integer, got {value}. Use 0 for not relevant."
    return value, None


def _build_query(raw: _RawQuery, errors: _Collector, resolver: _Resolver, hasher: Any) -> LabelledQuery | None:
    n_before = len(errors.entries)
    qid, problem = _check_id(raw.qid, "qid")
    if problem:
        errors.add(raw.line, problem)
        return None
    q_text = raw.text
    if q_text is not None and not isinstance(q_text, str):
        errors.add(raw.line, f"query {qid!r}: text must be a string, got {q_text!r}.")
    q_image = q_image_name = None
    if raw.image is not None:
        if not isinstance(raw.image, str) or not raw.image.strip():
            errors.add(raw.line, f"query {qid!r}: image must be a path string relative to the file, got {raw.image!r}.")
        else:
            q_image, q_image_name = _image(resolver, raw.image, f"query {qid!r} image", raw.line, errors, hasher)
    if (not isinstance(q_text, str) or not q_text.strip()) and raw.image is None:
        errors.add(raw.line, f"query {qid!r} has neither text nor image; give it text, an image, or both.")
    if not raw.candidates:
        errors.add(raw.line, f"query {qid!r} has no candidates; expected a non-empty list of labelled documents.")
    candidates: list[Candidate] = []
    seen: dict[str, str] = {}
    for rc in raw.candidates:
        docid, problem = _check_id(rc.docid, "docid")
        if problem:
            errors.add(rc.line, f"{rc.where or 'row'} of query {qid!r}: {problem}")
            continue
        where = f"candidate {docid!r}" + (f" ({rc.where})" if rc.where else "") + f" of query {qid!r}"
        if docid in seen:
            errors.add(rc.line, f"{where}: duplicate docid, already used by {seen[docid]}; docids must be unique within a query.")
            continue
        seen[docid] = rc.where or f"the row on line {rc.line}"
        label, problem = _check_label(rc.label, where)
        if problem:
            errors.add(rc.line, problem)
        text = rc.text
        if text is not None and not isinstance(text, str):
            errors.add(rc.line, f"{where}: text must be a string, got {text!r}.")
            text = None
        image = image_name = None
        if rc.image is not None:
            if not isinstance(rc.image, str) or not rc.image.strip():
                errors.add(rc.line, f"{where}: image must be a path string relative to the file, got {rc.image!r}.")
            else:
                image, image_name = _image(resolver, rc.image, f"{where} image", rc.line, errors, hasher)
        if (text is None or not text.strip()) and rc.image is None:
            errors.add(rc.line, f"{where} has neither text nor image; give it text, an image, or both (or remove it).")
        if label is not None:
            candidates.append(Candidate(docid, label, text, image, image_name, rc.line))
    if len(errors.entries) != n_before:
        return None
    return LabelledQuery(qid, q_text, tuple(candidates), q_image, q_image_name, raw.line)


def _image(
    resolver: _Resolver, written: str, what: str, line: int, errors: _Collector, hasher: Any
) -> tuple[ImageRef | None, str | None]:
    try:
        ref, digest = resolver.resolve(written, f"{resolver.display}, line {line}: {what}")
    except ValueError as exc:
        # The resolver's message already names the file, line and image; keep it whole.
        errors.add_raw(line, str(exc))
        return None, None
    hasher.update(digest.encode())
    return ref, written


__all__ = [
    "CSV_OPTIONAL",
    "CSV_REQUIRED",
    "DATA_DIR",
    "SHIPPED_SETS",
    "Candidate",
    "ImageRef",
    "LabelledQuery",
    "LabelledSet",
    "LabelledSetError",
    "load_labelled_set",
    "shipped_set_path",
]

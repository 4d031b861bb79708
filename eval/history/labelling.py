"""Grade a query's titles and save them into a labelled set: JSONL in the evaluation format (see
:mod:`eval.sets.loader`).

Sets saved here live in :func:`eval.history.workspace.sets_dir` (``$LYCHEE_SETS_DIR``, default ``data/sets``). A save:

* validates the record first (query id, grades 0–3 for every title) and refuses with a message naming what is wrong;
* refuses to add to a file that does not load through the evaluation loader (it names the loader's problem);
* refuses to overwrite a query that is already in the set (same query id, or the same query text and image) unless
  ``replace=True`` — the page asks the analyst first;
* refuses a save that would bring the sets folder (sets and images) over ``LYCHEE_SETS_MAX_MB`` (default 500 MB);
* writes the whole new file to a temporary file in the same folder, loads it back through
  :func:`eval.sets.loader.load_labelled_set`, and only then renames it over the set (``os.replace``, atomic on one file
  system), so a set is never half written and always reloads;
* holds an exclusive lock on the set (``fcntl.flock`` on a hidden ``.<name>.lock`` file) from reading to renaming, so
  two sessions saving into the same set at once both land.

A query image is stored once as ``img/<sha256>.png`` beside the sets and referenced by that relative path.

Example:
    >>> record = make_record(qid="boots", text="waterproof boots", titles=["Hiking boot", "Mug"], grades=[3, 0])
    >>> save_query(record, set_file=set_path("my-set"))
    SaveResult(path=PosixPath('.../data/sets/my-set.jsonl'), qid='boots', n_queries=1, replaced=False)
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from eval.history.workspace import folder_bytes, sets_dir, sets_max_bytes
from eval.sets.atomic import write_atomically
from eval.sets.loader import FORMATS, load_labelled_set

GRADES = (0, 1, 2, 3)
GRADE_MEANING = {0: "not relevant", 1: "marginal", 2: "relevant", 3: "exactly what was asked"}
IMAGE_FOLDER = "img"
_SET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
_QID_CHARS = re.compile(r"[^\w.-]+")


@dataclass(frozen=True)
class GradedTitle:
    """One title with its grade; ``docid`` is ``d<original position>`` (zero-padded)."""

    docid: str
    text: str
    grade: int


@dataclass(frozen=True)
class QueryRecord:
    """A graded query ready to save. ``image_png`` holds the query image encoded as PNG, or ``None``."""

    qid: str
    text: str | None
    titles: tuple[GradedTitle, ...]
    image_png: bytes | None = field(default=None, repr=False)

    @property
    def image_name(self) -> str | None:
        """The image's path relative to the set file (``img/<sha256>.png``)."""
        if self.image_png is None:
            return None
        return f"{IMAGE_FOLDER}/{hashlib.sha256(self.image_png).hexdigest()}.png"

    def as_json(self) -> dict:
        """The JSONL object of this query, in the evaluation format."""
        query: dict[str, str] = {}
        if self.text is not None:
            query["text"] = self.text
        if self.image_name is not None:
            query["image"] = self.image_name
        return {
            "qid": self.qid,
            "query": query,
            "candidates": [{"docid": t.docid, "text": t.text, "label": t.grade} for t in self.titles],
        }


@dataclass(frozen=True)
class SaveResult:
    """Where a query was saved, how many queries the set holds now, and whether an old entry was replaced."""

    path: Path
    qid: str
    n_queries: int
    replaced: bool


class QueryExistsError(ValueError):
    """The query is already in the set; ``existing`` lists ``(line, qid, query text)`` of every matching entry."""

    def __init__(self, path: Path, qid: str, existing: list[tuple[int, str, str | None]]) -> None:
        self.path = path
        self.qid = qid
        self.existing = existing
        shown = "; ".join(f"line {line}: query {q!r} ({text!r})" for line, q, text in existing)
        super().__init__(
            f"{path.name}: query {qid!r} is already in the set ({shown}). Confirm to replace it with the new grades, "
            "or change the query id to add it as another query."
        )


# --- names and paths ------------------------------------------------------------------------------------------------
def default_qid(text: str | None, image_png: bytes | None = None) -> str:
    """A readable, stable query id: the query's words joined by ``-`` (letters of any script kept), at most 40
    characters; ``img-<hash>`` for an image-only query. The same query always gets the same id."""
    slug = _QID_CHARS.sub("-", (text or "").strip().casefold()).strip("-")[:40].strip("-")
    if slug:
        return slug
    digest = hashlib.sha256(image_png or b"").hexdigest()[:10]
    return f"img-{digest}"


def set_path(name: str, *, folder: str | os.PathLike | None = None) -> Path:
    """The file of the set called ``name`` (``.jsonl`` added when missing) in ``folder`` (default :func:`sets_dir`).

    Raises:
        ValueError: the name is empty, holds a path separator, or characters other than letters, digits, ``_.-``.
    """
    clean = (name or "").strip()
    if clean.lower().endswith(".jsonl"):
        clean = clean[: -len(".jsonl")]
    if not _SET_NAME.fullmatch(clean):
        raise ValueError(
            f"set name {name!r} cannot be used: expected 1-80 letters, digits, '_', '.' or '-' (starting with a letter "
            "or digit), e.g. 'shoes-2024'. Sets are saved as <name>.jsonl in the sets folder."
        )
    return Path(folder if folder is not None else sets_dir()) / f"{clean}.jsonl"


def list_sets(folder: str | os.PathLike | None = None) -> list[Path]:
    """Labelled-set files (``.jsonl``, ``.csv``, ``.zip``) in ``folder`` (default :func:`sets_dir`), by name."""
    base = Path(folder if folder is not None else sets_dir())
    if not base.is_dir():
        return []
    return sorted(
        p for p in base.iterdir() if p.is_file() and p.suffix.lower() in FORMATS and not p.name.startswith(".")
    )


# --- building a record ----------------------------------------------------------------------------------------------
def make_record(
    *,
    qid: str,
    text: str | None,
    titles: Sequence[str],
    grades: Sequence[int | None],
    image: Image.Image | None = None,
) -> QueryRecord:
    """A :class:`QueryRecord` from the page's inputs, validated.

    Args:
        qid: the query id (no whitespace).
        text: the query text; blank counts as none.
        titles: the titles in their original order (docids follow it).
        grades: one grade per title, 0–3; ``None`` marks an ungraded title.
        image: the query image, if any (saved as PNG).

    Raises:
        ValueError: an empty or spaced query id, a query with neither text nor image, no titles, a grade count that
            differs from the title count, an ungraded title (their positions are named) or a grade outside 0–3.
    """
    qid = (qid or "").strip()
    if not qid or re.search(r"\s", qid):
        raise ValueError(
            f"query id {qid!r} cannot be used: expected a non-empty id without spaces (TREC files are space-separated), "
            f"e.g. {default_qid(text)!r}."
        )
    text = text if text is not None and text.strip() else None
    if text is None and image is None:
        raise ValueError("the query has neither text nor image; there is nothing to save as a labelled query.")
    if not titles:
        raise ValueError("no titles to save: rerank some titles first, then grade them.")
    if len(grades) != len(titles):
        raise ValueError(f"got {len(grades)} grades for {len(titles)} titles; expected one grade per title.")
    missing = [i + 1 for i, g in enumerate(grades) if g is None]
    if missing:
        shown = ", ".join(f"#{i}" for i in missing[:10]) + (" …" if len(missing) > 10 else "")
        raise ValueError(
            f"{len(missing)} of {len(titles)} titles have no grade yet (original positions {shown}). Grade every title "
            "0-3 (0 = not relevant) before saving, so the set says what is not relevant too."
        )
    bad = [(i + 1, g) for i, g in enumerate(grades) if isinstance(g, bool) or g not in GRADES]
    if bad:
        raise ValueError(
            f"grades must be 0, 1, 2 or 3; got {', '.join(f'{g!r} for #{i}' for i, g in bad[:10])}. Fix those grades."
        )
    width = len(str(len(titles)))
    graded = tuple(
        GradedTitle(docid=f"d{i:0{width}d}", text=t, grade=int(g)) for i, (t, g) in enumerate(zip(titles, grades), 1)
    )
    png = None
    if image is not None:
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        png = buf.getvalue()
    return QueryRecord(qid=qid, text=text, titles=graded, image_png=png)


# --- saving ---------------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock = path.with_name(f".{path.name}.lock")
    with open(lock, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _same_query(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _existing_lines(path: Path) -> list[tuple[int, dict]]:
    """The set's entries as ``(line, object)``, after proving the file loads through the evaluation loader."""
    try:
        load_labelled_set(path)
    except ValueError as exc:
        raise ValueError(
            f"cannot add to {path}: it does not load as a labelled set, and a save must leave a set that does. "
            f"Fix the file or save into a new set. The loader said: {exc}"
        ) from exc
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").split("\n"), start=1):
        if line.strip():
            entries.append((number, json.loads(line)))
    return entries


def _query_fields(obj: dict) -> tuple[str | None, str | None]:
    query = obj.get("query")
    if isinstance(query, str):
        return query, None
    return query.get("text"), query.get("image")


def _conflicts(entries: list[tuple[int, dict]], record: QueryRecord) -> list[int]:
    """Indexes of the entries that are the same query: same qid, or same text and same image."""
    out = []
    for i, (_, obj) in enumerate(entries):
        text, image = _query_fields(obj)
        same_text = _same_query(text, record.text) or (text is None and record.text is None)
        if str(obj["qid"]) == record.qid or (same_text and image == record.image_name):
            out.append(i)
    return out


def _check_quota(path: Path, data: bytes, record: QueryRecord) -> None:
    """Refuse a save that would bring the sets folder over ``LYCHEE_SETS_MAX_MB`` (nothing is written then)."""
    quota = sets_max_bytes()
    image = path.parent / record.image_name if record.image_png is not None else None
    grows = len(data) - (path.stat().st_size if path.exists() else 0)
    grows += len(record.image_png) if image is not None and not image.exists() else 0
    used = folder_bytes(path.parent)
    if grows > 0 and used + grows > quota:
        raise ValueError(
            f"saving query {record.qid!r} into {path.name} would bring the sets folder to {(used + grows) / 1e6:.1f} "
            f"MB; its quota is {quota / 1e6:g} MB (LYCHEE_SETS_MAX_MB). Delete sets you no longer need, or ask the "
            "server's operator to raise the quota."
        )


def save_query(record: QueryRecord, *, set_file: str | os.PathLike, replace: bool = False) -> SaveResult:
    """Add ``record`` to the set at ``set_file`` (created when missing), or replace its earlier entry.

    Args:
        record: from :func:`make_record`.
        set_file: a ``.jsonl`` path, usually from :func:`set_path`.
        replace: replace an entry of the same query (same qid, or same text and image) — only after the analyst
            confirmed; without it such a save raises :class:`QueryExistsError` and writes nothing.

    Returns:
        A :class:`SaveResult`.

    Raises:
        QueryExistsError: the query is already in the set and ``replace`` is False.
        ValueError: the set is not a ``.jsonl`` file, the existing file does not load as a labelled set, the new
            file would not, or the save would bring the sets folder over ``LYCHEE_SETS_MAX_MB`` (nothing is written
            then).
        OSError: the folder cannot be written (permissions, disk full); nothing is half written.
    """
    path = Path(set_file)
    if path.suffix.lower() != ".jsonl":
        raise ValueError(f"labelled queries are saved as JSONL; got {path.name!r}. Expected a file ending in .jsonl.")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        entries = _existing_lines(path) if path.exists() else []
        conflicts = _conflicts(entries, record)
        if conflicts and not replace:
            raise QueryExistsError(
                path,
                record.qid,
                [(entries[i][0], str(entries[i][1]["qid"]), _query_fields(entries[i][1])[0]) for i in conflicts],
            )
        objects = [obj for _, obj in entries]
        new = record.as_json()
        if conflicts:
            objects[conflicts[0]] = new
            objects = [obj for i, obj in enumerate(objects) if i not in conflicts[1:]]
        else:
            objects.append(new)
        data = "".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in objects).encode("utf-8")
        _check_quota(path, data, record)
        if record.image_png is not None:
            image_path = path.parent / record.image_name
            if not image_path.exists():
                image_path.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(image_path, record.image_png)
        # The set must reload through the evaluation loader before it replaces anything.
        reloaded = write_atomically(path, data, check=lambda tmp: load_labelled_set(tmp, name=str(path)))
        _fsync_dir(path.parent)
    return SaveResult(path=path, qid=record.qid, n_queries=len(reloaded.queries), replaced=bool(conflicts))


__all__ = [
    "GRADES",
    "GRADE_MEANING",
    "GradedTitle",
    "QueryExistsError",
    "QueryRecord",
    "SaveResult",
    "default_qid",
    "list_sets",
    "make_record",
    "save_query",
    "set_path",
]

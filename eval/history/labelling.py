"""Grade a query's titles and save them into a labelled set: JSONL in the evaluation format (see
:mod:`eval.sets.loader`), one rater at a time, never dropping another rater's grades.

Sets saved here live in :func:`eval.history.workspace.sets_dir` (``$LYCHEE_SETS_DIR``, default ``data/sets``). A save:

* validates the record first (query id, rater, grades 0–3 where given; at least one title graded — an ungraded title
  stays *unjudged*, never 0) and refuses with a message naming what is wrong;
* merges into the set: a query already there (same query id, or the same query text and image) gets this rater's
  grades beside the other raters' (``"grades": {"<rater>": grade}``, with ``"graded_at"`` and the query's
  ``"judging"`` record: when, whether the model's scores had been shown, the seed of the shuffled order), and its
  ``label`` becomes the aggregate by the set's rule; titles are matched by document id (the Judge page) or by text
  (Batch rerank), and new titles are added;
* asks before replacing: when this rater has already graded the query, the save raises :class:`QueryExistsError`
  unless ``replace=True`` (the page asks the analyst first); replacing drops only this rater's earlier grades;
* goes through :func:`eval.history.setfile.edit_set`: under the set's file lock from reading to renaming (two
  processes saving different raters' grades at once both land), reloaded through the evaluation loader before it
  replaces the file; a save that would bring the sets folder (sets and images) over ``LYCHEE_SETS_MAX_MB``
  (default 500 MB) is refused;
* is an editor's act (:func:`lychee.roles.require_editor`), and the query's line records who saved it last
  (``"saved_by"``, which the evaluation reads and ignores; lines saved before have none; each grade's rater is in its
  ``grades``).

A query image is stored once as ``img/<sha256>.png`` beside the sets and referenced by that relative path.

Example:
    >>> record = make_record(qid="boots", text="waterproof boots", titles=["Hiking boot", "Mug"], grades=[3, None],
    ...                      rater="alice")
    >>> save_query(record, set_file=set_path("my-set"), actor=Actor("ana@example.com", "editor"))
    SaveResult(path=PosixPath('.../data/sets/my-set.jsonl'), qid='boots', n_queries=1, replaced=False, raters=...)
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from PIL import Image

from eval.history.setfile import SetContent, derive_label, edit_set, ensure_grades
from eval.history.workspace import sets_dir
from eval.sets.grades import check_rater
from eval.sets.loader import FORMATS
from lychee.roles import Actor, require_editor

GRADES = (0, 1, 2, 3)
GRADE_MEANING = {0: "not relevant", 1: "marginal", 2: "relevant", 3: "exactly what was asked"}
IMAGE_FOLDER = "img"
_SET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
_QID_CHARS = re.compile(r"[^\w.-]+")


def now() -> str:
    """The time a grade is recorded with: ISO 8601, UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class GradedTitle:
    """One title with this rater's grade (``None``: not graded, it stays unjudged); ``docid`` is the set's id (the
    Judge page) or ``d<original position>`` (zero-padded; Batch rerank)."""

    docid: str
    text: str | None
    grade: int | None


@dataclass(frozen=True)
class QueryRecord:
    """One rater's grades of a query, ready to save.

    Attributes:
        qid, text: the query's id and text.
        titles: the titles with this rater's grades.
        image_png: the query image encoded as PNG, or ``None``.
        rater: who graded (the signed-in user, or the name the page asked for).
        at: when (ISO 8601); every grade of the record is stamped with it.
        scores_shown: whether the rater had seen the model's scores before saving (``None``: not recorded).
        seed: the seed of the shuffled order the titles were shown in (``None``: shown in the list's order).
        by_docid: match titles to the set's candidates by document id (the Judge page, whose ids are the set's)
            rather than by text (Batch rerank, whose ids are positions in a pasted list).
    """

    qid: str
    text: str | None
    titles: tuple[GradedTitle, ...]
    image_png: bytes | None = field(default=None, repr=False)
    rater: str = ""
    at: str = ""
    scores_shown: bool | None = None
    seed: int | None = None
    by_docid: bool = False

    @property
    def image_name(self) -> str | None:
        """The image's path relative to the set file (``img/<sha256>.png``)."""
        if self.image_png is None:
            return None
        return f"{IMAGE_FOLDER}/{hashlib.sha256(self.image_png).hexdigest()}.png"

    @property
    def session(self) -> dict[str, Any]:
        """The query's ``judging`` entry for this rater: when, whether the scores were shown, the order's seed."""
        out: dict[str, Any] = {"at": self.at}
        if self.scores_shown is not None:
            out["scores_shown"] = self.scores_shown
        if self.seed is not None:
            out["seed"] = self.seed
        return out

    def as_json(self) -> dict:
        """The JSONL object of this query alone (no other rater yet), in the evaluation format."""
        query: dict[str, str] = {}
        if self.text is not None:
            query["text"] = self.text
        if self.image_name is not None:
            query["image"] = self.image_name
        candidates = []
        for t in self.titles:
            candidate: dict[str, Any] = {"docid": t.docid}
            if t.text is not None:
                candidate["text"] = t.text
            if t.grade is not None:
                candidate.update(label=t.grade, grades={self.rater: t.grade}, graded_at={self.rater: self.at})
            candidates.append(candidate)
        return {"qid": self.qid, "query": query, "candidates": candidates, "judging": {self.rater: self.session}}


@dataclass(frozen=True)
class SaveResult:
    """Where a query was saved, how many queries the set holds now, whether this rater's earlier grades were
    replaced, and every rater of the query now."""

    path: Path
    qid: str
    n_queries: int
    replaced: bool
    raters: tuple[str, ...] = ()


class QueryExistsError(ValueError):
    """This rater already graded the query; ``existing`` lists ``(line, qid, query text)`` of the entry."""

    def __init__(self, path: Path, qid: str, existing: list[tuple[int, str, str | None]], rater: str = "") -> None:
        self.path = path
        self.qid = qid
        self.existing = existing
        self.rater = rater
        shown = "; ".join(f"line {line}: query {q!r} ({text!r})" for line, q, text in existing)
        super().__init__(
            f"{path.name}: {rater!r} has already graded query {qid!r} in the set ({shown}). Confirm to replace your "
            "grades of it with the new ones (other raters' grades are kept), or change the query id to add it as "
            "another query."
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
def _check_grades(titles: Sequence[Any], grades: Sequence[int | None]) -> None:
    if len(grades) != len(titles):
        raise ValueError(f"got {len(grades)} grades for {len(titles)} titles; expected one grade per title.")
    bad = [(i + 1, g) for i, g in enumerate(grades) if g is not None and (isinstance(g, bool) or g not in GRADES)]
    if bad:
        raise ValueError(
            f"grades must be 0, 1, 2 or 3; got {', '.join(f'{g!r} for #{i}' for i, g in bad[:10])}. Fix those grades."
        )
    if all(g is None for g in grades):
        raise ValueError(
            f"none of the {len(titles)} titles has a grade yet: grade at least one title 0-3 (0 = not relevant) "
            "before saving. Titles you leave ungraded stay unjudged, not 0."
        )


def make_record(
    *,
    qid: str,
    text: str | None,
    titles: Sequence[str | None],
    grades: Sequence[int | None],
    rater: str,
    image: Image.Image | None = None,
    docids: Sequence[str] | None = None,
    at: str | None = None,
    scores_shown: bool | None = None,
    seed: int | None = None,
) -> QueryRecord:
    """A :class:`QueryRecord` from a page's inputs, validated.

    Args:
        qid: the query id (no whitespace).
        text: the query text; blank counts as none.
        titles: the titles in their original order (``None`` for an image-only candidate of a set).
        grades: one grade per title, 0–3; ``None`` leaves a title ungraded (unjudged, not 0).
        rater: who graded (:func:`eval.sets.grades.check_rater`).
        image: the query image, if any (saved as PNG).
        docids: the titles' document ids in the set (the Judge page); default ``d<position>``, matched by text.
        at: when (default now).
        scores_shown: whether the model's scores were on screen before the save.
        seed: the seed of the shuffled order.

    Raises:
        ValueError: an empty or spaced query id, a bad rater name, a query with neither text nor image, no titles, a
            grade count that differs from the title count, a grade outside 0–3, or no grade at all.
    """
    qid = (qid or "").strip()
    if not qid or re.search(r"\s", qid):
        raise ValueError(
            f"query id {qid!r} cannot be used: expected a non-empty id without spaces (TREC files are space-separated), "
            f"e.g. {default_qid(text)!r}."
        )
    rater = check_rater(rater)
    text = text if text is not None and text.strip() else None
    if text is None and image is None and docids is None:
        raise ValueError("the query has neither text nor image; there is nothing to save as a labelled query.")
    if not titles:
        raise ValueError("no titles to save: rerank some titles first, then grade them.")
    _check_grades(titles, grades)
    if docids is not None and len(docids) != len(titles):
        raise ValueError(f"got {len(docids)} document ids for {len(titles)} titles; expected one per title.")
    width = len(str(len(titles)))
    ids = list(docids) if docids is not None else [f"d{i:0{width}d}" for i in range(1, len(titles) + 1)]
    graded = tuple(
        GradedTitle(docid=d, text=t, grade=None if g is None else int(g)) for d, t, g in zip(ids, titles, grades)
    )
    png = None
    if image is not None:
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        png = buf.getvalue()
    return QueryRecord(
        qid=qid,
        text=text,
        titles=graded,
        image_png=png,
        rater=rater,
        at=at or now(),
        scores_shown=scores_shown,
        seed=seed,
        by_docid=docids is not None,
    )


# --- saving ---------------------------------------------------------------------------------------------------------
def _same_query(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _query_fields(obj: dict) -> tuple[str | None, str | None]:
    query = obj.get("query")
    if isinstance(query, str):
        return query, None
    return query.get("text"), query.get("image")


def _matching_entry(content: SetContent, record: QueryRecord) -> int | None:
    """Index of the entry that is the same query: same qid first, else the same text and image."""
    for i, (_, obj) in enumerate(content.entries):
        if str(obj["qid"]) == record.qid:
            return i
    if record.by_docid:
        return None
    for i, (_, obj) in enumerate(content.entries):
        text, image = _query_fields(obj)
        same_text = _same_query(text, record.text) or (text is None and record.text is None)
        if same_text and image == record.image_name:
            return i
    return None


def _has_graded(obj: dict, rater: str) -> bool:
    return rater in (obj.get("judging") or {}) or any(rater in (c.get("grades") or {}) for c in obj["candidates"])


def _forget_rater(obj: dict, rater: str, rule: str) -> None:
    """Remove ``rater``'s grades from a query object (a confirmed replace); candidates left without grades become
    unjudged."""
    (obj.get("judging") or {}).pop(rater, None)
    for candidate in obj["candidates"]:
        grades = candidate.get("grades") or {}
        if rater in grades:
            del grades[rater]
            (candidate.get("graded_at") or {}).pop(rater, None)
            if not grades:
                for key in ("grades", "graded_at", "label", "adjudicated"):
                    candidate.pop(key, None)
            else:
                derive_label(candidate, rule)


def _target_candidates(obj: dict, record: QueryRecord) -> list[dict]:
    """The query object's candidate for each title of ``record``, in order; titles not in the query are added."""
    candidates = obj["candidates"]
    by_id = {str(c["docid"]): c for c in candidates}
    by_text: dict[str | None, list[dict]] = {}
    for c in candidates:
        by_text.setdefault(c.get("text"), []).append(c)
    out = []
    for title in record.titles:
        match = by_id.get(title.docid) if record.by_docid else (by_text.get(title.text) or [None]).pop(0)
        if match is None:
            if record.by_docid:
                raise ValueError(
                    f"query {obj['qid']!r} of the set has no document {title.docid!r}; reload the set and grade again."
                )
            match = {"docid": _free_docid(by_id), "text": title.text}
            by_id[match["docid"]] = match
            candidates.append(match)
        out.append(match)
    return out


def _free_docid(taken: dict[str, Any]) -> str:
    """``d<n>`` for the first n above the candidates' count that no candidate uses."""
    n = len(taken) + 1
    while f"d{n}" in taken:
        n += 1
    return f"d{n}"


def _merge(obj: dict, record: QueryRecord, rule: str) -> None:
    """Add ``record``'s grades (and its judging entry) to the query object ``obj``; labels follow ``rule``."""
    for title, candidate in zip(record.titles, _target_candidates(obj, record)):
        if title.grade is None:
            continue
        ensure_grades(candidate)[record.rater] = title.grade
        candidate.setdefault("graded_at", {})[record.rater] = record.at
        derive_label(candidate, rule)
    obj.setdefault("judging", {})[record.rater] = record.session


def save_query(
    record: QueryRecord, *, set_file: str | os.PathLike, actor: Actor, replace: bool = False
) -> SaveResult:
    """Save ``record``'s grades into the set at ``set_file`` (created when missing), beside other raters' grades.

    Args:
        record: from :func:`make_record`.
        set_file: a ``.jsonl`` path, usually from :func:`set_path`.
        actor: who saves: only an editor may (the line records their name as ``saved_by``).
        replace: replace this rater's earlier grades of the same query (same qid, or same text and image) — only after
            the analyst confirmed; without it such a save raises :class:`QueryExistsError` and writes nothing. Other
            raters' grades are never dropped.

    Returns:
        A :class:`SaveResult`.

    Raises:
        PermissionDeniedError: ``actor`` is not an editor (nothing is written).
        QueryExistsError: this rater already graded the query and ``replace`` is False.
        ValueError: the set is not a ``.jsonl`` file, the existing file does not load as a labelled set, the new
            file would not, or the save would bring the sets folder over ``LYCHEE_SETS_MAX_MB`` (nothing is written
            then).
        OSError: the folder cannot be written (permissions, disk full); nothing is half written.
    """
    require_editor(actor, "save queries into labelled sets")
    path = Path(set_file)

    def change(content: SetContent) -> tuple[str, bool, tuple[str, ...]]:
        if record.image_png is not None:  # stored beside the set, once: its name is its hash
            content.files[path.parent / record.image_name] = record.image_png
        index = _matching_entry(content, record)
        if index is None:
            content.entries.append((0, {**record.as_json(), "saved_by": actor.name}))
            return record.qid, False, (record.rater,)
        line, obj = content.entries[index]
        already = _has_graded(obj, record.rater)
        if already and not replace:
            existing = [(line, str(obj["qid"]), _query_fields(obj)[0])]
            raise QueryExistsError(path, str(obj["qid"]), existing, record.rater)
        if already:
            _forget_rater(obj, record.rater, content.rule)
        _merge(obj, record, content.rule)
        obj["saved_by"] = actor.name
        raters = sorted({r for c in obj["candidates"] for r in (c.get("grades") or {})})
        return str(obj["qid"]), already, tuple(raters)

    (qid, replaced, raters), reloaded = edit_set(path, change, create=True)
    return SaveResult(path=path, qid=qid, n_queries=len(reloaded.queries), replaced=replaced, raters=raters)


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
    "now",
    "save_query",
    "set_path",
]

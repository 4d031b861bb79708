"""Editing a saved JSONL set in place, safely: the lock, the read, and the checked atomic write every edit shares.

Every change to a saved set — a rater's grades (:mod:`eval.history.labelling`), an adjudication, the guidelines or the
aggregation rule (:mod:`eval.history.judging`) — goes through :func:`edit_set`:

* an exclusive lock on the set (``fcntl.flock`` on a hidden ``.<name>.lock`` beside it) is held from reading to
  renaming, so two processes (or two dashboard sessions) editing the same set at once are serialised and both edits
  land — neither reads the file before the other's rename;
* the file must load through the evaluation loader before it is edited (a broken file is refused, naming the
  loader's problem);
* the new content is written to a temporary file, loaded back through :func:`eval.sets.loader.load_labelled_set`, and
  only then renamed over the set (:func:`eval.sets.atomic.write_atomically`), so a set is never half written and
  always reloads.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from eval.history.workspace import folder_bytes, sets_max_bytes
from eval.sets.atomic import write_atomically
from eval.sets.grades import DEFAULT_AGGREGATE, IMPLICIT_RATER, aggregate
from eval.sets.labelled import LabelledSet
from eval.sets.loader import load_labelled_set
from eval.sets.readers import HEADER_KEY

T = TypeVar("T")


@dataclass
class SetContent:
    """A JSONL set as objects: its header (``{"set": {...}}`` or ``None``) and its queries with their line numbers."""

    header: dict[str, Any] | None = None
    entries: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    #: Files to write beside the set (a query's image), written only when the set is, and counted in the quota.
    files: dict[Path, bytes] = field(default_factory=dict)

    @property
    def rule(self) -> str:
        """The set's aggregation rule (its header's, default ``mean``)."""
        return (self.header or {}).get(HEADER_KEY, {}).get("aggregate", DEFAULT_AGGREGATE)

    def settings(self) -> dict[str, Any]:
        """The header's body, created empty when the set has no header yet."""
        if self.header is None:
            self.header = {HEADER_KEY: {}}
        return self.header[HEADER_KEY]

    def find(self, qid: str) -> dict[str, Any] | None:
        """The query object with id ``qid``, or None."""
        return next((obj for _, obj in self.entries if str(obj["qid"]) == qid), None)

    def to_bytes(self) -> bytes:
        objects = ([self.header] if self.header is not None else []) + [obj for _, obj in self.entries]
        return "".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in objects).encode("utf-8")


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of the set at ``path`` (its hidden ``.<name>.lock`` file) for the block."""
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


def read_content(path: Path) -> SetContent:
    """The set's header and entries, after proving the file loads through the evaluation loader.

    Raises:
        ValueError: the file does not load as a labelled set (the loader's message is quoted).
    """
    try:
        load_labelled_set(path)
    except ValueError as exc:
        raise ValueError(
            f"cannot change {path}: it does not load as a labelled set, and a save must leave a set that does. "
            f"Fix the file or save into a new set. The loader said: {exc}"
        ) from exc
    content = SetContent()
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").split("\n"), start=1):
        if not line.strip():
            continue
        obj = json.loads(line)
        if HEADER_KEY in obj and "qid" not in obj:
            content.header = obj
        else:
            content.entries.append((number, obj))
    return content


def edit_set(
    path: str | os.PathLike, change: Callable[[SetContent], T], *, create: bool = False
) -> tuple[T, LabelledSet]:
    """Apply ``change`` to the set at ``path`` under its lock and write the result atomically, checked.

    Args:
        path: a ``.jsonl`` set.
        change: edits the :class:`SetContent` in place and returns what the caller wants back; raising inside it
            writes nothing.
        create: start from an empty set when the file does not exist (else that is an error).

    Returns:
        ``(what change returned, the set as reloaded from the new file)``.

    Raises:
        ValueError: not a ``.jsonl`` file, a missing set (without ``create``), a file that does not load, a change
            that would leave a file that does not load, or one that would bring the sets folder over
            ``LYCHEE_SETS_MAX_MB`` (nothing is written then).
        OSError: the folder cannot be written; nothing is half written.
    """
    path = Path(path)
    if path.suffix.lower() != ".jsonl":
        raise ValueError(f"labelled queries are saved as JSONL; got {path.name!r}. Expected a file ending in .jsonl.")
    if not create and not path.exists():
        raise ValueError(f"{path}: no such set. Save graded titles into it first (Batch rerank or the Judge page).")
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path):
        content = read_content(path) if path.exists() else SetContent()
        returned = change(content)
        data = content.to_bytes()
        new_files = {p: b for p, b in content.files.items() if not p.exists()}  # images are named by their hash
        _check_quota(path, data, new_files)
        for file, file_data in new_files.items():
            file.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(file, file_data)
        # The set must reload through the evaluation loader before it replaces anything.
        reloaded = write_atomically(path, data, check=lambda tmp: load_labelled_set(tmp, name=str(path)))
        _fsync_dir(path.parent)
    return returned, reloaded


def _check_quota(path: Path, data: bytes, new_files: dict[Path, bytes]) -> None:
    """Refuse an edit that would bring the sets folder over ``LYCHEE_SETS_MAX_MB`` (nothing is written then)."""
    quota = sets_max_bytes()
    grows = len(data) - (path.stat().st_size if path.exists() else 0) + sum(len(b) for b in new_files.values())
    used = folder_bytes(path.parent)
    if grows > 0 and used + grows > quota:
        raise ValueError(
            f"saving into {path.name} would bring the sets folder to {(used + grows) / 1e6:.1f} MB; its quota is "
            f"{quota / 1e6:g} MB (LYCHEE_SETS_MAX_MB). Delete sets you no longer need, or ask the server's operator "
            "to raise the quota."
        )


def derive_label(candidate: dict[str, Any], rule: str) -> None:
    """Set a candidate object's ``label`` from its adjudicated grade or its grades by ``rule`` (a candidate without
    grades keeps its plain label, or stays unjudged)."""
    final = candidate.get("adjudicated")
    grades = candidate.get("grades") or {}
    if final is not None:
        candidate["label"] = final["grade"]
    elif grades:
        candidate["label"] = aggregate(list(grades.values()), rule)


def ensure_grades(candidate: dict[str, Any]) -> dict[str, int]:
    """The candidate object's ``grades``, created from a plain ``label`` (the implicit rater's) when it has none."""
    grades = candidate.get("grades")
    if not grades:
        grades = {IMPLICIT_RATER: candidate["label"]} if candidate.get("label") is not None else {}
        candidate["grades"] = grades
    return grades


__all__ = ["SetContent", "derive_label", "edit_set", "ensure_grades", "locked", "read_content"]

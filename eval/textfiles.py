"""Text files in and out: reading line-based input files (TREC runs and qrels, TSV, JSONL) with a message per bad
line, writing a file atomically, and the aligned text tables the command lines print.

Every reader of :mod:`eval.sets.trec` and :mod:`eval.sets.corpus` streams its file through :func:`numbered_lines` (so a large
BEIR corpus is never held as one string) and collects problems in a :class:`Problems`, which raises one
:class:`~eval.sets.labelled.LabelledSetError` listing them all: a file with any problem is refused as a whole, so nothing
half-read is evaluated. :func:`write_atomically` writes every file that another process (or a crash) must never
see half written; :func:`table` lays out the tables of ``python -m eval`` and ``python -m eval.runs``.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# A file with a systematic problem (a wrong format) would otherwise produce one message per line; past this many,
# reading stops and the message says so.
MAX_PROBLEMS = 1000


class Problems:
    """Problems found in one or more input files, each already naming the file and line."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.messages: list[str] = []

    def add(self, file: str, line: int, message: str) -> None:
        """Record ``"<file>, line <n>: <message>"`` (``line`` 0: the file as a whole)."""
        self.messages.append(f"{file}, line {line}: {message}" if line else f"{file}: {message}")

    def add_raw(self, message: str) -> None:
        """Record a message that already names its file and line (e.g. from :func:`lychee.load_image`)."""
        self.messages.append(message)

    @property
    def full(self) -> bool:
        return len(self.messages) >= MAX_PROBLEMS

    def __bool__(self) -> bool:
        return bool(self.messages)

    def raise_if_any(self) -> None:
        """Raise :class:`~eval.sets.labelled.LabelledSetError` listing every problem, if there is one."""
        if not self.messages:
            return
        # imported here, not at the top: `python -m eval.runs` imports this module for table() only and need not
        # load the image and video stack that eval.sets.labelled brings
        from eval.sets.labelled import LabelledSetError

        messages = list(self.messages)
        if self.full:
            messages.append(f"stopped reading after {MAX_PROBLEMS} problems; fix these first.")
        raise LabelledSetError(messages, self.name)


def check_file(path: Path, what: str, problems: Problems, *, name: str | None = None) -> bool:
    """True when ``path`` is a readable file; else records why (``what`` says which input it is; ``name`` is how
    messages call the file, default its path)."""
    if path.is_file():
        return True
    state = "is a folder" if path.is_dir() else "file not found"
    problems.add(name or str(path), 0, f"{state}; expected {what}.")
    return False


def numbered_lines(
    path: Path, problems: Problems, *, hasher: Any | None = None, name: str | None = None
) -> Iterator[tuple[int, str]]:
    """``(line number, text without the line break)`` of each line of a UTF-8 file, streamed.

    A UTF-8 byte order mark is dropped; a line that is not valid UTF-8 is recorded as a problem and skipped.
    ``hasher`` (e.g. ``hashlib.sha256()``) is updated with the file's bytes. Reading stops once ``problems`` is full.
    ``name`` is how messages call the file (default its path).
    """
    name = name or str(path)
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if problems.full:
                return  # the file is refused anyway; its hash no longer matters
            if hasher is not None:
                hasher.update(raw)
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.add(name, number, f"not valid UTF-8 (byte {raw[exc.start]:#04x}); save the file as UTF-8.")
                continue
            yield number, text.rstrip("\r\n")


def check_id(value: Any, what: str) -> tuple[str | None, str | None]:
    """``(id, None)`` for a usable id, else ``(None, problem)``: ids are non-empty strings (or integers) without
    whitespace, since TREC run and qrels files are whitespace-separated."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None, f"{what} must be a string (or integer), got {value!r}."
    text = str(value)
    if not text:
        return None, f"{what} is empty; expected a non-empty id without spaces."
    if any(ch.isspace() for ch in text):
        return (
            None,
            f"{what} {text!r} contains whitespace; TREC run and qrels files are whitespace-separated, so ids cannot.",
        )
    return text, None


def write_atomically(path: Path, data: bytes | str, *, check: Callable[[Path], T] | None = None) -> T | None:
    """Write ``data`` (``str`` as UTF-8) to ``path`` so readers see the old file or the new one, never half of it.

    The bytes go to a hidden temporary file beside ``path``, are flushed and fsync-ed, and the file is renamed over
    ``path``. ``check`` (e.g. reloading the file) runs on the temporary file before the rename; if it raises, or the
    write fails, ``path`` is left as it was and the temporary file is removed. Returns what ``check`` returned.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        checked = check(tmp) if check is not None else None
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return checked


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: CJK characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("F", "W") else 1 for ch in text)


def table(rows: list[list[str]], *, right: int | None = None) -> list[str]:
    """The lines of a text table: the header row, a line of dashes, then the rows, each column padded to its display
    width (:func:`display_width`) and two spaces apart; columns from index ``right`` on are right-aligned (numbers),
    the others left-aligned. Trailing spaces are dropped."""
    widths = [max(display_width(r[i]) for r in rows) for i in range(len(rows[0]))]

    def pad(cell: str, i: int) -> str:
        fill = " " * (widths[i] - display_width(cell))
        return fill + cell if right is not None and i >= right else cell + fill

    lines = ["  ".join(pad(cell, i) for i, cell in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


__all__ = [
    "MAX_PROBLEMS",
    "Problems",
    "check_file",
    "check_id",
    "display_width",
    "numbered_lines",
    "table",
    "write_atomically",
]

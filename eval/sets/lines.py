"""Line-based input files (TREC runs and qrels, TSV, JSONL), streamed with a problem per bad line.

Every reader of :mod:`eval.sets.trec` and :mod:`eval.sets.corpus` streams its file through :func:`numbered_lines`
(so a large BEIR corpus is never held as one string) and records what it cannot read in a
:class:`~eval.sets.problems.Problems`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eval.sets.problems import Problems


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


__all__ = ["check_file", "check_id", "numbered_lines"]

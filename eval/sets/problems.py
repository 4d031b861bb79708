"""The problem collector of every input reader: each problem names its file and line, and a file with any problem is
refused as a whole (one :class:`~eval.sets.labelled.LabelledSetError` listing them all), so nothing half-read is
evaluated."""

from __future__ import annotations

from eval.sets.labelled import LabelledSetError

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
        messages = list(self.messages)
        if self.full:
            messages.append(f"stopped reading after {MAX_PROBLEMS} problems; fix these first.")
        raise LabelledSetError(messages, self.name)


__all__ = ["MAX_PROBLEMS", "Problems"]

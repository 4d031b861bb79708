"""The one problem collector of every input reader: labelled-set files (:mod:`eval.sets.readers`,
:mod:`eval.sets.loader`), TREC runs and qrels, documents, queries and segments files (:mod:`eval.sets.trec`,
:mod:`eval.sets.corpus`, :mod:`eval.sets.firststage`).

Each problem names its file and line, and an input with any problem is refused as a whole (one
:class:`~eval.sets.labelled.LabelledSetError` listing them all), so nothing half-read is evaluated.
"""

from __future__ import annotations

from eval.sets.labelled import LabelledSetError

# A file with a systematic problem (a wrong format) would otherwise produce one message per line; past this many,
# a streamed reader stops and the message says so.
MAX_PROBLEMS = 1000


class Problems:
    """Problems found in one or more input files, each message naming the file and line.

    Args:
        name: the input's name: the error's ``name``, and the file :meth:`add_line` names.
        limit: how many problems make the collector :attr:`full` (streamed readers then stop, and the error says
            so); ``None``: no limit, for a file read whole (a labelled set), where every problem is listed.

    Example:
        >>> problems = Problems("run.trec")
        >>> problems.add("run.trec", 3, "rank 'x' is not an integer.")
        >>> problems.raise_if_any()  # LabelledSetError: run.trec, line 3: rank 'x' is not an integer.
    """

    def __init__(self, name: str, *, limit: int | None = MAX_PROBLEMS) -> None:
        self.name = name
        self.limit = limit
        # (line, message): the line orders the messages when they are reported in line order
        self._entries: list[tuple[int, str]] = []

    def add(self, file: str, line: int, message: str) -> None:
        """Record ``"<file>, line <n>: <message>"`` (``line`` 0: the file as a whole, ``"<file>: <message>"``)."""
        self._entries.append((line, f"{file}, line {line}: {message}" if line else f"{file}: {message}"))

    def add_line(self, line: int, message: str) -> None:
        """Record a problem on line ``line`` of the input this collector is named after."""
        self.add(self.name, line, message)

    def add_raw(self, message: str, *, line: int = 0) -> None:
        """Record a message that already names its file and line (e.g. from :func:`lychee.load_image`); ``line``
        places it when problems are reported in line order."""
        self._entries.append((line, message))

    @property
    def messages(self) -> list[str]:
        """The messages in the order they were recorded."""
        return [message for _, message in self._entries]

    @property
    def full(self) -> bool:
        return self.limit is not None and len(self._entries) >= self.limit

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def raise_if_any(self, *, in_line_order: bool = False) -> None:
        """Raise :class:`~eval.sets.labelled.LabelledSetError` listing every problem, if there is one.

        Args:
            in_line_order: list the messages by line (a stable sort), not in the order they were recorded: for one
                file checked in more than one pass.
        """
        if not self._entries:
            return
        entries = sorted(self._entries, key=lambda entry: entry[0]) if in_line_order else self._entries
        messages = [message for _, message in entries]
        if self.full:
            messages.append(f"stopped reading after {self.limit} problems; fix these first.")
        raise LabelledSetError(messages, self.name)


__all__ = ["MAX_PROBLEMS", "Problems"]

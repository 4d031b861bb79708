"""What the command lines share about their output stream: a reader that stops early (``| head``) is not an error.

``python -m eval.runs list --json | head -c 200`` closes the pipe before everything is written; Python then raises
``BrokenPipeError`` at the next write (or at the final flush, as "Exception ignored ..."). Unix tools stop quietly
with status 141 (128 + SIGPIPE) there, and so do ours: :func:`stops_quietly_on_closed_pipe` wraps a ``main``.
:class:`HelpFormatter` keeps file paths in ``--help`` whole.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
import textwrap
from collections.abc import Callable
from typing import ParamSpec

P = ParamSpec("P")

#: The exit status of a command whose reader closed the pipe: 128 + SIGPIPE, as a shell reports ``yes | head``.
CLOSED_PIPE_STATUS = 141


def stops_quietly_on_closed_pipe(main: Callable[P, int]) -> Callable[P, int]:
    """Wrap a command line's ``main`` so a closed stdout ends it with :data:`CLOSED_PIPE_STATUS`, no traceback.

    Example:
        >>> @stops_quietly_on_closed_pipe
        ... def main(argv=None) -> int:
        ...     print("many lines")
        ...     return 0
    """

    @functools.wraps(main)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            status = main(*args, **kwargs)
            sys.stdout.flush()  # inside the try: a closed pipe often shows only when the buffer is flushed
            return status
        except BrokenPipeError:
            # Python flushes stdout again at exit; point it at /dev/null so that flush has nowhere to fail.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            return CLOSED_PIPE_STATUS

    return wrapper


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, but a description or epilog is never wrapped inside a word: a path such as
    ``/work/runs-2024/runs.sqlite`` stays on one line (the default breaks after each hyphen)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        text = re.sub(r"\s+", " ", text).strip()
        return textwrap.fill(
            text,
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
            break_long_words=False,
        )


__all__ = ["CLOSED_PIPE_STATUS", "HelpFormatter", "stops_quietly_on_closed_pipe"]

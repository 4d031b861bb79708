"""Validation of plain option values, one home for each rule (a leaf module).

Every message names the option, shows the value received and says what was expected.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def is_int(value: Any) -> bool:
    """True for a real integer (``bool`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def positive_int(
    value: Any, name: str, *, minimum: int = 1, allow_none: bool = False, none_means: str | None = None
) -> int | None:
    """``value`` when it is an integer >= ``minimum`` (or ``None`` when allowed).

    Args:
        none_means: when set, the message says ``None`` is accepted too (e.g. top_k: None keeps everything).

    Raises:
        ValueError: anything else, e.g. ``"batch_size must be a positive integer, got 0."``.
    """
    if value is None and allow_none:
        return None
    if not is_int(value) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        suffix = " or None" if none_means else ""
        raise ValueError(f"{name} must be {what}{suffix}, got {value!r}.")
    return value


def _int_option(text: str, minimum: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def positive_int_option(text: str) -> int:
    """argparse ``type=`` of a count option: an integer >= 1 (else ``expected a positive integer, got '0'``)."""
    return _int_option(text, 1, "a positive integer")


def non_negative_int_option(text: str) -> int:
    """argparse ``type=`` of e.g. a seed: an integer >= 0 (else ``expected a non-negative integer, got '-1'``)."""
    return _int_option(text, 0, "a non-negative integer")


def unit_float(value: Any, name: str) -> float:
    """``value`` as a float in [0, 1].

    Raises:
        ValueError: not a number, or outside [0, 1].
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}.")
    return float(value)


def existing_file(path: Path, label: str, kind: str) -> Path:
    """``path`` when it is an existing file; ``label`` names the input and ``kind`` the file expected ("image").

    Raises:
        ValueError: nothing at ``path``, or something that is not a file.
    """
    if not path.exists():
        raise ValueError(f"{label}: file not found. Expected a path to an existing {kind} file.")
    if not path.is_file():
        raise ValueError(
            f"{label}: is not a file. Expected a path to a{'n' if kind[0] in 'aeiou' else ''} {kind} file."
        )
    return path


__all__ = ["existing_file", "is_int", "positive_int", "unit_float"]

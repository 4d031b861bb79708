"""How the benchmarks time things: each function warmed up, then called in turn (a, b, a, b, ...) so machine noise
hits every side alike; medians reported. Imports nothing of the project's."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def interleaved_times(fns: dict[str, Callable[[], Any]], repeats: int, *, warmups: int = 1) -> dict[str, list[float]]:
    """Seconds of each of ``repeats`` calls of each function, calls interleaved, after ``warmups`` calls of each."""
    for _ in range(warmups):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def interleaved(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median time of each function, runs interleaved (a, b, a, b, ...) after one warm-up each."""
    return {name: statistics.median(ts) for name, ts in interleaved_times(fns, repeats).items()}


def median_time(fn: Callable[[], Any], repeats: int) -> float:
    """Median time of ``repeats`` calls of ``fn`` after one warm-up."""
    return interleaved({"fn": fn}, repeats)["fn"]


__all__ = ["interleaved", "interleaved_times", "median_time"]

"""The one problem collector: messages naming file and line, line order for a file checked in two passes, and the
limit that stops streamed readers."""

from __future__ import annotations

import pytest

from eval.sets.labelled import LabelledSetError
from eval.sets.problems import MAX_PROBLEMS, Problems


def test_messages_name_the_file_and_line_or_the_whole_file():
    problems = Problems("set.jsonl")
    problems.add("run.trec", 3, "bad rank.")
    problems.add("qrels.txt", 0, "file not found.")
    problems.add_line(2, "bad label.")
    problems.add_raw("img.png, line 9: not an image.", line=9)
    assert problems.messages == [
        "run.trec, line 3: bad rank.",
        "qrels.txt: file not found.",
        "set.jsonl, line 2: bad label.",
        "img.png, line 9: not an image.",
    ]
    assert len(problems) == 4 and problems


def test_nothing_recorded_raises_nothing():
    problems = Problems("s")
    assert not problems and len(problems) == 0
    problems.raise_if_any()


def test_in_line_order_sorts_stably_by_line():
    problems = Problems("s.csv", limit=None)
    problems.add_line(7, "read in the first pass.")
    problems.add_line(2, "checked in the second pass.")
    problems.add_line(7, "second problem of line 7.")
    with pytest.raises(LabelledSetError) as info:
        problems.raise_if_any(in_line_order=True)
    assert info.value.errors == [
        "s.csv, line 2: checked in the second pass.",
        "s.csv, line 7: read in the first pass.",
        "s.csv, line 7: second problem of line 7.",
    ]
    assert info.value.name == "s.csv"


def test_a_full_collector_says_reading_stopped_and_an_unlimited_one_never_fills():
    limited = Problems("run.trec")
    for line in range(1, MAX_PROBLEMS + 1):
        limited.add("run.trec", line, "bad.")
    assert limited.full
    with pytest.raises(LabelledSetError) as info:
        limited.raise_if_any()
    assert info.value.errors[-1] == f"stopped reading after {MAX_PROBLEMS} problems; fix these first."
    assert len(info.value.errors) == MAX_PROBLEMS + 1

    unlimited = Problems("s.csv", limit=None)
    for line in range(1, MAX_PROBLEMS + 2):
        unlimited.add_line(line, "bad.")
    assert not unlimited.full
    with pytest.raises(LabelledSetError) as info:
        unlimited.raise_if_any()
    assert len(info.value.errors) == MAX_PROBLEMS + 1
    assert not any(e.startswith("stopped reading") for e in info.value.errors)

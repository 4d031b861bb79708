"""How sizes, counts and long texts are written (lychee.formatting)."""

from __future__ import annotations

import pytest

from lychee.formatting import format_bytes, format_count, shorten


def test_byte_sizes():
    assert format_bytes(None) == "—"
    assert format_bytes(512) == "512 B"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(3 * 1024**3) == "3.0 GiB"
    assert format_bytes(5 * 1024**4) == "5120.0 GiB"  # GiB is the largest unit


def test_parameter_counts():
    assert format_count(22_713_216) == "22.7 M"
    assert format_count(8_292_166_656) == "8.29 B"
    assert format_count(1_500) == "1.5 K"
    assert format_count(12) == "12"
    assert format_count(None) == "—"
    assert format_count(True) == "—"  # a flag is not a count


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("short", 10, "short"), ("exactly10!", 10, "exactly10!"), ("eleven chars", 10, "eleven ch…"), ("", 3, "")],
)
def test_shorten_keeps_at_most_limit_characters(text, limit, expected):
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit

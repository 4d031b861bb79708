"""HTML and image renderers (lychee.ui.render, no Streamlit): escaping, colour by sign, intensity by magnitude, heatmap
overlay, clip frame strips."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from PIL import Image

from lychee.explanation import VideoSalience
from lychee.salience import ImageSalience, TokenWeight, segment
from lychee.ui import render

PAYLOADS = ["<script>alert(1)</script>", "<b>x</b>", '" onmouseover="alert(2)', "<img src=x onerror=alert(3)>"]


def _tokens(text: str, weights: list[float]) -> list[TokenWeight]:
    spans, _ = segment(text)
    assert len(spans) == len(weights)
    return [TokenWeight(text[s:e], s, e, w) for (s, e), w in zip(spans, weights)]


def _visible_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_highlight_escapes_user_text_and_keeps_it_verbatim(payload):
    text = f"before {payload} after\nnext line"
    spans, _ = segment(text)
    tokens = [TokenWeight(text[s:e], s, e, 0.5) for s, e in spans]
    markup = render.highlight_html(text, tokens)
    assert "<script" not in markup and "<b>" not in markup and "<img" not in markup
    assert 'onmouseover="' not in markup
    assert html.escape(payload.split()[0]) in markup
    assert _visible_text(markup) == text  # every character shown once, in order, spacing and newline kept


def test_highlight_colour_follows_sign_and_opacity_follows_magnitude():
    text = "good neutral bad"
    markup = render.highlight_html(text, _tokens(text, [2.0, 0.0, -1.0]))
    alphas = [(int(r), float(a)) for r, a in re.findall(r"background:rgba\((\d+),\d+,\d+,([\d.]+)\)", markup)]
    assert alphas[0] == (46, pytest.approx(render.MAX_TEXT_ALPHA))  # green, full strength at the max |weight|
    assert alphas[1][1] == 0.0  # no effect, no colour
    assert alphas[2] == (198, pytest.approx(render.MAX_TEXT_ALPHA / 2))  # red, half the magnitude
    assert 'title="good: +2.000 log-odds"' in markup and 'title="bad: -1.000 log-odds"' in markup


def test_highlight_uses_the_shared_scale_when_given():
    text = "one"
    markup = render.highlight_html(text, _tokens(text, [1.0]), scale=4.0)
    (alpha,) = re.findall(r"background:rgba\(\d+,\d+,\d+,([\d.]+)\)", markup)
    assert float(alpha) == pytest.approx(render.MAX_TEXT_ALPHA / 4, abs=1e-3)  # written with 3 decimals


def test_highlight_skips_overlapping_spans_instead_of_duplicating_text():
    text = "abc def"
    tokens = [TokenWeight("abc", 0, 3, 1.0), TokenWeight("bc", 1, 3, 1.0), TokenWeight("def", 4, 7, -1.0)]
    assert _visible_text(render.highlight_html(text, tokens)) == text


def test_band_badge_names_the_band_and_refuses_unknown_ones():
    assert "STRONG" in render.band_badge_html("strong") and "#2e7d32" in render.band_badge_html("strong")
    with pytest.raises(ValueError, match=re.escape("band must be one of ['medium', 'strong', 'weak'], got 'great'.")):
        render.band_badge_html("great")


def test_top_result_card_escapes_the_title():
    markup = render.top_result_html("<script>alert(1)</script>", 0.9, "strong", rank_change="↑ 2")
    assert "<script>" not in markup and "&lt;script&gt;alert(1)&lt;/script&gt;" in markup


def test_legend_shows_the_scale_on_both_sides():
    markup = render.legend_html(1.234)
    assert "−1.23" in markup and "+1.23" in markup


def test_heatmap_tints_positive_cells_green_negative_red_and_leaves_zero_cells():
    img = Image.new("RGB", (100, 50), (200, 200, 200))
    sal = ImageSalience(weights=np.array([[1.0, 0.0], [-1.0, 0.5]]), rows=2, cols=2, size=(100, 50))
    out = render.heatmap_overlay(img, sal, grid_lines=False)
    assert out.size == (100, 50) and out.mode == "RGB"
    pos = np.array(out.getpixel((25, 12)))
    zero = np.array(out.getpixel((75, 12)))
    neg = np.array(out.getpixel((25, 37)))
    half = np.array(out.getpixel((75, 37)))
    assert tuple(zero) == (200, 200, 200)
    assert pos[1] > pos[0] and pos[1] > pos[2]  # green dominates
    assert neg[0] > neg[1] and neg[0] > neg[2]  # red dominates
    # half the weight, half the tint: the green cell moved twice as far from grey as the 0.5 cell
    assert (200 - pos[0]) == pytest.approx(2 * (200 - half[0]), abs=2)


def test_heatmap_downscales_large_images_keeping_the_aspect_ratio():
    img = Image.new("RGB", (2000, 1000), (255, 255, 255))
    sal = ImageSalience(weights=np.zeros((2, 4)), rows=2, cols=4, size=(2000, 1000))
    assert render.heatmap_overlay(img, sal, max_side=400).size == (400, 200)


def test_frame_strip_colours_follow_the_weights():
    thumbs = tuple(Image.new("RGB", (40, 30), (255, 255, 255)) for _ in range(4))
    salience = VideoSalience(
        weights=np.array([2.0, -2.0, 0.0, 1.0]), units=((0,), (1,), (2,), (3,)), timestamps=(0, 1, 2, 3), frames=thumbs
    )
    strip = render.frame_strip(salience, scale=2.0, thumb_height=30, bar=10)
    assert strip.size == (4 * 40 + 3 * 4, 30 + 4 + 10)
    bar_y = 30 + 4 + 5
    green, red, neutral, half = (strip.getpixel((20 + k * 44, bar_y)) for k in range(4))
    assert green[1] > green[0] and red[0] > red[1]  # green for positive, red for negative
    assert abs(neutral[0] - neutral[1]) < 8  # zero: only the neutral track
    assert half[1] > half[0] and half[0] > green[0]  # half the weight: a paler green
    # a unit of two frames draws one bar across both
    pair = VideoSalience(weights=np.array([1.0]), units=((0, 1),), timestamps=(0, 1), frames=thumbs[:2])
    strip = render.frame_strip(pair, thumb_height=30, bar=10)
    assert strip.getpixel((42, bar_y)) == strip.getpixel((10, bar_y))  # the gap between the frames is covered
    with pytest.raises(ValueError, match="no frame thumbnails"):
        render.frame_strip(VideoSalience(np.zeros(1), ((0,),), (0.0,)))

"""HTML and image renderers: band badges, token highlights, the salience legend, image heatmaps and clip frame strips.

Every piece of user text that ends up in HTML goes through :func:`html.escape` here, so pages can pass the result to
``st.markdown(..., unsafe_allow_html=True)`` safely.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from lychee.bands import BAND_COLORS
from lychee.explanation import ImageSalience, TokenWeight, VideoSalience
from lychee.salience.units import weights_to_rgba
from lychee.ui.caveats import GREYED_COLOR
from lychee.ui.i18n import _
from lychee.ui.i18n import band_name as shown_band

# Highlight colours: the same green/red as lychee.salience.weights_to_rgba, so text and images read alike.
POSITIVE_RGB = (46, 125, 50)
NEGATIVE_RGB = (198, 40, 40)
# Even the strongest highlight stays translucent so the text under it remains readable.
MAX_TEXT_ALPHA = 0.75
MAX_IMAGE_ALPHA = 0.6


def band_badge_html(band_name: str, *, size: str = "1rem", caveat: str | None = None) -> str:
    """A coloured pill with the band name (``strong``/``medium``/``weak``); grey, struck through and titled with
    ``caveat`` when the bands do not apply (:func:`lychee.ui.caveats.band_caveat`)."""
    if band_name not in BAND_COLORS:
        raise ValueError(f"band must be one of {sorted(BAND_COLORS)}, got {band_name!r}.")
    color = GREYED_COLOR if caveat else BAND_COLORS[band_name]
    extra = f';text-decoration:line-through" title="{html.escape(caveat, quote=True)}" data-greyed="1' if caveat else ""
    return (
        f'<span style="background:{color};color:#fff;padding:0.15em 0.7em;border-radius:1em;font-weight:600;'
        f'font-size:{size};letter-spacing:0.02em{extra}">{html.escape(shown_band(band_name).upper())}</span>'
    )


def highlight_html(text: str, tokens: Sequence[TokenWeight], *, scale: float | None = None) -> str:
    """``text`` as HTML with each token's background coloured by its weight.

    Green marks a positive weight (the word pushed towards "relevant"), red a negative one; opacity grows with
    |weight| / ``scale``. Text between tokens is kept (escaped) so the original spacing and line breaks show.

    Args:
        text: the original text the token spans index into.
        tokens: spans of ``text`` with signed weights (log-odds), in any order; overlapping spans are ignored.
        scale: |weight| that gets full colour; ``None`` uses the largest |weight| in ``tokens``.

    Returns:
        An HTML ``<div>``; every character of ``text`` is escaped.
    """
    spans = sorted(tokens, key=lambda t: t.start)
    colours = weights_to_rgba([t.weight for t in spans], scale)
    parts: list[str] = []
    pos = 0
    for tok, (r, g, b, alpha) in zip(spans, colours):
        if tok.start < pos or tok.end > len(text):
            continue  # overlapping or out of range: keep the text intact rather than duplicate or drop characters
        parts.append(html.escape(text[pos : tok.start]))
        tip = html.escape(_("{text}: {weight:+.3f} log-odds").format(text=tok.text, weight=tok.weight), quote=True)
        parts.append(
            f'<span title="{tip}" style="background:rgba({r},{g},{b},{alpha * MAX_TEXT_ALPHA:.3f});'
            f'border-radius:0.25em;padding:0.05em 0.15em">{html.escape(text[tok.start : tok.end])}</span>'
        )
        pos = tok.end
    parts.append(html.escape(text[pos:]))
    return (
        '<div style="line-height:2.1;white-space:pre-wrap;font-size:1.05rem;padding:0.6em 0.8em;'
        'border:1px solid rgba(128,128,128,0.25);border-radius:0.5em">' + "".join(parts) + "</div>"
    )


def legend_html(scale: float, *, what: str | None = None) -> str:
    """A colour legend: red (towards "not relevant") - neutral - green (towards "relevant"), with the scale and
    ``what`` a weight is (occlusion's default: a measured log-odds change; other methods say what theirs are)."""
    what = _("log-odds change") if what is None else what
    words = _(
        '<b style="color:#c62828">red</b> pushes towards <i>not relevant</i>, <b style="color:#2e7d32">green</b> '
        "towards <i>relevant</i>; stronger colour = bigger effect"
    )
    neg = f"rgba({NEGATIVE_RGB[0]},{NEGATIVE_RGB[1]},{NEGATIVE_RGB[2]},{MAX_TEXT_ALPHA})"
    pos = f"rgba({POSITIVE_RGB[0]},{POSITIVE_RGB[1]},{POSITIVE_RGB[2]},{MAX_TEXT_ALPHA})"
    return (
        '<div style="display:flex;align-items:center;gap:0.6em;font-size:0.85rem;margin:0.2em 0 0.8em 0">'
        f"<span>−{scale:.2f}</span>"
        f'<span style="display:inline-block;width:14em;height:0.9em;border-radius:0.45em;'
        f'background:linear-gradient(to right,{neg},rgba(255,255,255,0),{pos});border:1px solid rgba(128,128,128,0.3)">'
        "</span>"
        f"<span>+{scale:.2f}</span>"
        f'<span style="opacity:0.75">{html.escape(what)} · {words}</span></div>'
    )


def heatmap_overlay(
    image: Image.Image,
    salience: ImageSalience,
    *,
    scale: float | None = None,
    max_side: int = 640,
    grid_lines: bool = True,
) -> Image.Image:
    """The image with each grid cell tinted green (positive weight) or red (negative), opacity by |weight|.

    Args:
        image: the image the salience was computed on (any size; the grid is proportional).
        salience: ``rows x cols`` weights from :meth:`BaseScorer.explain`.
        scale: |weight| that gets full opacity; ``None`` uses the largest |weight| in this grid.
        max_side: the result is downscaled so that its longer side is at most this.
        grid_lines: draw thin cell borders.

    Returns:
        An RGB image.
    """
    base = image.convert("RGB")
    if max(base.size) > max_side:
        ratio = max_side / max(base.size)
        base = base.resize((max(1, round(base.width * ratio)), max(1, round(base.height * ratio))), Image.LANCZOS)
    w, h = base.size
    rows, cols = salience.rows, salience.cols
    weights = np.asarray(salience.weights, dtype=np.float64).reshape(rows, cols)
    colours = weights_to_rgba(weights.ravel().tolist(), scale)
    overlay = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for idx, (r, g, b, alpha) in enumerate(colours):
        row, col = divmod(idx, cols)
        x0, x1 = round(col * w / cols), round((col + 1) * w / cols)
        y0, y1 = round(row * h / rows), round((row + 1) * h / rows)
        draw.rectangle([x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)], fill=(r, g, b, round(255 * alpha * MAX_IMAGE_ALPHA)))
        if grid_lines:
            draw.rectangle([x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)], outline=(255, 255, 255, 90))
    return Image.alpha_composite(base.convert("RGBA"), overlay).convert("RGB")


def frame_strip(
    salience: VideoSalience, *, scale: float | None = None, thumb_height: int = 72, bar: int = 14
) -> Image.Image:
    """The clip's sampled frames side by side with a weight bar under them, coloured like the image heatmaps.

    Each unit of ``salience`` (one frame for occlusion, one temporal patch of frames for gradient) gets one bar under
    the frames it covers: green for a positive weight, red for a negative one, opacity by |weight| / ``scale``, on a
    neutral track so that a zero weight still shows where the bar is.

    Args:
        salience: from :meth:`BaseScorer.explain` (its ``frames`` are the thumbnails drawn).
        scale: |weight| that gets full opacity; ``None`` uses the largest |weight| of this clip.
        thumb_height: height of each frame in pixels (widths follow the aspect ratio).
        bar: height of the weight bar in pixels.

    Returns:
        An RGB image.
    """
    frames = list(salience.frames)
    if not frames:
        raise ValueError("frame_strip: the salience has no frame thumbnails to draw.")
    gap = 4
    sizes = [(max(1, round(f.width * thumb_height / f.height)), thumb_height) for f in frames]
    width = sum(w for w, _ in sizes) + gap * (len(frames) - 1)
    strip = Image.new("RGB", (width, thumb_height + gap + bar), (255, 255, 255))
    lefts, x = [], 0
    for frame, size in zip(frames, sizes):
        strip.paste(frame.convert("RGB").resize(size, Image.LANCZOS), (x, 0))
        lefts.append(x)
        x += size[0] + gap
    overlay = Image.new("RGBA", strip.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    colours = weights_to_rgba(np.asarray(salience.weights, dtype=np.float64).tolist(), scale)
    top = thumb_height + gap
    for unit, (r, g, b, alpha) in zip(salience.units, colours):
        x0, x1 = lefts[unit[0]], lefts[unit[-1]] + sizes[unit[-1]][0] - 1
        draw.rectangle([x0, top, x1, top + bar - 1], fill=(128, 128, 128, 40))
        draw.rectangle([x0, top, x1, top + bar - 1], fill=(r, g, b, round(255 * alpha * MAX_IMAGE_ALPHA)))
    return Image.alpha_composite(strip.convert("RGBA"), overlay).convert("RGB")


def top_result_html(title: str, score: float, band_name: str, *, rank_change: str, caveat: str | None = None) -> str:
    """A card for the best-scoring title (escaped); with a ``caveat``, its band is greyed and the card says why."""
    border = GREYED_COLOR if caveat else BAND_COLORS.get(band_name, "#888")
    top_result, rank_change_word = _("Top result"), _("rank change")
    note = ""
    if caveat:
        note = (
            '<div style="font-size:0.85rem;margin-top:0.45em;color:#616161" data-testid="band-caveat">'
            + _("Band not meaningful: {caveat}.").format(caveat=html.escape(caveat))
            + "</div>"
        )
    return (
        '<div style="border:1px solid rgba(128,128,128,0.3);border-left:0.4em solid '
        f'{border};border-radius:0.5em;padding:0.7em 1em;margin:0.3em 0 0.8em 0">'
        f'<div style="font-size:0.8rem;opacity:0.7">{top_result}</div>'
        f'<div style="font-size:1.15rem;font-weight:600;margin:0.15em 0 0.35em 0" data-testid="top-title">'
        f"{html.escape(title)}</div>"
        f"{band_badge_html(band_name, size='0.8rem', caveat=caveat)} "
        f'<span style="margin-left:0.6em">P(yes) <b>{score:.3f}</b></span>'
        f'<span style="margin-left:0.8em;opacity:0.75">{rank_change_word} {html.escape(rank_change)}</span>{note}</div>'
    )


__all__ = [
    "MAX_IMAGE_ALPHA",
    "MAX_TEXT_ALPHA",
    "NEGATIVE_RGB",
    "POSITIVE_RGB",
    "band_badge_html",
    "frame_strip",
    "heatmap_overlay",
    "highlight_html",
    "legend_html",
    "top_result_html",
]

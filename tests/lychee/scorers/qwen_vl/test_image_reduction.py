"""Images decoded reduced to the model's own max pixels (``load_image(..., reduce_to=capabilities.max_image_pixels)``,
what the API does): at or below that bound nothing changes, byte for byte; above it the model sees an image of the
same size, resized from the reduced copy, and the scores stay close (measured here on the tiny checkpoints)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from lychee import Item, load_image
from tests.helpers import encode_image


def smooth_image(width: int, height: int) -> Image.Image:
    """A photo-like image: smooth gradients and a few shapes (resampling of pure noise is not what a photo does)."""
    y, x = np.mgrid[0:height, 0:width]
    r = (127 + 127 * np.sin(x / 97.0)).astype(np.uint8)
    g = (127 + 127 * np.cos(y / 61.0)).astype(np.uint8)
    b = ((x + y) * 255 // (width + height)).astype(np.uint8)
    return Image.fromarray(np.stack([r, g, b], axis=-1), mode="RGB")


def test_the_scorer_declares_its_pixel_bound(vlm_scorer):
    assert vlm_scorer.capabilities.max_image_pixels == vlm_scorer.info.details["max_pixels"]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_images_at_or_below_the_bound_score_byte_identically(vlm_scorer, fmt):
    bound = vlm_scorer.capabilities.max_image_pixels
    side = int(np.sqrt(bound)) - 8  # just below the bound
    data = encode_image(smooth_image(side, side), fmt)
    full, reduced = load_image(data), load_image(data, reduce_to=bound)
    assert reduced.tobytes() == full.tobytes()
    scores = [vlm_scorer.score("red shoes", [Item(image=image)])[0] for image in (full, reduced)]
    assert scores[0] == scores[1]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_images_above_the_bound_are_kept_small_and_score_close(vlm_scorer, fmt):
    bound = vlm_scorer.capabilities.max_image_pixels
    data = encode_image(smooth_image(4000, 3000), fmt)  # 12 MP, several times either family's bound
    full, reduced = load_image(data), load_image(data, reduce_to=bound)
    assert bound <= reduced.width * reduced.height < 4 * bound < full.width * full.height
    encoder = vlm_scorer.encoder
    sizes = [encoder.prepare_image(Item(image=image), {})[0].size for image in (full, reduced)]
    assert sizes[0] == sizes[1]  # the model sees an image of the same size either way
    full_pred, reduced_pred = (vlm_scorer.predict("red shoes", [Item(image=image)])[0] for image in (full, reduced))
    print(f"{fmt}: log-odds full {full_pred.log_odds:.6f}, reduced {reduced_pred.log_odds:.6f}")
    # measured: |Δ log-odds| 0.0001-0.07 (random tiny weights magnify pixel differences; see the README)
    assert abs(full_pred.log_odds - reduced_pred.log_odds) < 0.15

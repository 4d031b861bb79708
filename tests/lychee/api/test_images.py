"""Image sources the API accepts, without a server: base64 that starts like a path is still an image, and a path that
happens to be valid base64 is never opened."""

from __future__ import annotations

import base64

import pytest
from PIL import Image

from lychee.api import ApiConfig, ApiError
from lychee.api.images import RequestBudget, decode_image
from tests.helpers import encode_image, noise_image


def jpeg_base64() -> str:
    return base64.b64encode(encode_image(Image.new("RGB", (24, 16), (200, 200, 200)), "JPEG")).decode()


def test_jpeg_base64_starts_with_a_slash_and_is_an_image():
    text = jpeg_base64()
    assert text.startswith("/9j/")
    image = decode_image(text, param="x", config=ApiConfig())
    assert image.size == (24, 16) and image.mode == "RGB"
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))  # MIME line breaks are fine
    assert decode_image(wrapped, param="x", config=ApiConfig()).size == (24, 16)
    urlsafe = text.replace("+", "-").replace("/", "_").rstrip("=")
    assert decode_image(urlsafe, param="x", config=ApiConfig()).size == (24, 16)


def test_a_path_is_never_opened_even_when_it_exists_and_is_valid_base64(tmp_path):
    image_file = tmp_path / "abcd"
    Image.new("RGB", (4, 4)).save(image_file, format="PNG")
    path = str(image_file)
    with pytest.raises(ApiError) as refused:
        decode_image(path, param="documents[0].image", config=ApiConfig(allow_urls=True))
    assert refused.value.status == 400 and refused.value.param == "documents[0].image"
    assert "looks like a file path; the API never reads files on the server" in refused.value.message


def test_the_pixel_cap_is_read_from_the_header_and_a_request_has_a_pixel_budget():
    bomb = encode_image(Image.new("1", (16_384, 8_192)), "PNG")  # 28 KB, 134 MP
    with pytest.raises(ApiError, match="refused as a possible decompression bomb before decoding it"):
        decode_image(base64.b64encode(bomb).decode(), param="documents[0].image", config=ApiConfig())
    config = ApiConfig(max_request_pixels=3_000)  # 3000 pixels for the whole request
    budget = RequestBudget(config)
    small = base64.b64encode(encode_image(Image.new("RGB", (40, 40)), "PNG")).decode()  # 1600 pixels
    decode_image(small, param="documents[0].image", config=config, budget=budget)
    with pytest.raises(ApiError) as over:
        decode_image(small, param="documents[1].image", config=config, budget=budget)
    assert over.value.status == 400 and over.value.param == "documents[1].image"
    assert (
        "this 40x40 image would bring the request's images to 3,200 pixels; this server decodes at most 3,000 "
        "pixels per request (LYCHEE_API_MAX_REQUEST_MP=0.003)"
    ) in over.value.message


def test_an_image_above_the_models_bound_is_decoded_reduced():
    image = noise_image(1200, 900)
    for fmt in ("PNG", "JPEG"):
        text = base64.b64encode(encode_image(image, fmt)).decode()
        reduced = decode_image(text, param="x", config=ApiConfig(), reduce_to=100_000)
        assert 100_000 <= reduced.width * reduced.height < 4 * 100_000, fmt
        assert reduced.width / reduced.height == pytest.approx(4 / 3, rel=0.01)
        whole = decode_image(text, param="x", config=ApiConfig(), reduce_to=1_080_000)  # at the bound: untouched
        assert whole.size == (1200, 900)
        assert whole.tobytes() == decode_image(text, param="x", config=ApiConfig()).tobytes()

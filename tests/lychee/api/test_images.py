"""Image sources the API accepts, without a server: base64 that starts like a path is still an image, and a path that
happens to be valid base64 is never opened."""

from __future__ import annotations

import base64

import pytest
from PIL import Image

from lychee.api import ApiConfig, ApiError
from lychee.api.images import decode_image
from tests.helpers import encode_image


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


def test_a_permitted_url_is_not_fetched_when_the_image_would_be_refused():
    config = ApiConfig(allow_urls=True)
    assert decode_image("http://127.0.0.1:1/x.png", param="x", config=config, fetch=False) is None
    with pytest.raises(ApiError, match="fetching 'http://127.0.0.1:1/x.png' failed"):
        decode_image("http://127.0.0.1:1/x.png", param="x", config=ApiConfig(allow_urls=True, url_timeout_s=2))

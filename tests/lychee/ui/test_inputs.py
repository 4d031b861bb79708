"""The pages' inputs as items (lychee.ui.inputs, no Streamlit): uploads, blank text, messages naming the file."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from lychee.ui.inputs import make_item, read_upload
from tests.helpers import noise_png


@dataclass
class Upload:
    """What Streamlit's UploadedFile offers the pages: a name and the bytes."""

    name: str
    data: bytes

    def getvalue(self) -> bytes:
        return self.data


def test_read_upload():
    assert read_upload(None) == (None, None)
    assert read_upload(Upload("q.png", b"123")) == (b"123", "q.png")


def test_blank_text_is_no_text_and_an_image_is_decoded():
    item = make_item("   ", noise_png(40, 30), name="query", image_name="q.png")
    assert item.text is None and item.image.size == (40, 30) and item.name == "query"
    assert make_item("red shoes", None, name="document").text == "red shoes"


def test_unreadable_uploads_are_refused_naming_side_and_file():
    with pytest.raises(ValueError, match=re.escape("document 'x.png' image")):
        make_item("d", b"not an image", name="document", image_name="x.png")
    with pytest.raises(ValueError, match=re.escape("query 'clip.mp4' video: got 0 bytes")):
        make_item("q", None, name="query", video_bytes=b"", video_name="clip.mp4")
    with pytest.raises(ValueError, match=re.escape("query 'upload' video: got 0 bytes")):
        make_item("q", None, name="query", video_bytes=b"")


def test_a_clip_upload_becomes_the_items_video(clip_path):
    item = make_item(None, None, name="document", video_bytes=clip_path.read_bytes(), video_name="clip.mp4")
    assert item.text is None and item.video is not None and item.video.duration > 2


def test_a_page_image_above_the_models_bound_is_decoded_reduced():
    from PIL import Image

    from lychee.ui.inputs import make_item
    from tests.helpers import encode_image

    data = encode_image(Image.new("RGB", (2000, 1500), (200, 10, 10)), "PNG")
    item = make_item(None, data, name="query", image_name="big.png", reduce_to=100_000)
    assert 100_000 <= item.image.width * item.image.height < 400_000
    assert make_item(None, data, name="query", image_name="big.png").image.size == (2000, 1500)

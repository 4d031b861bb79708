from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from lychee.items import MAX_IMAGE_PIXELS, Item, load_image, pad_to_aspect_ratio, to_rgb
from tests.helpers import encode_image


def test_plain_string_is_a_text_item():
    item = Item.coerce("red shoes", name="query")
    assert item.text == "red shoes" and item.image is None and item.name == "query"


def test_dict_and_image_coercion(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (8, 6), (10, 20, 30)).save(path)
    item = Item.coerce({"text": "x", "image": str(path)}, name="document 1")
    assert item.image.size == (8, 6) and item.image.mode == "RGB"
    assert Item.coerce(Image.new("L", (3, 3)), name="q").image.mode == "RGB"


def test_unknown_dict_key_is_refused():
    with pytest.raises(ValueError, match=re.escape("query: unknown keys ['img']; expected only 'text', 'image' and/or 'video'.")):
        Item.coerce({"img": "x"}, name="query")


def test_wrong_types_are_refused():
    with pytest.raises(TypeError, match="query: got int; expected a string"):
        Item.coerce(3, name="query")
    with pytest.raises(TypeError, match="document 2 text: got int"):
        Item(text=5, name="document 2")


def test_exif_orientation_is_applied():
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise when displayed
    out = load_image(encode_image(img, "JPEG", exif=exif.tobytes()))
    assert out.size == (20, 40)


def test_transparency_goes_onto_white():
    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    assert load_image(rgba).getpixel((0, 0)) == (255, 255, 255)
    half = Image.new("RGBA", (4, 4), (0, 0, 0, 128))
    r, g, b = load_image(half).getpixel((0, 0))
    assert 120 <= r <= 130 and r == g == b
    la = Image.new("LA", (2, 2), (0, 0))
    assert load_image(la).getpixel((0, 0)) == (255, 255, 255)
    pal = Image.new("P", (2, 2), 0)
    pal.putpalette([0, 0, 0] * 256)
    pal.info["transparency"] = 0
    assert to_rgb(pal).getpixel((0, 0)) == (255, 255, 255)


def test_sixteen_bit_and_cmyk_work():
    arr = np.full((4, 4), 65535, dtype=np.uint16)
    arr[0, 0] = 0
    img16 = Image.fromarray(arr)
    out = load_image(encode_image(img16))
    assert out.mode == "RGB" and out.getpixel((1, 1)) == (255, 255, 255) and out.getpixel((0, 0)) == (0, 0, 0)
    cmyk = Image.new("CMYK", (4, 4), (0, 255, 255, 0))  # pure red in CMYK
    r, g, b = load_image(encode_image(cmyk, "JPEG")).getpixel((2, 2))
    assert r > 200 and g < 60 and b < 60


def test_corrupt_bytes_name_the_input():
    with pytest.raises(ValueError, match=r"document 3 image \(9 bytes\): not a readable image"):
        load_image(b"not a png", what="document 3 image")


def test_empty_bytes():
    with pytest.raises(ValueError, match="query image: got 0 bytes"):
        load_image(b"", what="query image")


def test_truncated_file_names_the_input(tmp_path):
    rng = np.random.default_rng(0)
    data = encode_image(Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)))
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=re.escape(f"query image '{path}': the image data is corrupt or truncated")):
        load_image(path, what="query image")


def test_missing_path_names_the_input(tmp_path):
    missing = tmp_path / "nope.png"
    with pytest.raises(ValueError, match=re.escape(f"document 1 image '{missing}': file not found")):
        Item(image=str(missing), name="document 1")


def test_directory_is_not_an_image(tmp_path):
    with pytest.raises(ValueError, match="is not a file"):
        load_image(tmp_path)


def test_decompression_bomb_is_refused(tmp_path):
    side = int(np.ceil(np.sqrt(MAX_IMAGE_PIXELS))) + 16
    path = tmp_path / "bomb.png"
    Image.new("1", (side, side)).save(path)  # compresses to a few KB, decodes to > MAX_IMAGE_PIXELS
    with pytest.raises(ValueError, match="decompression bomb"):
        load_image(path, what="query image")


def test_extreme_aspect_ratio_is_padded_not_refused():
    banner = load_image(Image.new("RGB", (2000, 3), (0, 0, 255)))
    padded, changed = pad_to_aspect_ratio(banner)
    assert changed and padded.size == (2000, 10) and max(padded.size) / min(padded.size) <= 200
    assert padded.getpixel((1000, 5)) == (0, 0, 255)  # original pixels kept in the middle
    same, changed = pad_to_aspect_ratio(Image.new("RGB", (100, 1)))
    assert not changed and same.size == (100, 1)


def test_item_repr_and_flags():
    item = Item(text="  ", name="query")
    assert item.is_empty and not item.has_text
    assert "image=<3x2>" in repr(Item(image=Image.new("RGB", (3, 2))))


def test_items_built_from_an_item_keep_its_checked_image_and_a_callers_image_is_copied():
    from PIL import Image

    from lychee.items import Item

    mine = Image.new("RGB", (8, 4), (10, 20, 30))
    item = Item("red shoes", image=mine)
    assert item.image is not mine  # checked into the item's own copy: the caller may go on editing theirs
    mine.putpixel((0, 0), (255, 255, 255))
    assert item.image.getpixel((0, 0)) == (10, 20, 30)
    # occlusion variants, truncation probes and renamed documents reuse that copy (per-image caches then hit)
    assert item.with_text("shoes").image is item.image
    assert item.with_video(None).image is item.image
    assert Item.coerce(item, name="document 1").image is item.image
    assert Item(text=None, image=item.image).image is item.image

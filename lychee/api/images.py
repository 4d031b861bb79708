"""Images sent to the API: base64 (a data URL or bare), or ``http(s)://`` URLs when the server allows them.

The API never reads the server's files: local paths and ``file://`` URLs are always refused, and no string is ever
looked up on disk. ``http(s)://`` URLs are refused unless ``LYCHEE_API_ALLOW_URLS=1``; then they are fetched by
:mod:`lychee.api.urls` (public addresses only, redirects checked, one deadline per request, at most
``LYCHEE_API_MAX_URLS`` per request).

Nothing is decoded before it is known to fit: the size comes from the image's header and is refused above the
library's cap (``LYCHEE_MAX_IMAGE_PIXELS``) and above what is left of the request's pixel budget
(``LYCHEE_API_MAX_REQUEST_MP``, counted over all its images); then :func:`lychee.load_image` decodes it reduced to the
model's own pixel bound (``capabilities.max_image_pixels``), so a large image is never kept at full size.
"""

from __future__ import annotations

import base64
import binascii
import re

from PIL import Image

from lychee.api.config import MB, ApiConfig
from lychee.api.errors import ApiError, bad_request, describe
from lychee.api.urls import Deadline, fetch_image_url
from lychee.items import image_header_size, load_image

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")
_DATA_URL = re.compile(r"data:(?P<mime>[^;,]*)(?P<params>(;[^;,]*)*),(?P<data>.*)", re.DOTALL)
_WHITESPACE = re.compile(r"\s+")
SEND_BASE64 = 'Send the image bytes as base64, e.g. "data:image/png;base64,iVBORw0..." or the bare base64 text.'


class RequestBudget:
    """What one request may still spend on images: pixels (counted from headers) and URL fetches (count, deadline).

    Args:
        config: the limits (``max_request_pixels``, ``max_urls``, ``url_timeout_s``).
    """

    def __init__(self, config: ApiConfig) -> None:
        self.config = config
        self.pixels = 0
        self.urls = 0
        self._deadline: Deadline | None = None

    def charge_pixels(self, width: int, height: int, param: str) -> None:
        """Count an image's pixels, refusing it (400) when the request would go over its budget."""
        limit = self.config.max_request_pixels
        if self.pixels + width * height > limit:
            raise bad_request(
                f"{param}: this {width}x{height} image would bring the request's images to "
                f"{self.pixels + width * height:,} pixels; this server decodes at most {limit:,} pixels per request "
                f"(LYCHEE_API_MAX_REQUEST_MP={limit / MB:g}). Send smaller images (the model sees at most "
                "capabilities.max_image_pixels of each, GET /api/model), or split the documents over several "
                "requests.",
                param,
            )
        self.pixels += width * height

    def deadline(self, param: str) -> Deadline:
        """The request's one deadline for fetching URLs (started by the first URL), counting this URL."""
        self.urls += 1
        if self.urls > self.config.max_urls:
            raise bad_request(
                f"{param}: more than {self.config.max_urls} image URLs in one request (LYCHEE_API_MAX_URLS). Send "
                "the images as base64, or split the documents over several requests.",
                param,
            )
        if self._deadline is None:
            self._deadline = Deadline(self.config.url_timeout_s)
        return self._deadline


def decode_image(
    value: object,
    *,
    param: str,
    config: ApiConfig,
    budget: RequestBudget | None = None,
    reduce_to: int | None = None,
) -> Image.Image:
    """The image a request field holds, checked, counted against the request's budget and decoded.

    Args:
        value: the field's JSON value: a data URL, bare base64, or an ``http(s)://`` URL.
        param: the field's JSON path, e.g. ``documents[3].content[1].image_url.url``, for error messages.
        config: whether URLs may be fetched, and the limits.
        budget: the request's image budget (a fresh one by default: this image alone).
        reduce_to: decode an image with more pixels reduced to about this many (the model's own bound).

    Raises:
        ApiError: 400 naming ``param`` for anything that is not a readable image the API may use, or one that does
            not fit the limits.
    """
    budget = RequestBudget(config) if budget is None else budget
    if not isinstance(value, str):
        raise bad_request(f"{param}: got {describe(value)}; expected a string. {SEND_BASE64}", param)
    text = value.strip()
    if not text:
        raise bad_request(f"{param}: got an empty string; expected an image. {SEND_BASE64}", param)
    bare = False
    if text[:5].lower() == "data:":
        data = _data_url_bytes(text, param)
    elif (scheme := _SCHEME.match(text)) is not None:
        _check_url(text, scheme.group(1).lower(), param, config)
        data = fetch_image_url(
            text,
            param=param,
            deadline=budget.deadline(param),
            max_bytes=config.url_max_bytes,
            allowed_networks=config.url_networks,
        )
    else:
        data, bare = _base64_bytes(text, param), True
    try:
        width, height = image_header_size(data, what=param)  # the library's pixel cap, from the header alone
        budget.charge_pixels(width, height, param)
        return load_image(data, what=param, reduce_to=reduce_to)
    except ValueError as exc:
        # A path can happen to be valid base64 ("/etc/hosts"); it is never opened, and the message says why.
        if bare and _looks_like_path(text):
            raise _path_refused(text, param) from exc
        raise bad_request(str(exc), param) from exc


def _path_refused(text: str, param: str) -> ApiError:
    return bad_request(
        f"{param}: {text[:80]!r} looks like a file path; the API never reads files on the server. {SEND_BASE64}",
        param,
    )


def _data_url_bytes(text: str, param: str) -> bytes:
    match = _DATA_URL.fullmatch(text)
    if match is None:
        raise bad_request(f"{param}: a data URL without a comma; expected data:image/<type>;base64,<data>.", param)
    mime = match.group("mime").strip().lower()
    if mime and not mime.startswith("image/"):
        raise bad_request(f"{param}: the data URL says {mime!r}; expected an image type such as image/png.", param)
    if "base64" not in [p.strip().lower() for p in match.group("params").split(";")]:
        raise bad_request(
            f"{param}: the data URL is not base64-encoded (no ';base64'); expected data:image/<type>;base64,<data>.",
            param,
        )
    return _base64_bytes(match.group("data"), param)


def _base64_bytes(text: str, param: str) -> bytes:
    compact = _WHITESPACE.sub("", text)
    urlsafe = "-" in compact or "_" in compact
    padded = compact + "=" * (-len(compact) % 4)
    try:
        if urlsafe:
            return base64.b64decode(padded, altchars=b"-_", validate=True)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        pass
    if _looks_like_path(text):
        raise _path_refused(text, param)
    raise bad_request(f"{param}: {describe(text)} is not valid base64. {SEND_BASE64}", param)


def _looks_like_path(text: str) -> bool:
    return (
        text.startswith(("/", "./", "../", "~", "\\\\"))
        or re.match(r"[A-Za-z]:[\\/]", text) is not None
        or re.search(r"\.(png|jpe?g|webp|gif|bmp|tiff?)$", text, re.IGNORECASE) is not None
    )


def _check_url(url: str, scheme: str, param: str, config: ApiConfig) -> None:
    if scheme == "file":
        raise bad_request(
            f"{param}: file:// URLs are refused; the API never reads files on the server. {SEND_BASE64}", param
        )
    if scheme not in ("http", "https"):
        raise bad_request(f"{param}: {scheme}:// URLs are not supported. {SEND_BASE64}", param)
    if not config.allow_urls:
        raise bad_request(
            f"{param}: image URLs are refused by this server (got {url[:80]!r}). {SEND_BASE64} "
            "(The server's operator can allow http(s) URLs with LYCHEE_API_ALLOW_URLS=1.)",
            param,
        )


__all__ = ["SEND_BASE64", "RequestBudget", "decode_image"]

"""Images sent to the API: base64 (a data URL or bare), or ``http(s)://`` URLs when the server allows them.

The API never reads the server's files: local paths and ``file://`` URLs are always refused, and no string is ever
looked up on disk. ``http(s)://`` URLs are refused unless ``LYCHEE_API_ALLOW_URLS=1``; then they are fetched with a
timeout and a size cap, following redirects to ``http(s)`` only. Every image then goes through the library's decoding
guards (:func:`lychee.load_image`: corrupt or truncated bytes, decompression bombs).
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.error
import urllib.parse
import urllib.request

from PIL import Image

from lychee.api.config import MB, ApiConfig
from lychee.api.errors import ApiError, bad_request, describe
from lychee.items import load_image

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_DATA_URL = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(;[^;,]*)*),(?P<data>.*)$", re.DOTALL)
_WHITESPACE = re.compile(r"\s+")
SEND_BASE64 = 'Send the image bytes as base64, e.g. "data:image/png;base64,iVBORw0..." or the bare base64 text.'


def decode_image(value: object, *, param: str, config: ApiConfig, fetch: bool = True) -> Image.Image | None:
    """The image a request field holds, decoded and validated.

    Args:
        value: the field's JSON value: a data URL, bare base64, or an ``http(s)://`` URL.
        param: the field's JSON path, e.g. ``documents[3].content[1].image_url.url``, for error messages.
        config: whether URLs may be fetched, and the fetch limits.
        fetch: fetch a permitted URL; ``False`` returns ``None`` for it instead (the caller refuses the image anyway,
            e.g. for a text-only model, and the server makes no request for nothing).

    Raises:
        ApiError: 400 naming ``param`` for anything that is not a readable image the API may use.
    """
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
        if not fetch:
            return None
        data = fetch_url(text, param=param, timeout_s=config.url_timeout_s, max_bytes=config.url_max_bytes)
    else:
        data, bare = _base64_bytes(text, param), True
    try:
        return load_image(data, what=param)
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
    match = _DATA_URL.match(text)
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
        or re.match(r"^[A-Za-z]:[\\/]", text) is not None
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


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.URLError(f"redirect to a non-http(s) URL ({newurl[:80]!r}) refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_url(url: str, *, param: str, timeout_s: float, max_bytes: int) -> bytes:
    """GET ``url`` (http/https only, redirects to http/https only), reading at most ``max_bytes``.

    Raises:
        ApiError: 400 naming ``param`` when the fetch fails, times out or the image is larger than ``max_bytes``.
    """
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        _HttpOnlyRedirects(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.HTTPDefaultErrorHandler(),
    ):
        opener.add_handler(handler)
    too_big = bad_request(
        f"{param}: the image at {url[:80]!r} is larger than this server's limit of {max_bytes / MB:g} MB "
        "(LYCHEE_API_URL_MAX_MB). Send a smaller image, or its bytes as base64.",
        param,
    )
    try:
        with opener.open(urllib.request.Request(url, headers={"User-Agent": "lychee-api"}), timeout=timeout_s) as resp:
            length = resp.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise too_big
            data = resp.read(max_bytes + 1)
    except ApiError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise bad_request(
            f"{param}: fetching {url[:80]!r} failed ({reason}; timeout {timeout_s:g} s). Check the URL, or send "
            "the image bytes as base64.",
            param,
        ) from exc
    if len(data) > max_bytes:
        raise too_big
    return data


__all__ = ["SEND_BASE64", "decode_image", "fetch_url"]

"""Fetching image URLs for the API (``LYCHEE_API_ALLOW_URLS=1``) without letting a caller reach inside the network.

A URL's host is resolved once and **every** address it resolves to is checked: loopback, private (RFC 1918, unique
local IPv6), carrier-grade NAT, link-local (the cloud metadata service at 169.254.169.254 lies there), multicast,
reserved and unspecified addresses are refused — unless the operator lists the network in
``LYCHEE_API_URL_NETWORKS`` (an internal image server). The connection then goes to the address that was checked
(never resolved a second time, so a DNS answer that changes in between cannot redirect it), with the URL's host name
for TLS and the ``Host`` header. Redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each new URL checked
the same way. One deadline covers all the URLs of one request (every connect and every read gets what is left of
it), so a server that drips one byte at a time cannot hold a worker longer than ``LYCHEE_API_URL_TIMEOUT_S``.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

from lychee.api.config import MB
from lychee.api.errors import ApiError, bad_request

MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
#: Networks refused although ``ipaddress`` does not flag them private: carrier-grade NAT (RFC 6598) and NAT64.
_ALSO_REFUSED = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("64:ff9b::/96"))

Resolver = Callable[[str, int], Sequence[str]]


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6), as strings."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refused_address(address: str, allowed: Sequence[str] = ()) -> str | None:
    """Why ``address`` may not be fetched (``"loopback"``, ``"private"``...), or ``None`` when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in ipaddress.ip_network(net) for net in allowed):
        return None
    for reason, flagged in (
        ("loopback", ip.is_loopback),
        ("link-local (the cloud metadata service lives there)", ip.is_link_local),
        ("unspecified", ip.is_unspecified),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private or any(ip in net for net in _ALSO_REFUSED if net.version == ip.version)),
        ("reserved", ip.is_reserved),
    ):
        if flagged:
            return reason
    return None


class Deadline:
    """One deadline for every URL of a request: each connect and read gets the time that is left."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left; raises ``TimeoutError`` when none are."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"the request's {self.seconds:g} s for fetching image URLs ran out")
        return left


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a checked address, with the URL's host in the ``Host`` header."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = self.pinned = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a checked address; the certificate is verified against the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.pinned = self._context.wrap_socket(sock, server_hostname=self.host)


def _checked_address(url: str, param: str, allowed: Sequence[str], resolve: Resolver) -> tuple[str, int, str]:
    """``(host, port, address to connect to)`` of ``url``, after checking every address it resolves to."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise bad_request(f"{param}: a redirect to {url[:80]!r} (not http or https) was refused.", param)
    try:
        host, port = parts.hostname, parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        host, port = None, 0
    if not host:
        raise bad_request(f"{param}: {url[:80]!r} names no host; expected http(s)://host/path.", param)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise bad_request(
            f"{param}: the host of {url[:80]!r} cannot be resolved ({exc}). Check the URL.", param
        ) from exc
    for address in addresses:
        reason = refused_address(address, allowed)
        if reason is not None:
            raise bad_request(
                f"{param}: {url[:80]!r} resolves to {address}, {'an' if reason[0] in 'aeiou' else 'a'} {reason} "
                "address; this server fetches images only "
                "from public addresses. Send the image bytes as base64, or ask the server's operator to list "
                "that network in LYCHEE_API_URL_NETWORKS.",
                param,
            )
    if not addresses:
        raise bad_request(f"{param}: the host of {url[:80]!r} resolves to no address. Check the URL.", param)
    return host, port, addresses[0]


def _get(url: str, address: str, host: str, port: int, deadline: Deadline) -> tuple[http.client.HTTPResponse, Any]:
    parts = urllib.parse.urlsplit(url)
    kind = _PinnedHTTPSConnection if parts.scheme.lower() == "https" else _PinnedHTTPConnection
    conn = kind(host, port, address, deadline.left())
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    conn.request("GET", target, headers={"User-Agent": "lychee-api", "Accept": "image/*"})
    return conn.getresponse(), conn


def _read(resp: http.client.HTTPResponse, conn: Any, deadline: Deadline, max_bytes: int) -> bytes | None:
    """The body, or ``None`` when it is larger than ``max_bytes``; every read waits at most what is left.

    Raises:
        TimeoutError: the deadline passed.
        ValueError: the body ended before its ``Content-Length``.
    """
    length = resp.headers.get("Content-Length")
    declared = int(length) if length is not None and length.isdigit() else None
    if declared is not None and declared > max_bytes:
        return None
    chunks, size = [], 0
    while True:
        # the connection forgets its socket once the answer is read to the end; the pinned one is kept for this
        conn.pinned.settimeout(deadline.left())
        chunk = resp.read1(_CHUNK)
        if not chunk:
            if declared is not None and size < declared:
                raise ValueError(f"the answer ended after {size} of its {declared} bytes")
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)


def fetch_image_url(
    url: str,
    *,
    param: str,
    deadline: Deadline,
    max_bytes: int,
    allowed_networks: Sequence[str] = (),
    resolve: Resolver = resolve_host,
) -> bytes:
    """GET ``url`` (http/https, public addresses only, redirects checked), within ``deadline``, at most ``max_bytes``.

    Raises:
        ApiError: 400 naming ``param`` for a refused address or redirect, a failed fetch, the deadline, or an image
            larger than ``max_bytes``.
    """
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        host, port, address = _checked_address(current, param, allowed_networks, resolve)
        conn = None
        try:
            resp, conn = _get(current, address, host, port, deadline)
            location = resp.headers.get("Location")
            if resp.status in (301, 302, 303, 307, 308) and location:
                current = urllib.parse.urljoin(current, location)
                continue
            if resp.status != 200:
                raise bad_request(
                    f"{param}: fetching {url[:80]!r} failed (HTTP {resp.status} {resp.reason}). Check the URL, or "
                    "send the image bytes as base64.",
                    param,
                )
            data = _read(resp, conn, deadline, max_bytes)
        except ApiError:
            raise
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise bad_request(
                f"{param}: fetching {url[:80]!r} failed ({exc or type(exc).__name__}; all image URLs of a request "
                f"share {deadline.seconds:g} s, LYCHEE_API_URL_TIMEOUT_S). Check the URL, or send the image bytes as "
                "base64.",
                param,
            ) from exc
        finally:
            if conn is not None:
                conn.close()
        if data is None:
            raise bad_request(
                f"{param}: the image at {url[:80]!r} is larger than this server's limit of {max_bytes / MB:g} MB "
                "(LYCHEE_API_URL_MAX_MB). Send a smaller image, or its bytes as base64.",
                param,
            )
        return data
    raise bad_request(
        f"{param}: {url[:80]!r} redirected more than {MAX_REDIRECTS} times; send the final URL or the image bytes.",
        param,
    )


__all__ = ["MAX_REDIRECTS", "Deadline", "fetch_image_url", "refused_address", "resolve_host"]

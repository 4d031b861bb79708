"""Image URLs (``LYCHEE_API_ALLOW_URLS=1``) reach only public addresses: every resolved address is checked, every
redirect too, one deadline covers all the URLs of a request, and a request fetches at most ``max_urls`` of them.

The servers here are real (``http.server`` on 127.0.0.1); a loopback address is allowed only where the test lists it
in ``url_networks``, as an operator would list an internal image server.
"""

from __future__ import annotations

import http.server
import time
from collections.abc import Iterator

import pytest

from lychee.api import ApiConfig, ApiError
from lychee.api.images import RequestBudget, decode_image
from lychee.api.urls import Deadline, fetch_image_url, refused_address
from tests.helpers import noise_png
from tests.servers import LocalHTTPServer

PNG = noise_png(20, 10)


@pytest.fixture(scope="module")
def host() -> Iterator[tuple[str, list[str]]]:
    """A local image server: /ok.png, /drip.png (one byte every 0.3 s), /to-metadata and /to-ok (redirects)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            if self.path == "/ok.png":
                self.send_response(200)
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)
            elif self.path == "/drip.png":
                self.send_response(200)
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                for byte in PNG[:40]:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.3)
            elif self.path.startswith("/to-"):
                target = {"/to-metadata": "http://169.254.169.254/latest/meta-data/", "/to-ok": "/ok.png"}
                self.send_response(302)
                self.send_header("Location", target[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_error(404)

        def log_message(self, *args):
            pass

    with LocalHTTPServer(Handler) as server:
        yield server.url, hits


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("100.64.0.1", "private"),
        ("fd00:ec2::254", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_inner_addresses_are_refused(address, reason):
    assert refused_address(address).startswith(reason)
    assert refused_address("93.184.216.34") is None and refused_address("2606:2800:220:1::1") is None


def test_a_loopback_url_is_refused_without_connecting(host):
    url, hits = host
    before = len(hits)
    with pytest.raises(ApiError) as refused:
        decode_image(f"{url}/ok.png", param="documents[0].image", config=ApiConfig(allow_urls=True))
    assert refused.value.status == 400 and refused.value.param == "documents[0].image"
    assert "resolves to 127.0.0.1, a loopback address; this server fetches images only from public addresses" in (
        refused.value.message
    )
    assert len(hits) == before  # nothing was requested


def test_a_host_is_refused_when_any_of_its_addresses_is_inner():
    with pytest.raises(ApiError, match="resolves to 10.0.0.7, a private address"):
        fetch_image_url(
            "http://images.example.com/a.png",
            param="x",
            deadline=Deadline(5),
            max_bytes=1000,
            resolve=lambda host, port: ["93.184.216.34", "10.0.0.7"],
        )


def test_a_listed_network_is_fetched_and_every_redirect_is_checked(host):
    url, hits = host
    config = ApiConfig(allow_urls=True, url_networks=("127.0.0.1/32",))
    assert decode_image(f"{url}/ok.png", param="x", config=config).size == (20, 10)
    assert decode_image(f"{url}/to-ok", param="x", config=config).size == (20, 10)
    with pytest.raises(ApiError, match="'http://169.254.169.254/latest/meta-data/' resolves to 169.254.169.254, a "
                       "link-local"):
        fetch_image_url(f"{url}/to-metadata", param="x", deadline=Deadline(5), max_bytes=10**6,
                        allowed_networks=config.url_networks)


def test_one_deadline_covers_the_whole_fetch_not_each_read(host):
    url, _ = host
    start = time.monotonic()
    with pytest.raises(ApiError, match="all image URLs of a request share 1 s"):
        fetch_image_url(f"{url}/drip.png", param="x", deadline=Deadline(1.0), max_bytes=10**6,
                        allowed_networks=("127.0.0.0/8",))
    assert time.monotonic() - start < 3  # the drip would take 12 s; each read alone is under the deadline


def test_a_request_fetches_at_most_max_urls(host):
    url, _ = host
    config = ApiConfig(allow_urls=True, url_networks=("127.0.0.1/32",), max_urls=2)
    budget = RequestBudget(config)
    for i in range(2):
        decode_image(f"{url}/ok.png", param=f"documents[{i}].image", config=config, budget=budget)
    with pytest.raises(ApiError, match=r"documents\[2\].image: more than 2 image URLs in one request"):
        decode_image(f"{url}/ok.png", param="documents[2].image", config=config, budget=budget)

"""The real server (``./start.sh``) on the default address and exposed: the issue's "done when" for exposure.

From a fresh clone ``./start.sh`` listens on 127.0.0.1 only, and the seed's ``localhost:8080/api/rerank`` works with no
key; ``LYCHEE_HOST=0.0.0.0 ./start.sh`` prints a token URL and refuses anonymous dashboard and API use, including
Streamlit's websocket; the token (a signed, HttpOnly cookie once opened) and ``LYCHEE_API_KEY`` open them.
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from lychee.access.cookies import COOKIE_NAME
from tests.servers import printed_token, serve, server_log

API_KEY = "k-api-0123456789abcdef"
RERANK = {"query": "red running shoes", "documents": ["Nike red running shoe", "blue ceramic teapot"]}
# What a visitor must not see before signing in: page names, the model, the run list.
DASHBOARD_WORDS = ("Single pair", "Batch rerank", "Runs", "all-MiniLM", "default")


def listening_addresses(port: int) -> set[str]:
    """The local addresses a TCP socket LISTENs on at ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:
                continue
            raw = bytes.fromhex(address)
            # the kernel writes each 32-bit word in host (little-endian) order
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(family, raw))
    return found


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def local_server():
    with serve(ready_path="/api/health") as url:  # ./start.sh as a fresh clone runs it: no LYCHEE_HOST
        yield url


@pytest.fixture(scope="module")
def exposed_server():
    with serve(host="0.0.0.0", ready_path="/api/health", env={"LYCHEE_API_KEY": API_KEY}) as url:
        yield url


# --- the default: this machine only ---------------------------------------------------------------------------------
def test_start_sh_listens_on_127_0_0_1_only(local_server):
    assert listening_addresses(_port(local_server)) == {"127.0.0.1"}
    assert "only (this machine); LYCHEE_HOST=0.0.0.0 exposes it." in server_log(local_server)
    assert printed_token(local_server) is None


def test_the_seeds_call_works_unchanged_without_a_key(local_server):
    answer = httpx.post(f"{local_server}/api/rerank", json=RERANK, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["document"] == "Nike red running shoe"
    assert httpx.get(f"{local_server}/", timeout=30).status_code == 200  # the dashboard, open as before


# --- exposed: a token for the dashboard and the API -----------------------------------------------------------------
def test_exposed_prints_a_token_url_and_listens_everywhere(exposed_server):
    token = printed_token(exposed_server)
    assert token and len(token) >= 32
    port = _port(exposed_server)
    assert listening_addresses(port) == {"0.0.0.0"}
    log = server_log(exposed_server)
    assert f":{port}/?token={token} (the token is also the API's Bearer key)" in log


def test_exposed_refuses_an_anonymous_dashboard(exposed_server):
    for path in ("/", "/Runs", "/_stcore/host-config", "/static/index.html"):
        answer = httpx.get(f"{exposed_server}{path}", timeout=30)
        assert answer.status_code == 401, path
        assert "needs its access token" in answer.text
        assert not [w for w in DASHBOARD_WORDS if w in answer.text], path
    with pytest.raises(InvalidStatus) as refused:
        with connect(exposed_server.replace("http", "ws") + "/_stcore/stream", open_timeout=30):
            pass
    assert refused.value.response.status_code == 403


def test_exposed_refuses_an_anonymous_api(exposed_server):
    for method, path in (("POST", "/api/rerank"), ("POST", "/v1/rerank"), ("GET", "/api/model")):
        answer = httpx.request(method, f"{exposed_server}{path}", json=RERANK, timeout=30)
        assert answer.status_code == 401, path
        assert answer.json()["error"]["type"] == "authentication_error"
    wrong = httpx.post(f"{exposed_server}/api/rerank", json=RERANK, headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401


def test_the_token_and_lychee_api_key_open_the_api(exposed_server):
    for key in (printed_token(exposed_server), API_KEY):
        answer = httpx.post(
            f"{exposed_server}/api/rerank", json=RERANK, headers={"Authorization": f"Bearer {key}"}, timeout=60
        )
        assert answer.status_code == 200, answer.text


def test_the_token_link_signs_a_browser_in_with_an_http_only_cookie(exposed_server):
    token = printed_token(exposed_server)
    opened = httpx.get(f"{exposed_server}/?token={token}", timeout=30)
    assert opened.status_code == 303 and opened.headers["location"] == "/"
    set_cookie = opened.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE_NAME}=") and "HttpOnly" in set_cookie and token not in set_cookie
    cookie = set_cookie.split(";")[0]
    page = httpx.get(f"{exposed_server}/", headers={"Cookie": cookie}, timeout=30)
    assert page.status_code == 200 and "<noscript>" in page.text  # Streamlit's own page
    with connect(
        exposed_server.replace("http", "ws") + "/_stcore/stream", additional_headers={"Cookie": cookie}, open_timeout=30
    ) as ws:
        assert ws.protocol.state.name == "OPEN"


def test_anonymous_exposure_is_an_explicit_loud_opt_out():
    with serve(host="0.0.0.0", env={"LYCHEE_ALLOW_ANONYMOUS": "1"}) as url:
        assert httpx.get(f"{url}/", timeout=30).status_code == 200
        assert printed_token(url) is None
        assert "LYCHEE_ALLOW_ANONYMOUS=1: the dashboard and the API on" in server_log(url)
        assert "open to ANYONE who can reach this port" in server_log(url)

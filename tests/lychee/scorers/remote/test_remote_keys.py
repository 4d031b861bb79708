"""The server's remote key goes only to allowed hosts, and what a remote server answers in an error never reaches a
message whole: its status and a short, sanitised line, never the body (the issue's attack: a listener typed into the
sidebar got ``LYCHEE_REMOTE_API_KEY``, and its body ``db_password=...`` appeared in the page)."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import pytest

import lychee
from lychee.scorers.remote.endpoints import parse_endpoints
from lychee.scorers.remote.keys import environment_key, parse_allow
from tests.servers import LocalHTTPServer

KEY = "k-remote-secret"
SECRET_BODY = "db_password=hunter2 and the rest of the page"


class Listener(BaseHTTPRequestHandler):
    """Records every Authorization header; answers what the test sets in ``answer`` (status, content type, body,
    reason phrase)."""

    seen: list[str | None] = []
    answer: tuple[int, str, bytes, str | None] = (500, "text/plain", SECRET_BODY.encode(), None)

    def log_message(self, *args):
        pass

    def _reply(self):
        Listener.seen.append(self.headers.get("Authorization"))
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, kind, body, reason = Listener.answer
        self.send_response(status, reason)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reply


@pytest.fixture
def listener(monkeypatch):
    for name in ("LYCHEE_REMOTE_API_KEY", "LYCHEE_REMOTE_ALLOW", "LYCHEE_MODEL"):
        monkeypatch.delenv(name, raising=False)
    Listener.seen = []
    Listener.answer = (500, "text/plain", SECRET_BODY.encode(), None)
    with LocalHTTPServer(Listener) as server:
        yield server.url


def _load_error(url: str) -> str:
    with pytest.raises(ValueError) as info:
        lychee.load_scorer(url)
    return str(info.value)


# --- the key ------------------------------------------------------------------------------------------------------------
def test_the_key_is_not_sent_to_a_host_outside_the_allowlist(listener, monkeypatch):
    monkeypatch.setenv("LYCHEE_REMOTE_API_KEY", KEY)
    _load_error(listener)
    assert Listener.seen and all(header is None for header in Listener.seen)


def test_the_key_goes_to_an_allowed_host(listener, monkeypatch):
    monkeypatch.setenv("LYCHEE_REMOTE_API_KEY", KEY)
    monkeypatch.setenv("LYCHEE_REMOTE_ALLOW", "gpu-9, " + listener.removeprefix("http://"))
    _load_error(listener)
    assert Listener.seen and all(header == f"Bearer {KEY}" for header in Listener.seen)


def test_the_key_goes_to_the_servers_own_model(listener, monkeypatch):
    monkeypatch.setenv("LYCHEE_REMOTE_API_KEY", KEY)
    monkeypatch.setenv("LYCHEE_MODEL", listener)
    _load_error(listener)
    assert Listener.seen and all(header == f"Bearer {KEY}" for header in Listener.seen)


def test_a_refused_key_says_it_was_withheld(listener, monkeypatch):
    monkeypatch.setenv("LYCHEE_REMOTE_API_KEY", KEY)
    Listener.answer = (401, "application/json", b'{"error": {"message": "missing key"}}', None)
    message = _load_error(listener)
    assert "the server refused our key" in message and "HTTP 401: missing key" in message
    assert f"LYCHEE_REMOTE_API_KEY is not sent to {listener}: its host is not in LYCHEE_REMOTE_ALLOW" in message


def test_an_explicit_key_is_the_callers_choice(listener):
    with pytest.raises(ValueError):
        lychee.load_scorer(listener, api_key="k-explicit")
    assert Listener.seen and all(header == "Bearer k-explicit" for header in Listener.seen)


@pytest.mark.parametrize(
    ("allow", "url", "sent"),
    [
        ("gpu-1", "http://gpu-1:8000", True),
        ("GPU-1:8000", "http://gpu-1:8000", True),
        ("gpu-1:8001", "http://gpu-1:8000", False),
        ("http://gpu-1:8000", "http://gpu-1:8000/v1/rerank", True),
        ("gpu-1", "http://gpu-1.evil.example:8000", False),
        ("gpu-1", "http://gpu-1:8000,http://gpu-2:8000", False),  # every replica must be allowed
        ("gpu-1,gpu-2", "http://gpu-1:8000,http://gpu-2:8000", True),
        ("gpu-1", "https://gpu-1", True),
        ("", "http://gpu-1:8000", False),
    ],
)
def test_allowlist_matching(allow, url, sent):
    env = {"LYCHEE_REMOTE_API_KEY": KEY, "LYCHEE_REMOTE_ALLOW": allow}
    key, reason = environment_key(parse_endpoints(url, "rerank"), env)
    assert (key == KEY) is sent and (reason is None) is sent


def test_no_key_set_means_nothing_withheld():
    assert environment_key(parse_endpoints("http://gpu-1:8000", "rerank"), {}) == (None, None)


@pytest.mark.parametrize("bad", ["http://gpu-1/path", "gpu-1:port", "http://", "gpu-1?x=1"])
def test_a_malformed_allowlist_is_named(bad):
    with pytest.raises(ValueError, match=r"LYCHEE_REMOTE_ALLOW: .* is not a host; expected comma-separated hosts"):
        parse_allow(bad)


# --- what an error shows ------------------------------------------------------------------------------------------------
def test_a_text_error_body_is_never_shown(listener):
    message = _load_error(listener)
    assert "answered HTTP 500: Internal Server Error" in message
    assert "db_password" not in message and "hunter2" not in message


def test_the_servers_reason_phrase_is_not_shown_either(listener):
    Listener.answer = (404, "text/html", b"<html>db_password=hunter2</html>", "db_password=hunter2")
    message = _load_error(listener)
    assert "answered HTTP 404: Not Found" in message and "hunter2" not in message


def test_a_json_error_message_is_one_short_sanitised_line(listener):
    text = "bad request\n\x1b[31m" + "x" * 500
    Listener.answer = (400, "application/json", json.dumps({"error": {"message": text}}).encode(), None)
    message = _load_error(listener)
    line = "answered HTTP 400: bad request [31m" + "x" * (160 - len("bad request [31m")) + "..."
    assert line in message
    assert "\n" not in message and "\x1b" not in message and "x" * 161 not in message


def test_a_200_that_is_not_json_shows_no_body(listener):
    Listener.answer = (200, "text/html", f"<p>{SECRET_BODY}</p>".encode(), None)
    message = _load_error(listener)
    assert "with 'text/html', not JSON" in message and "db_password" not in message

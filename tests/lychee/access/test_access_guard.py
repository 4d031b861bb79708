"""The token guard (lychee.access.guard) in front of a small ASGI app with the dashboard's kinds of paths: pages, the
websocket, the health probe and the API. The real server is tested in test_exposure_server.py."""

from __future__ import annotations

import html

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from lychee.access import cookies
from lychee.access.guard import DashboardGuard
from lychee.access.settings import AccessConfig
from lychee.access.signin import EXPIRED, INTRO, WRONG_TOKEN

TOKEN = "s3cret-token-0123456789abcdef"
DASHBOARD = "the dashboard page: Runs, model default"


async def _page(request):
    return PlainTextResponse(DASHBOARD)


async def _stream(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


def _client(dashboard: str = "token") -> TestClient:
    access = AccessConfig(address="0.0.0.0", exposed=True, dashboard=dashboard, token=TOKEN)  # type: ignore[arg-type]
    app = Starlette(
        routes=[
            Route("/", _page),
            Route("/Runs", _page),
            Route("/_stcore/health", lambda r: PlainTextResponse("ok")),
            Route("/api/health", lambda r: PlainTextResponse("api")),
            Route("/_stcore/upload_file/x", _page, methods=["PUT"]),
            WebSocketRoute("/_stcore/stream", _stream),
        ],
        middleware=[Middleware(DashboardGuard, access=access)],
    )
    return TestClient(app, base_url="http://dash.example:8080", follow_redirects=False)


def _signed_in(client: TestClient) -> TestClient:
    client.cookies.set(cookies.COOKIE_NAME, cookies.make_value(TOKEN))
    return client


def test_without_the_cookie_every_dashboard_path_is_the_sign_in_page():
    client = _client()
    for path in ("/", "/Runs", "/favicon.ico", "/static/js/main.js"):
        answer = client.get(path)
        assert answer.status_code == 401 and INTRO in answer.text and DASHBOARD not in answer.text
        assert answer.headers["cache-control"] == "no-store"
    assert client.put("/_stcore/upload_file/x", content=b"data").status_code == 401


def test_the_health_probe_and_the_api_pass_the_guard():
    client = _client()
    assert client.get("/_stcore/health").text == "ok"
    assert client.get("/api/health").text == "api"  # the API's own guard checks the Bearer key


def test_the_websocket_is_refused_without_the_cookie_and_opens_with_it():
    with pytest.raises(WebSocketDisconnect) as refused:
        with _client().websocket_connect("/_stcore/stream"):
            pass
    assert refused.value.code == 1008
    with _signed_in(_client()).websocket_connect("/_stcore/stream") as ws:
        assert ws.receive_text() == "hello"


def test_the_token_in_the_url_sets_the_cookie_and_leaves_the_url():
    client = _client()
    answer = client.get(f"/Runs?x=1&token={TOKEN}")
    assert answer.status_code == 303 and answer.headers["location"] == "/Runs?x=1"
    header = answer.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and TOKEN not in header
    assert cookies.is_valid(client.cookies[cookies.COOKIE_NAME], TOKEN)
    assert client.get("/Runs").text == DASHBOARD


def test_a_wrong_token_in_the_url_is_refused():
    client = _client()
    answer = client.get("/?token=guess")
    assert answer.status_code == 401 and html.escape(WRONG_TOKEN) in answer.text and "set-cookie" not in answer.headers


def test_the_sign_in_form():
    client = _client()
    form = client.get("/sign-in")
    assert form.status_code == 200 and 'name="token"' in form.text and 'method="post"' in form.text
    wrong = client.post("/sign-in", data={"token": "nope"})
    assert wrong.status_code == 401 and html.escape(WRONG_TOKEN) in wrong.text
    right = client.post("/sign-in", data={"token": TOKEN})
    assert right.status_code == 303 and right.headers["location"] == "/"
    assert client.get("/").text == DASHBOARD
    assert client.get("/sign-in").status_code == 303  # signed in already: to the dashboard


def test_a_sign_in_posted_from_another_site_is_refused():
    answer = _client().post("/sign-in", data={"token": TOKEN}, headers={"Origin": "http://evil.example"})
    assert answer.status_code == 403 and "set-cookie" not in answer.headers


def test_sign_out_clears_the_cookie():
    client = _client()
    client.get(f"/?token={TOKEN}")
    assert client.get("/").status_code == 200
    answer = client.get("/sign-out")
    assert answer.status_code == 303 and "Max-Age=0" in answer.headers["set-cookie"]
    assert client.get("/").status_code == 401


def test_a_forged_or_stale_cookie_is_refused():
    client = _client()
    client.cookies.set(cookies.COOKIE_NAME, cookies.make_value("another-token-0123456789"))
    answer = client.get("/")
    assert answer.status_code == 401 and html.escape(EXPIRED) in answer.text


@pytest.mark.parametrize("mode", ["open", "oidc"])
def test_open_and_oidc_modes_pass_everything(mode):
    client = _client(mode)
    assert client.get("/Runs").text == DASHBOARD
    with client.websocket_connect("/_stcore/stream") as ws:
        assert ws.receive_text() == "hello"

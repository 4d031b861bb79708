"""Sign-in in a real headless Chromium against the real server (``./start.sh``): the token of an exposed server, and
Streamlit's own ``st.login`` through a real OpenID Connect provider (``oidc-provider-mock``, running in this process).
Another browser that did not sign in sees only the sign-in, never a page, a model name or a run.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import browser
import pytest

from tests.servers import printed_token

pytestmark = pytest.mark.browser

# What must not show before sign-in: the pages' names, the model, anything of the runs.
DASHBOARD_WORDS = ("Single pair", "Batch rerank", "Evaluation", "Runs", "all-MiniLM", "default")


def _body(page) -> str:
    return page.inner_text("body")


def _assert_only_sign_in(text: str) -> None:
    leaked = [w for w in DASHBOARD_WORDS if w in text]
    assert not leaked, (leaked, text[:500])


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_the_token_signs_a_browser_in_and_another_browser_sees_only_the_sign_in():
    browser.require_browser()
    with browser.serve(host="0.0.0.0") as url:
        token = printed_token(url)
        assert token
        with browser.chromium() as page:
            answer = page.goto(f"{url}/")
            assert answer.status == 401
            _assert_only_sign_in(_body(page))
            page.fill("#token", "a wrong guess")
            page.click("button[type=submit]")
            assert "That token is not this server's" in _body(page)
            page.fill("#token", token)
            page.click("button[type=submit]")
            page.get_by_text("Signed in as token").wait_for()
            browser.wait_idle(page)
            assert "Runs" in page.get_by_test_id("stSidebarNav").inner_text()
            (cookie,) = [c for c in page.context.cookies() if c["name"] == "lychee_session"]
            assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and token not in cookie["value"]
        with browser.chromium() as other:
            assert other.goto(f"{url}/Runs").status == 401
            _assert_only_sign_in(_body(other))
        with browser.chromium() as linked:
            linked.goto(f"{url}/?token={token}")
            linked.get_by_text("Signed in as token").wait_for()
            assert "token=" not in linked.url  # the link's token left the address bar


def _secrets(folder: Path, *, port: int, provider: str) -> Path:
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(16)}"\n'
        'client_id = "lychee-dashboard"\n'
        'client_secret = "the-mock-accepts-any"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    return path


def test_oidc_sign_in_through_a_real_provider(tmp_path):
    browser.require_browser()
    from oidc_provider_mock import User, run_server_in_thread

    users = [User(sub="ana", claims={"email": "ana@example.com"}), User(sub="li", claims={"email": "li@example.com"})]
    port = browser.free_port()
    with run_server_in_thread(user_claims=users) as idp:
        provider = f"http://localhost:{idp.server_port}"
        env = {
            "STREAMLIT_SECRETS_FILES": str(_secrets(tmp_path, port=port, provider=provider)),
            "LYCHEE_EDITORS": "ana@example.com",
        }
        with browser.serve(port=port, env=env):
            dashboard = f"http://localhost:{port}"  # the redirect URI's host: the sign-in cookie is set for it
            with browser.chromium() as page:
                page.goto(f"{dashboard}/")
                sign_in = page.get_by_role("button", name="Sign in")
                sign_in.wait_for()
                browser.wait_idle(page)
                _assert_only_sign_in(_body(page))
                sign_in.click()
                page.wait_for_url(f"{provider}/**")
                page.get_by_role("button", name="ana").click()  # the provider's own authorization form
                page.get_by_text("Signed in as ana@example.com · editor").wait_for()
                browser.wait_idle(page)
                assert "Runs" in page.get_by_test_id("stSidebarNav").inner_text()
            with browser.chromium() as other:
                other.goto(f"{dashboard}/Runs")
                other.get_by_role("button", name="Sign in").wait_for()
                browser.wait_idle(other)
                _assert_only_sign_in(_body(other))
            with browser.chromium() as viewer:
                viewer.goto(f"{dashboard}/")
                viewer.get_by_role("button", name="Sign in").click()
                viewer.wait_for_url(f"{provider}/**")
                viewer.get_by_role("button", name="li").click()
                viewer.get_by_text("Signed in as li@example.com · viewer").wait_for()

"""lychee.access without a server: local or exposed, which sign-in, which API keys, roles, the signed cookie, the model
catalog; lychee.roles; and the markdown escaping of user-written text."""

from __future__ import annotations

import re

import pytest

from lychee.access import cookies
from lychee.access.catalog import Catalog, catalog_from_env, check_may_load, parse_models
from lychee.access.settings import (
    AccessConfig,
    current_access,
    is_local_address,
    parse_editors,
    resolve_access,
    startup_lines,
)
from lychee.formatting import escape_markdown, markdown_code
from lychee.roles import Actor, PermissionDeniedError, local_actor, require_editor

TOKEN = "t" * 32


def _resolve(env=None, **kw):
    return resolve_access(env or {}, make_token=lambda: "generated-token-0123456789", **kw)


# --- local or exposed -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "local"),
    [
        ("127.0.0.1", True),
        ("127.0.0.53", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),  # Streamlit's default: every interface
        (None, False),
        ("192.168.1.20", False),
        ("dashboard.example", False),
    ],
)
def test_which_addresses_are_local(address, local):
    assert is_local_address(address) is local


def test_local_by_default_open_and_without_keys():
    access = _resolve(address="127.0.0.1", port=8080)
    assert (access.exposed, access.dashboard, access.token, access.api_keys) == (False, "open", None, ())
    assert startup_lines(access) == [
        ("info", "Listening on http://127.0.0.1:8080/ only (this machine); LYCHEE_HOST=0.0.0.0 exposes it.")
    ]


def test_exposed_without_sign_in_makes_a_token_for_the_dashboard_and_the_api():
    access = _resolve(address="0.0.0.0", port=8080)
    assert (access.exposed, access.dashboard, access.token_generated) == (True, "token", True)
    assert access.api_keys == ("generated-token-0123456789",)
    (level, line), *_ = startup_lines(access)
    assert level == "warning" and "/?token=generated-token-0123456789 (the token is also the API's Bearer key)" in line


def test_exposed_keeps_lychee_api_key_beside_the_token():
    access = _resolve({"LYCHEE_API_KEY": "k-api"}, address="0.0.0.0")
    assert access.api_keys == ("k-api", "generated-token-0123456789") and access.dashboard == "token"


def test_a_configured_dashboard_token_is_used_and_checked():
    access = _resolve({"LYCHEE_DASHBOARD_TOKEN": TOKEN}, address="0.0.0.0", port=9)
    assert (access.token, access.token_generated, access.dashboard) == (TOKEN, False, "token")
    assert access.sign_in_url(host="h") == f"http://h:9/?token={TOKEN}"
    local = _resolve({"LYCHEE_DASHBOARD_TOKEN": TOKEN}, address="127.0.0.1")
    assert (local.dashboard, local.api_keys) == ("token", (TOKEN,))  # asked for: applies locally too
    message = "LYCHEE_DASHBOARD_TOKEN is 5 characters long: expected at least 16 printable characters"
    with pytest.raises(ValueError, match=re.escape(message)):
        _resolve({"LYCHEE_DASHBOARD_TOKEN": "short"}, address="0.0.0.0")
    with pytest.raises(ValueError, match="without spaces"):
        _resolve({"LYCHEE_DASHBOARD_TOKEN": "a token with spaces in it"}, address="0.0.0.0")


def test_oidc_guards_the_dashboard_and_a_token_the_api_unless_it_has_a_key():
    access = _resolve(address="0.0.0.0", oidc=True)
    assert (access.dashboard, access.api_keys, access.token_generated) == ("oidc", ("generated-token-0123456789",), True)
    assert any("The API on" in line and "needs a key" in line for _, line in startup_lines(access))
    keyed = _resolve({"LYCHEE_API_KEY": "k-api"}, address="0.0.0.0", oidc=True)
    assert (keyed.dashboard, keyed.token, keyed.api_keys) == ("oidc", None, ("k-api",))


def test_anonymous_is_an_explicit_and_loud_opt_out():
    access = _resolve({"LYCHEE_ALLOW_ANONYMOUS": "1"}, address="0.0.0.0", port=8080)
    assert (access.dashboard, access.token, access.api_keys, access.anonymous) == ("open", None, (), True)
    lines = [line for level, line in startup_lines(access) if level == "warning"]
    assert any("open to ANYONE who can reach this port" in line for line in lines) and len(lines) == 3
    assert not _resolve({"LYCHEE_ALLOW_ANONYMOUS": "1"}, address="127.0.0.1").anonymous  # nothing to opt out of


@pytest.mark.parametrize("name", ["LYCHEE_ALLOW_ANONYMOUS", "LYCHEE_READ_ONLY"])
def test_bad_flags_are_named(name):
    with pytest.raises(ValueError, match=re.escape(f"{name}='yes': expected 1 (on) or 0 (off).")):
        _resolve({name: "yes"})


def test_a_local_server_never_makes_a_token(monkeypatch):
    for name in ("LYCHEE_DASHBOARD_TOKEN", "LYCHEE_ALLOW_ANONYMOUS", "LYCHEE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert current_access().dashboard == "open"


# --- roles --------------------------------------------------------------------------------------------------------------
def test_editors_are_emails():
    assert parse_editors(" Ana@Example.com; li@example.com ,") == frozenset({"ana@example.com", "li@example.com"})
    with pytest.raises(ValueError, match=re.escape("LYCHEE_EDITORS: 'ana' is not an e-mail address")):
        parse_editors("ana")


def test_roles_per_mode():
    oidc = _resolve({"LYCHEE_EDITORS": "ana@example.com"}, oidc=True)
    assert oidc.actor(None) is None  # nobody signed in: no actor at all
    assert oidc.actor("ANA@example.com") == Actor("ANA@example.com", "editor")
    assert oidc.actor("li@example.com") == Actor("li@example.com", "viewer")
    read_only = _resolve({"LYCHEE_EDITORS": "ana@example.com", "LYCHEE_READ_ONLY": "1"}, oidc=True)
    assert read_only.actor("ana@example.com").role == "viewer"
    token = _resolve({"LYCHEE_DASHBOARD_TOKEN": TOKEN})
    assert token.actor() == Actor("token", "editor")
    assert _resolve({"LYCHEE_DASHBOARD_TOKEN": TOKEN, "LYCHEE_READ_ONLY": "1"}).actor().role == "viewer"
    assert _resolve(address="127.0.0.1").actor().role == "editor"
    assert _resolve({"LYCHEE_ALLOW_ANONYMOUS": "1"}, address="0.0.0.0").actor() == Actor("anonymous", "editor")


def test_require_editor_is_the_one_rule():
    require_editor(Actor("ana", "editor"), "delete runs")
    with pytest.raises(PermissionDeniedError, match=re.escape("li is a viewer: only editors may delete runs.")):
        require_editor(Actor("li", "viewer"), "delete runs")
    with pytest.raises(PermissionDeniedError, match=re.escape("only editors may delete runs, and no actor was given")):
        require_editor(None, "delete runs")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="role must be one of"):
        Actor("x", "admin")  # type: ignore[arg-type]
    assert local_actor().is_editor


# --- the cookie ---------------------------------------------------------------------------------------------------------
def test_a_cookie_is_valid_only_for_its_token_and_until_it_expires():
    value = cookies.make_value(TOKEN, now=1000.0, max_age=60)
    assert cookies.is_valid(value, TOKEN, now=1059.0)
    assert not cookies.is_valid(value, TOKEN, now=1061.0)  # expired
    assert not cookies.is_valid(value, "u" * 32, now=1000.0)  # another token (a restart with a new one)
    version, expiry, mac = value.split(".")
    assert not cookies.is_valid(f"{version}.{int(expiry) + 9999}.{mac}", TOKEN, now=1000.0)  # a longer life, forged
    assert not cookies.is_valid(value[:-1] + ("0" if value[-1] != "0" else "1"), TOKEN, now=1000.0)
    for junk in (None, "", "v1", "v1..", "v2.99999999999.abc", "v1.x.abc"):
        assert not cookies.is_valid(junk, TOKEN)
    assert TOKEN not in value  # the token itself never travels in the cookie


def test_the_cookie_header_is_http_only_and_same_site():
    header = cookies.set_cookie_header("v1.1.ab", secure=True).decode()
    assert header.startswith("lychee_session=v1.1.ab; Path=/;") and "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" in header and "Secure" not in cookies.set_cookie_header("v", secure=False).decode()
    assert cookies.cookie_from_header("a=1; lychee_session=v1.2.cd; b=2") == "v1.2.cd"
    assert cookies.cookie_from_header("a=1") is None


# --- the model catalog --------------------------------------------------------------------------------------------------
def test_lychee_models_names_folders_and_urls():
    value = "lychee=/models/lychee-rerank-mm, qwen3=http://gpu-1:8000,http://gpu-2:8000 ,tei=tei+http://t:80"
    assert parse_models(value) == {
        "lychee": "/models/lychee-rerank-mm",
        "qwen3": "http://gpu-1:8000,http://gpu-2:8000",
        "tei": "tei+http://t:80",
    }
    assert parse_models("") == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/models/lychee", "'/models/lychee' is not 'name=folder-or-URL'"),
        ("a=/x,a=/y", "the name 'a' is given twice"),
        ("a=", "'a' names no model"),
        ("bad name=/x", "'bad name=/x' is not 'name=folder-or-URL'"),
    ],
)
def test_a_malformed_lychee_models_is_named(value, message):
    with pytest.raises(ValueError, match=re.escape(f"LYCHEE_MODELS: {message}")):
        parse_models(value)


def test_the_offer_and_who_may_load_what():
    listed = catalog_from_env({"LYCHEE_MODELS": "lychee=/models/l", "LYCHEE_MODEL": "http://gpu:8000"})
    assert listed.offered == {"lychee": "/models/l", "server model": "http://gpu:8000", "bm25": "bm25"}
    unlisted = Catalog(server_model="default")
    assert unlisted.offered == {"default": "default", "bm25": "bm25"}  # BM25 loads no weights: always on offer
    viewer, editor = Actor("li", "viewer"), Actor("ana", "editor")
    check_may_load("/models/l", viewer, listed)
    check_may_load("http://gpu:8000", viewer, listed)
    check_may_load("/anything/else", editor, listed)
    with pytest.raises(PermissionDeniedError, match=r"li is a viewer: only editors may load models this server does"):
        check_may_load("/anything/else", viewer, listed)
    with pytest.raises(PermissionDeniedError, match="no actor was given"):
        check_may_load("http://evil:1", None, unlisted)


# --- markdown -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "[click](http://evil.example/x)",
        "![beacon](http://evil.example/p.png)",
        "**bold** _it_ ~~gone~~ `code`",
        ":red[alarm] :material/warning: $x^2$",
        "<img src=x onerror=alert(1)>",
        "# heading\n- item\n| a | b |",
        "www.evil.example and ana@example.com",
    ],
)
def test_user_text_is_escaped_for_markdown(text):
    escaped = escape_markdown(text)
    assert "\n" not in escaped
    # every ASCII punctuation character is preceded by a backslash: no markdown construct can start
    assert re.search(r"[!-/:-@\[-`{-~]", re.sub(r"\\.", "", escaped)) is None
    assert re.sub(r"\\(.)", r"\1", escaped) == " ".join(text.splitlines())  # nothing else changed


def test_code_spans_hold_any_backticks():
    assert markdown_code("plain") == "`plain`"
    assert markdown_code("a`b") == "`` a`b ``"
    assert markdown_code("x```y") == "```` x```y ````"


def test_access_config_repr_hides_secrets():
    assert TOKEN not in repr(AccessConfig(token=TOKEN, api_key=TOKEN))

"""Roles on the pages (AppTest): a viewer sees no delete, save or free-model widgets, and what they cannot reach through
the page is refused by the functions too; an OIDC visitor sees only the sign-in until signed in."""

from __future__ import annotations

import pytest
from apphelpers import BATCH, HOME, ROOT, SINGLE, errors, exceptions, make_app, shown
from streamlit.testing.v1 import AppTest

from eval.engine.evaluate import evaluate_set
from eval.history.store import RunStore
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from lychee.access import settings as access_settings
from lychee.access.settings import AccessConfig
from tests.helpers import WordOverlapScorer

RUNS = ROOT / "pages" / "4_Runs.py"
TOKEN = "s3cret-token-0123456789abcdef"
VIEWER = AccessConfig(address="0.0.0.0", exposed=True, dashboard="token", token=TOKEN, read_only=True)
EDITOR = AccessConfig(address="0.0.0.0", exposed=True, dashboard="token", token=TOKEN)
OIDC = AccessConfig(address="0.0.0.0", exposed=True, dashboard="oidc", editors=frozenset({"ana@example.com"}))


@pytest.fixture
def as_server(monkeypatch):
    """Run the pages under a server's access configuration (what lychee/ui/server.py installs at start)."""

    def install(access: AccessConfig) -> None:
        monkeypatch.setattr(access_settings, "_INSTALLED", [access])

    return install


def _keys(at: AppTest, kind: str) -> set[str]:
    return {w.key for w in at.get(kind) if getattr(w, "key", None)}


@pytest.fixture
def runs():
    """Two recorded runs of one set: one by ana@example.com, one from before authors were recorded."""
    labelled = load_labelled_set(shipped_set_path("passages.csv"), name="eval/data/passages.csv")
    metrics = evaluate_set(labelled, WordOverlapScorer(), instruction="plain", k=10).metrics
    store = RunStore()
    for who in ("ana@example.com", None):
        store.record(metrics, set_name="s.jsonl", set_path=None, output_dir=None, source="page", created_by=who)
    return store


# --- the sidebar's model picker -----------------------------------------------------------------------------------------
def test_a_viewer_picks_only_offered_models(as_server, monkeypatch):
    as_server(VIEWER)
    monkeypatch.setenv("LYCHEE_MODELS", "lychee=/models/lychee-rerank-mm,qwen3=http://gpu-1:8000")
    at = make_app(SINGLE)
    at.run()
    assert not at.exception, exceptions(at)
    assert "_w_model_source" not in _keys(at, "radio")
    assert "_w_model_path" not in _keys(at, "text_input") and "_w_remote_url" not in _keys(at, "text_input")
    picker = at.selectbox(key="_w_model_offered")
    assert picker.options == ["lychee", "qwen3", "server model", "bm25"]
    assert any("Signed in as **token** · viewer" in c.value for c in at.sidebar.caption)


def test_an_editor_keeps_every_source_and_the_offer_first(as_server, monkeypatch):
    as_server(EDITOR)
    monkeypatch.setenv("LYCHEE_MODELS", "lychee=/models/lychee-rerank-mm")
    at = make_app(SINGLE)
    at.run()
    assert not at.exception, exceptions(at)
    assert at.radio(key="_w_model_source").options == [
        "A model this server offers",
        "Embedded default (all-MiniLM-L6-v2: English text only)",
        "BM25 (lexical baseline: shared words, any language, no model)",
        "Checkpoint folder or hub id",
        "Remote endpoint (URL: vLLM, TEI, another Lychee server)",
    ]


def test_a_free_model_in_a_viewers_session_is_not_loaded(as_server):
    as_server(VIEWER)
    at = make_app(HOME, model="/models/some-checkpoint")
    at.run()
    assert not at.exception, exceptions(at)
    assert at.session_state["model"] == "default"
    warnings = [shown(w.value) for w in at.sidebar.warning]
    assert any("Model '/models/some-checkpoint' is not one this server offers" in w for w in warnings), warnings


def _load_as_b(model: str) -> None:
    from lychee.ui.shell import models

    models.load_second((model, None, None))


def test_loading_refuses_a_viewer_whatever_the_page_draws(as_server, tmp_path):
    as_server(VIEWER)
    at = AppTest.from_function(_load_as_b, args=(str(tmp_path / "ckpt"),), default_timeout=60)
    at.run()
    assert not at.exception, exceptions(at)
    assert any("token is a viewer: only editors may load models this server does not offer" in e for e in errors(at))
    as_server(EDITOR)
    at = AppTest.from_function(_load_as_b, args=(str(tmp_path / "ckpt"),), default_timeout=60)
    at.run()
    assert not any("is a viewer" in e for e in errors(at))  # an editor gets the library's own message (no such folder)
    assert errors(at)


# --- the runs page ----------------------------------------------------------------------------------------------------
def test_a_viewer_reads_runs_but_has_no_delete(as_server, runs):
    as_server(VIEWER)
    at = make_app(RUNS)
    at.run()
    assert not at.exception, exceptions(at)
    table = [df.value for df in at.dataframe if "by" in df.value.columns][0]
    assert table["by"].tolist() == ["", "ana@example.com"]
    assert "runs_delete_button" not in _keys(at, "button") and "runs_delete_id" not in _keys(at, "selectbox")
    assert any("Deleting runs is for editors" in c.value for c in at.caption)
    as_server(EDITOR)
    at = make_app(RUNS)
    at.run()
    assert "runs_delete_button" in _keys(at, "button")


# --- the batch page: labelling and model B ------------------------------------------------------------------------------
def _rerank(at: AppTest) -> AppTest:
    at.text_area(key="_w_batch_query_text").set_value("waterproof hiking boots")
    at.text_area(key="_w_batch_titles").set_value("Hiking boots\nCoffee mug")
    return at.button(key="batch_submit").click().run()


def test_a_viewer_cannot_save_graded_queries(as_server):
    as_server(VIEWER)
    at = make_app(BATCH)
    at.run()
    _rerank(at)
    assert not at.exception, exceptions(at)
    assert "batch_label_save" not in _keys(at, "button") and "_w_batch_label_new_set" not in _keys(at, "text_input")
    assert any("saving them into a labelled set is for editors" in c.value for c in at.caption)
    as_server(EDITOR)
    at = make_app(BATCH)
    at.run()
    _rerank(at)
    assert "batch_label_save" in _keys(at, "button")


def test_a_viewers_model_b_comes_from_the_offer(as_server):
    as_server(VIEWER)
    at = make_app(BATCH)
    at.run()
    at.toggle(key="_w_batch_ab").set_value(True).run()
    at.radio(key="_w_batch_ab_mode").set_value("model").run()
    assert not at.exception, exceptions(at)
    assert "_w_batch_ab_model_path" not in _keys(at, "text_input")
    assert at.selectbox(key="_w_batch_ab_offered_b").options == ["default", "bm25"]


# --- OIDC ---------------------------------------------------------------------------------------------------------------
def test_an_oidc_visitor_sees_only_the_sign_in(as_server, runs):
    as_server(OIDC)
    for script in (HOME, SINGLE, RUNS):
        at = make_app(script)
        at.user = {"is_logged_in": False}
        at.run()
        assert not at.exception, exceptions(at)
        assert [b.label for b in at.button] == ["Sign in"]
        assert [t.value for t in at.title] == ["Lychee rerank — analyst dashboard"]
        assert not at.sidebar.subheader and not at.dataframe and not at.selectbox and not at.caption


@pytest.mark.parametrize(("email", "role"), [("ana@example.com", "editor"), ("li@example.com", "viewer")])
def test_an_oidc_user_gets_the_role_of_their_email(as_server, email, role):
    as_server(OIDC)
    at = make_app(SINGLE)
    at.user = {"is_logged_in": True, "email": email}
    at.run()
    assert not at.exception, exceptions(at)
    assert any(f"Signed in as **{email}** · {role}" in shown(c.value) for c in at.sidebar.caption)
    assert ("_w_model_source" in _keys(at, "radio")) is (role == "editor")
    assert any(b.key == "sidebar_sign_out" for b in at.sidebar.button)


# --- errors -------------------------------------------------------------------------------------------------------------
def _fails() -> None:
    raise RuntimeError("db_password=hunter2 in /srv/lychee/settings.py")


def test_a_script_error_shows_visitors_no_details():
    # .streamlit/config.toml: client.showErrorDetails = "none" (the details go to the server's log)
    at = AppTest.from_function(_fails, default_timeout=30)
    at.run()
    (error,) = at.exception
    assert "hunter2" not in error.message and "/srv/lychee" not in error.message
    assert not error.stack_trace

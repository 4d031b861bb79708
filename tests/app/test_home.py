"""streamlit_app.py: navigation, model status, lazy loading, load errors shown as messages."""

from __future__ import annotations

import pytest
from apphelpers import HOME, errors, exceptions, make_app

import lychee
from lychee.formatting import format_count
from lychee.scorers.embedding import bundled_model_path


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_home_shows_the_default_model_status(default_scorer):
    at = make_app(HOME)
    at.run()
    assert not at.exception, exceptions(at)
    status = _metrics(at)
    assert status["Device"] == default_scorer.info.device == "cpu"
    assert status["Dtype"] == "float32"
    assert status["Parameters"] == format_count(default_scorer.info.parameters) == "22.7 M"
    assert status["Attention"] == default_scorer.info.attention
    assert status["CUDA allocated"] == "—"
    assert status["Process memory (RSS)"].endswith(("MiB", "GiB"))
    assert any("all-MiniLM-L6-v2` is loaded" in s.value for s in at.success)
    # the sidebar, drawn before the load, says loaded too (the page reruns after loading)
    assert any("loaded (" in c.value for c in at.sidebar.caption)


def test_home_lists_the_task_pages():
    at = make_app(HOME)
    at.run()
    labels = {p.label for p in at.get("page_link")}
    assert {"Single pair", "Batch rerank", "Evaluation", "Runs"} <= labels
    # the HTTP API on the same port is introduced with a working example
    assert "HTTP API" in [h.value for h in at.subheader]
    assert any("/api/rerank" in c.value for c in at.code)


def test_a_checkpoint_folder_waits_for_the_load_button_then_reports_its_load_time():
    folder = bundled_model_path()  # a sentence-transformers folder stands in for a VLM checkpoint here
    at = make_app(HOME, model=folder)
    at.run()
    assert not at.exception, exceptions(at)
    assert not at.metric, "a non-default model must not load before the button is clicked"
    assert any("is not loaded" in i.value for i in at.info)
    at.button(key="home_load").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    assert _metrics(at)["Parameters"] == "22.7 M"
    success = [s.value for s in at.success]
    assert len(success) == 1 and " is loaded (" in success[0] and success[0].rstrip(".").endswith(" s")
    assert "home_load" not in [b.key for b in at.button]


def test_a_missing_model_shows_the_library_error_not_a_traceback():
    missing = "/nonexistent/lychee-checkpoint"
    with pytest.raises(ValueError) as library:
        lychee.load_scorer(missing)
    at = make_app(HOME, model=missing)
    at.run()
    assert not at.exception, exceptions(at)
    at.button(key="home_load").click().run()
    assert not at.exception, exceptions(at)
    assert errors(at) == [str(library.value)]
    assert at.sidebar.text_input(key="_w_model_path").value == missing


def test_an_unsupported_checkpoint_shows_the_library_error(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(ValueError) as library:
        lychee.load_scorer(str(tmp_path))
    at = make_app(HOME, model=str(tmp_path))
    at.run()
    at.button(key="home_load").click().run()
    assert not at.exception, exceptions(at)
    assert errors(at) == [str(library.value)]

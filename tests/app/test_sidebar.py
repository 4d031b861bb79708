"""The shared sidebar: state that survives page switches, instruction presets/reset, thresholds, model picker."""

from __future__ import annotations

from apphelpers import BATCH, HOME, SINGLE, errors, exceptions, make_app, shown

import lychee
from lychee import ui
from lychee.scorers.embedding import EmbeddingScorer, bundled_model_path
from lychee.ui.shell import models


def test_every_page_runs_on_its_own_and_initialises_the_shared_state():
    for script in (HOME, SINGLE, BATCH):
        at = make_app(script)
        at.run()
        assert not at.exception, (script.name, exceptions(at))
        for key in ("model", "instruction", "band_strong", "band_medium"):
            assert key in at.session_state, (script.name, key)
        assert at.session_state["band_strong"] == lychee.STRONG and at.session_state["band_medium"] == lychee.MEDIUM


def test_the_model_defaults_to_LYCHEE_MODEL(monkeypatch):
    monkeypatch.setenv("LYCHEE_MODEL", "/models/lychee-rerank-mm")
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(SINGLE), default_timeout=60)  # no model set: the sidebar picks the env value
    at.run()
    assert not at.exception, exceptions(at)
    assert at.session_state["model"] == "/models/lychee-rerank-mm"
    assert at.sidebar.radio(key="_w_model_source").value == "checkpoint"
    assert at.sidebar.text_input(key="_w_model_path").value == "/models/lychee-rerank-mm"


def test_instruction_and_thresholds_survive_page_switches(via_home):
    at = via_home(SINGLE)
    at.sidebar.text_area(key="_w_instruction").set_value("Find trail gear.").run()
    at.sidebar.slider(key="_w_bands").set_value((0.4, 0.8)).run()
    titles = {BATCH: ":material/format_list_numbered: Batch rerank", SINGLE: ":material/compare_arrows: Single-pair analysis"}
    for script in (BATCH, HOME, SINGLE):
        at.switch_page(str(script)).run()
        assert not at.exception, (script.name, exceptions(at))
        if script in titles:
            assert [t.value for t in at.title] == [titles[script]]  # really switched
        assert at.session_state["instruction"] == "Find trail gear."
        assert at.sidebar.text_area(key="_w_instruction").value == "Find trail gear."
        assert at.sidebar.slider(key="_w_bands").value == (0.4, 0.8)
        assert (at.session_state["band_medium"], at.session_state["band_strong"]) == (0.4, 0.8)


def test_presets_fill_the_editor_and_reset_restores_the_default():
    at = make_app(SINGLE)
    at.run()
    preset = at.sidebar.selectbox(key="_w_instruction_preset")
    assert preset.value == "Model default"
    assert at.sidebar.text_area(key="_w_instruction").value == lychee.DEFAULT_INSTRUCTION
    for name, text in ui.PRESETS.items():
        at.sidebar.selectbox(key="_w_instruction_preset").set_value(name).run()
        assert at.session_state["instruction"] == text
        assert at.sidebar.text_area(key="_w_instruction").value == text
    at.sidebar.text_area(key="_w_instruction").set_value("my own words").run()
    assert at.sidebar.selectbox(key="_w_instruction_preset").value == "Custom (edited)"
    at.sidebar.button(key="sidebar_reset_instruction").click().run()
    assert at.session_state["instruction"] is None
    assert at.sidebar.text_area(key="_w_instruction").value == lychee.DEFAULT_INSTRUCTION
    assert at.sidebar.selectbox(key="_w_instruction_preset").value == "Model default"


def test_an_emptied_instruction_falls_back_to_the_default_and_says_so(monkeypatch):
    seen: list[str] = []
    original = EmbeddingScorer._predict_pairs
    monkeypatch.setattr(
        EmbeddingScorer,
        "_predict_pairs",
        lambda self, pairs, instruction, *, progress=None: (
            seen.append(instruction) or original(self, pairs, instruction, progress=progress)
        ),
    )
    at = make_app(BATCH)
    at.run()
    at.sidebar.text_area(key="_w_instruction").set_value("   ").run()
    assert any("The instruction is empty" in w.value for w in at.sidebar.warning)
    at.button(key="batch_submit").click().run()
    assert not at.exception and not errors(at)
    assert seen == [lychee.DEFAULT_INSTRUCTION]


def test_the_default_model_says_it_ignores_the_instruction():
    at = make_app(SINGLE)
    at.run()
    assert any("ignores the instruction" in c.value for c in at.sidebar.caption)


def test_invalid_shared_state_is_repaired_with_a_message():
    at = make_app(SINGLE, band_strong=0.3, band_medium=0.9, instruction=42)
    at.run()
    assert not at.exception, exceptions(at)
    warnings = [shown(w.value) for w in at.sidebar.warning]
    assert any("strong=0.3, medium=0.9 are invalid: expected 0 <= medium <= strong <= 1" in w for w in warnings)
    assert any("Instruction 42 is not text" in w for w in warnings)
    assert (at.session_state["band_medium"], at.session_state["band_strong"]) == (lychee.MEDIUM, lychee.STRONG)
    assert at.session_state["instruction"] is None


def test_model_picker_switches_between_default_and_a_folder_and_releases_the_old_model():
    at = make_app(BATCH)
    at.run()
    at.button(key="batch_submit").click().run()  # loads the default model in this session
    assert models.loaded_model(ui.Settings()) is not None

    folder = bundled_model_path()
    at.sidebar.radio(key="_w_model_source").set_value("checkpoint").run()
    assert at.session_state["model"] == "default"  # no path yet
    assert any("Enter a checkpoint folder" in i.value for i in at.sidebar.info)
    at.sidebar.text_input(key="_w_model_path").set_value(folder).run()
    assert not at.exception, exceptions(at)
    assert at.session_state["model"] == folder
    # switching released the default model: nothing else holds it, so it is gone from the process
    assert models.loaded_model(ui.Settings()) is None

    at.button(key="batch_submit").click().run()
    assert not at.exception and not errors(at)
    assert models.loaded_model(ui.Settings(model=folder)) is not None
    assert at.session_state["batch_result"].model == folder

    at.sidebar.radio(key="_w_model_source").set_value("default").run()
    assert at.session_state["model"] == "default"
    assert models.loaded_model(ui.Settings(model=folder)) is None
    assert any("changed since these results" in i.value for i in at.info)


def test_lock_model_hides_the_free_checkpoint_field(monkeypatch):
    monkeypatch.setenv("LYCHEE_LOCK_MODEL", "1")
    monkeypatch.setenv("LYCHEE_MODEL", "default")
    at = make_app(BATCH)
    at.session_state["model"] = "/some/other/checkpoint"  # what a session might try: the lock wins
    at.run()
    assert not at.exception, exceptions(at)
    assert at.session_state["model"] == "default"
    assert "_w_model_source" not in [r.key for r in at.sidebar.radio]
    assert "_w_model_path" not in [t.key for t in at.sidebar.text_input]
    assert any("LYCHEE_LOCK_MODEL=1" in c.value for c in at.sidebar.caption)
    monkeypatch.delenv("LYCHEE_LOCK_MODEL")
    at.run()
    assert "_w_model_source" in [r.key for r in at.sidebar.radio]

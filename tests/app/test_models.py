"""Cached loading: one shared scorer, correct results when sessions score at once, memory helpers, progress bar."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from apphelpers import BATCH, ROOT, exceptions, make_app
from streamlit.testing.v1 import AppTest

from lychee import ui
from lychee.serving import LOADER
from lychee.ui.shell import models


def test_the_scorer_is_cached_once_per_model_device_dtype():
    first = LOADER.load(("default", None, None))
    assert LOADER.load(("default", None, None)) is first
    assert models.loaded_model(ui.Settings()) is first
    assert models.loaded_model(ui.Settings(dtype="float32")) is None  # another key, not loaded


def test_threads_sharing_the_cached_scorer_get_the_same_results_as_alone():
    scorer = LOADER.load(("default", None, None)).scorer
    jobs = {
        "red running shoes": [f"red running shoe size {i}" for i in range(20)] + ["blue teapot"],
        "ceramic teapot": [f"ceramic teapot {i} cups" for i in range(20)] + ["trail shoes"],
        "wool socks": [f"merino wool socks pack of {i}" for i in range(20)] + ["garden hose"],
    }
    expected = {q: scorer.score(q, docs) for q, docs in jobs.items()}
    scorer.cache.clear()  # make the threads race on encoding and cache writes, not just cache reads
    results: dict[tuple[str, int], list[float]] = {}
    barrier = threading.Barrier(len(jobs) * 2)

    def work(query: str, rep: int) -> None:
        barrier.wait()
        results[(query, rep)] = scorer.score(query, jobs[query])

    threads = [threading.Thread(target=work, args=(q, r)) for q in jobs for r in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == len(threads)
    for (query, _), scores in results.items():
        assert scores == pytest.approx(expected[query], abs=1e-6)


def test_two_sessions_reranking_at_once_both_get_their_own_correct_results(default_scorer):
    queries = {"a": "waterproof hiking boots", "b": "ceramic teapot"}
    titles = ["Leather hiking boots, waterproof", "Blue ceramic teapot", "Rain jacket", "Tea cups set of 4"]
    apps = {}
    for name, query in queries.items():
        at = make_app(BATCH, batch_query_text=query, batch_titles="\n".join(titles))
        at.run()
        apps[name] = at
    LOADER.load(("default", None, None))  # both sessions share this one
    with ThreadPoolExecutor(max_workers=len(apps)) as pool:
        futures = [pool.submit(lambda at=at: at.button(key="batch_submit").click().run()) for at in apps.values()]
        for future in futures:
            future.result(timeout=120)  # re-raises anything a session raised
    for name, at in apps.items():
        assert not at.exception, exceptions(at)
        table = next(df.value for df in at.dataframe if "rank" in df.value.columns)
        expected = default_scorer.rank(queries[name], titles)
        assert table["title"].tolist() == [r.document.text for r in expected]
        assert table["score"].tolist() == pytest.approx([r.score for r in expected], abs=1e-6)


def test_memory_helpers():
    before = models.process_rss_bytes()
    block = np.ones(200 * 1024 * 1024, dtype=np.uint8)  # touched pages are resident
    grown = models.process_rss_bytes() - before
    del block
    assert 150 * 1024 * 1024 < grown < 400 * 1024 * 1024


def test_releasing_memory_never_imports_torch():
    code = (
        "import sys; import lychee.ui.shell.models as m; m.free_memory(); "
        "assert m.cuda_allocated_bytes() is None; print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_progress_bar_reports_done_over_total():
    def app():
        import streamlit as st

        from lychee import ui

        callback, finish = ui.progress_bar("Scoring")
        callback(3, 4)
        st.session_state["after_finish"] = False
        if st.session_state.get("finish"):
            finish()
            st.session_state["after_finish"] = True

    at = AppTest.from_function(app)
    at.run()
    (bar,) = at.get("progress")
    assert bar.value == 75  # AppTest reports percent
    assert bar.proto.text == "Scoring — 3/4"
    at.session_state["finish"] = True
    at.run()
    assert at.session_state["after_finish"] is True
    assert not at.get("progress")


def test_bind_starts_a_choice_over_when_its_stored_value_is_no_longer_offered():
    def app():
        import streamlit as st

        from lychee.ui.shell.state import bind

        options = st.session_state.get("offered", ["a", "b", "c"])
        st.session_state["shown"] = st.selectbox("Pick", options, **bind("pick", options[0], options=options))

    at = AppTest.from_function(app)
    at.run()
    at.selectbox(key="_w_pick").set_value("c").run()
    assert at.session_state["pick"] == "c" and at.session_state["shown"] == "c"
    at.session_state["offered"] = ["c", "d"]  # still offered: kept
    at.run()
    assert at.session_state["shown"] == "c"
    at.session_state["offered"] = ["x", "y"]  # gone (a deleted set, another model): back to the default
    at.run()
    assert not at.exception, exceptions(at)
    assert at.session_state["pick"] == "x" and at.session_state["shown"] == "x"

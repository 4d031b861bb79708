"""Evaluation on the page: the set picker, scoring the chosen set with a progress bar, and the report, one function
per section (metric cards, systems, segments, A/B, per query, scores by label, calibration, downloads).

Every number comes from ``eval`` (:func:`eval.engine.evaluate.evaluate_set`, the same call as ``python -m eval``);
reading the chosen set is :mod:`lychee.ui.evaluation.logic`, tables and charts :mod:`lychee.ui.evaluation.charts`.
The last result is kept in ``st.session_state["eval_result"]`` (a non-widget key), so it is still there after visiting
another page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from eval.engine.evaluate import EvalResult, evaluate_set
from eval.engine.outputs import output_files
from eval.engine.scoring import language_warnings
from eval.history.labelling import list_sets
from eval.history.store import record_evaluation
from eval.history.workspace import sets_dir
from eval.sets.beir import DEFAULT_SPLIT
from eval.sets.firststage import DEFAULT_TOP_K
from eval.sets.labelled import SHIPPED_SETS, LabelledSet
from lychee.ui.evaluation import charts
from lychee.ui.evaluation.logic import DEFAULT_SET, SOURCES, SetChoice, read_set, saved_set_name
from lychee.ui.shell.models import get_scorer
from lychee.ui.shell.progress import run_with_progress
from lychee.ui.shell.settings import Settings
from lychee.ui.shell.state import bind
from lychee.ui.uploads import forget_upload, keep_upload

RESULT_KEY = "eval_result"
LANGUAGE_NOTES_KEY = "eval_language_notes"  # warnings about the language of the set evaluated last
UPLOAD_KEY = "eval_upload_data"  # {"name", "path", "size"} (lychee.ui.uploads): the uploaded set, across page switches
UPLOAD_ERROR_KEY = "eval_upload_error"  # an upload the server would not keep (too large), said once
UPLOADER_KEY = "eval_upload"
# Uploads of the BEIR source and the optional segments file, kept the same way: uploader key -> stored key.
BEIR_UPLOADS = {"eval_beir_zip": "eval_beir_zip_data", "eval_run_file": "eval_run_file_data"}
SEGMENTS_UPLOADER_KEY = "eval_segments_file"
SEGMENTS_KEY = "eval_segments_file_data"


def _keep_upload(uploader_key: str, stored_key: str) -> None:
    """``on_change`` of an uploader: keep the file on disk (:mod:`lychee.ui.uploads`) and what names it under a
    non-widget key (survives page switches; no upload stays in session state)."""
    file = st.session_state.get(uploader_key)
    forget_upload(st.session_state.pop(stored_key, None))  # replaced or removed: its file goes
    if file is not None:
        try:
            st.session_state[stored_key] = keep_upload(file.name, file.getvalue())
        except ValueError as exc:
            st.session_state[UPLOAD_ERROR_KEY] = str(exc)


def _uploader(label: str, uploader_key: str, stored_key: str, *, types: list[str] | None, help: str) -> None:
    """A file uploader whose file is kept in session state, and a note when an earlier upload is in use."""
    st.file_uploader(
        label, type=types, key=uploader_key, on_change=_keep_upload, args=(uploader_key, stored_key), help=help
    )
    error = st.session_state.pop(UPLOAD_ERROR_KEY, None)
    if error is not None:
        st.error(error)
    stored = st.session_state.get(stored_key)
    if stored is not None and st.session_state.get(uploader_key) is None:
        st.caption(f"Using `{stored['name']}` uploaded earlier. Upload another file to replace it.")


def set_picker() -> SetChoice:
    """The set choice (shipped, saved, upload, or a BEIR folder with a run), then an optional segments file."""
    source = st.radio(
        "Labelled set",
        list(SOURCES),
        format_func=SOURCES.__getitem__,
        horizontal=True,
        **bind("eval_source", "shipped"),
    )
    choice = _beir_picker() if source == "beir" else _set_picker(source)
    _uploader(
        "Query segments (qid<TAB>segment per line), optional",
        SEGMENTS_UPLOADER_KEY,
        SEGMENTS_KEY,
        types=None,
        help="Report every system per segment (query type, category), as the seed's table: baseline, reranker, lift. "
        'JSONL sets may carry "segment" per line and CSV sets a segment column instead.',
    )
    return choice


def _beir_picker() -> SetChoice:
    """The BEIR zip, its split, the run's top k and the optional first-stage run."""
    _uploader(
        "BEIR folder as a .zip (corpus.jsonl, queries.jsonl, qrels/<split>.tsv)",
        "eval_beir_zip",
        BEIR_UPLOADS["eval_beir_zip"],
        types=["zip"],
        help="The folder may be the archive's root or one folder inside it. corpus.jsonl: _id, title, text "
        "(optional image, relative to it); queries.jsonl: _id, text (optional segment).",
    )
    c1, c2 = st.columns(2)
    split = c1.text_input("Split (qrels/<split>.tsv)", **bind("eval_split", DEFAULT_SPLIT))
    top_k = c2.number_input(
        "Top k of the run", min_value=1, max_value=10_000, step=1, **bind("eval_top_k", DEFAULT_TOP_K)
    )
    _uploader(
        "First-stage run (TREC: qid Q0 docid rank score tag), optional",
        "eval_run_file",
        BEIR_UPLOADS["eval_run_file"],
        types=None,
        help="Each judged query's candidates are the run's top k in trec_eval's order (score descending, ties by "
        "docid descending); that order is the 'input order' baseline. Without a run, the candidates are the "
        "judged documents.",
    )
    return SetChoice("beir", split=split.strip() or DEFAULT_SPLIT, top_k=int(top_k))


def _set_picker(source: str) -> SetChoice:
    """A shipped set by name, a saved set, or an uploaded file."""
    if source == "saved":
        return _saved_picker()
    if source == "shipped":
        set_name = st.selectbox(
            "Sample set",
            list(SHIPPED_SETS),
            format_func=lambda name: f"{name} — {SHIPPED_SETS[name]}",
            **bind("eval_set", DEFAULT_SET),
        )
        return SetChoice("shipped", set_name)
    _uploader(
        "JSONL, CSV, or a ZIP holding one of them with its images",
        UPLOADER_KEY,
        UPLOAD_KEY,
        types=["jsonl", "csv", "zip"],
        help='JSONL: one query per line with labelled candidates (optional "segment"). CSV: columns '
        "qid,query,docid,document,label (optional segment). Image and clip paths cannot be resolved relative to an "
        "uploaded JSONL/CSV: for a set with images or clips, upload a .zip with the data file and its images and clips "
        "(paths relative to the data file). See eval/data/README.md.",
    )
    return SetChoice("upload")


def _saved_picker() -> SetChoice:
    """The sets saved on Batch rerank, or how to make one when there is none."""
    folder = sets_dir()
    paths = [str(p) for p in list_sets(folder)]
    if not paths:
        st.info(
            f"No saved sets yet in `{folder}`. On **Batch rerank**, grade the titles under *Label these results* and "
            "click **Save to set**; the set appears here."
        )
        return SetChoice("saved")
    chosen = st.selectbox(
        "Saved set",
        paths,
        format_func=lambda p: saved_set_name(Path(p)),
        help=f"Labelled sets in `{folder}` (LYCHEE_SETS_DIR).",
        **bind("eval_saved_set", paths[0], options=paths),
    )
    return SetChoice("saved", chosen)


def read_chosen_set(choice: SetChoice) -> LabelledSet | None:
    """The chosen set, read with the uploads kept in session state; ``None`` after showing what is wrong (the loaders
    name file and line)."""
    try:
        return read_set(
            choice,
            upload=st.session_state.get(UPLOAD_KEY),
            beir_archive=st.session_state.get(BEIR_UPLOADS["eval_beir_zip"]),
            run=st.session_state.get(BEIR_UPLOADS["eval_run_file"]),
            segments=st.session_state.get(SEGMENTS_KEY),
        )
    except ValueError as exc:  # LabelledSetError included
        st.error(str(exc))
        return None


def run_evaluation(
    settings: Settings, choice: SetChoice, *, k: int, compare: bool, instruction_b: str | None
) -> EvalResult | None:
    """Read the chosen set, score it with the sidebar's model (and instruction B), and store the result.

    Errors are shown on the page, never raised; ``None`` then, and the previous result stays.
    """
    labelled = read_chosen_set(choice)
    if labelled is None:
        return None
    if compare and not (instruction_b or "").strip():
        st.error("Instruction B is empty: type the instruction to compare against the sidebar's, or switch A/B off.")
        return None
    scorer = get_scorer(settings)
    if scorer is None:
        return None
    if compare and not scorer.capabilities.uses_instruction:
        st.warning(
            f"The model `{settings.model}` ignores instructions, so A and B will be identical (p = 1). "
            "Load a VLM reranker checkpoint to compare instructions."
        )
    ok, result = run_with_progress(
        f"Scoring {labelled.n_pairs * (2 if compare else 1)} pairs",
        lambda callback: evaluate_set(
            labelled,
            scorer,
            instruction=settings.instruction,
            model_id=settings.model,
            compare=compare,
            instruction_b=instruction_b if compare else None,
            k=k,
            progress=callback,
            strong=settings.strong,
            medium=settings.medium,
        ),
    )
    if not ok:
        return None
    st.session_state[RESULT_KEY] = result
    st.session_state[LANGUAGE_NOTES_KEY] = language_warnings(labelled, [scorer])
    _record(result, choice)
    return result


def _record(result: EvalResult, choice: SetChoice) -> None:
    """Add the run to the run history; a store problem is a warning, never a lost evaluation."""
    run_id, problem = record_evaluation(
        result.metrics, set_name=result.labelled.name, set_path=choice.path(), output_dir=None, source="page"
    )
    if problem:
        st.warning(problem)
    else:
        st.caption(f"Recorded as run #{run_id} in the run history: compare it with earlier runs on the **Runs** page.")


def render_result(result: EvalResult, settings: Settings) -> None:
    """Draw ``result``: the metric cards, the set's notes, every system, segments, the A/B, per-query values, scores
    by label, calibration and the downloads."""
    _cards(result)
    _set_notes(result)
    st.markdown("**All systems** (mean and 95% bootstrap interval over queries)")
    st.dataframe(charts.systems_table(result), hide_index=True, width="stretch")
    _segments(result)

    comparison = charts.comparison_table(result)
    if comparison is not None:
        st.markdown("**A/B** — paired randomization test, 10,000 sign flips, two-sided; wins/ties/losses count queries")
        st.dataframe(comparison, hide_index=True, width="stretch")

    _per_query(result)
    st.markdown("**Scores by label**")
    st.altair_chart(charts.score_distribution_chart(result))
    _calibration(result, settings)
    _downloads(result)


def _cards(result: EvalResult) -> None:
    """The set's name and size, language warnings, queries without a relevant candidate, and model A's metrics."""
    report = result.report
    st.subheader(f"{result.labelled.name}: {report.n_queries} queries, {report.n_pairs} pairs")
    for note in st.session_state.get(LANGUAGE_NOTES_KEY, []):
        st.warning(note, icon=":material/translate:")
    n_none = report.n_queries_without_relevant
    if n_none:
        st.caption(
            f"{n_none} quer{'y has' if n_none == 1 else 'ies have'} no relevant candidate; such queries score 0 and "
            "count in the means (trec_eval's convention)."
        )
    cards = charts.metric_cards(result)
    for column, card in zip(st.columns(len(cards)), cards):
        column.metric(card.label, card.value, delta=card.delta, help=card.help, delta_color="normal")
        column.caption(card.interval)


def _per_query(result: EvalResult) -> None:
    """Every system's value per query (the worst queries of model A when there are many) and the full table."""
    report = result.report
    per_query_title = f"**Per query** — {report.metric_names[0]}"
    if report.n_queries > charts.MAX_CHART_QUERIES:
        per_query_title += f" (the {charts.MAX_CHART_QUERIES} queries where model A does worst; all are in the table)"
    st.markdown(per_query_title)
    st.altair_chart(charts.per_query_chart(result), width="stretch")
    with st.expander("Per-query table"):
        st.dataframe(charts.per_query_table(result), hide_index=True, width="stretch")


def _calibration(result: EvalResult, settings: Settings) -> None:
    """The reliability chart with the band thresholds, and precision / recall / F1 at each threshold."""
    st.markdown("**Calibration** — fraction relevant (label ≥ 1) per score bin; on the diagonal, P(yes) is calibrated")
    st.altair_chart(charts.calibration_chart(result, medium=settings.medium, strong=settings.strong), width="stretch")
    st.dataframe(charts.threshold_table(result), hide_index=True, width="stretch")
    if result.report.bands != {"medium": settings.medium, "strong": settings.strong}:
        st.caption("The band thresholds changed since this run; re-run to recompute the band rows.")


def _set_notes(result: EvalResult) -> None:
    """What the set's input order is, how much was judged, and the loader's notes."""
    labelled, report = result.labelled, result.report
    if labelled.first_stage:
        st.caption(f"Input order = the first stage: {labelled.first_stage}.")
    judged = f"judged@{report.k}"
    if judged in report.metric_names:
        share = report.primary.means[judged]
        st.caption(
            f"{judged} of model A: {share:.1%} of its top {report.k} has judgments; the rest was never labelled and "
            "counts as not relevant (trec_eval's convention), so the metrics are a lower bound."
        )
    for note in labelled.notes:
        st.info(note, icon=":material/info:")


def _segments(result: EvalResult) -> None:
    """The seed's table per segment (baselines, reranker, lift) and its chart, when the set has segments."""
    table = charts.segment_table(result)
    if table is None:
        return
    metric = result.report.metric_names[0]
    st.markdown(
        f"**Per segment** — mean {metric}; lift = (model − baseline) / baseline, in percent; 'all' = every query"
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.altair_chart(charts.segment_chart(result), width="stretch")
    st.caption("Bars: mean per system; lines: 95% bootstrap interval over the segment's queries (metrics.json).")


def _downloads(result: EvalResult) -> None:
    """run.trec, metrics.json, per_query.csv and qrels.txt, the files ``python -m eval`` writes."""
    files = output_files(result)
    d1, d2, d3, d4 = st.columns(4)
    d1.download_button("run.trec", files["run.trec"], file_name="run.trec", mime="text/plain", key="eval_dl_run")
    d2.download_button(
        "metrics.json", files["metrics.json"], file_name="metrics.json", mime="application/json", key="eval_dl_metrics"
    )
    d3.download_button(
        "per_query.csv", files["per_query.csv"], file_name="per_query.csv", mime="text/csv", key="eval_dl_per_query"
    )
    d4.download_button("qrels.txt", files["qrels.txt"], file_name="qrels.txt", mime="text/plain", key="eval_dl_qrels")


__all__ = ["LANGUAGE_NOTES_KEY", "RESULT_KEY", "read_chosen_set", "render_result", "run_evaluation", "set_picker"]

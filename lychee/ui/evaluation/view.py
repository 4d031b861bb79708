"""Evaluation on the page: the set picker, scoring the chosen set with a progress bar, and the report, one function
per section (metric cards, systems, segments, A/B, per query, scores by label, calibration, downloads).

Every number comes from ``eval`` (:func:`eval.engine.evaluate.evaluate_set`, the same call as ``python -m eval``);
reading the chosen set is :mod:`lychee.ui.evaluation.logic`, tables and charts :mod:`lychee.ui.evaluation.charts`.
The last result is kept in ``st.session_state["eval_result"]`` (a non-widget key), so it is still there after visiting
another page.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import streamlit as st

from eval.engine.evaluate import EvalResult, evaluate_set
from eval.engine.outputs import output_files
from eval.engine.scoring import LANGUAGE_SAMPLE
from eval.history.labelling import list_sets
from eval.history.store import record_evaluation
from eval.history.workspace import sets_dir
from eval.sets.beir import DEFAULT_SPLIT
from eval.sets.firststage import DEFAULT_TOP_K
from eval.sets.labelled import SHIPPED_SETS, LabelledSet
from lychee.formatting import escape_markdown, markdown_code
from lychee.ui.caveats import language_note
from lychee.ui.evaluation import charts, judging_view
from lychee.ui.evaluation.logic import (
    DEFAULT_SET,
    SOURCES,
    EvalInputs,
    SetChoice,
    read_set,
    saved_set_name,
    stale_note,
)
from lychee.ui.i18n import N_, _, ngettext
from lychee.ui.shell import notices
from lychee.ui.shell.identity import current_actor
from lychee.ui.shell.models import get_scorer, rerun_if_sidebar_stale
from lychee.ui.shell.progress import run_with_progress
from lychee.ui.shell.settings import Settings
from lychee.ui.shell.state import bind
from lychee.ui.uploads import keep_widget_upload

RESULT_KEY = "eval_result"
INPUTS_KEY = "eval_result_inputs"  # the EvalInputs the stored result was asked with
IGNORED_INSTRUCTION_KEY = "eval_ignored_instruction"  # the model of a stored instruction A/B that ignores them
RECORD_NOTE_KEY = "eval_record_note"  # ("caption" | "warning", text): the stored result in the run history
#: Column widths (px) of the all-systems table: the system and every mean fit 1280 px; the intervals follow.
MEAN_WIDTH, CI_WIDTH = 96, 128
ONE_QUERY_NOTE = N_(
    "This set has one query: the means are that query's values, and no interval or significance test can be computed "
    "from one query. Evaluate more queries to compare systems."
)
ONE_QUERY_TEST_NOTE = N_(
    "One query: the p-value cannot show anything (a paired test needs several queries); read the difference alone."
)
#: The shipped sets as the picker describes them (eval.sets.labelled.SHIPPED_SETS, which the CLI keeps in English).
SHIPPED_SET_LABELS = {
    "passages.csv": N_("Web-search passages: 8 questions x 6 passages, labels 0-2, text (CSV)"),
    "ecommerce.jsonl": N_("Product search: 22 queries x 10 products, labels 0-3, hard negatives, text (JSONL)"),
    "ecommerce_zh.jsonl": N_(
        "Chinese product search: 28 queries x 10 listings in the seed's 4 query segments, labels 0-3, hard "
        "negatives (JSONL) — the default model reads English; use Lychee / Qwen3-VL"
    ),
    "shapes/shapes.jsonl": N_(
        "Shapes: 6 queries x 6 PIL-drawn images, labels 0-2 — needs a VLM reranker (JSONL + PNG)"
    ),
}
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
    keep_widget_upload(st.session_state, uploader_key, stored_key, UPLOAD_ERROR_KEY)


def _uploader(label: str, uploader_key: str, stored_key: str, *, types: list[str] | None, help: str) -> None:
    """A file uploader whose file is kept in session state, and a note when an earlier upload is in use."""
    st.file_uploader(
        label, type=types, key=uploader_key, on_change=_keep_upload, args=(uploader_key, stored_key), help=help
    )
    error = st.session_state.pop(UPLOAD_ERROR_KEY, None)
    if error is not None:
        notices.library_error(error, _("This file was not kept. Upload a smaller file, or fewer files at once."))
    stored = st.session_state.get(stored_key)
    if stored is not None and st.session_state.get(uploader_key) is None:
        st.caption(
            _("Using {name} uploaded earlier. Upload another file to replace it.").format(
                name=markdown_code(stored["name"])
            )
        )


def set_picker() -> SetChoice:
    """The set choice (shipped, saved, upload, or a BEIR folder with a run), then an optional segments file."""
    source = st.radio(
        _("Labelled set"),
        list(SOURCES),
        format_func=lambda source: _(SOURCES[source]),
        horizontal=True,
        **bind("eval_source", "shipped"),
    )
    choice = _beir_picker() if source == "beir" else _set_picker(source)
    _uploader(
        _("Query segments (qid<TAB>segment per line), optional"),
        SEGMENTS_UPLOADER_KEY,
        SEGMENTS_KEY,
        types=None,
        help=_(
            "Report every system per segment (query type, category), as the seed's table: baseline, "
            'reranker, lift. JSONL sets may carry "segment" per line and CSV sets a segment column instead.'
        ),
    )
    extra, aggregate = judging_view.judgment_options()
    return dataclasses.replace(choice, extra=extra, aggregate=aggregate)


def _beir_picker() -> SetChoice:
    """The BEIR zip, its split, the run's top k and the optional first-stage run."""
    _uploader(
        _("BEIR folder as a .zip (corpus.jsonl, queries.jsonl, qrels/<split>.tsv)"),
        "eval_beir_zip",
        BEIR_UPLOADS["eval_beir_zip"],
        types=["zip"],
        help=_(
            "The folder may be the archive's root or one folder inside it. corpus.jsonl: _id, title, text "
            "(optional image, relative to it); queries.jsonl: _id, text (optional segment)."
        ),
    )
    c1, c2 = st.columns(2)
    split = c1.text_input(_("Split (qrels/<split>.tsv)"), **bind("eval_split", DEFAULT_SPLIT))
    top_k = c2.number_input(
        _("Top k of the run"), min_value=1, max_value=10_000, step=1, **bind("eval_top_k", DEFAULT_TOP_K)
    )
    _uploader(
        _("First-stage run (TREC: qid Q0 docid rank score tag), optional"),
        "eval_run_file",
        BEIR_UPLOADS["eval_run_file"],
        types=None,
        help=_(
            "Each judged query's candidates are the run's top k in trec_eval's order (score descending, ties "
            "by docid descending); that order is the 'input order' baseline. Without a run, the candidates "
            "are the judged documents."
        ),
    )
    return SetChoice("beir", split=split.strip() or DEFAULT_SPLIT, top_k=int(top_k))


def _set_picker(source: str) -> SetChoice:
    """A shipped set by name, a saved set, or an uploaded file."""
    if source == "saved":
        return _saved_picker()
    if source == "shipped":
        set_name = st.selectbox(
            _("Sample set"),
            list(SHIPPED_SETS),
            format_func=lambda name: f"{name} — {_(SHIPPED_SET_LABELS.get(name, SHIPPED_SETS[name]))}",
            **bind("eval_set", DEFAULT_SET),
        )
        return SetChoice("shipped", set_name)
    _uploader(
        _("JSONL, CSV, or a ZIP holding one of them with its images"),
        UPLOADER_KEY,
        UPLOAD_KEY,
        types=["jsonl", "csv", "zip"],
        help=_(
            'JSONL: one query per line with labelled candidates (optional "segment"). CSV: columns '
            "qid,query,docid,document,label (optional segment). Image and clip paths cannot be resolved "
            "relative to an uploaded JSONL/CSV: for a set with images or clips, upload a .zip with the data "
            "file and its images and clips (paths relative to the data file). See eval/data/README.md."
        ),
    )
    return SetChoice("upload")


def _saved_picker() -> SetChoice:
    """The sets saved on Batch rerank, or how to make one when there is none."""
    folder = sets_dir()
    paths = [str(p) for p in list_sets(folder)]
    if not paths:
        st.info(
            _(
                "No saved sets yet in `{folder}`. On **Batch rerank**, grade the titles under *Label these "
                "results* and click **Save to set**; the set appears here."
            ).format(folder=folder)
        )
        return SetChoice("saved")
    chosen = st.selectbox(
        _("Saved set"),
        paths,
        format_func=lambda p: saved_set_name(Path(p)),
        help=_("Labelled sets in `{folder}` (LYCHEE_SETS_DIR).").format(folder=folder),
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
        # the loaders quote the file's own lines and names
        notices.library_error(
            str(exc), _("The set cannot be read. Fix the file as the message says, then upload it again.")
        )
        return None


def current_inputs(
    settings: Settings, choice: SetChoice, *, k: int, compare: bool, instruction_b: str | None
) -> EvalInputs:
    """What an evaluation would be asked with now: the page's choices and the names of the files they read."""
    uploads = {
        "upload": (UPLOAD_KEY,),
        "beir": (BEIR_UPLOADS["eval_beir_zip"], BEIR_UPLOADS["eval_run_file"]),
    }.get(choice.source, ())
    files = tuple((st.session_state.get(key) or {}).get("name") for key in (*uploads, SEGMENTS_KEY))
    return EvalInputs(
        choice=choice,
        files=files,
        k=k,
        model=settings.model,
        instruction=settings.instruction,
        instruction_b=instruction_b if compare else None,
    )


def show_stored(inputs: EvalInputs, settings: Settings, *, clicked: bool) -> None:
    """The stored result (marked as the last evaluation when the choices changed since), or, before the first run,
    how to start one (not after a click whose error is on the page)."""
    result = st.session_state.get(RESULT_KEY)
    if result is None:
        if not clicked:
            st.info(
                _("Pick a set and click **Run evaluation**. The small web-passages set takes a few seconds on CPU.")
            )
        return
    st.divider()
    note = stale_note(st.session_state.get(INPUTS_KEY), inputs)
    if note:
        st.warning(note, icon=":material/history:")
    _record_note()
    render_result(result, settings)


def run_evaluation(
    settings: Settings, choice: SetChoice, *, k: int, compare: bool, instruction_b: str | None
) -> EvalResult | None:
    """Read the chosen set, score it with the sidebar's model (and instruction B), and store the result with what it
    was asked with.

    Errors are shown on the page, never raised; ``None`` then, and the previous result stays, marked as the last
    evaluation when the choices differ (:func:`show_stored`): an evaluation can take minutes and is not thrown away.
    """
    asked = current_inputs(settings, choice, k=k, compare=compare, instruction_b=instruction_b)
    labelled = read_chosen_set(choice)
    if labelled is None:
        return None
    if compare and not (instruction_b or "").strip():
        st.error(_("Instruction B is empty: type the instruction to compare against the sidebar's, or switch A/B off."))
        return None
    scorer = get_scorer(settings)
    if scorer is None:
        return None
    ok, result = run_with_progress(
        _("Scoring {n} pairs").format(n=labelled.n_pairs * (2 if compare else 1)),
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
    st.session_state[INPUTS_KEY] = asked
    note = language_note(
        scorer.capabilities.languages,
        scorer.name,
        labelled.texts()[:LANGUAGE_SAMPLE],
        what=_("the set {name}").format(name=labelled.name),
    )
    st.session_state[LANGUAGE_NOTES_KEY] = [note] if note else []
    # kept with the result: a model loaded on first use reruns the page, and the warning must survive it
    st.session_state[IGNORED_INSTRUCTION_KEY] = (
        settings.model if compare and not scorer.capabilities.uses_instruction else None
    )
    _record(result, choice)
    rerun_if_sidebar_stale(settings)  # a VLM loaded just now: its instruction in the sidebar
    return result


def _record(result: EvalResult, choice: SetChoice) -> None:
    """Add the run to the run history; a store problem is a warning, never a lost evaluation. What happened is kept
    with the result (:data:`RECORD_NOTE_KEY`) and shown above it."""
    actor = current_actor()
    run_id, problem = record_evaluation(
        result.metrics,
        set_name=result.labelled.name,
        set_path=choice.path(),
        output_dir=None,
        source="page",
        inputs=choice.inputs(segments=st.session_state.get(SEGMENTS_KEY) is not None),
        created_by=None if actor is None else actor.name,
    )
    recorded = _(
        "Recorded as run #{run_id} in the run history: compare it with earlier runs on the **Runs** page."
    ).format(run_id=run_id)
    st.session_state[RECORD_NOTE_KEY] = ("warning", escape_markdown(problem)) if problem else ("caption", recorded)


def _record_note() -> None:
    """Whether the stored result made it into the run history (its id), or why not."""
    kind, text = st.session_state.get(RECORD_NOTE_KEY, (None, None))
    if kind == "warning":
        st.warning(text)
    elif kind == "caption":
        st.caption(text)


def render_result(result: EvalResult, settings: Settings) -> None:
    """Draw ``result``: the metric cards, the set's notes, every system, segments, the A/B, per-query values, scores
    by label, calibration and the downloads."""
    _cards(result)
    _set_notes(result)
    _systems(result)
    _segments(result)
    _comparison(result)
    _per_query(result)
    st.markdown(_("**Scores by label**"))
    st.altair_chart(charts.score_distribution_chart(result))
    _calibration(result, settings)
    judging_view.holes_section(result)
    judging_view.pregrade_section(result, settings)
    _downloads(result)


def _cards(result: EvalResult) -> None:
    """The set's name and size, language warnings, queries without a relevant candidate, and model A's metrics."""
    report = result.report
    queries = ngettext("{n} query", "{n} queries", report.n_queries).format(n=report.n_queries)
    pairs = ngettext("{n} pair", "{n} pairs", report.n_pairs).format(n=report.n_pairs)
    st.subheader(f"{escape_markdown(result.labelled.name)}: {queries}, {pairs}")
    for note in st.session_state.get(LANGUAGE_NOTES_KEY, []):
        st.warning(note, icon=":material/translate:")
    n_none = report.n_queries_without_relevant
    if n_none:
        st.caption(
            ngettext(
                "{n} query has no relevant candidate; such queries score 0 and count in the means (trec_eval's "
                "convention).",
                "{n} queries have no relevant candidate; such queries score 0 and count in the means (trec_eval's "
                "convention).",
                n_none,
            ).format(n=n_none)
        )
    if report.n_queries < 2:
        st.info(_(ONE_QUERY_NOTE), icon=":material/info:")
    cards = charts.metric_cards(result)
    for column, card in zip(st.columns(len(cards)), cards):
        column.metric(
            card.label,
            card.value,
            delta=card.delta,
            help=card.help,
            delta_color=card.delta_color,
            delta_arrow=card.delta_arrow,
        )
        column.caption(card.interval)


def _systems(result: EvalResult) -> None:
    """Every system's means (read first, and they fit 1280 px), then their 95% intervals."""
    st.markdown(_("**All systems** (mean and 95% bootstrap interval over queries)"))
    names = result.report.metric_names
    config: dict[str, Any] = {"system": st.column_config.TextColumn(_("system"), width=110, pinned=True)}
    for name in names:
        config[name] = st.column_config.NumberColumn(name, format="%.4f", width=MEAN_WIDTH)
    for name in names:
        config[f"{name} 95% CI"] = st.column_config.TextColumn(_("{name} 95% CI").format(name=name), width=CI_WIDTH)
    st.dataframe(
        charts.systems_table(result), hide_index=True, width="stretch", column_order=list(config), column_config=config
    )


def _comparison(result: EvalResult) -> None:
    """The A/B test per metric, when the run compared two instructions or models."""
    comparison = charts.comparison_table(result)
    if comparison is None:
        return
    st.markdown(_("**A/B** — paired randomization test, 10,000 sign flips, two-sided; wins/ties/losses count queries"))
    ignoring = st.session_state.get(IGNORED_INSTRUCTION_KEY)
    if ignoring:
        st.warning(
            _(
                "The model {model} ignores instructions, so A and B will be identical (p = 1). Load a VLM "
                "reranker checkpoint to compare instructions."
            ).format(model=markdown_code(ignoring))
        )
    if result.report.n_queries < 2:
        st.caption(_(ONE_QUERY_TEST_NOTE))
    st.dataframe(
        comparison,
        hide_index=True,
        width="stretch",
        column_config={
            "metric": st.column_config.TextColumn(_("metric")),
            "B - A": st.column_config.NumberColumn("B - A", format="%+.4f"),
            "p-value": st.column_config.NumberColumn(_("p-value")),
            "B wins": st.column_config.NumberColumn(_("B wins")),
            "ties": st.column_config.NumberColumn(_("ties")),
            "B losses": st.column_config.NumberColumn(_("B losses")),
        },
    )


def _per_query(result: EvalResult) -> None:
    """Every system's value per query (the worst queries of model A when there are many) and the full table."""
    report = result.report
    per_query_title = _("**Per query** — {metric_names}").format(metric_names=report.metric_names[0])
    if report.n_queries > charts.MAX_CHART_QUERIES:
        per_query_title += _(
            " (the {MAX_CHART_QUERIES} queries where model A does worst; all are in the table)"
        ).format(MAX_CHART_QUERIES=charts.MAX_CHART_QUERIES)
    st.markdown(per_query_title)
    st.altair_chart(charts.per_query_chart(result), width="stretch")
    with st.expander(_("Per-query table")):
        st.dataframe(
            charts.per_query_table(result),
            hide_index=True,
            width="stretch",
            column_config={"qid": _("query id"), "query": _("query")},
        )


def _calibration(result: EvalResult, settings: Settings) -> None:
    """The reliability chart with the band thresholds, and precision / recall / F1 at each threshold."""
    st.markdown(
        _("**Calibration** — fraction relevant (label ≥ 1) per score bin; on the diagonal, P(yes) is calibrated")
    )
    st.altair_chart(charts.calibration_chart(result, medium=settings.medium, strong=settings.strong), width="stretch")
    st.dataframe(
        charts.threshold_table(result),
        hide_index=True,
        width="stretch",
        column_config={
            "system": _("system"),
            "rule": _("rule"),
            "threshold": _("threshold"),
            "precision": _("precision"),
            "recall": _("recall"),
            "pairs predicted relevant": _("pairs predicted relevant"),
        },
    )
    for key, cal in result.report.calibration.items():
        if cal.best_f1_is_trivial:
            st.caption(
                _(
                    "The best F1 of {system_name} calls every pair relevant (threshold {threshold:.2f}, below every "
                    "score): with mostly relevant candidates that is simply the best F1, not an operating point to "
                    "set a band at."
                ).format(system_name=charts.system_name(key, result), threshold=cal.best_f1.threshold)
            )
    if result.report.bands != {"medium": settings.medium, "strong": settings.strong}:
        st.caption(_("The band thresholds changed since this run; re-run to recompute the band rows."))


def _set_notes(result: EvalResult) -> None:
    """What the set's input order is, how much was judged, and the loader's notes."""
    labelled, report = result.labelled, result.report
    if labelled.first_stage:
        st.caption(
            _("Input order = the first stage: {first_stage}.").format(first_stage=escape_markdown(labelled.first_stage))
        )
    judged = f"judged@{report.k}"
    if judged in report.metric_names:
        share = report.primary.means[judged]
        st.caption(
            _(
                "{judged} of model A: {share:.1%} of its top {k} has judgments; the rest was never labelled and "
                "counts as not relevant (trec_eval's convention), so the metrics are a lower bound."
            ).format(judged=judged, share=share, k=report.k)
        )
    for note in labelled.notes:
        st.info(escape_markdown(note), icon=":material/info:")


def _segments(result: EvalResult) -> None:
    """The seed's table per segment (baselines, reranker, lift) and its chart, when the set has segments."""
    table = charts.segment_table(result)
    if table is None:
        return
    metric = result.report.metric_names[0]
    st.markdown(
        _(
            "**Per segment** — mean {metric}; lift = (model − baseline) / baseline, in percent; 'all' = every query"
        ).format(metric=metric)
    )
    config: dict[str, Any] = {"segment": _("segment"), "queries": _("queries")}
    for column, label in charts.lift_labels().items():
        config[column] = st.column_config.NumberColumn(
            label, format=charts.LIFT_FORMAT, help=_("(model − baseline) / baseline")
        )
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)
    st.altair_chart(charts.segment_chart(result), width="stretch")
    st.caption(_("Bars: mean per system; lines: 95% bootstrap interval over the segment's queries (metrics.json)."))


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


__all__ = [
    "INPUTS_KEY",
    "LANGUAGE_NOTES_KEY",
    "RESULT_KEY",
    "current_inputs",
    "read_chosen_set",
    "render_result",
    "run_evaluation",
    "set_picker",
    "show_stored",
]

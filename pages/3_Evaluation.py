"""Evaluation: score a labelled query set, with baselines, intervals, an optional instruction A/B and calibration.

Thin: reading, scoring and every number come from ``eval`` (the same code as ``python -m eval``).
"""

from __future__ import annotations

import logging

import streamlit as st

from eval import views
from eval.labelled import SHIPPED_SETS, shipped_set_path
from eval.loader import load_labelled_set
from eval.runner import evaluate_set, output_files
from lychee import ui

logger = logging.getLogger(__name__)
RESULT_KEY = "eval_result"
UPLOAD_KEY = "eval_upload_data"  # {"name": str, "data": bytes}: the uploaded set, kept across page switches
UPLOADER_KEY = "eval_upload"


def _on_upload() -> None:
    file = st.session_state.get(UPLOADER_KEY)
    if file is None:
        st.session_state.pop(UPLOAD_KEY, None)
    else:
        st.session_state[UPLOAD_KEY] = {"name": file.name, "data": file.getvalue()}


settings = ui.sidebar()

st.title(":material/analytics: Evaluation")
st.caption(
    "Score a labelled query set with the sidebar's model, next to two baselines (the candidates' input order and "
    "BM25). Metrics follow trec_eval's conventions; the numbers equal those of `python -m eval` on the same set."
)

source = st.radio(
    "Labelled set",
    ["shipped", "upload"],
    format_func={"shipped": "A shipped sample set", "upload": "Upload a set"}.__getitem__,
    horizontal=True,
    **ui.bind("eval_source", "shipped"),
)
if source == "shipped":
    set_name = st.selectbox(
        "Sample set",
        list(SHIPPED_SETS),
        format_func=lambda name: f"{name} — {SHIPPED_SETS[name]}",
        **ui.bind("eval_set", "passages.csv"),
    )
else:
    st.file_uploader(
        "JSONL, CSV, or a ZIP holding one of them with its images",
        type=["jsonl", "csv", "zip"],
        key=UPLOADER_KEY,
        on_change=_on_upload,
        help="JSONL: one query per line with labelled candidates. CSV: columns qid,query,docid,document,label. "
        "Image paths cannot be resolved relative to an uploaded JSONL/CSV: for a set with images, upload a .zip "
        "with the data file and its images (paths relative to the data file). See eval/data/README.md.",
    )
    stored = st.session_state.get(UPLOAD_KEY)
    if stored is not None and st.session_state.get(UPLOADER_KEY) is None:
        st.caption(f"Using `{stored['name']}` uploaded earlier. Upload another file to replace it.")

c1, c2 = st.columns([1, 3])
k = c1.number_input(
    "k (cutoff of ndcg@k and recall@k)", min_value=1, max_value=1000, step=1, **ui.bind("eval_k", 10)
)
compare = c2.toggle(
    "Compare two instructions (A/B)",
    help="A uses the sidebar's instruction; B uses the one below. Significance: paired randomization test.",
    **ui.bind("eval_compare", False),
)
instruction_b = None
if compare:
    instruction_b = st.text_area(
        "Instruction B",
        height=80,
        help="Compared against the sidebar's instruction (A) on the same model.",
        **ui.bind("eval_instruction_b", "Given a product search query, retrieve products that match it."),
    )

if st.button("Run evaluation", type="primary", icon=":material/play_arrow:", key="eval_run"):
    labelled = None
    try:
        if source == "shipped":
            labelled = load_labelled_set(shipped_set_path(set_name), name=f"eval/data/{set_name}")
        elif st.session_state.get(UPLOAD_KEY) is None:
            st.error("No file uploaded: upload a JSONL, CSV or ZIP labelled set above, or choose a shipped set.")
        else:
            upload = st.session_state[UPLOAD_KEY]
            labelled = load_labelled_set(upload["data"], name=upload["name"])
    except ValueError as exc:  # LabelledSetError included: the message names the file and line
        st.error(str(exc))
    if labelled is not None and compare and not (instruction_b or "").strip():
        st.error("Instruction B is empty: type the instruction to compare against the sidebar's, or switch A/B off.")
        labelled = None
    if labelled is not None:
        scorer = ui.get_scorer(settings)
        if scorer is not None:
            if compare and not scorer.capabilities.uses_instruction:
                st.warning(
                    f"The model `{settings.model}` ignores instructions, so A and B will be identical (p = 1). "
                    "Load a VLM reranker checkpoint to compare instructions."
                )
            callback, finish = ui.progress_bar(f"Scoring {labelled.n_pairs * (2 if compare else 1)} pairs")
            try:
                st.session_state[RESULT_KEY] = evaluate_set(
                    labelled,
                    scorer,
                    instruction=settings.instruction,
                    model_id=settings.model,
                    compare=compare,
                    instruction_b=instruction_b if compare else None,
                    k=int(k),
                    progress=callback,
                    strong=settings.strong,
                    medium=settings.medium,
                )
            except ValueError as exc:
                st.error(str(exc))
            except Exception as exc:  # a model can fail in many ways (CUDA OOM, a broken checkpoint): never a traceback
                logger.exception("evaluation of %s with %r failed", labelled.name, settings.model)
                st.error(f"Scoring failed: {type(exc).__name__}: {exc}. Nothing was reported; fix the cause and run again.")
            finally:
                finish()

result = st.session_state.get(RESULT_KEY)
if result is None:
    st.info("Pick a set and click **Run evaluation**. The small web-passages set takes a few seconds on CPU.")
    st.stop()

m = result.metrics
st.divider()
st.subheader(f"{result.labelled.name}: {m['n_queries']} queries, {m['n_pairs']} pairs")
if m["n_queries_without_relevant"]:
    st.caption(
        f"{m['n_queries_without_relevant']} quer{'y has' if m['n_queries_without_relevant'] == 1 else 'ies have'} no "
        "relevant candidate; such queries score 0 and count in the means (trec_eval's convention)."
    )
cards = views.metric_cards(result)
for column, card in zip(st.columns(len(cards)), cards):
    column.metric(card.label, card.value, delta=card.delta, help=card.help, delta_color="normal")
    column.caption(card.interval)

st.markdown("**All systems** (mean and 95% bootstrap interval over queries)")
st.dataframe(views.systems_table(result), hide_index=True, width="stretch")

comparison = views.comparison_table(result)
if comparison is not None:
    st.markdown("**A/B** — paired randomization test, 10,000 sign flips, two-sided; wins/ties/losses count queries")
    st.dataframe(comparison, hide_index=True, width="stretch")

per_query_title = f"**Per query** — {result.metric_names[0]}"
if m["n_queries"] > views.MAX_CHART_QUERIES:
    per_query_title += f" (the {views.MAX_CHART_QUERIES} queries where model A does worst; all are in the table)"
st.markdown(per_query_title)
st.altair_chart(views.per_query_chart(result), width="stretch")
with st.expander("Per-query table"):
    st.dataframe(views.per_query_table(result), hide_index=True, width="stretch")

st.markdown("**Scores by label**")
st.altair_chart(views.score_distribution_chart(result))

st.markdown("**Calibration** — fraction relevant (label ≥ 1) per score bin; on the diagonal, P(yes) is calibrated")
st.altair_chart(views.calibration_chart(result, medium=settings.medium, strong=settings.strong), width="stretch")
st.dataframe(views.threshold_table(result), hide_index=True, width="stretch")
if m["settings"]["bands"] != {"medium": settings.medium, "strong": settings.strong}:
    st.caption("The band thresholds changed since this run; re-run to recompute the band rows.")

files = output_files(result)
d1, d2, d3, d4 = st.columns(4)
d1.download_button("run.trec", files["run.trec"], file_name="run.trec", mime="text/plain", key="eval_dl_run")
d2.download_button("metrics.json", files["metrics.json"], file_name="metrics.json", mime="application/json", key="eval_dl_metrics")
d3.download_button("per_query.csv", files["per_query.csv"], file_name="per_query.csv", mime="text/csv", key="eval_dl_per_query")
d4.download_button("qrels.txt", files["qrels.txt"], file_name="qrels.txt", mime="text/plain", key="eval_dl_qrels")

"""The Judge page's grading: pick a saved set and a query, grade its titles blind in a seeded random order with the
set's guidelines beside them, save (partially, if need be), and only then — or on request, recorded — see the
model's scores. Agreement, disagreements and the set's settings are :mod:`lychee.ui.judge.review_view`.

Session keys (``judge_*``): the chosen set and query, each (set, query, rater)'s seed, the grades picked but not yet
saved (``judge_grades``: survives page switches), the reveal switch per query and the scores once computed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from eval.history.labelling import list_sets, make_record, save_query
from eval.judgments.ratings import progress
from eval.sets.labelled import LabelledQuery, LabelledSet
from eval.sets.loader import load_labelled_set
from lychee.bands import band
from lychee.roles import PermissionDeniedError
from lychee.ui.evaluation.logic import saved_set_name
from lychee.ui.i18n import _, ngettext
from lychee.ui.judge import grader_view
from lychee.ui.judge.logic import (
    new_seed,
    progress_label,
    revealed_table,
    shuffled,
    titles_of_query,
    widget_suffix,
)
from lychee.ui.shell import notices
from lychee.ui.shell.identity import current_actor
from lychee.ui.shell.models import get_scorer
from lychee.ui.shell.progress import run_with_progress
from lychee.ui.shell.settings import Settings
from lychee.ui.shell.state import bind

SET_KEY = "judge_set"
QUERY_KEY = "judge_query"
SEEDS_KEY = "judge_seeds"  # {(set, qid, rater): seed}
GRADES_KEY = "judge_grades"  # {(set, qid, rater): {docid: grade}}: picked, not necessarily saved
SHOWN_KEY = "judge_shown"  # {(set, qid, rater): True} once the model's scores were shown before finishing
SCORES_KEY = "judge_scores"  # {(set, qid, model, instruction): [P(yes) per candidate]}
MESSAGE_KEY = "judge_message"  # ("success" | "error", text) of the last save


def pick_set() -> tuple[Path, LabelledSet] | None:
    """The saved set to judge (JSONL sets in the sets folder), loaded; ``None`` after saying why there is none."""
    paths = [str(p) for p in list_sets() if p.suffix.lower() == ".jsonl"]
    if not paths:
        st.info(
            _(
                "No saved sets yet. Grade titles on **Batch rerank** and save them into a set, or use *Judge the "
                "holes* on **Evaluation**; the set appears here."
            )
        )
        return None
    chosen = st.selectbox(
        _("Set"), paths, format_func=lambda p: saved_set_name(Path(p)), **bind(SET_KEY, paths[0], options=paths)
    )
    try:
        return Path(chosen), load_labelled_set(chosen)
    except ValueError as exc:
        notices.library_error(
            str(exc), _("This set cannot be read. Pick another set, or fix its file as the message says."), escape=False
        )
        return None


def pick_query(labelled: LabelledSet, rater: str) -> LabelledQuery:
    """The query to grade, listed with this rater's progress (✓ done, or graded/total) and its other raters."""
    items = {p.qid: p for p in progress(labelled, rater)}
    texts = {q.qid: q.text for q in labelled.queries}
    qids = list(items)
    first_open = next((p.qid for p in items.values() if not p.done), qids[0])
    qid = st.selectbox(
        _("Query"),
        qids,
        format_func=lambda q: progress_label(items[q], texts[q]),
        **bind(QUERY_KEY, first_open, options=qids),
    )
    done = sum(p.done for p in items.values())
    st.caption(_("You have graded every title of {done} of {n_qids} queries.").format(done=done, n_qids=len(qids)))
    return next(q for q in labelled.queries if q.qid == qid)


def _scope(path: Path, query: LabelledQuery, rater: str) -> tuple[str, str, str]:
    return (str(path), query.qid, rater)


def _grades(scope: tuple[str, str, str], query: LabelledQuery, rater: str) -> dict[str, int | None]:
    """The grades being picked for this query: first this rater's saved grades, then what they pick."""
    store = st.session_state.setdefault(GRADES_KEY, {})
    if scope not in store:
        store[scope] = {c.docid: dict(c.grades).get(rater) for c in query.candidates}
    return store[scope]


def grade_query(path: Path, labelled: LabelledSet, query: LabelledQuery, rater: str, settings: Settings) -> None:
    """The blind grading of one query: shuffled titles, the guidelines, Save, and the reveal."""
    scope = _scope(path, query, rater)
    seed = st.session_state.setdefault(SEEDS_KEY, {}).setdefault(scope, new_seed())
    titles = titles_of_query(query)
    order = shuffled(len(titles), seed)
    grades = _grades(scope, query, rater)
    st.markdown(_("**Query:** {value}").format(value=query.text or _("(image only)")))
    left, right = st.columns([3, 2])
    with right:
        grader_view.guidelines(labelled.guidelines)
    with left:
        grader_view.grade_rows(titles, order, grades, key=f"judge_{seed}")
    values = [grades.get(t.docid) for t in titles]
    st.caption(
        _("{value} of {n_titles} titles graded (order seed {seed}).").format(
            value=sum(g is not None for g in values), n_titles=len(titles), seed=seed
        )
    )
    if st.button(_("Save my grades"), key="judge_save", type="primary", icon=":material/save:"):
        shown = scope in st.session_state.get(SHOWN_KEY, {})
        _save(path, query, titles, values, rater=rater, seed=seed, shown=shown)
    kind, text = st.session_state.pop(MESSAGE_KEY, (None, None))
    if kind is not None:
        (st.success if kind == "success" else st.error)(text)
    _reveal(scope, query, titles, order, values, settings)


def _save(
    path: Path, query: LabelledQuery, titles: Any, grades: list[int | None], *, rater: str, seed: int, shown: bool
) -> None:
    """Save this rater's grades of the query (replacing their earlier ones: the page showed them); a message after."""
    try:
        record = make_record(
            qid=query.qid,
            text=query.text,
            titles=[t.text for t in titles],
            grades=grades,
            rater=rater,
            docids=[t.docid for t in titles],
            scores_shown=shown,
            seed=seed,
        )
        saved = save_query(record, set_file=path, actor=current_actor(), replace=True)
    except (ValueError, OSError, PermissionDeniedError) as exc:
        st.session_state[MESSAGE_KEY] = ("error", _("Nothing was saved: {exc}").format(exc=exc))
        return
    n = sum(g is not None for g in grades)
    st.session_state[MESSAGE_KEY] = (
        "success",
        ngettext(
            "Saved {n} grade by {rater} for query `{qid}` in `{name}`; this query is graded by {join}.",
            "Saved {n} grades by {rater} for query `{qid}` in `{name}`; this query is graded by {join}.",
            n,
        ).format(n=n, rater=rater, qid=saved.qid, name=path.name, join=", ".join(saved.raters)),
    )
    st.rerun()  # reload the set so progress and agreement include these grades


def _reveal(
    scope: tuple[str, str, str],
    query: LabelledQuery,
    titles: Any,
    order: list[int],
    grades: list[int | None],
    settings: Settings,
) -> None:
    """**Show the model's scores**: score the query with the sidebar's model and show them beside the grades; shown
    before every title has a saved grade, it is recorded with the next save (``scores_shown``)."""
    finished = all(rater_has(c, scope[2]) for c in query.candidates)
    if not st.toggle(_("Show the model's scores"), key=f"judge_show_{widget_suffix(*scope)}"):
        if not finished:
            st.caption(_("The model's scores stay hidden while you grade; asking to see them first is recorded."))
        return
    if not finished:
        st.session_state.setdefault(SHOWN_KEY, {})[scope] = True
    key = (scope[0], query.qid, settings.model, settings.instruction)
    cache = st.session_state.setdefault(SCORES_KEY, {})
    if key not in cache:
        scorer = get_scorer(settings)
        if scorer is None:
            return
        documents = [c.item() for c in query.candidates]
        ok, preds = run_with_progress(
            _("Scoring {n_titles} titles").format(n_titles=len(titles)),
            lambda callback: scorer.predict(query.item(), documents, settings.instruction, progress=callback),
        )
        if not ok:
            return
        cache[key] = [p.score for p in preds]
    scores = cache[key]
    bands = [band(s, strong=settings.strong, medium=settings.medium) for s in scores]
    st.dataframe(revealed_table(titles, order, grades, scores, bands), hide_index=True, width="stretch")


def rater_has(candidate: Any, rater: str) -> bool:
    """Whether ``rater`` has a saved grade on ``candidate``."""
    return rater in dict(candidate.grades)


__all__ = ["GRADES_KEY", "QUERY_KEY", "SET_KEY", "grade_query", "pick_query", "pick_set", "rater_has"]

"""Labelling on the Batch rerank page: grade titles 0–3 beside the model's ranking and save the query into a labelled
set (the grading table and the messages are :mod:`lychee.ui.batch.label`); :func:`save_controls` is shared with the
blind Judge mode (:mod:`lychee.ui.batch.judge_view`).

The grades are an editable column of the results (``st.data_editor``); they are copied into
``st.session_state["batch_label_grades"]`` after every run, tied to the result they grade, so they survive page
switches. Titles left ungraded are saved unjudged (not 0). Each save records the rater (the signed-in user, or the
name asked once per session) and the time, and that the model's scores were in view. Saving goes through
:func:`eval.history.labelling.save_query` (merged beside other raters' grades, locked, atomic, reloaded through the
evaluation loader). When this rater already graded the query, their grades are replaced only after they confirm: the
refused record waits in ``batch_label_pending`` until **Replace it** or **Keep the existing one** is clicked. Saving is an editor's act: a
viewer sees a line saying so instead of the section (and ``save_query`` refuses a viewer anyway).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from eval.history.labelling import (
    GRADES,
    QueryExistsError,
    QueryRecord,
    default_qid,
    list_sets,
    make_record,
    save_query,
    set_path,
)
from eval.history.workspace import sets_dir
from lychee.formatting import escape_markdown
from lychee.roles import PermissionDeniedError
from lychee.ui.batch.label import graded_caption, grades_from_frame, grading_frame, png_bytes, saved_message
from lychee.ui.batch.table import BatchResult
from lychee.ui.i18n import _, grade_meaning
from lychee.ui.judge import grader_view
from lychee.ui.shell import notices
from lychee.ui.shell.identity import current_actor
from lychee.ui.shell.settings import Settings
from lychee.ui.shell.state import bind

GRADES_KEY = "batch_label_grades"  # {"result": BatchResult, "grades": [grade or None per title, input order]}
PENDING_KEY = "batch_label_pending"  # {"record": QueryRecord, "path": Path, "message": str}
SAVED_KEY = "batch_label_saved"  # {"saved": SaveResult, "rater": str, "complete": bool}: the last save
ERROR_KEY = "batch_label_error"  # a message from the confirm buttons' callbacks
EDITOR_KEY = "batch_label_editor"
QID_KEY = "batch_label_qid"
NEW_SET = "new"
EXISTING_SET = "existing"


def grades_for(result: BatchResult) -> list[int | None]:
    """The grades kept for ``result`` (input order); fresh (all ``None``) for a new result, which also resets the id."""
    stored = st.session_state.get(GRADES_KEY)
    if not isinstance(stored, dict) or stored.get("result") is not result:
        image = result.query.image if result.query is not None else None
        st.session_state[GRADES_KEY] = {"result": result, "grades": [None] * len(result.titles)}
        st.session_state[QID_KEY] = default_qid(result.query_text, png_bytes(image))
        for key in (PENDING_KEY, SAVED_KEY, ERROR_KEY):
            st.session_state.pop(key, None)
    return st.session_state[GRADES_KEY]["grades"]


def render(result: BatchResult, settings: Settings) -> None:
    """The labelling section under the batch results: the grade column, the target set and Save (editors only)."""
    actor = current_actor()
    if actor is None or not actor.is_editor:
        st.caption(
            ":material/lock: "
            + _(
                "Grading these titles and saving them into a labelled set is for editors; you are signed in as a "
                "viewer."
            )
        )
        return
    grades = grades_for(result)
    st.divider()
    st.subheader(_("Label these results"))
    meanings = _(", ").join(f"**{g}** {grade_meaning(g)}" for g in GRADES)
    st.caption(
        _(
            "Grade the titles: {meanings}. Titles you leave ungraded stay unjudged. The model's scores are in view "
            "here; switch on **Judge mode** above to grade blind."
        ).format(meanings=meanings)
    )
    rater = grader_view.ask_rater("batch_label")
    edited = st.data_editor(
        grading_frame(result, grades),
        key=EDITOR_KEY,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(result.titles), 560),
        disabled=["rank_a", "title", "score"],
        column_config={
            "rank_a": st.column_config.NumberColumn(_("Rank"), format="%d", width="small"),
            "title": st.column_config.TextColumn(_("Title")),
            "score": st.column_config.NumberColumn(_("P(yes)"), format="%.3f", width="small"),
            "grade": st.column_config.SelectboxColumn(
                _("Grade (0-3)"),
                options=list(GRADES),
                required=False,
                width="small",
                help=_("0 not relevant ... 3 exact."),
            ),
        },
    )
    grades = grades_from_frame(edited, len(result.titles))
    st.session_state[GRADES_KEY]["grades"] = grades
    st.caption(graded_caption(grades))
    save_controls(result, grades, rater=rater, scores_shown=True, seed=None)


def save_controls(
    result: BatchResult, grades: list[int | None], *, rater: str | None, scores_shown: bool, seed: int | None
) -> dict[str, Any] | None:
    """The target set, the query id and **Save to set** (with the replace confirmation and the messages).

    Args:
        result: the batch whose titles are graded.
        grades: one grade or ``None`` per title, in input order.
        rater: who grades (``None``: not given yet; saving then says so).
        scores_shown: whether the model's scores were on screen (recorded with the grades).
        seed: the seed of the shuffled order the titles were graded in (``None``: the ranked order).

    Returns:
        The last save of this result in this session — ``{"saved": SaveResult, "rater", "complete"}``, complete when
        every title had a grade — or ``None``.
    """
    folder = sets_dir()
    target = _target_picker(folder)
    st.text_input(
        _("Query id"),
        **bind(QID_KEY, default_qid(result.query_text)),
        help=_(
            "How the query is named in the set (no spaces). The same query gets the same id, so another "
            "rater's grades of it go beside yours."
        ),
    )
    if st.button(_("Save to set"), key="batch_label_save", type="primary", icon=":material/save:"):
        _save(result, grades, target, rater=rater, scores_shown=scores_shown, seed=seed)
    _pending()
    if st.session_state.get(ERROR_KEY):
        notices.library_error(
            st.session_state[ERROR_KEY], _("Nothing was saved. Correct what the message names, then save again.")
        )
    saved = st.session_state.get(SAVED_KEY)
    if isinstance(saved, dict):
        st.success(saved_message(saved["saved"], saved["rater"]))
        return saved
    return None


def _target_picker(folder: Any) -> Any:
    """The set to save into: an existing one from the sets folder, or a new name. Returns its path or a message."""
    existing = [p for p in list_sets(folder) if p.suffix.lower() == ".jsonl"]
    if not existing:
        st.session_state["batch_label_target"] = NEW_SET
    where = st.radio(
        _("Save into"),
        [EXISTING_SET, NEW_SET],
        format_func={EXISTING_SET: _("An existing set"), NEW_SET: _("A new set")}.__getitem__,
        horizontal=True,
        disabled=not existing,
        **bind("batch_label_target", EXISTING_SET if existing else NEW_SET),
    )
    if where == EXISTING_SET and existing:
        names = [p.stem for p in existing]
        name = st.selectbox(_("Set"), names, **bind("batch_label_set", names[0], options=names))
        return set_path(name, folder=folder)
    name = st.text_input(
        _("New set name"),
        placeholder=_("e.g. shoes-2024"),
        help=_("Letters, digits, '_', '.', '-'; saved as <name>.jsonl."),
        **bind("batch_label_new_set", ""),
    )
    try:
        return set_path(name, folder=folder)
    except ValueError as exc:
        return str(exc)


def _save(
    result: BatchResult,
    grades: list[int | None],
    target: Any,
    *,
    rater: str | None,
    scores_shown: bool,
    seed: int | None,
) -> None:
    """Build the record from the grades and save it into ``target`` (a path, or the message why there is none)."""
    for key in (PENDING_KEY, SAVED_KEY, ERROR_KEY):
        st.session_state.pop(key, None)
    if isinstance(target, str):
        st.session_state[ERROR_KEY] = target
        return
    if rater is None:
        st.session_state[ERROR_KEY] = _("Give your name as a rater above first: every saved grade records who gave it.")
        return
    try:
        record = make_record(
            qid=st.session_state.get(QID_KEY, ""),
            text=result.query_text,
            titles=result.titles,
            grades=grades,
            rater=rater,
            image=result.query.image if result.query is not None else None,
            scores_shown=scores_shown,
            seed=seed,
        )
    except ValueError as exc:
        st.session_state[ERROR_KEY] = str(exc)
        return
    _write(record, target, replace=False)


def _write(record: QueryRecord, path: Any, *, replace: bool) -> None:
    """Save ``record``; a query this rater already graded waits for confirmation, other problems become the error."""
    try:
        saved = save_query(record, set_file=path, actor=current_actor(), replace=replace)
    except QueryExistsError as exc:
        st.session_state[PENDING_KEY] = {"record": record, "path": path, "message": str(exc)}
    except (ValueError, OSError, PermissionDeniedError) as exc:
        st.session_state[ERROR_KEY] = _("Nothing was saved: {exc}").format(exc=exc)
    else:
        complete = all(t.grade is not None for t in record.titles)
        st.session_state[SAVED_KEY] = {"saved": saved, "rater": record.rater, "complete": complete}


def _confirm_replace() -> None:
    """**Replace it**: save the waiting record over this rater's earlier grades."""
    pending = st.session_state.pop(PENDING_KEY, None)
    if isinstance(pending, dict):
        _write(pending["record"], pending["path"], replace=True)


def _cancel_replace() -> None:
    """**Keep the existing one**: forget the waiting record."""
    st.session_state.pop(PENDING_KEY, None)


def _pending() -> None:
    """The confirm-before-replace question, while a refused save waits (callbacks act before the next run)."""
    pending = st.session_state.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return
    st.warning(escape_markdown(pending["message"]))
    c1, c2, _rest = st.columns([1, 1, 3])
    c1.button(_("Replace it"), key="batch_label_replace", type="primary", on_click=_confirm_replace)
    c2.button(_("Keep the existing one"), key="batch_label_cancel", on_click=_cancel_replace)


__all__ = ["EDITOR_KEY", "GRADES_KEY", "PENDING_KEY", "QID_KEY", "SAVED_KEY", "grades_for", "render", "save_controls"]

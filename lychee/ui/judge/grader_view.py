"""The pieces every grading view draws: who the rater is (asked once per session), the set's guidelines, and one
grade select per title in the rater's shuffled order.

A grade select is keyboard-friendly: Tab moves from title to title, typing ``0``–``3`` picks the grade (Enter
confirms). Each grade is kept in a plain session dict as soon as it is picked, so unsaved grades survive reruns and
page switches; nothing about the model (score, band, rank) is drawn here.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from eval.history.labelling import GRADES
from eval.sets.grades import check_rater
from lychee.ui.i18n import _, grade_meaning
from lychee.ui.judge.logic import Title, escape_markdown, grade_label, rater_from_user, safe_markdown

#: The rater's name for this session (a non-widget key: asked once, kept across pages).
RATER_KEY = "judge_rater"
RATER_ERROR_KEY = "judge_rater_error"


def signed_in_user() -> str | None:
    """The signed-in user's name (``st.user``), or ``None`` when sign-in is not configured or nobody signed in."""
    try:
        user = {**st.user.to_dict(), "is_logged_in": bool(st.user.is_logged_in)}
    except (AttributeError, KeyError, RuntimeError):  # no auth configured, or not in a script run
        return None
    return rater_from_user(user)


def current_rater() -> str | None:
    """Who grades now: the signed-in user, else the name given this session, else ``None``."""
    return signed_in_user() or st.session_state.get(RATER_KEY)


def _set_rater(input_key: str) -> None:
    try:
        st.session_state[RATER_KEY] = check_rater(st.session_state.get(input_key, ""))
        st.session_state.pop(RATER_ERROR_KEY, None)
    except ValueError as exc:
        st.session_state[RATER_ERROR_KEY] = str(exc)


def _forget_rater() -> None:
    st.session_state.pop(RATER_KEY, None)


def ask_rater(prefix: str) -> str | None:
    """The rater: the signed-in user, or a name asked once per session (``None`` until it is given)."""
    user = signed_in_user()
    if user is not None:
        st.caption(
            _("Grading as **{user}** (signed in); each grade records this name and the time.").format(
                user=escape_markdown(user)
            )
        )
        return user
    name = st.session_state.get(RATER_KEY)
    if name:
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        c1.caption(
            _("Grading as **{name}**; each grade you save records this name and the time.").format(
                name=escape_markdown(name)
            )
        )
        c2.button(_("Change name"), key=f"{prefix}_change_rater", on_click=_forget_rater)
        return name
    input_key = f"{prefix}_rater_input"
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.text_input(
        _("Your name as a rater"),
        key=input_key,
        placeholder=_("e.g. alice"),
        help=_("Recorded with every grade you save, so several raters' grades of one set can be told apart."),
    )
    c2.button(_("Start grading"), key=f"{prefix}_rater_ok", type="primary", on_click=_set_rater, args=(input_key,))
    if st.session_state.get(RATER_ERROR_KEY):
        st.error(st.session_state[RATER_ERROR_KEY])
    else:
        st.info(_("Give your name as a rater to start grading."))
    return None


def guidelines(text: str | None) -> None:
    """The set's guidelines (markdown, rendered without HTML), or the grade scale when the set has none."""
    with st.expander(_("Guidelines"), expanded=True, icon=":material/menu_book:"):
        if text and text.strip():
            st.markdown(safe_markdown(text))
        else:
            st.caption(_("This set has no guidelines yet. The grades mean:"))
            st.markdown("\n".join(f"- **{g}** {meaning}" for g, meaning in ((g, grade_meaning(g)) for g in GRADES)))


def _keep(widget_key: str, grades: dict[str, int | None], docid: str) -> None:
    grades[docid] = st.session_state.get(widget_key)


def grade_rows(titles: Sequence[Title], order: Sequence[int], grades: dict[str, int | None], *, key: str) -> None:
    """One row per title in ``order`` (the shuffled positions): its number in this order, its text, a grade select.

    Args:
        titles: the titles by input position.
        order: the positions in the order to show them.
        grades: docid -> grade, updated as the rater picks (a dict kept in session state by the caller).
        key: the widget key prefix (unique per rater's list: the seed goes in it).
    """
    for n, position in enumerate(order, start=1):
        title = titles[position]
        widget_key = f"_w_{key}_{title.docid}"
        st.session_state[widget_key] = grades.get(title.docid)
        left, right = st.columns([5, 2], vertical_alignment="center")
        text = (
            escape_markdown(title.text)
            if title.text
            else _("*(image {value})*").format(value=escape_markdown(title.image_name or ""))
        )
        left.markdown(f"**{n}.** {text}")
        right.selectbox(
            _("Grade of title {n}").format(n=n),
            list(GRADES),
            index=None,
            format_func=grade_label,
            placeholder=_("grade 0-3"),
            key=widget_key,
            on_change=_keep,
            args=(widget_key, grades, title.docid),
            label_visibility="collapsed",
        )


__all__ = ["RATER_KEY", "ask_rater", "current_rater", "grade_rows", "guidelines", "signed_in_user"]

"""Judging without Streamlit (lychee.ui.judge.logic / access, lychee.ui.evaluation.judging): the seeded order, what a
rater sees, the signed-in rater, safe guidelines, the tables, where the holes are queued."""

from __future__ import annotations

from eval.sets.grades import check_rater
from lychee.ui.evaluation.judging import queue_path
from lychee.ui.judge.access import can_edit
from lychee.ui.judge.logic import (
    Title,
    escape_markdown,
    grade_label,
    rater_from_user,
    revealed_table,
    safe_markdown,
    shuffled,
    titles_of_list,
)


def test_titles_carry_no_score_and_ids_follow_batch_reranks():
    titles = titles_of_list(["a"] * 12)
    assert [t.docid for t in titles[:2]] == ["d01", "d02"] and titles[-1].docid == "d12"
    assert set(Title.__dataclass_fields__) == {"docid", "text", "position", "image_name"}


def test_seeded_order():
    assert shuffled(10, 5) == shuffled(10, 5) != list(range(10))
    assert shuffled(0, 1) == []


def test_the_signed_in_user_is_the_rater():
    assert rater_from_user({"is_logged_in": True, "email": "ann@example.com", "name": "Ann"}) == "ann@example.com"
    assert rater_from_user({"is_logged_in": True, "name": "Ann"}) == "Ann"
    assert rater_from_user({"is_logged_in": False, "email": "ann@example.com"}) is None
    assert rater_from_user({}) is None
    assert check_rater("ann@example.com") == "ann@example.com"


def test_guidelines_lose_html_and_script_links_and_titles_show_as_typed():
    text = "**3** exact <script>alert(1)</script><b>bold</b> [a](javascript:alert(1)) [b](DATA:text/html,x) "
    text += "[ok](https://x.org)"
    assert safe_markdown(text) == "**3** exact alert(1)bold [a](#) [b](#) [ok](https://x.org)"
    assert escape_markdown("Nike *Air* [2] #1 <b>") == "Nike \\*Air\\* \\[2\\] \\#1 \\<b\\>"
    assert grade_label(2) == "2 · relevant" and grade_label(None) == "—"


def test_the_revealed_table_follows_the_raters_order():
    titles = titles_of_list(["boots", "mug", "socks"])
    table = revealed_table(titles, [2, 0, 1], [1, 3, None], [0.9, 0.1, 0.5], ["strong", "weak", "weak"])
    assert table["title"].tolist() == ["socks", "boots", "mug"]
    assert table["your_grade"].isna().tolist() == [True, False, False]
    assert table["your_grade"].tolist()[1:] == [1, 3]
    assert table["model_rank"].tolist() == [2, 1, 3]


def test_only_editors_may_edit_a_sets_rule_guidelines_and_final_grades():
    from lychee.roles import Actor

    assert can_edit(Actor("ana@example.com", "editor"))
    assert not can_edit(Actor("li@example.com", "viewer")) and not can_edit(None)


def test_holes_are_queued_under_a_safe_name(workspace):
    assert queue_path("passages.zip:passages (split test)") == workspace / "sets" / "passages-holes.jsonl"
    assert queue_path("/data/beir/scifact (split test)").name == "scifact-holes.jsonl"
    assert queue_path("data/sets/shoes.jsonl").name == "shoes-holes.jsonl"

"""eval.history.labelling: graded queries saved as JSONL sets that the evaluation loader reads back; atomic, locked,
confirmed; several raters merged, partial grading kept unjudged."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from eval.history import setfile
from eval.history.labelling import QueryExistsError, default_qid, list_sets, make_record, save_query, set_path
from eval.history.workspace import sets_dir
from eval.sets.loader import load_labelled_set
from lychee.roles import Actor, PermissionDeniedError
from tests.helpers import run_in_fresh_interpreters

EDITOR = Actor("ana@example.com", "editor")

TITLES = ["Women's waterproof hiking boots", "Coffee mug", "Trail running shoes"]
AT = "2025-05-01T09:30:00+00:00"


def _record(qid="boots", text="waterproof hiking boots", grades=(3, 0, 1), rater="ann", **kw):
    kw.setdefault("at", AT)
    return make_record(qid=qid, text=text, titles=kw.pop("titles", TITLES), grades=list(grades), rater=rater, **kw)


def test_the_sets_folder_follows_the_environment(workspace):
    assert sets_dir() == workspace / "sets"
    assert set_path("shoes") == workspace / "sets" / "shoes.jsonl"
    assert set_path("shoes.jsonl") == workspace / "sets" / "shoes.jsonl"


def test_a_saved_query_reloads_through_the_evaluation_loader(tmp_path):
    path = set_path("shoes", folder=tmp_path)
    saved = save_query(_record(), set_file=path, actor=EDITOR)
    assert (saved.path, saved.qid, saved.n_queries, saved.replaced) == (path, "boots", 1, False)
    labelled = load_labelled_set(path)
    assert labelled.qrels == {"boots": {"d1": 3, "d2": 0, "d3": 1}}
    (query,) = labelled.queries
    assert query.text == "waterproof hiking boots"
    assert [c.text for c in query.candidates] == TITLES
    graded = {"graded_at": {"ann": AT}}
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "qid": "boots",
        "query": {"text": "waterproof hiking boots"},
        "candidates": [
            {"docid": "d1", "text": TITLES[0], "label": 3, "grades": {"ann": 3}, **graded},
            {"docid": "d2", "text": TITLES[1], "label": 0, "grades": {"ann": 0}, **graded},
            {"docid": "d3", "text": TITLES[2], "label": 1, "grades": {"ann": 1}, **graded},
        ],
        "judging": {"ann": {"at": AT}},
        "saved_by": "ana@example.com",
    }
    assert labelled.raters == ["ann"]
    # no temporary or half-written file is left beside the set
    assert sorted(p.name for p in tmp_path.iterdir()) == [".shoes.jsonl.lock", "shoes.jsonl"]
    assert list_sets(tmp_path) == [path]


def test_queries_are_appended_in_order_and_docids_are_padded(tmp_path):
    path = set_path("mixed", folder=tmp_path)
    save_query(_record(), set_file=path, actor=EDITOR)
    titles = [f"title {i}" for i in range(12)]
    saved = save_query(_record(qid="mugs", text="ceramic mugs", titles=titles, grades=[1] * 12), set_file=path, actor=EDITOR)
    assert saved.n_queries == 2
    labelled = load_labelled_set(path)
    assert [q.qid for q in labelled.queries] == ["boots", "mugs"]
    assert list(labelled.qrels["mugs"]) == [f"d{i:02d}" for i in range(1, 13)]


def test_a_raters_own_grades_are_replaced_only_when_confirmed(tmp_path):
    path = set_path("shoes", folder=tmp_path)
    save_query(_record(), set_file=path, actor=EDITOR)
    save_query(_record(qid="mugs", text="mugs", grades=(0, 3, 0)), set_file=path, actor=EDITOR)
    before = path.read_bytes()
    with pytest.raises(QueryExistsError) as refused:
        save_query(_record(grades=(2, 2, 2)), set_file=path, actor=EDITOR)
    assert str(refused.value) == (
        "shoes.jsonl: 'ann' has already graded query 'boots' in the set (line 1: query 'boots' ('waterproof hiking "
        "boots')). Confirm to replace your grades of it with the new ones (other raters' grades are kept), or change "
        "the query id to add it as another query."
    )
    assert path.read_bytes() == before
    saved = save_query(_record(grades=(2, 2, 2)), set_file=path, actor=EDITOR, replace=True)
    assert (saved.n_queries, saved.replaced) == (2, True)
    labelled = load_labelled_set(path)
    assert [q.qid for q in labelled.queries] == ["boots", "mugs"]  # replaced in place
    assert labelled.qrels["boots"] == {"d1": 2, "d2": 2, "d3": 2}


def test_the_same_query_text_under_another_id_counts_as_already_there(tmp_path):
    path = set_path("shoes", folder=tmp_path)
    save_query(_record(), set_file=path, actor=EDITOR)
    with pytest.raises(QueryExistsError, match=re.escape("line 1: query 'boots' ('waterproof hiking boots')")):
        save_query(_record(qid="boots-2", text="  Waterproof   hiking BOOTS "), set_file=path, actor=EDITOR)
    again = _record(qid="boots-2", text="Waterproof hiking boots", grades=(1, 1, 1))
    saved = save_query(again, set_file=path, actor=EDITOR, replace=True)
    assert (saved.qid, saved.replaced) == ("boots", True)  # merged into the query already there, under its id
    assert load_labelled_set(path).qrels == {"boots": {"d1": 1, "d2": 1, "d3": 1}}


def test_an_image_query_is_saved_with_its_image(tmp_path):
    image = Image.new("RGB", (16, 12), "red")
    record = _record(qid="red", text=None, image=image)
    path = set_path("images", folder=tmp_path)
    save_query(record, set_file=path, actor=EDITOR)
    (query,) = load_labelled_set(path).queries
    assert query.text is None
    assert query.image_name == record.image_name
    assert re.fullmatch(r"img/[0-9a-f]{64}\.png", record.image_name)
    assert Image.open(tmp_path / record.image_name).size == (16, 12)
    assert default_qid(None, record.image_png).startswith("img-")


def test_default_query_ids_are_readable_and_stable():
    assert default_qid("Waterproof hiking boots, women") == "waterproof-hiking-boots-women"
    assert default_qid("防水 登山靴 女款") == "防水-登山靴-女款"
    assert default_qid("x" * 60) == "x" * 40


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"grades": (None, None, None)},
            "none of the 3 titles has a grade yet: grade at least one title 0-3 (0 = not relevant) before saving. "
            "Titles you leave ungraded stay unjudged, not 0.",
        ),
        (
            {"rater": " "},
            "rater name ' ' cannot be used: expected 1-120 characters, not starting with '(' and without '|', e.g. "
            "'alice' or an e-mail address.",
        ),
        ({"rater": "(original)"}, "rater name '(original)' cannot be used"),
        ({"grades": (3, 4, 0)}, "grades must be 0, 1, 2 or 3; got 4 for #2. Fix those grades."),
        ({"grades": (3, 0)}, "got 2 grades for 3 titles; expected one grade per title."),
        (
            {"qid": "two words"},
            "query id 'two words' cannot be used: expected a non-empty id without spaces (TREC files are "
            "space-separated), e.g. 'waterproof-hiking-boots'.",
        ),
        ({"text": "  "}, "the query has neither text nor image; there is nothing to save as a labelled query."),
    ],
)
def test_bad_records_are_refused_with_what_to_fix(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _record(**kwargs)


def test_bad_set_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match=re.escape("set name '../evil' cannot be used")):
        set_path("../evil", folder=tmp_path)
    with pytest.raises(ValueError, match=re.escape("set name '' cannot be used")):
        set_path("", folder=tmp_path)


def test_a_set_that_does_not_load_is_not_touched(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"qid": "q1", "query": "x", "candidates": [{"docid": "d1", "label": 1}]}\n', encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(ValueError, match=re.escape(f"cannot change {path}: it does not load as a labelled set")):
        save_query(_record(), set_file=path, actor=EDITOR)
    assert path.read_bytes() == before


def test_nothing_is_written_when_the_new_file_would_not_reload(tmp_path, monkeypatch):
    path = set_path("shoes", folder=tmp_path)
    save_query(_record(), set_file=path, actor=EDITOR)
    before = path.read_bytes()
    real = setfile.load_labelled_set

    def refuse_temporary_files(source, *, name=None):
        if Path(source).name.endswith(".tmp"):
            raise ValueError("simulated: the rewritten set does not load")
        return real(source, name=name)

    monkeypatch.setattr(setfile, "load_labelled_set", refuse_temporary_files)
    with pytest.raises(ValueError, match="simulated"):
        save_query(_record(qid="mugs", text="mugs"), set_file=path, actor=EDITOR)
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _save_many(folder: str, worker: int, n: int) -> None:
    for i in range(n):
        record = make_record(
            qid=f"w{worker}-q{i}", text=f"query {worker} {i}", titles=["a", "b"], grades=[1, 0], rater=f"w{worker}"
        )
        save_query(record, set_file=set_path("shared", folder=folder), actor=EDITOR)


def test_several_processes_saving_into_one_set_all_land(tmp_path):
    run_in_fresh_interpreters("tests.eval.history.test_labelling:_save_many", [(str(tmp_path), w, 5) for w in range(4)])
    labelled = load_labelled_set(set_path("shared", folder=tmp_path))
    assert sorted(q.qid for q in labelled.queries) == sorted(f"w{w}-q{i}" for w in range(4) for i in range(5))


# --- who saves ----------------------------------------------------------------------------------------------------------
def test_a_viewer_cannot_save_and_nothing_is_written(tmp_path):
    path = set_path("shoes", folder=tmp_path)
    save_query(_record(), set_file=path, actor=EDITOR)
    before = path.read_bytes()
    viewer = Actor("li@example.com", "viewer")
    message = "li@example.com is a viewer: only editors may save queries into labelled sets."
    with pytest.raises(PermissionDeniedError, match=re.escape(message)):
        save_query(_record(grades=(2, 2, 2)), set_file=path, actor=viewer, replace=True)
    with pytest.raises(PermissionDeniedError, match="no actor was given"):
        save_query(_record(qid="mugs", text="mugs"), set_file=path, actor=None)
    assert path.read_bytes() == before


def test_each_line_records_who_saved_it_and_older_lines_stay_readable(tmp_path):
    path = set_path("shoes", folder=tmp_path)
    path.write_text(json.dumps(_record(qid="old", text="old query").as_json()) + "\n", encoding="utf-8")
    save_query(_record(), set_file=path, actor=Actor("token", "editor"))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line.get("saved_by") for line in lines] == [None, "token"]
    assert [q.qid for q in load_labelled_set(path).queries] == ["old", "boots"]


def test_saved_by_changes_no_metric(tmp_path):
    from eval.engine.evaluate import evaluate_set
    from eval.sets.labelled import shipped_set_path
    from tests.helpers import WordOverlapScorer

    original = shipped_set_path("ecommerce.jsonl")
    signed = tmp_path / "ecommerce.jsonl"
    lines = [json.loads(line) for line in original.read_text(encoding="utf-8").splitlines() if line.strip()]
    signed.write_text("".join(json.dumps({**obj, "saved_by": "ana@example.com"}) + "\n" for obj in lines), "utf-8")
    before = evaluate_set(load_labelled_set(original), WordOverlapScorer(), k=10).metrics
    after = evaluate_set(load_labelled_set(signed), WordOverlapScorer(), k=10).metrics
    assert after["systems"] == before["systems"] and after["n_queries"] == before["n_queries"] == len(lines)


@pytest.mark.parametrize("bad", [3, None, ["ana"]])
def test_a_saved_by_that_is_not_text_is_named(tmp_path, bad):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({**_record().as_json(), "saved_by": bad}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"saved_by must be a string (who saved the query), got {bad!r}.")):
        load_labelled_set(path)


def test_saves_are_refused_over_the_disk_quota(tmp_path, monkeypatch):
    monkeypatch.setenv("LYCHEE_SETS_MAX_MB", "0.002")  # 2000 bytes for sets and images together
    path = set_path("quota", folder=tmp_path)
    save_query(
        make_record(qid="q1", text="red shoes", titles=["Nike red shoe"], grades=[3], rater="ann"),
        set_file=path,
        actor=EDITOR,
    )
    before = path.read_bytes()
    big = make_record(qid="q2", text="boots", titles=["a long title " * 20] * 8, grades=[1] * 8, rater="ann")
    with pytest.raises(
        ValueError,
        match=r"saving into quota.jsonl would bring the sets folder to .* MB; its quota is 0.002 MB \(LYCHEE_SETS_MAX_MB\)",
    ):
        save_query(big, set_file=path, actor=EDITOR)
    assert path.read_bytes() == before  # nothing written
    # an image query counts its image too
    png = Image.new("RGB", (64, 64))
    image_record = make_record(qid="q3", text=None, image=png, titles=["x"], grades=[0], rater="ann")
    monkeypatch.setenv("LYCHEE_SETS_MAX_MB", "0.0003")
    with pytest.raises(ValueError, match="LYCHEE_SETS_MAX_MB"):
        save_query(image_record, set_file=path, actor=EDITOR)
    assert not (tmp_path / "img").exists()
    monkeypatch.setenv("LYCHEE_SETS_MAX_MB", "lots")
    with pytest.raises(ValueError, match=re.escape("LYCHEE_SETS_MAX_MB='lots': expected a positive number")):
        save_query(big, set_file=path, actor=EDITOR)

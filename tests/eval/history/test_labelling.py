"""eval.history.labelling: graded queries saved as JSONL sets that the evaluation loader reads back; atomic, locked, confirmed."""

from __future__ import annotations

import json
import multiprocessing
import re
from pathlib import Path

import pytest
from PIL import Image

from eval.history import labelling
from eval.history.labelling import QueryExistsError, default_qid, list_sets, make_record, save_query, set_path
from eval.history.workspace import sets_dir
from eval.sets.loader import load_labelled_set

TITLES = ["Women's waterproof hiking boots", "Coffee mug", "Trail running shoes"]


def _record(qid="boots", text="waterproof hiking boots", grades=(3, 0, 1), **kw):
    return make_record(qid=qid, text=text, titles=kw.pop("titles", TITLES), grades=list(grades), **kw)


def test_the_sets_folder_follows_the_environment(workspace):
    assert sets_dir() == workspace / "sets"
    assert set_path("shoes") == workspace / "sets" / "shoes.jsonl"
    assert set_path("shoes.jsonl") == workspace / "sets" / "shoes.jsonl"


def test_a_saved_query_reloads_through_the_evaluation_loader(tmp_path):
    path = set_path("shoes", folder=tmp_path)
    saved = save_query(_record(), set_file=path)
    assert (saved.path, saved.qid, saved.n_queries, saved.replaced) == (path, "boots", 1, False)
    labelled = load_labelled_set(path)
    assert labelled.qrels == {"boots": {"d1": 3, "d2": 0, "d3": 1}}
    (query,) = labelled.queries
    assert query.text == "waterproof hiking boots"
    assert [c.text for c in query.candidates] == TITLES
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "qid": "boots",
        "query": {"text": "waterproof hiking boots"},
        "candidates": [
            {"docid": "d1", "text": TITLES[0], "label": 3},
            {"docid": "d2", "text": TITLES[1], "label": 0},
            {"docid": "d3", "text": TITLES[2], "label": 1},
        ],
    }
    # no temporary or half-written file is left beside the set
    assert sorted(p.name for p in tmp_path.iterdir()) == [".shoes.jsonl.lock", "shoes.jsonl"]
    assert list_sets(tmp_path) == [path]


def test_queries_are_appended_in_order_and_docids_are_padded(tmp_path):
    path = set_path("mixed", folder=tmp_path)
    save_query(_record(), set_file=path)
    titles = [f"title {i}" for i in range(12)]
    saved = save_query(_record(qid="mugs", text="ceramic mugs", titles=titles, grades=[1] * 12), set_file=path)
    assert saved.n_queries == 2
    labelled = load_labelled_set(path)
    assert [q.qid for q in labelled.queries] == ["boots", "mugs"]
    assert list(labelled.qrels["mugs"]) == [f"d{i:02d}" for i in range(1, 13)]


def test_a_query_already_in_the_set_is_replaced_only_when_confirmed(tmp_path):
    path = set_path("shoes", folder=tmp_path)
    save_query(_record(), set_file=path)
    save_query(_record(qid="mugs", text="mugs", grades=(0, 3, 0)), set_file=path)
    before = path.read_bytes()
    with pytest.raises(QueryExistsError) as refused:
        save_query(_record(grades=(2, 2, 2)), set_file=path)
    assert str(refused.value) == (
        "shoes.jsonl: query 'boots' is already in the set (line 1: query 'boots' ('waterproof hiking boots')). "
        "Confirm to replace it with the new grades, or change the query id to add it as another query."
    )
    assert path.read_bytes() == before
    saved = save_query(_record(grades=(2, 2, 2)), set_file=path, replace=True)
    assert (saved.n_queries, saved.replaced) == (2, True)
    labelled = load_labelled_set(path)
    assert [q.qid for q in labelled.queries] == ["boots", "mugs"]  # replaced in place
    assert labelled.qrels["boots"] == {"d1": 2, "d2": 2, "d3": 2}


def test_the_same_query_text_under_another_id_counts_as_already_there(tmp_path):
    path = set_path("shoes", folder=tmp_path)
    save_query(_record(), set_file=path)
    with pytest.raises(QueryExistsError, match=re.escape("line 1: query 'boots' ('waterproof hiking boots')")):
        save_query(_record(qid="boots-2", text="  Waterproof   hiking BOOTS "), set_file=path)
    save_query(_record(qid="boots-2", text="Waterproof hiking boots"), set_file=path, replace=True)
    assert [q.qid for q in load_labelled_set(path).queries] == ["boots-2"]


def test_an_image_query_is_saved_with_its_image(tmp_path):
    image = Image.new("RGB", (16, 12), "red")
    record = _record(qid="red", text=None, image=image)
    path = set_path("images", folder=tmp_path)
    save_query(record, set_file=path)
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
            {"grades": (3, None, None)},
            "2 of 3 titles have no grade yet (original positions #2, #3). Grade every title 0-3 (0 = not relevant) "
            "before saving, so the set says what is not relevant too.",
        ),
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
    path.write_text('{"qid": "q1", "query": "x", "candidates": [{"docid": "d1", "text": "a"}]}\n', encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(ValueError, match=re.escape(f"cannot add to {path}: it does not load as a labelled set")):
        save_query(_record(), set_file=path)
    assert path.read_bytes() == before


def test_nothing_is_written_when_the_new_file_would_not_reload(tmp_path, monkeypatch):
    path = set_path("shoes", folder=tmp_path)
    save_query(_record(), set_file=path)
    before = path.read_bytes()
    real = labelling.load_labelled_set

    def refuse_temporary_files(source, *, name=None):
        if Path(source).name.endswith(".tmp"):
            raise ValueError("simulated: the rewritten set does not load")
        return real(source, name=name)

    monkeypatch.setattr(labelling, "load_labelled_set", refuse_temporary_files)
    with pytest.raises(ValueError, match="simulated"):
        save_query(_record(qid="mugs", text="mugs"), set_file=path)
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _save_many(folder: str, worker: int, n: int) -> None:
    for i in range(n):
        record = make_record(qid=f"w{worker}-q{i}", text=f"query {worker} {i}", titles=["a", "b"], grades=[1, 0])
        save_query(record, set_file=set_path("shared", folder=folder))


def test_several_processes_saving_into_one_set_all_land(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_save_many, args=(str(tmp_path), w, 5)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    labelled = load_labelled_set(set_path("shared", folder=tmp_path))
    assert sorted(q.qid for q in labelled.queries) == sorted(f"w{w}-q{i}" for w in range(4) for i in range(5))


def test_saves_are_refused_over_the_disk_quota(tmp_path, monkeypatch):
    monkeypatch.setenv("LYCHEE_SETS_MAX_MB", "0.002")  # 2000 bytes for sets and images together
    path = set_path("quota", folder=tmp_path)
    save_query(make_record(qid="q1", text="red shoes", titles=["Nike red shoe"], grades=[3]), set_file=path)
    before = path.read_bytes()
    big = make_record(qid="q2", text="boots", titles=["a long title " * 20] * 8, grades=[1] * 8)
    with pytest.raises(ValueError, match=r"saving query 'q2' into quota.jsonl would bring the sets folder to .* MB; "
                       r"its quota is 0.002 MB \(LYCHEE_SETS_MAX_MB\)"):
        save_query(big, set_file=path)
    assert path.read_bytes() == before  # nothing written
    # an image query counts its image too
    png = Image.new("RGB", (64, 64))
    image_record = make_record(qid="q3", text=None, image=png, titles=["x"], grades=[0])
    monkeypatch.setenv("LYCHEE_SETS_MAX_MB", "0.0003")
    with pytest.raises(ValueError, match="LYCHEE_SETS_MAX_MB"):
        save_query(image_record, set_file=path)
    assert not (tmp_path / "img").exists()
    monkeypatch.setenv("LYCHEE_SETS_MAX_MB", "lots")
    with pytest.raises(ValueError, match=re.escape("LYCHEE_SETS_MAX_MB='lots': expected a positive number")):
        save_query(big, set_file=path)

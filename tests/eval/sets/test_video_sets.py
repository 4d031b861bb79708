"""Labelled sets with clips: ``"video": path`` in JSONL queries and candidates (and CSV columns), checked when the set
loads (file and line named), refused for a text-only model before scoring, and scored end to end by the CLI on a
tiny random Qwen2.5-VL checkpoint (scores are meaningless; the path through clips is real)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from eval.engine.evaluate import evaluate_set
from eval.sets.labelled import LabelledSetError
from eval.sets.loader import load_labelled_set
from lychee.video import Video
from tests.eval.clihelpers import run_cli
from tests.eval.helpers import set_line


@pytest.fixture(scope="module")
def clip_set(tmp_path_factory, make_clip) -> Path:
    """Two queries: a clip query over text candidates, and a text query over clip (and text) candidates."""
    folder = tmp_path_factory.mktemp("clip-set")
    (folder / "clips").mkdir()
    for name, seed in (("q1.mp4", 1), ("d1.mp4", 2), ("d2.webm", 3)):
        codec = "libvpx-vp9" if name.endswith(".webm") else "libx264"
        make_clip(folder / "clips" / name, seconds=2, fps=5, size=(48, 32), codec=codec, seed=seed)
    lines = [
        set_line(
            "q1",
            {"text": "unboxing red shoes", "video": "clips/q1.mp4"},
            [
                {"docid": "a", "text": "red running shoes, unboxed", "label": 2},
                {"docid": "b", "text": "ceramic teapot", "label": 0},
                {"docid": "c", "text": "shoe box", "label": 1},
            ],
        ),
        set_line(
            "q2",
            {"text": "how to lace running shoes"},
            [
                {"docid": "a", "video": "clips/d1.mp4", "label": 1},
                {"docid": "b", "text": "lacing guide", "video": "clips/d2.webm", "label": 2},
                {"docid": "c", "text": "bread recipe", "label": 0},
            ],
        ),
    ]
    path = folder / "clips.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_clips_load_relative_to_the_file(clip_set):
    labelled = load_labelled_set(clip_set)
    q1, q2 = labelled.queries
    assert isinstance(q1.video, Video) and q1.video_name == "clips/q1.mp4" and q1.video.n_frames == 10
    assert [c.video_name for c in q2.candidates] == ["clips/d1.mp4", "clips/d2.webm", None]
    assert labelled.has_videos and not labelled.has_images
    assert labelled.first_video() == f"{clip_set}, line 1: query 'q1' has a clip ('clips/q1.mp4')"
    item = q2.candidates[1].item()
    assert item.name == "document b" and item.video is q2.candidates[1].video and item.text == "lacing guide"


def test_the_content_hash_covers_the_clips(clip_set, tmp_path, make_clip):
    import shutil

    copy = Path(shutil.copytree(clip_set.parent, tmp_path / "copy"))
    before = load_labelled_set(copy / "clips.jsonl").content_hash
    assert before == load_labelled_set(clip_set).content_hash
    make_clip(copy / "clips" / "d1.mp4", seconds=2, fps=5, size=(48, 32), seed=99)
    assert load_labelled_set(copy / "clips.jsonl").content_hash != before


def test_bad_clips_are_refused_with_file_and_line(tmp_path, make_clip):
    make_clip(tmp_path / "long.mp4", seconds=35, fps=2, size=(32, 32))
    (tmp_path / "broken.mp4").write_bytes(b"not a video at all")
    lines = [
        set_line("q1", {"text": "x", "video": "missing.mp4"}, [{"docid": "a", "text": "t", "label": 1}]),
        set_line("q2", {"text": "x"}, [{"docid": "a", "video": "broken.mp4", "label": 1}]),
        set_line("q3", {"text": "x"}, [{"docid": "a", "video": "long.mp4", "label": 0}]),
        set_line("q4", {"text": "x", "video": 3}, [{"docid": "a", "text": "t", "label": 0}]),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(LabelledSetError) as info:
        load_labelled_set(path)
    errors = info.value.errors
    assert len(errors) == 4
    assert errors[0] == (
        f"{path}, line 1: query 'q1' video '{tmp_path / 'missing.mp4'}': file not found. Expected a path to an "
        "existing video file."
    )
    assert errors[1].startswith(
        f"{path}, line 2: candidate 'a' (candidate 1) of query 'q2' video '{tmp_path / 'broken.mp4'}': cannot be "
        "opened as a video ("
    )
    assert errors[2] == (
        f"{path}, line 3: candidate 'a' (candidate 1) of query 'q3' video '{tmp_path / 'long.mp4'}': lasts 35.0 s, "
        "longer than the 30 s limit. Cut the clip to at most 30 s, or raise the limit (load_video(..., "
        "max_seconds=...) / process({..., 'max_video_seconds': ...}))."
    )
    assert errors[3] == f"{path}, line 4: query 'q4': video must be a path string relative to the file, got 3."


def test_unknown_query_field_names_video_as_allowed(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(set_line("q1", {"text": "x", "clip": "a.mp4"}, [{"docid": "a", "text": "t", "label": 1}]))
    msg = f"{path}, line 1: query has unknown field(s) ['clip']; expected 'text', 'image' and/or 'video'."
    with pytest.raises(LabelledSetError, match=re.escape(msg)):
        load_labelled_set(path)


def test_a_clip_only_query_is_valid(tmp_path, make_clip):
    make_clip(tmp_path / "q.mp4", seconds=1, fps=4, size=(32, 32))
    path = tmp_path / "s.jsonl"
    path.write_text(set_line("q1", {"video": "q.mp4"}, [{"docid": "a", "text": "t", "label": 1}]))
    assert load_labelled_set(path).queries[0].text is None


def test_uploads_need_a_zip_for_clips(clip_set):
    data = clip_set.read_bytes()
    with pytest.raises(LabelledSetError, match=re.escape("clip paths cannot be resolved relative to an uploaded file")):
        load_labelled_set(data, name="clips.jsonl")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.write(clip_set, "set/clips.jsonl")
        for clip in sorted((clip_set.parent / "clips").iterdir()):
            archive.write(clip, f"set/clips/{clip.name}")
    from_zip = load_labelled_set(buf.getvalue(), name="clips.zip")
    assert from_zip.qrels == load_labelled_set(clip_set).qrels
    assert from_zip.queries[0].video.data is not None and from_zip.queries[0].video.n_frames == 10


def test_csv_clip_columns(tmp_path, make_clip):
    make_clip(tmp_path / "q.mp4", seconds=1, fps=4, size=(32, 32))
    make_clip(tmp_path / "d.mp4", seconds=1, fps=4, size=(32, 32), seed=5)
    text = "qid,query,docid,document,label,query_video,document_video\nq1,x,a,t,1,q.mp4,d.mp4\nq1,x,b,u,0,q.mp4,\n"
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    [query] = load_labelled_set(path).queries
    assert query.video_name == "q.mp4" and [c.video_name for c in query.candidates] == ["d.mp4", None]


def test_a_text_only_model_is_refused_before_scoring(clip_set, overlap_scorer):
    labelled = load_labelled_set(clip_set)
    msg = (
        f"{clip_set}, line 1: query 'q1' has a clip ('clips/q1.mp4'), but the model 'word-overlap' (word-overlap) reads "
        "text only, so this set cannot be evaluated with it."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        evaluate_set(labelled, overlap_scorer)
    assert overlap_scorer.calls == []


def test_clip_set_end_to_end_with_the_cli(clip_set, tiny_vlm, tmp_path):
    out = tmp_path / "out"
    proc = run_cli("--data", str(clip_set), "--model", str(tiny_vlm), "--device", "cpu", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"model", "input_order", "bm25"} <= set(metrics["systems"])
    run = [line.split() for line in (out / "run.trec").read_text().splitlines()]
    assert sorted((r[0], r[2]) for r in run) == sorted((q, d) for q in ("q1", "q2") for d in "abc")
    # the clips were read: the scores equal the library's on the same items
    from lychee import load_scorer

    labelled = load_labelled_set(clip_set)
    scorer = load_scorer(str(tiny_vlm), device="cpu")
    q2 = labelled.queries[1]
    expected = scorer.score(q2.item(), [c.item() for c in q2.candidates])
    scored = {r[2]: float(r[4]) for r in run if r[0] == "q2" and r[5] == "model"}
    assert [scored[c.docid] for c in q2.candidates] == pytest.approx(expected, abs=1e-5)

"""Clips on the pages: uploads with a preview, per-frame weight strips and their downloads, a clip as batch query.

VLM cases run on a random tiny Lychee checkpoint (CPU): they check what is shown, stored and exported, never quality.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from apphelpers import BATCH, SINGLE, errors, exceptions, make_app, shown

from lychee.ui.batch import table as batch_table
from lychee.ui.shell.settings import Settings
from lychee.ui.single import logic


@pytest.fixture(scope="module")
def clip(tmp_path_factory, make_clip) -> bytes:
    """A 3-second, 10 fps, 64x48 mp4 (30 frames; 4 are sampled: 0, 1.0, 1.9, 2.9 s)."""
    return make_clip(tmp_path_factory.mktemp("page-clips") / "clip.mp4").read_bytes()


def test_single_pair_with_a_query_clip_shows_frame_weights_and_exports_them(tiny_vlm, clip):
    at = make_app(SINGLE, model=tiny_vlm)
    at.run()
    at.text_area(key="_w_single_query_text").set_value("running")
    at.text_area(key="_w_single_document_text").set_value("a red shoe")
    at.file_uploader(key="single_query_video").set_value(("clip.mp4", clip, "video/mp4"))
    at.run()
    assert not at.exception, exceptions(at)
    assert "clip.mp4 · 3.0 s · 30 frames at 10 fps · 64×48" in [shown(c.value) for c in at.caption]  # the preview
    assert len(at.get("video")) == 1
    at.button(key="single_score").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    result = at.session_state[logic.RESULT_KEY]
    frames = result.explanation.query_video
    assert frames is not None and result.explanation.document_video is None
    assert frames.timestamps == pytest.approx((0.0, 1.0, 1.9, 2.9)) and frames.weights.shape == (4,)
    assert result.query_video_name == "clip.mp4"
    captions = [c for img in at.get("image") for c in img.captions]
    assert any(
        c.startswith("4 sampled frames (0.0 s, 1.0 s, 1.9 s, 2.9 s): each sampled frame greyed") for c in captions
    )
    # downloads: the JSON carries the frame weights, the frame CSV one row per sampled frame
    doc = json.loads(logic.explanation_json(result))
    assert doc["query"]["video"] == "clip.mp4" and doc["document"]["frames"] == []
    assert [f["time_s"] for f in doc["query"]["frames"]] == pytest.approx([0.0, 1.0, 1.9, 2.9])
    assert np.allclose([f["weight"] for f in doc["query"]["frames"]], frames.weights)
    table = logic.frame_table(result.explanation)
    assert list(table.columns) == ["side", "frame", "time_s", "unit", "weight"] and len(table) == 4
    labels = [b.label for b in at.get("download_button")]
    assert "Download frame weights (CSV)" in labels, labels


def test_single_pair_with_a_document_clip_and_gradient(tiny_vlm, clip):
    at = make_app(SINGLE, model=tiny_vlm)
    at.run()
    at.button(key="single_score").click().run()  # loads the model, so the next run offers gradient
    at.run()
    at.radio(key="_w_single_method").set_value("gradient").run()
    at.file_uploader(key="single_document_video").set_value(("doc.mp4", clip, "video/mp4"))
    at.button(key="single_score").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    frames = at.session_state[logic.RESULT_KEY].explanation.document_video
    assert frames.units == ((0, 1), (2, 3))  # two temporal patches of two frames
    captions = [c for img in at.get("image") for c in img.captions]
    assert any("gradient × input summed over each temporal patch" in c for c in captions), captions


def test_a_clip_with_the_text_only_default_model_is_refused_naming_the_file(default_scorer, clip):
    at = make_app(SINGLE)
    at.run()
    # Before any upload, at the uploader: this model will refuse a clip, and where to choose one that reads it.
    notes = [c.value for c in at.caption if "so a clip here is refused" in c.value]
    assert len(notes) == 2  # query and document clip uploaders
    assert "Checkpoint folder or hub id" in notes[0]
    at.file_uploader(key="single_document_video").set_value(("unboxing.mp4", clip, "video/mp4"))
    at.button(key="single_score").click().run()
    assert not at.exception, exceptions(at)
    assert errors(at) == [
        "The document clip 'unboxing.mp4' cannot be scored: the model 'all-MiniLM-L6-v2' reads text only. Remove the "
        "clip, or choose *Checkpoint folder or hub id* in the sidebar and enter a Lychee-rerank-mm or "
        "Qwen3-VL-Reranker checkpoint."
    ]
    assert logic.RESULT_KEY not in at.session_state


def test_a_corrupt_clip_shows_the_decoding_message_in_the_preview_and_on_score(tiny_vlm, clip):
    # A model that reads clips (the text-only default refuses any clip before decoding it).
    broken = clip[: len(clip) // 2]
    at = make_app(SINGLE, model=tiny_vlm)
    at.run()
    at.file_uploader(key="single_document_video").set_value(("broken.mp4", broken, "video/mp4"))
    at.run()
    assert not at.exception, exceptions(at)
    assert errors(at) == [
        f"video 'broken.mp4' ({len(broken)} bytes): cannot be opened as a video ([Errno 1094995529] Invalid data found when processing "
        "input: '<none>'); the file is corrupt, truncated or not a video. Expected an mp4, webm, mov or mkv file "
        "that plays."
    ]
    at.button(key="single_score").click().run()
    assert not at.exception, exceptions(at)
    assert any(e.startswith(f"document 'broken.mp4' video ({len(broken)} bytes): cannot be opened") for e in errors(at))
    assert logic.RESULT_KEY not in at.session_state


def test_batch_with_a_query_clip(tiny_vlm, clip):
    at = make_app(BATCH, model=tiny_vlm, batch_query_text="", batch_titles="red shoe\nblue teapot\ngreen hat")
    at.run()
    at.file_uploader(key="batch_query_video").set_value(("q.mp4", clip, "video/mp4"))
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    result = at.session_state[batch_table.RESULT_KEY]
    assert result.query_text is None and result.query_video_name == "q.mp4" and len(result.scores) == 3
    assert any("(clip only) + clip `q.mp4`" in c.value for c in at.caption)
    assert result.meta(Settings())["query_video"] == "q.mp4"  # in the JSON download's metadata


def test_batch_clip_with_the_default_model_shows_the_library_message(clip):
    at = make_app(BATCH)
    at.run()
    at.file_uploader(key="batch_query_video").set_value(("q.mp4", clip, "video/mp4"))
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    [message] = errors(at)
    assert message.startswith("The query clip 'q.mp4' cannot be scored: the model 'all-MiniLM-L6-v2' reads text only.")

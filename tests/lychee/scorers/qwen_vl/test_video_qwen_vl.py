"""Clips on the tiny random Qwen2.5-VL (Lychee) and Qwen3-VL (Qwen3-VL-Reranker) checkpoints.

The reference is the public Qwen3-VL-Reranker recipe run by hand, written here from its literal code and not from
``lychee``: messages with ``{"type": "video", "video": "file://...", "fps": ..., "max_frames": ...}`` ahead of the
side's image and text, ``qwen_vl_utils.process_vision_info(..., image_patch_size=..., return_video_kwargs=True,
return_video_metadata=True)`` and the processor with ``video_metadata=`` and ``do_resize=False``. qwen-vl-utils reads
files with torchvision's ``read_video``, which torchvision 0.29 removed, so the reference registers a reader of its
own with qwen-vl-utils, built like qwen-vl-utils' readers (PyAV decodes every frame; ``smart_nframes`` and
``round(linspace(...))`` pick them). Lychee publishes no video recipe; it is held to the same recipe with patch 14.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

import lychee
from lychee import Item
from lychee.video import load_video
from tests.helpers import noise_image

SYSTEM = (
    "Judge whether the Document meets the requirements based on the Query and the Instruct provided. "
    'Note that the answer can only be "yes" or "no".'
)
RECIPES = {
    "lychee": {
        "model_class": "Qwen2_5_VLForConditionalGeneration",
        "patch": 14,
        "null": False,
        "image": (3136, 1003520),
    },
    "qwen3-vl-reranker": {
        "model_class": "Qwen3VLForConditionalGeneration",
        "patch": 16,
        "null": True,
        "image": (4096, 1843200),
    },
}
INSTRUCTION = "Find the matching product."
FRAME_LIST_TOTAL_PIXELS = {"lychee": 10 * 768 * 28 * 28, "qwen3-vl-reranker": 10 * 768 * 32 * 32}


def read_pyav(ele: dict):
    """A qwen-vl-utils reader on PyAV, the same shape as its decord/torchcodec readers."""
    import av
    from qwen_vl_utils.vision_process import smart_nframes

    path = ele["video"][len("file://") :] if ele["video"].startswith("file://") else ele["video"]
    with av.open(path) as container:
        video_fps = float(container.streams.video[0].average_rate)
        decoded = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    total = len(decoded)
    nframes = smart_nframes(ele, total_frames=total, video_fps=video_fps)
    idx = torch.linspace(0, total - 1, nframes).round().long()
    video = torch.from_numpy(np.stack([decoded[i] for i in idx.tolist()])).permute(0, 3, 1, 2)
    metadata = dict(fps=video_fps, frames_indices=idx, total_num_frames=total, video_backend="pyav")
    return video, metadata, nframes / total * video_fps


class VideoReference:
    """The recipe run by hand, one pair at a time."""

    def __init__(self, family: str, path) -> None:
        import transformers
        from transformers import AutoProcessor

        self.family, self.recipe = family, RECIPES[family]
        self.processor = AutoProcessor.from_pretrained(str(path), padding_side="left")
        model_class = getattr(transformers, self.recipe["model_class"])
        self.model = model_class.from_pretrained(str(path), dtype=torch.float32).eval()
        tok = self.processor.tokenizer
        self.yes, self.no = tok.convert_tokens_to_ids("yes"), tok.convert_tokens_to_ids("no")

    def messages(self, query: dict, document: dict, *, fps: float = 1.0, max_frames: int = 64) -> list[dict]:
        lo, hi = self.recipe["image"]

        def side(prefix: str, content: dict) -> list[dict]:
            parts = [{"type": "text", "text": prefix}]
            video, image, text = content.get("video"), content.get("image"), content.get("text")
            if isinstance(video, list):  # frames: Qwen3VLReranker.format_mm_content
                parts.append({"type": "video", "video": video, "total_pixels": FRAME_LIST_TOTAL_PIXELS[self.family]})
            elif video is not None:
                parts.append({"type": "video", "video": "file://" + str(video), "fps": fps, "max_frames": max_frames})
            if image is not None:
                parts.append({"type": "image", "image": image, "min_pixels": lo, "max_pixels": hi})
            if text:
                parts.append({"type": "text", "text": text})
            if self.recipe["null"] and video is None and image is None and not text:
                parts.append({"type": "text", "text": "NULL"})
            return parts

        user = [{"type": "text", "text": "<Instruct>: " + INSTRUCTION}]
        user += side("<Query>:", query) + side("\n<Document>:", document)
        return [{"role": "system", "content": [{"type": "text", "text": SYSTEM}]}, {"role": "user", "content": user}]

    def inputs(self, messages: list[dict]):
        from qwen_vl_utils import process_vision_info

        text = self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        images, videos, video_kwargs = process_vision_info(
            messages, image_patch_size=self.recipe["patch"], return_video_kwargs=True, return_video_metadata=True
        )
        metadata = None
        if videos is not None:
            videos, metadata = map(list, zip(*videos))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return self.processor(
                text=[text],
                images=images,
                videos=videos,
                video_metadata=metadata,
                do_resize=False,
                padding=True,
                return_tensors="pt",
                **video_kwargs,
            )

    def score(self, messages: list[dict]) -> tuple[float, float]:
        """(P(yes), z_yes - z_no) at the last position."""
        with torch.no_grad():
            logits = self.model(**self.inputs(messages)).logits[0, -1].float()
        z_no, z_yes = logits[self.no], logits[self.yes]
        return float(torch.sigmoid(z_yes - z_no)), float(z_yes - z_no)


@pytest.fixture(scope="module")
def pyav_reader():
    """Registers the reference's PyAV reader with qwen-vl-utils for this module's tests."""
    import qwen_vl_utils.vision_process as vision_process

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(vision_process.VIDEO_READER_BACKENDS, "pyav", read_pyav)
        patch.setattr(vision_process, "get_video_reader_backend", lambda: "pyav")
        yield


@pytest.fixture(scope="module")
def reference(family, checkpoint, pyav_reader) -> VideoReference:
    return VideoReference(family, checkpoint)


@pytest.fixture(scope="module")
def clips(tmp_path_factory, make_clip):
    folder = tmp_path_factory.mktemp("vlm-clips")
    return {
        "a": make_clip(folder / "a.mp4", seconds=3, fps=10, size=(64, 48), seed=1),
        "b": make_clip(folder / "b.webm", seconds=6, fps=5, size=(48, 64), codec="libvpx-vp9", seed=2),
    }


D_IMG = noise_image(50, 72, seed=5)


def cases(clips):
    return {
        "video->text": ({"video": clips["a"]}, {"text": "A red running shoe on a treadmill."}),
        "text->video": ({"text": "red running shoes"}, {"video": clips["b"]}),
        "video+text->image+text": (
            {"video": clips["a"], "text": "shoes like these"},
            {"image": D_IMG, "text": "Nike running shoe"},
        ),
    }


def item(content: dict, name: str) -> Item:
    return Item(text=content.get("text"), image=content.get("image"), video=content.get("video"), name=name)


# --- parity with the reference recipe ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["video->text", "text->video", "video+text->image+text"])
def test_scores_equal_independent_recipe(vlm_scorer, reference, clips, kind):
    query, document = cases(clips)[kind]
    expected_p, expected_lo = reference.score(reference.messages(query, document))
    pred = vlm_scorer.predict(item(query, "query"), [item(document, "document")], INSTRUCTION)[0]
    assert pred.log_odds == pytest.approx(expected_lo, abs=1e-4)
    assert pred.score == pytest.approx(expected_p, abs=1e-5)
    expected_tokens = reference.inputs(reference.messages(query, document))["input_ids"].shape[1]
    assert pred.n_tokens == expected_tokens and not pred.truncated


def test_sampling_settings_equal_the_recipe(vlm_scorer, reference, clips):
    query, document = {"video": clips["b"]}, {"text": "a doc"}
    expected_p, expected_lo = reference.score(reference.messages(query, document, fps=2.0, max_frames=8))
    video = load_video(clips["b"], fps=2.0, max_frames=8)
    pred = vlm_scorer.predict(Item(video=video), ["a doc"], INSTRUCTION)[0]
    assert pred.log_odds == pytest.approx(expected_lo, abs=1e-4)
    via_process = vlm_scorer.process(
        {
            "instruction": INSTRUCTION,
            "query": {"video": str(clips["b"])},
            "documents": [{"text": "a doc"}],
            "fps": 2.0,
            "max_frames": 8,
        }
    )
    assert via_process[0] == pytest.approx(pred.score, abs=1e-6)
    default = vlm_scorer.predict(Item(video=str(clips["b"])), ["a doc"], INSTRUCTION)[0]
    assert abs(default.log_odds - pred.log_odds) > 1e-3  # 8 frames at 2 fps are not the default 6 at 1 fps


def test_frame_list_equals_the_recipe(vlm_scorer, reference):
    """A list of frames: qwen-vl-utils' frame-list path, 2 frames per second (no frame rate given)."""
    frames = [noise_image(40, 32, seed=10 + i) for i in range(6)]
    expected_p, expected_lo = reference.score(reference.messages({"video": frames}, {"text": "a doc"}))
    pred = vlm_scorer.predict(Item(video=frames), ["a doc"], INSTRUCTION)[0]
    assert pred.log_odds == pytest.approx(expected_lo, abs=1e-4)
    assert pred.score == pytest.approx(expected_p, abs=1e-5)


# --- real timing --------------------------------------------------------------------------------------------------------
def test_timing_reaches_the_processor_by_hand(vlm_scorer, family, clips):
    """clip a: 30 frames at 10 fps, sampled [0, 10, 19, 29] = 0, 1.0, 1.9, 2.9 s, two temporal patches.

    Qwen3-VL marks each patch with the mean time of its frames: <0.5 seconds> and <2.4 seconds>. Qwen2.5-VL gets
    second_per_grid_ts = 2 / sampled_fps = 2 / (4 / 30 * 10) = 1.5.
    """
    enc = vlm_scorer.encoder.encode_pairs([(Item(video=str(clips["a"]), name="query"), Item("d"))], "I.")[0]
    clip = enc.videos["query"]
    assert clip.sampled.indices == (0, 10, 19, 29) and clip.grid[0] == 2
    assert clip.metadata == {"fps": 10.0, "frames_indices": [0, 10, 19, 29], "total_num_frames": 30}
    inputs = vlm_scorer.encoder.batch_inputs([enc])
    assert inputs["video_grid_thw"].tolist() == [list(clip.grid)]
    text = vlm_scorer.processor.tokenizer.decode(inputs["input_ids"][0])
    markers = re.findall(r"<\d+\.\d seconds>", text)
    if family == "qwen3-vl-reranker":
        assert markers == ["<0.5 seconds>", "<2.4 seconds>"]
        assert "second_per_grid_ts" not in inputs
    else:
        assert markers == []
        assert inputs["second_per_grid_ts"].tolist() == pytest.approx([1.5])
    assert enc.n_tokens == inputs["input_ids"].shape[1]
    # clip b: 6 s at 5 fps, 1 fps: [0, 6, 12, 17, 23, 29] = 0, 1.2, 2.4, 3.4, 4.6, 5.8 s
    enc = vlm_scorer.encoder.encode_pairs([(Item("q"), Item(video=str(clips["b"]), name="document"))], "I.")[0]
    inputs = vlm_scorer.encoder.batch_inputs([enc])
    text = vlm_scorer.processor.tokenizer.decode(inputs["input_ids"][0])
    if family == "qwen3-vl-reranker":
        assert re.findall(r"<\d+\.\d seconds>", text) == ["<0.6 seconds>", "<2.9 seconds>", "<5.2 seconds>"]
    else:
        assert inputs["second_per_grid_ts"].tolist() == pytest.approx([2.0])  # 2 / (6 / 30 * 5)


def test_frame_rate_of_a_frame_list_reaches_the_processor(vlm_scorer, family):
    frames = [noise_image(40, 32, seed=i) for i in range(6)]
    enc = vlm_scorer.encoder.encode_pairs([(Item(video=load_video(frames, frame_rate=3)), Item("d"))], "I.")[0]
    inputs = vlm_scorer.encoder.batch_inputs([enc])
    text = vlm_scorer.processor.tokenizer.decode(inputs["input_ids"][0])
    if family == "qwen3-vl-reranker":  # frames at 0, 1/3, ... 5/3 s: patches at 1/6, 5/6, 3/2 s
        assert re.findall(r"<\d+\.\d seconds>", text) == ["<0.2 seconds>", "<0.8 seconds>", "<1.5 seconds>"]
    else:
        assert inputs["second_per_grid_ts"].tolist() == pytest.approx([2 / 3])


# --- batching and the shared-prefix path -------------------------------------------------------------------------------
def docs_with_clips(clips):
    return [
        "Nike red running shoe",
        {"video": clips["b"]},
        {"text": "a red shoe", "image": noise_image(64, 64, seed=3)},
        {"text": "the same clip", "video": clips["a"]},
        "bread",
    ]


def test_batched_equals_one_at_a_time(checkpoint, vlm_scorer, clips):
    query = {"text": "shoes like these", "video": clips["a"]}
    batched = lychee.load_scorer(str(checkpoint), batch_size=3).predict(query, docs_with_clips(clips))
    single = [vlm_scorer.predict(query, [d])[0] for d in docs_with_clips(clips)]
    np.testing.assert_allclose([p.log_odds for p in batched], [p.log_odds for p in single], atol=1e-4, rtol=0)
    np.testing.assert_allclose([p.score for p in batched], [p.score for p in single], atol=1e-5, rtol=0)
    assert [p.n_tokens for p in batched] == [p.n_tokens for p in single]
    assert np.ptp([p.log_odds for p in single]) > 1e-2


@pytest.mark.parametrize("query_kind", ["video", "video+text", "text", "video+image"])
def test_prefix_path_equals_plain_path(checkpoint, clips, query_kind):
    scorer = lychee.load_scorer(str(checkpoint), batch_size=3)
    query = {
        "video": {"video": clips["a"]},
        "video+text": {"video": clips["a"], "text": "shoes like these"},
        "text": {"text": "red running shoes"},
        "video+image": {"video": clips["b"], "image": noise_image(60, 40, seed=9)},
    }[query_kind]
    docs = docs_with_clips(clips)
    prefix = scorer.predict(query, docs)
    scorer.use_prefix_cache = False
    plain = scorer.predict(query, docs)
    np.testing.assert_allclose([p.log_odds for p in prefix], [p.log_odds for p in plain], atol=1e-4, rtol=0)
    assert [p.n_tokens for p in prefix] == [p.n_tokens for p in plain]
    assert [p.path for p in prefix] == ["prefix"] * len(docs) and [p.path for p in plain] == ["plain"] * len(docs)


def test_clip_queries_are_grouped_by_content_and_sampling(checkpoint, clips):
    scorer = lychee.load_scorer(str(checkpoint))
    a = load_video(clips["a"])
    pairs = [
        (Item(video=a), "one"),
        (Item(video=load_video(clips["a"])), "two"),  # same clip, another object: same group
        (Item(video=a.with_sampling(fps=2.0)), "three"),  # other frames: its own group (of one: plain)
    ]
    preds = scorer.predict_pairs(pairs)
    assert [p.path for p in preds] == ["prefix", "prefix", "plain"]


# --- salience ----------------------------------------------------------------------------------------------------------
def test_occlusion_greys_each_sampled_frame(vlm_scorer, clips):
    query = Item("shoes", video=str(clips["a"]), name="query")
    explanation = vlm_scorer.explain(query, "a red shoe")
    clip = explanation.query_video
    assert clip is not None and explanation.document_video is None
    assert clip.units == ((0,), (1,), (2,), (3,)) and clip.timestamps == pytest.approx((0.0, 1.0, 1.9, 2.9))
    assert len(clip.frames) == 4 and max(clip.frames[0].size) <= 160
    assert explanation.n_evaluations == 1 + 1 + 3 + 4  # the pair, 1 query word, 3 document words, 4 frames
    # each weight is the log-odds lost by greying that frame, scored directly here
    sampled = query.video.sample()
    for k in range(4):
        grey = list(sampled.frames)
        grey[k] = np.full_like(grey[k], 128)
        variant = query.with_video(query.video.with_frames(sampled, grey))
        direct = explanation.log_odds - vlm_scorer.predict(variant, ["a red shoe"])[0].log_odds
        assert clip.weights[k] == pytest.approx(direct, abs=1e-4)
    # the clip with its own sampled frames, fixed, scores as the clip
    fixed = query.with_video(query.video.with_frames(sampled, list(sampled.frames)))
    assert vlm_scorer.predict(fixed, ["a red shoe"])[0].log_odds == pytest.approx(explanation.log_odds, abs=1e-5)
    assert np.ptp(clip.weights) > 1e-3
    assert explanation.max_abs_weight() >= float(np.abs(clip.weights).max())


def test_occlusion_decodes_each_clip_once(vlm_scorer, clips, monkeypatch):
    import lychee.video

    decoded = []
    real = lychee.video._decode_at

    def counting(open_source, indices, n_frames, label):
        decoded.append(label)
        return real(open_source, indices, n_frames, label)

    monkeypatch.setattr(lychee.video, "_decode_at", counting)
    query = Item("shoes", video=str(clips["a"]), name="query")
    document = Item("a red shoe", video=str(clips["a"]), name="document")
    explanation = vlm_scorer.explain(query, document)
    assert explanation.query_video is not None and explanation.document_video is not None
    assert len(decoded) == 2, decoded  # one per side, not one per scoring call


def test_gradient_weighs_each_temporal_patch(vlm_scorer, clips):
    document = {"text": "a clip", "video": clips["b"]}
    explanation = vlm_scorer.explain("red shoes", document, method="gradient")
    clip = explanation.document_video
    assert clip.units == ((0, 1), (2, 3), (4, 5)) and len(clip.timestamps) == 6 and len(clip.frames) == 6
    assert clip.weights.shape == (3,) and np.isfinite(clip.weights).all()
    assert clip.frame_weights() == [clip.weights[0]] * 2 + [clip.weights[1]] * 2 + [clip.weights[2]] * 2
    # the patch sums are the attributions of the clip's video pads
    attributions = vlm_scorer.token_attributions(Item("red shoes"), item(document, "document"), explanation.instruction)
    run = attributions.videos["document"]
    assert len(run.positions) == run.grid[0] * run.grid[1] * run.grid[2]
    assert float(clip.weights.sum()) == pytest.approx(
        float(attributions.attributions[list(run.positions)].sum()), abs=1e-5
    )


# --- limits ------------------------------------------------------------------------------------------------------------
def test_too_many_clip_tokens_are_refused_with_the_fix(checkpoint, clips):
    scorer = lychee.load_scorer(str(checkpoint), max_length=128)
    with pytest.raises(
        ValueError, match=r"needs \d+ tokens even with all its text removed \(images and clips: \d+ tokens"
    ):
        scorer.score({"video": clips["a"]}, ["a doc"])
    with pytest.raises(ValueError, match=re.escape("Use fewer clip frames (load_video(..., fps=..., max_frames=...))")):
        scorer.score({"video": clips["a"]}, ["a doc"])

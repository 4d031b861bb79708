"""lychee.video (decoding, validation, sampling) and clips in Item / process(), without a VLM.

Clips are made here with PyAV (random frames, a few seconds, 64x48). Frame counts and timestamps are worked out by
hand in the comments from qwen-vl-utils' rules (at least 4 frames, an even number, ``round(linspace(...))``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import av
import numpy as np
import pytest
from PIL import Image

from lychee import BaseScorer, Capabilities, Item, Prediction
from lychee.items import coerce_documents
from lychee.video import Video, file_indices, frame_list_indices, load_video


def frames(n: int, size: tuple[int, int] = (40, 32), seed: int = 0) -> list[Image.Image]:
    rng = np.random.default_rng(seed)
    w, h = size
    return [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), mode="RGB") for _ in range(n)]


# --- loading and sampling ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "codec"), [("clip.mp4", "libx264"), ("clip.webm", "libvpx-vp9"), ("c.mkv", "mpeg4")])
def test_load_file_reads_rate_length_and_size(tmp_path, make_clip, name, codec):
    path = make_clip(tmp_path / name, seconds=3, fps=10, size=(64, 48), codec=codec)
    video = load_video(path)
    assert (video.kind, video.fps, video.n_frames, video.width, video.height) == ("file", 10.0, 30, 64, 48)
    assert video.duration == pytest.approx(3.0)
    assert (video.sample_fps, video.max_frames) == (1.0, 64)
    assert repr(video) == f"Video('{path}', 30 frames at 10 fps, 64x48)"


def test_file_sampling_by_hand(clip_path):
    # 30 frames at 10 fps, 1 frame per second: 3 frames, raised to the minimum of 4;
    # round(linspace(0, 29, 4)) = round([0, 9.67, 19.33, 29]) = [0, 10, 19, 29] -> 0, 1.0, 1.9, 2.9 s.
    clip = load_video(clip_path).sample()
    assert clip.indices == (0, 10, 19, 29)
    assert clip.timestamps == pytest.approx((0.0, 1.0, 1.9, 2.9))
    assert clip.kind == "file" and clip.fps == 10.0 and clip.n_frames == 30
    assert [f.shape for f in clip.frames] == [(48, 64, 3)] * 4 and clip.frames[0].dtype == np.uint8
    # the frames are the decoded frames at those indices
    with av.open(str(clip_path)) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    for k, i in enumerate(clip.indices):
        np.testing.assert_array_equal(clip.frames[k], decoded[i])


def test_sampling_rules_by_hand():
    # 6 s at 5 fps, 1 fps: 6 frames; round(linspace(0, 29, 6)) = round([0, 5.8, 11.6, 17.4, 23.2, 29])
    assert file_indices(30, 5.0, 1.0, 64) == (0, 6, 12, 17, 23, 29)
    # max_frames=4 caps it: [0, 10, 19, 29]
    assert file_indices(30, 5.0, 1.0, 4) == (0, 10, 19, 29)
    # 2 fps on 6 s = 12 frames; an odd count is floored to even: 2.5 s at 10 fps, 1 fps -> max(2.5, 4) = 4
    assert len(file_indices(60, 10.0, 2.0, 64)) == 12
    assert len(file_indices(25, 10.0, 1.0, 64)) == 4
    # never more than the clip has: 3 frames -> 2
    assert file_indices(3, 10.0, 1.0, 64) == (0, 2)
    # a frame list keeps every frame up to max_frames, then floor(linspace(0, n - 1, max_frames))
    assert frame_list_indices(5, 64) == (0, 1, 2, 3, 4)
    assert frame_list_indices(10, 4) == (0, 3, 6, 9)
    assert frame_list_indices(7, 4) == (0, 2, 4, 6)


def test_frame_list_is_the_sample_with_its_frame_rate():
    video = load_video(frames(6), frame_rate=3)
    assert (video.kind, video.fps, video.n_frames, video.duration) == ("frames", 3.0, 6, 2.0)
    clip = video.sample()
    assert clip.indices == (0, 1, 2, 3, 4, 5)
    assert clip.timestamps == pytest.approx([i / 3 for i in range(6)])
    # without a frame rate, qwen-vl-utils' assumption: 2 frames per second
    assert load_video(frames(4)).fps == 2.0
    # thinned to max_frames with the real timing kept
    clip = load_video(frames(10), max_frames=4, frame_rate=5).sample()
    assert clip.indices == (0, 3, 6, 9) and clip.timestamps == pytest.approx((0.0, 0.6, 1.2, 1.8))


def test_bytes_and_path_give_the_same_frames(clip_path):
    from_path = load_video(clip_path).sample()
    from_bytes = load_video(clip_path.read_bytes()).sample()
    assert from_bytes.indices == from_path.indices
    for a, b in zip(from_path.frames, from_bytes.frames):
        np.testing.assert_array_equal(a, b)
    assert load_video(clip_path.read_bytes()).source == f"({clip_path.stat().st_size} bytes)"


def test_with_sampling_and_content_key(clip_path):
    video = load_video(clip_path)
    two = video.with_sampling(fps=2.0, max_frames=4)
    assert (two.sample_fps, two.max_frames) == (2.0, 4) and (video.sample_fps, video.max_frames) == (1.0, 64)
    assert video.content_key() == load_video(clip_path).content_key()
    assert video.content_key() != two.content_key()
    assert load_video(frames(4)).content_key() == load_video(frames(4)).content_key()
    assert load_video(frames(4)).content_key() != load_video(frames(4, seed=1)).content_key()


# --- every bad input, with its message ---------------------------------------------------------------------------------
def refused(source, message: str, **kwargs) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        load_video(source, what="query video", **kwargs)


def test_missing_file_and_folder(tmp_path):
    refused(tmp_path / "nope.mp4", f"query video '{tmp_path / 'nope.mp4'}': file not found.")
    refused(tmp_path, f"query video '{tmp_path}': is not a file.")


def test_empty_and_garbage_bytes():
    refused(b"", "query video: got 0 bytes; expected the bytes of a video file (mp4, webm, mov...).")
    refused(b"this is not a video", "query video (19 bytes): cannot be opened as a video (")


def test_truncated_clip(tmp_path, make_clip):
    # moov atom at the end (the default): the cut file cannot be opened
    data = make_clip(tmp_path / "a.mp4").read_bytes()
    refused(data[: len(data) // 2], f"query video ({len(data) // 2} bytes): cannot be opened as a video")
    # moov atom first: it opens, but fewer frames decode than its header declares
    data = make_clip(tmp_path / "b.mp4", options={"movflags": "faststart"}).read_bytes()
    cut = data[: len(data) // 2]
    with pytest.raises(ValueError, match=r"^query video \(\d+ bytes\): is truncated: only \d+ of the 30 frames its"):
        load_video(cut, what="query video")


def test_corrupt_frames(tmp_path, make_clip):
    data = bytearray(make_clip(tmp_path / "a.mp4", options={"movflags": "faststart"}).read_bytes())
    data[len(data) // 2 : len(data) // 2 + 2000] = bytes(2000)
    with pytest.raises(ValueError, match=r"the video data is corrupt or truncated: decoding failed after \d+ frames"):
        load_video(bytes(data), what="query video")


def test_no_video_stream(tmp_path):
    path = tmp_path / "sound.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), dtype=np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    refused(path, f"query video '{path}': has no video stream (streams: audio). Expected a file with a video track.")


def test_zero_decodable_frames(tmp_path):
    """Only P-frames (the keyframe dropped): a video stream, but no frame can be decoded."""
    path = tmp_path / "nokey.mkv"
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.options = {"bframes": "0", "keyint": "100"}
        packets = []
        for _ in range(10):
            pixels = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
            packets += stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24"))
        packets += stream.encode()
        assert sum(p.is_keyframe for p in packets) == 1
        for packet in packets:
            if not packet.is_keyframe:
                container.mux(packet)
    refused(path, f"query video '{path}': has no decodable frames (its video stream is empty or every frame failed")


def test_single_frame(tmp_path, make_clip):
    path = make_clip(tmp_path / "one.mp4", seconds=0.1, fps=10)
    refused(path, f"query video '{path}': has 1 decodable frame; a clip needs at least 2 (frames are read in pairs).")
    refused(frames(1), "query video (1 frames): has 1 decodable frame; a clip needs at least 2")


def test_over_the_duration_limit(tmp_path, make_clip):
    path = make_clip(tmp_path / "long.mp4", seconds=40, fps=5, size=(32, 32))
    refused(path, f"query video '{path}': lasts 40.0 s, longer than the 30 s limit. Cut the clip to at most 30 s, or ")
    assert load_video(path, max_seconds=45).duration == pytest.approx(40.0)
    short = make_clip(tmp_path / "short.mp4", seconds=4, fps=5, size=(32, 32))
    refused(
        short, f"query video '{short}': lasts 4.0 s (20 frames at 5 fps), longer than the 3 s limit.", max_seconds=3
    )
    refused(
        frames(8), "query video (8 frames): lasts 4.0 s (8 frames at 2 fps), longer than the 3 s limit.", max_seconds=3
    )


def test_bad_frame_lists():
    refused([frames(1)[0], *frames(1, size=(20, 32))], "query video (2 frames): frames differ in size (20x32, 40x32)")
    with pytest.raises(TypeError, match=re.escape("query video (2 frames): frame 2 is a str; expected PIL images.")):
        load_video([frames(1)[0], "x.png"], what="query video")
    refused(frames(2, size=(400, 1)), "query video (2 frames): frames are 400x1 (aspect ratio 400:1); the Qwen vision")


def test_bad_settings(clip_path):
    refused(clip_path, "fps must be a positive number of frames per second, got 0; e.g. fps=1.0.", fps=0)
    refused(clip_path, "max_frames must be an integer from 2 to 768, got 1; the default is 64.", max_frames=1)
    refused(clip_path, "max_frames must be an integer from 2 to 768, got 1000", max_frames=1000)
    refused(clip_path, "max_video_seconds must be a positive number of seconds, got -1", max_seconds=-1)
    refused(frames(2), "frame_rate must be a positive number of frames per second, got nan", frame_rate=float("nan"))
    with pytest.raises(TypeError, match=re.escape("query video: got int; expected a video file path, the bytes")):
        load_video(3, what="query video")


# --- Item and process ------------------------------------------------------------------------------------------------
def test_item_takes_a_clip(clip_path):
    item = Item("unboxing", video=str(clip_path), name="query")
    assert isinstance(item.video, Video) and item.has_video and not item.is_empty
    assert repr(item) == "Item(text='unboxing', video=<30 frames, 3.0 s>)"
    assert item.with_text(None).video is item.video and item.with_image(None).video is item.video
    assert Item(video=item.video).video is item.video  # a Video is kept, not re-decoded
    assert not Item(video=item.video).is_empty
    [doc] = coerce_documents([{"video": clip_path}])
    assert doc.name == "document 1" and doc.video.n_frames == 30
    with pytest.raises(ValueError, match=re.escape("document 1 video '")):
        coerce_documents([{"video": clip_path.parent / "missing.mp4"}])


def test_text_only_model_refuses_clips(default_scorer, clip_path):
    msg = (
        f"query has a video clip '{clip_path}', but the model 'all-MiniLM-L6-v2' reads text only. Remove the clip, "
        "or load a Qwen2.5-VL / Qwen3-VL reranker checkpoint (e.g. LYCHEE_MODEL=/path/to/Qwen3-VL-Reranker-2B) to "
        "score clips."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        default_scorer.score({"text": "red shoes", "video": clip_path}, ["a doc"])
    with pytest.raises(ValueError, match=re.escape("document 2 has a video clip '")):
        default_scorer.score("red shoes", ["a doc", {"video": clip_path}])
    with pytest.raises(ValueError, match=re.escape("query has a video clip '")):
        default_scorer.process({"query": {"video": str(clip_path)}, "documents": [{"text": "a"}]})
    assert default_scorer.capabilities.video is False


def test_process_validates_video_settings(default_scorer, clip_path):
    docs = [{"text": "a"}]
    for key, value, msg in (
        ("fps", 0, "process() inputs: fps must be a positive number of frames per second, got 0"),
        ("fps", True, "process() inputs: fps must be a positive number of frames per second, got True"),
        ("max_frames", 1.5, "process() inputs: max_frames must be an integer from 2 to 768, got 1.5"),
        ("max_video_seconds", 0, "process() inputs: max_video_seconds must be a positive number of seconds, got 0"),
    ):
        with pytest.raises(ValueError, match=re.escape(msg)):
            default_scorer.process({"query": {"text": "q"}, "documents": docs, key: value})
    msg = "process() inputs: unknown keys ['fpss']; expected 'instruction', 'query', 'documents', 'fps', 'max_frames'"
    with pytest.raises(ValueError, match=re.escape(msg)):
        default_scorer.process({"query": {"text": "q"}, "documents": docs, "fpss": 1})
    # the clip is checked against the call's limit, and named
    with pytest.raises(
        ValueError, match=re.escape(f"document 1 video '{clip_path}': lasts 3.0 s (30 frames at 10 fps)")
    ):
        default_scorer.process({"query": {"text": "q"}, "documents": [{"video": clip_path}], "max_video_seconds": 2})
    # settings are accepted on a text-only call
    assert len(default_scorer.process({"query": {"text": "q"}, "documents": docs, "fps": 2, "max_frames": 8})) == 1


@dataclass
class RecordingScorer(BaseScorer):
    """Reads everything, scores 0.5, and keeps the pairs it was given (to see what process() built)."""

    name: str = "recording"
    family: str = "test"
    capabilities: Capabilities = field(default_factory=lambda: Capabilities(image=True, video=True))
    seen: list = field(default_factory=list)

    def _predict_pairs(self, pairs, instruction, *, progress=None):
        self.seen.extend(pairs)
        return [Prediction(score=0.5, log_odds=0.0) for _ in pairs]


def test_process_samples_clips_with_the_call_settings(clip_path):
    scorer = RecordingScorer()
    own = load_video(clip_path, fps=2.0, max_frames=8)
    inputs = {"query": {"video": str(clip_path)}, "documents": [{"video": own}, {"video": frames(4)}]}
    assert scorer.process(inputs) == [0.5, 0.5]
    (query, doc1), (_, doc2) = scorer.seen
    assert (query.video.sample_fps, query.video.max_frames) == (1.0, 64)  # the defaults
    assert (doc1.video.sample_fps, doc1.video.max_frames) == (2.0, 8)  # a Video keeps its own settings
    assert doc2.video.kind == "frames" and doc2.video.fps == 2.0  # a frame list: 2 frames per second
    scorer.seen.clear()
    scorer.process({**inputs, "fps": 3.0, "max_frames": 6})
    (query, doc1), (_, doc2) = scorer.seen
    assert (query.video.sample_fps, query.video.max_frames) == (3.0, 6)
    assert (doc1.video.sample_fps, doc1.video.max_frames) == (3.0, 6)  # given settings apply to every clip
    assert doc2.video.max_frames == 6 and doc2.video.fps == 2.0  # fps samples files; a frame list keeps its rate
    # 3 s at 3 fps = 9 frames, capped at 6: round(linspace(0, 29, 6)) = round([0, 5.8, 11.6, 17.4, 23.2, 29])
    assert query.video.sample().indices == (0, 6, 12, 17, 23, 29)


def test_large_frames_are_scaled_down_while_decoding_and_small_ones_are_not(tmp_path, make_clip):
    from lychee.video import DECODE_FRAME_PIXELS, decode_size

    big = load_video(make_clip(tmp_path / "big.mp4", seconds=2, fps=2, size=(1920, 1080)))
    assert (big.width, big.height) == (1920, 1080)  # what the file is
    sampled = big.sample()
    assert all(frame.shape == (720, 1280, 3) for frame in sampled.frames)  # what is kept: about 720p, aspect kept
    assert decode_size(7680, 4320) == (1280, 720) and decode_size(1280, 720) is None
    assert decode_size(1000, 3000)[0] * decode_size(1000, 3000)[1] <= DECODE_FRAME_PIXELS * 1.01
    small = load_video(make_clip(tmp_path / "small.mp4", seconds=2, fps=2, size=(1280, 720)))
    with av.open(str(tmp_path / "small.mp4")) as container:
        first = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert np.array_equal(small.sample().frames[0], first)  # untouched up to 720p: the same pixels as before


def test_probing_is_bounded_in_frames(tmp_path, make_clip, monkeypatch):
    import lychee.video as video

    path = make_clip(tmp_path / "long.mp4", seconds=3, fps=10)
    monkeypatch.setattr(video, "MAX_PROBE_FRAMES", 12)
    refused(path, "checking it stopped after 13 frames (1.3 s of video at 10 fps): a clip may take at most 12 frames")

"""QwenVLScorer on tiny random Qwen2.5-VL (Lychee) and Qwen3-VL (Qwen3-VL-Reranker) checkpoints.

Random weights mean nothing, so these tests check exact formulas and properties: scores equal an independent
computation of the published recipe, batching/order do not change them, truncation keeps the answer position, and
bad inputs get clear errors. The reference computation below is written from the recipe's literal strings on
purpose — it does not import ``lychee.prompt``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import struct
import warnings
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

import lychee
from lychee import Item
from tests.helpers import encode_image, noise_image

# --- the published recipes, spelled out independently of lychee.prompt ------------------------------------------------
SYSTEM = (
    "Judge whether the Document meets the requirements based on the Query and the Instruct provided. "
    'Note that the answer can only be "yes" or "no".'
)
RECIPES = {
    "lychee": {
        "model_class": "Qwen2_5_VLForConditionalGeneration",
        "min_pixels": 4 * 28 * 28,
        "max_pixels": 1280 * 28 * 28,
        "patch": 14,
        "null": False,
        "instruction": "Given a web search query, retrieve relevant passages that answer the query.",
        "max_length": 8192,
    },
    "qwen3-vl-reranker": {
        "model_class": "Qwen3VLForConditionalGeneration",
        "min_pixels": 4 * 32 * 32,
        "max_pixels": 1800 * 32 * 32,
        "patch": 16,
        "null": True,
        "instruction": "Given a search query, retrieve relevant candidates that answer the query.",
        "max_length": 10240,
    },
}
GENERATION_SUFFIX = "<|im_end|>\n<|im_start|>assistant\n"
IMAGE_PART = "<|vision_start|><|image_pad|><|vision_end|>"


def reference_messages(family: str, instruction: str, q_text, q_image, d_text, d_image) -> list[dict]:
    recipe = RECIPES[family]

    def side(prefix, text, image):
        parts = [{"type": "text", "text": prefix}]
        if image is not None:
            bounds = {"min_pixels": recipe["min_pixels"], "max_pixels": recipe["max_pixels"]}
            parts.append({"type": "image", "image": image, **bounds})
        if text:
            parts.append({"type": "text", "text": text})
        if recipe["null"] and image is None and not text:
            parts.append({"type": "text", "text": "NULL"})
        return parts

    user = [{"type": "text", "text": "<Instruct>: " + instruction}]
    user += side("<Query>:", q_text, q_image) + side("\n<Document>:", d_text, d_image)
    return [{"role": "system", "content": [{"type": "text", "text": SYSTEM}]}, {"role": "user", "content": user}]


class Reference:
    """The recipe run by hand with transformers + qwen_vl_utils, one pair at a time (no batching, no padding)."""

    def __init__(self, family: str, path) -> None:
        import transformers
        from transformers import AutoProcessor

        self.family = family
        self.recipe = RECIPES[family]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # transformers 5 deprecates these keywords for `size`
            self.processor = AutoProcessor.from_pretrained(
                str(path),
                padding_side="left",
                min_pixels=self.recipe["min_pixels"],
                max_pixels=self.recipe["max_pixels"],
            )
        model_class = getattr(transformers, self.recipe["model_class"])
        self.model = model_class.from_pretrained(str(path), dtype=torch.float32).eval()
        tok = self.processor.tokenizer
        self.yes, self.no = tok.convert_tokens_to_ids("yes"), tok.convert_tokens_to_ids("no")

    def render(self, messages) -> str:
        return self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def inputs(self, messages):
        from qwen_vl_utils import process_vision_info

        images, _ = process_vision_info(messages, image_patch_size=self.recipe["patch"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return self.processor(text=[self.render(messages)], images=images, padding=True, return_tensors="pt")

    def score(self, messages) -> tuple[float, float]:
        """(P(yes), z_yes - z_no) at the last position."""
        with torch.no_grad():
            logits = self.model(**self.inputs(messages)).logits[0, -1].float()
        z_no, z_yes = logits[self.no], logits[self.yes]
        if self.family == "lychee":
            p = torch.softmax(torch.stack([z_no, z_yes]), dim=0)[1]
        else:
            p = torch.sigmoid(z_yes - z_no)
        return float(p), float(z_yes - z_no)


@pytest.fixture(scope="module")
def reference(family, checkpoint) -> Reference:
    return Reference(family, checkpoint)


Q_IMG = noise_image(80, 56, seed=1)
D_IMG = noise_image(50, 120, seed=2)
KINDS = {
    "T->T": ("red running shoes", None, "Nike red running shoe, lightweight and breathable.", None),
    "I->T": (None, Q_IMG, "A photo of a red shoe on a white background.", None),
    "T->I": ("blue ceramic teapot", None, None, D_IMG),
    "IT->IT": ("shoes like this one", Q_IMG, "Nike running shoe", D_IMG),
}


# --- parity with the reference recipe -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(KINDS))
def test_scores_equal_independent_recipe(vlm_scorer, reference, family, kind):
    q_text, q_img, d_text, d_img = KINDS[kind]
    instruction = RECIPES[family]["instruction"]
    expected_p, expected_lo = reference.score(reference_messages(family, instruction, q_text, q_img, d_text, d_img))
    pred = vlm_scorer.predict(Item(q_text, q_img), [Item(d_text, d_img)])[0]
    assert pred.score == pytest.approx(expected_p, abs=1e-5)
    assert pred.log_odds == pytest.approx(expected_lo, abs=1e-4)
    assert not pred.truncated
    assert pred.n_tokens == reference.inputs(reference_messages(family, instruction, q_text, q_img, d_text, d_img))[
        "input_ids"
    ].shape[1]


def test_custom_instruction_equals_recipe(vlm_scorer, reference, family):
    instruction = "Find products that match the image."
    expected_p, _ = reference.score(reference_messages(family, instruction, "red shoes", None, None, D_IMG))
    assert vlm_scorer.score("red shoes", [{"image": D_IMG}], instruction)[0] == pytest.approx(expected_p, abs=1e-5)


def test_empty_side_matches_recipe(vlm_scorer, reference, family):
    """Occlusion can remove a side's only word; Qwen3 then shows NULL, Lychee shows nothing."""
    instruction = RECIPES[family]["instruction"]
    expected_p, _ = reference.score(reference_messages(family, instruction, "red shoes", None, "", None))
    pred = vlm_scorer._predict_pairs([(Item("red shoes", name="query"), Item("", name="document"))], instruction)[0]
    assert pred.score == pytest.approx(expected_p, abs=1e-5)


def test_rendered_prompt_is_byte_exact(vlm_scorer, reference, family):
    instruction = "Given a query, find it."
    expected = (
        "<|im_start|>system\n" + SYSTEM + "<|im_end|>\n<|im_start|>user\n"
        "<Instruct>: Given a query, find it.<Query>:red shoes\n<Document>:Nike shoe" + GENERATION_SUFFIX
    )
    assert reference.render(reference_messages(family, instruction, "red shoes", None, "Nike shoe", None)) == expected
    enc = vlm_scorer.encoder.encode_pairs([(Item("red shoes"), Item("Nike shoe"))], instruction)[0]
    assert enc.text == expected


def test_rendered_prompt_part_order_with_images(vlm_scorer, family):
    enc = vlm_scorer.encoder.encode_pairs([(Item("q text", Q_IMG), Item("d text", D_IMG))], "Instr.")[0]
    user = enc.text.split("<|im_start|>user\n", 1)[1]
    assert user == (
        "<Instruct>: Instr.<Query>:" + IMAGE_PART + "q text\n<Document>:" + IMAGE_PART + "d text" + GENERATION_SUFFIX
    )


def test_empty_side_renders_null_for_qwen3_only(vlm_scorer, family):
    enc = vlm_scorer.encoder.encode_pairs([(Item("q"), Item(""))], "Instr.")[0]
    tail = "\n<Document>:NULL" if family == "qwen3-vl-reranker" else "\n<Document>:"
    assert enc.text.endswith("<Query>:q" + tail + GENERATION_SUFFIX)


def test_default_instruction_is_the_family_default(vlm_scorer, family):
    expected = RECIPES[family]["instruction"]
    assert vlm_scorer.default_instruction == expected
    assert vlm_scorer.info.default_instruction == expected
    docs = ["Nike red running shoe", {"image": D_IMG}]
    assert vlm_scorer.score("red shoes", docs) == pytest.approx(vlm_scorer.score("red shoes", docs, expected), abs=0)


# --- batching, order, ranking -------------------------------------------------------------------------------------
DOCS = [
    "Nike red running shoe",
    {"image": D_IMG},
    "blue ceramic teapot with a bamboo handle and a long description of the glaze and the kiln",
    {"text": "a red shoe", "image": noise_image(64, 64, seed=3)},
    "bread",
    {"image": noise_image(120, 40, seed=4)},
    "Paris is the capital and largest city of France.",
]


def test_batched_equals_one_at_a_time(checkpoint, vlm_scorer):
    batched = lychee.load_scorer(str(checkpoint), batch_size=3).predict({"text": "red shoes", "image": Q_IMG}, DOCS)
    single = [vlm_scorer.predict({"text": "red shoes", "image": Q_IMG}, [d])[0] for d in DOCS]
    np.testing.assert_allclose([p.score for p in batched], [p.score for p in single], atol=1e-5, rtol=0)
    np.testing.assert_allclose([p.log_odds for p in batched], [p.log_odds for p in single], atol=1e-4, rtol=0)
    assert [p.n_tokens for p in batched] == [p.n_tokens for p in single]
    # the documents differ, so the test could tell a mix-up apart from a match
    assert np.ptp([p.score for p in single]) > 1e-3


def test_order_invariance(vlm_scorer):
    perm = [4, 0, 6, 2, 5, 1, 3]
    scores = vlm_scorer.score("red shoes", DOCS)
    permuted = vlm_scorer.score("red shoes", [DOCS[i] for i in perm])
    np.testing.assert_allclose(permuted, [scores[i] for i in perm], atol=1e-5, rtol=0)


def test_predict_pairs_many_queries(vlm_scorer):
    pairs = [("red shoes", "Nike red running shoe"), ({"image": Q_IMG}, "bread"), ("teapot", {"image": D_IMG})]
    got = vlm_scorer.predict_pairs(pairs)
    expected = [vlm_scorer.predict(q, [d])[0].score for q, d in pairs]
    np.testing.assert_allclose([p.score for p in got], expected, atol=1e-5, rtol=0)


def test_empty_documents_give_empty_list(vlm_scorer):
    assert vlm_scorer.score("red shoes", []) == []
    assert vlm_scorer.rank("red shoes", []) == []


def test_rank_is_sorted_and_top_k(vlm_scorer):
    ranked = vlm_scorer.rank("red shoes", DOCS)
    scores = vlm_scorer.score("red shoes", DOCS)
    assert [r.score for r in ranked] == sorted(scores, reverse=True)
    assert sorted(r.index for r in ranked) == list(range(len(DOCS)))
    assert [r.index for r in vlm_scorer.rank("red shoes", DOCS, top_k=2)] == [r.index for r in ranked[:2]]


def test_scores_are_probabilities_of_the_log_odds(vlm_scorer):
    preds = vlm_scorer.predict("red shoes", DOCS)
    for p in preds:
        assert 0.0 <= p.score <= 1.0 and math.isfinite(p.log_odds)
        assert p.score == pytest.approx(1.0 / (1.0 + math.exp(-p.log_odds)), abs=1e-6)


def test_progress_called_after_each_batch(checkpoint):
    scorer = lychee.load_scorer(str(checkpoint), batch_size=2)
    calls = []
    scorer.score("red shoes", DOCS[:5], progress=lambda done, total: calls.append((done, total)))
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_scoring_leaves_no_state_on_the_shared_model(vlm_scorer):
    """A cached scorer serves every session: scoring must not write state into the model (transformers' own 3-D
    position path caches ``rope_deltas`` on it; the scorer passes padding-aware positions instead)."""
    vlm_scorer.score({"text": "red shoes", "image": Q_IMG}, DOCS[:4])
    assert vlm_scorer.model.model.rope_deltas is None


def test_batches_are_length_sorted(checkpoint):
    scorer = lychee.load_scorer(str(checkpoint), batch_size=2)
    real_forward, batches = scorer.forward, []

    def forward(inputs):
        batches.append(inputs["attention_mask"].sum(1).tolist())
        return real_forward(inputs)

    scorer.forward = forward
    docs = ["a", "b " * 40, "c " * 5, "d " * 80, "e " * 20]
    preds = scorer.predict("q", docs)
    lengths = [p.n_tokens for p in preds]
    assert [sorted(b, reverse=True) for b in batches] == [sorted(lengths, reverse=True)[i : i + 2] for i in (0, 2, 4)]


def test_process_matches_score(vlm_scorer):
    docs = [{"text": "Nike red running shoe"}, {"image": D_IMG}]
    got = vlm_scorer.process({"query": {"text": "red shoes"}, "documents": docs, "fps": 1.0})
    assert got == pytest.approx(vlm_scorer.score({"text": "red shoes"}, docs), abs=0)


# --- truncation -----------------------------------------------------------------------------------------------------
@pytest.fixture
def short_scorer(checkpoint):
    return lychee.load_scorer(str(checkpoint), max_length=128)


def test_long_document_is_truncated_and_answer_position_kept(short_scorer):
    long_doc = " ".join(f"word{i % 10}" for i in range(600))
    with pytest.warns(UserWarning, match=r"more than max_length=128; the document text was cut"):
        pred = short_scorer.predict("red shoes", [long_doc])[0]
    assert pred.truncated and pred.n_tokens <= 128
    instruction = short_scorer.default_instruction
    with pytest.warns(UserWarning):
        pair = (Item("red shoes", name="query"), Item(long_doc, name="document 1"))
        enc = short_scorer.encoder.encode_pairs([pair], instruction)[0]
    assert enc.text.endswith(GENERATION_SUFFIX)
    assert enc.query.text == "red shoes"
    assert long_doc.startswith(enc.document.text) and len(enc.document.text) < len(long_doc)
    ids = short_scorer.encoder.batch_inputs([enc])["input_ids"]
    assert ids.shape[1] == enc.n_tokens <= 128
    assert enc.n_tokens > 128 - 6  # cut as little as possible (binary search), not to an arbitrary short prefix
    # the truncated pair scores exactly like the cut text given directly
    direct = short_scorer.predict("red shoes", [enc.document.text])[0]
    assert not direct.truncated
    assert pred.score == pytest.approx(direct.score, abs=1e-6)


def test_document_is_cut_before_query(short_scorer):
    query = "red running shoes for men, lightweight and breathable"
    doc = " ".join(["word"] * 400)
    with pytest.warns(UserWarning):
        enc = short_scorer.encoder.encode_pairs([(Item(query, name="query"), Item(doc, name="document 1"))], "Instr.")[0]
    assert enc.query.text == query and enc.truncated
    assert 0 < len(enc.document.text) < len(doc)


def test_long_query_and_document_remove_document_text_then_cut_query(short_scorer, family):
    query = " ".join(["apple"] * 300)
    doc = " ".join(["word"] * 300)
    with pytest.warns(UserWarning, match="the document text was removed and the query text was cut"):
        enc = short_scorer.encoder.encode_pairs([(Item(query, name="query"), Item(doc, name="document 1"))], "Instr.")[0]
    assert not enc.document.has_text
    assert query.startswith(enc.query.text) and 0 < len(enc.query.text) < len(query)
    assert enc.n_tokens <= 128 and enc.text.endswith(GENERATION_SUFFIX)
    empty_doc = "\n<Document>:NULL" if family == "qwen3-vl-reranker" else "\n<Document>:"
    assert enc.text.endswith(empty_doc + GENERATION_SUFFIX)


def test_images_too_long_for_max_length_raise(checkpoint):
    scorer = lychee.load_scorer(str(checkpoint), max_length=64)
    msg = "needs {} tokens even with all its text removed"
    with pytest.raises(ValueError, match=re.escape(msg.split("{}")[1]) + ".*Use a smaller image"):
        scorer.score("q", [{"text": "d", "image": noise_image(400, 400, seed=5)}])


def test_custom_pixel_bounds_change_image_tokens(checkpoint, vlm_scorer, family):
    patch = RECIPES[family]["patch"] * 2
    small = lychee.load_scorer(str(checkpoint), processor_kwargs={"max_pixels": 4 * patch * patch})
    assert small.info.details["max_pixels"] == 4 * patch * patch
    image = noise_image(400, 400, seed=8)
    assert small.encoder.encode_pairs([(Item("q"), Item(image=image))], "I.")[0].image_tokens == [4]
    assert vlm_scorer.encoder.encode_pairs([(Item("q"), Item(image=image))], "I.")[0].image_tokens[0] > 4


@pytest.mark.parametrize("bounds", [{"min_pixels": 0}, {"max_pixels": "big"}, {"min_pixels": 10**8}])
def test_bad_pixel_bounds_rejected(checkpoint, bounds):
    with pytest.raises(ValueError, match="expected integers 0 < min_pixels <= max_pixels"):
        lychee.load_scorer(str(checkpoint), processor_kwargs=bounds)


def test_bad_max_length_rejected(checkpoint):
    with pytest.raises(ValueError, match=re.escape("max_length must be an integer >= 64, got 10.")):
        lychee.load_scorer(str(checkpoint), max_length=10)


# --- bad inputs -----------------------------------------------------------------------------------------------------
def _bomb_png(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose header claims width x height (PIL refuses it on open)."""
    data = bytearray(encode_image(Image.new("RGB", (1, 1))))
    ihdr = 8 + 8  # signature, then length + b"IHDR"
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def test_empty_query_and_empty_document_rejected(vlm_scorer):
    with pytest.raises(ValueError, match=re.escape("query is empty: got no text, no image and no video")):
        vlm_scorer.score("", ["doc"])
    with pytest.raises(ValueError, match=re.escape("document 2 is empty: got no text, no image and no video")):
        vlm_scorer.score("q", ["doc", {}])


def test_corrupt_truncated_missing_and_bomb_images_rejected(vlm_scorer, tmp_path):
    with pytest.raises(ValueError, match="document 1 image .*not a readable image"):
        vlm_scorer.score("q", [{"image": b"definitely not an image"}])
    png = tmp_path / "half.png"
    png.write_bytes(encode_image(noise_image(64, 64, seed=6))[:600])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        vlm_scorer.score("q", [{"image": str(png)}])
    with pytest.raises(ValueError, match="file not found"):
        vlm_scorer.score({"image": str(tmp_path / "missing.png")}, ["doc"])
    with pytest.raises(ValueError, match="decompression bomb"):
        vlm_scorer.score("q", [{"image": _bomb_png(20_000, 10_000)}])


def test_extreme_banner_is_padded_not_crashing(vlm_scorer):
    banner = noise_image(2000, 3, seed=7)
    with pytest.warns(UserWarning, match=r"2000x3 .*padded with white to 2000x10"):
        pred = vlm_scorer.predict("a banner", [{"image": banner}])[0]
    assert 0.0 <= pred.score <= 1.0


@pytest.mark.parametrize("dtype", ["float8", "int8", 32])
def test_bad_dtype_rejected(checkpoint, dtype):
    with pytest.raises(ValueError, match=re.escape("dtype must be 'float32', 'bfloat16', 'float16'")):
        lychee.load_scorer(str(checkpoint), dtype=dtype)


def test_bad_device_rejected(checkpoint):
    with pytest.raises(ValueError, match=re.escape("device must be 'cpu', 'cuda' or 'cuda:N', got 'tpu'.")):
        lychee.load_scorer(str(checkpoint), device="tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_without_cuda_rejected(checkpoint):
    with pytest.raises(ValueError, match="CUDA is not available here"):
        lychee.load_scorer(str(checkpoint), device="cuda")


def test_trust_remote_code_refused(checkpoint):
    with pytest.raises(ValueError, match="never runs code shipped with a checkpoint"):
        lychee.load_scorer(str(checkpoint), model_kwargs={"trust_remote_code": True})


@pytest.mark.parametrize("word", ["yes", "no"])
def test_missing_yes_no_token_rejected(checkpoint_copy, word):
    path = checkpoint_copy / "tokenizer.json"
    tok = json.loads(path.read_text(encoding="utf-8"))
    model = tok["model"]
    model["merges"] = [m for m in model["merges"] if "".join(m if isinstance(m, list) else m.split(" ")) != word]
    del model["vocab"][word]
    path.write_text(json.dumps(tok), encoding="utf-8")
    with pytest.raises(ValueError, match=rf"no single token for '{word}'"):
        lychee.load_scorer(str(checkpoint_copy))


def test_unknown_explain_method_rejected(vlm_scorer):
    message = "method must be 'occlusion', 'shapley', 'gradient' or 'ig', got 'shap'."
    with pytest.raises(ValueError, match=re.escape(message)):
        vlm_scorer.explain("q", "d", method="shap")


# --- CUDA out-of-memory handling (faked) ----------------------------------------------------------------------------
def test_fake_cuda_oom_halves_batch(checkpoint, vlm_scorer, caplog):
    scorer = lychee.load_scorer(str(checkpoint), batch_size=8)
    real_forward = scorer.forward
    sizes = []

    def forward(inputs):
        n = inputs["input_ids"].shape[0]
        sizes.append(n)
        if n > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real_forward(inputs)

    scorer.forward = forward
    with caplog.at_level("WARNING"):
        got = scorer.score("red shoes", DOCS)
    # 7 pairs fail, 3 fail, then single pairs go through
    assert sizes == [7, 3] + [1] * len(DOCS)
    assert scorer.stats.oom_retries == 2
    assert "CUDA out of memory with 3 pairs per batch; retrying with 1" in caplog.text
    np.testing.assert_allclose(got, vlm_scorer.score("red shoes", DOCS), atol=1e-5, rtol=0)


def test_fake_cuda_oom_at_batch_size_one_raises(checkpoint):
    scorer = lychee.load_scorer(str(checkpoint), batch_size=2)

    def forward(inputs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory.")

    scorer.forward = forward
    with pytest.raises(ValueError, match="out of GPU memory scoring a single pair"):
        scorer.score("red shoes", ["a", "b"])


def test_other_runtime_errors_propagate(checkpoint):
    scorer = lychee.load_scorer(str(checkpoint))

    def forward(inputs):
        raise RuntimeError("shape mismatch")

    scorer.forward = forward
    with pytest.raises(RuntimeError, match="shape mismatch"):
        scorer.score("red shoes", ["a"])
    assert scorer.stats.oom_retries == 0


# --- loading: info, dtype, attention ----------------------------------------------------------------------------------
def test_info_fields(vlm_scorer, family, checkpoint):
    from lychee.runtime import checkpoint_parameter_count

    info = vlm_scorer.info
    assert info.name == str(checkpoint) and info.path == str(checkpoint) and info.batch_size == vlm_scorer.batch_size
    assert "sigmoid(z_yes - z_no)" in info.score_formula and info.default_instruction == vlm_scorer.default_instruction
    assert info.weights_bytes == sum(p.numel() * 4 for p in vlm_scorer.model.parameters()) + sum(
        b.numel() * b.element_size() for b in vlm_scorer.model.buffers()
    )
    assert (info.details["yes_token_id"], info.details["no_token_id"]) == (vlm_scorer.yes_token_id, vlm_scorer.no_token_id)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.device = "cuda"  # shared by every session: never mutated
    assert vlm_scorer.stats.oom_retries == 0
    assert info.family == family and info.device == "cpu" and info.dtype == "float32"
    assert vlm_scorer.capabilities.modalities == "text+image+video"
    assert vlm_scorer.capabilities.explain_methods == ("occlusion", "shapley", "gradient", "ig")
    assert info.attention == vlm_scorer.model.config._attn_implementation == "sdpa"
    assert info.parameters == sum(p.numel() for p in vlm_scorer.model.parameters())
    assert info.parameters == checkpoint_parameter_count(checkpoint)
    assert info.max_length == RECIPES[family]["max_length"]
    assert (info.details["min_pixels"], info.details["max_pixels"]) == (RECIPES[family]["min_pixels"], RECIPES[family]["max_pixels"])
    assert vlm_scorer.processor.image_processor.size["shortest_edge"] == RECIPES[family]["min_pixels"]
    assert vlm_scorer.processor.image_processor.size["longest_edge"] == RECIPES[family]["max_pixels"]
    assert vlm_scorer.processor.tokenizer.padding_side == "left"
    assert vlm_scorer.capabilities.image and vlm_scorer.family == family


def test_cpu_falls_back_to_bfloat16_when_float32_does_not_fit(checkpoint, monkeypatch):
    import lychee.scorers.qwen_vl.loading as qv

    monkeypatch.setattr(qv, "available_memory_bytes", lambda: 1024)
    with pytest.warns(UserWarning, match="loaded in bfloat16 instead"):
        scorer = lychee.load_scorer(str(checkpoint))
    assert scorer.info.dtype == "bfloat16" and "bfloat16" in scorer.info.notes[0]
    assert next(scorer.model.parameters()).dtype == torch.bfloat16
    assert all(0.0 <= s <= 1.0 for s in scorer.score("red shoes", ["Nike shoe", {"image": D_IMG}]))


def test_explicit_dtype_wins_over_memory_estimate(checkpoint, monkeypatch):
    import lychee.scorers.qwen_vl.loading as qv

    monkeypatch.setattr(qv, "available_memory_bytes", lambda: 1024)
    scorer = lychee.load_scorer(str(checkpoint), dtype=torch.float32)
    assert scorer.info.dtype == "float32" and scorer.info.notes == ()


def test_unavailable_attention_falls_back_to_eager_and_is_reported(checkpoint, monkeypatch, caplog):
    import lychee.scorers.qwen_vl.loading as qv

    monkeypatch.setattr(qv, "choose_attention", lambda device, requested=None: "flash_attention_2")
    with caplog.at_level("WARNING"):
        scorer = lychee.load_scorer(str(checkpoint))
    assert "attention flash_attention_2 unavailable" in caplog.text
    assert scorer.info.attention == scorer.model.config._attn_implementation == "eager"


def test_requested_attention_that_fails_is_an_error(checkpoint):
    with pytest.raises(ValueError, match="cannot load the model .*attn_implementation=\"bogus\""):
        lychee.load_scorer(str(checkpoint), model_kwargs={"attn_implementation": "bogus"})


def test_choose_dtype_rules():
    from lychee.runtime import choose_dtype

    assert choose_dtype(None, "cuda", 10**9, 1) == (torch.bfloat16, None)
    assert choose_dtype(None, "cpu", 10**6, 10**9) == (torch.float32, None)
    dtype, note = choose_dtype(None, "cpu", 8 * 10**9, 24 * 2**30)  # a 7B-class model on a 24 GiB machine
    assert dtype == torch.bfloat16 and "float32 weights need 29.8 GiB" in note
    assert choose_dtype("bf16", "cpu", None, None) == (torch.bfloat16, None)
    assert choose_dtype("float16", "cpu", None, None) == (torch.float16, None)


def test_choose_attention(monkeypatch):
    import importlib.util

    from lychee.runtime import choose_attention

    assert choose_attention("cpu") == "sdpa"
    real = importlib.util.find_spec
    fake = lambda name, *a: object() if name == "flash_attn" else real(name, *a)  # noqa: E731
    monkeypatch.setattr(importlib.util, "find_spec", fake)
    assert choose_attention("cuda") == "flash_attention_2"
    assert choose_attention("cpu") == "sdpa"
    assert choose_attention("cuda", "eager") == "eager"


def test_synthetic_checkpoint_shape(checkpoint, family):
    config = json.loads((checkpoint / "config.json").read_text(encoding="utf-8"))
    assert config["model_type"] == ("qwen2_5_vl" if family == "lychee" else "qwen3_vl")
    assert config["vision_config"]["spatial_merge_size"] == 2
    assert config["vision_config"]["patch_size"] == RECIPES[family]["patch"]
    assert lychee.scorers.family_of(checkpoint) == family


@pytest.mark.parametrize(
    ("fam", "model_class", "n_params"),
    [
        ("lychee", "Qwen2_5_VLForConditionalGeneration", 8_292_166_656),  # Qwen/Qwen2.5-VL-7B-Instruct
        ("qwen3-vl-reranker", "Qwen3VLForConditionalGeneration", 8_767_123_696),  # Qwen/Qwen3-VL-8B-Instruct
    ],
)
def test_synthetic_7b_has_the_real_dimensions(fam, model_class, n_params):
    """Counted on the meta device (no memory): the "7b" size must be the real architecture, parameter for parameter."""
    import transformers

    from lychee.synthetic import _config, _train_tokenizer

    config = _config(fam, "7b", _train_tokenizer())
    with torch.device("meta"):
        model = getattr(transformers, model_class)._from_config(config)
    assert sum(p.numel() for p in model.parameters()) == n_params


def test_synthetic_builder_rejects_bad_arguments(tmp_path):
    from lychee.synthetic import build_synthetic_checkpoint

    with pytest.raises(ValueError, match="family must be one of"):
        build_synthetic_checkpoint(tmp_path / "x", family="llama")
    with pytest.raises(ValueError, match="size must be one of"):
        build_synthetic_checkpoint(tmp_path / "x", size="huge")
    with pytest.raises(ValueError, match="pass device='cuda'"):
        build_synthetic_checkpoint(tmp_path / "x", size="7b")

"""Randomly initialised Qwen2.5-VL / Qwen3-VL checkpoints for tests and benchmarks (no downloads).

:func:`build_synthetic_checkpoint` writes a complete Hugging Face checkpoint folder — model weights, a small
byte-level BPE tokenizer trained here on a built-in corpus, the image/video processors and the family's chat
template — that :func:`lychee.load_scorer` loads like a real Lychee-rerank-mm or Qwen3-VL-Reranker checkpoint.

The weights are random, so scores mean nothing; the checkpoints exist to exercise the exact prompt, batching,
truncation, image and salience code paths. Two deliberate departures from a plain random init:

* the ``yes`` and ``no`` rows of the LM head are re-drawn with a larger scale (std ``4 / sqrt(hidden)``), so that
  log-odds spread over a few units instead of sitting at 0 ± 0.01. Tests can then tell documents apart (a mix-up of
  two documents changes a score by far more than the 1e-5 tolerance).
* the tokenizer is tiny (a few hundred tokens), but has Qwen's special tokens and pre-tokenizer, and ``yes`` / ``no``
  are single tokens, as in the real vocabulary.

Sizes:

* ``"tiny"``: text hidden 64, 2 layers; vision depth 2, hidden 32; the real patch sizes (14 for Qwen2.5-VL,
  16 for Qwen3-VL) and the real ``spatial_merge_size=2``, so pixel bounds and image-token counts behave as in the
  real models. Builds in about a second.
* ``"cpu"``: text hidden 256, 4 layers; vision depth 4, hidden 128 — a CPU benchmark size.
* ``"7b"`` (alias ``"8b"``): the real dimensions (Qwen2.5-VL-7B for ``family="lychee"``, Qwen3-VL-8B for
  ``family="qwen3-vl-reranker"``). Meant for a GPU: pass ``device="cuda"``; it is built directly on that device in
  bfloat16 (about 16 GB) and never materialised on the CPU first.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FAMILIES = ("lychee", "qwen3-vl-reranker")
SIZES = ("tiny", "cpu", "7b", "8b")

SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

# The official Qwen2.5-VL-Instruct chat template (chat_template.json of Qwen/Qwen2.5-VL-7B-Instruct; Lychee keeps it).
QWEN2_5_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}"
    "<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in "
    "content or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}"
    "Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == "
    "'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video "
    "{{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content %}"
    "{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}"
    "<|im_start|>assistant\n{% endif %}"
)

# The Qwen3-VL-Instruct chat template (chat_template.json of Qwen/Qwen3-VL-8B-Instruct, which Qwen3-VL-Reranker uses).
QWEN3_VL_CHAT_TEMPLATE = """{%- set image_count = namespace(value=0) %}
{%- set video_count = namespace(value=0) %}
{%- macro render_content(content, do_vision_count) %}
    {%- if content is string %}
        {{- content }}
    {%- else %}
        {%- for item in content %}
            {%- if 'image' in item or 'image_url' in item or item.type == 'image' %}
                {%- if do_vision_count %}
                    {%- set image_count.value = image_count.value + 1 %}
                {%- endif %}
                {%- if add_vision_id %}Picture {{ image_count.value }}: {% endif -%}
                <|vision_start|><|image_pad|><|vision_end|>
            {%- elif 'video' in item or item.type == 'video' %}
                {%- if do_vision_count %}
                    {%- set video_count.value = video_count.value + 1 %}
                {%- endif %}
                {%- if add_vision_id %}Video {{ video_count.value }}: {% endif -%}
                <|vision_start|><|video_pad|><|vision_end|>
            {%- elif 'text' in item %}
                {{- item.text }}
            {%- endif %}
        {%- endfor %}
    {%- endif %}
{%- endmacro %}
{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0].role == 'system' %}
        {{- render_content(messages[0].content, false) + '\\n\\n' }}
    {%- endif %}
    {{- "# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0].role == 'system' %}
        {{- '<|im_start|>system\\n' + render_content(messages[0].content, false) + '<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" %}
        {%- set content = render_content(message.content, false) %}
        {%- if not(content.startswith('<tool_response>') and content.endswith('</tool_response>')) %}
            {%- set ns.multi_step_tool = false %}
            {%- set ns.last_query_index = index %}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- set content = render_content(message.content, True) %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role + '\\n' + content }}
        {%- if message.tool_calls %}
            {%- for tool_call in message.tool_calls %}
                {%- if (loop.first and content) or (not loop.first) %}
                    {{- '\\n' }}
                {%- endif %}
                {%- if tool_call.function %}
                    {%- set tool_call = tool_call.function %}
                {%- endif %}
                {{- '<tool_call>\\n{"name": "' }}
                {{- tool_call.name }}
                {{- '", "arguments": ' }}
                {%- if tool_call.arguments is string %}
                    {{- tool_call.arguments }}
                {%- else %}
                    {{- tool_call.arguments | tojson }}
                {%- endif %}
                {{- '}\\n</tool_call>' }}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

# Enough text for a byte-level BPE to learn common English words, the prompt scaffolding and a few CJK characters.
_CORPUS = """Judge whether the Document meets the requirements based on the Query and the Instruct provided.
Note that the answer can only be "yes" or "no".
<Instruct>: Given a web search query, retrieve relevant passages that answer the query.
<Instruct>: Given a search query, retrieve relevant candidates that answer the query.
<Query>: red running shoes
<Document>: Nike red running shoe for men, lightweight and breathable.
<Document>: blue ceramic teapot with a bamboo handle
<Query>: how to bake bread at home
<Document>: A simple recipe: flour, water, salt and yeast; knead, rest, bake for forty minutes.
<Document>: NULL
The quick brown fox jumps over the lazy dog. A picture of a cat sitting on a mat.
Find products that match the image. Retrieve images that show the described scene.
What is the capital of France? Paris is the capital and largest city of France.
Gravity is a force that attracts two bodies towards each other.
The weather today is sunny with a light breeze from the west.
green apple, yellow banana, orange juice, white milk, black coffee, brown sugar.
我们 喜欢 学习 中文 。 红色 跑鞋 。 蓝色 茶壶 。 北京 是 中国 的 首都 。
0 1 2 3 4 5 6 7 8 9 10 100 2024 3.14
yes
no
"""


@functools.lru_cache(maxsize=1)
def _bpe_model(vocab_size: int = 600) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, str], ...]]:
    """Vocabulary and merges of a Qwen2-style byte-level BPE trained on :data:`_CORPUS` (deterministic; cached)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
        special_tokens=[],
    )
    # "yes" / "no" on lines of their own repeatedly, so BPE merges them into single tokens as in Qwen's vocabulary.
    lines = _CORPUS.splitlines() * 3 + ["yes", "no"] * 40
    tok.train_from_iterator(lines, trainer=trainer)
    merges = json.loads(tok.to_str())["model"]["merges"]
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in merges]
    return tuple(sorted(tok.get_vocab().items(), key=lambda kv: kv[1])), tuple(merges)


def _train_tokenizer() -> Any:
    """A Qwen2Tokenizer over :func:`_bpe_model`, with Qwen's special tokens; ``yes`` and ``no`` are single tokens."""
    from transformers import Qwen2Tokenizer

    vocab, merges = _bpe_model()
    qwen = Qwen2Tokenizer(
        vocab=dict(vocab),
        merges=list(merges),
        unk_token=None,
        bos_token=None,
        eos_token=None,
        pad_token=None,
        errors="replace",
        model_max_length=131072,
    )
    # Special tokens after the learned vocabulary, in Qwen's order (<|endoftext|>, <|im_start|>, <|im_end|>, ...).
    qwen.add_special_tokens({"additional_special_tokens": list(SPECIAL_TOKENS)})
    qwen.add_special_tokens({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"})
    for word in ("yes", "no"):
        ids = qwen.encode(word, add_special_tokens=False)
        if len(ids) != 1:
            raise RuntimeError(f"synthetic tokenizer: {word!r} encodes to {ids}, expected a single token.")
    return qwen


def _dims(family: str, size: str) -> dict[str, Any]:
    """Text and vision dimensions for one family and size."""
    if size == "tiny":
        text = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4)
        text["num_key_value_heads"] = 2
        vision = dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2)
    elif size == "cpu":
        text = dict(hidden_size=256, intermediate_size=1024, num_hidden_layers=4, num_attention_heads=4)
        text["num_key_value_heads"] = 2
        vision = dict(depth=4, hidden_size=128, intermediate_size=256, num_heads=4)
    elif family == "lychee":  # Qwen2.5-VL-7B
        text = dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28)
        text["num_key_value_heads"] = 4
        vision = dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16)
    else:  # Qwen3-VL-8B
        text = dict(hidden_size=4096, intermediate_size=12288, num_hidden_layers=36, num_attention_heads=32)
        text["num_key_value_heads"] = 8
        vision = dict(depth=27, hidden_size=1152, intermediate_size=4304, num_heads=16)
    return {"text": text, "vision": vision}


def _mrope_section(head_dim: int, real: list[int]) -> list[int]:
    """Scale the real mrope_section (which sums to 64 for head_dim 128) to ``head_dim // 2``."""
    half = head_dim // 2
    if half == sum(real):
        return list(real)
    t = max(1, round(real[0] * half / sum(real)))
    rest = half - t
    return [t, rest // 2 + rest % 2, rest // 2]


def _config(family: str, size: str, tokenizer: Any) -> Any:
    dims = _dims(family, size)
    text, vision = dict(dims["text"]), dict(dims["vision"])
    real = size in ("7b", "8b")
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    token_ids = dict(
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    # Real sizes keep the real vocabulary size (rows beyond the tiny tokenizer are simply never used).
    vocab_size = (152064 if family == "lychee" else 151936) if real else len(tokenizer)
    head_dim = text["hidden_size"] // text["num_attention_heads"]
    # A larger init than the real 0.02 makes a 2-layer random model's answer depend more on the prompt content.
    init_range = 0.02 if real else 0.1
    if family == "lychee":
        from transformers import Qwen2_5_VLConfig

        text_config = dict(
            **text,
            vocab_size=vocab_size,
            max_position_embeddings=128000,
            rms_norm_eps=1e-6,
            rope_parameters={
                "rope_type": "default",
                "rope_theta": 1000000.0,
                "mrope_section": _mrope_section(head_dim, [16, 24, 24]),
            },
            bos_token_id=ids["<|endoftext|>"],
            eos_token_id=ids["<|im_end|>"],
            pad_token_id=ids["<|endoftext|>"],
            tie_word_embeddings=False,
            initializer_range=init_range,
        )
        vision_config = dict(
            **vision,
            initializer_range=init_range,
            out_hidden_size=text["hidden_size"],
            patch_size=14,
            spatial_merge_size=2,
            temporal_patch_size=2,
            window_size=112,
            fullatt_block_indexes=[7, 15, 23, 31] if real else [vision["depth"] - 1],
            tokens_per_second=2,
        )
        return Qwen2_5_VLConfig(
            text_config=text_config, vision_config=vision_config, tie_word_embeddings=False, **token_ids
        )
    from transformers import Qwen3VLConfig

    head_dim = 128 if real else head_dim
    text_config = dict(
        **text,
        head_dim=head_dim,
        vocab_size=vocab_size,
        max_position_embeddings=262144,
        rms_norm_eps=1e-6,
        rope_parameters={
            "rope_type": "default",
            "rope_theta": 5000000.0,
            "mrope_section": _mrope_section(head_dim, [24, 20, 20]),
            "mrope_interleaved": True,
        },
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"],
        tie_word_embeddings=False,
        initializer_range=init_range,
    )
    vision_config = dict(
        **vision,
        initializer_range=init_range,
        out_hidden_size=text["hidden_size"],
        patch_size=16,
        spatial_merge_size=2,
        temporal_patch_size=2,
        num_position_embeddings=2304 if real else 64,
        deepstack_visual_indexes=[8, 16, 24] if real else [0],
    )
    return Qwen3VLConfig(text_config=text_config, vision_config=vision_config, tie_word_embeddings=False, **token_ids)


def _processor(family: str, tokenizer: Any) -> Any:
    if family == "lychee":
        from transformers import Qwen2_5_VLProcessor, Qwen2VLImageProcessor, Qwen2VLVideoProcessor

        clip_mean = [0.48145466, 0.4578275, 0.40821073]
        clip_std = [0.26862954, 0.26130258, 0.27577711]
        image_processor = Qwen2VLImageProcessor(
            min_pixels=3136,
            max_pixels=12845056,
            patch_size=14,
            temporal_patch_size=2,
            merge_size=2,
            image_mean=clip_mean,
            image_std=clip_std,
        )
        video_processor = Qwen2VLVideoProcessor(
            patch_size=14, temporal_patch_size=2, merge_size=2, image_mean=clip_mean, image_std=clip_std
        )
        return Qwen2_5_VLProcessor(
            image_processor=image_processor,
            tokenizer=tokenizer,
            video_processor=video_processor,
            chat_template=QWEN2_5_VL_CHAT_TEMPLATE,
        )
    from transformers import Qwen2VLImageProcessor, Qwen3VLProcessor, Qwen3VLVideoProcessor

    image_processor = Qwen2VLImageProcessor(
        size={"shortest_edge": 65536, "longest_edge": 16777216},
        patch_size=16,
        temporal_patch_size=2,
        merge_size=2,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )
    video_processor = Qwen3VLVideoProcessor(patch_size=16, temporal_patch_size=2, merge_size=2)
    return Qwen3VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=QWEN3_VL_CHAT_TEMPLATE,
    )


_CALIBRATION_PAIRS = (
    ("red running shoes", "Nike red running shoe, lightweight and breathable."),
    ("red running shoes", "blue ceramic teapot with a bamboo handle"),
    ("how to bake bread at home", "A simple recipe: flour, water, salt and yeast."),
    ("how to bake bread at home", "The weather today is sunny with a light breeze."),
    ("What is the capital of France?", "Paris is the capital and largest city of France."),
    ("What is the capital of France?", "green apple, yellow banana, orange juice"),
    ("红色 跑鞋", "我们 喜欢 学习 中文"),
    ("a picture of a cat", "The quick brown fox jumps over the lazy dog."),
)


def _spread_answer_rows(model: Any, processor: Any, family: str, seed: int) -> None:
    """Re-draw the ``yes``/``no`` rows of the LM head so that log-odds are centred near 0 with a spread of ~2.

    A random model's last hidden state is dominated by a component shared by all prompts (the answer position is
    always the same template token), which pins every random log-odds near one value. The difference
    ``w_yes - w_no`` is therefore drawn at random, stripped of that shared component (the mean last hidden state
    over a few calibration prompts) and scaled so that the calibration log-odds have a standard deviation of 2.
    """
    import torch

    from lychee.items import Item
    from lychee.prompt import build_messages, family_spec

    tok = processor.tokenizer
    yes_id, no_id = tok.convert_tokens_to_ids("yes"), tok.convert_tokens_to_ids("no")
    weight = model.lm_head.weight
    instruction = family_spec(family).default_instruction
    hidden = []
    with torch.no_grad():
        for query, document in _CALIBRATION_PAIRS:
            messages = build_messages(family, instruction, Item(query), Item(document))
            text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            ids = torch.tensor([tok(text)["input_ids"]], device=weight.device)
            out = model.model(input_ids=ids, use_cache=False)
            hidden.append(out.last_hidden_state[0, -1].float().cpu())
    h = torch.stack(hidden)  # (P, D)
    centred = h - h.mean(0)
    gen = torch.Generator(device="cpu").manual_seed(seed + 1)
    r = torch.randn(h.shape[1], generator=gen)
    mean = h.mean(0)
    delta = r - (r @ mean) / (mean @ mean) * mean  # no shared offset: log-odds of the mean hidden state is 0
    spread = (centred @ delta).std()
    delta = delta * (2.0 / float(spread)) if float(spread) > 0 else delta
    base = torch.randn(h.shape[1], generator=gen) / math.sqrt(h.shape[1])
    with torch.no_grad():
        weight[yes_id] = (base + delta / 2).to(weight.dtype).to(weight.device)
        weight[no_id] = (base - delta / 2).to(weight.dtype).to(weight.device)


def build_synthetic_checkpoint(
    path: str | Path,
    *,
    family: str = "lychee",
    size: str = "tiny",
    seed: int = 0,
    device: str | None = None,
    dtype: Any = None,
) -> Path:
    """Write a randomly initialised, loadable checkpoint of ``family`` into the folder ``path``.

    Args:
        path: the output folder (created; existing checkpoint files in it are overwritten).
        family: ``"lychee"`` (Qwen2.5-VL architecture) or ``"qwen3-vl-reranker"`` (Qwen3-VL).
        size: ``"tiny"`` (tests), ``"cpu"`` (CPU benchmark) or ``"7b"`` / ``"8b"`` (real dimensions; GPU).
        seed: seeds the weight initialisation (the tokenizer is deterministic).
        device: where to build the weights; default ``"cpu"`` for tiny/cpu. The real size needs an explicit
            device (``"cuda"``) so that 16 GB are not allocated on the CPU by accident.
        dtype: weight dtype; default float32 for tiny/cpu and bfloat16 for the real size.

    Returns:
        ``Path(path)``, loadable with ``lychee.load_scorer(path)``.

    Raises:
        ValueError: unknown family or size, or the real size without a device.

    Example:
        >>> folder = build_synthetic_checkpoint("/tmp/tiny-lychee", family="lychee")
        >>> scorer = lychee.load_scorer(str(folder))
    """
    import torch

    if family not in FAMILIES:
        raise ValueError(f"family must be one of {list(FAMILIES)}, got {family!r}.")
    if size not in SIZES:
        raise ValueError(f"size must be one of {list(SIZES)}, got {size!r}.")
    real = size in ("7b", "8b")
    if real and device is None:
        raise ValueError(
            f"size={size!r} builds the real {'Qwen2.5-VL-7B' if family == 'lychee' else 'Qwen3-VL-8B'} dimensions "
            "(about 16 GB in bfloat16); pass device='cuda' (or device='cpu' if you really mean it)."
        )
    if isinstance(dtype, str):
        names = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
        if dtype not in names:
            raise ValueError(f"dtype must be one of {sorted(names)} or a torch dtype, got {dtype!r}.")
        dtype = names[dtype]
    dtype = dtype or (torch.bfloat16 if real else torch.float32)
    device = device or "cpu"

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = _train_tokenizer()
    config = _config(family, size, tokenizer)
    if family == "lychee":
        from transformers import Qwen2_5_VLForConditionalGeneration as model_cls
    else:
        from transformers import Qwen3VLForConditionalGeneration as model_cls

    torch.manual_seed(seed)
    # Built directly on `device` in `dtype`: the real size never passes through CPU memory in float32.
    with torch.device(device):
        model = model_cls._from_config(config, dtype=dtype)
    model.eval()
    processor = _processor(family, tokenizer)
    _spread_answer_rows(model, processor, family, seed)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    logger.info("synthetic %s checkpoint (%s) written to %s", family, size, out)
    return out


__all__ = ["FAMILIES", "QWEN2_5_VL_CHAT_TEMPLATE", "QWEN3_VL_CHAT_TEMPLATE", "SIZES", "build_synthetic_checkpoint"]

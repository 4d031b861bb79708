"""The reference prompt layouts of Lychee-rerank-mm and Qwen3-VL-Reranker, byte for byte.

Both rerankers read one chat: a fixed system sentence, then one user turn whose content parts are, in order::

    text  "<Instruct>: " + instruction
    text  "<Query>:"
    video query clip             (if any)
    image query image            (if any)
    text  query text             (if any)
    text  "\\n<Document>:"
    video document clip          (if any)
    image document image         (if any)
    text  document text          (if any)

rendered with the checkpoint's own chat template and ``add_generation_prompt=True``; the answer position is the last
token of the rendered prompt, where the model's next-token logits for ``yes`` and ``no`` give the score.

The families differ only in details, collected in :class:`FamilySpec`:

* **Lychee** (Qwen2.5-VL, ``vec-ai/lychee-rerank-mm``): pixel bounds ``4*28*28 .. 1280*28*28``, score
  ``softmax([z_no, z_yes])[1]``; an empty side contributes no part.
* **Qwen3-VL-Reranker** (Qwen3-VL): pixel bounds ``4*32*32 .. 1800*32*32``, max length 10240, score
  ``sigmoid(z_yes - z_no)`` (the same number); a side with neither text nor image becomes the text part ``NULL``, as
  in the public reference ``Qwen3VLReranker.format_mm_content``.

Images are given to the template as ``{"type": "image", "image": <PIL image>, "min_pixels": ..., "max_pixels": ...}``
so that ``qwen_vl_utils.process_vision_info`` resizes them within the family's bounds. A clip is the part
``{"type": "video", "video": <lychee.video.Video>}`` ahead of the side's image, in the order of the public
Qwen3-VL-Reranker's ``format_mm_content`` (videos, images, texts); the template renders it as one
``<|vision_start|><|video_pad|><|vision_end|>``, and its frames, sampling and timing travel with the ``Video`` (see
:mod:`lychee.video` and :mod:`lychee.scorers.qwen_vl.vision`). Lychee-rerank-mm publishes no video recipe; its clips
take the same layout and qwen-vl-utils' sampling with its own patch size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lychee.items import Item

SYSTEM_PROMPT = (
    "Judge whether the Document meets the requirements based on the Query and the Instruct provided. "
    'Note that the answer can only be "yes" or "no".'
)
INSTRUCT_PREFIX = "<Instruct>: "
QUERY_PREFIX = "<Query>:"
DOCUMENT_PREFIX = "\n<Document>:"
NULL_TEXT = "NULL"

LYCHEE = "lychee"
QWEN3_VL_RERANKER = "qwen3-vl-reranker"

LYCHEE_DEFAULT_INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query."
QWEN3_DEFAULT_INSTRUCTION = "Given a search query, retrieve relevant candidates that answer the query."


@dataclass(frozen=True)
class FamilySpec:
    """Everything that differs between the two reranker families.

    Attributes:
        name: ``"lychee"`` or ``"qwen3-vl-reranker"``.
        model_type: the checkpoint config's ``model_type``.
        default_instruction: used when the caller gives no instruction.
        min_pixels / max_pixels: image area bounds passed to the processor and to ``process_vision_info``.
        image_patch_size: the vision patch size (``process_vision_info(image_patch_size=...)``).
        max_length: default max tokens per pair (prompt, images and answer position included).
        null_for_empty: an empty side becomes the text part ``"NULL"`` (Qwen3-VL-Reranker) rather than nothing.
        score_formula: how P(yes) is computed from the answer-position logits, for display.
        frames_total_pixels: the pixel budget of a clip given as a list of frames, over all its frames
            (Qwen3-VL-Reranker's ``MAX_TOTAL_PIXELS = 10 * 768 * 32 * 32``; the same token budget for Lychee). A
            video file is resized with qwen-vl-utils' own defaults, as Qwen3-VL-Reranker passes it none.
    """

    name: str
    model_type: str
    default_instruction: str
    min_pixels: int
    max_pixels: int
    image_patch_size: int
    max_length: int
    null_for_empty: bool
    score_formula: str
    frames_total_pixels: int


LYCHEE_SPEC = FamilySpec(
    name=LYCHEE,
    model_type="qwen2_5_vl",
    default_instruction=LYCHEE_DEFAULT_INSTRUCTION,
    min_pixels=4 * 28 * 28,
    max_pixels=1280 * 28 * 28,
    image_patch_size=14,
    # Lychee publishes no limit. 8192 covers the largest image the pixel bounds allow (1280 tokens) plus ~6,900 text
    # tokens, and keeps one pair's attention memory bounded on a single GPU.
    max_length=8192,
    null_for_empty=False,
    score_formula="softmax([z_no, z_yes])[1] at the last position (= sigmoid(z_yes - z_no))",
    frames_total_pixels=10 * 768 * 28 * 28,
)

QWEN3_SPEC = FamilySpec(
    name=QWEN3_VL_RERANKER,
    model_type="qwen3_vl",
    default_instruction=QWEN3_DEFAULT_INSTRUCTION,
    min_pixels=4 * 32 * 32,
    max_pixels=1800 * 32 * 32,
    image_patch_size=16,
    max_length=10240,
    null_for_empty=True,
    score_formula="sigmoid(z_yes - z_no) at the last position",
    frames_total_pixels=10 * 768 * 32 * 32,
)

FAMILIES: dict[str, FamilySpec] = {LYCHEE: LYCHEE_SPEC, QWEN3_VL_RERANKER: QWEN3_SPEC}


def family_spec(family: str) -> FamilySpec:
    """The :class:`FamilySpec` of ``family``.

    Raises:
        ValueError: ``family`` is not a known reranker family.
    """
    try:
        return FAMILIES[family]
    except (KeyError, TypeError):
        raise ValueError(
            f"family must be one of {sorted(FAMILIES)}, got {family!r}. Lychee-rerank-mm checkpoints are "
            f"'{LYCHEE}', Qwen3-VL-Reranker checkpoints are '{QWEN3_VL_RERANKER}'."
        ) from None


def _side(spec: FamilySpec, prefix: str, item: Item) -> list[dict[str, Any]]:
    """The content parts of one side: its prefix, then its clip, its image and its text (``NULL`` when empty, Qwen3
    only)."""
    parts: list[dict[str, Any]] = [{"type": "text", "text": prefix}]
    if item.has_video:
        parts.append({"type": "video", "video": item.video})
    if item.has_image:
        image = {"type": "image", "image": item.image, "min_pixels": spec.min_pixels, "max_pixels": spec.max_pixels}
        parts.append(image)
    if item.has_text:
        parts.append({"type": "text", "text": item.text})
    if spec.null_for_empty and item.is_empty:
        parts.append({"type": "text", "text": NULL_TEXT})
    return parts


def build_messages(family: str, instruction: str, query: Item, document: Item) -> list[dict[str, Any]]:
    """The chat messages of one (query, document) pair, in the family's reference layout.

    Args:
        family: ``"lychee"`` or ``"qwen3-vl-reranker"``.
        instruction: the instruction text (already resolved; not empty).
        query: the query item; its image, if any, should already be padded to a sane aspect ratio.
        document: the document item.

    Returns:
        ``[{"role": "system", ...}, {"role": "user", "content": [...]}]`` for ``processor.apply_chat_template``
        and ``qwen_vl_utils.process_vision_info``.

    Raises:
        ValueError: unknown family or empty instruction.
        TypeError: ``query`` / ``document`` are not :class:`~lychee.Item`.

    Example:
        >>> build_messages("lychee", "Find shoes.", Item("red shoes"), Item("Nike red running shoe"))[1]["content"][:2]
        [{'type': 'text', 'text': '<Instruct>: Find shoes.'}, {'type': 'text', 'text': '<Query>:'}]
    """
    spec = family_spec(family)
    if not isinstance(instruction, str) or not instruction.strip():
        raise ValueError(f"instruction must be a non-empty string, got {instruction!r}.")
    for what, item in (("query", query), ("document", document)):
        if not isinstance(item, Item):
            raise TypeError(f"{what}: got {type(item).__name__}; expected a lychee.Item (use Item.coerce(...)).")
    content: list[dict[str, Any]] = [{"type": "text", "text": INSTRUCT_PREFIX + instruction}]
    content += _side(spec, QUERY_PREFIX, query)
    content += _side(spec, DOCUMENT_PREFIX, document)
    return [
        {"role": "system", "content": [{"type": "text", "text": SYSTEM_PROMPT}]},
        {"role": "user", "content": content},
    ]


__all__ = [
    "DOCUMENT_PREFIX",
    "FAMILIES",
    "FamilySpec",
    "INSTRUCT_PREFIX",
    "LYCHEE",
    "LYCHEE_DEFAULT_INSTRUCTION",
    "LYCHEE_SPEC",
    "NULL_TEXT",
    "QUERY_PREFIX",
    "QWEN3_DEFAULT_INSTRUCTION",
    "QWEN3_SPEC",
    "QWEN3_VL_RERANKER",
    "SYSTEM_PROMPT",
    "build_messages",
    "family_spec",
]

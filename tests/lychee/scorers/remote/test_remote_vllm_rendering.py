"""CONTRACT TESTS of what the ``rerank`` protocol sends to vLLM's pooling runner (Qwen3-VL-Reranker), on CPU.

vLLM does not run here, so its score-path rendering is emulated from its source
(``vllm/entrypoints/chat_utils.py``: an item's text parts are joined with newlines and each image placeholder missing
from the text is put in front on a line of its own; ``vllm/entrypoints/pooling/score/utils.py``: the two items go to
the score template as ``{"role": "query"}`` / ``{"role": "document"}`` messages). The checks: our score template
(:mod:`lychee.scorers.remote.templates`) plus our content parts render the local recipe's prompt byte for byte. The
``gpu`` test runs the real engine.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from transformers.utils.chat_template_utils import _compile_jinja_template

from lychee.items import Item
from lychee.prompt import QWEN3_DEFAULT_INSTRUCTION, build_messages
from lychee.scorers.remote.rerank import RerankProtocol
from lychee.scorers.remote.templates import main, qwen3_vl_reranker_template
from lychee.scorers.remote.wire import VISION_PLACEHOLDER, content_parts

IMG = Image.fromarray(np.random.default_rng(3).integers(0, 256, (40, 64, 3), dtype=np.uint8))


def vllm_item_prompt(value) -> tuple[str, int]:
    """vLLM's string-format rendering of one score item: (prompt text, images)."""
    if isinstance(value, str):
        return value, 0
    texts = [p["text"] for p in value["content"] if p["type"] == "text"]
    images = sum(1 for p in value["content"] if p["type"] == "image_url")
    text = "\n".join(texts)
    missing = images - text.count(VISION_PLACEHOLDER)
    return "\n".join([VISION_PLACEHOLDER] * missing + [text]), images


@pytest.fixture(scope="module")
def processor(qwen3_checkpoint):
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(str(qwen3_checkpoint))


CASES = {
    "T->T": (Item("red running shoes"), Item("Nike red running shoe")),
    "T->empty": (Item("red running shoes"), Item("")),
    "I->T": (Item(image=IMG), Item("a red shoe")),
    "T->I": (Item("teapot"), Item(image=IMG)),
    "IT->IT": (Item("shoes like this", image=IMG), Item("Nike shoe", image=IMG)),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("instruction", [None, "Find products a shopper would buy."])
def test_served_prompt_is_the_recipe(processor, case, instruction):
    query, document = CASES[case]
    wire = RerankProtocol(client=None, family="qwen3-vl-reranker")
    body = wire.body(query, [document], instruction or QWEN3_DEFAULT_INSTRUCTION, url="http://x", cache={})
    q_text, q_images = vllm_item_prompt(body["query"])
    d_text, d_images = vllm_item_prompt(body["documents"][0])
    template = _compile_jinja_template(qwen3_vl_reranker_template(instruction))
    served = template.render(messages=[{"role": "query", "content": q_text}, {"role": "document", "content": d_text}])
    local = processor.apply_chat_template(
        build_messages("qwen3-vl-reranker", instruction or QWEN3_DEFAULT_INSTRUCTION, query, document),
        tokenize=False,
        add_generation_prompt=True,
    )
    assert served == local
    assert (q_images, d_images) == (int(query.has_image), int(document.has_image))


def test_without_the_placeholder_vllm_would_add_a_newline():
    # The reason content_parts writes the placeholder itself: vLLM's own placement differs from the recipe.
    plain = {"content": [{"type": "image_url", "image_url": {"url": "data:,"}}, {"type": "text", "text": "Nike"}]}
    assert vllm_item_prompt(plain)[0] == VISION_PLACEHOLDER + "\nNike"
    ours = {"content": content_parts(Item("Nike", image=IMG), family="qwen3-vl-reranker", pixels=None, cache={})}
    assert vllm_item_prompt(ours)[0] == VISION_PLACEHOLDER + "Nike"


def test_unknown_family_gets_plain_parts_and_no_processor_bounds():
    body = RerankProtocol(client=None, family=None).body(Item("q"), [Item("d", image=IMG)], "i", url="u", cache={})
    parts = body["documents"][0]["content"]
    assert [p["type"] for p in parts] == ["image_url", "text"] and parts[1]["text"] == "d"
    assert "mm_processor_kwargs" not in body


def test_qwen_family_sends_the_recipe_pixel_bounds_with_images():
    wire = RerankProtocol(client=None, family="qwen3-vl-reranker")
    with_image = wire.body(Item("q"), [Item(image=IMG)], "i", url="u", cache={})
    assert with_image["mm_processor_kwargs"] == {"size": {"shortest_edge": 4 * 32 * 32, "longest_edge": 1800 * 32 * 32}}
    assert "mm_processor_kwargs" not in wire.body(Item("q"), [Item("d")], "i", url="u", cache={})


def test_template_cli(capsys):
    assert main(["--instruction", "Find shoes."]) == 0
    assert '"Find shoes."' in capsys.readouterr().out
    assert main(["--instruction", "  "]) == 2
    assert "instruction is blank" in capsys.readouterr().err

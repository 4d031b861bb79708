"""The score template that makes vLLM's pooling runner render the Qwen3-VL-Reranker recipe (``lychee.prompt``).

vLLM's ``/rerank`` for a ``Qwen3VLForSequenceClassification`` model renders each pair through a chat template that
sees two messages, ``{"role": "query", "content": <text>}`` and ``{"role": "document", "content": <text>}`` (an image
is an ``<|vision_start|><|image_pad|><|vision_end|>`` placeholder inside that text). :func:`qwen3_vl_reranker_template`
writes one from the recipe's own strings, so the served prompt is the local prompt byte for byte::

    python -m lychee.scorers.remote.templates > qwen3_vl_reranker.jinja
    vllm serve /models/Qwen3-VL-Reranker-8B --runner pooling --chat-template qwen3_vl_reranker.jinja \\
        --hf-overrides '{"architectures": ["Qwen3VLForSequenceClassification"], "classifier_from_token": ["no", "yes"], "is_original_qwen3_reranker": true}'

``--instruction "..."`` bakes another instruction into the template (vLLM's rerank request has no instruction field,
so the served instruction is the template's; the client then declares that editing the instruction changes nothing).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from lychee.prompt import DOCUMENT_PREFIX, INSTRUCT_PREFIX, QUERY_PREFIX, QWEN3_DEFAULT_INSTRUCTION, SYSTEM_PROMPT

GENERATION_PROMPT = "<|im_start|>assistant\n"


def _literal(text: str) -> str:
    """A Jinja string literal of ``text`` (JSON escapes are valid Jinja escapes)."""
    return json.dumps(text)


def qwen3_vl_reranker_template(instruction: str | None = None) -> str:
    """A vLLM score template rendering the Qwen3-VL-Reranker recipe (see module docstring).

    Args:
        instruction: baked in as the default; a ``chat_template_kwargs`` / ``instruction`` variable still wins.

    Raises:
        ValueError: a blank instruction.
    """
    if instruction is not None and not instruction.strip():
        raise ValueError("instruction is blank; give a sentence saying what relevance means, or leave it out.")
    default = instruction or QWEN3_DEFAULT_INSTRUCTION
    head = f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n{INSTRUCT_PREFIX}"
    return (
        '{%- set query = messages | selectattr("role", "eq", "query") | map(attribute="content") | first -%}\n'
        '{%- set document = messages | selectattr("role", "eq", "document") | map(attribute="content") | first -%}\n'
        f"{{{{- {_literal(head)} + (instruction | default({_literal(default)}, true)) + {_literal(QUERY_PREFIX)} + query"
        f" + {_literal(DOCUMENT_PREFIX)} + document + {_literal('<|im_end|>' + chr(10) + GENERATION_PROMPT)} -}}}}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lychee.scorers.remote.templates",
        description="Print the vLLM score template of the Qwen3-VL-Reranker recipe (for vllm serve --chat-template).",
    )
    parser.add_argument(
        "--instruction", default=None, help=f"instruction to bake in (default: {QWEN3_DEFAULT_INSTRUCTION!r})"
    )
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(qwen3_vl_reranker_template(args.instruction) + "\n")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["GENERATION_PROMPT", "main", "qwen3_vl_reranker_template"]

"""Per-position attributions of one pair's log-odds on the VLM: gradient x input, and Integrated Gradients (Captum's
``LayerIntegratedGradients``).

Both attribute to the decoder's input embeddings: the text token embeddings with the vision features of each image
and clip merged in — what the first decoder layer reads. :mod:`lychee.salience.gradient` sums the positions into
words, image cells and temporal patches.

- **gradient x input**: one forward and one backward pass; position ``t`` gets ``sum_d grad(log_odds)[t, d] *
  x[t, d]``.
- **integrated gradients**: ``LayerIntegratedGradients`` on the first decoder layer's input, from a baseline where
  the query's and the document's text tokens and every image / clip position hold the padding token's embedding
  (the template and the instruction keep theirs), in ``steps`` Gauss-Legendre steps. Completeness says the attributions add up
  to ``log_odds(x) - log_odds(baseline)``; the remainder is the *convergence delta* (smaller with more steps).
  Qwen3-VL also adds its vision features inside the first decoder layers ("deepstack"); those are held at their
  values along the path, so they are part of both ends, not of the attributions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lychee.explanation import ImageRun, TokenAttributions, VideoRun
from lychee.items import Item

#: Integration steps by default (Captum's default is 50; 32 Gauss-Legendre steps are plenty on the log-odds).
DEFAULT_IG_STEPS = 32


def check_steps(steps: object) -> int:
    """``steps`` as an int of at least 2, or a ValueError naming it."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps: got {steps!r}; expected an integer of at least 2 (integration steps; default 32).")
    return steps


class _Prepared:
    """One pair's model inputs, its decoder-input embeddings and everything the language model is called with."""

    def __init__(self, scorer: Any, query: Item, document: Item, instruction: str, *, grad: bool) -> None:
        import torch

        self.enc = scorer.encoder.encode_pairs([(query, document)], instruction)[0]
        self.inputs = scorer.encoder.batch_inputs([self.enc])
        self.model_inputs = scorer.model_inputs(self.inputs)
        self.input_ids = self.model_inputs["input_ids"][0].tolist()
        captured: dict[str, Any] = {}

        def capture(_module: Any, args: Any, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
            embeds = kwargs["inputs_embeds"].detach()
            if grad:
                embeds = embeds.requires_grad_(True)
            kwargs["inputs_embeds"] = embeds
            captured.update(kwargs)
            return args, kwargs

        language_model = scorer.model.model.language_model
        handle = language_model.register_forward_pre_hook(capture, with_kwargs=True)
        try:
            with torch.enable_grad() if grad else torch.no_grad():
                out = scorer.model(**self.model_inputs, use_cache=False, logits_to_keep=1)
                self.logits = out.logits[0, -1, [scorer.no_token_id, scorer.yes_token_id]].float()
        finally:
            handle.remove()
        self.embeds = captured.pop("inputs_embeds")
        self.lm_kwargs = captured  # position ids, attention mask, Qwen3-VL's deepstack features...


def _batched(kwargs: dict[str, Any], n: int) -> dict[str, Any]:
    """The language model's keyword arguments for ``n`` copies of one pair."""
    out = {}
    for key, value in kwargs.items():
        if key == "position_ids" and value is not None:  # (3 or 4, 1, L): the batch is the second dimension
            out[key] = value.expand(-1, n, -1)
        elif key in ("attention_mask", "visual_pos_masks") and value is not None and hasattr(value, "expand"):
            out[key] = value.expand(n, -1)
        elif key == "deepstack_visual_embeds" and value is not None:  # per layer (visual tokens, D), batch-flattened
            out[key] = [v.repeat(n, 1) for v in value]
        else:
            out[key] = value
    return out


def _log_odds_of_embeds(scorer: Any, prepared: _Prepared) -> Any:
    """``f(embeds) -> (B,)`` log-odds of the pair with these decoder-input embeddings."""

    def forward(embeds: Any) -> Any:
        kwargs = _batched(prepared.lm_kwargs, embeds.shape[0])
        hidden = scorer.model.model.language_model(inputs_embeds=embeds, **kwargs).last_hidden_state[:, -1]
        logits = scorer.model.lm_head(hidden)[:, [scorer.no_token_id, scorer.yes_token_id]].float()
        return logits[:, 1] - logits[:, 0]

    return forward


def _runs(scorer: Any, prepared: _Prepared) -> tuple[dict[str, ImageRun], dict[str, VideoRun]]:
    """Where each image's and each clip's tokens sit among the input positions (query first, as in the prompt)."""
    enc, inputs, input_ids = prepared.enc, prepared.inputs, prepared.input_ids
    image_pad = scorer.processor.image_token_id
    merge = scorer.processor.image_processor.merge_size
    grids = inputs["image_grid_thw"].tolist() if "image_grid_thw" in inputs else []
    positions = [i for i, t in enumerate(input_ids) if t == image_pad]
    sides = [side for side, item in (("query", enc.query), ("document", enc.document)) if item.has_image]
    images, offset = {}, 0
    for side, (t, gh, gw), n in zip(sides, grids, enc.image_tokens):
        run = tuple(positions[offset : offset + n])
        offset += n
        images[side] = ImageRun(positions=run, grid=(int(t), gh // merge, gw // merge), size=enc.image_sizes[side])
    video_pad, video_merge = scorer.processor.video_token_id, scorer.processor.video_processor.merge_size
    video_positions = [i for i, t in enumerate(input_ids) if t == video_pad]
    videos, offset = {}, 0
    for side, clip in enc.videos.items():
        run = tuple(video_positions[offset : offset + clip.n_pads])
        offset += clip.n_pads
        t, gh, gw = clip.grid
        videos[side] = VideoRun(
            positions=run,
            grid=(t, gh // video_merge, gw // video_merge),
            units=clip.patch_frames,
            timestamps=clip.sampled.timestamps,
            frames=clip.sampled.thumbnails(),
        )
    return images, videos


def _attributions(
    scorer: Any, prepared: _Prepared, values: np.ndarray, instruction: str, **extra: Any
) -> TokenAttributions:
    pred = scorer.to_predictions(prepared.logits.detach()[None, :], [prepared.enc])[0]
    images, videos = _runs(scorer, prepared)
    return TokenAttributions(
        score=pred.score,
        log_odds=pred.log_odds,
        attributions=np.asarray(values, dtype=np.float64),
        offsets=tuple(scorer.encoder.token_offsets(prepared.enc, prepared.input_ids)),
        prompt=prepared.enc.text,
        text_spans=scorer.encoder.text_spans(prepared.enc, instruction),
        images=images,
        instruction=instruction,
        videos=videos,
        **extra,
    )


def gradient_x_input(scorer: Any, query: Item, document: Item, instruction: str) -> TokenAttributions:
    """Gradient x input on the decoder-input embeddings for one pair: one forward and one backward pass."""
    import torch

    with scorer.lock:
        prepared = _Prepared(scorer, query, document, instruction, grad=True)
        with torch.enable_grad():
            (prepared.logits[1] - prepared.logits[0]).backward()
    embeds = prepared.embeds
    values = (embeds.grad.float() * embeds.detach().float()).sum(-1)[0].cpu().numpy()  # (L,)
    return _attributions(scorer, prepared, values, instruction)


def _reference_embedding(scorer: Any, device: Any, dtype: Any) -> Any:
    """The embedding every content position takes in the baseline: the padding token's (Captum's usual reference
    token), or, when that row is all zeros (an ``nn.Embedding`` padding row never trained, as in a randomly
    initialised checkpoint), the end-of-text token's, else the space token's: a zero vector would start the path at
    RMSNorm's singularity, where the integrand spikes and no step count converges."""
    import torch

    tokenizer = scorer.processor.tokenizer
    candidates = [
        tokenizer.pad_token_id,
        tokenizer.eos_token_id,
        *tokenizer(" ", add_special_tokens=False)["input_ids"],
    ]
    table = scorer.model.model.language_model.embed_tokens
    vector = None
    with torch.no_grad():
        for token_id in [c for c in candidates if c is not None]:
            vector = table(torch.tensor([token_id], device=device))[0]
            if float(vector.float().abs().sum()) > 0:
                break
    return vector.to(dtype)


def _baseline(prepared: _Prepared, spans: dict[str, tuple[int, int]], offsets: list[tuple[int, int]], scorer: Any):
    """The embeddings with every query / document text token and every image / clip position replaced by
    :func:`_reference_embedding`; the template and the instruction keep theirs."""
    content = set()
    for start, end in spans.values():
        content.update(t for t, (s, e) in enumerate(offsets) if e > s and s < end and e > start)
    pads = {scorer.processor.image_token_id, scorer.processor.video_token_id}
    content.update(t for t, token in enumerate(prepared.input_ids) if token in pads)
    baseline = prepared.embeds.detach().clone()
    if content:
        baseline[0, sorted(content)] = _reference_embedding(scorer, baseline.device, baseline.dtype)
    return baseline


def integrated_gradients(
    scorer: Any, query: Item, document: Item, instruction: str, *, steps: int = DEFAULT_IG_STEPS
) -> TokenAttributions:
    """Integrated Gradients on the decoder-input embeddings for one pair (see the module docstring), ``steps``
    points in batches of ``scorer.batch_size``; the convergence delta is reported."""
    import torch
    from captum.attr import LayerIntegratedGradients

    steps = check_steps(steps)
    with scorer.lock:
        prepared = _Prepared(scorer, query, document, instruction, grad=False)
        spans = scorer.encoder.text_spans(prepared.enc, instruction)
        offsets = scorer.encoder.token_offsets(prepared.enc, prepared.input_ids)
        baseline = _baseline(prepared, spans, offsets, scorer)
        forward = _log_odds_of_embeds(scorer, prepared)
        first_layer = scorer.model.model.language_model.layers[0]
        lig = LayerIntegratedGradients(forward, first_layer)
        with torch.enable_grad():
            attributions, delta = lig.attribute(
                prepared.embeds,
                baselines=baseline,
                n_steps=steps,
                internal_batch_size=max(1, scorer.batch_size),
                attribute_to_layer_input=True,
                return_convergence_delta=True,
            )
    values = attributions.detach().float().sum(-1)[0].cpu().numpy()  # (L,)
    return _attributions(
        scorer,
        prepared,
        values,
        instruction,
        steps=steps,
        convergence_delta=float(delta.detach().float().reshape(-1)[0]),
        n_passes=steps + 2,
    )


__all__ = ["DEFAULT_IG_STEPS", "check_steps", "gradient_x_input", "integrated_gradients"]

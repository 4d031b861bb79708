"""The units of one pair, and the pair with any set of them taken away: what every perturbation method scores.

A :class:`PairMasker` lists a pair's units — each word span of the query and document text (:func:`segment`), each
cell of a grid over each image, each sampled frame of each clip — and builds the pair *without* any subset of them:
words removed as :func:`remove_span` removes one, cells and frames greyed. Occlusion removes one unit at a time,
Shapley value sampling removes the complement of each coalition, the deletion curve removes the top k; all three go
through :meth:`PairMasker.pair_without`, so "removed" means the same thing everywhere.

A side left unchanged is the very same :class:`~lychee.items.Item` object, so :class:`~lychee.salience.games.PairScores`
can tell that two variants are one pair and score it once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from lychee.explanation import ImageSalience, TokenWeight, VideoSalience
from lychee.items import Item
from lychee.salience.units import grey_cells, grey_frames_variant, grid_shape, remove_spans, segment
from lychee.video import SampledClip

#: What can be taken away, one kind of unit per part: words, image cells, clip frames.
PARTS = ("query_text", "document_text", "query_image", "document_image", "query_video", "document_video")


@dataclass(frozen=True)
class Unit:
    """One unit of a pair: a word span (``start``/``end`` in the side's text), an image cell (``index = r * cols +
    c``) or a sampled frame (``index``)."""

    part: str
    index: int
    start: int = 0
    end: int = 0


def with_sampled_clips(query: Item, document: Item, *, reads_video: bool) -> tuple[Item, Item]:
    """The pair with each clip decoded once into the frames the model sees (a model that reads no video keeps its
    clips: it refuses them when scored). Maskers built on the result decode nothing again."""
    out = []
    for side, item in (("query", query), ("document", document)):
        if item.has_video and reads_video and item.video.sampled is None:
            clip = item.video.sample(what=f"{side} video")
            item = item.with_video(item.video.with_frames(clip, clip.frames))
        out.append(item)
    return out[0], out[1]


def check_parts(parts: Collection[str]) -> None:
    """Refuse anything but a collection of :data:`PARTS`."""
    unknown = sorted(set(parts) - set(PARTS)) if not isinstance(parts, str) else [parts]
    if unknown:
        raise ValueError(f"parts: got {parts!r}; expected a collection of {', '.join(PARTS)}.")


class PairMasker:
    """A pair's units (in :data:`PARTS` order, text order within a part) and the pair without any of them.

    Args:
        query, document: the pair (already validated).
        parts: which parts' units to list (default all).
        max_units: at most this many units per text (neighbouring words grouped beyond it); ``None``: no limit.
        image_cells: cells per image grid (see :func:`grid_shape`).
        reads_video: the model reads clips (``capabilities.video``): only then are clips decoded into frames.
        spans: explicit word spans per text part (e.g. ``{"document_text": [(0, 4), ...]}``), instead of
            :func:`segment`'s (the deletion curve reuses the spans an explanation was computed on).
    """

    def __init__(
        self,
        query: Item,
        document: Item,
        *,
        parts: Collection[str] = PARTS,
        max_units: int | None = 64,
        image_cells: int = 16,
        reads_video: bool = False,
        spans: dict[str, Sequence[tuple[int, int]]] | None = None,
    ) -> None:
        check_parts(parts)
        spans = spans or {}
        # Decode each clip once: the pair and every variant then carry its sampled frames (no decoding again). A model
        # that reads no video refuses the clip when scored, as for any call.
        self.clips: dict[str, SampledClip | None] = {"query": None, "document": None}
        sides = {"query": query, "document": document}
        for side, item in sides.items():
            if item.has_video and reads_video:
                clip = item.video.sample(what=f"{side} video")
                sides[side] = item.with_video(item.video.with_frames(clip, clip.frames))
                self.clips[side] = clip if f"{side}_video" in parts else None
        self.query, self.document = sides["query"], sides["document"]
        self.grouped = False
        self.spans: dict[str, list[tuple[int, int]]] = {}
        self.grids: dict[str, tuple[int, int] | None] = {}
        for side, item in (("query", self.query), ("document", self.document)):
            part = f"{side}_text"
            if part in spans:
                self.spans[side] = list(spans[part])
            elif item.has_text and part in parts:
                self.spans[side], grouped = segment(item.text, max_units)
                self.grouped = self.grouped or grouped
            else:
                self.spans[side] = []
            has_grid = item.has_image and f"{side}_image" in parts
            self.grids[side] = grid_shape(item.image, image_cells) if has_grid else None
        self.units: list[Unit] = list(self._list_units())

    def _list_units(self) -> Iterator[Unit]:
        for side in ("query", "document"):
            yield from (Unit(f"{side}_text", i, s, e) for i, (s, e) in enumerate(self.spans[side]))
        for side in ("query", "document"):
            grid = self.grids[side]
            if grid is not None:
                yield from (Unit(f"{side}_image", i) for i in range(grid[0] * grid[1]))
        for side in ("query", "document"):
            clip = self.clips[side]
            if clip is not None:
                yield from (Unit(f"{side}_video", k) for k in range(len(clip.frames)))

    def __len__(self) -> int:
        return len(self.units)

    @property
    def pair(self) -> tuple[Item, Item]:
        """The pair as scored (clips carrying their sampled frames)."""
        return self.query, self.document

    def pair_without(self, removed: Collection[int]) -> tuple[Item, Item]:
        """The pair with the units at positions ``removed`` (of :attr:`units`) taken away; an untouched side is the
        same object as in :attr:`pair`."""
        by_part: dict[str, list[Unit]] = {}
        for i in removed:
            unit = self.units[i]
            by_part.setdefault(unit.part, []).append(unit)
        return self._side("query", by_part), self._side("document", by_part)

    def _side(self, side: str, by_part: dict[str, list[Unit]]) -> Item:
        item = self.query if side == "query" else self.document
        words = by_part.get(f"{side}_text")
        if words:
            item = item.with_text(remove_spans(item.text, [(u.start, u.end) for u in words]))
        cells = by_part.get(f"{side}_image")
        if cells:
            rows, cols = self.grids[side]
            item = item.with_image(grey_cells(item.image, rows, cols, [divmod(u.index, cols) for u in cells]))
        frames = by_part.get(f"{side}_video")
        if frames:
            clip = self.clips[side]
            item = item.with_video(grey_frames_variant(item.video, clip, [u.index for u in frames]))
        return item

    def indices(self, part: str) -> list[int]:
        """Positions (in :attr:`units`) of the units of ``part``, in text order."""
        return [i for i, u in enumerate(self.units) if u.part == part]

    def unit_text(self, i: int) -> str:
        """What unit ``i`` is, for people: the word(s), ``"cell 2,3"`` or ``"frame 4"``."""
        unit = self.units[i]
        side = unit.part.split("_")[0]
        if unit.part.endswith("_text"):
            return (self.query if side == "query" else self.document).text[unit.start : unit.end]
        if unit.part.endswith("_image"):
            r, c = divmod(unit.index, self.grids[side][1])
            return f"cell {r + 1},{c + 1}"
        return f"frame {unit.index + 1}"

    def weights_by_part(self, weights: Sequence[float]) -> dict[str, object]:
        """Per-unit ``weights`` (one per unit, in :attr:`units` order) laid out as an explanation holds them:
        ``{"query_tokens", "document_tokens", "query_image", "document_image", "query_video", "document_video"}``."""
        if len(weights) != len(self.units):
            raise ValueError(f"expected one weight per unit ({len(self.units)}), got {len(weights)}.")
        values = iter(float(w) for w in weights)
        out: dict[str, object] = {}
        for side, item in (("query", self.query), ("document", self.document)):
            out[f"{side}_tokens"] = [TokenWeight(item.text[s:e], s, e, next(values)) for s, e in self.spans[side]]
        for side, item in (("query", self.query), ("document", self.document)):
            grid = self.grids[side]
            if grid is not None:
                cells = np.array([next(values) for _ in range(grid[0] * grid[1])], dtype=np.float64)
                out[f"{side}_image"] = ImageSalience(cells.reshape(grid), grid[0], grid[1], item.image.size)
            else:
                out[f"{side}_image"] = None
        for side in ("query", "document"):
            clip = self.clips[side]
            out[f"{side}_video"] = _frames(values, clip) if clip is not None else None
        return out


def _frames(values: Iterator[float], clip: SampledClip) -> VideoSalience:
    weights = np.array([next(values) for _ in clip.frames], dtype=np.float64)
    units = tuple((k,) for k in range(len(clip.frames)))
    return VideoSalience(weights=weights, units=units, timestamps=clip.timestamps, frames=clip.thumbnails())


__all__ = ["PARTS", "PairMasker", "Unit", "check_parts", "with_sampled_clips"]

"""Labelled query sets as the rest of ``eval`` sees them: the types, the refusal error, and the shipped sample sets.

A :class:`LabelledSet` is what every input format becomes: queries (:class:`LabelledQuery`), each with its labelled
candidates (:class:`Candidate`), and a content hash that keys resumable runs. :mod:`eval.sets.loader` reads the JSONL,
CSV and zip formats into it; a new format plugs in there (or next to it) and produces these same types, so scoring,
reports and outputs need no change.

Several raters: a candidate keeps every rater's grade (``grades``) and an editor's adjudicated grade; its ``label``
is derived from them by the set's aggregation rule (:mod:`eval.sets.grades`, the only module of ``eval`` this one
imports; of the library it imports only :class:`lychee.Item`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

from eval.sets.grades import DEFAULT_AGGREGATE, IMPLICIT_RATER
from lychee.items import Item
from lychee.video import Video

ImageRef: TypeAlias = Path | bytes
"""An image as held by a set: a file path, or the bytes of an image read from a zip archive."""

# Listing every problem of a badly broken file helps nobody; the first ones show what to fix.
MAX_LISTED_ERRORS = 20


class LabelledSetError(ValueError):
    """A labelled set was refused. ``errors`` lists every problem found, each naming the file and line."""

    def __init__(self, errors: list[str], name: str) -> None:
        self.errors = list(errors)
        self.name = name
        shown = self.errors[:MAX_LISTED_ERRORS]
        if len(self.errors) == 1:
            message = self.errors[0]
        else:
            message = f"{name}: {len(self.errors)} problems; nothing was evaluated. Fix them and retry:\n" + "\n".join(
                f"- {e}" for e in shown
            )
            if len(self.errors) > len(shown):
                message += f"\n- ... and {len(self.errors) - len(shown)} more"
        super().__init__(message)


@dataclass(frozen=True)
class Candidate:
    """One labelled candidate document of a query.

    ``judged`` is False for a document a first-stage run retrieved but the qrels never judged (or a title nobody has
    graded yet): it has label 0 (not relevant, trec_eval's convention) and no qrels entry, so ``judged@k`` counts it
    as unjudged. ``source`` is the file ``line`` is in, when that is not the set's own file (a BEIR corpus, a
    documents file). ``grades`` holds ``(rater, grade)`` of every rater (empty for a plain label),
    ``adjudicated`` an editor's final grade; ``label`` is derived from them (:mod:`eval.sets.grades`).
    """

    docid: str
    label: int
    text: str | None = None
    image: ImageRef | None = field(default=None, repr=False)
    image_name: str | None = None
    line: int = 0
    judged: bool = True
    source: str | None = None
    video: Video | None = field(default=None, repr=False)
    video_name: str | None = None
    grades: tuple[tuple[str, int], ...] = ()
    adjudicated: int | None = None
    adjudicated_by: str | None = None

    @property
    def ratings(self) -> dict[str, int]:
        """Rater -> grade: the raters' grades, or the plain label as :data:`~eval.sets.grades.IMPLICIT_RATER`'s;
        empty when unjudged."""
        if self.grades:
            return dict(self.grades)
        return {IMPLICIT_RATER: self.label} if self.judged else {}

    def item(self) -> Item:
        """The candidate as a :class:`lychee.Item` (decodes the image; the clip was checked when the set loaded)."""
        return Item(text=self.text, image=self.image, video=self.video, name=f"document {self.docid}")


@dataclass(frozen=True)
class LabelledQuery:
    """One query with its labelled candidates, in file order.

    Attributes:
        segment: the query's segment (query type, category...) when the set has them; reports group by it.
        unranked_judgments: ``(docid, label)`` of judged documents that are not candidates (a first-stage run did not
            retrieve them in its top k). They count in the ideal DCG and in recall, as trec_eval counts them.
        source: the file ``line`` is in, when that is not the set's own file (a BEIR ``queries.jsonl``).
        judging: ``(rater, {"at", "scores_shown", "seed"})`` per rater who saved grades on the page.
    """

    qid: str
    text: str | None
    candidates: tuple[Candidate, ...]
    image: ImageRef | None = field(default=None, repr=False)
    image_name: str | None = None
    line: int = 0
    segment: str | None = None
    unranked_judgments: tuple[tuple[str, int], ...] = ()
    source: str | None = None
    video: Video | None = field(default=None, repr=False)
    video_name: str | None = None
    judging: tuple[tuple[str, dict], ...] = field(default=(), compare=False)

    def item(self) -> Item:
        """The query as a :class:`lychee.Item` (decodes the image; the clip was checked when the set loaded)."""
        return Item(text=self.text, image=self.image, video=self.video, name=f"query {self.qid}")

    @property
    def has_image(self) -> bool:
        return self.image is not None or any(c.image is not None for c in self.candidates)

    @property
    def has_video(self) -> bool:
        return self.video is not None or any(c.video is not None for c in self.candidates)

    @property
    def n_relevant(self) -> int:
        """Candidates with label >= 1 (trec_eval's default relevance level)."""
        return sum(1 for c in self.candidates if c.label >= 1)

    @property
    def judgments(self) -> dict[str, int]:
        """``{docid: label}`` of every judged document: judged candidates, then unranked judgments."""
        out = {c.docid: c.label for c in self.candidates if c.judged}
        out.update(self.unranked_judgments)
        return out


@dataclass(frozen=True)
class LabelledSet:
    """A validated labelled set.

    Attributes:
        name: the file name used in messages (a path, or an upload's name).
        queries: the queries in file order.
        content_hash: sha256 over the data file's bytes and every image's and clip's bytes (keys resumable runs).
        notes: what the loader skipped or read leniently, for the analyst (e.g. run queries without judgments).
        first_stage: what the candidates' order is when it is not a file's order (a first-stage run and its top k);
            it describes the ``input_order`` baseline.
        aggregate: the rule that made each graded candidate's label (the set header's, or an evaluation's override).
        guidelines: the set's judging guidelines (markdown), from its header.
        extra_judgments: the names of the sets whose judgments were added (:mod:`eval.sets.extra`); reports then show
            ``judged@k`` even once every candidate is judged, so the coverage they brought shows.
    """

    name: str
    queries: tuple[LabelledQuery, ...]
    content_hash: str
    notes: tuple[str, ...] = ()
    first_stage: str | None = None
    aggregate: str = DEFAULT_AGGREGATE
    guidelines: str | None = None
    extra_judgments: tuple[str, ...] = ()

    @property
    def has_grades(self) -> bool:
        """Some candidate carries raters' grades (the file uses the several-raters format)."""
        return any(c.grades for q in self.queries for c in q.candidates)

    @property
    def raters(self) -> list[str]:
        """Every rater of the set, sorted (:data:`~eval.sets.grades.IMPLICIT_RATER` for plain labels)."""
        return sorted({r for q in self.queries for c in q.candidates for r in c.ratings})

    @property
    def qids(self) -> list[str]:
        """The query ids in file order."""
        return [q.qid for q in self.queries]

    @property
    def qrels(self) -> dict[str, dict[str, int]]:
        """``{qid: {docid: label}}`` over every judged document, label 0 included (every candidate of a JSONL/CSV
        set; for a first-stage run, the judged candidates and the judged documents it missed)."""
        return {q.qid: q.judgments for q in self.queries}

    @property
    def has_unjudged(self) -> bool:
        """Some candidate has no judgment (only sets built from a first-stage run)."""
        return any(not c.judged for q in self.queries for c in q.candidates)

    @property
    def has_segments(self) -> bool:
        return any(q.segment is not None for q in self.queries)

    def where(self, item: LabelledQuery | Candidate) -> str:
        """``"<file>, line N"`` of a query or candidate, for messages."""
        return f"{item.source or self.name}, line {item.line}"

    @property
    def n_pairs(self) -> int:
        return sum(len(q.candidates) for q in self.queries)

    @property
    def has_images(self) -> bool:
        return any(q.has_image for q in self.queries)

    def texts(self) -> list[str]:
        """Every query and candidate text of the set (for checking which language it is in)."""
        out = []
        for q in self.queries:
            out += [q.text] if q.text else []
            out += [c.text for c in q.candidates if c.text]
        return out

    @property
    def has_videos(self) -> bool:
        return any(q.has_video for q in self.queries)

    def first_video(self) -> str | None:
        """Where the first clip is, as ``"<file>, line N: query 'q1' has a clip ('a.mp4')"``, or None."""
        for q in self.queries:
            if q.video is not None:
                return f"{self.name}, line {q.line}: query {q.qid!r} has a clip ({q.video_name!r})"
            for c in q.candidates:
                if c.video is not None:
                    return (
                        f"{self.name}, line {c.line}: candidate {c.docid!r} of query {q.qid!r} has a clip "
                        f"({c.video_name!r})"
                    )
        return None

    def first_image(self) -> str | None:
        """Where the first image is, as ``"<file>, line N: query 'q1' image 'a.png'"`` (for messages), or None."""
        for q in self.queries:
            if q.image is not None:
                return f"{self.where(q)}: query {q.qid!r} has an image ({q.image_name!r})"
            for c in q.candidates:
                if c.image is not None:
                    return f"{self.where(c)}: candidate {c.docid!r} of query {q.qid!r} has an image ({c.image_name!r})"
        return None


DATA_DIR = Path(__file__).resolve().parents[1] / "data"
# The sets shipped in eval/data (see eval/data/README.md): file name -> one-line description.
SHIPPED_SETS: dict[str, str] = {
    "passages.csv": "Web-search passages: 8 questions x 6 passages, labels 0-2, text (CSV)",
    "ecommerce.jsonl": "Product search: 22 queries x 10 products, labels 0-3, hard negatives, text (JSONL)",
    "ecommerce_zh.jsonl": "中文商品搜索 Chinese product search: 28 queries x 10 listings in the seed's 4 query segments, "
    "labels 0-3, hard negatives (JSONL) — the default model reads English; use Lychee / Qwen3-VL",
    "shapes/shapes.jsonl": "Shapes: 6 queries x 6 PIL-drawn images, labels 0-2 — needs a VLM reranker (JSONL + PNG)",
}


def shipped_set_path(name: str) -> Path:
    """Path of a shipped set by its name in :data:`SHIPPED_SETS`.

    Raises:
        ValueError: ``name`` is not a shipped set.
    """
    if name not in SHIPPED_SETS:
        raise ValueError(f"unknown shipped set {name!r}; expected one of {sorted(SHIPPED_SETS)}.")
    return DATA_DIR / name


__all__ = [
    "DATA_DIR",
    "MAX_LISTED_ERRORS",
    "SHIPPED_SETS",
    "Candidate",
    "ImageRef",
    "LabelledQuery",
    "LabelledSet",
    "LabelledSetError",
    "shipped_set_path",
]

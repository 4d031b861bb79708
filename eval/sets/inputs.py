"""What a set was read from, so it can be read again: :class:`SetInputs` (the options of ``python -m eval``).

``python -m eval`` reads its set through :meth:`SetInputs.load`, and records :meth:`SetInputs.as_dict` (absolute
paths) with the run, so ``python -m eval.judgments holes --run ID`` can read the same set again later and list the
unjudged documents of that run's top k with their texts. The Evaluation page records a saved or shipped set the same
way (an upload has no path and is not recorded).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.sets.beir import DEFAULT_SPLIT, load_beir
from eval.sets.extra import with_extra_judgments
from eval.sets.firststage import load_collection
from eval.sets.labelled import LabelledSet
from eval.sets.loader import load_labelled_set
from eval.sets.segments import assign_segments

_PATHS = ("data", "qrels", "documents", "queries", "run", "segments", "qrels_extra")


@dataclass(frozen=True)
class SetInputs:
    """The files (and options) a set is read from; field names are ``python -m eval``'s options.

    Attributes:
        data: a labelled set file, or a BEIR folder.
        split: the BEIR qrels split.
        qrels, documents, queries: TREC/BEIR qrels with the texts (instead of ``data``).
        run, top_k: a first-stage run and how many of its documents per query are candidates.
        segments: a ``qid<TAB>segment`` file.
        aggregate: the rule that turns several raters' grades into labels (the set's own by default).
        qrels_extra: a labelled set whose judgments are added (:func:`eval.sets.extra.with_extra_judgments`).
    """

    data: str | None = None
    split: str | None = None
    qrels: str | None = None
    documents: str | None = None
    queries: str | None = None
    run: str | None = None
    top_k: int | None = None
    segments: str | None = None
    aggregate: str | None = None
    qrels_extra: str | None = None

    @property
    def is_folder(self) -> bool:
        return self.data is not None and Path(self.data).is_dir()

    def load(self) -> LabelledSet:
        """The set these inputs name, with segments and extra judgments applied.

        Raises:
            ValueError: nothing to read, or a file's problem (``LabelledSetError`` names the file and line).
        """
        if self.qrels is not None:
            labelled = load_collection(
                qrels=self.qrels,
                documents=self.documents,
                queries=self.queries,
                run=self.run,
                top_k=self.top_k,
                segments=self.segments,
            )
        elif self.is_folder:
            labelled = load_beir(
                self.data, split=self.split or DEFAULT_SPLIT, run=self.run, top_k=self.top_k, segments=self.segments
            )
        elif self.data is not None:
            labelled = load_labelled_set(self.data, aggregate=self.aggregate)
            if self.segments is not None:
                labelled = assign_segments(labelled, self.segments)
        else:
            raise ValueError("no set to read: give a labelled set, a BEIR folder, or TREC qrels with their texts.")
        if self.qrels_extra is not None:
            extra = load_labelled_set(self.qrels_extra, aggregate=self.aggregate)
            labelled = with_extra_judgments(labelled, extra)
        return labelled

    def as_dict(self) -> dict[str, Any]:
        """The inputs with absolute paths, without the options left unset (what the run store records)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = str(Path(value).expanduser().resolve()) if f.name in _PATHS else value
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SetInputs:
        """Inputs as :meth:`as_dict` wrote them.

        Raises:
            ValueError: a key that is not an input.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"recorded set inputs have unknown key(s) {unknown}; expected some of {sorted(known)}.")
        return cls(**values)


__all__ = ["SetInputs"]

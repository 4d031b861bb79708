"""The Evaluation page's set choice without Streamlit: which labelled set the user picked, how a saved set is named,
and reading the chosen set (with an uploaded segments file) into a :class:`~eval.sets.labelled.LabelledSet`.

The uploads arrive as :mod:`lychee.ui.uploads` records (``{"name", "path", "size"}``: the view keeps the files on disk,
not in session state) and are read only here, while the set is read; every problem is a ``ValueError`` whose message
the page shows as it is.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.sets.beir import DEFAULT_SPLIT, load_beir_upload
from eval.sets.extra import with_extra_judgments
from eval.sets.firststage import DEFAULT_TOP_K
from eval.sets.inputs import SetInputs
from eval.sets.labelled import LabelledSet, shipped_set_path
from eval.sets.loader import load_labelled_set
from eval.sets.segments import assign_segments
from lychee.ui.i18n import N_, _
from lychee.ui.uploads import Upload, upload_bytes

DEFAULT_SET = "passages.csv"


@dataclass(frozen=True)
class SetChoice:
    """Which labelled set the user picked: a shipped one by name, a saved one by path, the upload kept in session
    state, or an uploaded BEIR folder with an optional first-stage run (its ``split`` and ``top_k``); with the path of
    a saved set whose judgments are added (``extra``) and an aggregation rule for several raters' grades."""

    source: str  # "shipped", "saved", "upload" or "beir"
    set_name: str | None = None  # the shipped set's name, or the saved set's path
    split: str = DEFAULT_SPLIT
    top_k: int = DEFAULT_TOP_K
    extra: str | None = None
    aggregate: str | None = None

    def inputs(self, *, segments: bool) -> dict[str, Any] | None:
        """How to read this set again (recorded with the run, for ``python -m eval.judgments holes``); ``None`` for an
        upload, or when an uploaded segments file applies (neither has a path)."""
        path = self.path()
        if path is None or segments:
            return None
        return SetInputs(data=str(path), aggregate=self.aggregate, qrels_extra=self.extra).as_dict()

    def path(self) -> Path | None:
        """The set's file (``None`` for an upload), as recorded in the run history."""
        if self.source == "shipped" and self.set_name is not None:
            return shipped_set_path(self.set_name)
        if self.source == "saved" and self.set_name is not None:
            return Path(self.set_name)
        return None


@dataclass(frozen=True)
class EvalInputs:
    """Everything an evaluation on the page was asked with: the set choice and the names of the files it read, k, the
    model and instruction (``None``: the model's default), and instruction B when A/B was on."""

    choice: SetChoice
    files: tuple[str | None, ...]
    k: int
    model: str
    instruction: str | None
    instruction_b: str | None = None

    def describe(self) -> str:
        """The evaluation in a few words, for the note over a result whose inputs changed."""
        if self.choice.source == "shipped":
            what = _("the sample set {set_name}").format(set_name=self.choice.set_name)
        elif self.choice.source == "saved":
            what = _("the saved set {set_name}").format(set_name=self.choice.set_name)
        else:
            what = ", ".join(f"`{name}`" for name in self.files if name) or _("an upload")
        ab = _(" with instruction B") if self.instruction_b is not None else ""
        return _("{what}, k={k}, model `{model}`{ab}").format(what=what, k=self.k, model=self.model, ab=ab)


def stale_note(asked: EvalInputs | None, now: EvalInputs) -> str | None:
    """A note for the stored result when the page's choices now differ from those it was asked with, else ``None``."""
    if asked is None or asked == now:
        return None
    return _(
        "Below is the last evaluation: {describe}. The choices above have changed since: click **Run "
        "evaluation** to evaluate them."
    ).format(describe=asked.describe())


SOURCES = {
    "shipped": N_("A shipped sample set"),
    "saved": N_("Saved sets (labelled on Batch rerank)"),
    "upload": N_("Upload a set"),
    "beir": N_("A BEIR folder (zip) + first-stage run"),
}


def saved_set_name(path: Path) -> str:
    """How a saved set is named on the page: relative to the current folder when inside it, else its full path."""
    try:
        return str(path.resolve().relative_to(Path(os.getcwd()).resolve()))
    except ValueError:
        return str(path)


def read_set(
    choice: SetChoice,
    *,
    upload: Upload | None = None,
    beir_archive: Upload | None = None,
    run: Upload | None = None,
    segments: Upload | None = None,
) -> LabelledSet:
    """The chosen set, read and validated, with the uploaded segments applied.

    Args:
        choice: what the picker chose.
        upload: the uploaded JSONL / CSV / ZIP set (source ``"upload"``).
        beir_archive, run: the uploaded BEIR folder (a zip) and first-stage run (source ``"beir"``).
        segments: the uploaded segments file (``qid<TAB>segment`` per line), for any source.
        (``choice.extra``: a saved set whose judgments are added, :func:`eval.sets.extra.with_extra_judgments`.)

    Raises:
        ValueError: nothing to read (no upload, no saved set), or the loaders' message naming file and line.
    """
    if choice.source == "beir":
        labelled = _read_beir(choice, beir_archive, run, segments)
    else:
        labelled = _read_labelled(choice, upload)
        if segments is not None:
            with tempfile.TemporaryDirectory(prefix="lychee-segments-") as tmp:
                path = Path(tmp) / "segments.tsv"
                path.write_bytes(upload_bytes(segments))
                labelled = assign_segments(labelled, path, name=segments["name"])
    if choice.extra is None:
        return labelled
    extra = load_labelled_set(choice.extra, name=saved_set_name(Path(choice.extra)), aggregate=choice.aggregate)
    return with_extra_judgments(labelled, extra)


def _read_labelled(choice: SetChoice, upload: Upload | None) -> LabelledSet:
    """A shipped, saved or uploaded JSONL / CSV / ZIP set."""
    if choice.source == "shipped":
        return load_labelled_set(
            shipped_set_path(choice.set_name), name=f"eval/data/{choice.set_name}", aggregate=choice.aggregate
        )
    if choice.source == "saved":
        if choice.set_name is None:
            raise ValueError(
                "No saved set to evaluate: save graded titles on the Batch rerank page, or pick another source."
            )
        path = Path(choice.set_name)
        return load_labelled_set(path, name=saved_set_name(path), aggregate=choice.aggregate)
    if upload is None:
        raise ValueError("No file uploaded: upload a JSONL, CSV or ZIP labelled set above, or choose a shipped set.")
    return load_labelled_set(upload_bytes(upload), name=upload["name"], aggregate=choice.aggregate)


def _read_beir(choice: SetChoice, archive: Upload | None, run: Upload | None, segments: Upload | None) -> LabelledSet:
    """An uploaded BEIR folder, its candidates from the uploaded first-stage run when there is one."""
    if archive is None:
        raise ValueError(
            "No BEIR folder uploaded: upload a .zip holding corpus.jsonl, queries.jsonl and qrels/<split>.tsv."
        )
    return load_beir_upload(
        upload_bytes(archive),
        name=archive["name"],
        split=choice.split,
        run=(run["name"], upload_bytes(run)) if run is not None else None,
        top_k=choice.top_k if run is not None else None,
        segments=(segments["name"], upload_bytes(segments)) if segments is not None else None,
    )


__all__ = ["DEFAULT_SET", "SOURCES", "EvalInputs", "SetChoice", "Upload", "read_set", "saved_set_name", "stale_note"]

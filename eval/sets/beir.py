"""BEIR folders: ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv`` -> a labelled set.

The layout is BEIR's (Thakur et al., 2021; the files ``beir.datasets.data_loader.GenericDataLoader`` reads)::

    scifact/
      corpus.jsonl      {"_id": "4983", "title": "...", "text": "...", "metadata": {}}   (+ optional "image")
      queries.jsonl     {"_id": "1", "text": "...", "metadata": {}}                       (+ optional "segment")
      qrels/test.tsv    query-id<TAB>corpus-id<TAB>score, under a header line

:func:`load_beir` finds the files and hands them to :func:`eval.sets.firststage.load_collection`, which builds the
candidates (a first-stage run's top k, or the judged documents), checks every id and names the file and line of
each problem.
"""

from __future__ import annotations

import posixpath
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from eval.sets.firststage import load_collection
from eval.sets.labelled import ImageRef, LabelledSet, LabelledSetError
from eval.sets.loader import FolderResolver, ImageResolver, open_zip

CORPUS = "corpus.jsonl"
QUERIES = "queries.jsonl"
QRELS_FOLDER = "qrels"
DEFAULT_SPLIT = "test"
#: What a split may be called: it names the file qrels/<split>.tsv, so no path separators.
SPLIT_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def check_split(split: str, name: str) -> None:
    """Refuse a split that is not ``[A-Za-z0-9_.-]+`` (it names ``qrels/<split>.tsv``: no path in it).

    Raises:
        LabelledSetError: naming ``name`` (the folder or archive) and the split.
    """
    if not isinstance(split, str) or SPLIT_NAME.fullmatch(split) is None:
        raise LabelledSetError(
            [
                f"{name}: split {str(split)[:80]!r} is not a split name; expected letters, digits, '_', '.' or '-' "
                f"(the file {QRELS_FOLDER}/<split>.tsv), e.g. test, dev or train."
            ],
            name,
        )


def beir_files(
    folder: str | Path, split: str = DEFAULT_SPLIT, *, display: Callable[[Path], str] = str
) -> tuple[Path, Path, Path]:
    """``(corpus, queries, qrels)`` paths of a BEIR folder (``display`` names the folder in messages).

    Raises:
        LabelledSetError: a file is missing, or there is no ``qrels/<split>.tsv`` (the message lists the splits there).
    """
    folder = Path(folder)
    name = display(folder)
    check_split(split, name)
    if not folder.is_dir():
        raise LabelledSetError(
            [
                f"{name}: {'not a folder' if folder.exists() else 'folder not found'}; expected a BEIR folder "
                f"with {CORPUS}, {QUERIES} and {QRELS_FOLDER}/<split>.tsv."
            ],
            name,
        )
    missing = [f for f in (CORPUS, QUERIES) if not (folder / f).is_file()]
    qrels = folder / QRELS_FOLDER / f"{split}.tsv"
    if not qrels.is_file():
        splits = (
            sorted(p.stem for p in (folder / QRELS_FOLDER).glob("*.tsv")) if (folder / QRELS_FOLDER).is_dir() else []
        )
        missing.append(
            f"{QRELS_FOLDER}/{split}.tsv"
            + (f" (splits there: {', '.join(splits)}; choose one with --split)" if splits else "")
        )
    if missing:
        raise LabelledSetError(
            [
                f"{name}: not a BEIR folder, missing {'; '.join(missing)}. Expected {CORPUS}, {QUERIES} and "
                f"{QRELS_FOLDER}/<split>.tsv (query-id, corpus-id, score)."
            ],
            name,
        )
    return folder / CORPUS, folder / QUERIES, qrels


def load_beir(
    folder: str | Path,
    *,
    split: str = DEFAULT_SPLIT,
    run: str | Path | None = None,
    top_k: int | None = None,
    segments: str | Path | None = None,
    name: str | None = None,
    image_resolver: type[ImageResolver] = FolderResolver,
    display: Callable[[Path], str] = str,
) -> LabelledSet:
    """Read a BEIR folder (and optionally a first-stage run and a segments file) into a labelled set.

    Args:
        folder: the BEIR folder.
        split: which ``qrels/<split>.tsv`` to evaluate (default ``test``).
        run: a 6-column TREC run of the first stage; its top ``top_k`` per query are the candidates. Without one the
            candidates are each query's judged documents.
        top_k: candidates per query from the run (default 100).
        segments: a ``qid<TAB>segment`` file.
        name: the set's name in messages and metrics.json (default: ``"<folder> (split <split>)"``).
        image_resolver: how ``"image"`` paths (relative to the corpus or queries file) become images.
        display: how messages call each file (default its path).

    Raises:
        LabelledSetError: (a ``ValueError``) a missing file or any problem in any file, naming the file and line.

    Example:
        >>> labelled = load_beir("data/scifact", run="bm25.trec", top_k=100)
        >>> labelled.n_pairs
    """
    corpus, queries, qrels = beir_files(folder, split, display=display)
    return load_collection(
        qrels=qrels,
        documents=corpus,
        queries=queries,
        run=run,
        top_k=top_k,
        segments=segments,
        name=name or f"{folder} (split {split})",
        image_resolver=image_resolver,
        display=display,
    )


class InMemoryFolderResolver(FolderResolver):
    """Like :class:`~eval.sets.loader.FolderResolver`, but holds each image's bytes, so the folder may be deleted after
    loading (an upload unpacked into a temporary folder); :func:`load_beir_upload` binds :attr:`root` to the archive's
    folder, so images resolve only inside the archive."""

    def _keep(self, path: Path, raw: bytes) -> ImageRef:
        return raw  # cached by resolve: a document that many queries retrieve is read once


def load_beir_upload(
    archive: bytes,
    *,
    name: str,
    split: str = DEFAULT_SPLIT,
    run: tuple[str, bytes] | None = None,
    top_k: int | None = None,
    segments: tuple[str, bytes] | None = None,
) -> LabelledSet:
    """A BEIR folder uploaded as a ``.zip`` (with a first-stage run and a segments file as separate uploads).

    The archive is unpacked into a temporary folder that is deleted afterwards (images are kept in memory). The
    folder holding ``corpus.jsonl`` may be the archive's root or one folder inside it. Messages name the files as
    ``<archive>:<path inside>`` and the other uploads by their names.

    Args:
        archive: the zip's bytes.
        name: the zip's file name.
        split: which ``qrels/<split>.tsv`` to evaluate.
        run: ``(file name, bytes)`` of a TREC run, or ``None``.
        top_k: candidates per query from the run (default 100).
        segments: ``(file name, bytes)`` of a ``qid<TAB>segment`` file, or ``None``.

    Raises:
        LabelledSetError: (a ``ValueError``) an unreadable or unsafe archive, no or several ``corpus.jsonl``, or any
            problem of the files, each named as above.
    """
    check_split(split, name)
    with tempfile.TemporaryDirectory(prefix="lychee-beir-") as tmp:
        root = Path(tmp)
        unpacked = root / "archive"
        folder = _unpack(archive, unpacked, name)

        class ArchiveResolver(InMemoryFolderResolver):
            """Images of this archive only."""

            root = unpacked

        names = {}
        extra = {}
        for key, upload in (("run", run), ("segments", segments)):
            if upload is not None:
                path = root / key / Path(upload[0]).name
                path.parent.mkdir()
                path.write_bytes(upload[1])
                names[path] = upload[0]
                extra[key] = path

        def display(path: Path) -> str:
            if path in names:
                return names[path]
            if not path.is_relative_to(unpacked):
                return str(path)
            inner = path.relative_to(unpacked).as_posix()
            return name if inner == "." else f"{name}:{inner}"

        return load_beir(
            folder,
            split=split,
            run=extra.get("run"),
            top_k=top_k,
            segments=extra.get("segments"),
            name=f"{name} (split {split})",
            image_resolver=ArchiveResolver,
            display=display,
        )


def _unpack(data: bytes, target: Path, name: str) -> Path:
    """Unpack a zip into ``target`` (refusing absolute or ``..`` paths and archives over the size limit); returns the
    folder that holds ``corpus.jsonl``."""
    archive, members = open_zip(data, name, too_big_hint="Use the CLI on the folder.")
    with archive:
        corpora = []
        for member in members:
            inner = posixpath.normpath(member.filename.replace("\\", "/"))
            if member.filename.startswith(("/", "\\")) or inner == ".." or inner.startswith("../"):
                raise LabelledSetError([f"{name}: member {member.filename!r} points outside the archive."], name)
            path = target / inner
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(archive.read(member))
            if path.name == CORPUS:
                corpora.append(inner)
    if len(corpora) != 1:
        found = ", ".join(corpora) if corpora else "none"
        raise LabelledSetError(
            [
                f"{name}: expected one BEIR folder ({CORPUS}, {QUERIES}, {QRELS_FOLDER}/<split>.tsv) in the archive, "
                f"found {CORPUS} files: {found}."
            ],
            name,
        )
    return (target / corpora[0]).parent


__all__ = [
    "CORPUS",
    "DEFAULT_SPLIT",
    "QRELS_FOLDER",
    "QUERIES",
    "SPLIT_NAME",
    "InMemoryFolderResolver",
    "beir_files",
    "check_split",
    "load_beir",
    "load_beir_upload",
]

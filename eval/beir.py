"""BEIR folders: ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv`` -> a labelled set.

The layout is BEIR's (Thakur et al., 2021; the files ``beir.datasets.data_loader.GenericDataLoader`` reads)::

    scifact/
      corpus.jsonl      {"_id": "4983", "title": "...", "text": "...", "metadata": {}}   (+ optional "image")
      queries.jsonl     {"_id": "1", "text": "...", "metadata": {}}                       (+ optional "segment")
      qrels/test.tsv    query-id<TAB>corpus-id<TAB>score, under a header line

:func:`load_beir` finds the files and hands them to :func:`eval.firststage.load_collection`, which builds the
candidates (a first-stage run's top k, or the judged documents), checks every id and names the file and line of
each problem.
"""

from __future__ import annotations

from pathlib import Path

from eval.firststage import load_collection
from eval.labelled import LabelledSet, LabelledSetError
from eval.loader import FolderResolver, ImageResolver

CORPUS = "corpus.jsonl"
QUERIES = "queries.jsonl"
QRELS_FOLDER = "qrels"
DEFAULT_SPLIT = "test"


def is_beir_folder(path: str | Path) -> bool:
    """True for a folder holding BEIR's ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/``."""
    folder = Path(path)
    return (
        folder.is_dir()
        and (folder / CORPUS).is_file()
        and (folder / QUERIES).is_file()
        and (folder / QRELS_FOLDER).is_dir()
    )


def beir_files(folder: str | Path, split: str = DEFAULT_SPLIT) -> tuple[Path, Path, Path]:
    """``(corpus, queries, qrels)`` paths of a BEIR folder.

    Raises:
        LabelledSetError: a file is missing, or there is no ``qrels/<split>.tsv`` (the message lists the splits there).
    """
    folder = Path(folder)
    name = str(folder)
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

    Raises:
        LabelledSetError: (a ``ValueError``) a missing file or any problem in any file, naming the file and line.

    Example:
        >>> labelled = load_beir("data/scifact", run="bm25.trec", top_k=100)
        >>> labelled.n_pairs
    """
    corpus, queries, qrels = beir_files(folder, split)
    return load_collection(
        qrels=qrels,
        documents=corpus,
        queries=queries,
        run=run,
        top_k=top_k,
        segments=segments,
        name=name or f"{folder} (split {split})",
        image_resolver=image_resolver,
    )


__all__ = ["CORPUS", "DEFAULT_SPLIT", "QRELS_FOLDER", "QUERIES", "beir_files", "is_beir_folder", "load_beir"]

"""Resumable runs: the fingerprint of a run and the append-only file of its finished queries.

With a partial file, each finished query is appended as one JSON line (flushed and ``fsync``-ed) under a header that
holds the run's :func:`fingerprint`: the data (file and image bytes), each system's model and resolved instruction, and
k. A run that is killed leaves every finished query on disk; the same run again skips them. A file with another
fingerprint is started afresh (with a warning); a torn last line (killed mid-write) and anything after an unreadable
entry are dropped, and those queries are scored again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path

from eval.engine.scored_system import System
from eval.sets.atomic import write_atomically
from eval.sets.labelled import LabelledSet

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
PARTIAL_NAME = "partial.jsonl"


def fingerprint(labelled: LabelledSet, systems: Sequence[System], k: int) -> str:
    """sha256 over the set's content, each system's model and resolved instruction, and k."""
    key = {
        "version": FORMAT_VERSION,
        "data": labelled.content_hash,
        "systems": [[s.key, s.model_name, s.resolved_instruction] for s in systems],
        "k": k,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


class PartialFile:
    """Append-only store of finished queries: a header line, then ``{"qid", "scores": {system: {docid: score}}}``."""

    def __init__(
        self, path: str | os.PathLike, *, fingerprint: str, labelled: LabelledSet, system_keys: Sequence[str]
    ) -> None:
        self.path = Path(path)
        self.fingerprint = fingerprint
        self.done: dict[str, dict[str, dict[str, float]]] = {}
        expected = {q.qid: {c.docid for c in q.candidates} for q in labelled.queries}
        self._load(expected, set(system_keys))

    def _load(self, expected: dict[str, set[str]], keys: set[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        header = json.dumps({"lychee_eval_partial": FORMAT_VERSION, "fingerprint": self.fingerprint}) + "\n"
        if not self.path.exists():
            self._rewrite(header)
            return
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        try:
            head = json.loads(lines[0])
        except (json.JSONDecodeError, UnicodeDecodeError):
            head = None
        if not isinstance(head, dict) or head.get("fingerprint") != self.fingerprint:
            logger.warning(
                "%s belongs to another run (other data, model, instruction or k); starting this run from the first query.",
                self.path,
            )
            self._rewrite(header)
            return
        good_end = len(lines[0]) + 1
        # Every complete line ends in "\n"; the last element is b"" or a torn write of a killed process.
        for line in lines[1:-1]:
            entry = _parse_entry(line, expected, keys)
            if entry is None:
                logger.warning(
                    "%s: dropping an unreadable entry and everything after it; those queries are re-scored.", self.path
                )
                break
            qid, scores = entry
            self.done[qid] = scores
            good_end += len(line) + 1
        if good_end != len(raw):
            with open(self.path, "r+b") as fh:
                fh.truncate(good_end)
                fh.flush()
                os.fsync(fh.fileno())

    def _rewrite(self, header: str) -> None:
        write_atomically(self.path, header)

    def append(self, qid: str, scores: dict[str, dict[str, float]]) -> None:
        """Store one finished query (``{system key: {docid: score}}``) durably: written, flushed and fsync-ed."""
        line = json.dumps({"qid": qid, "scores": scores}, allow_nan=False) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self.done[qid] = scores


def _parse_entry(line: bytes, expected: dict[str, set[str]], keys: set[str]) -> tuple[str, dict] | None:
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(obj, dict) or obj.get("qid") not in expected or not isinstance(obj.get("scores"), dict):
        return None
    scores = obj["scores"]
    if set(scores) != keys:
        return None
    for by_doc in scores.values():
        if not isinstance(by_doc, dict) or set(by_doc) != expected[obj["qid"]]:
            return None
        if not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in by_doc.values()
        ):
            return None
    return obj["qid"], {k: {d: float(v) for d, v in by_doc.items()} for k, by_doc in scores.items()}


__all__ = ["FORMAT_VERSION", "PARTIAL_NAME", "PartialFile", "fingerprint"]

"""The run store: every evaluation (CLI and dashboard) recorded in one SQLite file.

The file is :func:`eval.history.workspace.runs_db_path` (``$LYCHEE_RUNS_DB``, default ``data/runs.sqlite``). One row of
``runs`` per evaluation — when, the set (its name, absolute path when it is a file, and content hash), model,
instruction (and B's for an A/B), k, the number of queries, the output folder, where it ran (``cli``/``page``), who
ran it (``created_by``: an e-mail, ``token``, a local user name) and, for a gated run (``python -m eval --gate``),
whether it passed (``gate``: ``pass``/``fail``, the verdict in ``details``) — with every metric of every system (mean
and 95% bootstrap interval) in ``metrics`` and every per-query value in ``per_query``.

Schema versions: 1 (the first), 2 adds the ``gate`` column, 3 the ``created_by`` column. Migrations are additive
(``ALTER TABLE ... ADD COLUMN``) and run on the first write, so an older store stays readable as it is (its runs have
no gate mark and no author) and is upgraded in place by the next evaluation.

Concurrency: the database runs in WAL mode (readers never block the writer); each write is one ``BEGIN IMMEDIATE``
transaction, so two sessions recording at once are serialised by SQLite and neither half-writes; a writer waits up to
``timeout`` seconds for the lock. An older store is read as it is (its runs have no author, no gate mark) and gains the
missing columns at its next write. Deleting a run is an editor's act (:func:`lychee.roles.require_editor`).
Problems (a locked, unwritable or corrupt file, a store from a newer version) raise
:class:`RunStoreError`, whose message says what happened and what to do. :func:`record_evaluation` turns them into a
returned message, so recording can never stop an evaluation from finishing and writing its files.

Example:
    >>> store = RunStore()
    >>> run_id = store.record(metrics, set_name="eval/data/ecommerce.jsonl", set_path="/abs/ecommerce.jsonl",
    ...                       output_dir="/tmp/r", source="cli")
    >>> store.list()[0]["ndcg@10"]
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eval.history.workspace import runs_db_path
from lychee.roles import Actor, require_editor

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 3
DEFAULT_TIMEOUT = 5.0
SOURCES = ("cli", "page")
MAIN_METRIC = "ndcg@10"
#: The marks a gated run carries (``runs.gate``); an ungated run has none.
GATE_MARKS = ("pass", "fail")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    set_name TEXT NOT NULL,
    set_path TEXT,
    set_hash TEXT NOT NULL,
    model TEXT NOT NULL,
    instruction TEXT NOT NULL,
    model_b TEXT,
    instruction_b TEXT,
    k INTEGER NOT NULL,
    n_queries INTEGER NOT NULL,
    output_dir TEXT,
    source TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id INTEGER NOT NULL,
    system TEXT NOT NULL,
    metric TEXT NOT NULL,
    mean REAL NOT NULL,
    ci_low REAL NOT NULL,
    ci_high REAL NOT NULL,
    PRIMARY KEY (run_id, system, metric)
);
CREATE TABLE IF NOT EXISTS per_query (
    run_id INTEGER NOT NULL,
    system TEXT NOT NULL,
    metric TEXT NOT NULL,
    qid TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (run_id, system, metric, qid)
);
CREATE INDEX IF NOT EXISTS runs_by_set ON runs (set_path, set_name);
"""

#: What each schema version adds to the one before, in order: additive only, so older stores stay readable.
_MIGRATIONS: dict[int, str] = {
    1: _SCHEMA,
    2: "ALTER TABLE runs ADD COLUMN gate TEXT",
    3: "ALTER TABLE runs ADD COLUMN created_by TEXT",
}

_RUN_COLUMNS = (
    "id, created, set_name, set_path, set_hash, model, instruction, model_b, instruction_b, k, n_queries, output_dir, "
    "source"
)
# The runs of one set (``:set``): RunRecord.set is set_path, or set_name when set_path is NULL or empty; each OR term
# can use the runs_by_set index.
_OF_SET = (
    "(runs.set_path = :set AND :set <> '') OR (runs.set_path IS NULL AND runs.set_name = :set) "
    "OR (runs.set_path = '' AND runs.set_name = :set)"
)
#: Columns later schema versions added, in RunRecord's order: an older store, read without being written (and so not
#: migrated), lacks them and its runs read ``None``.
_LATER_COLUMNS = ("gate", "created_by")


class RunStoreError(RuntimeError):
    """The run store cannot be read or written; the message says why and what to do."""


class RunNotFoundError(ValueError):
    """No run with the asked id."""


@dataclass(frozen=True)
class RunRecord:
    """One recorded evaluation.

    Attributes:
        id, created: the run's id and when it was recorded (ISO 8601, UTC).
        set_name: the set as it was named (a path as typed, or an upload's file name).
        set_path: the set file's absolute path, or ``None`` for an upload.
        set_hash: sha256 of the set's bytes and images (:attr:`eval.sets.labelled.LabelledSet.content_hash`).
        model, instruction: system A (the instruction as the model read it).
        model_b, instruction_b: system B of an A/B run, else ``None``.
        k, n_queries, output_dir, source: the cutoff, the set's size, where the files went, ``cli``/``page``.
        gate: ``"pass"``/``"fail"`` for a gated run (``python -m eval --gate``), ``None`` otherwise; the verdict itself
            is ``details["gate"]``.
        created_by: who ran it (an e-mail, ``token``, a local user name), or ``None`` (not recorded: older runs).
        metrics: ``{system: {metric: (mean, ci_low, ci_high)}}`` (filled by :meth:`RunStore.get`).
        per_query: ``{system: {metric: {qid: value}}}`` (filled by :meth:`RunStore.get`).
        details: ``{"settings": ..., "comparison": ...}`` from metrics.json, and ``"holes"`` and ``"inputs"`` when
            recorded (filled by :meth:`RunStore.get`).
    """

    id: int
    created: str
    set_name: str
    set_path: str | None
    set_hash: str
    model: str
    instruction: str
    model_b: str | None
    instruction_b: str | None
    k: int
    n_queries: int
    output_dir: str | None
    source: str
    gate: str | None = None
    created_by: str | None = None
    main: float | None = None
    metrics: dict[str, dict[str, tuple[float, float, float]]] = field(default_factory=dict, repr=False)
    per_query: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict, repr=False)
    details: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def set(self) -> str:
        """The set's identity for grouping and filtering: its absolute path, or the upload's name."""
        return self.set_path or self.set_name

    @property
    def systems(self) -> list[str]:
        """The model systems of the run: ``["model"]`` or ``["model", "model_b"]``."""
        return ["model", "model_b"] if self.model_b is not None else ["model"]

    def summary(self) -> dict[str, Any]:
        """The JSON row of ``python -m eval.runs list --json``."""
        row: dict[str, Any] = {
            "id": self.id,
            "created": self.created,
            "set": self.set,
            "set_name": self.set_name,
            "set_hash": self.set_hash,
            "model": self.model,
            "instruction": self.instruction,
            "model_b": self.model_b,
            "instruction_b": self.instruction_b,
            "k": self.k,
            "n_queries": self.n_queries,
            MAIN_METRIC: self.main,
            "output_dir": self.output_dir,
            "source": self.source,
            "gate": self.gate,
            "created_by": self.created_by,
        }
        return row


class RunStore:
    """The SQLite run store at ``path`` (default :func:`eval.history.workspace.runs_db_path`).

    Args:
        path: the database file; its folder is created on the first write.
        timeout: seconds a writer waits for another writer's lock before giving up.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = Path(path) if path is not None else runs_db_path()
        self.timeout = timeout

    # --- connections ------------------------------------------------------------------------------------------------
    def _problem(self, exc: BaseException, doing: str) -> RunStoreError:
        text = str(exc)
        if isinstance(exc, sqlite3.OperationalError) and "locked" in text.lower():
            return RunStoreError(
                f"run store {self.path} is locked by another process (waited {self.timeout:g} s) while {doing}. "
                "Try again in a moment; if it stays locked, close the program holding it (a sqlite3 shell?)."
            )
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            return RunStoreError(
                f"run store {self.path} is not a readable SQLite database ({text}) while {doing}. Move it aside "
                f"(mv {self.path} {self.path}.broken) and a new store starts with the next evaluation, or point "
                "LYCHEE_RUNS_DB at another file."
            )
        return RunStoreError(
            f"run store {self.path}: {type(exc).__name__}: {text} while {doing}. Check that the folder exists and is "
            "writable, or point LYCHEE_RUNS_DB at another file."
        )

    @contextlib.contextmanager
    def _connect(self, doing: str, *, write: bool) -> Iterator[sqlite3.Connection]:
        conn = None
        try:
            if write:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RunStoreError(
                    f"run store {self.path} has schema version {version}, newer than this program's {SCHEMA_VERSION}. "
                    "Update the dashboard, or point LYCHEE_RUNS_DB at another file."
                )
            if write and version < SCHEMA_VERSION:
                self._create(conn)
            yield conn
        except RunStoreError:
            raise
        except (sqlite3.Error, OSError) as exc:
            raise self._problem(exc, doing) from exc
        finally:
            if conn is not None:
                conn.close()

    def _create(self, conn: sqlite3.Connection) -> None:
        """WAL mode (persistent in the file), then each missing schema version's additions, in one transaction; racing
        creators wait their turn."""
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[step].split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextlib.contextmanager
    def _transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        with self._connect(doing, write=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _has_runs_table(self, conn: sqlite3.Connection) -> bool:
        row = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'runs'").fetchone()
        return row is not None

    def _columns(self, conn: sqlite3.Connection) -> str:
        """The run columns to select: :data:`_RUN_COLUMNS`, then :data:`_LATER_COLUMNS` (``NULL`` where missing)."""
        names = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
        later = [name if name in names else f"NULL AS {name}" for name in _LATER_COLUMNS]
        return ", ".join([_RUN_COLUMNS, *later])

    # --- writing ----------------------------------------------------------------------------------------------------
    def record(
        self,
        metrics: Mapping[str, Any],
        *,
        set_name: str,
        set_path: str | os.PathLike | None,
        output_dir: str | os.PathLike | None,
        source: str,
        created: datetime | None = None,
        inputs: Mapping[str, Any] | None = None,
        gate: Mapping[str, Any] | None = None,
        created_by: str | None = None,
    ) -> int:
        """Record one evaluation from its metrics.json object; returns the new run's id.

        Args:
            metrics: :attr:`eval.engine.evaluate.EvalResult.metrics` (``settings``, ``systems`` with means, intervals
                and per-query values).
            set_name: the set as named in the run (a path as typed, an upload's name).
            set_path: the set file (made absolute), or ``None`` for an upload.
            output_dir: where the evaluation's files were written, or ``None`` (the page offers downloads).
            source: ``"cli"`` or ``"page"``.
            created: when (default now, UTC).
            inputs: how to read the set again (:meth:`eval.sets.inputs.SetInputs.as_dict`), or ``None`` (an
                upload); with metrics.json's ``holes`` it lets ``python -m eval.judgments holes --run ID`` list what
                to judge.
            gate: a gated run's verdict (a JSON-ready object whose ``"verdict"`` is one of :data:`GATE_MARKS`), kept in
                ``details["gate"]`` with its mark in the ``gate`` column; ``None`` for an ungated run.
            created_by: who ran it (:attr:`lychee.roles.Actor.name`), or ``None`` when not known.

        Raises:
            ValueError: ``metrics`` lacks what a run needs, ``source`` is unknown, or ``gate`` has no valid verdict.
            RunStoreError: the store is locked, unwritable or corrupt (nothing is recorded).
        """
        if source not in SOURCES:
            raise ValueError(f"source must be one of {list(SOURCES)}, got {source!r}.")
        mark = None if gate is None else gate.get("verdict")
        if gate is not None and mark not in GATE_MARKS:
            raise ValueError(f"gate['verdict'] must be one of {list(GATE_MARKS)}, got {mark!r}.")
        try:
            settings = metrics["settings"]
            systems = settings["systems"]
            reports = metrics["systems"]
            k = int(settings["k"])
            data_hash = str(settings["data_sha256"])
            model = systems["model"]
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"metrics lacks {exc}; expected the metrics.json object of an evaluation (eval.engine.evaluate.evaluate_set)."
            ) from exc
        model_b = systems.get("model_b")
        when = (created or datetime.now(timezone.utc)).isoformat(timespec="seconds")
        extra = {"holes": metrics["holes"]} if "holes" in metrics else {}
        if inputs is not None:
            extra["inputs"] = dict(inputs)
        if gate is not None:
            extra["gate"] = dict(gate)
        details = json.dumps({"settings": settings, "comparison": metrics.get("comparison"), **extra}, allow_nan=False)
        row = (
            when,
            set_name,
            str(Path(set_path).resolve()) if set_path is not None else None,
            data_hash,
            str(model["model"]),
            str(model["instruction"]),
            None if model_b is None else str(model_b["model"]),
            None if model_b is None else str(model_b["instruction"]),
            k,
            int(metrics["n_queries"]),
            str(Path(output_dir).resolve()) if output_dir is not None else None,
            source,
            details,
            mark,
            created_by,
        )
        metric_rows, query_rows = [], []
        for system, report in reports.items():
            for name, value in report["means"].items():
                low, high = report["ci95"][name]
                metric_rows.append((system, name, float(value), float(low), float(high)))
                for qid, v in report["per_query"][name].items():
                    query_rows.append((system, name, str(qid), float(v)))
        with self._transaction("recording a run") as conn:
            cursor = conn.execute(
                "INSERT INTO runs (created, set_name, set_path, set_hash, model, instruction, model_b, instruction_b, "
                "k, n_queries, output_dir, source, details, gate, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            run_id = int(cursor.lastrowid)
            conn.executemany(
                "INSERT INTO metrics (run_id, system, metric, mean, ci_low, ci_high) VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, *r) for r in metric_rows],
            )
            conn.executemany(
                "INSERT INTO per_query (run_id, system, metric, qid, value) VALUES (?, ?, ?, ?, ?)",
                [(run_id, *r) for r in query_rows],
            )
        return run_id

    def delete(self, run_id: int, *, actor: Actor) -> RunRecord:
        """Delete a run with its metrics and per-query values; returns what was deleted.

        Args:
            run_id: the run.
            actor: who deletes it: only an editor may (:func:`lychee.roles.require_editor`).

        Raises:
            PermissionDeniedError: ``actor`` is not an editor (nothing is deleted).
            RunNotFoundError: no run has that id.
            RunStoreError: the store cannot be written.
        """
        require_editor(actor, "delete runs")
        run = self.get(run_id, full=False)
        with self._transaction(f"deleting run {run_id}") as conn:
            for table, column in (("per_query", "run_id"), ("metrics", "run_id"), ("runs", "id")):
                conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (run_id,))
        return run

    # --- reading ----------------------------------------------------------------------------------------------------
    def list(self, *, of_set: str | None = None) -> list[RunRecord]:
        """Every run, newest first, optionally only those of one set (:attr:`RunRecord.set`); an absent store is empty.

        Raises:
            RunStoreError: the store cannot be read.
        """
        if not self.path.exists():
            return []
        with self._connect("listing runs", write=False) as conn:
            if not self._has_runs_table(conn):
                return []
            where = "" if of_set is None else f"WHERE {_OF_SET} "
            rows = conn.execute(
                f"SELECT {self._columns(conn)}, (SELECT mean FROM metrics m WHERE m.run_id = runs.id "
                f"AND m.system = 'model' AND m.metric = :metric) FROM runs {where}ORDER BY id DESC",
                {"metric": MAIN_METRIC, "set": of_set},
            ).fetchall()
        return [RunRecord(*r[:-1], main=r[-1]) for r in rows]

    def metric_of_runs(
        self, metric: str, *, of_set: str, system: str = "model"
    ) -> dict[int, tuple[float, float, float]]:
        """``{run id: (mean, ci_low, ci_high)}`` of ``system``'s ``metric`` for every run of ``of_set`` that has it.

        Raises:
            RunStoreError: the store cannot be read.
        """
        if not self.path.exists():
            return {}
        with self._connect(f"reading {metric} of the runs of {of_set}", write=False) as conn:
            if not self._has_runs_table(conn):
                return {}
            rows = conn.execute(
                "SELECT m.run_id, m.mean, m.ci_low, m.ci_high FROM metrics m JOIN runs ON runs.id = m.run_id "
                f"WHERE m.system = :system AND m.metric = :metric AND ({_OF_SET})",
                {"system": system, "metric": metric, "set": of_set},
            ).fetchall()
        return {int(run_id): (mean, low, high) for run_id, mean, low, high in rows}

    def sets(self) -> list[str]:
        """The sets that have runs (:attr:`RunRecord.set`), in order of first appearance (newest first)."""
        return list(dict.fromkeys(r.set for r in self.list()))

    def get(self, run_id: int, *, full: bool = True) -> RunRecord:
        """One run with its metrics, per-query values and details (``full=False``: the summary only).

        Raises:
            RunNotFoundError: no run has that id (the message says how to list them).
            RunStoreError: the store cannot be read.
        """
        if isinstance(run_id, bool) or not isinstance(run_id, int):
            raise RunNotFoundError(
                f"run id must be an integer, got {run_id!r}. `python -m eval.runs list` shows the ids."
            )
        missing = RunNotFoundError(
            f"no run with id {run_id} in the run store {self.path}. `python -m eval.runs list` shows the ids."
        )
        if not self.path.exists():
            raise missing
        with self._connect(f"reading run {run_id}", write=False) as conn:
            if not self._has_runs_table(conn):
                raise missing
            row = conn.execute(f"SELECT {self._columns(conn)}, details FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise missing
            metrics: dict[str, dict[str, tuple[float, float, float]]] = {}
            per_query: dict[str, dict[str, dict[str, float]]] = {}
            if full:
                for system, metric, mean, low, high in conn.execute(
                    "SELECT system, metric, mean, ci_low, ci_high FROM metrics WHERE run_id = ? ORDER BY rowid",
                    (run_id,),
                ):
                    metrics.setdefault(system, {})[metric] = (mean, low, high)
                for system, metric, qid, value in conn.execute(
                    "SELECT system, metric, qid, value FROM per_query WHERE run_id = ? ORDER BY rowid", (run_id,)
                ):
                    per_query.setdefault(system, {}).setdefault(metric, {})[qid] = value
            main = conn.execute(
                "SELECT mean FROM metrics WHERE run_id = ? AND system = 'model' AND metric = ?", (run_id, MAIN_METRIC)
            ).fetchone()
        return RunRecord(
            *row[:-1],
            main=None if main is None else main[0],
            metrics=metrics,
            per_query=per_query,
            details=json.loads(row[-1]) if full else {},
        )


def record_evaluation(
    metrics: Mapping[str, Any],
    *,
    set_name: str,
    set_path: str | os.PathLike | None,
    output_dir: str | os.PathLike | None,
    source: str,
    store: RunStore | None = None,
    inputs: Mapping[str, Any] | None = None,
    gate: Mapping[str, Any] | None = None,
    created_by: str | None = None,
) -> tuple[int | None, str | None]:
    """Record an evaluation without ever raising: ``(run id, None)``, or ``(None, message)`` when it could not be.

    Call it after the evaluation's files are written; a failure here loses only the history entry. ``inputs`` and
    ``gate``: see :meth:`RunStore.record`.
    """
    store = store if store is not None else RunStore()
    try:
        run_id = store.record(
            metrics,
            set_name=set_name,
            set_path=set_path,
            output_dir=output_dir,
            source=source,
            inputs=inputs,
            gate=gate,
            created_by=created_by,
        )
        return run_id, None
    except (RunStoreError, ValueError) as exc:
        return None, f"The run was not recorded in the run history: {exc}"
    except Exception as exc:  # the history must never take an evaluation down with it
        logger.exception("recording a run in %s failed", store.path)
        return None, f"The run was not recorded in the run history ({store.path}): {type(exc).__name__}: {exc}"


__all__ = [
    "GATE_MARKS",
    "MAIN_METRIC",
    "SCHEMA_VERSION",
    "RunRecord",
    "RunNotFoundError",
    "RunStore",
    "RunStoreError",
    "record_evaluation",
]

"""The baseline a gated run is compared with: what ``--gate BASELINE`` names, read into per-query values.

BASELINE is, in this order:

* ``last-pass`` (:data:`LAST_PASS`): the newest run of the same set in the run store whose gate passed — the last
  accepted run, what a nightly job gates against;
* an existing folder: a run's output folder, whose ``metrics.json`` is read;
* an existing file: a ``metrics.json``;
* a positive integer: a run id of the run store (``python -m eval.runs list``).

Only system A (``model``) of the baseline is used: its per-query values of every metric, the set's content hash and
name, k, and what the model and instruction were.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.history.store import RunNotFoundError, RunRecord, RunStore

#: BASELINE meaning "the newest run of this set whose gate passed".
LAST_PASS = "last-pass"
METRICS_FILE = "metrics.json"


@dataclass(frozen=True)
class Baseline:
    """A baseline's per-query values and what produced them.

    Attributes:
        label: how messages and reports name it (``run #3``, or the metrics.json path).
        run_id: its run id when it came from the store, else ``None``.
        model, instruction: system A of the baseline run.
        set_name, set_hash: the set as the baseline named it, and its content hash.
        k: the cutoff of its ``ndcg@k``/``recall@k``.
        per_query: metric -> qid -> value of system A.
    """

    label: str
    run_id: int | None
    model: str
    instruction: str
    set_name: str
    set_hash: str
    k: int
    per_query: dict[str, dict[str, float]] = field(repr=False)

    @property
    def metrics(self) -> list[str]:
        """The metrics the baseline has per-query values for."""
        return list(self.per_query)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (recorded with the verdict)."""
        return {
            "label": self.label,
            "run_id": self.run_id,
            "model": self.model,
            "instruction": self.instruction,
            "set": self.set_name,
            "set_sha256": self.set_hash,
            "k": self.k,
        }


def from_run(run: RunRecord) -> Baseline:
    """The baseline of a recorded run (read with per-query values: :meth:`RunStore.get`)."""
    return Baseline(
        label=f"run #{run.id}",
        run_id=run.id,
        model=run.model,
        instruction=run.instruction,
        set_name=run.set_name,
        set_hash=run.set_hash,
        k=run.k,
        per_query={m: dict(v) for m, v in run.per_query.get("model", {}).items()},
    )


def from_metrics(metrics: Mapping[str, Any], label: str) -> Baseline:
    """The baseline of a ``metrics.json`` object.

    Raises:
        ValueError: the object is not an evaluation's metrics.json (the message says what is missing).
    """
    try:
        settings = metrics["settings"]
        system = settings["systems"]["model"]
        per_query = metrics["systems"]["model"]["per_query"]
        baseline = Baseline(
            label=label,
            run_id=None,
            model=str(system["model"]),
            instruction=str(system["instruction"]),
            set_name=str(settings["data"]),
            set_hash=str(settings["data_sha256"]),
            k=int(settings["k"]),
            per_query={str(m): {str(q): float(v) for q, v in by_qid.items()} for m, by_qid in per_query.items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(
            f"baseline {label} is not the metrics.json of an evaluation (lacks or mangles {exc}); expected the file "
            "`python -m eval` writes into its --out folder."
        ) from None
    return baseline


def _read_metrics_file(path: Path) -> Baseline:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"baseline {path} cannot be read ({exc}); expected a metrics.json file.") from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"baseline {path} is not JSON ({exc.msg} at line {exc.lineno}); expected a metrics.json file."
        ) from None
    if not isinstance(obj, dict):
        raise ValueError(f"baseline {path} holds a JSON {type(obj).__name__}; expected metrics.json's object.")
    return from_metrics(obj, str(path))


def _last_pass(store: RunStore, set_key: str) -> Baseline:
    passed = [r for r in store.list(of_set=set_key) if r.gate == "pass"]
    if not passed:
        raise ValueError(
            f"--gate {LAST_PASS}: no gated run of {set_key!r} has passed yet in the run store {store.path}. Gate "
            "against a run id, an output folder or a metrics.json once (`python -m eval.runs list --set ...` shows "
            "the ids); each run that passes becomes the next last-pass baseline."
        )
    return from_run(store.get(passed[0].id))


def load_baseline(spec: str, *, store: RunStore, set_key: str) -> Baseline:
    """Read the baseline ``spec`` names (see the module docstring for the order).

    Args:
        spec: ``--gate``'s value.
        store: the run store (for run ids and ``last-pass``).
        set_key: the candidate's set as the store keys it (its absolute path), for ``last-pass``.

    Raises:
        ValueError: ``spec`` names nothing usable (the message says what was expected), or the file is not a
            metrics.json.
        RunStoreError: the run store cannot be read.
    """
    text = spec.strip()
    if not text:
        raise ValueError("--gate is empty; expected a run id, last-pass, an output folder or a metrics.json file.")
    if text == LAST_PASS:
        return _last_pass(store, set_key)
    path = Path(text).expanduser()
    if path.is_dir():
        inside = path / METRICS_FILE
        if not inside.is_file():
            raise ValueError(
                f"baseline folder {path} has no {METRICS_FILE}; expected the --out folder of a finished evaluation."
            )
        return _read_metrics_file(inside)
    if path.is_file():
        return _read_metrics_file(path)
    if text.isdigit() and int(text) >= 1:
        try:
            return from_run(store.get(int(text)))
        except RunNotFoundError as exc:
            raise ValueError(f"--gate {text}: {exc}") from None
    raise ValueError(
        f"--gate {text!r} is neither a run id of the run store (a positive integer from `python -m eval.runs list`), "
        f"{LAST_PASS!r}, an existing output folder, nor a metrics.json file."
    )


__all__ = ["LAST_PASS", "METRICS_FILE", "Baseline", "from_metrics", "from_run", "load_baseline"]

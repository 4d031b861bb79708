"""A scored system of an evaluation: a scorer, the instruction it is given, and how its model was named."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lychee.contract import Scorer


@dataclass(frozen=True)
class System:
    """One scored system: a scorer with an instruction.

    Attributes:
        key: ``"model"`` or ``"model_b"`` (the keys of metrics.json).
        scorer: a :class:`lychee.contract.Scorer` (``lychee.load_scorer(...)``).
        instruction: ``None`` for the scorer's default instruction.
        model_id: how the model was named (``"default"``, a folder, a hub id); part of the resume fingerprint.
    """

    key: str
    scorer: Scorer
    instruction: str | None = None
    model_id: str = ""

    @property
    def model_name(self) -> str:
        """How the model was named, or the scorer's name when it was not given."""
        return self.model_id or self.scorer.name

    @property
    def resolved_instruction(self) -> str:
        """The instruction the scorer really uses (raises the scorer's ``ValueError`` for a bad one)."""
        return self.scorer.resolve_instruction(self.instruction)

    @property
    def uses_instruction(self) -> bool:
        return self.scorer.capabilities.uses_instruction

    def describe(self) -> dict[str, Any]:
        """The system as metrics.json records it (``settings.systems`` and ``systems.<key>.description``)."""
        return {
            "model": self.model_name,
            "scorer": self.scorer.name,
            "instruction": self.resolved_instruction,
            "instruction_used_by_model": self.uses_instruction,
        }


__all__ = ["System"]

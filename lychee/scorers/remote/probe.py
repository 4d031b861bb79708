"""The load-time probe of a remote model: does the endpoint answer like a reranker at all?

An endpoint can pass discovery (it answers the protocol) and still not rerank: vLLM has served Qwen3 rerankers that
return 0.5 for every pair, and a chat or embedding model behind a rerank route answers with scores that mean nothing.
So loading a remote model scores two pairs in one request — a query against **the same text**, and against an
**unrelated** text — and a reranker must give the identical text a clearly higher P(yes) (by :data:`MIN_GAP`). When it
does not, or the probe cannot score at all, the scorer declares it — a sentence in ``info.warnings`` (the Home page,
the sidebar, ``python -m eval`` and ``python -m eval.parity`` show it; a library caller reads it there) and the
numbers in ``info.details["probe"]`` — rather than logging it. Loading never fails because of the probe; the model may
still be what the user wants to inspect.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from lychee.scorers.remote.endpoints import RemoteUnavailableError
from lychee.scorers.remote.scorer import RemoteScorer

PROBE_QUERY = "red running shoes"
PROBE_UNRELATED = "stainless steel kitchen sink drain strainer"
#: How much higher a reranker must score the identical text than the unrelated one (P(yes) difference).
MIN_GAP = 0.1


@dataclass(frozen=True)
class ProbeResult:
    """The probe's two scores, or why it could not score.

    Attributes:
        same: P(yes) of the query against the identical text.
        unrelated: P(yes) of the query against :data:`PROBE_UNRELATED`.
        error: the error that stopped the probe, else ``None``.
    """

    same: float | None
    unrelated: float | None
    error: str | None = None

    @property
    def separates(self) -> bool | None:
        """Whether the identical text scores at least :data:`MIN_GAP` higher; ``None`` when the probe failed."""
        if self.same is None or self.unrelated is None:
            return None
        return self.same - self.unrelated >= MIN_GAP

    def details(self) -> dict[str, Any]:
        """What ``info.details["probe"]`` holds."""
        return {
            "query": PROBE_QUERY,
            "unrelated": PROBE_UNRELATED,
            "score_same": self.same,
            "score_unrelated": self.unrelated,
            "min_gap": MIN_GAP,
            "separates": self.separates,
            "error": self.error,
        }

    def warning(self, name: str) -> str | None:
        """The sentence users see when the probe failed or the scores do not separate, else ``None``."""
        if self.error is not None:
            return (
                f"The load-time probe could not score two text pairs on {name}: {self.error} The endpoint answered "
                "discovery, so it was loaded, but scoring it may fail the same way."
            )
        if self.separates:
            return None
        return (
            f"{name} answers, but not like a reranker: the load-time probe scored the query '{PROBE_QUERY}' "
            f"{self.same:.3f} against the identical text and {self.unrelated:.3f} against an unrelated one "
            f"('{PROBE_UNRELATED}'); a reranker scores the identical text higher by at least {MIN_GAP}. Check that the "
            "endpoint serves a reranker (vLLM: the pooling runner with the reranker's template), not a chat or "
            "embedding model, and compare it with a local reference: python -m eval.parity --model URL --reference "
            "CHECKPOINT --data SET."
        )


def run_probe(scorer: RemoteScorer) -> ProbeResult:
    """Score the probe's two pairs (one request for the rerank protocols, two for ``openai-chat``)."""
    try:
        same, unrelated = scorer.score(PROBE_QUERY, [PROBE_QUERY, PROBE_UNRELATED])
    except (ValueError, RemoteUnavailableError) as exc:  # RemoteAnswerError is a ValueError
        return ProbeResult(None, None, error=str(exc))
    return ProbeResult(same, unrelated)


def with_probe(scorer: RemoteScorer) -> RemoteScorer:
    """Run the probe on a freshly loaded scorer (not yet shared) and declare its outcome on ``scorer.info``."""
    result = run_probe(scorer)
    warning = result.warning(scorer.name)
    info = scorer.info
    scorer.info = dataclasses.replace(
        info,
        details={**info.details, "probe": result.details()},
        warnings=info.warnings + ((warning,) if warning else ()),
    )
    return scorer


__all__ = ["MIN_GAP", "PROBE_QUERY", "PROBE_UNRELATED", "ProbeResult", "run_probe", "with_probe"]

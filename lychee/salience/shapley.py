"""Shapley value sampling over a pair's units (any scorer: the embedded default, the VLMs, remote models), with
Captum's ``ShapleyValueSampling``.

The players are the units occlusion takes away (words, image cells, clip frames; :mod:`lychee.salience.masking`); a
coalition's value is the log-odds of the pair holding only those units. Captum draws ``n_samples`` random
permutations (seeded) and credits each unit with the change it makes when added, averaged. Each unit's weight is its
Shapley value, and by efficiency the weights add up to ``log_odds(pair) - log_odds(pair with every unit removed)``.

Captum asks for one coalition at a time; here it runs twice with the same seed. The first run only records which
coalitions it will ask for (the permutations do not depend on the answers); they are scored — each distinct one once
— in **one** ``predict_pairs`` call; the second run reads the answers. The result is what Captum computes; the
batching is ours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from lychee.salience.games import Game, PairScores

#: Permutations Captum samples by default (its own default).
DEFAULT_N_SAMPLES = 25


def check_n_samples(n_samples: object) -> int:
    """``n_samples`` as a positive int, or a ValueError naming it."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples: got {n_samples!r}; expected a positive integer (Captum's default is 25).")
    return n_samples


def check_seed(seed: object) -> int:
    """``seed`` as a non-negative int, or a ValueError naming it."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: got {seed!r}; expected a non-negative integer.")
    return seed


def _run_captum(n_players: int, n_samples: int, seed: int, answer: Callable[[list[int]], float]) -> list[float]:
    """Captum's ShapleyValueSampling over ``n_players`` binary features (1 = present), its permutations drawn from a
    generator seeded with ``seed`` (its own, not torch's global one: explanations running at once in other threads
    neither disturb it nor see it); ``answer`` gives the value of a coalition (the list of removed players)."""
    import torch
    from captum.attr import ShapleyValueSampling

    def forward(masks: torch.Tensor) -> torch.Tensor:
        values = []
        for row in masks.tolist():
            values.append(answer([i for i, present in enumerate(row) if present < 0.5]))
        return torch.tensor(values, dtype=torch.float64)

    generator = torch.Generator().manual_seed(seed)

    def permutations(num_features: int, num_samples: int) -> Iterator[list[int]]:
        for _ in range(num_samples):  # what Captum's own generator does, from our generator
            yield torch.randperm(num_features, generator=generator).tolist()

    sampler = ShapleyValueSampling(forward)
    sampler.permutation_generator = permutations
    inputs = torch.ones((1, n_players), dtype=torch.float64)
    attributions = sampler.attribute(
        inputs,
        baselines=torch.zeros_like(inputs),
        feature_mask=torch.arange(n_players).unsqueeze(0),
        n_samples=n_samples,
        perturbations_per_eval=max(1, n_players),
    )
    return attributions[0].tolist()


def shapley_values(
    game: Game,
    scores: PairScores,
    run: Callable[[], int],
    *,
    n_samples: int = DEFAULT_N_SAMPLES,
    seed: int = 0,
) -> tuple[list[float], int]:
    """Shapley value sampling of ``game`` (see the module docstring).

    Args:
        game: the players and their values.
        scores: where the coalitions are requested (may already hold other requests, e.g. the pair itself).
        run: scores everything requested in ``scores`` in one call (``lambda: scores.run(scorer, instruction)``);
            returns how many pairs it scored.
        n_samples: permutations sampled (Captum's ``n_samples``).
        seed: seeds the permutations: the same seed gives the same values.

    Returns:
        One value per player, and the number of distinct pairs scored.
    """
    n_samples, seed = check_n_samples(n_samples), check_seed(seed)
    if game.n_players == 0:
        return [], run()
    handles: dict[tuple[int, ...], int] = {}

    def record(removed: list[int]) -> float:
        key = tuple(removed)
        if key not in handles:
            handles[key] = scores.request(game, removed)
        return 0.0

    _run_captum(game.n_players, n_samples, seed, record)
    n_scored = run()
    values = _run_captum(game.n_players, n_samples, seed, lambda removed: scores.value(handles[tuple(removed)]))
    return [float(v) for v in values], n_scored


def exact_shapley(n_players: int, value: Callable[[frozenset[int]], float]) -> list[float]:
    """Exact Shapley values of a game of ``n_players`` (every coalition; for a handful of players):
    ``phi_i = sum over S not holding i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S))``, with ``value(S)`` the
    value of coalition ``S`` (the players present)."""
    from itertools import combinations
    from math import factorial

    n = n_players
    out = []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        phi = 0.0
        for size in range(n):
            weight = factorial(size) * factorial(n - size - 1) / factorial(n)
            for coalition in combinations(others, size):
                members = frozenset(coalition)
                phi += weight * (value(members | {i}) - value(members))
        out.append(phi)
    return out


def players_removed(n_players: int, present: Sequence[int] | frozenset[int]) -> list[int]:
    """The players not in ``present`` (a coalition as the players it holds -> the players a game removes)."""
    keep = set(present)
    return [i for i in range(n_players) if i not in keep]


__all__ = ["DEFAULT_N_SAMPLES", "check_n_samples", "check_seed", "exact_shapley", "players_removed", "shapley_values"]

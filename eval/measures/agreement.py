"""Agreement between raters who graded the same items on an ordinal scale (grades 0-3), missing grades allowed.

* :func:`krippendorff_alpha_ordinal` — Krippendorff's α with the ordinal metric, over every item graded at least twice
  (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"; equals ``krippendorff.alpha(...,
  level_of_measurement="ordinal")``).
* :func:`fleiss_kappa` — Fleiss' κ over the items graded by every rater (Fleiss 1971; equals
  ``statsmodels.stats.inter_rater.fleiss_kappa`` on the items × grades count table).
* :func:`cohen_kappa_quadratic` — Cohen's κ with quadratic weights for two raters on the items both graded (equals
  ``sklearn.metrics.cohen_kappa_score(a, b, weights="quadratic", labels=scale)``; the weights use the grades' own
  distances on the full scale 0..max, so an unused grade does not pull two others together, as it would with
  sklearn's default ``labels=None``, which indexes only the grades that occur).
* :func:`exact_agreement` — the share of items graded at least twice on which every grade is the same.
* :func:`agreement` — all of them for a table ``item -> rater -> grade`` (:class:`Agreement`, the JSON line of
  ``python -m eval.judgments agreement --json``), and :func:`confusion_matrix`.

A measure that is undefined on the data (one rater, no item graded twice, a single grade used throughout: no
expected disagreement) is ``None``, never NaN. The tests compare every value with the three reference packages on
random sets with missing grades.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The page's grades: 0 not relevant, 1 marginal, 2 relevant, 3 exactly what was asked.
SCALE_MAX = 3


def scale_of(values: Iterable[int]) -> list[int]:
    """The grade scale ``0..max(3, highest grade)``: the labels of the quadratic weights and confusion matrices."""
    return list(range(max([SCALE_MAX, *values]) + 1))


def krippendorff_alpha_ordinal(units: Iterable[Sequence[int]]) -> float | None:
    """Krippendorff's α, ordinal metric, from each item's grades (any number per item; items graded once are not
    pairable and do not count).

    The coincidence matrix ``o[c][k] = sum over items of (n_uc n_uk - [c == k] n_uc) / (n_u - 1)``, the expected
    ``e[c][k] = (n_c n_k - [c == k] n_c) / (n - 1)``, the ordinal distance ``(sum of n_g for g from c to k
    - (n_c + n_k) / 2)²``, and ``α = 1 - sum(o δ²) / sum(e δ²)``.

    Returns:
        α, or ``None`` when no item is graded twice or the pairable grades hold a single value.

    Example:
        >>> krippendorff_alpha_ordinal([[3, 3], [0, 1], [2, 2, 2], [1]])
        0.8...
    """
    counts = [Counter(u) for u in units if len(u) >= 2]
    if not counts:
        return None
    values = sorted({v for c in counts for v in c})
    if len(values) < 2:
        return None
    observed: dict[tuple[int, int], float] = {}
    for c in counts:
        m = sum(c.values())
        for a, b in itertools.product(c, repeat=2):
            pairs = c[a] * c[b] - (c[a] if a == b else 0)
            observed[a, b] = observed.get((a, b), 0.0) + pairs / (m - 1)
    n_v = {v: sum(observed.get((v, w), 0.0) for w in values) for v in values}
    n = sum(n_v.values())
    position = {v: i for i, v in enumerate(values)}

    def distance(a: int, b: int) -> float:
        low, high = sorted((position[a], position[b]))
        between = sum(n_v[values[i]] for i in range(low, high + 1))
        return (between - (n_v[a] + n_v[b]) / 2) ** 2

    d_observed = sum(o * distance(a, b) for (a, b), o in observed.items())
    d_expected = sum(
        (n_v[a] * n_v[b] - (n_v[a] if a == b else 0.0)) / (n - 1) * distance(a, b)
        for a, b in itertools.product(values, repeat=2)
    )
    if d_expected == 0:
        return None
    return 1.0 - d_observed / d_expected


def fleiss_kappa(units: Sequence[Sequence[int]]) -> float | None:
    """Fleiss' κ (nominal) of items that all have the same number (≥ 2) of grades.

    Returns:
        κ, or ``None`` for no items, fewer than two grades per item, or one grade used throughout (expected agreement
        1).

    Raises:
        ValueError: the items have different numbers of grades (Fleiss' κ needs every rater on every item).
    """
    if not units:
        return None
    sizes = {len(u) for u in units}
    if len(sizes) != 1:
        raise ValueError(f"fleiss_kappa: every item needs the same number of grades, got sizes {sorted(sizes)}.")
    raters = sizes.pop()
    if raters < 2:
        return None
    totals: Counter[int] = Counter()
    per_item = []
    for u in units:
        c = Counter(u)
        totals.update(c)
        per_item.append((sum(n * n for n in c.values()) - raters) / (raters * (raters - 1.0)))
    n_total = float(len(units) * raters)
    p_mean = sum(per_item) / len(per_item)
    p_expected = sum((n / n_total) ** 2 for n in totals.values())
    if p_expected == 1:
        return None
    return (p_mean - p_expected) / (1 - p_expected)


def confusion_matrix(a: Sequence[int], b: Sequence[int], labels: Sequence[int]) -> list[list[int]]:
    """``m[i][j]`` = items graded ``labels[i]`` by ``a`` and ``labels[j]`` by ``b``.

    Raises:
        ValueError: ``a`` and ``b`` differ in length, or hold a grade outside ``labels``.
    """
    if len(a) != len(b):
        raise ValueError(f"confusion_matrix: got {len(a)} and {len(b)} grades; expected one pair per item.")
    index = {v: i for i, v in enumerate(labels)}
    stray = sorted({v for v in (*a, *b) if v not in index})
    if stray:
        raise ValueError(f"confusion_matrix: grades {stray} are not in the scale {list(labels)}.")
    matrix = [[0] * len(labels) for _ in labels]
    for x, y in zip(a, b):
        matrix[index[x]][index[y]] += 1
    return matrix


def cohen_kappa_quadratic(a: Sequence[int], b: Sequence[int], *, labels: Sequence[int] | None = None) -> float | None:
    """Cohen's κ with quadratic weights ``(i - j)²`` between two raters' grades of the same items.

    Args:
        a, b: the two raters' grades, item by item.
        labels: the scale (default :func:`scale_of` the grades: 0..max(3, highest)).

    Returns:
        κ, or ``None`` for no items or no expected disagreement (both raters used one and the same grade).
    """
    if not a:
        return None
    labels = list(labels) if labels is not None else scale_of([*a, *b])
    matrix = confusion_matrix(a, b, labels)
    n = len(labels)
    rows = [sum(r) for r in matrix]
    cols = [sum(matrix[i][j] for i in range(n)) for j in range(n)]
    total = sum(rows)
    observed = sum((i - j) ** 2 * matrix[i][j] for i in range(n) for j in range(n))
    expected = sum((i - j) ** 2 * cols[i] * rows[j] / total for i in range(n) for j in range(n))
    if expected == 0:
        return None
    return 1.0 - observed / expected


def exact_agreement(units: Iterable[Sequence[int]]) -> float | None:
    """The share of items graded at least twice whose grades are all equal; ``None`` when no item is."""
    pairable = [u for u in units if len(u) >= 2]
    if not pairable:
        return None
    return sum(1 for u in pairable if len(set(u)) == 1) / len(pairable)


@dataclass(frozen=True)
class Agreement:
    """Agreement of a set (or a query) of graded items.

    Attributes:
        raters: every rater with a grade, sorted.
        items: items graded by at least two raters (what α and exact agreement are over).
        krippendorff_alpha_ordinal, fleiss_kappa, exact_agreement: see the functions; ``None`` when undefined.
        fleiss_items: items graded by every rater (what Fleiss' κ is over).
        cohen_kappa_quadratic: ``"<r1>|<r2>"`` (a sorted pair) -> κ on the items both graded.
        pair_items: ``"<r1>|<r2>"`` -> how many items both graded.
    """

    raters: tuple[str, ...]
    items: int
    krippendorff_alpha_ordinal: float | None
    fleiss_kappa: float | None
    fleiss_items: int
    cohen_kappa_quadratic: dict[str, float | None]
    exact_agreement: float | None
    pair_items: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The object ``python -m eval.judgments agreement --json`` prints (keys in the documented order)."""
        return {
            "raters": list(self.raters),
            "items": self.items,
            "krippendorff_alpha_ordinal": self.krippendorff_alpha_ordinal,
            "fleiss_kappa": self.fleiss_kappa,
            "fleiss_items": self.fleiss_items,
            "cohen_kappa_quadratic": dict(self.cohen_kappa_quadratic),
            "exact_agreement": self.exact_agreement,
        }


def pair_key(a: str, b: str) -> str:
    """``"<a>|<b>"`` with the two names in sorted order."""
    return "|".join(sorted((a, b)))


def agreement(ratings: Mapping[Hashable, Mapping[str, int]]) -> Agreement:
    """Every agreement measure of ``item -> rater -> grade`` (an item without grades is ignored).

    Example:
        >>> agreement({"d1": {"ann": 3, "bob": 3}, "d2": {"ann": 0, "bob": 1}, "d3": {"ann": 2}}).exact_agreement
        0.5
    """
    rated = {item: dict(grades) for item, grades in ratings.items() if grades}
    raters = tuple(sorted({r for grades in rated.values() for r in grades}))
    units = [list(grades.values()) for grades in rated.values()]
    complete = [[grades[r] for r in raters] for grades in rated.values() if len(grades) == len(raters)]
    scale = scale_of(g for u in units for g in u)
    cohen, pair_items = {}, {}
    for a, b in itertools.combinations(raters, 2):
        both = [(g[a], g[b]) for g in rated.values() if a in g and b in g]
        key = pair_key(a, b)
        pair_items[key] = len(both)
        cohen[key] = cohen_kappa_quadratic([x for x, _ in both], [y for _, y in both], labels=scale)
    return Agreement(
        raters=raters,
        items=sum(1 for u in units if len(u) >= 2),
        krippendorff_alpha_ordinal=krippendorff_alpha_ordinal(units),
        fleiss_kappa=fleiss_kappa(complete) if len(raters) >= 2 else None,
        fleiss_items=len(complete) if len(raters) >= 2 else 0,
        cohen_kappa_quadratic=cohen,
        exact_agreement=exact_agreement(units),
        pair_items=pair_items,
    )


__all__ = [
    "SCALE_MAX",
    "Agreement",
    "agreement",
    "cohen_kappa_quadratic",
    "confusion_matrix",
    "exact_agreement",
    "fleiss_kappa",
    "krippendorff_alpha_ordinal",
    "pair_key",
    "scale_of",
]

"""Pair a missing column with an unexpected one: a suspected rename.

A validation library sees a rename as one missing and one unexpected column. Here every
(missing, unexpected) pair gets two scores in [0, 1]:

- ``name``: how alike the names are (character overlap and shared word stems);
- ``distribution``: how well the new column's values fit the old column's baseline profile,
  after parsing formatted numbers ("$54.20") where the baseline was numeric: one minus the
  Kolmogorov-Smirnov distance to the baseline quantiles for numbers, the overlap of category
  shares for categories, the parse rate for timestamps.

Pairs are taken greedily, best combined score first (``0.35 * name + 0.65 * distribution``), when
the distribution fits (>= 0.6 and combined >= 0.55) or the names are close (>= 0.8) with some fit (>= 0.3).

>>> import pandas as pd
>>> from toolkit.schema.rules import infer_rule
>>> from toolkit.kinds import Kind
>>> rule = infer_rule(pd.Series([10.0, 20.0, 30.0, 40.0] * 25), name="price", kind=Kind.NUMERIC, role="feature")
>>> batch = pd.DataFrame({"price_usd": ["$10.00", "$20.00", "$30.00", "$40.00"] * 5})
>>> [(p.missing, p.unexpected) for p in find_renames([rule], batch)]
[('price', 'price_usd')]
"""
from __future__ import annotations

import dataclasses
import difflib
import re

import numpy as np
import pandas as pd

from ..kinds import Kind
from .checks import category_view
from .rules import QUANTILE_KEYS, QUANTILE_LEVELS, ColumnRule, dtype_family, numeric_values

__all__ = ["RenamePair", "find_renames", "name_similarity", "distribution_match"]

#: Rows sampled from each unexpected column to score it (seeded; a rename shows in any sample).
SAMPLE_ROWS = 20_000


@dataclasses.dataclass(frozen=True)
class RenamePair:
    missing: str
    unexpected: str
    name: float
    distribution: float
    note: str

    @property
    def score(self) -> float:
        return 0.35 * self.name + 0.65 * self.distribution


def _tokens(name: str) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    words = re.split(r"[^0-9a-zA-Z]+", spaced.lower())
    return {w.rstrip("s") or w for w in words if w}


def name_similarity(a: str, b: str) -> float:
    """Similarity of two column names in [0, 1].

    >>> round(name_similarity("monthly_charges", "monthly_charge_usd"), 2)
    0.91
    >>> name_similarity("tenureMonths", "tenure_months")
    1.0
    """
    na = re.sub(r"[^0-9a-z]+", "_", str(a).lower()).strip("_")
    nb = re.sub(r"[^0-9a-z]+", "_", str(b).lower()).strip("_")
    ratio = difflib.SequenceMatcher(None, na, nb).ratio()
    ta, tb = _tokens(a), _tokens(b)
    jaccard = len(ta & tb) / len(ta | tb) if ta | tb else 0.0
    return float(max(ratio, jaccard))


def distribution_match(rule: ColumnRule, values: pd.Series) -> tuple[float, str]:
    """How well ``values`` fit ``rule``'s baseline profile, in [0, 1], with a short note."""
    non_null = values.dropna()
    if non_null.empty:
        return 0.0, "no values"
    family = dtype_family(values)
    if rule.kind is Kind.NUMERIC:
        arr = numeric_values(non_null)
        finite = np.sort(arr[np.isfinite(arr)])
        rate = finite.size / len(non_null)
        if rate < 0.5 or not rule.quantiles:
            return 0.0, f"{rate:.0%} parse as numbers"
        q = np.array([rule.quantiles[k] for k in QUANTILE_KEYS])
        ecdf = np.searchsorted(finite, q, side="right") / finite.size
        ks = float(np.max(np.abs(ecdf - np.array(QUANTILE_LEVELS))[1:-1]))
        parsed = f"after parsing text as numbers ({rate:.1%} parse)" if family in ("string", "mixed") else "as numbers"
        return (1.0 - ks) * rate, f"KS distance {ks:.2f} to the baseline {parsed}"
    if rule.kind in (Kind.CATEGORICAL, Kind.BOOLEAN) and rule.categories:
        view = category_view(non_null, rule.categories)
        try:
            shares = view.value_counts(normalize=True)
        except TypeError:
            shares = view.astype(str).value_counts(normalize=True)
        overlap = sum(min(float(p), float(rule.categories.get(k, 0.0))) for k, p in shares.items())
        return overlap, f"category shares overlap {overlap:.0%}"
    if rule.kind is Kind.DATETIME:
        if family == "datetime":
            return 0.9, "timestamps"
        if family in ("string", "mixed"):
            rate = float(pd.to_datetime(non_null, errors="coerce", utc=True).notna().mean())
            return 0.9 * rate, f"{rate:.0%} parse as timestamps"
        return 0.0, f"{family}, not timestamps"
    if rule.kind is Kind.IDENTIFIER:
        distinct = non_null.nunique() / len(non_null)
        same = family == rule.type
        return (0.8 if distinct > 0.9 else 0.3) * (1.0 if same else 0.6), f"{distinct:.0%} distinct"
    return (0.5 if family == rule.type else 0.2), f"{family} values"


def find_renames(missing: list[ColumnRule], batch: pd.DataFrame, unexpected: list[str] | None = None,
                 random_state: int = 0) -> list[RenamePair]:
    """Suspected renames among ``missing`` contract columns and ``unexpected`` batch columns."""
    unexpected = list(batch.columns) if unexpected is None else list(unexpected)
    if not missing or not unexpected:
        return []
    sample = batch[unexpected]
    if len(sample) > SAMPLE_ROWS:
        rng = np.random.default_rng(random_state)
        sample = sample.iloc[np.sort(rng.choice(len(sample), SAMPLE_ROWS, replace=False))]
    candidates: list[RenamePair] = []
    for rule in missing:
        for col in unexpected:
            name = name_similarity(rule.name, col)
            dist, note = distribution_match(rule, sample[col])
            pair = RenamePair(rule.name, col, name, dist, note)
            if (dist >= 0.6 and pair.score >= 0.55) or (name >= 0.8 and dist >= 0.3):
                candidates.append(pair)
    chosen: list[RenamePair] = []
    used_missing: set[str] = set()
    used_unexpected: set[str] = set()
    for pair in sorted(candidates, key=lambda p: (-p.score, p.missing, p.unexpected)):
        if pair.missing in used_missing or pair.unexpected in used_unexpected:
            continue
        chosen.append(pair)
        used_missing.add(pair.missing)
        used_unexpected.add(pair.unexpected)
    return chosen

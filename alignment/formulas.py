"""The agreement metrics, each defined once, as a row of coefficients.

Votes are coded yes 1, abstain 2, no 3. A pair's table of votes C[k, l] counts the common roll
calls on which one state cast vote k and the other vote l; T = Σ C is their number. Two votes
are 0, 1 or 2 steps apart (yes/abstain and abstain/no one step, yes/no two), and a distance
δ gives each step its weight. Every metric is

    value = 1 - scale · O / E,    O = Σ_kl C_kl δ(k, l) (the observed disagreement)

with E, what the disagreement is measured against, one of three baselines:

- ``none``: E = T (the share of the most disagreement there could be);
- ``own`` (Cohen's kappa): E = Σ_kl P_k Q_l δ(k, l) / T, the disagreement expected by chance
  from each state's own vote counts P (rows of C) and Q (columns);
- ``pooled`` (Scott's pi): E = Σ_kl M_k M_l δ(k, l) / (4T), the same from the pooled counts
  M = P + Q.

``FORMULAS`` is the one table; ``alignment.metrics`` evaluates it on arrays (floats and exact
counts alike), :func:`metric_sql` writes it as SQL over the stored cells, and the schema's
column comments and the metrics guide take their words from it. ``metrics.pair_scores``
restates the metrics plainly from their definitions, and the tests hold every form equal to
it. Pure Python: importing this loads nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from alignment.vocabulary import CELL_COLUMNS, METRICS

Baseline = Literal["none", "own", "pooled"]

# Vote k (0 yes, 1 abstain, 2 no) of the first state and l of the second sit in cell k * 3 + l.
_VOTES = range(3)


@dataclass(frozen=True)
class Distance:
    """The weight δ of two votes one step apart and two steps apart (equal votes weigh 0)."""

    name: str
    one_step: Fraction
    two_steps: Fraction
    words: str


DISTANCES: dict[str, Distance] = {
    d.name: d
    for d in (
        Distance("abs", Fraction(1, 2), Fraction(1), "|x - y| / 2"),
        Distance("sq", Fraction(1, 4), Fraction(1), "(|x - y| / 2)²"),
        Distance("nominal", Fraction(1), Fraction(1), "1 for any two different votes"),
    )
}


@dataclass(frozen=True)
class Formula:
    """One metric: ``1 - scale · O / E`` with the ``distance`` and the ``baseline``."""

    metric: str
    name: str  # who defined it, as a column comment or a chart names it
    distance: str
    baseline: Baseline
    scale: int  # 2 for Signorino and Ritter's S, which spans -1 to 1; else 1
    note: str  # what it means, in words

    @property
    def weights(self) -> tuple[Fraction, Fraction]:
        d = DISTANCES[self.distance]
        return d.one_step, d.two_steps

    @property
    def expression(self) -> str:
        """The formula in words of δ's mean over the common roll calls."""
        if self.baseline == "none":
            return "1 - mean(δ)" if self.scale == 1 else f"1 - {self.scale} mean(δ)"
        return "1 - mean(δ) / E(δ)"


_KAPPA = "Cohen's kappa (Häge 2011)"
_PI = "Scott's pi (Häge 2011)"
_CHANCE_OWN = "E(δ): the mean expected by chance from each state's own vote shares"
_CHANCE_POOLED = "E(δ): the mean expected by chance from the two states' pooled vote shares"

FORMULAS: dict[str, Formula] = {
    f.metric: f
    for f in (
        Formula("exact", "Exact agreement", "nominal", "none", 1, "share of the same vote"),
        Formula(
            "agree", "Voeten's agreement index (= Lijphart's)", "abs", "none", 1,
            "1 same vote, 0.5 one step apart, 0 yes against no",
        ),
        Formula(
            "s_abs", "Signorino and Ritter's S", "abs", "none", 2,
            "absolute distance; 2 agree - 1 unweighted",
        ),
        Formula("s_sq", "Signorino and Ritter's S", "sq", "none", 2, "squared distance"),
        Formula("kappa_abs", _KAPPA, "abs", "own", 1, _CHANCE_OWN),
        Formula("kappa_sq", _KAPPA, "sq", "own", 1, _CHANCE_OWN),
        Formula("kappa_nominal", _KAPPA, "nominal", "own", 1, _CHANCE_OWN),
        Formula("pi_abs", _PI, "abs", "pooled", 1, _CHANCE_POOLED),
        Formula("pi_sq", _PI, "sq", "pooled", 1, _CHANCE_POOLED),
        Formula("pi_nominal", _PI, "nominal", "pooled", 1, _CHANCE_POOLED),
    )
}  # fmt: skip
assert tuple(FORMULAS) == METRICS, "vocabulary.METRICS and FORMULAS name the same metrics"


# --------------------------------------------------------------------------- integer form


@dataclass(frozen=True)
class Ratio:
    """A formula with integer coefficients, as the count and SQL forms evaluate it.

    ``value = 1 - (a1 D1 + a2 D2) · g T / (b1 E1 + b2 E2)`` with a baseline, and
    ``1 - (a1 D1 + a2 D2) / (g T)`` without. D_s sums the cells s steps apart (:data:`STEP_CELLS`);
    E_s sums P_k Q_l over |k - l| = s (``own``) or M_k M_l over k < l, l - k = s (``pooled``,
    which halves 4T to the g = 2 here: M's products are symmetric).
    """

    observed: tuple[int, int]  # a1, a2
    expected: tuple[int, int]  # b1, b2 (unused without a baseline)
    times_total: int  # g


def ratio(formula: Formula) -> Ratio:
    """``formula`` scaled to integer coefficients: numerator and denominator multiplied by the
    least common multiple of the weights' denominators, so counts stay exact integers."""
    w1, w2 = formula.weights
    if formula.baseline == "none":
        a = (formula.scale * w1, formula.scale * w2)
        lcm = math.lcm(*(x.denominator for x in a))
        return Ratio((int(a[0] * lcm), int(a[1] * lcm)), (0, 0), lcm)
    lcm = math.lcm(w1.denominator, w2.denominator)
    b = (int(w1 * lcm), int(w2 * lcm))
    return Ratio(b, b, formula.scale * (2 if formula.baseline == "pooled" else 1))


RATIOS: dict[str, Ratio] = {m: ratio(f) for m, f in FORMULAS.items()}

# Cells of the votes 1 and 2 steps apart (row-major k * 3 + j).
STEP_CELLS: tuple[tuple[int, ...], tuple[int, ...]] = tuple(
    tuple(k * 3 + j for k in _VOTES for j in _VOTES if abs(k - j) == s) for s in (1, 2)
)  # type: ignore[assignment]
# Vote pairs whose chance products make E_1 and E_2: every ordered pair s steps apart for the
# own shares, each unordered pair once for the pooled ones.
CHANCE_PAIRS: dict[str, tuple[tuple[tuple[int, int], ...], ...]] = {
    "own": tuple(tuple((k, j) for k in _VOTES for j in _VOTES if abs(k - j) == s) for s in (1, 2)),
    "pooled": tuple(tuple((k, k + s) for k in _VOTES if k + s < 3) for s in (1, 2)),
}


def count_bound() -> int:
    """The largest integer the count form reaches, as a multiple of T²: with int32 counts, T
    must stay below sqrt(2**31 / count_bound())."""
    out = 1
    for m, r in RATIOS.items():
        if FORMULAS[m].baseline == "none":
            continue
        # O <= max(a) T; Σ P_k Q_l <= T²; Σ_{k<l} M_k M_l <= (2T)² / 2.
        pooled = 2 if FORMULAS[m].baseline == "pooled" else 1
        out = max(out, r.times_total * max(r.observed), pooled * max(r.expected))
    return out


# --------------------------------------------------------------------------- SQL form


def _sum(cells: dict[int, int]) -> str:
    """``Σ coefficient · cell`` over cell indices, as SQL cast to DOUBLE."""
    terms = [
        CELL_COLUMNS[i] if a == 1 else f"{a} * {CELL_COLUMNS[i]}" for i, a in cells.items() if a
    ]
    return f"CAST({' + '.join(terms)} AS DOUBLE)"


def _margins(baseline: str) -> tuple[list[str], list[str]]:
    """The vote counts the chance products multiply: P and Q (own) or M = P + Q twice."""
    p = [{k * 3 + j: 1 for j in _VOTES} for k in _VOTES]
    q = [{k * 3 + j: 1 for k in _VOTES} for j in _VOTES]
    if baseline == "own":
        return [_sum(x) for x in p], [_sum(x) for x in q]
    pooled = [
        _sum({i: p[k].get(i, 0) + q[k].get(i, 0) for i in sorted(p[k] | q[k])}) for k in _VOTES
    ]
    return pooled, pooled


def metric_sql() -> dict[str, str]:
    """Each metric as a DuckDB expression of the cell columns (``CELL_COLUMNS``) and n.

    Integer sums cast to DOUBLE before products and the one division, so the values are those
    of the count form (every intermediate an exact integer below 2**53); 0 / 0 is NaN.
    """
    out = {}
    for metric, f in FORMULAS.items():
        r = RATIOS[metric]
        observed = {i: a for step, a in zip(STEP_CELLS, r.observed, strict=True) for i in step}
        num = _sum(observed)
        total = "CAST(n AS DOUBLE)"
        if r.times_total != 1:
            total = f"{r.times_total} * {total}"
        if f.baseline == "none":
            out[metric] = f"({total} - {num}) / ({total})"
            continue
        left, right = _margins(f.baseline)
        sums = [
            " + ".join(f"{left[k]} * {right[j]}" for k, j in pairs)
            for pairs in CHANCE_PAIRS[f.baseline]
        ]
        expected = " + ".join(
            s if b == 1 else f"{b} * ({s})" for s, b in zip(sums, r.expected, strict=True)
        )
        out[metric] = (
            f"coalesce(({expected} - {total} * {num}) / nullif({expected}, 0), 'NaN'::DOUBLE)"
        )
    return out


# --------------------------------------------------------------------------- words


def comment(metric: str) -> str:
    """A metric's column comment: who defined it, δ, the formula and what it means."""
    f = FORMULAS[metric]
    undefined = (
        " NaN when undefined (both cast one and the same vote throughout)."
        if f.baseline != "none"
        else ""
    )
    return (
        f"{f.name}: {f.expression}, δ = {DISTANCES[f.distance].words}, votes coded yes 1, "
        f"abstain 2, no 3 ({f.note}).{undefined}"
    )


def markdown_table() -> str:
    """The metrics as a Markdown table (the metrics guide shows it)."""
    lines = ["| metric | name | δ | formula | meaning |", "| --- | --- | --- | --- | --- |"]
    for m, f in FORMULAS.items():
        cells = (f.name, DISTANCES[f.distance].words, f.expression, f.note)
        lines.append(f"| `{m}` | " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)

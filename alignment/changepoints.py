"""When a series shifted: the split of a series into a before and an after that differ most.

Used to date a change of a state's position, one value per roll call in date order (its
agreement with a partner on each vote), as reports do. A single change point by the
standardised difference of means (the CUSUM statistic of a shift in mean): simple, stated on
the page, and enough for "when did Belarus stop voting with Russia on Syria?".
"""

from __future__ import annotations

import numpy as np

# The fewest values on each side of a split: one or two votes do not make a position.
MIN_SIZE = 3


def change_point(values: np.ndarray, min_size: int = MIN_SIZE) -> tuple[int, float] | None:
    """The split ``k`` maximising |mean(v[:k]) - mean(v[k:])| · sqrt(k (n - k) / n), with its
    statistic; None when the series is flat or too short for ``min_size`` on each side."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    best: tuple[int, float] | None = None
    for k in range(min_size, n - min_size + 1):
        stat = abs(values[:k].mean() - values[k:].mean()) * np.sqrt(k * (n - k) / n)
        if stat > 1e-12 and (best is None or stat > best[1] + 1e-12):
            best = (k, float(stat))
    return best

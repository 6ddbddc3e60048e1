"""The change point of a series, worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alignment.changepoints import change_point


def test_change_point_by_hand() -> None:
    # k = 3: |1 - 0.2| · sqrt(3·5/8) = 1.095; k = 4: |1 - 0| · sqrt(4·4/8) = sqrt(2);
    # k = 5: |0.8 - 0| · sqrt(5·3/8) = 1.095. The split is before the fifth value.
    k, stat = change_point(np.array([1, 1, 1, 1, 0, 0, 0, 0]))
    assert k == 4 and stat == pytest.approx(math.sqrt(2))


@pytest.mark.parametrize(
    "values",
    [
        [0.5] * 10,  # flat: no change
        [1, 0, 1, 0, 1],  # fewer than three values on each side of every split
        [],
    ],
)
def test_no_change_point(values: list[float]) -> None:
    assert change_point(np.array(values)) is None


def test_minimum_size_is_kept() -> None:
    # The largest jump is after the first value, but a side needs three values.
    k, _ = change_point(np.array([0, 1, 1, 1, 1, 1, 1]))
    assert k == 3

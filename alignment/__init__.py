"""alignment: how states align in the UN General Assembly.

``alignment.connect()`` opens the vote store read-only; the analyses of a store are in
``alignment.analyses``, the computations on frames in ``alignment.metrics``,
``alignment.cohesion``, ``alignment.ideal_points`` (its EM estimator in ``alignment.em``, the
sampler's convergence diagnostics in ``alignment.convergence``) and ``alignment.clusters``.

Importing the package loads nothing else: ``connect`` is fetched on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alignment.store import connect

__all__ = ["connect"]


def __getattr__(name: str) -> Any:
    if name == "connect":
        from alignment.store import connect

        return connect
    raise AttributeError(f"module 'alignment' has no attribute {name!r}")

"""alignment: how states align in the UN General Assembly.

``alignment.connect()`` opens the vote store read-only; the analysis functions live in
``alignment.metrics``, ``alignment.ideal_points``, ``alignment.clusters`` and ``alignment.blocs``.
"""

from alignment.store import connect

__all__ = ["connect"]

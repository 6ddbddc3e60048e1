"""Interactive HTML reports built from the store (``alignment report ...``).

``build(con, spec)`` computes every part with the library's public functions and renders one
self-contained HTML file; ``write(db, spec, output)`` opens the store read-only and writes it.
Specs: :func:`alignment.reports.spec.flagship` (Belarus and Syria) and
``spec.subject``; :func:`resolve` makes the latter for any state or bloc from a store
(``alignment.reports.gallery`` writes a set of them with an index).
"""

from __future__ import annotations

from alignment.reports.build import Report, build, write
from alignment.reports.resolve import resolve, resolve_bloc, resolve_country
from alignment.reports.spec import ReportSpec, flagship

__all__ = [
    "Report", "ReportSpec", "build", "flagship", "resolve", "resolve_bloc", "resolve_country",
    "write",
]  # fmt: skip

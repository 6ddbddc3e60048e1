"""Interactive HTML reports built from the store (``alignment report ...``).

``build(con, spec)`` computes every part with the library's public functions and renders one
self-contained HTML file; ``write(db, spec, output)`` opens the store read-only and writes it.
Specs: :func:`alignment.reports.spec.flagship` (Belarus and Syria), ``spec.country`` and
``spec.bloc``; :func:`resolve_country` and :func:`resolve_bloc` make the latter two from a store.
"""

from __future__ import annotations

from alignment.reports.build import Report, build, write
from alignment.reports.resolve import resolve_bloc, resolve_country
from alignment.reports.spec import ReportSpec, flagship

__all__ = ["Report", "ReportSpec", "build", "flagship", "resolve_bloc", "resolve_country", "write"]

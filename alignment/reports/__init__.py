"""Interactive HTML reports built from the store (``alignment report ...``).

``build_report(con, spec)`` builds every section (``alignment.reports.sections``: one module each,
returning its chart, tables and facts) and renders one self-contained HTML file;
``write_report(db, spec, output)`` opens the store read-only and writes it. Specs:
:func:`alignment.reports.spec.flagship` (Belarus and Syria) and ``spec.subject``;
:func:`resolve` makes the latter for any state or bloc from a store
(``alignment.reports.gallery`` writes a set of them with an index).

Where each concern lives: the facts a report may claim, :mod:`~alignment.reports.findings`
(typed in :mod:`~alignment.reports.facts`); their wording, :mod:`~alignment.reports.sentences`;
names of states and blocs, :mod:`~alignment.reports.names`; how a vote is cited,
:mod:`~alignment.reports.citation`; chart conventions, :mod:`~alignment.reports.charts` and
:mod:`~alignment.reports.palette`; tables, :mod:`~alignment.reports.tables`; the page's layout,
``templates/``; why a report cannot be built, :mod:`~alignment.reports.errors`.
"""

from __future__ import annotations

from alignment.reports.build import Report, build_report, write_report
from alignment.reports.errors import ReportError
from alignment.reports.resolve import resolve, resolve_bloc, resolve_country
from alignment.reports.spec import ReportSpec, flagship

__all__ = [
    "Report", "ReportError", "ReportSpec", "build_report", "flagship", "resolve", "resolve_bloc",
    "resolve_country", "write_report",
]  # fmt: skip

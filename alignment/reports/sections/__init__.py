"""The sections of a report, one module each, in the order of the page: summary, coverage,
world (who votes like the subject), agreement, ideal points, state map, cohesion, votes (the
vote matrix), details (findings in detail and their table), sources.

Each module's ``build`` takes the :class:`alignment.reports.context.Context` (and the
sections it rests on) and returns a typed section: its chart (HTML), its tables and its
facts. The page (:mod:`alignment.reports.build`) renders them with the template of the same
name in ``templates/sections/``.
"""

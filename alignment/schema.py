"""The public schema of the store: tables, columns and the comments that document them.

SQL users and their scripts depend on these names. Each table is declared once here; the store
creates it with ``COMMENT ON`` for the table and every column, so ``alignment schema`` and
``duckdb_columns()`` document the store without our code.
"""

from __future__ import annotations

from dataclasses import dataclass

from alignment import formulas
from alignment.vocabulary import CELL_COLUMNS, METRICS

# 3: the changes table, the view source_differences, the macros active_on and topic_roll_calls.
SCHEMA_VERSION = 3


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str
    constraint: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    comment: str
    columns: tuple[Column, ...]
    # Unique key, checked by the build. Not declared as a PRIMARY KEY: DuckDB 1.0 cannot read
    # a v1.0.0-format file whose tables carry one, and an index would only slow the build.
    primary_key: tuple[str, ...] = ()

    def ddl(self) -> str:
        # Quoted: the public contract names a column "left", a reserved word in SQL.
        cols = [f'"{c.name}" {c.type} {c.constraint}'.rstrip() for c in self.columns]
        return f"CREATE TABLE {self.name} (\n  " + ",\n  ".join(cols) + "\n)"

    def comments(self) -> list[str]:
        def quote(text: str) -> str:
            return "'" + text.replace("'", "''") + "'"

        out = [f"COMMENT ON TABLE {self.name} IS {quote(self.comment)}"]
        out += [
            f'COMMENT ON COLUMN {self.name}."{c.name}" IS {quote(c.comment)}' for c in self.columns
        ]
        return out


def _agreement_columns(first: str, second: str) -> tuple[Column, ...]:
    """Pair, period, n and the pair's table of votes: agreement_counts and its views."""
    cells = tuple(
        Column(
            name,
            "INTEGER",
            f"Roll calls on which iso3_a voted {name.split('_')[0]} and iso3_b voted "
            f"{name.split('_')[1]} (one cell of the pair's table of votes).",
        )
        for name in CELL_COLUMNS
    )
    return (
        Column("iso3_a", "VARCHAR", first),
        Column("iso3_b", "VARCHAR", second),
        Column(
            "period_type",
            "VARCHAR",
            "session (regular session of the General Assembly) or year (calendar year of the "
            "vote).",
            "CHECK (period_type IN ('session', 'year'))",
        ),
        Column("period", "INTEGER", "The session number or the year."),
        Column(
            "n",
            "INTEGER",
            "Roll calls counted: both states voted yes, no or abstain (absence and "
            "non-membership are missing data, not disagreement); unanimous ones left out.",
        ),
        *cells,
    )


# The metric columns of the views agreement_scores and agreement_pairs: their SQL and their
# words come from the one table of formulas.
METRIC_COMMENTS = {m: formulas.comment(m) for m in METRICS}
_METRIC_COLUMNS = tuple(Column(m, "DOUBLE", METRIC_COMMENTS[m]) for m in METRICS)

# Views the build creates over the tables (their SQL: alignment.derived), with these comments.
VIEWS: tuple[Table, ...] = (
    Table(
        "agreement_scores",
        "Agreement of every pair of states in every session and every calendar year, every "
        "metric, with Voeten's defaults (unanimous roll calls dropped; amendment, paragraph and "
        "procedural votes kept): agreement_counts with the metrics computed from each pair's "
        "table of votes. One row per pair (iso3_a < iso3_b) and period in which both voted. "
        "Other windows and filters: `alignment metrics` or the macro agreement(a, b, ...).",
        (
            *_agreement_columns("One state (countries.iso3); iso3_a < iso3_b.", "The other state."),
            *_METRIC_COLUMNS,
        ),
    ),
    Table(
        "agreement_pairs",
        "agreement_scores with each pair in both orders (BLR-RUS and RUS-BLR, cells "
        "transposed): a state's partners are WHERE iso3_a = 'BLR'.",
        (
            *_agreement_columns("A state (countries.iso3): every state.", "Its partner."),
            *_METRIC_COLUMNS,
        ),
    ),
    Table(
        "agreement_long",
        "agreement_pairs with one row per metric, so that the metric is a value to filter on: "
        "WHERE iso3_a = 'BLR' AND metric = 'kappa_abs'. Each pair in both orders, every period "
        "in which both voted, every metric (" + ", ".join(METRICS) + ").",
        (
            *_agreement_columns("A state (countries.iso3): every state.", "Its partner.")[:5],
            Column("metric", "VARCHAR", "The metric's name: a column of agreement_pairs."),
            Column(
                "value",
                "DOUBLE",
                "The metric's value (NaN where undefined: kappa and pi when both states cast "
                "one and the same vote throughout).",
            ),
        ),
    ),
    Table(
        "source_differences",
        "Where the sources differ: every vote a lower-precedence source published otherwise "
        "than the vote kept (kind vote: vote_disagreements) and every roll call whose rows do "
        "not add up to a published tally (kind tally: tally_checks, finding not 'match'). What "
        "a report or analysis of some roll calls should disclose: WHERE roll_call_id IN "
        "(SELECT roll_call_id FROM topic_roll_calls('syria')).",
        (
            Column("kind", "VARCHAR", "vote (a vote the sources disagree on) or tally."),
            Column("roll_call_id", "BIGINT", "The roll call (roll_calls.roll_call_id)."),
            Column("symbol", "VARCHAR", "Its UN symbol."),
            Column("date", "DATE", "Its date."),
            Column("iso3", "VARCHAR", "The state whose vote differs (kind vote); else null."),
            Column(
                "kept",
                "VARCHAR",
                "The source and vote kept ('undl_csv: Y'), or a source's rows counted "
                "yes-no-abstain ('unxml_json rows: 100-7-58').",
            ),
            Column(
                "other",
                "VARCHAR",
                "The other source and its vote, or the published tally it is checked against "
                "('undl_marcxml tally: 100-7-59').",
            ),
            Column(
                "finding",
                "VARCHAR",
                "For a tally: the tally check's finding and by how many votes; else null.",
            ),
        ),
    ),
)


@dataclass(frozen=True)
class Macro:
    """A macro stored in the file, so the DuckDB shell and R have it too: a table macro (used
    in FROM) or, with ``table=False``, a scalar one."""

    name: str
    signature: str  # name and parameters, as in CREATE MACRO
    comment: str
    table: bool = True

    def parameters(self) -> list[tuple[str, str | None]]:
        """(name, default) of each parameter of the signature; None: no default."""
        inside = self.signature[self.signature.index("(") + 1 : self.signature.rindex(")")]
        out: list[tuple[str, str | None]] = []
        for part in inside.split(","):
            name, _, default = part.partition(":=")
            out.append((name.strip(), default.strip() or None))
        return out


_WINDOW = "start_date := NULL, end_date := NULL, drop_unanimous := true"
MACROS: tuple[Macro, ...] = (
    Macro(
        "alignment_pair_votes",
        f"alignment_pair_votes(a, b, {_WINDOW})",
        "The common roll calls of states a and b (ISO3) with their votes coded 1 yes, 2 "
        "abstain, 3 no: roll_call_id, x (a's vote), y (b's vote). Only roll calls on which "
        "both voted yes, no or abstain, dated within start_date and end_date (inclusive; NULL: "
        "no bound); unanimous ones left out unless drop_unanimous := false.",
    ),
    Macro(
        "agreement",
        f"agreement(a, b, {_WINDOW})",
        "Every metric of the pair a, b (ISO3) over one window: metric, value, n. The same "
        "numbers as alignment.metrics.dyadic_scores(..., by=None) and the agreement_scores "
        "view (the same formulas, generated from one definition). value is NULL when n = 0 "
        "and NaN where kappa or pi is undefined. Example: SELECT * FROM agreement('BLR', "
        "'RUS', start_date := DATE '2011-01-01').",
    ),
    Macro(
        "active_on",
        "active_on(first_day, last_day, day)",
        "Whether a spell from first_day to last_day (both inclusive; last_day NULL while it "
        "lasts) holds on day: the one rule of bloc_memberships and UN membership by date. The "
        "members of a bloc on a roll call's date: JOIN bloc_memberships m ON m.status = "
        "'member' AND active_on(m.joined, m.\"left\", r.date).",
        table=False,
    ),
    Macro(
        "topic_roll_calls",
        "topic_roll_calls(topic_name)",
        "The roll calls about a topic (roll_call_id): those roll_call_topics tags with "
        "strength primary, not those that only mention it. WHERE roll_call_id IN (SELECT "
        "roll_call_id FROM topic_roll_calls('syria')).",
    ),
    Macro(
        "alignment_metric",
        "alignment_metric(name)",
        "name when it names a metric (a column of agreement_pairs, a metric of "
        "agreement_long), else an error listing them: WHERE metric = alignment_metric($metric) "
        "turns a mistyped metric into a message rather than an empty answer.",
        table=False,
    ),
)

C = Column
VOTE_CHECK = "CHECK (vote IN ('Y', 'N', 'A', 'X'))"

TABLES: tuple[Table, ...] = (
    Table(
        "roll_calls",
        "One row per recorded vote of the General Assembly (a roll call), reconciled across "
        "sources: resolutions, and Voeten's amendment, paragraph and procedural votes.",
        (
            C(
                "roll_call_id",
                "BIGINT",
                "Store key, in date order. Stable within one build; "
                "to refer to a roll call across builds use symbol and date, or rcid.",
            ),
            C(
                "symbol",
                "VARCHAR",
                "Official UN symbol: A/RES/66/253, A/RES/66(I) for sessions "
                "1-30, parts after a space (A/RES/66/253 B). Null for votes with no resolution.",
            ),
            C("date", "DATE", "Date of the vote."),
            C(
                "date_inferred",
                "BOOLEAN",
                "True when no source dates the roll call and the date was inferred: that of "
                "the nearest earlier roll call of the same session by Voeten's rcid (or the "
                "nearest later one for a session's first). See the build's notes.",
            ),
            C(
                "session",
                "INTEGER",
                "Regular session of the General Assembly during which the "
                "vote took place (special and emergency special sessions sit within one).",
            ),
            C(
                "series",
                "VARCHAR",
                "The session series the symbol numbers the resolution in, as written in "
                "symbols: 78 (regular session), ES-11 (emergency special), S-32 (special); "
                "the regular session for a roll call without a symbol. See coverage.",
            ),
            C("title", "VARCHAR", "Title of the resolution or description of the motion."),
            C(
                "kind",
                "VARCHAR",
                "resolution (vote on a text as a whole), amendment, paragraph "
                "(separate vote on part of a text) or procedural.",
                "CHECK (kind IN ('resolution', 'amendment', 'paragraph', 'procedural'))",
            ),
            C(
                "important",
                "BOOLEAN",
                "Voeten's important-vote flag (US State Department list); "
                "null where no source says.",
            ),
            C("yes", "INTEGER", "Votes in favour, as published (see tally_source)."),
            C("no", "INTEGER", "Votes against, as published (see tally_source)."),
            C("abstain", "INTEGER", "Abstentions, as published (see tally_source)."),
            C(
                "non_voting",
                "INTEGER",
                "Members present or absent who cast no vote; where counted from the votes "
                "table (no source publishes it), every X, inferred ones included.",
            ),
            C(
                "tally_source",
                "VARCHAR",
                "Source of the tallies, or 'counted' when no source "
                "published them and they were counted from the votes table.",
            ),
            C(
                "rcid",
                "BIGINT",
                "Voeten's roll call id (unvotes rcid), where Voeten has the "
                "vote; joins Voeten's files such as Matches.csv.",
            ),
            C("undl_id", "BIGINT", "UN Digital Library record number of the voting record."),
            C(
                "sources",
                "VARCHAR[]",
                "Sources that publish this roll call, highest precedence first.",
            ),
        ),
        ("roll_call_id",),
    ),
    Table(
        "votes",
        "How each state voted on each roll call: one row per UN member on the day of the vote; "
        "non-members have no row.",
        (
            C("roll_call_id", "BIGINT", "The roll call (roll_calls.roll_call_id)."),
            C(
                "iso3",
                "VARCHAR",
                "The state (countries.iso3), by its UN seat: USSR votes are "
                "RUS, Byelorussian SSR votes BLR.",
            ),
            C(
                "vote",
                "VARCHAR",
                "Y yes, N no, A abstain, X absent or non-voting (a member "
                "that cast no vote; distinct from abstention). See inferred.",
                VOTE_CHECK,
            ),
            C("source", "VARCHAR", "Source the vote was taken from (see vote_disagreements)."),
            C(
                "inferred",
                "BOOLEAN",
                "True for an X no source recorded: the state was a member on the day, and "
                "the only sources of the roll call list voters alone (unvotes, the UN's JSON) "
                "and do not list it. Absent, or a row the source lacks (unvotes holds 40 of "
                "Zimbabwe's 119 votes of session 71): missing data, not a recorded absence. "
                "Count absences with WHERE vote = 'X' AND NOT inferred.",
            ),
        ),
        ("roll_call_id", "iso3"),
    ),
    Table(
        "countries",
        "Every state that held a UN seat, by ISO3, with its codes in other schemes and its "
        "predecessors and successors.",
        (
            C(
                "iso3",
                "VARCHAR",
                "ISO 3166-1 alpha-3 code of the seat; historical seats keep "
                "their own (YUG, CSK, DDR, YMD).",
            ),
            C("name", "VARCHAR", "Current (or last) short name."),
            C("iso2", "VARCHAR", "ISO 3166-1 alpha-2 code."),
            C("cow_code", "INTEGER", "Correlates of War country code, as in Voeten's data."),
            C("un_member_from", "DATE", "Admission to the United Nations."),
            C("un_member_to", "DATE", "End of the seat (dissolution, merger); null if current."),
            C(
                "un_member_gaps",
                "VARCHAR",
                "Periods without a seat, from/to, |-separated (Syria "
                "within the United Arab Republic, 1958-1961).",
            ),
            C("predecessors", "VARCHAR", "Earlier states or names of this seat, |-separated."),
            C("successors", "VARCHAR", "States that succeeded this seat, |-separated ISO3."),
            C("note", "VARCHAR", "Notes on the seat."),
        ),
        ("iso3",),
    ),
    Table(
        "country_codes",
        "Every name and code the sources use for a state, mapped to ISO3 (the crosswalk).",
        (
            C("scheme", "VARCHAR", "name, cow, iso2 or iso3."),
            C("code", "VARCHAR", "The name (normalised) or code as a source writes it."),
            C("iso3", "VARCHAR", "The seat it stands for."),
            C("valid_from", "DATE", "First day the mapping holds (null: always)."),
            C("valid_to", "DATE", "Last day the mapping holds (null: always)."),
            C("note", "VARCHAR", "Where the form was seen."),
        ),
    ),
    Table(
        "blocs",
        "Blocs and organisations whose membership analyses use.",
        (
            C("bloc", "VARCHAR", "Short id used everywhere (csto, eaeu, eu, ...)."),
            C("name", "VARCHAR", "Full name."),
            C("founded", "DATE", "Founding or entry into force."),
            C("dissolved", "DATE", "End, if it ended."),
            C("description", "VARCHAR", "What the bloc is."),
            C("source", "VARCHAR", "Where the facts come from."),
        ),
        ("bloc",),
    ),
    Table(
        "bloc_memberships",
        "Membership spells: a state was in a bloc with a status from joined to left "
        "(inclusive). A suspension or freeze is a spell of its own.",
        (
            C("bloc", "VARCHAR", "The bloc (blocs.bloc)."),
            C("iso3", "VARCHAR", "The state (countries.iso3)."),
            C("joined", "DATE", "First day of the spell."),
            C("left", "DATE", "Last day of the spell (inclusive); null if ongoing."),
            C("status", "VARCHAR", "member, suspended, frozen, associate, observer ..."),
            C("source", "VARCHAR", "Citation or URL for the dates."),
            C("note", "VARCHAR", "Notes, e.g. on approximate dates."),
            C("date_precision", "VARCHAR", "day, month or year: how precise the dates are."),
        ),
    ),
    Table(
        "roll_call_topics",
        "Topics of each roll call, one row per roll call and topic: Voeten's six issue codes, "
        "UN Digital Library subject headings and the named topics of this project "
        "(data/topic_rules.csv, data/topic_lists.csv). A named topic is primary (the roll call "
        "is about it) or a mention (it only mentions it); --topic, reports and the curated "
        "queries take primary ones unless asked for mentions (syria+mentions). Why: "
        "topic_evidence, or `alignment topics explain SYMBOL`.",
        (
            C("roll_call_id", "BIGINT", "The roll call."),
            C(
                "topic",
                "VARCHAR",
                "me, nu, di, hr, co, ec (Voeten); a subject heading in capitals "
                "(UN Digital Library); or a named topic such as syria.",
            ),
            C("scheme", "VARCHAR", "voeten, subject or named."),
            C(
                "strength",
                "VARCHAR",
                "primary (about the topic) or mention. Voeten's codes and subject headings "
                "(as topics of their own) are primary; for a named topic: the curated list's "
                "word where it names the roll call, else primary when any evidence is.",
                "CHECK (strength IN ('primary', 'mention'))",
            ),
            C(
                "basis",
                "VARCHAR",
                "The evidence that decided: list (data/topic_lists.csv), title, symbol (a "
                "session convened on the topic, ES-11), agenda (the agenda item), resolution "
                "(a separate vote takes the topics of its text's vote), meeting record (a "
                "title that is a transcript: a mention at most), subject (a subject heading: "
                "a mention), voeten.",
            ),
            C("rule", "VARCHAR", "The rule or list entry (topic_rules.csv line 7 ...)."),
        ),
        ("roll_call_id", "topic", "scheme"),
    ),
    Table(
        "topic_evidence",
        "Every piece of evidence for the named topics of roll_call_topics: each rule or list "
        "entry that matched, with the text it matched (alignment topics explain SYMBOL).",
        (
            C("roll_call_id", "BIGINT", "The roll call."),
            C("topic", "VARCHAR", "The named topic."),
            C(
                "strength",
                "VARCHAR",
                "What this evidence says: primary or mention.",
                "CHECK (strength IN ('primary', 'mention'))",
            ),
            C(
                "basis",
                "VARCHAR",
                "list, title, symbol, agenda, resolution, meeting record or subject.",
            ),
            C(
                "rule",
                "VARCHAR",
                "The rule (topic_rules.csv line N) or list entry (topic_lists.csv line N).",
            ),
            C(
                "matched",
                "VARCHAR",
                "The text it matched (title, agenda item, heading, symbol), cut to 200 characters.",
            ),
            C("note", "VARCHAR", "The rule's note, or the list entry's source and note."),
        ),
    ),
    Table(
        "roll_call_sources",
        "How each source published each roll call (its id, symbol, date, title, tallies).",
        (
            C("roll_call_id", "BIGINT", "The reconciled roll call."),
            C("source", "VARCHAR", "voeten, unvotes, undl_csv, undl_marcxml or unxml_json."),
            C("source_id", "VARCHAR", "The source's own id (rcid, record number, symbol)."),
            C("symbol", "VARCHAR", "Symbol as the source gives it, made official."),
            C("date", "DATE", "Date as the source gives it."),
            C("title", "VARCHAR", "Title as the source gives it."),
            C("kind", "VARCHAR", "Kind as the source says (null: not said)."),
            C("yes", "INTEGER", "Published yes tally (null: not published)."),
            C("no", "INTEGER", "Published no tally."),
            C("abstain", "INTEGER", "Published abstention tally."),
            C("non_voting", "INTEGER", "Published non-voting tally."),
        ),
    ),
    Table(
        "vote_disagreements",
        "Every vote a lower-precedence source published differently from the vote kept "
        "(precedence: undl_csv, undl_marcxml, unxml_json, voeten, unvotes).",
        (
            C("roll_call_id", "BIGINT", "The roll call."),
            C("iso3", "VARCHAR", "The state."),
            C("kept_source", "VARCHAR", "Source of the vote kept in votes."),
            C("kept_vote", "VARCHAR", "The vote kept."),
            C("other_source", "VARCHAR", "The source that disagrees."),
            C("other_vote", "VARCHAR", "Its vote."),
        ),
    ),
    Table(
        "source_agreement",
        "How far the sources agree: for each pair of sources, the roll calls and votes both "
        "publish and how many of those votes differ (absences a source only implies are "
        "left out).",
        (
            C("source_a", "VARCHAR", "One source."),
            C("source_b", "VARCHAR", "The other source."),
            C("shared_roll_calls", "BIGINT", "Roll calls both publish."),
            C("shared_votes", "BIGINT", "State votes both publish."),
            C(
                "differing_votes",
                "BIGINT",
                "Of those, votes that differ (see vote_disagreements "
                "for the ones that differ from the vote kept).",
            ),
        ),
    ),
    Table(
        "tally_checks",
        "Each source's rows, and the votes kept (source 'store'), counted and set against every "
        "yes/no/abstain tally a source publishes for the roll call: where a source's rows fall "
        "short of its own tally, or of another's (the UN's JSON lists 58 abstentions of "
        "A/RES/77/293 and counts 59). Inferred absences are no rows. Only roll calls with a "
        "published tally.",
        (
            C("roll_call_id", "BIGINT", "The roll call."),
            C("source", "VARCHAR", "Whose rows are counted: a source, or store (the votes kept)."),
            C("yes", "INTEGER", "Yes rows."),
            C("no", "INTEGER", "No rows."),
            C("abstain", "INTEGER", "Abstain rows."),
            C("tally_source", "VARCHAR", "The source whose published tally they are set against."),
            C("tally_yes", "INTEGER", "Its yes tally."),
            C("tally_no", "INTEGER", "Its no tally."),
            C("tally_abstain", "INTEGER", "Its abstain tally."),
            C(
                "missing",
                "INTEGER",
                "Votes the rows lack to reach the tally (summed over yes, no, abstain).",
            ),
            C("excess", "INTEGER", "Votes the rows hold beyond the tally."),
            C(
                "finding",
                "VARCHAR",
                "match, rows short (lacking only), rows over (beyond only) or rows differ.",
                "CHECK (finding IN ('match', 'rows short', 'rows over', 'rows differ'))",
            ),
        ),
        ("roll_call_id", "source", "tally_source"),
    ),
    Table(
        "decisions_without_vote",
        "Resolutions a source lists as adopted without a vote (the UN's per-session JSON, "
        "sessions 74-80): no roll call, no votes. With roll_calls, the share of decisions "
        "taken without a vote (query share_adopted_without_vote); coverage.without_vote "
        "says for which series this is known.",
        (
            C("symbol", "VARCHAR", "Official symbol."),
            C("date", "DATE", "Date of adoption."),
            C("session", "INTEGER", "Regular session of the adoption."),
            C("series", "VARCHAR", "Session series as in symbols: 78, ES-11, S-32."),
            C("title", "VARCHAR", "Title of the resolution."),
            C("agenda", "VARCHAR[]", "Titles of the agenda items."),
            C("subjects", "VARCHAR[]", "UN Digital Library subject headings."),
            C("topics", "VARCHAR[]", "Named topics it is about (the rules of roll_call_topics)."),
            C("topic_mentions", "VARCHAR[]", "Named topics it only mentions."),
            C("source", "VARCHAR", "The source that lists it."),
        ),
        ("symbol", "date"),
    ),
    Table(
        "coverage",
        "What the store holds of each session series, for the store as reconciled (source "
        "'store') and for each source: votes, resolutions, decisions without a vote, gaps in "
        "the resolution numbering and the date through which the holdings are complete. A "
        "series is written as in symbols: 78 (regular session), ES-11 (emergency special), "
        "S-32 (special); a roll call without a symbol counts in its regular session.",
        (
            C("series", "VARCHAR", "The session series: 78, ES-11, S-32."),
            C("series_kind", "VARCHAR", "regular, emergency special or special."),
            C("series_number", "INTEGER", "The number of the session within its kind."),
            C("source", "VARCHAR", "store (all sources reconciled) or a source."),
            C("first_vote", "DATE", "First roll call (null: none)."),
            C("last_vote", "DATE", "Last roll call."),
            C("roll_calls", "INTEGER", "Roll calls."),
            C(
                "resolutions",
                "INTEGER",
                "Distinct symbols voted on (resolutions with a roll call).",
            ),
            C(
                "without_vote",
                "INTEGER",
                "Resolutions listed as adopted without a vote; null where no source lists "
                "every resolution of the series (then that share is unknown).",
            ),
            C(
                "highest_number",
                "INTEGER",
                "Highest resolution number seen (votes and listed decisions).",
            ),
            C(
                "numbering_gaps",
                "INTEGER",
                "Resolution numbers from 1 to highest_number with neither a roll call nor a "
                "listed decision (null for the consecutive numbering of sessions 1-30). Where "
                "without_vote is null most of them are decisions taken without a vote.",
            ),
            C("gaps", "VARCHAR", "Those numbers as ranges (254, 258-260), cut to 160 characters."),
            C("last_record", "DATE", "Last roll call or listed decision."),
            C(
                "complete_through",
                "DATE",
                "The date through which the holdings are complete: last_record, or, where "
                "every decision is listed and the numbering has a gap, the date of the last "
                "resolution numbered before the first gap (null: a gap from number 1).",
            ),
        ),
        ("series", "source"),
    ),
    Table(
        "voeten_matches",
        "Voeten's bridging pairs: roll calls judged identical across sessions (Bailey, "
        "Strezhnev & Voeten 2017), by rcid.",
        (
            C("rcid1", "BIGINT", "Earlier roll call (roll_calls.rcid)."),
            C("rcid2", "BIGINT", "Later roll call (roll_calls.rcid)."),
        ),
    ),
    Table(
        "ideal_points",
        "Dynamic ideal points of every state in every period from its recorded votes: the "
        "ordered probit with a random walk of Bailey, Strezhnev & Voeten (2017), bridged by "
        "voeten_matches, United States positive (alignment.ideal_points). Estimated by a "
        "deterministic variational EM with a parametric bootstrap (method em), or by the "
        "published model's sampler (method mcmc). The refresh stores two series, both from "
        "all votes, by EM with 50 bootstrap replicates: by session (the legacy series of "
        "Voeten's published estimates) and by calendar year (as his current releases); other "
        "periods, vote sets and methods: `alignment ideal-points`. Recomputed only when the "
        "votes change (store_meta key ideal_points_input); store_meta holds each series' "
        "method and diagnostics (ideal_points_<period_type>_<vote_set>_method, ..._iterations, "
        "..._replicates; for mcmc ..._rhat_max, ..._converged).",
        (
            C("iso3", "VARCHAR", "The state (countries.iso3)."),
            C(
                "period_type",
                "VARCHAR",
                "session (regular session of the General Assembly) or year (calendar year of "
                "the vote).",
                "CHECK (period_type IN ('session', 'year'))",
            ),
            C("period", "INTEGER", "The session number or the year."),
            C("session", "INTEGER", "The session, for period_type session; null for years."),
            C(
                "vote_set",
                "VARCHAR",
                "all (every recorded vote, amendment and paragraph votes from 1990 left out as "
                "in the published estimates) or final-passage (votes on texts as a whole only).",
                "CHECK (vote_set IN ('all', 'final-passage'))",
            ),
            C(
                "method",
                "VARCHAR",
                "em (variational EM, intervals by parametric bootstrap) or mcmc (the "
                "published sampler, intervals from its draws).",
                "CHECK (method IN ('em', 'mcmc'))",
            ),
            C(
                "ideal_point",
                "DOUBLE",
                "The position on the one dimension (EM: the estimate; mcmc: the posterior "
                "mean), standardised to mean 0, sd 1 over all country-periods of the series; "
                "higher is closer to the United States. Comparable across periods of one "
                "series.",
            ),
            C(
                "se",
                "DOUBLE",
                "Standard error (EM: sd of the bootstrap replicates plus the variational "
                "variance; mcmc: posterior sd).",
            ),
            C("lower", "DOUBLE", "Lower end of the 90% interval (5% point)."),
            C("upper", "DOUBLE", "Upper end of the 90% interval (95% point)."),
            C("n_votes", "INTEGER", "Yes, no and abstain votes of the state in the model."),
            C(
                "iterations",
                "INTEGER",
                "EM: iterations of the fit; mcmc: draws kept per chain.",
            ),
            C(
                "final_change",
                "DOUBLE",
                "EM: the largest change of a position in the last iteration (the fit stops "
                "below 0.001); null for mcmc.",
            ),
            C("replicates", "INTEGER", "EM: bootstrap replicates behind se and the interval."),
            C(
                "rhat",
                "DOUBLE",
                "mcmc: rank-normalised split-R-hat of the estimate over the chains (Vehtari et "
                "al. 2021); at most 1.01 is the publication standard. Null for EM.",
            ),
            C("ess_bulk", "DOUBLE", "mcmc: bulk effective sample size of the draws (400 or more)."),
            C("ess_tail", "DOUBLE", "mcmc: tail effective sample size (5% and 95% quantiles)."),
        ),
        ("iso3", "period_type", "period", "vote_set"),
    ),
    Table(
        "agreement_counts",
        "Every pair's table of votes in every session and every calendar year, with Voeten's "
        "defaults (unanimous roll calls dropped; amendment, paragraph and procedural votes "
        "kept): one row per pair (iso3_a < iso3_b) and period in which both voted. The views "
        "agreement_scores (every metric) and agreement_pairs (both orders) read it.",
        _agreement_columns("One state (countries.iso3); iso3_a < iso3_b.", "The other state."),
    ),
    Table(
        "roll_call_cohesion",
        "Cohesion of each bloc on each roll call on which at least one of its members voted: "
        "members are the states with status 'member' on the day of the vote.",
        (
            C("roll_call_id", "BIGINT", "The roll call."),
            C("bloc", "VARCHAR", "The bloc (blocs.bloc)."),
            C("yes", "INTEGER", "Members that voted yes."),
            C("no", "INTEGER", "Members that voted no."),
            C("abstain", "INTEGER", "Members that abstained."),
            C(
                "members_voting",
                "INTEGER",
                "yes + no + abstain (absent and non-voting members are left out).",
            ),
            C(
                "cohesion",
                "DOUBLE",
                "Hix-Noury-Roland agreement index: (max - (total - max) / 2) / total over "
                "yes, no, abstain; 1 when all vote alike, 0 for an even three-way split.",
            ),
            C(
                "plurality",
                "VARCHAR",
                "The bloc's line: its members' most common vote (Y, N or A); null when two "
                "votes tie for most common, so that nobody defects (see bloc_defections).",
            ),
        ),
    ),
    Table(
        "bloc_cohesion",
        "Mean cohesion of each bloc per session and per calendar year (roll_call_cohesion "
        "averaged over the roll calls on which a member voted; all roll calls count).",
        (
            C("bloc", "VARCHAR", "The bloc (blocs.bloc)."),
            C(
                "period_type",
                "VARCHAR",
                "session or year.",
                "CHECK (period_type IN ('session', 'year'))",
            ),
            C("period", "INTEGER", "The session number or the year."),
            C("cohesion", "DOUBLE", "Mean agreement index over the roll calls."),
            C("n_roll_calls", "INTEGER", "Roll calls on which at least one member voted."),
        ),
    ),
    Table(
        "bloc_defections",
        "Members that voted against their bloc's plurality on a roll call (yes, no or "
        "abstain; absence is not a defection). When two votes tie for most common there is no "
        "line to defect from and nobody is listed.",
        (
            C("roll_call_id", "BIGINT", "The roll call."),
            C("bloc", "VARCHAR", "The bloc (blocs.bloc)."),
            C("iso3", "VARCHAR", "The member that defected."),
            C("vote", "VARCHAR", "Its vote: Y, N or A."),
            C("bloc_plurality_vote", "VARCHAR", "The most common vote of the bloc's members."),
        ),
    ),
    Table(
        "source_files",
        "The upstream files this store was built from, with their versions.",
        (
            C("source", "VARCHAR", "Reader that read the file."),
            C("location", "VARCHAR", "Path or URL the file came from."),
            C("sha256", "VARCHAR", "Checksum of the file as read."),
            C("size", "BIGINT", "Bytes."),
            C("modified", "TIMESTAMP", "Last-Modified (URL) or file time (path)."),
            C("etag", "VARCHAR", "HTTP ETag, for conditional refreshes."),
            C("roll_calls", "INTEGER", "Roll calls read from it."),
            C("votes", "INTEGER", "Votes read from it."),
            C("notes", "VARCHAR", "What the reader noticed (repeats, count mismatches...)."),
        ),
    ),
    Table(
        "fetch_state",
        "What `alignment refresh` last saw of each upstream address: the validators sent back "
        "in conditional requests, written with the data they describe. Empty in a store built "
        "with --from.",
        (
            C("url", "VARCHAR", "Address checked: URL, file:// URL or path in a local mirror."),
            C(
                "source",
                "VARCHAR",
                "undl_list (the UN DL file list), undl, marcxml, unxml, voeten or unvotes.",
            ),
            C("name", "VARCHAR", "Path of the file in the mirror layout and the download cache."),
            C("etag", "VARCHAR", "ETag of the version held (sent back as If-None-Match)."),
            C(
                "last_modified",
                "VARCHAR",
                "Last-Modified header of the version held, as sent (sent back as "
                "If-Modified-Since).",
            ),
            C("sha256", "VARCHAR", "Checksum of the version held."),
            C("size", "BIGINT", "Bytes of the version held."),
            C("mtime_ns", "BIGINT", "File time (ns) of a local mirror file; null over HTTP."),
            C(
                "status",
                "INTEGER",
                "Last HTTP status (200 downloaded, 304 unchanged, 404 absent); null for a "
                "local mirror.",
            ),
            C(
                "absent",
                "BOOLEAN",
                "The address answered 404: no file yet (a session not yet opened); checked "
                "again on every refresh.",
            ),
            C("fetched_at", "TIMESTAMP", "When the version held was downloaded (UTC)."),
            C("checked_at", "TIMESTAMP", "When the build of this store checked it (UTC)."),
        ),
        ("url",),
    ),
    Table(
        "changes",
        "What each refresh changed, against the store it replaced (alignment.revisions): "
        "roll calls it added (new), votes a source corrected (corrected: one row per state), "
        "roll calls no source holds any more (removed). Kept across rebuilds, keyed by "
        "refresh_log.refresh_id; recorded from the refresh named in store_meta key "
        "changes_from on (a store's first build has nothing to compare with). What the new "
        "votes say: `alignment changes`.",
        (
            C("refresh_id", "INTEGER", "The refresh whose build made the change (refresh_log)."),
            C(
                "change",
                "VARCHAR",
                "new (a roll call the store did not hold), corrected (a state's vote differs "
                "from the one the store held) or removed (a roll call no source holds now).",
                "CHECK (change IN ('new', 'corrected', 'removed'))",
            ),
            C(
                "key",
                "VARCHAR",
                "The roll call across builds: rcid:<Voeten's rcid>, else <symbol>|<date> "
                "(roll_call_id is renumbered by every build).",
            ),
            C(
                "roll_call_id",
                "BIGINT",
                "The roll call in this store (roll_calls.roll_call_id); null when no longer in it.",
            ),
            C("symbol", "VARCHAR", "Its symbol, when the change was recorded."),
            C("date", "DATE", "Its date."),
            C("title", "VARCHAR", "Its title."),
            C("iso3", "VARCHAR", "For corrected: the state whose vote changed."),
            C(
                "before",
                "VARCHAR",
                "For corrected: the vote held before (Y, N, A, X; null: no row).",
            ),
            C("after", "VARCHAR", "For corrected: the vote held after (null: no row)."),
            C("source", "VARCHAR", "For corrected: the source the vote is now taken from."),
        ),
        ("refresh_id", "change", "key", "iso3"),
    ),
    Table(
        "refresh_log",
        "Every build of this store, kept across rebuilds, newest last. A refresh that finds "
        "nothing new, or fails, does not touch the store: the last attempt, whatever its "
        "outcome, is in <store>.last-refresh.json (see `alignment status`).",
        (
            C("refresh_id", "INTEGER", "Sequence number."),
            C("started_at", "TIMESTAMP", "Start (UTC)."),
            C("finished_at", "TIMESTAMP", "End (UTC)."),
            C(
                "outcome",
                "VARCHAR",
                "updated, current (nothing new), bad_data, temporary_failure or error.",
            ),
            C("message", "VARCHAR", "What happened, in a sentence."),
            C("sources", "VARCHAR", "Where the data came from (paths, mirror or URLs)."),
            C("roll_calls", "INTEGER", "Roll calls in the store after the refresh."),
            C("votes", "BIGINT", "Votes in the store after the refresh."),
        ),
    ),
    Table(
        "store_meta",
        "Facts about this store file: schema version, build time, software versions.",
        (
            C("key", "VARCHAR", "Name of the fact."),
            C("value", "VARCHAR", "Its value."),
        ),
        ("key",),
    ),
)

BY_NAME = {t.name: t for t in TABLES}

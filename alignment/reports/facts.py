"""The facts a report states, as typed records: what :mod:`alignment.reports.findings`
establishes and :mod:`alignment.reports.sentences` puts into words.

Shares are fractions (0.75, not 75); ``n`` counts the contested roll calls a share rests on
(both voted yes, no or abstain; roll calls on which every voting state voted alike left out).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class StateShare:
    """How often one state (or majority key) voted the same way as the report's focus."""

    iso3: str
    exact: float  # share of the common contested roll calls with the same vote
    n: int


@dataclass(frozen=True)
class Extremes:
    """Who voted most and least often like the focus, among the states with enough votes in
    common: at least ``least`` contested roll calls, ``share`` of the ``focus_n`` on which the
    focus voted. ``top`` and ``bottom`` hold every state tied at the printed percentage, most
    votes in common first."""

    focus_n: int
    share: float
    least: int
    n_eligible: int
    top: list[StateShare]
    bottom: list[StateShare]


@dataclass(frozen=True)
class Move:
    """The share alike with a partner in two successive sessions, with the bootstrap interval
    (``level``) of the change."""

    partner: str
    session_before: int
    before: float
    n_before: int
    session_after: int
    after: float
    n_after: int
    lower: float | None = None
    upper: float | None = None
    level: float = 0.95


@dataclass(frozen=True)
class Latest:
    """What changed in the latest session: the notable shifts of every state's share alike
    with the focus against the session before (:func:`alignment.shifts.session_shifts`)."""

    session: int
    previous: int
    first_day: dt.date
    last_day: dt.date
    sitting: bool  # the store's records stop before the session's end
    n_roll_calls: int
    n_states: int  # states compared in both sessions
    falls: int  # notable falls and rises
    rises: int
    largest: list[Move]  # the largest notable shifts, at most three
    level: float
    min_votes: int
    min_change: float
    min_share: float = 0.8


@dataclass(frozen=True)
class Gap:
    """A series of sessions whose records stop inside the report's window: later votes of it,
    if it met again, are missing."""

    series: str  # "ES-11"
    last_record: dt.date


@dataclass(frozen=True)
class Unity:
    """On how many roll calls (with at least two members voting) all the bloc's voting members
    cast the same vote."""

    n: int
    alike: int


@dataclass(frozen=True)
class Defection:
    """How many times a member voted against the majority of its bloc."""

    iso3: str
    n: int


@dataclass(frozen=True)
class KeyVote:
    """How the members of a bloc voted on one roll call (named by the spec, or the one that
    divided the bloc most)."""

    roll_call_id: int
    symbol: str | None
    date: dt.date
    title: str | None
    tally: tuple[int | None, int | None, int | None]  # yes, no, abstain
    bloc: str
    chosen_by: str  # "named" | "least_cohesive"
    members: list[str]
    votes: dict[str, str | None]  # member -> vote code (None: no row)
    voted_no: list[str]
    voted_yes: list[str]
    abstained: list[str]
    no_vote: list[str]
    kind: str = "resolution"
    undl_id: int | None = None


@dataclass(frozen=True)
class SummaryFacts:
    """The numbers of the summary."""

    kind: str  # "country" | "bloc"
    subject: str
    focus: str
    topic_label: str | None
    n_roll_calls: int
    first_date: dt.date
    last_date: dt.date
    key_vote: KeyVote | None
    extremes: Extremes | None
    partners: list[StateShare]
    largest_change: Move | None  # the largest session-to-session change that passes the rule
    unity: Unity | None = None  # bloc reports only
    defectors: list[Defection] | None = None  # bloc reports only
    gaps: list[Gap] | None = None  # series whose records stop inside the window
    latest: Latest | None = None  # the latest session, when it differs


@dataclass(frozen=True)
class DifferentVote:
    """A roll call on which two states both voted and their votes differ."""

    roll_call_id: int
    symbol: str | None
    date: dt.date
    title: str | None
    kind: str
    vote_a: str
    vote_b: str
    undl_id: int | None = None


@dataclass(frozen=True)
class Differences:
    """The topic's roll calls on which ``a`` and ``b`` both voted and voted differently."""

    a: str
    b: str
    n_common: int  # roll calls on which both voted yes, no or abstain
    roll_calls: list[DifferentVote]


@dataclass(frozen=True)
class SessionAgreement:
    session: int
    agree: float
    n: int


@dataclass(frozen=True)
class SessionChange:
    session: int
    previous_session: int
    before: float
    after: float


@dataclass(frozen=True)
class ChangePoint:
    """The roll call before which the vote-by-vote agreement shifts most."""

    roll_call_id: int
    symbol: str | None
    date: dt.date
    before: float
    after: float
    n_before: int
    n_after: int
    title: str | None = None
    kind: str = "resolution"
    undl_id: int | None = None


@dataclass(frozen=True)
class EventSplit:
    """Mean vote-by-vote agreement before and from a marked date."""

    date: dt.date
    label: str
    before: float | None
    after: float | None
    n_before: int
    n_after: int


@dataclass(frozen=True)
class PositionChange:
    """When the focus's agreement with a partner moved."""

    partner: str
    threshold: float
    sessions: list[SessionAgreement]
    changes: list[SessionChange]
    change_point: ChangePoint | None
    events: list[EventSplit]

"""What a report is about: the state or bloc, the topic, the window and who it is compared with.

The flagship (``belarus-syria``) is one :class:`ReportSpec`; ``alignment report country`` and
``alignment report bloc`` build the same kind of spec for any state or bloc, so every report has
the same parts, computed by the same code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from alignment.reports.palette import MAX_COLOURED

# Pseudo-states: a bloc's majority vote on each roll call is a row of its own, keyed like this.
MAJORITY_PREFIX = "bloc:"

# Default window start: the flagship's question starts with the Syrian war (2011).
DEFAULT_START_YEAR = 2011

# Major powers compared with in generic reports.
POWERS = ("USA", "RUS", "CHN")

# States a report compares its subject with (--partners), at most: one colour each.
MAX_PARTNERS = MAX_COLOURED

# Blocs larger than this are shown as one majority row rather than member by member.
MAX_BLOC_COLUMNS = 12
# A bloc report draws its members' ideal points up to this many members (the EU's 27, not the
# 120 of the Non-Aligned Movement).
MAX_IDEAL_MEMBERS = 40

# Blocs whose members colour the map, in priority order (a state in two gets the first).
MAP_BLOCS = ("csto", "eaeu", "eu", "nato", "arab_league", "oic", "nam")


def majority_key(bloc: str) -> str:
    return f"{MAJORITY_PREFIX}{bloc}"


def is_majority(key: str) -> bool:
    return key.startswith(MAJORITY_PREFIX)


def majority_bloc(key: str) -> str:
    return key[len(MAJORITY_PREFIX) :]


@dataclass(frozen=True)
class ReportSpec:
    """Everything that differs between reports; the computations are shared."""

    slug: str  # file name without .html
    title: str
    kind: str  # "country" or "bloc"
    subject: str  # ISO3 or bloc id
    focus: str  # the row every comparison is made from: an ISO3 or majority_key(bloc)
    topic: str | None = None
    start_year: int | None = DEFAULT_START_YEAR
    end_year: int | None = None
    matrix_states: tuple[str, ...] = ()  # always shown in the vote matrix
    matrix_blocs: tuple[str, ...] = ()  # members at the date of each vote are shown
    majority_blocs: tuple[str, ...] = ("eu",)  # shown as one row: the members' majority
    partners: tuple[str, ...] = ()  # agreement over time with the focus
    change_partners: tuple[str, ...] = ()  # position-change findings against these
    ideal_states: tuple[str, ...] = ()
    ideal_blocs: tuple[str, ...] = ()  # members at any time in the window
    # None: the all-votes ideal points materialised in the store; a topic: estimated for the
    # report from that topic's roll calls only (alignment.ideal_points.ideal_points).
    ideal_topic: str | None = None
    cohesion_blocs: tuple[str, ...] = ()
    map_blocs: tuple[str, ...] = MAP_BLOCS
    key_roll_call: str | None = None  # symbol of the roll call of the "who voted no" finding
    key_bloc: str | None = None
    events: tuple[tuple[dt.date, str], ...] = field(default_factory=tuple)
    intro: str = ""

    @property
    def start(self) -> dt.date | None:
        return None if self.start_year is None else dt.date(self.start_year, 1, 1)

    @property
    def end(self) -> dt.date | None:
        return None if self.end_year is None else dt.date(self.end_year, 12, 31)


ASSAD_FALL = dt.date(2024, 12, 8)


def flagship() -> ReportSpec:
    """Belarus and Syria: the report ``alignment report belarus-syria`` writes."""
    return ReportSpec(
        slug="belarus-syria",
        title="Belarus and Syria in the UN General Assembly",
        kind="country",
        subject="BLR",
        focus="BLR",
        topic="syria",
        start_year=2011,
        end_year=None,
        matrix_states=("BLR", "SYR", "RUS", "CHN", "IRN", "USA"),
        matrix_blocs=("csto", "customs_union", "eaeu"),
        majority_blocs=("eu",),
        partners=("RUS", "SYR", "USA", majority_key("eu")),
        change_partners=("RUS", "SYR"),
        ideal_states=("BLR", "RUS", "SYR"),
        ideal_blocs=("csto",),
        ideal_topic="syria",
        cohesion_blocs=("csto",),
        key_roll_call="A/RES/66/253",
        key_bloc="csto",
        events=((ASSAD_FALL, "the end of the Assad government"),),
        intro=(
            "Is Belarus following Russia, its blocs, or its own line on Syria, and how did that "
            "change from 2011 to the end of the Assad government and after?"
        ),
    )


def subject(
    kind: str,
    key: str,
    *,
    name: str,
    topic: str | None,
    start_year: int | None,
    end_year: int | None,
    partners: tuple[str, ...],
    blocs: tuple[str, ...],
    small: frozenset[str],
    ideal_bloc: frozenset[str] = frozenset(),
) -> ReportSpec:
    """Any state (``kind`` "country", ``key`` its ISO3) or bloc (``kind`` "bloc", ``key`` its
    id; its majority is the focus row), compared with ``partners`` (states) and ``blocs``: the
    ``small`` ones (at most MAX_BLOC_COLUMNS members) member by member, the others as their
    members' majority. For a bloc report, ``blocs`` starts with the bloc itself, and its
    members' ideal points are drawn when it is in ``ideal_bloc`` (blocs small enough)."""
    focus = key if kind == "country" else majority_key(key)
    states = tuple(p for p in dict.fromkeys(partners) if p != key)
    blocs = tuple(dict.fromkeys(blocs))
    members = tuple(b for b in blocs if b in small)
    majorities = tuple(b for b in blocs if b not in small)
    own = (key,) if kind == "country" else ()
    about = f": votes on {topic_label(topic)}" if topic else ""
    return ReportSpec(
        slug=_slug(kind, key.lower(), topic, start_year, end_year),
        title=f"{name} in the UN General Assembly{about}",
        kind=kind,
        subject=key,
        focus=focus,
        topic=topic,
        start_year=start_year,
        end_year=end_year,
        matrix_states=(*own, *states),
        matrix_blocs=members,
        majority_blocs=majorities,
        partners=(*states, *(majority_key(b) for b in majorities if majority_key(b) != focus)),
        change_partners=states[:2],
        ideal_states=(*own, *states),
        # A bloc's own members (up to MAX_IDEAL_MEMBERS); a state's first small bloc.
        ideal_blocs=(key,) if kind == "bloc" and key in ideal_bloc else members[:1],
        ideal_topic=topic,  # a topic report's ideal points come from the topic's votes
        cohesion_blocs=blocs[:3],
        key_roll_call=None,
        key_bloc=blocs[0] if blocs else None,
    )


TOPIC_LABELS = {
    "me": "the Palestinian conflict",
    "nu": "nuclear weapons",
    "di": "arms control and disarmament",
    "hr": "human rights",
    "co": "colonialism",
    "ec": "economic development",
    "country_human_rights": "human rights in particular countries",
}


def topic_label(topic: str) -> str:
    """How a sentence names a topic: "votes on Syria", "votes on human rights"."""
    if topic in TOPIC_LABELS:
        return TOPIC_LABELS[topic]
    words = topic.replace("_", " ")
    return words[:1].upper() + words[1:] if topic.isidentifier() else words


def _slug(kind: str, subject: str, topic: str | None, start: int | None, end: int | None) -> str:
    parts = [kind, subject]
    if topic:
        parts.append(topic)
    if (start is not None and start != DEFAULT_START_YEAR) or end is not None:
        parts.append(f"{start or 'first'}-{end or 'latest'}")
    return "-".join(p.replace("_", "-").replace("/", "-") for p in parts)

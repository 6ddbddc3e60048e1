"""The summary's sentences, exactly, for each kind of report with and without a topic.

The reports are built from the tiny store of tests/report_fixtures.py; every number the
sentences hold is derived here from the fixture's vote patterns with the definitions the page
states (plain loops, not the library's code): contested roll calls (not every voting state
cast the same vote), "the same way" (both yes, both no or both abstained), a bloc's majority
(its members' most common vote on the day; none on a tie), the Hix-Noury-Roland agreement
index of the key vote.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from report_fixtures import (
    FORMULA_TITLES,
    N_OTHER,
    N_SYRIA,
    PATTERNS,
    STATES,
    XSS_TITLE,
    build_tiny_store,
)

from alignment import reports, store
from alignment.reports import citation
from alignment.reports import names as names_module

TITLES = {j: XSS_TITLE if j == 3 else FORMULA_TITLES.get(j, f"Syria resolution number {j}")
          for j in range(N_SYRIA)} | {
    j: f"Cooperation between the United Nations and regional organisations {j}"
    for j in range(N_SYRIA, N_SYRIA + N_OTHER)}  # fmt: skip

CAST = "YAN"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_store(tmp_path_factory.mktemp("tiny") / "tiny.duckdb")


@pytest.fixture(scope="module")
def facts(tiny: Path) -> dict:
    """Names and CSTO members on each roll call's day, from the store's own facts tables."""
    con = store.connect(tiny)
    try:
        names = dict(con.sql("SELECT iso3, name FROM countries").fetchall())
        days = {j: _day(j) for j in range(N_SYRIA + N_OTHER)}
        members = {
            j: sorted(
                s
                for (s,) in con.sql(
                    """SELECT iso3 FROM bloc_memberships WHERE bloc = 'csto' AND status = 'member'
                       AND joined <= $d AND coalesce("left", DATE '9999-12-31') >= $d""",
                    params={"d": day},
                ).fetchall()
            )
            for j, day in days.items()
        }
    finally:
        con.close()
    return {"names": names, "members": members}


def _day(j: int) -> dt.date:
    return dt.date(2012 + j // 3, 12, 1 + j % 3)


def _symbol(j: int) -> str:
    return f"A/RES/{2012 + j // 3 - 1945}/{100 + j}"


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _pct(a: int, b: int) -> str:
    return f"{math.floor(100 * a / b + 0.5)}%"


def _list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _calls(topic: str | None) -> list[int]:
    return list(range(N_SYRIA)) if topic else list(range(N_SYRIA + N_OTHER))


def _contested(calls: list[int]) -> list[int]:
    return [j for j in calls if len({PATTERNS[s][j] for s in STATES} & set(CAST)) > 1]


def _majority(j: int, members: list[str]) -> str:
    counts = {v: sum(PATTERNS[m][j] == v for m in members) for v in CAST}
    top = max(counts.values())
    winners = [v for v, c in counts.items() if c == top]
    return winners[0] if top and len(winners) == 1 else "X"


def _alike(a: dict[int, str], b: dict[int, str], calls: list[int]) -> tuple[int, int]:
    both = [j for j in _contested(calls) if a[j] in CAST and b[j] in CAST]
    return sum(a[j] == b[j] for j in both), len(both)


def _series(key: str) -> dict[int, str]:
    return dict(enumerate(PATTERNS[key]))


def _extremes(
    focus: dict[int, str],
    others: list[str],
    calls: list[int],
    partners: list[str],
    who: str,
    votes: str,
    outside: str = "",
) -> str:
    """Most and least alike among the states sharing 80% of the focus's contested votes (and at
    least 5); ties at the printed percentage, the report's partners first, then most votes."""
    focus_n = sum(focus[j] in CAST for j in _contested(calls))
    least = max(5, math.ceil(0.8 * focus_n))
    rows = [(s, *_alike(_series(s), focus, calls)) for s in others]
    eligible = [r for r in rows if r[2] >= least]
    pct = {s: math.floor(100 * same / n + 0.5) for s, same, n in eligible}

    def tied(p: int) -> list[str]:
        same = [r for r in eligible if pct[r[0]] == p]
        order = {k: i for i, k in enumerate(partners)}
        return [r[0] for r in sorted(same, key=lambda r: (order.get(r[0], 99), -r[2], r[0]))]

    n_of = {s: n for s, _, n in eligible}
    top, bottom = tied(max(pct.values())), tied(min(pct.values()))

    def group(keys: list[str]) -> str:
        if len(keys) <= 3:
            return _list([_name(k) for k in keys])
        return f"{len(keys)} states, among them {_name(keys[0])} and {_name(keys[1])},"

    states = f"states outside {outside}" if outside else "states"
    head = (
        f"Of the {len(eligible)} {states} that voted on at least 80% of the {focus_n} contested "
        f"{votes} that {who} voted on, "
    )

    def end(keys: list[str], whole: int, often: str, of: str, all_of_them: str) -> str:
        """One end: a state alone with its share of its votes (``of``: the words around their
        number), or the tied states, at 100% (or 0%) or at another share each."""
        p = pct[keys[0]]
        if len(keys) == 1:
            return f"{_name(keys[0])} {often} ({p}% of {of.format(n_of[keys[0]])})"
        return f"{group(keys)} {all_of_them if p == whole else f'{often} ({p}% each)'}"

    same = f"voted the same way as {who}"
    best = end(top, 100, f"{same} most often", "the {} both voted on",
               f"{same} on every one they both voted on")  # fmt: skip
    worst = end(bottom, 0, "least often", "{}", "never did")
    return head + best + "; " + worst + "."


def _name(key: str) -> str:
    return names_module.in_text(key, {})


def _key_vote(members: dict[int, list[str]], calls: list[int], about: str, titles: dict) -> str:
    """The topic roll call with the lowest agreement index among CSTO members (the latest on a
    tie), and how each member voted."""

    def ai(j: int) -> float:
        votes = [PATTERNS[m][j] for m in members[j] if PATTERNS[m][j] in CAST]
        top = max(votes.count(v) for v in CAST)
        return (top - 0.5 * (len(votes) - top)) / len(votes)

    j = min(calls, key=lambda j: (ai(j), -j))
    by = {v: sorted((m for m in members[j] if PATTERNS[m][j] == v), key=_name) for v in "NYAX"}
    groups = [(by[v], first, later) for v, first, later in
              (("N", "voted no", "no"), ("Y", "voted yes", "yes"), ("A", "abstained", "abstained"))
              if by[v]]  # fmt: skip
    title = citation.short_title(titles[j], citation.CITED_TITLE_CHARS)
    text = f"On {_symbol(j)} “{title}” ({_date(_day(j))}), the {about} that divided the CSTO most, "
    if len(groups) == 1 and not by["X"]:
        return text + f"all {len(groups[0][0])} CSTO members {groups[0][1]}."
    parts = [f"{len(keys)} {later if i else first} ({_list([_name(k) for k in keys])})"
             for i, (keys, first, later) in enumerate(groups)]  # fmt: skip
    text += f"CSTO members split: {_list(parts)}"
    if by["X"]:
        text += f"; {_list([_name(k) for k in by['X']])} cast no vote"
    return text + "."


def _first(calls: list[int], votes: str) -> str:
    return (
        f"The General Assembly held {len(calls)} recorded {votes} between "
        f"{_date(_day(calls[0]))} and {_date(_day(calls[-1]))}."
    )


def _summary(tiny: Path, kind: str, key: str, topic: str | None, **choices) -> list[str]:
    con = store.connect(tiny)
    try:
        spec = reports.resolve(con, kind, key, topic=topic, **choices)
        return reports.build_report(con, spec, bootstrap=10).summary
    finally:
        con.close()


@pytest.mark.parametrize("topic", ["syria", None])
def test_country_summary(tiny: Path, facts: dict, topic: str | None) -> None:
    members = facts["members"]
    calls = _calls(topic)
    votes = "votes on Syria" if topic else "votes"
    blr = _series("BLR")
    rus, usa = _alike(blr, _series("RUS"), calls), _alike(blr, _series("USA"), calls)
    expected = [
        _first(calls, votes),
        _extremes(blr, [s for s in STATES if s != "BLR"], calls, ["RUS", "USA"], "Belarus", votes),
        f"Belarus voted the same way as Russia on {_pct(*rus)} of {rus[1]} contested "
        f"{votes} and the United States on {_pct(*usa)} of {usa[1]}.",
        _key_vote(members, calls, "vote on Syria" if topic else "vote", TITLES),
    ]
    # No "largest change" sentence: no session holds 20 roll calls.
    got = _summary(tiny, "country", "BLR", topic, partners=["RUS", "USA"], blocs=["csto"])
    assert got == expected


@pytest.mark.parametrize("topic", ["syria", None])
def test_bloc_summary(tiny: Path, facts: dict, topic: str | None) -> None:
    members = facts["members"]
    calls = _calls(topic)
    votes = "votes on Syria" if topic else "votes"
    majority = {j: _majority(j, members[j]) for j in calls}
    ever = {m for j in calls for m in members[j]}
    usa, chn = _alike(majority, _series("USA"), calls), _alike(majority, _series("CHN"), calls)
    voting = {j: [PATTERNS[m][j] for m in members[j] if PATTERNS[m][j] in CAST] for j in calls}
    counted = [j for j in calls if len(voting[j]) >= 2]
    alike = sum(len(set(voting[j])) == 1 for j in counted)
    against = {
        m: sum(
            PATTERNS[m][j] in CAST and majority[j] != "X" and PATTERNS[m][j] != majority[j]
            for j in calls
            if m in members[j]
        )
        for m in ever
    }
    top = sorted((m for m in ever if against[m]), key=lambda m: (-against[m], m))[:3]
    listed = [f"{_name(top[0])} ({against[top[0]]} {votes})"] + [
        f"{_name(m)} ({against[m]})" for m in top[1:]
    ]
    who = "the majority of CSTO members"
    expected = [
        _first(calls, votes),
        _extremes(
            majority,
            [s for s in STATES if s not in ever],
            calls,
            ["USA", "CHN"],
            who,
            votes,
            "the CSTO",
        ),
        f"The majority of CSTO members voted the same way as the United States on "
        f"{_pct(*usa)} of {usa[1]} contested {votes} and China on {_pct(*chn)} of {chn[1]}.",
        f"All CSTO members that voted cast the same vote on {alike} of {len(counted)} {votes} "
        f"({_pct(alike, len(counted))}).",
        f"The CSTO members that most often voted against their majority: {_list(listed)}.",
        _key_vote(members, calls, "vote on Syria" if topic else "vote", TITLES),
    ]
    got = _summary(tiny, "bloc", "csto", topic, partners=["USA", "CHN"], blocs=[])
    assert got == expected


def test_the_sentences_differ_with_the_topic(tiny: Path) -> None:
    """The fixture's three votes on other matters are counted only without a topic."""
    with_topic = _summary(tiny, "country", "BLR", "syria", partners=["RUS"], blocs=[])
    without = _summary(tiny, "country", "BLR", None, partners=["RUS"], blocs=[])
    assert with_topic[0].startswith(f"The General Assembly held {N_SYRIA} recorded votes on Syria")
    assert without[0].startswith(f"The General Assembly held {N_SYRIA + N_OTHER} recorded votes ")
    assert not any(" on recorded" in s or "all roll call" in s for s in with_topic + without)

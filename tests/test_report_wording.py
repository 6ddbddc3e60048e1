"""Every sentence a report writes, swept over every state and bloc of the crosswalk: no doubled
punctuation, no name missing its article or carrying a wrong one, no "none" phrasing, no
formal UN name in running text, no double possessive (the review's list: "United States
voted", "the NATO's members", "BRICS's", "EU members' majority's agreement index", ") (",
"the NATO members that voted no were none", "Netherlands (Kingdom of the)").

The facts are made up here (the wording does not depend on the numbers' origin); the names are
the project's: data/countries.csv, data/country_names.csv and data/blocs.csv.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator

import pytest
from markupsafe import Markup

from alignment import resources
from alignment.reports import facts, names, sentences
from alignment.reports.spec import majority_key, subject

DAY = dt.date(2022, 12, 30)


def _rows(name: str) -> list[dict[str, str]]:
    with resources.data_file(name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


STATES = [r["iso3"] for r in _rows("countries.csv")]
BLOCS = [r["bloc"] for r in _rows("blocs.csv")]
STORE_NAMES = {r["iso3"]: r["name"] for r in _rows("countries.csv")}
NAMES = names.short_names(STORE_NAMES) | {majority_key(b): names.majority_name(b) for b in BLOCS}


def test_every_state_of_the_crosswalk_has_a_short_name_an_article_and_a_source() -> None:
    known = names.state_names()
    assert sorted(known) == sorted(STATES)
    for iso3, name in known.items():
        assert name.short and "(" not in name.short and "," not in name.short, iso3
        assert name.article in ("", "the"), iso3
        assert name.source in ("UN", "PCGN", "project"), iso3
        if name.source == "UN":  # the UN's own short name, article aside
            assert name.short == STORE_NAMES[iso3], iso3


@pytest.mark.parametrize(
    ("iso3", "said"),
    [("USA", "the United States"), ("RUS", "Russia"), ("NLD", "the Netherlands"),
     ("GBR", "the United Kingdom"), ("KOR", "South Korea"), ("BLR", "Belarus")],
)  # fmt: skip
def test_names_as_people_write_them(iso3: str, said: str) -> None:
    assert names.in_text(iso3, NAMES) == said


@pytest.mark.parametrize(
    ("bloc", "the", "members", "possessive"),
    [("eu", "the EU", "EU members", "the EU's"), ("nato", "NATO", "NATO members", "NATO's"),
     ("brics", "BRICS", "BRICS members", "BRICS'"),
     ("arab_league", "the Arab League", "Arab League members", "the Arab League's")],
)  # fmt: skip
def test_bloc_names_by_rule(bloc: str, the: str, members: str, possessive: str) -> None:
    assert names.the_bloc(bloc) == the
    assert names.bloc_members(bloc) == members
    assert names.possessive(names.the_bloc(bloc)) == possessive
    assert names.in_text(majority_key(bloc), NAMES) == f"the majority of {members}"


def test_every_bloc_has_a_short_name() -> None:
    for b in BLOCS:
        short = names.bloc_short_name(b)
        assert "_" not in short and short.strip() == short, b


# ------------------------------------------------------------------------ the sweep

# Text that is wrong wherever it appears.
WRONG = [
    (re.compile(r"\.\.(?!\.)|,,|;;|\s[,.;:]|\)\s*\(|\(\s*\)|\s{2,}"), "doubled punctuation"),
    (re.compile(r"\bnone\b", re.I), "a 'none' phrasing"),
    (re.compile(r"s's\b", re.I), "'s after s"),
    (re.compile(r"'s? \w+'s\b|majority's"), "a double possessive"),
    (re.compile(r"\b(?:the|The) (?:" + "|".join(
        re.escape(names.bloc_short_name(b)) for b in names.NO_ARTICLE) + r")\b(?! members)"),
     "an article before an acronym read as a word"),
    (re.compile(r"\((?:Kingdom|Islamic|Bolivarian|Plurinational|Federated|Republic) "),
     "a formal UN name"),
]  # fmt: skip


def _with_article() -> list[tuple[str, re.Pattern[str]]]:
    """Each name that takes "the", and where it stands without it."""
    out = []
    for iso3, n in names.state_names().items():
        if n.article:
            out.append((iso3, re.compile(rf"(?<!the )(?<!The )(?<![\w-]){re.escape(n.short)}\b")))
    return out


ARTICLED = _with_article()


def problems(sentence: str | Markup) -> list[str]:
    text = Markup(sentence).striptags() if isinstance(sentence, Markup) else sentence
    found = [why for pattern, why in WRONG if pattern.search(text)]
    if not text[:1].isupper():
        found.append("no capital at the start")
    if not text.endswith((".", ":")):
        found.append("no full stop")
    for iso3, bare in ARTICLED:
        # "the Democratic Republic of the Congo" holds "Republic of the Congo" after "the ".
        m = bare.search(text)
        if m and not (iso3 == "COG" and "Democratic Republic of the Congo" in text):
            found.append(f"{iso3} without its article")
    return found


def _share(iso3: str, exact: float, n: int = 40) -> facts.StateShare:
    return facts.StateShare(iso3, exact, n)


def _key_vote(bloc: str, members: list[str], split: str) -> facts.KeyVote:
    """Members voting by ``split``: one letter each (N, Y, A, X), cycled."""
    votes = {m: split[i % len(split)] for i, m in enumerate(members)}
    return facts.KeyVote(
        roll_call_id=1, symbol="A/RES/77/247", date=DAY,
        title="Israeli practices affecting the human rights of the Palestinian people",
        tally=(87, 26, 53), bloc=bloc, chosen_by="least_cohesive", members=members,
        votes=votes,  # type: ignore[arg-type]
        voted_no=[m for m in members if votes[m] == "N"],
        voted_yes=[m for m in members if votes[m] == "Y"],
        abstained=[m for m in members if votes[m] == "A"],
        no_vote=[m for m in members if votes[m] == "X"], undl_id=4040686,
    )  # fmt: skip


def _facts(kind: str, subject_key: str, others: list[str], variant: int) -> facts.SummaryFacts:
    """Facts naming ``others`` in every role; ``variant`` turns ties, gaps, empty groups and
    a topic on and off."""
    a, b, c, d, e = (others * 5)[:5]
    topic = "Ukraine" if variant % 2 else None
    tied = variant % 3
    top = [_share(a, 1.0, 56)] + ([_share(b, 1.0, 50), _share(c, 1.0, 45), _share(d, 1.0)]
                                  if tied else [])  # fmt: skip
    bottom = [_share(e, 0.0 if tied else 0.09)] + ([_share(b, 0.0, 30)] if tied == 2 else [])
    focus = subject_key if kind == "country" else majority_key(subject_key)
    bloc = subject_key if kind == "bloc" else "nato"
    split = ["NYAX", "N", "YA", "NNX"][variant % 4]
    return facts.SummaryFacts(
        kind=kind, subject=subject_key, focus=focus, topic_label=topic, n_roll_calls=22,
        first_date=dt.date(2014, 3, 27), last_date=DAY,
        key_vote=_key_vote(bloc, [a, b, c, d], split),
        extremes=facts.Extremes(60, 0.8, 48, 150, top, bottom),
        partners=[_share(a, 0.23, 1460), _share(majority_key(bloc), 0.47)],
        largest_change=facts.Move(b, 79, 0.5, 112, 80, 0.17, 166, -0.43, -0.22),
        unity=facts.Unity(22, 4) if kind == "bloc" else None,
        defectors=([] if variant % 2 else [facts.Defection(a, 9), facts.Defection(b, 9), facts.Defection(c, 5)])
        if kind == "bloc" else None,
        gaps=[facts.Gap("ES-11", dt.date(2023, 2, 23))] * (1 + variant % 2) if variant % 3 else [],
        latest=facts.Latest(80, 79, dt.date(2025, 9, 19), dt.date(2026, 6, 4), True, 166, 187,
                      171 * (variant % 2), 3, [facts.Move(c, 79, 0.56, 113, 80, 0.23, 166, -0.47,
                                                    -0.19, 0.99)], 0.99, 20, 0.1),
    )  # fmt: skip


def _details(focus: str, a: str, b: str) -> list[str | Markup]:
    diff = facts.DifferentVote(2, "A/RES/66/253", dt.date(2012, 2, 16), "The situation in Syria",
                         "paragraph", "N", "Y", undl_id=None)  # fmt: skip
    change = facts.PositionChange(
        a, 0.1, [], [facts.SessionChange(67, 66, 0.9, 0.7)],
        facts.ChangePoint(3, "A/RES/67/262", dt.date(2013, 5, 15), 0.9, 0.6, 10, 12,
                    "The situation in the Syrian Arab Republic", "resolution", 4031004),
        [facts.EventSplit(dt.date(2024, 12, 8), "the end of the Assad government", 0.8, 0.5, 30, 4)],
    )  # fmt: skip
    return sentences.details(
        focus, [facts.Differences(focus, a, 12, [diff]), facts.Differences(focus, b, 9, [])],
        [change], NAMES, "Syria",
    )  # fmt: skip


def _all_sentences(kind: str, key: str, others: list[str]) -> Iterator[str | Markup]:
    for variant in range(6):
        found = _facts(kind, key, others, variant)
        yield from sentences.summary(found, NAMES)
        who = sentences.subject_phrase(kind, key, NAMES)
        if found.latest:
            yield from sentences.latest(
                found.latest, who, "votes", lambda k: names.in_text(k, NAMES)
            )
    focus = key if kind == "country" else majority_key(key)
    yield from _details(focus, others[0], others[1])


def _report_title(kind: str, key: str) -> str:
    name = names.short_names({key: STORE_NAMES.get(key, key)})[key] if kind == "country" else key
    spec = subject(kind, key, name=name, topic="ukraine", start_year=2014, end_year=None,
                   partners=("USA",), blocs=(), small=frozenset())  # fmt: skip
    return spec.title


def test_every_sentence_over_every_state() -> None:
    """Each state of the crosswalk as the subject, and in every role of the sentences (closest,
    farthest, tied, partner, in each group of the key vote, defector)."""
    bad = {}
    for i, iso3 in enumerate(STATES):
        others = [STATES[(i + k) % len(STATES)] for k in (1, 2, 3, 4, 5)]
        for sentence in _all_sentences("country", iso3, others):
            if found := problems(sentence):
                bad[(iso3, str(sentence))] = found
        title = _report_title("country", iso3)
        assert " on Ukraine in" not in title and "(" not in title, title
    assert bad == {}


def test_every_sentence_over_every_bloc() -> None:
    bad = {}
    for i, bloc in enumerate(BLOCS):
        others = [STATES[(7 * i + k) % len(STATES)] for k in (1, 2, 3, 4, 5)]
        for sentence in _all_sentences("bloc", bloc, others):
            if found := problems(sentence):
                bad[(bloc, str(sentence))] = found
    assert bad == {}


@pytest.mark.parametrize(
    "sentence",
    ["United States voted the same way as Russia.", "On A/RES/1, the NATO's members voted.",
     "The majority of BRICS's members.", "The EU members' majority's agreement index rose.",
     "On A/RES/1 (1 May 2020) (the vote), it passed.", "The NATO members that voted no were none.",
     "Netherlands (Kingdom of the) abstained.", "Belarus voted ,yes."],
)  # fmt: skip
def test_the_sweep_catches_the_reviews_examples(sentence: str) -> None:
    assert problems(sentence)

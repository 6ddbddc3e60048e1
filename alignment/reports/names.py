"""How a report names states, blocs and bloc majorities (nouns only; sentences are built from
them in :mod:`alignment.reports.sentences`).

A state is named as people write it: its short name from ``data/country_names.csv`` ("Russia",
"Netherlands"; the UN's own short name where that is already the common one, otherwise the
PCGN's country name, each row saying which), with its article in running text ("the United
States", "the Netherlands"). Labels, legends and table cells use the short name alone.

A bloc is named by rule: its short form ("EU", "CSTO", "Arab League"), with "the" unless it is
an acronym read as a word (NATO, BRICS, GUAM). Its members are "EU members" (an attributive
noun, no article); its majority "the majority of EU members". A possessive adds "'" after a
final s ("the United States'") and "'s" otherwise; sentences avoid it on a bloc's members.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass

from alignment import resources
from alignment.reports.spec import is_majority, majority_bloc

NAMES_FILE = "country_names.csv"

SHORT_BLOC_NAMES = {
    "arab_league": "Arab League",
    "customs_union": "Customs Union",
    "union_state": "Union State",
    "cst": "Collective Security Treaty",
    "g77": "G77",
}
# Blocs named without an article: acronyms read as words ("NATO", not "the NATO").
NO_ARTICLE = {"nato", "brics", "guam"}


@dataclass(frozen=True)
class StateName:
    short: str  # "United States", "Russia"
    article: str  # "the" or ""
    source: str  # UN, PCGN or project

    @property
    def in_text(self) -> str:
        """ "the United States", "Russia"."""
        return f"{self.article} {self.short}" if self.article else self.short


@functools.cache
def state_names() -> dict[str, StateName]:
    """ISO3 -> its name in running text, from ``data/country_names.csv``."""
    with resources.data_file(NAMES_FILE).open(encoding="utf-8", newline="") as f:
        return {
            r["iso3"]: StateName(r["short_name"], r["article"], r["source"])
            for r in csv.DictReader(f)
        }


def short_names(store_names: dict[str, str]) -> dict[str, str]:
    """``store_names`` (ISO3 -> the store's name) with every state the names file knows given
    its short name; other keys (bloc majorities, codes the file lacks) kept as they are."""
    known = state_names()
    return {k: known[k].short if k in known else v for k, v in store_names.items()}


def bloc_short_name(bloc: str) -> str:
    """ "CSTO", "EU", "Customs Union"."""
    return SHORT_BLOC_NAMES.get(bloc, bloc.upper())


def the_bloc(bloc: str) -> str:
    """How a sentence names a bloc: "the CSTO", "the EU", "NATO"."""
    name = bloc_short_name(bloc)
    return name if bloc in NO_ARTICLE else f"the {name}"


def bloc_members(bloc: str) -> str:
    """ "EU members", "NATO members"."""
    return f"{bloc_short_name(bloc)} members"


def the_majority(bloc: str) -> str:
    """A bloc's majority in a sentence: "the majority of EU members"."""
    return f"the majority of {bloc_members(bloc)}"


def majority_name(bloc: str) -> str:
    """The name of a bloc's majority as a pseudo-state in labels and tables: "EU majority"."""
    return f"{bloc_short_name(bloc)} majority"


def name_of(key: str, names: dict[str, str]) -> str:
    """A state's or a majority's label, the key itself when the store does not name it."""
    return names.get(key, key)


def in_text(key: str, names: dict[str, str]) -> str:
    """A state or majority as a sentence names it, mid-sentence: "the United States",
    "Russia", "the majority of EU members"."""
    if is_majority(key):
        return the_majority(majority_bloc(key))
    known = state_names().get(key)
    if known is not None:
        return known.in_text
    return names.get(key, key)


def possessive(phrase: str) -> str:
    """ "Russia's", "the United States'", "the EU's"."""
    return f"{phrase}'" if phrase[-1:].lower() == "s" else f"{phrase}'s"


def capital(text: str) -> str:
    """The phrase at the start of a sentence: "The United States"."""
    return text[:1].upper() + text[1:]


def short_label(key: str) -> str:
    """A column or tick label: the ISO3 code, or "EU majority"."""
    return majority_name(majority_bloc(key)) if is_majority(key) else key


# How a vote code is said in sentences, tables and hover text.
VOTE_WORDS = {"Y": "yes", "N": "no", "A": "abstain", "X": "no vote"}

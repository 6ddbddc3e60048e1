"""How a report names states, blocs and bloc majorities (nouns only; sentences are built from
them in :mod:`alignment.reports.sentences`).

Today a state is named by the ``countries`` table's name and a bloc by a short form of its id;
short names with their articles and possessives by rule belong here.
"""

from __future__ import annotations

from alignment.reports.spec import is_majority, majority_bloc

SHORT_BLOC_NAMES = {
    "customs_union": "Customs Union",
    "union_state": "Union State",
    "arab_league": "Arab League",
}
# Blocs named without an article ("NATO", not "the NATO").
NO_ARTICLE = {"nato", "brics", "guam"}


def bloc_short_name(bloc: str) -> str:
    """ "CSTO", "EU", "Customs Union"."""
    return SHORT_BLOC_NAMES.get(bloc, bloc.upper())


def the_bloc(bloc: str) -> str:
    """How a sentence names a bloc: "the CSTO", "the EU", "NATO"."""
    name = bloc_short_name(bloc)
    return name if bloc in NO_ARTICLE else f"the {name}"


def majority_name(bloc: str) -> str:
    """The name of a bloc's majority as a pseudo-state: "EU members' majority"."""
    return f"{bloc_short_name(bloc)} members' majority"


def name_of(key: str, names: dict[str, str]) -> str:
    """A state's or a majority's name, the key itself when the store does not name it."""
    return names.get(key, key)


def short_label(key: str) -> str:
    """A column or tick label: the ISO3 code, or "EU majority"."""
    return f"{bloc_short_name(majority_bloc(key))} majority" if is_majority(key) else key


# How a vote code is said in sentences, tables and hover text.
VOTE_WORDS = {"Y": "yes", "N": "no", "A": "abstain", "X": "no vote"}

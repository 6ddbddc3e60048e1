"""Findings in sentences, rendered from the findings data (never typed in by hand).

Returns plain text: the template escapes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from alignment.reports.data import VOTE_WORDS, bloc_short_name


def _date(day: dt.date | None) -> str:
    return "" if day is None else f"{day.day} {day:%B %Y}"


def _list(items: list[str]) -> str:
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def sentences(findings: dict[str, Any], names: dict[str, str], topic_label: str) -> list[str]:
    def n(key: str) -> str:
        return names.get(key, key)

    focus = n(findings["focus"])
    out = [
        f"The store holds {findings['n_roll_calls']} recorded votes on {topic_label} from "
        f"{_date(findings['first_date'])} to {_date(findings['last_date'])} in the period of "
        "this report."
    ]
    kv = findings.get("key_vote")
    if kv:
        bloc = bloc_short_name(kv["bloc"])
        how = (
            ""
            if kv["chosen_by"] == "named"
            else f" (the {topic_label} vote that divided the {bloc} most)"
        )
        parts = [
            f"On {kv['symbol']} ({_date(kv['date'])}){how}, the {bloc} members that voted no were "
            f"{_list([n(m) for m in kv['voted_no']])}"
        ]
        if kv["voted_yes"]:
            parts.append(f"{_list([n(m) for m in kv['voted_yes']])} voted yes")
        if kv["abstained"]:
            parts.append(f"{_list([n(m) for m in kv['abstained']])} abstained")
        if kv["no_vote"]:
            parts.append(f"{_list([n(m) for m in kv['no_vote']])} cast no vote")
        out.append("; ".join(parts) + ".")
    for d in findings.get("differences", []):
        rcs = d["roll_calls"]
        if not rcs:
            out.append(
                f"{n(d['a'])} and {n(d['b'])} cast the same vote on every one of the "
                f"{d['n_common']} {topic_label} roll calls on which both voted."
            )
            continue
        examples = "; ".join(
            f"{r['symbol'] or 'a vote without symbol'} ({_date(r['date'])}: "
            f"{n(d['a'])} {VOTE_WORDS[r['vote_a']]}, {n(d['b'])} {VOTE_WORDS[r['vote_b']]})"
            for r in rcs[:6]
        )
        more = f", and {len(rcs) - 6} more listed below" if len(rcs) > 6 else ""
        out.append(
            f"{n(d['a'])} and {n(d['b'])} voted differently on {len(rcs)} of the "
            f"{d['n_common']} {topic_label} roll calls on which both voted: {examples}{more}."
        )
    for c in findings.get("changes", []):
        partner = n(c["partner"])
        if c["changes"]:
            moves = "; ".join(
                f"session {x['session']} ({x['before']:.2f} to {x['after']:.2f} after session "
                f"{x['previous_session']})"
                for x in c["changes"]
            )
            out.append(
                f"{focus}'s agreement with {partner} on {topic_label} votes moved by "
                f"{c['threshold']:.2f} or more between sessions in {len(c['changes'])} "
                f"session(s): {moves}."
            )
        else:
            out.append(
                f"{focus}'s agreement with {partner} on {topic_label} votes never moved by "
                f"{c['threshold']:.2f} or more from one session to the next."
            )
        cp = c["change_point"]
        if cp:
            out.append(
                f"The largest shift in {focus}'s vote-by-vote agreement with {partner} comes at "
                f"{cp['symbol'] or 'a vote without symbol'} ({_date(cp['date'])}): "
                f"{cp['before']:.2f} on average over the {cp['n_before']} earlier roll calls, "
                f"{cp['after']:.2f} over the {cp['n_after']} from then on."
            )
        for e in c["events"]:
            if e["before"] is None or e["after"] is None:
                continue
            out.append(
                f"Before {_date(e['date'])}, {e['label']}, {focus} agreed with {partner} at "
                f"{e['before']:.2f} on average over {e['n_before']} {topic_label} roll calls; "
                f"from then on at {e['after']:.2f} over {e['n_after']}."
            )
    if findings.get("defections"):
        top = findings["defections"][:5]
        out.append(
            "Members that most often voted against the bloc's plurality on "
            f"{topic_label} votes: " + ", ".join(f"{n(r['iso3'])} ({r['n']})" for r in top) + "."
        )
    return out

"""Topics of roll calls: Voeten's issue codes, the Library's subjects, and named topics.

A named topic (``syria``, ``ukraine`` ...) is what the project says a roll call is about. Its
evidence is data, so that users can read, question and extend it without reading code:

- rules, ``data/topic_rules.csv`` (topic, field, pattern, from_date, strength, note): the
  regular expression matches the roll call's ``title``, one of its ``agenda`` items (the
  Assembly's own classification), one of its UN Digital Library ``subject`` headings, or its
  ``symbol`` (``^A/RES/ES-11/``: a session convened on one subject), on or after from_date;
- a curated list, ``data/topic_lists.csv`` (topic, symbol, strength, source, note), for what
  the rules get wrong, each entry with its source.

Each piece of evidence has a strength: ``primary`` (the roll call is about the topic) or
``mention`` (it only mentions it: the Library indexes every state a text deals with, so a
subject heading alone is a mention). A title that is a meeting record (unvotes describes
separate votes by the transcript around them, naming every draft and sponsor of the meeting)
is evidence of a mention only; a separate vote on part of a text (paragraph, amendment)
takes the primary topics of the vote on the text as a whole (same symbol). The verdict for a
roll call and topic: the list's strength where the list names it, else ``primary`` when any
evidence is primary, else ``mention``.

:func:`tag` returns the verdicts (``roll_call_topics``, one row per roll call and topic, naming
the evidence that decided) and every piece of evidence (``topic_evidence``), which
``alignment topics explain SYMBOL`` prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import polars as pl

from alignment import resources
from alignment.errors import BadDataError
from alignment.titles import is_transcript

VOETEN_CODES = {
    "me": "Palestinian conflict",
    "nu": "Nuclear weapons and nuclear material",
    "di": "Arms control and disarmament",
    "hr": "Human rights",
    "co": "Colonialism",
    "ec": "Economic development",
}
FIELDS = ("title", "agenda", "subject", "symbol")
STRENGTHS = ("primary", "mention")
RULES_FILE = "topic_rules.csv"
LISTS_FILE = "topic_lists.csv"
# The basis of a verdict, strongest first: which piece of evidence names the verdict's rule.
BASES = ("list", "title", "symbol", "agenda", "resolution", "meeting record", "subject")
MATCHED_CHARS = 200  # the matched text kept as evidence is cut to this

EVIDENCE_SCHEMA = {
    "id": pl.Int64, "topic": pl.String, "strength": pl.String, "basis": pl.String,
    "rule": pl.String, "matched": pl.String, "note": pl.String,
}  # fmt: skip


def _refuse(rows: pl.DataFrame, path: Path, problem: Callable[[dict], str | None]) -> None:
    """BadDataError naming the file and line of the first row ``problem`` finds fault with."""
    for row in rows.iter_rows(named=True):
        found = problem(row)
        if found:
            raise BadDataError(found, path=path, line=row["line"])


def _load(name: str, data_dir: Path | None, columns: tuple[str, ...]) -> tuple[pl.DataFrame, Path]:
    path = (data_dir or resources.folder("data")) / name
    frame = pl.read_csv(path, infer_schema=False).with_row_index("line", offset=2)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BadDataError(f"columns {missing} missing from the header", path=path, line=1)
    _refuse(frame, path, lambda row: (
        f"strength {row['strength']!r} must be primary or mention"
        if row["strength"] not in STRENGTHS else None
    ) or ("the topic is empty" if not row["topic"] else None))  # fmt: skip
    return frame.with_columns(pl.col("line").cast(pl.Int64)), path


def _not_a_pattern(pattern: object) -> str | None:
    try:
        re.compile(pattern)  # type: ignore[call-overload]
    except (re.error, TypeError) as exc:
        return f"pattern {pattern!r} is not a regular expression ({exc})"
    return None


def load_rules(data_dir: Path | None = None) -> pl.DataFrame:
    rules, path = _load(
        RULES_FILE, data_dir, ("topic", "field", "pattern", "from_date", "strength")
    )
    _refuse(rules, path, lambda row: (
        f"field {row['field']!r} must be one of {', '.join(FIELDS)}"
        if row["field"] not in FIELDS else _not_a_pattern(row["pattern"])
    ))  # fmt: skip
    return rules.with_columns(pl.col("from_date").str.to_date("%Y-%m-%d", strict=True))


def load_lists(data_dir: Path | None = None) -> pl.DataFrame:
    """The curated list: one row per topic and symbol, with the source that settles it."""
    lists, path = _load(LISTS_FILE, data_dir, ("topic", "symbol", "strength", "source"))
    _refuse(lists, path, lambda row: (
        f"symbol {row['symbol']!r} is not an official symbol (A/RES/...)"
        if not (row["symbol"] or "").startswith("A/RES/")
        else None if row["source"] else "every entry needs its source"
    ))  # fmt: skip
    repeated = lists.filter(pl.struct("topic", "symbol").is_duplicated())
    _refuse(repeated.head(1), path, lambda row: (
        f"{row['symbol']} is listed twice for topic {row['topic']}; keep one entry"
    ))  # fmt: skip
    return lists


def _typed(items: pl.DataFrame) -> pl.DataFrame:
    """The columns the rules read, in their types (hand-made rows may hold nulls only)."""
    lists = [c for c in ("topics", "subjects", "agenda") if c in items.columns]
    return items.with_columns(
        pl.col("symbol").cast(pl.String),
        pl.col("title").cast(pl.String).fill_null(""),
        *[pl.col(c).cast(pl.List(pl.String)).fill_null([]) for c in lists],
    )


def _cut(text: pl.Expr) -> pl.Expr:
    return text.str.slice(0, MATCHED_CHARS)


def _first_match(column: str, pattern: str) -> pl.Expr:
    """The first element of a list column that matches ``pattern`` (null: none does)."""
    return (
        pl.col(column)
        .list.eval(pl.element().filter(pl.element().str.contains(pattern)))
        .list.first()
    )


def evidence(items: pl.DataFrame, rules: pl.DataFrame, lists: pl.DataFrame) -> pl.DataFrame:
    """Every piece of evidence of a named topic for ``items`` (columns id, symbol, date, title,
    subjects, agenda): id, topic, strength, basis, rule, matched, note."""
    items = _typed(items).with_columns(_transcript=is_transcript(pl.col("title")))
    found = []
    for rule in rules.iter_rows(named=True):
        pattern, field = rule["pattern"], rule["field"]
        since = pl.lit(True) if rule["from_date"] is None else pl.col("date") >= rule["from_date"]
        strength: pl.Expr = pl.lit(rule["strength"])
        basis: pl.Expr = pl.lit(field)
        matched: pl.Expr
        if field == "title":
            # A long title (a meeting record) is shown around the words that matched.
            around = pl.col("title").str.extract(f"(?s)(.{{0,80}}(?:{pattern}).{{0,80}})", 1)
            matched = pl.when(pl.col("title").str.contains(pattern)).then(
                pl.when(pl.col("title").str.len_chars() <= MATCHED_CHARS)
                .then(pl.col("title"))
                .otherwise(pl.concat_str(pl.lit("…"), around, pl.lit("…")))
            )
            # A meeting record names everything said at the meeting: a mention at most.
            strength = pl.when(pl.col("_transcript")).then(pl.lit("mention")).otherwise(strength)
            basis = pl.when(pl.col("_transcript")).then(pl.lit("meeting record")).otherwise(basis)
        elif field == "symbol":
            matched = pl.when(pl.col("symbol").fill_null("").str.contains(pattern)).then(
                pl.col("symbol")
            )
        else:
            matched = _first_match("subjects" if field == "subject" else "agenda", pattern)
        found.append(
            items.filter(since)
            .select(
                "id",
                pl.lit(rule["topic"]).alias("topic"),
                strength.alias("strength"),
                basis.alias("basis"),
                pl.lit(f"{RULES_FILE} line {rule['line']}").alias("rule"),
                _cut(matched).alias("matched"),
                pl.lit(rule["note"]).alias("note"),
            )
            .drop_nulls("matched")
        )
    listed = items.filter(pl.col("symbol").is_not_null()).join(
        lists.select(
            "topic",
            "symbol",
            "strength",
            pl.concat_str(pl.lit(f"{LISTS_FILE} line "), pl.col("line").cast(pl.String)).alias(
                "rule"
            ),
            pl.concat_str(
                pl.col("source"), pl.lit(": "), pl.col("note").fill_null(""), ignore_nulls=True
            ).alias("note"),
        ),
        on="symbol",
    )
    found.append(
        listed.select(
            "id",
            "topic",
            "strength",
            pl.lit("list").alias("basis"),
            "rule",
            pl.col("symbol").alias("matched"),
            "note",
        )
    )
    return pl.concat([f.cast(EVIDENCE_SCHEMA) for f in found]).unique(maintain_order=True)  # type: ignore[arg-type]


def verdicts(found: pl.DataFrame) -> pl.DataFrame:
    """One row per id and topic: strength, and the basis and rule of the deciding evidence."""
    ranked = found.with_columns(
        pl.col("basis").replace_strict({b: i for i, b in enumerate(BASES)}).alias("_basis"),
        (pl.col("strength") != "primary").cast(pl.Int8).alias("_weak"),
        (pl.col("basis") != "list").cast(pl.Int8).alias("_unlisted"),
    )
    # The list decides where it speaks; otherwise the strongest evidence, primary first.
    return (
        ranked.sort("id", "topic", "_unlisted", "_weak", "_basis", "rule")
        .group_by("id", "topic", maintain_order=True)
        .first()
        .select("id", "topic", "strength", "basis", "rule")
    )


def _inherited(calls: pl.DataFrame, decided: pl.DataFrame) -> pl.DataFrame:
    """Evidence for separate votes (paragraph, amendment, procedural) carrying the symbol of a
    text voted on as a whole in the same session: that vote's primary topics."""
    texts = calls.filter(pl.col("kind") == "resolution", pl.col("symbol").is_not_null()).select(
        pl.col("id").alias("text_id"), "symbol", "session"
    )
    parts = calls.filter(pl.col("kind") != "resolution", pl.col("symbol").is_not_null()).select(
        "id", "symbol", "session"
    )
    primary = decided.filter(pl.col("strength") == "primary").select(
        pl.col("id").alias("text_id"), "topic"
    )
    return (
        parts.join(texts, on=["symbol", "session"])
        .join(primary, on="text_id")
        .select(
            "id",
            "topic",
            pl.lit("primary").alias("strength"),
            pl.lit("resolution").alias("basis"),
            pl.concat_str(pl.lit("the vote on "), pl.col("symbol"), pl.lit(" as a whole")).alias(
                "rule"
            ),
            pl.col("symbol").alias("matched"),
            pl.lit("A separate vote on part of a text shares the text's subject").alias("note"),
        )
        .cast(EVIDENCE_SCHEMA)  # type: ignore[arg-type]
        .unique(["id", "topic"], maintain_order=True)
    )


def tag(
    roll_calls: pl.DataFrame, rules: pl.DataFrame, lists: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(roll_call_topics, topic_evidence) of roll calls with columns roll_call_id, symbol,
    date, session, kind, title, topics (Voeten's codes), subjects, agenda."""
    lists = lists if lists is not None else pl.DataFrame(schema=dict.fromkeys(
        ("topic", "symbol", "strength", "source", "note"), pl.String) | {"line": pl.Int64})  # fmt: skip
    calls = _typed(roll_calls.rename({"roll_call_id": "id"}))
    own = evidence(calls, rules, lists)
    found = pl.concat([own, _inherited(calls, verdicts(own))]).unique(
        ["id", "topic", "basis", "rule"], maintain_order=True
    )
    named = verdicts(found).with_columns(scheme=pl.lit("named"))
    voeten = (
        calls.select("id", pl.col("topics").alias("topic"))
        .explode("topic")
        .filter(pl.col("topic").is_in(list(VOETEN_CODES)))
        .with_columns(
            scheme=pl.lit("voeten"),
            strength=pl.lit("primary"),
            basis=pl.lit("voeten"),
            rule=pl.lit("Voeten's issue codes"),
        )
    )
    # A subject heading as a topic of its own: the Library's index term, every indexed roll call.
    subjects = (
        calls.select("id", pl.col("subjects").alias("topic"))
        .explode("topic")
        .drop_nulls("topic")
        .with_columns(
            scheme=pl.lit("subject"),
            strength=pl.lit("primary"),
            basis=pl.lit("subject"),
            rule=pl.lit("UN Digital Library subject heading"),
        )
    )
    columns = ["roll_call_id", "topic", "scheme", "strength", "basis", "rule"]
    topics = (
        pl.concat([voeten, subjects, named], how="diagonal_relaxed")
        .rename({"id": "roll_call_id"})
        .select(columns)
        .unique(["roll_call_id", "topic", "scheme"], maintain_order=True)
        .sort("roll_call_id", "scheme", "topic")
    )
    found = found.rename({"id": "roll_call_id"}).sort("roll_call_id", "topic", "basis", "rule")
    return topics, found


def named_topics(items: pl.DataFrame, rules: pl.DataFrame, lists: pl.DataFrame) -> pl.DataFrame:
    """The primary and mentioned named topics of items that are no roll calls (resolutions
    adopted without a vote): id, topics, topic_mentions (sorted lists)."""
    decided = verdicts(evidence(items, rules, lists))
    grouped = decided.group_by("id").agg(
        pl.col("topic").filter(pl.col("strength") == "primary").sort().alias("topics"),
        pl.col("topic").filter(pl.col("strength") == "mention").sort().alias("topic_mentions"),
    )
    return (
        items.select("id")
        .join(grouped, on="id", how="left")
        .with_columns(pl.col("topics", "topic_mentions").fill_null([]))
    )

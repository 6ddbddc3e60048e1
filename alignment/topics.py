"""Topics of roll calls: Voeten's issue codes, the Library's subjects, and named topics.

Named topics are rules in ``data/topic_rules.csv`` (topic, field, pattern, from_date, note): a
roll call has the topic when the regular expression matches its title (``field=title``) or
one of its UN Digital Library subject headings (``field=subject``), on or after ``from_date``.
Keeping the rules as data lets users read, question and extend them without reading code.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from alignment import resources
from alignment.errors import BadDataError

VOETEN_CODES = {
    "me": "Palestinian conflict",
    "nu": "Nuclear weapons and nuclear material",
    "di": "Arms control and disarmament",
    "hr": "Human rights",
    "co": "Colonialism",
    "ec": "Economic development",
}


def load_rules(data_dir: Path | None = None) -> pl.DataFrame:
    path = (data_dir or resources.folder("data")) / "topic_rules.csv"
    rules = pl.read_csv(path, infer_schema=False).with_row_index("line", offset=2)
    for row in rules.iter_rows(named=True):
        if row["field"] not in ("title", "subject"):
            raise BadDataError(
                f"field {row['field']!r} must be title or subject", path=str(path), line=row["line"]
            )
        try:
            re.compile(row["pattern"])
        except re.error as exc:
            raise BadDataError(
                f"pattern {row['pattern']!r} is not a regular expression ({exc})",
                path=str(path),
                line=row["line"],
            ) from exc
    return rules.with_columns(pl.col("from_date").str.to_date("%Y-%m-%d", strict=True))


def tag(roll_calls: pl.DataFrame, rules: pl.DataFrame) -> pl.DataFrame:
    """(roll_call_id, topic, scheme) for roll calls with columns topics, subjects, title, date."""
    voeten = roll_calls.select("roll_call_id", pl.col("topics").alias("topic")).explode("topic")
    voeten = voeten.filter(pl.col("topic").is_in(list(VOETEN_CODES))).with_columns(
        scheme=pl.lit("voeten")
    )
    subjects = (
        roll_calls.select("roll_call_id", pl.col("subjects").alias("topic"))
        .explode("topic")
        .drop_nulls("topic")
        .with_columns(scheme=pl.lit("subject"))
    )
    named = []
    for rule in rules.iter_rows(named=True):
        since = pl.lit(True) if rule["from_date"] is None else pl.col("date") >= rule["from_date"]
        if rule["field"] == "title":
            hit = pl.col("title").fill_null("").str.contains(rule["pattern"])
        else:
            hit = (
                pl.col("subjects").list.eval(pl.element().str.contains(rule["pattern"])).list.any()
            )
        named.append(
            roll_calls.filter(hit & since).select(
                "roll_call_id",
                pl.lit(rule["topic"]).alias("topic"),
                pl.lit("named").alias("scheme"),
            )
        )
    return (
        pl.concat([voeten, subjects, *named], how="vertical_relaxed")
        .unique()
        .sort("roll_call_id", "scheme", "topic")
    )

"""The words every layer shares: vote letters and codes, roll call kinds, metric names, the
cells of a pair's table of votes, period types.

The readers, the schema, the analyses and the reports all import these names from here and
from nowhere else, so that no two of them need to import each other for a word.
"""

from __future__ import annotations

# A state's vote on a roll call: Y yes, N no, A abstain, X absent or non-voting (a member that
# cast no vote; distinct from abstention). Non-members have no vote at all.
VOTES: tuple[str, ...] = ("Y", "N", "A", "X")

# Voeten's coding of the votes that count in every metric: abstaining sits half way between
# yes and no. X (and anything else) is missing data.
VOTE_CODES: dict[str, int] = {"Y": 1, "A": 2, "N": 3}

# What a roll call decides: a text as a whole (resolution), an amendment, a separate vote on a
# paragraph, or a procedural motion.
KINDS: tuple[str, ...] = ("resolution", "amendment", "paragraph", "procedural")

# The dyadic agreement metrics (alignment.metrics defines them; docs/guides/metrics.md
# states them).
METRICS: tuple[str, ...] = (
    "exact",
    "agree",
    "s_abs",
    "s_sq",
    "kappa_abs",
    "kappa_sq",
    "kappa_nominal",
    "pi_abs",
    "pi_sq",
    "pi_nominal",
)

# A pair's 3x3 table of votes as stored: cell k * 3 + l counts the roll calls on which the
# first state cast vote k and the second vote l (yes, abstain, no).
CELL_COLUMNS: tuple[str, ...] = tuple(
    f"{x}_{y}" for x in ("yes", "abstain", "no") for y in ("yes", "abstain", "no")
)

# Periods scores and cohesion are counted in: the Assembly's regular session, or the calendar
# year of the vote.
PERIOD_TYPES: tuple[str, ...] = ("session", "year")

# The votes ideal points are estimated from: all recorded votes (amendment, paragraph and
# procedural votes included, as the legacy series), or final-passage votes only (the vote on a
# resolution or decision as a whole), as Voeten's year-based releases offer both.
VOTE_SETS: tuple[str, ...] = ("all", "final-passage")

# How ideal points are estimated: the deterministic variational EM with bootstrap intervals
# (the default), or the published model's sampler (publication runs).
IDEAL_POINT_METHODS: tuple[str, ...] = ("em", "mcmc")


def ideal_points_meta_prefix(period_type: str, vote_set: str) -> str:
    """How the store_meta keys of a stored ideal point series begin (then rhat_max, converged
    ...): written by the build, read by status and the reports."""
    return f"ideal_points_{period_type}_{vote_set}_"

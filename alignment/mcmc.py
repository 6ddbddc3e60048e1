"""The ideal point sampler run to the publication standard: the sampler of
:mod:`alignment.ideal_points` (compiled in :mod:`alignment.sampler`, the ``mcmc`` extra), run
in checks until the convergence diagnostics meet the standard or the time allowed is spent.

A run has two phases. Warm-up: ``warmup`` sweeps of every chain, kept nowhere, from the given
start (``initial_positions``; by default the deterministic EM estimate, so that the chains
start near the posterior rather than at the principal-component start). Then sampling: every ``check_every``
sweeps the chains stop, the positions kept so far are judged
(:func:`alignment.convergence.check_convergence`: R̂ <= 1.01 and bulk and tail ESS >= 400 for
99% of the estimates, none above R̂ 1.05), and the run ends when they meet the standard or
``max_minutes`` have passed. Memory stays bounded: at most ``keep`` draws per chain are held;
when they fill up, every other one is dropped and from then on one sweep in twice as many is
kept (the kept draws are always the sweeps that are multiples of the thinning).

Checkpoints: with ``checkpoint`` a file holds, after every check, everything the run needs to go
on (each chain's parameters, latent utilities and random generator state, the draws kept, the
sweeps done and the time spent); a run given a checkpoint of the same votes and options goes on
from there, and its draws are those an uninterrupted run would have made. A checkpoint of other
votes or options is refused.

The time left is projected at each check from the diagnostics so far: effective sample sizes
grow, and R̂ - 1 shrinks, in proportion to the sweeps kept, so the run needs about ``F`` times
the sweeps kept so far, ``F`` the factor that brings 99% of the estimates to the targets and the
worst to R̂ 1.05. It is an estimate: slow cells can mix slower still.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

import numpy as np
import polars as pl

from alignment.convergence import (
    CONVERGED_SHARE,
    ESS_TARGET,
    RHAT_LIMIT,
    RHAT_TARGET,
    Convergence,
    check_convergence,
)
from alignment.errors import UsageError
from alignment.ideal_points import (
    PRIORS,
    DataRules,
    Posterior,
    Priors,
    _cells,
    _chain,
    _labels,
    _orient,
    _prepared,
    _start_positions,
    fit_em,
)

if TYPE_CHECKING:
    from alignment.sampler import Chain

__all__ = ["Check", "McmcRun", "progress_reporter", "run_to_standard"]

log = logging.getLogger(__name__)

# Format of the checkpoint file; a file of another format is refused, not misread.
CHECKPOINT_FORMAT = 1


@dataclass(frozen=True)
class Check:
    """Where a run stands after a check: sweeps of each chain (warm-up included), draws kept per
    chain and their thinning, seconds spent (over every resumed part), the verdict on the draws
    kept, and the projected seconds left (None when no projection can be made yet)."""

    sweeps: int
    warmup: int
    kept: int
    thin: int
    seconds: float
    max_seconds: float
    convergence: Convergence | None  # None during the warm-up
    seconds_left: float | None

    def line(self) -> str:
        """One line for a log: the sweeps, the time and the verdict."""
        spent = _duration(self.seconds)
        if self.convergence is None:
            return f"warm-up: {self.sweeps:,} of {self.warmup:,} sweeps in {spent}"
        c = self.convergence
        left = ""
        if self.seconds_left is not None and not c.ok:
            left = f"; about {_duration(self.seconds_left)} left (projected)"
            remaining = self.max_seconds - self.seconds
            if self.seconds_left > remaining:
                left += f", but the time allowed ends in {_duration(max(remaining, 0.0))}"
        return (
            f"{self.sweeps:,} sweeps ({self.kept:,} kept per chain, 1 in {self.thin}) in "
            f"{spent}: R-hat <= {RHAT_TARGET} and bulk and tail ESS >= {ESS_TARGET:.0f} for "
            f"{c.share_converged:.1%} of {c.n:,} estimates (needed {CONVERGED_SHARE:.0%}), worst "
            f"R-hat {c.rhat_max:.3f} (limit {RHAT_LIMIT}){left}"
        )


@dataclass(frozen=True)
class McmcRun:
    """The outcome of :func:`run_to_standard`: the estimates (``SUMMARY_SCHEMA`` of
    :mod:`alignment.ideal_points`, with R̂ and ESS), their verdict, the posterior draws kept,
    and how the run went: the last check, whether it met the standard or ran out of time, and
    the sweeps it resumed from (0: a fresh run)."""

    estimates: pl.DataFrame
    convergence: Convergence
    posterior: Posterior
    last: Check
    resumed_from: int

    @property
    def converged(self) -> bool:
        return self.convergence.ok


def _duration(seconds: float | None) -> str:
    if seconds is None or not np.isfinite(seconds):
        return "?"
    seconds = max(seconds, 0.0)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _projected_factor(summary: pl.DataFrame) -> float:
    """How many times the sweeps kept so far the standard needs (>= 1): per estimate, the
    factor that brings its ESS to the target and its R̂ - 1 to the target's; 99% of estimates
    must get there, and the worst R̂ to the limit."""
    rhat = summary["rhat"].to_numpy().astype(float)
    ess = np.minimum(summary["ess_bulk"].to_numpy(), summary["ess_tail"].to_numpy()).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.maximum(ESS_TARGET / ess, (rhat - 1.0) / (RHAT_TARGET - 1.0))
    need = np.where(np.isnan(need), np.inf, need)
    worst = (np.nanmax(rhat) - 1.0) / (RHAT_LIMIT - 1.0) if len(rhat) else 0.0
    return float(max(np.quantile(need, CONVERGED_SHARE) if len(need) else 1.0, worst, 1.0))


@dataclass
class _State:
    """What a checkpoint holds besides the chains: sweeps done, kept draws, thinning, time."""

    sweeps: int
    thin: int
    kept: np.ndarray  # (chains, kept, cells) float32, unoriented
    seconds: float


def _fingerprint(chains: list[Chain], options: Mapping[str, object]) -> str:
    """A digest of the votes and cells the chains run on and the options that shape the run:
    a checkpoint of another run is refused."""
    digest = hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode())
    first = chains[0]
    for array in (first.ptr, first.item, first.cell, first.category, first.state_ptr, first.step):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _save(path: Path, chains: list[Chain], state: _State, fingerprint: str) -> None:
    """Write the checkpoint beside ``path`` and move it over ``path``: a run killed while
    writing leaves the previous checkpoint whole."""
    arrays: dict[str, Any] = {
        "kept": state.kept,
        "meta": np.array(
            json.dumps(
                {
                    "format": CHECKPOINT_FORMAT,
                    "fingerprint": fingerprint,
                    "sweeps": state.sweeps,
                    "thin": state.thin,
                    "seconds": state.seconds,
                    "rng": [c.rng.bit_generator.state for c in chains],
                }
            )
        ),
    }
    for i, c in enumerate(chains):
        for name in ("x", "beta", "g1", "g2", "z"):
            arrays[f"{name}{i}"] = getattr(c, name)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(buffer.getbuffer())
    os.replace(partial, path)


def _load(path: Path, chains: list[Chain], fingerprint: str) -> _State:
    """Put the chains where the checkpoint left them; the state of the run."""
    try:
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(str(f["meta"]))
            if meta.get("format") != CHECKPOINT_FORMAT:
                raise UsageError(f"{path}: not a checkpoint of this version; delete it")
            if meta["fingerprint"] != fingerprint or len(meta["rng"]) != len(chains):
                raise UsageError(
                    f"{path}: a checkpoint of another run (other votes, options or chains); "
                    "delete it or give another --checkpoint file"
                )
            for i, c in enumerate(chains):
                for name in ("x", "beta", "g1", "g2", "z"):
                    getattr(c, name)[:] = f[f"{name}{i}"]
                c.rng.bit_generator.state = meta["rng"][i]
            kept = f["kept"]
    except (OSError, ValueError, KeyError) as error:
        raise UsageError(f"{path}: not a readable checkpoint ({error}); delete it") from error
    return _State(int(meta["sweeps"]), int(meta["thin"]), kept, float(meta["seconds"]))


def _parallel(chains: list[Chain], work: Callable[[Chain], np.ndarray]) -> np.ndarray:
    """``work`` on every chain in parallel threads (the sweeps release the GIL), stacked."""
    with ThreadPoolExecutor(max_workers=len(chains)) as pool:
        return np.stack(list(pool.map(work, chains)))


def _burn(chains: list[Chain], sweeps: int) -> None:
    """``sweeps`` sweeps of every chain, none kept."""
    if sweeps > 0:
        _parallel(chains, lambda chain: chain.run(sweeps - 1, 1, 1))


def _sample(chains: list[Chain], done: int, draws: int, thin: int) -> tuple[np.ndarray, int]:
    """The next ``draws`` sweeps past ``done`` (sweeps since the warm-up) whose count is a
    multiple of ``thin``, kept: ((chains, draws, cells), the sweeps run). The kept draws of a
    run are thus always every multiple of its thinning."""
    first = thin - done % thin  # sweeps to the next multiple

    def one(chain: Chain) -> np.ndarray:
        head = chain.run(first - 1, 1, 1)
        return np.concatenate([head, chain.run(0, draws - 1, thin)]) if draws > 1 else head

    return _parallel(chains, one), first + (draws - 1) * thin


def _start(
    data_states: list[str],
    data_periods: np.ndarray,
    cell_state: np.ndarray,
    cell_period: np.ndarray,
    fallback: np.ndarray,
    initial: pl.DataFrame | None,
) -> np.ndarray:
    """Starting positions of the cells: ``initial`` (``iso3, period, ideal_point``) where it
    has the cell, else ``fallback``; standardised over all cells, as every draw is."""
    start = fallback.astype(float).copy()
    if initial is not None and initial.height:
        missing = {"iso3", "period", "ideal_point"} - set(initial.columns)
        if missing:
            raise ValueError(f"initial_positions lacks the columns {', '.join(sorted(missing))}")
        cells = pl.DataFrame(
            {
                "iso3": np.asarray(data_states, dtype=str)[cell_state],
                "period": data_periods[cell_period].astype(np.int64),
            }
        ).with_row_index("cell")
        given = initial.select(
            pl.col("iso3").cast(pl.String),
            pl.col("period").cast(pl.Int64),
            pl.col("ideal_point").cast(pl.Float64),
        ).drop_nulls()
        joined = cells.join(given, on=["iso3", "period"], how="inner")
        start[joined["cell"].to_numpy()] = joined["ideal_point"].to_numpy()
    spread = start.std()
    return (start - start.mean()) / (spread if spread > 0 else 1.0)


def run_to_standard(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    *,
    matches: pl.DataFrame | None = None,
    initial_positions: pl.DataFrame | None = None,
    anchor: str = "USA",
    priors: Priors = PRIORS,
    chains: int = 2,
    seed: int = 0,
    warmup: int = 1000,
    check_every: int = 500,
    keep: int = 1000,
    max_minutes: float = 60.0,
    max_sweeps: int | None = None,
    checkpoint: Path | None = None,
    interval: float = 0.9,
    on_check: Callable[[Check], None] | None = None,
    **rules: Unpack[DataRules],
) -> McmcRun:
    """Run the sampler until its estimates meet the publication standard or ``max_minutes``
    pass (see the module doc); return the estimates of the draws kept after the warm-up.

    Votes, roll calls, matches, data rules, priors and ``by``/``vote_set`` as for
    :func:`alignment.ideal_points.sample_posterior`. ``initial_positions``: a frame of
    ``iso3, period, ideal_point`` every chain starts from (by default the EM estimate of the
    same votes, :func:`alignment.ideal_points.fit_em`); cells it lacks start from the
    principal-component start. ``warmup`` sweeps are discarded;
    then every ``check_every`` sweeps the draws are judged; at most ``keep`` draws per chain are
    held. ``max_sweeps`` (sweeps of each chain, warm-up included) stops the run at the first
    check past it: a stopping rule that, unlike the time, gives the same numbers on any machine.
    ``checkpoint``: a file to resume from when it exists, written after every check.
    ``on_check`` is called after every check (and each warm-up block). Reproducible: the same
    inputs, options and ``seed`` give the same draws for the same sweeps, interrupted or not
    (when it stops depends on the time)."""
    for name, value, least in (
        ("chains", chains, 2),
        ("check_every", check_every, 1),
        ("keep", keep, 8),
        ("warmup", warmup, 0),
    ):
        if value < least:
            raise ValueError(f"{name} must be at least {least}, not {value}")
    if not max_minutes > 0:
        raise ValueError(f"max_minutes must be positive, not {max_minutes}")
    data, full = _prepared(votes, roll_calls, matches, rules)
    if data is None:
        raise UsageError("no votes to estimate ideal points from (check the sessions and topic)")
    cells, vote_cell = _cells(data, priors.step_sd)
    if initial_positions is None:  # the EM estimate (no bootstrap: only the positions serve)
        initial_positions = fit_em(
            votes, roll_calls, matches=matches, anchor=anchor, step_sd=priors.step_sd,
            bootstrap=0, **rules,
        ).summary()  # fmt: skip
    start = _start(
        data.states,
        data.periods,
        cells.state,
        cells.period,
        _start_positions(data, cells, vote_cell),
        initial_positions,
    )
    seeds = np.random.SeedSequence(seed).spawn(chains)
    chain_list = [_chain(data, cells, vote_cell, start, priors=priors, seed=s) for s in seeds]
    options = {
        **full, **dataclasses.asdict(priors), "chains": chains, "seed": seed, "warmup": warmup,
        "keep": keep, "start": hashlib.sha256(start.tobytes()).hexdigest(),
    }  # fmt: skip
    fingerprint = _fingerprint(chain_list, options)
    n_cells = len(start)
    state = _State(0, 1, np.empty((chains, 0, n_cells), np.float32), 0.0)
    if checkpoint is not None and checkpoint.exists():
        state = _load(checkpoint, chain_list, fingerprint)
        log.info("resumed from %s: %s sweeps done", checkpoint, f"{state.sweeps:,}")
    resumed_from = state.sweeps

    labels = _labels(full, data, cells)
    anchor_cells = np.flatnonzero(labels["iso3"] == anchor)

    def posterior_of(kept: np.ndarray) -> Posterior:
        return Posterior(**labels, draws=_orient(kept, anchor_cells))

    max_seconds = max_minutes * 60.0
    began = time.monotonic() - state.seconds
    resumed_seconds = state.seconds

    def check(convergence: Convergence | None, left: float | None) -> Check:
        state.seconds = time.monotonic() - began
        if checkpoint is not None:
            _save(checkpoint, chain_list, state, fingerprint)
        done = Check(state.sweeps, warmup, state.kept.shape[1], state.thin, state.seconds,
                     max_seconds, convergence, left)  # fmt: skip
        if on_check is not None:
            on_check(done)
        return done

    # The warm-up and the first check always run: a run stopped by the time before it has
    # draws to judge would have nothing to give.
    while state.sweeps < warmup:
        block = min(check_every, warmup - state.sweeps)
        _burn(chain_list, block)
        state.sweeps += block
        check(None, None)
    while True:
        done = state.sweeps - warmup
        first = state.thin - done % state.thin
        draws = max(1 + int((check_every - first) / state.thin + 0.5), 4 - state.kept.shape[1])
        new, sweeps = _sample(chain_list, done, draws, state.thin)
        state.sweeps += sweeps
        kept = np.concatenate([state.kept, new], axis=1)
        if kept.shape[1] > keep:  # every other draw: the multiples of twice the thinning
            kept = kept[:, 1::2]
            state.thin *= 2
        state.kept = np.ascontiguousarray(kept)
        posterior = posterior_of(state.kept)
        estimates = posterior.summary(interval)
        verdict = check_convergence(estimates)
        seconds = time.monotonic() - began
        per_sweep = (seconds - resumed_seconds) / max(state.sweeps - resumed_from, 1)
        left = (_projected_factor(estimates) - 1.0) * (state.sweeps - warmup) * per_sweep
        last = check(verdict, left)
        if verdict.ok or last.seconds >= max_seconds or state.sweeps >= (max_sweeps or np.inf):
            return McmcRun(estimates, verdict, posterior, last, resumed_from)


@contextlib.contextmanager
def progress_reporter(terminal: bool) -> Iterator[Callable[[Check], None]]:
    """A callback for ``on_check``: on a terminal a progress bar with the projected time left
    (rich, on stderr), otherwise one log line per check."""
    if not terminal:
        yield lambda check: log.info("ideal points (mcmc): %s", check.line())
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
        console=Console(stderr=True),
        transient=False,
    )
    task = progress.add_task("ideal points (mcmc)", total=1.0, status="starting")

    def update(check: Check) -> None:
        c = check.convergence
        if c is None:
            done = check.sweeps / max(check.warmup, 1)
            status = f"warm-up {check.sweeps:,}/{check.warmup:,} sweeps"
            progress.update(task, completed=0.1 * done, status=status)
            return
        projected = check.seconds_left if check.seconds_left is not None else float("inf")
        remaining = max(check.max_seconds - check.seconds, 0.0)
        left = min(projected, remaining)
        share = check.seconds / (check.seconds + left) if np.isfinite(left) else 0.1
        if c.ok:
            when = "done"
        elif projected <= remaining:
            when = f"about {_duration(projected)} left"
        else:  # the time allowed ends first
            when = f"about {_duration(projected)} to the standard, stopping in {_duration(left)}"
        status = (
            f"{check.sweeps:,} sweeps, {c.share_converged:.1%} of estimates meet the standard, "
            f"worst R-hat {c.rhat_max:.3f}, {when}"
        )
        progress.update(task, completed=1.0 if c.ok else max(0.1, share), status=status)

    with progress:
        yield update

"""The cookbook (docs/guides/cookbook.md): the researcher's questions, the one command that
answers each, and what it prints, with the time it takes.

    python benchmarks/cookbook.py [--db data/alignment.duckdb] [--runs 3]

Runs every command of ``ENTRIES`` in a fresh process (the installed ``alignment`` beside this
Python, store from ``--db`` through ``$ALIGNMENT_DB``), checks that each run prints the same,
and writes the outputs and the median wall times to benchmarks/results/cookbook.json, from
which cog writes the cookbook page (and the times in docs/reference/figures.md).
tests/test_cookbook.py runs every command against the store the tests build and checks that
it prints exactly what the file holds, so the page cannot go stale: after a change to the
data or to a command, run this script and `make readme`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "cookbook.json"

# (question, the one command that answers it). Outputs are trimmed (--top, LIMIT, a short
# window) so that the page stays short and every command stays fast.
ENTRIES: list[tuple[str, str]] = [
    (
        "Which states moved most toward Russia between 2021 and 2023?",
        "alignment movers --toward RUS --from 2021 --to 2023 --metric agree --min-n 40 --top 10",
    ),
    (
        "How did the CSTO and EAEU members vote on each ES-11 resolution, and who broke ranks?",
        "alignment queries run bloc_votes -p blocs=csto,eaeu -p series=A/RES/ES-11/%",
    ),
    (
        "On what share of recorded votes was the USA in the minority, each year?",
        "alignment queries run minority_share -p country=USA -p from_year=2015",
    ),
    (
        "Who were Russia's closest partners each year, and on how many votes?",
        "alignment metrics --countries RUS --by year --from 2022 --min-n 40 --top 3",
    ),
    (
        "Where did Belarus, China, Russia and the USA stand, year by year (ideal points)?",
        # One line of shell with newlines inside the quoted SQL, as the cookbook page shows it.
        'alignment sql "PIVOT (SELECT period AS year, iso3, round(ideal_point, 2) AS ip\n'
        "                        FROM ideal_points WHERE period_type = 'year' AND period >= 2016\n"
        "                          AND vote_set = 'all' AND iso3 IN ('BLR', 'CHN', 'RUS', 'USA'))\n"
        '                 ON iso3 USING first(ip) ORDER BY year"',
    ),
    (
        "Which CSTO members voted with Belarus on A/RES/66/253 (Syria, February 2012)?",
        "alignment queries run bloc_votes -p blocs=csto -p series=A/RES/66/253",
    ),
    (
        "What does a view of the store hold, column by column?",
        "alignment schema agreement_long",
    ),
]


def run(command: str, db: Path) -> tuple[str, float]:
    """What the command prints and how long it took, in a fresh process."""
    argv = shlex.split(command)
    exe = shutil.which("alignment", path=str(Path(sys.executable).parent)) or "alignment"
    env = {**os.environ, "ALIGNMENT_DB": str(db)}
    start = time.perf_counter()
    done = subprocess.run([exe, *argv[1:]], env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command!r} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path("data/alignment.duckdb"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    entries = []
    for question, command in ENTRIES:
        outputs, times = set(), []
        for _ in range(args.runs):
            output, seconds = run(command, args.db)
            outputs.add(output)
            times.append(seconds)
        if len(outputs) != 1:
            raise SystemExit(f"{command!r} printed different outputs on different runs")
        seconds = statistics.median(times)
        print(f"{seconds:6.2f} s  {question}")
        entries.append(
            {"question": question, "command": command, "output": outputs.pop(),
             "seconds": round(seconds, 2)}
        )  # fmt: skip
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    RESULTS.write_text(
        json.dumps(
            {
                "measured": f"`python benchmarks/cookbook.py --runs {args.runs}`: median wall "
                f"time of each command in a fresh process (start-up included), on "
                f"{os.cpu_count()} cores (load average {load:.1f}), Python "
                f"{platform.python_version()}",
                "entries": entries,
            },
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()

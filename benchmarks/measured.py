"""What a benchmark's results file says about where it was measured: the load average, and the
closing line naming the command, the cores and the Python."""

from __future__ import annotations

import os
import platform
import sys


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine skews timings)."""
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def results_text(lines: list[str], script: str, argv: list[str] | None) -> str:
    """``lines`` as a text block, then the command that measured them (``script`` under
    benchmarks/ with ``argv`` or the process's arguments) and the machine."""
    command = " ".join([f"python benchmarks/{script}", *(argv or sys.argv[1:])])
    return (
        "```text\n" + "\n".join(lines) + "\n```\n\n"
        f"Measured with `{command}` on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}.\n"
    )

"""A benchmark's results file: what it says about where it was measured (the load average, and
the closing line naming the command, the cores and the Python), and how it is written."""

from __future__ import annotations

import os
import platform
import shutil
import sys
from pathlib import Path


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine skews timings)."""
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def alignment_command() -> str:
    """The ``alignment`` command of the Python that runs the benchmark (its virtual environment)."""
    return shutil.which("alignment", path=str(Path(sys.executable).parent)) or "alignment"


def measured_with(script: str, argv: list[str] | None, load: float | None = None) -> str:
    """The closing line: the command that measured (``script`` under benchmarks/ with ``argv``
    or the process's arguments), the cores (and the load, where given) and the Python."""
    command = " ".join([f"python benchmarks/{script}", *(argv or sys.argv[1:])])
    cores = f"{os.cpu_count()} cores" + (f" (load {load:.1f})" if load is not None else "")
    return f"Measured with `{command}` on {cores}, Python {platform.python_version()}.\n"


def results_text(lines: list[str], script: str, argv: list[str] | None) -> str:
    """``lines`` as a text block, then the closing line (:func:`measured_with`)."""
    return "```text\n" + "\n".join(lines) + "\n```\n\n" + measured_with(script, argv)


def publish(path: Path, text: str) -> None:
    """Print the results and write them to their file under benchmarks/results/."""
    print(text, end="")
    path.write_text(text)

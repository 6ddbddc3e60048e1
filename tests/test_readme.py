"""The README's generated parts (the command reference, the figures of the benchmarks) match
the code and the benchmarks' last results: `make readme` regenerates them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_is_what_cog_generates() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "README.md"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, (
        f"README.md is out of date with the code: run `make readme`.\n{result.stdout}{result.stderr}"
    )


def test_every_command_is_in_the_reference() -> None:
    import click

    from alignment.cli import cli

    text = (ROOT / "README.md").read_text()

    def paths(group: click.Command, path: list[str]) -> list[list[str]]:
        out = [path]
        if isinstance(group, click.Group):
            for name, command in group.commands.items():
                out += paths(command, [*path, name])
        return out

    for path in paths(cli, []):
        assert f"### `{' '.join(['alignment', *path])}`" in text

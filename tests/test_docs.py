"""The documentation: the site builds with no warning, and the pages' generated parts (the
command reference, the cookbook's outputs, the measured figures, the floors of the code) are
what cog writes from the code and the benchmarks' last results: `make readme` regenerates them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from alignment.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
COGGED = sorted(p for p in [ROOT / "README.md", *DOCS.rglob("*.md")] if "[[[cog" in p.read_text())


def test_the_generated_pages_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in COGGED}
    assert {"README.md", "docs/reference/commands.md", "docs/reference/figures.md",
            "docs/guides/cookbook.md"} <= names  # fmt: skip


@pytest.mark.parametrize("page", COGGED, ids=[p.relative_to(ROOT).as_posix() for p in COGGED])
def test_each_generated_page_is_what_cog_generates(page: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", str(page.relative_to(ROOT))],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, (
        f"{page.relative_to(ROOT)} is out of date: run `make readme`.\n{result.stdout}{result.stderr}"
    )


def _paths(group: click.Command, path: list[str]) -> list[list[str]]:
    out = [path]
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            out += _paths(command, [*path, name])
    return out


def test_every_command_has_its_reference_entry() -> None:
    text = (DOCS / "reference" / "commands.md").read_text()
    headings = set(re.findall(r"^## `(alignment[^`]*)`$", text, flags=re.MULTILINE))
    commands = {" ".join(["alignment", *path]) for path in _paths(cli, [])}
    assert commands <= headings
    assert len(commands) > 10


def test_every_page_is_in_the_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert {page for page in pages if page not in config} == set()


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
    assert warnings == []
    assert (tmp_path / "reference" / "commands.html").exists()

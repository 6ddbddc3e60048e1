"""The house's rules, checked on the code: data flows one way, and start-up stays cheap.

source file -> canonical rows -> reconcile -> store -> analyses -> reports and CLI: every
module sits on a floor, and may import only from its own floor or below (imports inside
functions count too). No two modules import each other.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "alignment"

# Floors, from the ground up. A module not listed here fails the test: place it.
FLOORS: list[tuple[str, ...]] = [
    # the words, errors and locations every layer shares
    ("vocabulary", "formulas", "spells", "errors", "resources", "location", "sessions", "symbols", "titles", "faults",
     "attempt", "links", "limits", "progress"),
    # facts the project keeps (data/), and the public schema
    ("countries", "blocs", "topics", "schema"),
    # source file -> canonical rows
    ("sources",),
    # one roll call per vote
    ("reconcile",),
    # compiled kernels on arrays; judging Markov chains (the ideal points' diagnostics)
    ("sampler", "convergence", "em"),
    # computations on frames
    ("metrics", "cohesion", "ideal_points", "mcmc", "clusters", "changepoints", "coverage", "revisions"),
    # what changed between sessions (reports and change feeds), on the metrics
    ("shifts",),
    # the derived tables of a build
    ("derived",),
    # the store file; downloading
    ("store", "download"),
    ("upstream", "build"),
    ("refresh",),
    # analyses of a store, the SQL workbench, status
    ("analyses", "workbench", "status", "feed"),
    ("reports", "digest"),
    ("cli",),
]  # fmt: skip
FLOOR = {name: i for i, names in enumerate(FLOORS) for name in names}


def _room(path: Path) -> str:
    """A module's room: its own name, or its package's for modules of a subpackage."""
    rel = path.relative_to(PACKAGE).with_suffix("")
    return rel.parts[0]


def _imports(path: Path) -> set[str]:
    """Rooms this file imports (``from alignment import x``, ``import alignment.x``...)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "alignment":
                continue
            if len(parts) > 1:
                out.add(parts[1])
            else:
                out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "alignment" and len(parts) > 1:
                    out.add(parts[1])
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name == "__init__.py" and path.parent == PACKAGE:
            continue  # the package's face only hands `connect` on, lazily
        room = _room(path)
        graph.setdefault(room, set()).update(_imports(path) - {room})
    return graph


def test_every_module_has_a_floor() -> None:
    assert sorted(set(_graph()) - set(FLOOR)) == []


def test_no_module_imports_one_above_it() -> None:
    graph = _graph()
    climbing = sorted(
        (room, target)
        for room, targets in graph.items()
        for target in targets
        if FLOOR.get(target, -1) > FLOOR.get(room, -1)
    )
    assert climbing == []


def test_no_two_modules_import_each_other() -> None:
    graph = _graph()
    pairs = sorted((a, b) for a, targets in graph.items() for b in targets if a in graph.get(b, ()))
    assert pairs == []


def _module(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def test_no_circles_inside_a_room() -> None:
    """Inside a subpackage (reports: its sections, findings, sentences, charts...; sources: its
    readers, their rows and registry) imports run one way too: no module reaches itself
    through the modules it imports, a package's ``__init__`` and deferred imports included."""
    modules = {
        _module(p): p for p in PACKAGE.rglob("*.py") if len(p.relative_to(PACKAGE).parts) > 1
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        # ast.walk sees every import, those deferred into a function's body included.
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = {f"{node.module}.{a.name}" for a in node.names}
                targets.update(names)
                # ``from a.b import c`` needs a.b's own code unless every c is a submodule
                # (then a.b runs first only as the package that holds them).
                if not names <= set(modules):
                    targets.add(node.module)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
        graph[name] = {t for t in targets if t in modules and t != name}

    def circle(start: str) -> list[str] | None:
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    return [*path, start]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
        return None

    assert [c for c in map(circle, sorted(graph)) if c] == []


def _loaded_by(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(out.stdout.split())


@pytest.mark.parametrize(
    ("statement", "not_loaded"),
    [
        ("import alignment", {"duckdb", "polars", "numpy", "scipy", "alignment.store"}),
        (
            "import alignment.cli",
            {"duckdb", "polars", "numpy", "scipy", "plotly", "httpx", "arviz_stats", "numba"},
        ),
        (
            "import alignment.metrics",
            {"scipy", "duckdb", "alignment.store", "sklearn", "arviz_stats", "numba"},
        ),
        (
            "from click.testing import CliRunner; from alignment.cli import cli; "
            "CliRunner().invoke(cli, ['--help'])",
            {"duckdb", "polars", "numpy", "scipy", "arviz_stats", "numba"},
        ),
        # ArviZ (a second to import) only when the diagnostics are computed; numba only when
        # sampling (reports and status read the stored estimates).
        (
            "import alignment.convergence, alignment.ideal_points, alignment.mcmc",
            {"arviz_stats", "numba", "alignment.sampler"},
        ),
    ],
)
def test_imports_load_only_what_they_use(statement: str, not_loaded: set[str]) -> None:
    assert _loaded_by(statement) & not_loaded == set()


def test_connect_is_there_on_first_use() -> None:
    assert "alignment.store" in _loaded_by("import alignment; alignment.connect")

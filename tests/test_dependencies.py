"""Every package the code imports is declared in pyproject.toml, not merely installed because
another package pulls it in."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _imports(folder: Path) -> set[str]:
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def _declared(specs: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", s, maxsplit=1)[0].lower().replace("_", "-") for s in specs}


def _third_party(modules: set[str]) -> dict[str, set[str]]:
    dists = packages_distributions()
    local = {"pipeline", "tests", "conftest"} | set(sys.stdlib_module_names)
    return {
        m: {d.lower().replace("_", "-") for d in dists.get(m, [m])}
        for m in modules - local
        if not (REPO / "tests").joinpath(*m.split(".")).exists()
    }


def _undeclared(folder: Path, declared: set[str]) -> list[str]:
    # tests import their sibling helper modules (fakehub, hostile, _worker) by bare name
    siblings = {p.stem for p in folder.rglob("*.py")}
    found = _third_party(_imports(folder) - siblings)
    return sorted(m for m, dists in found.items() if not dists & declared)


def test_every_import_is_a_declared_dependency():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = _declared(project["project"]["dependencies"])
    dev = _declared(project["dependency-groups"]["dev"])
    assert _undeclared(REPO / "pipeline", runtime) == []
    assert _undeclared(REPO / "tests", runtime | dev) == []


def test_the_simulated_world_does_not_import_its_ground_truth():
    """truth.py reads the world; the world must not reach back (an import cycle)."""
    assert "pipeline" in _imports(REPO / "pipeline" / "simulator")
    world = ast.parse((REPO / "pipeline" / "simulator" / "world.py").read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(world) if isinstance(n, ast.ImportFrom) and n.module}
    assert "pipeline.simulator.truth" not in modules

"""Import structure: every module imports alone (no import cycle), and imports point one way.

- each module of the project's packages is imported alone in a fresh interpreter;
- the module-level imports between project modules form no cycle (read from the AST);
- packages import only the layers below them (`ALLOWED`): `sources` (the contract) nothing
  of the project, `ingestion` only `sources`, `expectations` and `reporting` those two,
  `orchestration` everything but the DAGs; inside `ingestion.read`, the
  header matcher and the parser never import the file formats (csv, xlsx) nor the entry.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("sources", "ingestion", "expectations", "orchestration", "reporting", "metabase")


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path, *, top_level_only: bool = False) -> set[str]:
    """Absolute names of the modules `name` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            submodules = {f"{module}.{a.name}" for a in node.names} & MODULES.keys()
            # `from package import module, …` needs only those modules (the package's
            # __init__ is started first anyway); any other name needs the module itself
            if len(submodules) < len(node.names):
                found.add(module)
            found.update(submodules)
    return found


def _project(names: set[str]) -> set[str]:
    return {n for n in names if n.split(".")[0] in PACKAGES}


def test_every_module_imports_alone():
    def run(module: str) -> str | None:
        proc = subprocess.run(
            [sys.executable, "-c", f"import {module}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode:
            return f"{module}: {proc.stderr.strip().splitlines()[-1:]}"
        return None

    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(run, sorted(MODULES)) if f]
    assert not failures, failures


def test_module_level_imports_have_no_cycle():
    graph = {
        name: {m for m in _project(_imports(name, path, top_level_only=True)) if m in MODULES}
        for name, path in MODULES.items()
    }
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycle = [*path[path.index(dep) :], dep] if dep in path else [node, dep]
                raise AssertionError("import cycle: " + " → ".join(cycle))
            if dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


# Which packages a package may import (besides itself): the layers of docs/architecture.md.
ALLOWED = {
    "sources": set(),
    "ingestion": {"sources"},
    "expectations": {"sources", "ingestion"},
    "reporting": {"sources", "ingestion"},
    "metabase": {"sources", "ingestion"},
    "orchestration": {"sources", "ingestion", "expectations", "reporting", "metabase"},
}


def test_imports_point_one_way():
    problems = []
    for name, path in MODULES.items():
        imported = _project(_imports(name, path))
        top = name.split(".")[0]
        bad = {m for m in imported if m.split(".")[0] not in ALLOWED[top] | {top}}
        problems += [f"{name} imports {m}" for m in sorted(bad)]
        if name in ("ingestion.read.header", "ingestion.read.parse"):
            bad = {
                m
                for m in imported
                if m == "ingestion.read"
                or m.startswith(("ingestion.read.csv", "ingestion.read.xlsx"))
            }
            problems += [f"{name} imports {m}" for m in sorted(bad)]
    assert not problems, problems

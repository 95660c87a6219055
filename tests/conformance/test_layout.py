"""The suite's layout holds: stages in layers, no import cycle, the face on top.

Every import statement of ``conformance/**/*.py`` counts, wherever it stands: at the top of a
module, inside a function (a lazy import) or under ``TYPE_CHECKING``. A stage imports only the
stages below it (``STAGES``); the pytest face (``conformance/face/`` and the entry modules at
the top of ``conformance/``) is imported by nothing below it, and no two modules import each
other, however long the loop.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parents[2] / "conformance"
#: Each stage and the stages it may import (besides itself, ``models`` and third parties).
STAGES: dict[str, set[str]] = {
    "wire": set(),
    "judging": {"wire"},
    "targets": {"wire", "judging"},
    "programs": {"wire", "judging"},
    "upgrade": {"wire", "judging", "targets"},
    "reports": {"wire", "judging", "targets", "programs", "upgrade"},
    "face": {"wire", "judging", "targets", "programs", "upgrade", "reports"},
}
#: The modules at the top of conformance/: the plugin and its fixtures, the command lines
#: (thin: each calls into a stage) and the suite's own tests. They may import anything.
TOP = "top"
TOP_MODULES = {"__init__", "__main__", "cli", "compare", "certificate", "plugin", "fixtures", "conftest"}
#: What no stage below the face may import: the face itself and the modules at the top.
FACE = {"face", TOP}


def module_name(path: Path) -> str:
    parts = path.relative_to(SUITE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(SUITE.rglob("*.py"))}


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in STAGES) else TOP


def imported(module: str) -> dict[str, int]:
    """The suite's modules that ``module`` imports, each with the line of its first import."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from package import module`` imports the module; ``from module import name`` the module.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.setdefault(name, node.lineno)
    return found


GRAPH = {module: imported(module) for module in MODULES}


def cycles() -> list[list[str]]:
    """Every group of modules that import each other (strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in GRAPH[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return found


def test_the_graph_sees_every_kind_of_import() -> None:
    assert len(MODULES) > 60
    assert "conformance.judging.driver" in GRAPH["conformance.programs.machine"]  # top of the module
    assert "conformance.reports.certificate" in GRAPH["conformance.cli"]  # inside a function
    assert "conformance.upgrade.validation" in GRAPH["conformance.plugin"]  # ``from package import module``


def test_no_module_of_the_suite_imports_itself_through_others() -> None:
    found = cycles()
    described = ["; ".join(f"{a} -> {b} (line {GRAPH[a][b]})" for a in group for b in GRAPH[a] if b in group)
                 for group in found]
    assert found == [], "import cycles:\n" + "\n".join(described)


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_a_stage_imports_only_the_stages_below_it(stage: str) -> None:
    allowed = STAGES[stage] | {stage}
    upward = [f"{module} -> {other} (line {line})"
              for module in MODULES if stage_of(module) == stage
              for other, line in GRAPH[module].items() if stage_of(other) not in allowed]
    assert upward == [], f"{stage} may import only {sorted(allowed)}:\n" + "\n".join(upward)


def test_nothing_below_the_face_imports_the_plugin_the_face_or_a_command_line() -> None:
    below = [m for m in MODULES if stage_of(m) not in FACE]
    assert any(m.startswith("conformance.targets.") for m in below)
    offenders = [f"{module} -> {other}" for module in below for other in GRAPH[module]
                 if stage_of(other) in FACE]
    assert offenders == []


def test_every_module_belongs_to_a_stage_or_is_an_entry_or_a_test_of_the_suite() -> None:
    stray = [m for m in MODULES if stage_of(m) == TOP and m != "conformance"
             and m.split(".")[-1] not in TOP_MODULES and not m.split(".")[-1].startswith("test_")]
    assert stray == [], "place these in a stage (STAGES) or name them an entry module (TOP_MODULES)"


def test_only_the_targets_may_reach_the_emulator() -> None:
    reaching = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            if any(n.split(".")[0] == "emulator" for n in names) and stage_of(module) != "targets":
                reaching.append(module)
    assert reaching == []

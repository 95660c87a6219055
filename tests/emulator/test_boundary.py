import ast
from pathlib import Path

EMULATOR = Path(__file__).resolve().parents[2] / "emulator"
FORBIDDEN = {"models", "conformance"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            roots |= {a.value.split(".")[0] for a in node.args
                      if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return roots


def test_emulator_never_imports_models_or_conformance():
    files = sorted(EMULATOR.rglob("*.py"))
    assert len(files) >= 8
    offenders = {str(f.relative_to(EMULATOR)): imported_roots(f) & FORBIDDEN for f in files}
    assert {k: v for k, v in offenders.items() if v} == {}

"""The package's layout: data flows one way (data -> stats -> engine -> render; qual beside)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "analysis"

#: What each part of the package may import from the package (besides itself).
ALLOWED = {
    "columns": set(),
    "errors": set(),
    "config": {"errors"},
    "runlog": {"errors"},
    "data": {"config", "errors", "runlog", "columns"},
    "stats": {"columns", "errors"},
    "engine": {"stats", "columns", "config", "errors", "runlog"},
    "render": {"stats", "columns", "config", "errors", "runlog"},
    "qual": {"stats", "columns", "config", "errors", "runlog"},
    # simulations reuse the generator and the engine; render reads their CSV files only
    "believe": {"data", "stats", "engine", "config", "columns", "errors", "runlog"},
    # the command line runs Snakemake; it imports nothing of the package
    "cli": set(),
    "__main__": {"cli"},
}


def _part(path: Path) -> str:
    rel = path.relative_to(PACKAGE).parts
    return rel[0].removesuffix(".py") if rel[0] != "__init__.py" else "__init__"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "analysis."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module == "analysis":
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("analysis."))
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _part(p) != "__init__")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_data_flows_one_way(path: Path) -> None:
    part = _part(path)
    wrong = _imports(path) - ALLOWED[part] - {part}
    assert not wrong, f"{path.relative_to(PACKAGE)} ({part}) imports {sorted(wrong)}"


def test_no_module_named_tests_inside_the_package() -> None:
    assert not [p for p in PACKAGE.rglob("tests.py")]


def test_public_statistics_api() -> None:
    import analysis.stats as st

    for name in ("crosstab", "mann_whitney", "welch_t", "logistic_regression", "lilliefors",
                 "shapiro_wilk", "normality_table"):
        assert callable(getattr(st, name)), name
        assert ">>>" in (getattr(st, name).__doc__ or ""), f"{name} has no doctest example"

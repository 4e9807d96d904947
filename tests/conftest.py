"""Shared fixtures and helpers for the foundation tests (config, ingest, validate, derive, pool).

Every fixture file is written by the test into ``tmp_path``; the repository's own files are read
by absolute path, so the tests do not depend on the working directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analysis.config import load_yaml, resolve_mapping
from analysis.data.ingest import apply_mapping, read_panel

REPO = Path(__file__).resolve().parent.parent
CODEBOOK = REPO / "data" / "codebook.yaml"
PRESETS = REPO / "config" / "presets"
SYNTHETIC_DIR = REPO / "data" / "synthetic"
COUNTRIES = ["india", "ghana", "mexico", "venezuela", "malaysia"]

#: Test modules that run Snakemake end to end; every other test is a unit test.
PIPELINE_MODULES = {"test_pipeline.py"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test ``pipeline`` (runs Snakemake) or ``unit`` (everything else, doctests
    included), so `pytest -m unit` is the quick loop and `pytest -m pipeline` the end-to-end."""
    for item in items:
        kind = "pipeline" if item.path.name in PIPELINE_MODULES else "unit"
        item.add_marker(getattr(pytest.mark, kind))


STUDY_DERIVE: dict[str, Any] = {
    "size_definition": "study",
    "size_status": "first_year",
    "doi_bands": {"cuts": [10, 40], "labels": ["none", "low", "medium", "high"]},
}


@pytest.fixture(scope="session")
def codebook() -> dict[str, Any]:
    return load_yaml(CODEBOOK)


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` (dedented lines, one trailing newline) and return the path."""
    lines = [line.strip() for line in text.strip().splitlines()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def map_file(
    path: Path,
    mapping: dict[str, Any] | None,
    codebook: dict[str, Any],
    *,
    fmt: str = "csv",
    on_invalid: str | None = None,
    read: dict[str, Any] | None = None,
    panel: str = "p",
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """read_panel + resolve_mapping + apply_mapping, as the ingest stage does."""
    raw = read_panel(path, fmt, read)
    resolved = resolve_mapping(mapping or {}, PRESETS)
    return apply_mapping(raw, resolved, codebook, panel=panel, path=str(path),
                         on_invalid=on_invalid)


def assert_message(exc_info: pytest.ExceptionInfo, *parts: str) -> str:
    """Every part occurs in the error message (shown in full when one does not)."""
    msg = str(exc_info.value)
    missing = [p for p in parts if p not in msg]
    assert not missing, f"{missing} not in message:\n{msg}"
    return msg


def run_chain(
    tmp_path: Path,
    panels: dict[str, dict[str, Any]],
    derive: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """run_ingest -> run_validate for each panel, then run_pool; return every summary."""
    from analysis.data.ingest import run_ingest
    from analysis.data.pool import run_pool
    from analysis.data.validate import run_validate

    derive = derive or STUDY_DERIVE
    out = tmp_path / "results"
    out.mkdir(exist_ok=True)
    summaries: dict[str, Any] = {"panels": {}}
    for name, cfg in panels.items():
        cfg = {"format": "csv", "read": {}, "mapping": {}, **cfg}
        run_ingest(panel=name, panel_cfg=cfg, codebook=str(CODEBOOK), presets_dir=str(PRESETS),
                   out_panel=str(out / f"{name}.ingested.parquet"),
                   out_ledger=str(out / f"{name}.ingested.ledger.csv"),
                   out_info=str(out / f"{name}.ingested.json"))
        summaries["panels"][name] = run_validate(
            panel=name, panel_cfg=cfg, derive_cfg=derive, codebook=str(CODEBOOK),
            presets_dir=str(PRESETS),
            in_panel=str(out / f"{name}.ingested.parquet"),
            in_ledger=str(out / f"{name}.ingested.ledger.csv"),
            in_info=str(out / f"{name}.ingested.json"),
            out_panel=str(out / f"{name}.parquet"), out_ledger=str(out / f"{name}.exclusions.csv"),
            out_summary=str(out / f"{name}.summary.json"))
    names = list(panels)
    summaries["pooled"] = run_pool(
        panels=names,
        in_panels=[str(out / f"{n}.parquet") for n in names],
        in_ledgers=[str(out / f"{n}.exclusions.csv") for n in names],
        in_summaries=[str(out / f"{n}.summary.json") for n in names],
        out_panel=str(out / "pooled.parquet"), out_ledger=str(out / "pooled.exclusions.csv"),
        out_summary=str(out / "pooled.summary.json"))
    summaries["dir"] = out
    return summaries


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))

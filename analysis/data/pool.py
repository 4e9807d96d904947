"""Pooling the validated country panels into one analysis panel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import PipelineInputError


def pool_panels(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Concatenate validated panels (in the given order); a firm may belong to one panel only.

    Raises
    ------
    PipelineInputError
        When a firm_id appears in more than one panel (give firms distinct ids, e.g. prefix the
        country code, so that firm-level statistics and clustering stay correct).
    """
    owners = (pd.concat([f[["firm_id"]].drop_duplicates().assign(panel=name)
                         for name, f in frames.items()])
              .groupby("firm_id")["panel"].agg(list))
    shared = owners[owners.map(len) > 1]
    if len(shared):
        raise PipelineInputError(
            "the same firm_id appears in more than one panel; firm ids must be unique across "
            "panels (e.g. prefix the country code in the file or map a unique id column):",
            [f"firm_id {fid!r} in panels {panels}" for fid, panels in shared.items()],
        )
    pooled = pd.concat(list(frames.values()), ignore_index=True)
    for col in ("size_group", "doi_band"):
        first = next(iter(frames.values()))[col]
        pooled[col] = pd.Categorical(pooled[col], categories=first.cat.categories,
                                     ordered=first.cat.ordered)
    return pooled


def run_pool(*, panels: list[str], in_panels: list[str], in_ledgers: list[str],
             in_summaries: list[str], out_panel: str, out_ledger: str,
             out_summary: str) -> dict[str, Any]:
    """Stage ``pool``: one panel of all configured countries, one ledger, one reconciliation."""
    from analysis.data.derive import firm_counts
    from analysis.runlog import write_csv, write_json

    frames = {name: pd.read_parquet(p) for name, p in zip(panels, in_panels, strict=True)}
    pooled = pool_panels(frames)
    ledgers = [pd.read_csv(p, dtype={"firm_id": "string", "reason": "string"}) for p in in_ledgers]
    ledger = pd.concat(ledgers, ignore_index=True)
    summaries = [json.loads(Path(p).read_text(encoding="utf-8")) for p in in_summaries]
    summary = {
        "panels": {s["panel"]: {k: s[k] for k in ("rows_in", "rows_kept", "rows_excluded",
                                                   "firms", "synthetic", "file")}
                   | {"survey": s.get("survey"), "warnings": s.get("warnings", [])}
                   for s in summaries},
        "rows_in": sum(s["rows_in"] for s in summaries),
        "rows_kept": int(len(pooled)),
        "rows_excluded": int(len(ledger)),
        "firms": firm_counts(pooled),
        "synthetic": any(s["synthetic"] for s in summaries),
        "size_definition": summaries[0]["size_definition"],
        "size_status": summaries[0]["size_status"],
        "warnings": [w for s in summaries for w in s.get("warnings", [])],
    }
    summary["reconciles"] = summary["rows_in"] == summary["rows_kept"] + summary["rows_excluded"]
    if not summary["reconciles"]:
        raise RuntimeError(f"pooled counts do not reconcile: {summary}")
    pooled.to_parquet(out_panel, index=False)
    write_csv(ledger, out_ledger)
    write_json(summary, out_summary)
    return summary

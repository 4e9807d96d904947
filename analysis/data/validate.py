"""Checking a canonical panel against the codebook; the exclusions ledger.

Column rules (type, range, required values) are checked with pandera; rules across columns
(duplicated firm-years, founding after the observation year, exports before the first export
year) with pandas. Each failure is an error (the run stops with a message naming file, row,
column, value and what is allowed) or, where the codebook or the panel entry says
``on_invalid: exclude``, an exclusion recorded in the ledger. Missing values of variables whose
codebook entry says ``missing: exclude`` are always exclusions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis.data.ingest import LEDGER_COLUMNS, ledger_frame, ledger_row, row_label, show_value
from analysis.errors import PipelineInputError

PANDAS_TYPES = {"string": "string", "integer": "Int64", "number": "float64", "boolean": "boolean"}


def _schema(codebook: dict[str, Any], present: list[str]) -> Any:
    import pandera.pandas as pa

    columns = {}
    for var, spec in codebook["variables"].items():
        if var not in present:
            continue
        checks = []
        lo, hi = spec.get("min"), spec.get("max")
        if lo is not None and hi is not None:
            checks.append(pa.Check.in_range(lo, hi))
        elif lo is not None:
            checks.append(pa.Check.ge(lo))
        elif hi is not None:
            checks.append(pa.Check.le(hi))
        columns[var] = pa.Column(PANDAS_TYPES[spec["type"]], checks=checks, nullable=True)
    return pa.DataFrameSchema(columns, strict=False, coerce=False)


def _allowed(spec: dict[str, Any]) -> str:
    lo, hi = spec.get("min"), spec.get("max")
    unit = f" {spec['unit']}" if spec.get("unit") else ""
    if lo is not None and hi is not None:
        return f"allowed: {lo} to {hi}{unit}"
    if lo is not None:
        return f"allowed: at least {lo}{unit}"
    return f"allowed: at most {hi}{unit}"


def validate_panel(
    df: pd.DataFrame,
    codebook: dict[str, Any],
    *,
    panel: str,
    path: str,
    on_invalid: str | None = None,
    config_file: str = "config/config.yaml",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check a canonical panel; return the kept rows and the ledger of excluded rows.

    Parameters
    ----------
    df : DataFrame
        Canonical panel from :func:`analysis.data.ingest.apply_mapping`.
    codebook : dict
        Parsed data/codebook.yaml.
    panel, path : str
        Names used in messages and in the ledger.
    on_invalid : {"error", "exclude"}, optional
        Overrides the codebook's ``on_invalid`` for every rule.

    Returns
    -------
    kept, ledger : DataFrame
        ``kept`` has the rows that passed; ``ledger`` one row per excluded row
        (columns :data:`analysis.data.ingest.LEDGER_COLUMNS`, stage ``validate``).

    Raises
    ------
    PipelineInputError
        For every failure whose rule is ``error`` (all are listed), or when no row is left.
    """
    import pandera.pandas as pa

    variables = codebook["variables"]
    where = f"panel {panel!r} ({path})"
    if len(df) == 0:
        raise PipelineInputError(f"{where}: the panel has no rows to validate")
    failures: list[tuple[Any, str, str]] = []  # (index, rule, reason)

    def rule_for(var: str) -> str:
        return on_invalid or variables.get(var, {}).get("on_invalid", "error")

    # required values
    for var, spec in variables.items():
        if var in df and spec.get("missing") == "exclude":
            for idx in df.index[df[var].isna()]:
                failures.append((idx, "exclude", f"column {var!r}: value is missing "
                                 f"({spec.get('label', var)} is needed for every firm-year)"))

    # types and ranges (pandera)
    schema = _schema(codebook, list(df.columns))
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        for rec in fc.itertuples(index=False):
            var = rec.column
            spec = variables.get(var, {})
            if rec.index is None or pd.isna(rec.index):
                raise PipelineInputError(
                    f"{where}: column {var!r} has the wrong type ({rec.failure_case}); "
                    f"the codebook says {spec.get('type')}"
                ) from None
            failures.append((rec.index, rule_for(var),
                             f"column {var!r}: value "
                             f"{show_value(rec.failure_case, spec.get('type'))} is out of range "
                             f"({_allowed(spec)})"))

    # duplicated firm-years (rows without a firm_id or year are already exclusions)
    keyed = df["firm_id"].notna() & df["year"].notna()
    dup = df.duplicated(["firm_id", "year"], keep=False) & keyed
    if dup.any():
        rows_of = df[dup].groupby(["firm_id", "year"], sort=True)["_row"].apply(list)
        for (firm, year), rows in rows_of.items():
            for idx in df.index[dup & (df["firm_id"] == firm) & (df["year"] == year)]:
                failures.append((idx, on_invalid or "error",
                                 f"columns 'firm_id', 'year': firm-year ({firm}, {year}) appears "
                                 f"in rows {rows}; each firm may appear once per year"))

    # founding after the observation year
    if "founded" in df:
        bad = (df["founded"] > df["year"]).fillna(False)
        for idx in df.index[bad]:
            failures.append((idx, rule_for("founded"),
                             f"column 'founded': value {df.at[idx, 'founded']} is after the "
                             f"observation year {df.at[idx, 'year']}"))
    if "first_export_year" in df:
        fey = df["first_export_year"]
        bad = (fey > df["year"]) & (df["export_share"] > 0)
        for idx in df.index[bad.fillna(False)]:
            failures.append((idx, rule_for("first_export_year"),
                             f"column 'first_export_year': value {fey[idx]} is after the year "
                             f"{df.at[idx, 'year']} in which the firm already exports "
                             f"(export_share = {df.at[idx, 'export_share']})"))
        if "founded" in df:
            bad = (fey < df["founded"]).fillna(False)
            for idx in df.index[bad]:
                failures.append((idx, rule_for("first_export_year"),
                                 f"column 'first_export_year': value {fey[idx]} is before the "
                                 f"founding year {df.at[idx, 'founded']}"))

    failures += firm_constant_failures(df, on_invalid)

    errors = [f for f in failures if f[1] == "error"]
    if errors:
        errors.sort(key=lambda f: int(df.at[f[0], "_row"]))
        raise PipelineInputError(
            f"{where}: {len(errors)} value(s) break the codebook (data/codebook.yaml). Correct "
            f"the file, or set `on_invalid: exclude` on panels.{panel} in {config_file} to "
            "exclude such rows and record them in the exclusions ledger:",
            [f"{row_label(df.loc[i])}, {reason}" for i, _, reason in errors],
        )
    reasons: dict[Any, list[str]] = {}
    for idx, _, reason in failures:
        reasons.setdefault(idx, []).append(reason)
    ledger = ledger_frame([ledger_row(df.loc[i], panel, path, "validate", "; ".join(r))
                           for i, r in reasons.items()])
    kept = df.drop(index=list(reasons))
    if len(kept) == 0:
        raise PipelineInputError(
            f"{where}: no rows left after validation; every row was excluded "
            f"(first reasons: {ledger['reason'].head(3).tolist()})"
        )
    return kept.reset_index(drop=True), ledger


FIRM_CONSTANTS: tuple[str, ...] = ("country", "founded", "first_export_year")


def firm_constant_failures(df: pd.DataFrame, on_invalid: str | None = None
                           ) -> list[tuple[Any, str, str]]:
    """Rows where a firm-level constant (country, founding year, first-export year) differs
    from the firm's value.

    The firm's value is the one most of its rows give (missing values do not count); on a tie,
    the value of its earliest observed year. Every row giving another value fails: under
    ``on_invalid: exclude`` it is excluded and ledgered, else the run stops listing them all.
    """
    failures: list[tuple[Any, str, str]] = []
    if "firm_id" not in df:
        return failures
    for col in FIRM_CONSTANTS:
        if col not in df:
            continue
        sub = df[df["firm_id"].notna() & df[col].notna()]
        if sub.empty:
            continue
        distinct = sub.groupby("firm_id", sort=True)[col].nunique()
        for firm in distinct.index[distinct > 1]:
            rows = sub[sub["firm_id"] == firm].sort_values(["year", "_row"], kind="stable")
            counts = rows[col].value_counts(sort=False)
            top = counts.max()
            tied = set(counts.index[counts == top])
            value = next(v for v in rows[col] if v in tied)
            by_value = "; ".join(
                f"{show_value(v)} in rows {rows.loc[rows[col] == v, '_row'].astype(int).tolist()}"
                for v in dict.fromkeys(rows[col]))
            for idx in rows.index[rows[col] != value]:
                failures.append((idx, on_invalid or "error",
                                 f"column {col!r}: value {show_value(df.at[idx, col])} differs "
                                 f"from firm {firm}'s {col} {show_value(value)} ({by_value}); "
                                 f"a firm's {col} must be the same every year: correct the file "
                                 "(the firm's value is the one most of its rows give, on a tie "
                                 "that of its earliest year)"))
    return failures


def reconcile(rows_in: int, kept: pd.DataFrame, ledger: pd.DataFrame) -> dict[str, Any]:
    """Counts that must add up: rows in = rows kept + rows excluded (one ledger row per row)."""
    by_stage = (ledger.groupby("stage", sort=True).size().astype(int).to_dict()
                if len(ledger) else {})
    out = {
        "rows_in": int(rows_in),
        "rows_kept": int(len(kept)),
        "rows_excluded": int(len(ledger)),
        "excluded_by_stage": by_stage,
        "reconciles": int(rows_in) == int(len(kept)) + int(len(ledger)),
        "ledger_rows_unique": bool(not ledger.duplicated(["panel", "row"]).any()),
    }
    if not out["reconciles"] or not out["ledger_rows_unique"]:
        raise RuntimeError(f"exclusions do not reconcile: {out}")
    return out


__all__ = ["LEDGER_COLUMNS", "reconcile", "validate_panel"]


def run_validate(*, panel: str, panel_cfg: dict[str, Any], derive_cfg: dict[str, Any],
                 codebook: str, presets_dir: str, in_panel: str, in_ledger: str, in_info: str,
                 out_panel: str, out_ledger: str, out_summary: str) -> dict[str, Any]:
    """Stage ``validate``: check against the codebook, derive variables, reconcile the counts."""
    import json
    import logging

    from analysis.config import load_yaml, size_definition
    from analysis.data.derive import derive_variables, firm_counts
    from analysis.runlog import write_csv, write_json

    log = logging.getLogger(__name__)
    info = json.loads(Path(in_info).read_text(encoding="utf-8"))
    df = pd.read_parquet(in_panel)
    ledger_in = pd.read_csv(in_ledger, dtype={"firm_id": "string", "reason": "string"})
    path = panel_cfg["path"]
    config_file = panel_cfg.get("config_file", "config/config.yaml")
    kept, ledger_v = validate_panel(df, load_yaml(codebook), panel=panel, path=path,
                                    on_invalid=panel_cfg.get("on_invalid"),
                                    config_file=config_file)
    size_def = size_definition(derive_cfg, presets_dir)
    derived, ledger_d = derive_variables(
        kept, size_def=size_def, size_status=derive_cfg["size_status"],
        doi_bands=derive_cfg["doi_bands"], panel=panel, path=path)
    if len(derived) == 0:
        raise PipelineInputError(
            f"panel {panel!r} ({path}): no firm is in either size group under the "
            f"{size_def['name']!r} size definition ({size_def['description']})")
    parts = [p for p in (ledger_in, ledger_v, ledger_d) if len(p)]
    ledger = (ledger_frame(pd.concat(parts).to_dict("records")) if parts
              else ledger_frame([]))
    summary = reconcile(info["rows_read"], derived, ledger)
    summary |= {"panel": panel, "file": path, "synthetic": bool(info.get("synthetic")),
                "size_definition": size_def, "size_status": derive_cfg["size_status"],
                "firms": firm_counts(derived),
                "variables_missing": info.get("variables_missing", []),
                "warnings": info.get("warnings", []),
                "survey": info.get("survey"),
                "config_file": config_file}
    log.info("rows in %d = kept %d + excluded %d", summary["rows_in"], summary["rows_kept"],
             summary["rows_excluded"])
    derived.to_parquet(out_panel, index=False)
    write_csv(ledger, out_ledger)
    write_json(summary, out_summary)
    return summary

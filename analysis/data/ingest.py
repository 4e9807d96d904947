"""Reading a panel file and mapping its columns onto the canonical variables.

The mapping is declarative data (a panel's ``mapping`` entry in config/config.yaml merged over its
preset). It is applied in this order; each step is documented in docs/data_contract.md:

1. ``missing_codes``: values equal to a missing code (``default`` for every column, ``columns`` per
   source column) become missing.
2. ``sum``: a canonical variable built as the sum of source columns (missing if any part is).
3. ``rename``: source column -> canonical variable.
4. ``constants``: a canonical variable set to one value for every row (e.g. the country).
5. ``yes_no``: boolean variables recoded from their codes (``codes`` for all, ``columns`` per
   variable); a value that is neither a yes code, a no code nor missing is an invalid value.
6. Types: every canonical variable is converted to its codebook type; a value that cannot be
   converted is an invalid value.
7. ``scale``: a numeric variable multiplied by a factor (e.g. 100 for a 0-1 share).

Invalid values stop the run with a message naming file, row, column and value, unless the
codebook or the panel entry says ``on_invalid: exclude``: then the row goes to the exclusions
ledger with the reason. Rows are numbered from 1 in file order (the first data row after the
header is row 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import PipelineInputError

LEDGER_COLUMNS = ["panel", "file", "row", "firm_id", "year", "stage", "reason"]
DEFAULT_YES = [1, "1", "yes", "Yes", "YES", "y", "Y", "true", "True", "TRUE", True]
DEFAULT_NO = [0, "0", "no", "No", "NO", "n", "N", "false", "False", "FALSE", False]
ROUND_DECIMALS = 10  # sums and scaled values are rounded to this many decimals


def read_panel(path: str | Path, fmt: str, read: dict[str, Any] | None = None) -> pd.DataFrame:
    """Read a panel file as it is, every column kept.

    CSV columns are read as text so that identifiers keep leading zeros and invalid entries keep
    their original spelling for error messages; Stata files keep their numeric codes
    (value labels are not applied). A ``_row`` column numbers the data rows from 1.
    """
    path = Path(path)
    read = read or {}
    if not path.exists():
        raise PipelineInputError(
            f"{path}: panel file not found (check `path` in the panel's config entry)")
    try:
        if fmt == "csv":
            df = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                comment=read.get("comment"),
                sep=read.get("sep", ","),
                encoding=read.get("encoding", "utf-8"),
            )
        elif fmt == "parquet":
            df = pd.read_parquet(path)
        elif fmt == "stata":
            df = pd.read_stata(path, convert_categoricals=False)
        elif fmt == "excel":
            df = pd.read_excel(path, sheet_name=read.get("sheet", 0))
        else:
            raise PipelineInputError(f"{path}: unknown format {fmt!r} (csv, parquet, stata, excel)")
    except PipelineInputError:
        raise
    except Exception as exc:  # the reader's own message, with the file named
        raise PipelineInputError(f"{path}: could not be read as {fmt}: {exc}") from exc
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise PipelineInputError(
            f"{path}: the panel is empty (a header but no data rows); give a file with firm-year "
            "rows or remove the panel from config/config.yaml"
        )
    df.insert(0, "_row", np.arange(1, len(df) + 1, dtype=np.int64))
    return df


def _as_number(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("Float64").astype(float)
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    return pd.to_numeric(s.astype("string").str.strip(), errors="coerce").astype(float)


# YAML 1.1 (PyYAML) reads these unquoted words as booleans, so a code written `yes` or `No` in a
# mapping arrives as True or False; such a code matches the words again.
YAML_TRUE = ["yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]
YAML_FALSE = ["no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]


def _as_text(s: pd.Series) -> pd.Series:
    """Text of each value, stripped; whole floats lose their '.0' (an id 101 read as 101.0)."""
    if not pd.api.types.is_bool_dtype(s) and pd.api.types.infer_dtype(s, skipna=True) in (
            "floating", "mixed-integer-float", "mixed"):
        s = s.astype(object).map(
            lambda v: str(int(v)) if isinstance(v, float) and np.isfinite(v) and v.is_integer()
            else v, na_action="ignore")
    return s.astype("string").str.strip()


def _code_mask(s: pd.Series, codes: list[Any]) -> pd.Series:
    """Rows of ``s`` equal to one of ``codes`` (numeric codes also match their numeric value;
    a boolean code, e.g. from an unquoted YAML ``yes``, matches the YAML spellings of it)."""
    if not codes:
        return pd.Series(False, index=s.index)
    as_text = s.astype("string").str.strip()
    texts = [str(c) for c in codes]
    for c in codes:
        if isinstance(c, bool):
            texts += YAML_TRUE if c else YAML_FALSE
    mask = as_text.isin(texts).fillna(False)
    nums = [float(c) for c in codes if isinstance(c, int | float) and not isinstance(c, bool)]
    if nums:
        mask |= _as_number(s).isin(nums)
    if any(isinstance(c, bool) for c in codes) and pd.api.types.is_bool_dtype(s):
        mask |= s.isin([c for c in codes if isinstance(c, bool)]).fillna(False)
    return mask.astype(bool)


class _Problems:
    """Invalid values found while mapping, kept per row."""

    def __init__(self, panel: str, path: str, rows: pd.DataFrame) -> None:
        self.panel, self.path, self.rows = panel, path, rows
        self.items: list[dict[str, Any]] = []

    def add(self, mask: pd.Series, column: str, source: str, values: pd.Series, rule: str,
            on_invalid: str) -> None:
        for idx in mask[mask].index:
            self.items.append({
                "idx": idx, "column": column, "source": source, "value": values.loc[idx],
                "rule": rule, "on_invalid": on_invalid,
            })

    def reason(self, item: dict[str, Any]) -> str:
        src = f" (source column {item['source']!r})" if item["source"] != item["column"] else ""
        return f"column {item['column']!r}{src}: value {show_value(item['value'])} {item['rule']}"

    def describe(self, item: dict[str, Any]) -> str:
        return f"{row_label(self.rows.loc[item['idx']])}, {self.reason(item)}"

    def ledger(self, frame: pd.DataFrame, stage: str) -> pd.DataFrame:
        """One ledger row per excluded row, its reasons joined with '; '."""
        reasons: dict[Any, list[str]] = {}
        for item in self.items:
            reasons.setdefault(item["idx"], []).append(self.reason(item))
        rows = [ledger_row(frame.loc[idx], self.panel, self.path, stage, "; ".join(r))
                for idx, r in reasons.items()]
        return ledger_frame(rows)


def show_value(value: Any, kind: str | None = None) -> str:
    """A value as a message shows it: text quoted, numbers plain (``-3``, not ``np.int64(-3)``);
    a whole number of an ``integer`` variable without '.0'."""
    if isinstance(value, np.generic):
        value = value.item()
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value) if isinstance(value, str) else str(value)


def row_label(row: pd.Series) -> str:
    """'row 12 (firm_id=GH-004, year=2017)' for messages."""
    ident = ", ".join(f"{k}={row[k]}" for k in ("firm_id", "year") if k in row and pd.notna(row[k]))
    return f"row {row['_row']}" + (f" ({ident})" if ident else "")


def ledger_row(row: pd.Series, panel: str, path: str, stage: str, reason: str) -> dict[str, Any]:
    """A ledger record for one excluded row."""
    return {
        "panel": panel, "file": path, "row": int(row["_row"]),
        "firm_id": row.get("firm_id", pd.NA), "year": row.get("year", pd.NA),
        "stage": stage, "reason": reason,
    }


def ledger_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Ledger records as a frame sorted by file row, with :data:`LEDGER_COLUMNS`."""
    out = pd.DataFrame(rows, columns=LEDGER_COLUMNS)
    out["row"] = out["row"].astype("int64")
    out["year"] = out["year"].astype("Int64")
    out["firm_id"] = out["firm_id"].astype("string")
    return out.sort_values(["row"], kind="stable").reset_index(drop=True)


def apply_mapping(
    raw: pd.DataFrame,
    mapping: dict[str, Any],
    codebook: dict[str, Any],
    *,
    panel: str,
    path: str,
    on_invalid: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Map a raw panel onto the canonical variables.

    Parameters
    ----------
    raw : DataFrame
        As returned by :func:`read_panel` (with ``_row``).
    mapping : dict
        The resolved mapping (preset merged, see :func:`analysis.config.resolve_mapping`).
    codebook : dict
        The parsed data/codebook.yaml.
    panel, path : str
        Names used in messages and in the ledger.
    on_invalid : {"error", "exclude"}, optional
        Overrides the codebook's ``on_invalid`` for every variable.

    Returns
    -------
    canonical : DataFrame
        ``_row``, ``panel`` and every canonical variable the panel provides, typed
        (string, Int64, float64, boolean); rows with invalid values under ``exclude`` removed.
    ledger : DataFrame
        One row per excluded row (columns :data:`LEDGER_COLUMNS`).
    info : dict
        rows_read, rows_kept, ignored_columns, variables_missing (optional ones not provided).

    Raises
    ------
    PipelineInputError
        A mapping names a column that is not in the file, a required variable is missing, or a
        value is invalid where the rule is ``error``. The message names file, row, column, value
        and how to fix it.
    """
    variables: dict[str, dict[str, Any]] = codebook["variables"]
    df = raw.copy()
    where = f"panel {panel!r} ({path})"
    cfg_hint = f"fix the mapping in config/config.yaml, panels.{panel}.mapping"

    # 0. every source column the mapping names must exist
    rename: dict[str, str] = dict(mapping.get("rename", {}))
    sums: dict[str, list[str]] = dict(mapping.get("sum", {}))
    missing_cfg = mapping.get("missing_codes", {}) or {}
    named = list(rename) + [c for parts in sums.values() for c in parts]
    named += list((missing_cfg.get("columns") or {}).keys())
    absent = [c for c in dict.fromkeys(named) if c not in df.columns]
    if absent:
        raise PipelineInputError(
            f"{where}: the mapping names columns that are not in the file: {absent}; {cfg_hint}",
            [f"columns in the file: {[c for c in df.columns if c != '_row']}"],
        )
    unknown_targets = [t for t in list(rename.values()) + list(sums) +
                       list(mapping.get("constants", {})) + list(mapping.get("scale", {}))
                       if t not in variables]
    if unknown_targets:
        raise PipelineInputError(
            f"{where}: the mapping targets names that are not canonical variables: "
            f"{sorted(set(unknown_targets))}; the canonical variables are listed in "
            "data/codebook.yaml",
        )
    yes_no_cols = ((mapping.get("yes_no") or {}).get("columns") or {})
    not_boolean = [c for c in yes_no_cols if variables.get(c, {}).get("type") != "boolean"]
    if not_boolean:
        booleans = [v for v, spec in variables.items() if spec["type"] == "boolean"]
        hints = [f"{c!r} is renamed to {rename[c]!r}: use that name" for c in not_boolean
                 if c in rename]
        raise PipelineInputError(
            f"{where}: mapping.yes_no.columns names {not_boolean}, which are not canonical yes/no "
            f"variables; its keys are canonical names (after renaming): {booleans}; {cfg_hint}",
            hints,
        )

    # 1. missing codes
    default_codes = list(missing_cfg.get("default", []) or [])
    col_codes: dict[str, list[Any]] = missing_cfg.get("columns", {}) or {}
    for col in df.columns:
        if col == "_row":
            continue
        codes = default_codes + list(col_codes.get(col, []))
        if codes:
            mask = _code_mask(df[col], codes)
            if mask.any():
                df[col] = df[col].astype(object).where(~mask, None)

    # 2. sums (over source columns, before renaming)
    built: dict[str, pd.Series] = {}
    problems = _Problems(panel, path, df)
    for target, parts in sums.items():
        nums = []
        for part in parts:
            num = _as_number(df[part])
            bad = df[part].notna() & num.isna()
            problems.add(bad, target, part, df[part], "is not a number (needed for the sum "
                         f"{' + '.join(parts)})", _rule(variables, target, on_invalid))
            nums.append(num)
        both = pd.concat(nums, axis=1)
        # rounded so that decimal parts add up exactly (1.1 + 2.2 is 3.3, not 3.3000000000000003)
        built[target] = both.sum(axis=1, min_count=len(parts)).where(
            both.notna().all(axis=1)).round(ROUND_DECIMALS)

    # 3. renames, 4. constants
    out = pd.DataFrame({"_row": df["_row"]}, index=df.index)
    sources: dict[str, str] = {}
    for col in df.columns:
        target = rename.get(col, col if col in variables and col not in rename.values() else None)
        if target is not None and target not in built:
            out[target] = df[col]
            sources[target] = col
    for target, series in built.items():
        out[target] = series
        sources[target] = "+".join(sums[target])
    for target, value in (mapping.get("constants") or {}).items():
        out[target] = value
        sources[target] = "(constant)"
    problems.rows = out  # messages name the canonical firm_id and year
    ignored = [c for c in df.columns if c != "_row" and c not in sources.values()
               and c not in {p for parts in sums.values() for p in parts}]

    missing_required = [v for v, spec in variables.items() if spec.get("required") and v not in out]
    if missing_required:
        raise PipelineInputError(
            f"{where}: required variables are missing after mapping: {missing_required}. "
            f"Map a column of the file onto each (mapping.rename or mapping.sum) or set it with "
            f"mapping.constants; {cfg_hint}",
            [f"columns in the file: {[c for c in df.columns if c != '_row']}"],
        )

    # 5. yes/no codes, 6. types
    yes_no = mapping.get("yes_no", {}) or {}
    base_codes = yes_no.get("codes", {"yes": DEFAULT_YES, "no": DEFAULT_NO})
    for var, spec in variables.items():
        if var not in out:
            continue
        s = out[var]
        rule = _rule(variables, var, on_invalid)
        kind = spec["type"]
        if kind == "boolean":
            codes = (yes_no.get("columns") or {}).get(var, base_codes)
            yes, no = _code_mask(s, codes["yes"]), _code_mask(s, codes["no"])
            bad = s.notna() & ~yes & ~no
            problems.add(bad, var, sources[var], s,
                         f"is not a known yes/no code (yes: {codes['yes']}, no: {codes['no']}); "
                         "add it to mapping.yes_no or to mapping.missing_codes", rule)
            res = pd.Series(pd.NA, index=s.index, dtype="boolean")
            res[yes] = True
            res[no] = False
            out[var] = res
        elif kind in ("integer", "number"):
            num = _as_number(s)
            bad = s.notna() & num.isna()
            problems.add(bad, var, sources[var], s, "is not a number", rule)
            if kind == "integer":
                frac = num.notna() & (num != np.round(num))
                problems.add(frac, var, sources[var], s, "is not a whole number", rule)
                num = num.where(~frac)
            factor = (mapping.get("scale") or {}).get(var)
            if factor is not None:
                # rounded so that 0.07 * 100 is 7, not 7.000000000000001 (band cut-offs)
                num = (num * float(factor)).round(ROUND_DECIMALS)
            out[var] = num.round().astype("Int64") if kind == "integer" else num.astype(float)
        else:
            text = _as_text(s)
            out[var] = text.mask(text == "")
    out.insert(1, "panel", panel)

    # invalid values: error or exclusion
    errors = [p for p in problems.items if p["on_invalid"] == "error"]
    errors.sort(key=lambda p: int(out.at[p["idx"], "_row"]))  # file order (stable within a row)
    if errors:
        raise PipelineInputError(
            f"{where}: {len(errors)} invalid value(s). Correct them in the file, map them in "
            f"config/config.yaml (panels.{panel}.mapping), or set `on_invalid: exclude` on the "
            "panel to exclude such rows and record them in the ledger:",
            [problems.describe(p) for p in errors],
        )
    ledger = problems.ledger(out, stage="ingest")
    kept = out.drop(index=sorted({p["idx"] for p in problems.items}))
    info = {
        "panel": panel,
        "file": path,
        "rows_read": int(len(raw)),
        "rows_kept": int(len(kept)),
        "rows_excluded": int(len(ledger)),
        "sources": sources,
        "ignored_columns": ignored,
        "variables_missing": [v for v in variables if v not in out],
    }
    return kept.reset_index(drop=True), ledger, info


def _rule(variables: dict[str, Any], var: str, override: str | None) -> str:
    return override or variables.get(var, {}).get("on_invalid", "error")


SYNTHETIC_NOTICE = "# SYNTHETIC DATA"


def declares_synthetic(path: str | Path, fmt: str, read: dict[str, Any] | None = None) -> bool:
    """True when a CSV file starts with the notice that analysis/synthetic.py writes."""
    if fmt != "csv":
        return False
    encoding = (read or {}).get("encoding", "utf-8")
    with Path(path).open(encoding=encoding, errors="replace") as fh:
        return fh.readline().startswith(SYNTHETIC_NOTICE)


def run_ingest(*, panel: str, panel_cfg: dict[str, Any], codebook: str, presets_dir: str,
               out_panel: str, out_ledger: str, out_info: str) -> dict[str, Any]:
    """Stage ``ingest``: read one panel file, map it, write the canonical panel and its ledger."""
    import logging

    from analysis.config import load_yaml, resolve_mapping
    from analysis.runlog import write_csv, write_json

    log = logging.getLogger(__name__)
    mapping = resolve_mapping(panel_cfg.get("mapping", {}), presets_dir)
    raw = read_panel(panel_cfg["path"], panel_cfg["format"], panel_cfg.get("read"))
    log.info("read %d rows x %d columns from %s", len(raw), raw.shape[1] - 1, panel_cfg["path"])
    canonical, ledger, info = apply_mapping(
        raw, mapping, load_yaml(codebook), panel=panel, path=panel_cfg["path"],
        on_invalid=panel_cfg.get("on_invalid"),
    )
    synthetic = bool(panel_cfg.get("synthetic", False))
    if not synthetic and declares_synthetic(panel_cfg["path"], panel_cfg["format"],
                                            panel_cfg.get("read")):
        log.warning("%s starts with the synthetic-data notice: its outputs are marked synthetic "
                    "although the panel entry does not say `synthetic: true`", panel_cfg["path"])
        synthetic = True
    canonical["synthetic"] = synthetic
    info["synthetic"] = synthetic
    info["mapping"] = mapping
    for key in ("rows_kept", "rows_excluded", "ignored_columns", "variables_missing"):
        log.info("%s: %s", key, info[key])
    canonical.to_parquet(out_panel, index=False)
    write_csv(ledger, out_ledger)
    write_json(info, out_info)
    return info

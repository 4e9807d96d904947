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

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import PipelineInputError

LEDGER_COLUMNS = ["panel", "file", "row", "firm_id", "year", "stage", "reason"]
DEFAULT_YES = [1, "1", "yes", "Yes", "YES", "y", "Y", "true", "True", "TRUE", True]
DEFAULT_NO = [0, "0", "no", "No", "NO", "n", "N", "false", "False", "FALSE", False]
ROUND_DECIMALS = 10  # sums and scaled values are rounded to this many decimals


def _csv_text(path: Path, read: dict[str, Any]) -> tuple[io.StringIO, list[int]]:
    """The CSV text without its whole-line comments, and the file line of each kept line.

    Only a line whose first non-blank character is the ``comment`` character is skipped; a
    ``#`` inside a value (``"Tools #2"``) is data. Returns the text and, for each line kept, its
    line number in the file (1-based), so that messages can still name file lines.
    """
    encoding = read.get("encoding", "utf-8")
    comment = read.get("comment")
    text = path.read_text(encoding=encoding)
    kept, numbers = [], []
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if comment and line.lstrip().startswith(comment):
            continue
        kept.append(line)
        numbers.append(number)
    return io.StringIO("".join(kept)), numbers


def _excel_sheet_error(path: Path, sheet: Any) -> PipelineInputError | None:
    """A message listing the workbook's sheets when ``sheet`` is not one of them."""
    try:
        names = pd.ExcelFile(path).sheet_names
    except Exception:  # noqa: BLE001 (the reader's own error is reported instead)
        return None
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return None
        return PipelineInputError(
            f"{path}: the workbook has no sheet number {sheet} (sheets are numbered from 0); "
            f"its sheets: {names}; set `read: {{sheet: <name>}}` on the panel entry")
    if sheet in names:
        return None
    from analysis.config import did_you_mean

    return PipelineInputError(
        f"{path}: the workbook has no sheet {sheet!r}{did_you_mean(sheet, names)}; its sheets: "
        f"{names}; set `read: {{sheet: <name>}}` on the panel entry")


def read_spss(path: Path, read: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read an SPSS ``.sav`` file with pyreadstat; return the data and its value labels.

    The data keep their numeric codes unless ``read: {value_labels: true}``, which replaces each
    labelled code by its label (e.g. 1 -> "Yes"), so that a mapping can name labels. SPSS
    user-missing values become missing. The value labels ({column: {code: label}}) and the
    variable labels are returned for the panel's info record.
    """
    import pyreadstat

    df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False,
                                   user_missing=False,
                                   encoding=read.get("encoding"))
    value_labels = {col: {(int(k) if isinstance(k, float) and k.is_integer() else k): str(v)
                          for k, v in labels.items()}
                    for col, labels in (meta.variable_value_labels or {}).items()}
    if read.get("value_labels"):
        for col, labels in value_labels.items():
            if col in df:
                df[col] = df[col].astype(object).map(
                    lambda v, lab=labels: lab.get(int(v) if isinstance(v, float)
                                                  and v.is_integer() else v, v),
                    na_action="ignore")
    labels = {"value_labels": value_labels,
              "variable_labels": {k: v for k, v in zip(meta.column_names, meta.column_labels,
                                                       strict=True) if v}}
    return df, labels


def read_panel(path: str | Path, fmt: str, read: dict[str, Any] | None = None,
               labels: dict[str, Any] | None = None) -> pd.DataFrame:
    """Read a panel file as it is, every column kept.

    CSV columns are read as text so that identifiers keep leading zeros and invalid entries keep
    their original spelling for error messages; Stata files keep their numeric codes
    (value labels are not applied); SPSS files keep their codes unless ``value_labels: true``
    (see :func:`read_spss`; the labels are put into ``labels`` when a dict is given). A ``_row``
    column numbers the data rows from 1.

    Reader options (``read``): ``comment`` (CSV: skip whole lines starting with it),
    ``sep``, ``decimal`` (CSV: ``","`` for decimal commas), ``encoding``, ``sheet`` (Excel),
    ``skiprows`` (CSV, Excel: title rows above the header), ``value_labels`` (SPSS).
    """
    path = Path(path)
    read = read or {}
    if not path.exists():
        raise PipelineInputError(
            f"{path}: panel file not found (check `path` in the panel's config entry)")
    try:
        if fmt == "csv":
            text, _ = _csv_text(path, read)
            decimal = read.get("decimal", ".")
            df = pd.read_csv(
                text,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                sep=read.get("sep", ";" if decimal == "," else ","),
                skiprows=read.get("skiprows", 0),
            )
            if decimal != ".":
                df = _decimal_comma(df, decimal)
        elif fmt == "parquet":
            df = pd.read_parquet(path)
        elif fmt == "stata":
            df = pd.read_stata(path, convert_categoricals=False)
        elif fmt == "spss":
            df, found = read_spss(path, read)
            if labels is not None:
                labels.update(found)
        elif fmt == "excel":
            sheet = read.get("sheet", 0)
            problem = _excel_sheet_error(path, sheet)
            if problem is not None:
                raise problem
            df = pd.read_excel(path, sheet_name=sheet, skiprows=read.get("skiprows", 0))
        else:
            raise PipelineInputError(
                f"{path}: unknown format {fmt!r} (csv, parquet, stata, spss, excel)")
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


_DECIMAL_COMMA = r"^\s*[-+]?(\d{1,3}(\.\d{3})+|\d+)?(,\d+)?\s*$"


def _decimal_comma(df: pd.DataFrame, decimal: str) -> pd.DataFrame:
    """Text numbers written with a decimal comma (``12,5``; ``1.234,5``) in the usual form.

    Only values that look like such a number change; other text (ids, words) is kept.
    """
    pattern = _DECIMAL_COMMA.replace(",", "\\" + decimal if decimal in ".^$*+?" else decimal)
    out = df.copy()
    for col in out.columns:
        s = out[col]
        looks = s.str.match(pattern, na=False) & s.str.contains(r"\d", na=False)
        if looks.any():
            fixed = (s[looks].str.strip().str.replace(".", "", regex=False)
                     .str.replace(decimal, ".", regex=False))
            out.loc[looks, col] = fixed
    return out


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
    config_file: str = "config/config.yaml",
    survey: dict[str, Any] | None = None,
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
    config_file : str
        The configuration file the panel entry came from (named in messages).
    survey : dict, optional
        The panel's survey design (``weights``, ``alternatives``, ``strata``, ``clusters``,
        ``single_unit``); see :func:`survey_columns`.

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
    cfg_hint = f"fix the mapping in {config_file}, panels.{panel}.mapping"

    # 0. every source column the mapping names must exist (those listed in `optional` may be
    # absent: their entries are dropped and the variables stay missing)
    optional = set(mapping.get("optional") or [])
    rename: dict[str, str] = {k: v for k, v in (mapping.get("rename") or {}).items()
                              if k in df.columns or k not in optional}
    sums: dict[str, list[str]] = {t: parts for t, parts in (mapping.get("sum") or {}).items()
                                  if all(c in df.columns for c in parts)
                                  or not all(c in optional for c in parts)}
    missing_cfg = mapping.get("missing_codes", {}) or {}
    optional_absent = sorted(c for c in optional if c not in df.columns)
    named = list(rename) + [c for parts in sums.values() for c in parts]
    named += [c for c in (missing_cfg.get("columns") or {}) if c not in optional]
    absent = [c for c in dict.fromkeys(named) if c not in df.columns]
    if absent:
        from analysis.config import did_you_mean

        file_cols = [c for c in df.columns if c != "_row"]
        raise PipelineInputError(
            f"{where}: the mapping names columns that are not in the file: {absent}; {cfg_hint} "
            "(or list a column under mapping.optional when some extracts lack it)",
            [f"{c!r}{did_you_mean(c, file_cols)}" for c in absent if did_you_mean(c, file_cols)]
            + [f"columns in the file: {file_cols}"],
        )
    unknown_targets = [t for t in list(rename.values()) + list(sums) +
                       list(mapping.get("constants") or {}) + list(mapping.get("scale") or {})
                       if t not in variables]
    if unknown_targets:
        from analysis.config import did_you_mean

        raise PipelineInputError(
            f"{where}: the mapping targets names that are not canonical variables: "
            f"{sorted(set(unknown_targets))}; {cfg_hint} (the canonical variables are listed in "
            "data/codebook.yaml)",
            [f"{t!r}{did_you_mean(t, variables)}" for t in sorted(set(unknown_targets))],
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

    design = None
    if survey:
        design = survey_columns(out, df, rename, survey, problems, on_invalid or "error",
                                where=where, hint=f"panels.{panel}.survey in {config_file}")

    # invalid values: error or exclusion
    errors = [p for p in problems.items if p["on_invalid"] == "error"]
    errors.sort(key=lambda p: int(out.at[p["idx"], "_row"]))  # file order (stable within a row)
    if errors:
        hints = [problems.describe(p) for p in errors]
        texts = sorted({str(p["value"]).strip() for p in errors if isinstance(p["value"], str)}
                       & NA_WORDS)
        if texts:
            hints.append(f"{texts} look like missing-value codes: add them to "
                         f"panels.{panel}.mapping.missing_codes.default in {config_file} "
                         f"(e.g. `missing_codes: {{default: {texts}}}`)")
        raise PipelineInputError(
            f"{where}: {len(errors)} invalid value(s). Correct them in the file, map them in "
            f"{config_file} (panels.{panel}.mapping), or set `on_invalid: exclude` on the "
            "panel to exclude such rows and record them in the ledger:",
            hints,
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
        "optional_columns_absent": optional_absent,
        "survey": design,
    }
    return kept.reset_index(drop=True), ledger, info


NA_WORDS = {"NA", "N/A", "n/a", "na", "NaN", "nan", ".", "-", "--", "NULL", "null", "None",
            "missing", "#N/A", "?"}


def _design_column(name: str, out: pd.DataFrame, raw: pd.DataFrame,
                   rename: dict[str, str]) -> pd.Series | None:
    """The column a survey entry names: a canonical variable (after renaming) or a file column."""
    if name in out.columns and name not in ("_row", "panel"):
        return out[name]
    if name in raw.columns and name != "_row":
        return raw[name]
    return None


def survey_columns(out: pd.DataFrame, raw: pd.DataFrame, rename: dict[str, str],
                   survey: dict[str, Any], problems: _Problems, rule: str, *, where: str,
                   hint: str) -> dict[str, Any]:
    """Add the survey-design columns to ``out``; return the design record.

    ``_weight`` (float > 0; a missing, non-numeric or non-positive weight is an invalid value),
    ``_weight_<name>`` for each alternative weight (float; non-positive becomes missing),
    ``_single_unit`` (the declared rule for single-PSU strata),
    ``_stratum`` (the strata columns' values joined with "|"; a missing part is invalid) and
    ``_cluster`` (text; a missing value is invalid) when clusters are given.
    """
    from analysis.config import did_you_mean

    def column(name: str, role: str) -> pd.Series:
        s = _design_column(name, out, raw, rename)
        if s is None:
            cols = [c for c in raw.columns if c != "_row"]
            raise PipelineInputError(
                f"{where}: survey {role} names column {name!r}{did_you_mean(name, cols)}, which "
                f"is not in the file; fix {hint}", [f"columns in the file: {cols}"])
        return s

    weights = survey["weights"]
    strata = survey.get("strata") or []
    strata = [strata] if isinstance(strata, str) else list(strata)
    clusters = survey.get("clusters")
    alternatives = list(survey.get("alternatives") or [])
    w_raw = column(weights, "weights")
    w = _as_number(w_raw)
    bad = w.isna() | (w <= 0)
    problems.add(bad, "_weight", weights, w_raw,
                 "is not a valid sampling weight (a weight must be a number > 0)", rule)
    out["_weight"] = w.astype(float)
    for alt in alternatives:
        a = _as_number(column(alt, "alternatives"))
        out[f"_weight_{alt}"] = a.where(a > 0).astype(float)
    if strata:
        parts = []
        for name in strata:
            s = _as_text(column(name, "strata"))
            problems.add(s.isna(), "_stratum", name, s.astype(object).where(s.notna(), None),
                         "is missing (every row needs its stratum)", rule)
            parts.append(s.fillna(""))
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + "|" + part
        out["_stratum"] = joined.astype("string")
    if clusters:
        c = _as_text(column(clusters, "clusters"))
        problems.add(c.isna(), "_cluster", clusters, c.astype(object).where(c.notna(), None),
                     "is missing (every row needs its cluster)", rule)
        out["_cluster"] = c.astype("string")
    # the rule for single-PSU strata travels with the rows, so a pooled panel keeps each
    # panel's own rule and the engine reads it from the panel it analyses
    out["_single_unit"] = pd.Series(survey.get("single_unit", "certainty"), index=out.index,
                                    dtype="string")
    return {
        "weights": weights, "weight_column": "_weight",
        "alternatives": {alt: f"_weight_{alt}" for alt in alternatives},
        "strata": strata, "stratum_column": "_stratum" if strata else None,
        "clusters": clusters, "cluster_column": "_cluster" if clusters else None,
        "single_unit": survey.get("single_unit", "certainty"),
    }


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


def percent_warnings(df: pd.DataFrame, codebook: dict[str, Any], *, panel: str, path: str,
                     config_file: str = "config/config.yaml") -> list[str]:
    """Warnings for percent variables (codebook unit starting with '%') that never exceed 1.

    Shares given as 0-1 without ``mapping.scale`` would band every firm as none/low.
    """
    out = []
    for var, spec in codebook["variables"].items():
        if var not in df or not str(spec.get("unit", "")).startswith("%"):
            continue
        values = pd.to_numeric(df[var], errors="coerce").dropna()
        if len(values) and values.max() <= 1 and (values > 0).any():
            out.append(
                f"panel {panel!r} ({path}): {var} is a percentage "
                f"({spec['unit']}) but never exceeds 1 (max {show_value(float(values.max()))} "
                f"over {len(values)} rows): if the file holds shares 0-1, add "
                f"`scale: {{{var}: 100}}` to panels.{panel}.mapping in {config_file}")
    return out


def run_ingest(*, panel: str, panel_cfg: dict[str, Any], codebook: str, presets_dir: str,
               out_panel: str, out_ledger: str, out_info: str) -> dict[str, Any]:
    """Stage ``ingest``: read one panel file, map it, write the canonical panel and its ledger."""
    import logging

    from analysis.config import load_yaml, resolve_mapping
    from analysis.runlog import write_csv, write_json

    log = logging.getLogger(__name__)
    config_file = panel_cfg.get("config_file", "config/config.yaml")
    mapping = resolve_mapping(panel_cfg.get("mapping", {}), presets_dir)
    labels: dict[str, Any] = {}
    raw = read_panel(panel_cfg["path"], panel_cfg["format"], panel_cfg.get("read"), labels)
    log.info("read %d rows x %d columns from %s", len(raw), raw.shape[1] - 1, panel_cfg["path"])
    book = load_yaml(codebook)
    canonical, ledger, info = apply_mapping(
        raw, mapping, book, panel=panel, path=panel_cfg["path"],
        on_invalid=panel_cfg.get("on_invalid"), config_file=config_file,
        survey=panel_cfg.get("survey"),
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
    info["config_file"] = config_file
    if labels:
        info["labels"] = labels
    info["warnings"] = percent_warnings(canonical, book, panel=panel, path=panel_cfg["path"],
                                        config_file=config_file)
    for warning in info["warnings"]:
        log.warning("%s", warning)
    for key in ("rows_kept", "rows_excluded", "ignored_columns", "variables_missing"):
        log.info("%s: %s", key, info[key])
    canonical.to_parquet(out_panel, index=False)
    write_csv(ledger, out_ledger)
    write_json(info, out_info)
    return info

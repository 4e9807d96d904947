"""Locating comparisons and their rows in the results schema, for the table builders."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.columns import COMPARISON_KEY, CONTEXT_OUT
from analysis.render.format import (
    _missing,
)
from analysis.render.table import (
    Table,
)


# =========================================================================== comparisons
def _synthetic(df: pd.DataFrame | None) -> bool:
    return bool(df is not None and "synthetic" in df.columns
                and df["synthetic"].astype(bool).any())


def _order(values: Iterable[Any]) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for v in values:
        out.setdefault(v, len(out))
    return out


def _comparisons(results: pd.DataFrame, tests: Sequence[str] | None = None,
                 ) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    """(context, rows) of every comparison, ordered spec, stratum, years ascending, pooled."""
    res = results
    if tests is not None:
        res = res[res["test"].isin(tests)]
    if res.empty:
        return []
    sample_o = _order(res["sample"])
    hyp_o = _order(res["hypothesis"])
    spec_o = _order(res["spec_id"])
    strat_o = _order(res["stratum"])
    groups: dict[tuple[Any, ...], list[int]] = {}
    for pos, key in enumerate(zip(*(res[c].tolist() for c in COMPARISON_KEY), strict=True)):
        key = tuple(None if _missing(k) else k for k in key)
        groups.setdefault(key, []).append(pos)

    def sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
        sample, hyp, spec, scope, year, _, stratum = key
        return (sample_o[sample], hyp_o[hyp], spec_o[spec], strat_o[stratum],
                0 if scope == "year" else 1, -1 if year is None else int(year))

    out = []
    for key in sorted(groups, key=sort_key):
        rows = res.iloc[groups[key]]
        first = rows.iloc[0]
        ctx = {c: first[c] for c in rows.columns if c in (
            "sample", "hypothesis", "spec_id", "verdict_role", "scope", "year", "stratum_var",
            "stratum", "outcome", "group_var", "group1", "group2", "population", "test",
            "test_reason", "n_total", "n_group1", "n_group2", "expected_direction",
            "observed_direction")}
        if _missing(ctx.get("year")):
            ctx["year"] = pd.NA
        lookup: dict[tuple[str, str | None], int] = {}
        for i, (stat, term) in enumerate(zip(rows["statistic"].tolist(), rows["term"].tolist(),
                                             strict=True)):
            lookup.setdefault((stat, term), i)
            lookup.setdefault((stat, None), i)
        rows.attrs["lookup"] = lookup
        out.append((ctx, rows))
    return out


def _when(ctx: Mapping[str, Any]) -> str:
    return "pooled over years" if ctx["scope"] == "pooled" else f"year {int(ctx['year'])}"


def _stratum_text(ctx: Mapping[str, Any]) -> str:
    return f"{ctx['stratum_var']} = {ctx['stratum']}" if ctx.get("stratum") else ""


def _spec_label(ctx: Mapping[str, Any]) -> str:
    text = (f"{ctx['spec_id']}: {ctx['outcome']} by {ctx['group_var']} "
            f"({ctx['group1']} vs {ctx['group2']})")
    if ctx.get("population") and ctx["population"] != "all firms":
        text += f", {ctx['population']}"
    strat = _stratum_text(ctx)
    return text + (f"; {strat}" if strat else "")


def _panel_label(ctx: Mapping[str, Any]) -> str:
    return f"{_spec_label(ctx)}; {_when(ctx)}"


def _row_when(ctx: Mapping[str, Any]) -> str:
    return "Pooled" if ctx["scope"] == "pooled" else str(int(ctx["year"]))


def _ctx_out(ctx: Mapping[str, Any]) -> dict[str, Any]:
    return {c: ctx.get(c, "") for c in CONTEXT_OUT}


def _get(rows: pd.DataFrame, statistic: str, term: str | None = None) -> pd.Series | None:
    lookup = rows.attrs.get("lookup")
    if lookup is not None:
        i = lookup.get((statistic, term))
        return None if i is None else rows.iloc[i]
    mask = rows["statistic"] == statistic
    if term is not None:
        mask &= rows["term"] == term
    hit = rows[mask]
    return hit.iloc[0] if len(hit) else None


def _val(row: pd.Series | None, col: str = "value") -> float:
    if row is None or row.get("status", "ok") != "ok":
        return math.nan
    v = row[col]
    return math.nan if _missing(v) else float(v)


def _reason(rows: pd.DataFrame, statistics: Sequence[str] | None = None) -> str:
    """Distinct reasons of not-estimable rows (of the given statistics), in order."""
    sub = rows[rows["status"] != "ok"]
    if statistics is not None:
        sub = sub[sub["statistic"].isin(statistics)]
    seen = list(dict.fromkeys(r for r in sub["reason"].tolist() if r))
    return "; ".join(seen)


def _test_row(rows: pd.DataFrame) -> pd.Series | None:
    hit = rows[rows["role"] == "test"]
    return hit.iloc[0] if len(hit) else None


def _not_estimable_comparison(rows: pd.DataFrame) -> str:
    """The reason when the comparison produced no statistic at all (variable missing, ...)."""
    t = _test_row(rows)
    if t is not None and t["status"] != "ok" and (rows["status"] == "ok").sum() == 0:
        return t["reason"] or "not estimable"
    return ""


def _finish(stem: str, title: str, raw_rows: list[dict[str, Any]], raw_cols: list[str],
            disp_rows: list[list[str]], disp_cols: list[str], *, notes: list[str],
            panels: list[str] | None, panel_notes: dict[str, list[str]] | None = None,
            header_groups: list[tuple[str, int]] | None = None, synthetic: bool,
            section: str = "", drop_empty: Sequence[str] = ()) -> Table:
    raw = pd.DataFrame(raw_rows, columns=raw_cols)
    if "year" in raw:
        year = raw["year"].map(lambda v: np.nan if _missing(v) or v == "" else v)
        raw["year"] = pd.to_numeric(year, errors="coerce").astype("Int64")
    display = pd.DataFrame(disp_rows, columns=disp_cols)
    for c in drop_empty:  # optional columns shown only when some row fills them
        if c in display and not display[c].astype(str).str.len().any():
            display = display.drop(columns=c)
            if header_groups:
                header_groups = header_groups[:-1] + [(header_groups[-1][0],
                                                       header_groups[-1][1] - 1)]
    if header_groups:
        header_groups = [(label, span) for label, span in header_groups if span > 0]
    if header_groups and sum(span for _, span in header_groups) != display.shape[1]:
        raise ValueError(f"{stem}: header groups span {header_groups} does not match the "
                         f"{display.shape[1]} display columns")
    return Table(stem=stem, title=title, raw=raw, display=display, notes=notes,
                 panels=panels if panels else None, panel_notes=panel_notes or {},
                 header_groups=header_groups, synthetic=synthetic, section=section)


def _title(hyp: str, what: str, labels: Mapping[str, str] | None) -> str:
    label = (labels or {}).get(hyp, "")
    return f"{hyp}{': ' + label if label else ''}. {what}"


def _source(stats: str) -> str:
    return f"Source: results.csv, {stats}."


def _section(hyp: str, labels: Mapping[str, str] | None) -> str:
    label = (labels or {}).get(hyp, "")
    return f"{hyp}: {label}" if label else hyp

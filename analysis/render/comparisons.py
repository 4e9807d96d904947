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


class Rows(Sequence[Mapping[str, Any]]):
    """The result rows of one comparison, as records (dicts), with a (statistic, term) index.

    Table builders read a few rows of every comparison many times; a dict lookup costs
    microseconds where a pandas mask and ``iloc`` cost a pandas call each.
    """

    __slots__ = ("_lookup", "_records")

    def __init__(self, records: Sequence[Mapping[str, Any]]) -> None:
        self._records = list(records)
        self._lookup: dict[tuple[str, str | None], Mapping[str, Any]] = {}
        for rec in self._records:
            self._lookup.setdefault((rec["statistic"], rec["term"]), rec)
            self._lookup.setdefault((rec["statistic"], None), rec)

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, i):  # noqa: ANN001, ANN204 - Sequence protocol
        return self._records[i]

    def get(self, statistic: str, term: str | None = None) -> Mapping[str, Any] | None:
        """The first row of ``statistic`` (with ``term``, when given), or None."""
        return self._lookup.get((statistic, term))

    def where(self, **equal: Any) -> list[Mapping[str, Any]]:
        """The rows whose columns equal the given values, in order."""
        return [r for r in self._records if all(r[k] == v for k, v in equal.items())]

    def terms(self, statistic: str) -> list[str]:
        """The distinct terms of ``statistic``'s rows, in order."""
        return list(dict.fromkeys(r["term"] for r in self.where(statistic=statistic)))


def _comparisons(results: pd.DataFrame, tests: Sequence[str] | None = None,
                 ) -> list[tuple[dict[str, Any], Rows]]:
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

    cols = list(res.columns)
    records = [dict(zip(cols, vals, strict=True))
               for vals in zip(*(res[c].tolist() for c in cols), strict=True)]
    out = []
    for key in sorted(groups, key=sort_key):
        rows = Rows([records[i] for i in groups[key]])
        ctx = {c: rows[0][c] for c in _CONTEXT if c in res.columns}
        if _missing(ctx.get("year")):
            ctx["year"] = pd.NA
        out.append((ctx, rows))
    return out


#: The columns of a comparison's first row that describe the comparison.
_CONTEXT = ("sample", "hypothesis", "spec_id", "verdict_role", "scope", "year", "stratum_var",
            "stratum", "outcome", "group_var", "group1", "group2", "population", "test",
            "test_reason", "n_total", "n_group1", "n_group2", "expected_direction",
            "observed_direction")


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


def _get(rows: Rows, statistic: str, term: str | None = None) -> Mapping[str, Any] | None:
    """The first row of ``statistic`` (and ``term``) in a comparison's rows, or None."""
    return rows.get(statistic, term)


def _val(row: Mapping[str, Any] | None, col: str = "value") -> float:
    if row is None or row.get("status", "ok") != "ok":
        return math.nan
    v = row[col]
    return math.nan if _missing(v) else float(v)


def _reason(rows: Rows, statistics: Sequence[str] | None = None) -> str:
    """Distinct reasons of not-estimable rows (of the given statistics), in order."""
    seen = list(dict.fromkeys(
        r["reason"] for r in rows if r["status"] != "ok" and r["reason"]
        and (statistics is None or r["statistic"] in statistics)))
    return "; ".join(seen)


def _role_row(rows: Rows, role: str) -> Mapping[str, Any] | None:
    """The first row of a comparison with the given role (test, effect, ...), or None."""
    return next((r for r in rows if r["role"] == role), None)


def _test_row(rows: Rows) -> Mapping[str, Any] | None:
    return _role_row(rows, "test")


def _not_estimable_comparison(rows: Rows) -> str:
    """The reason when the comparison produced no statistic at all (variable missing, ...)."""
    t = _test_row(rows)
    if t is not None and t["status"] != "ok" and not any(
            r["status"] == "ok" for r in rows):
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

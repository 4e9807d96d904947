"""The generic hypothesis engine: runs every declared test spec, year by year and pooled."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from analysis.columns import (
    RESULT_COLUMNS,
    STAT_COLUMNS,
)
from analysis.engine.choice import auto_choice, normality_choice
from analysis.engine.specs import _label, group_labels
from analysis.stats import registry
from analysis.stats.multiplicity import benjamini_hochberg, holm


# --------------------------------------------------------------------------- one comparison
def _not_estimable(statistic: str, reason: str) -> pd.DataFrame:
    return pd.DataFrame([{"statistic": statistic, "term": "", "value": np.nan, "df": np.nan,
                          "p": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                          "status": "not estimable", "reason": reason}], columns=STAT_COLUMNS)


def _pick(rows: pd.DataFrame, statistic: str, term: str | None = None) -> int | None:
    mask = rows["statistic"] == statistic
    if term is not None:
        mask &= rows["term"] == term
    idx = rows.index[mask]
    return int(idx[0]) if len(idx) else None


def run_comparison(data: pd.DataFrame, spec: dict[str, Any], *, scope: str, alpha: float,
                   years: Iterable[int] = (), choice: tuple[str, str] | None = None,
                   unavailable: str = "") -> dict[str, Any]:
    """Run one comparison of a test spec on a subset (one year, or all years when pooled).

    ``data`` holds the subset's rows with the spec's variables. ``choice`` = (test, reason)
    fixes the test of an ``auto`` spec (see :func:`auto_choice`); without it an ``auto`` spec
    decides on this subset's normality alone. ``unavailable`` names a variable the whole panel
    lacks (the comparison is then not estimable, with that reason).

    Returns a dict with ``rows`` (the test function's tidy rows with a ``role`` column), ``test``,
    ``test_reason``, ``n_group1``, ``n_group2`` and ``observed_direction``.
    """
    g = spec["group"]
    var, levels = g["variable"], list(g["levels"])
    labels = group_labels(g)
    outcome = spec["outcome"]
    kind = spec["test"]
    base = {"test": kind, "test_reason": "", "n_group1": 0, "n_group2": 0,
            "observed_direction": ""}

    decides = registry.entry(kind).decides if kind in registry.REGISTRY else "test"
    if unavailable:
        return base | {"rows": _not_estimable(decides, f"variable {unavailable!r} is not "
                                              "available in this panel").assign(role="test")}
    empty = [v for v in (outcome, var) if v not in data.columns or data[v].isna().all()]
    if empty:
        return base | {"rows": _not_estimable(decides, f"variable {empty[0]!r} has no observed "
                                              "values in this subset").assign(role="test")}
    if "_group" in data.columns:
        sub = data
    else:
        sub = data[data[var].isin(levels)].copy()
        sub["_group"] = sub[var].map(dict(zip(levels, labels, strict=True))).astype(object)
    binary_outcome = pd.api.types.is_bool_dtype(sub[outcome])

    # pooled scope: the entry's pooled test (a firm-clustered logit with year dummies for
    # binary outcomes), or the same test on firm means for metric outcomes
    why = ""
    if scope == "pooled":
        pooled = registry.entry(kind).pooled_test if kind in registry.REGISTRY else ""
        if binary_outcome or pooled:
            kind = pooled or "logit"
            why = "pooled over years: logit with year dummies, standard errors clustered by firm"
        else:
            keep = ["firm_id", "_group"]
            sub = sub.groupby(keep, observed=True, sort=True)[outcome].mean().reset_index()
            why = "pooled over years: firm means over the years"
    if kind == "auto" or "metric" in registry.entry(kind).outcomes:
        normal, note = normality_choice(sub[outcome], sub["_group"], labels, alpha)
        if kind == "auto" and choice is not None:
            kind = choice[0]
            here = "normal" if normal else note.removeprefix("not normal: ")
            why = "; ".join(filter(None, [why, choice[1], f"this subset: {here}"]))
        elif kind == "auto":
            kind = "welch_t" if normal else "mann_whitney"
            why = "; ".join(filter(None, [why, f"auto: {note} -> {kind}"]))
        else:
            why = "; ".join(filter(None, [why, f"{registry.entry(kind).why} (normality: {note})"]))
    elif not why:
        why = registry.entry(kind).why

    present = sub[outcome].notna().to_numpy()
    grp = sub["_group"].to_numpy()
    n1 = int((present & (grp == labels[0])).sum())
    n2 = int((present & (grp == labels[1])).sum())
    out = base | {"test": kind, "test_reason": why, "n_group1": n1, "n_group2": n2}

    entry = registry.entry(kind)
    comp = entry.compare(sub, outcome, labels, spec, pooled=scope == "pooled", years=years)
    rows = comp.rows
    if comp.note:
        out["test_reason"] = "; ".join(filter(None, [out["test_reason"], comp.note]))
    focus = registry.focus_name(labels[0])
    primary = _pick(rows, comp.decides, comp.decides_term or None)
    eff = entry.effect
    effect = next((i for name in (eff.statistic, *eff.fallbacks)
                   if (i := _pick(rows, name, focus if eff.term == "focus" else None))
                   is not None), None)
    d = _pick(rows, entry.direction, focus if entry.direction_term == "focus" else None)
    direction = (registry.sign(rows.at[d, "value"]) if d is not None
                 and rows.at[d, "status"] == "ok" else "")
    role = np.full(len(rows), "detail", dtype=object)
    if effect is not None:
        role[effect] = "effect"
    if primary is not None:
        role[primary] = "test"
        rows = rows.assign(role=role)
    else:
        rows = pd.concat([rows.assign(role=role),
                          _not_estimable("test", "no test statistic was produced")
                          .assign(role="test")], ignore_index=True)
    ok = primary is not None and rows.at[primary, "status"] == "ok"
    out["rows"] = rows
    out["observed_direction"] = direction if ok else ""
    return out


# --------------------------------------------------------------------------- engine
def _population_text(pop: dict[str, Any] | None) -> str:
    if not pop:
        return "all firms"
    return "; ".join(f"{k} in {[_label(v) for v in vals]}" for k, vals in pop.items())


def _levels_of(col: pd.Series) -> list[Any]:
    """Stratum levels: the categories of a categorical, else the sorted observed values."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return list(col.cat.categories)
    return sorted(col.dropna().unique())


class _SpecData:
    """A spec's variables extracted once from the panel, with masks the units slice by.

    Every unit (year x stratum, or pooled x stratum) is a boolean mask over the spec's rows
    (population filter applied, both group levels only); slicing a small frame by position is
    the only pandas work per comparison.
    """

    def __init__(self, panel: pd.DataFrame, spec: dict[str, Any]) -> None:
        g = spec["group"]
        var, levels = g["variable"], list(g["levels"])
        self.labels = group_labels(g)
        pop = spec.get("population") or {}
        wanted = [spec["outcome"], var, "firm_id", "year", spec.get("strata") or "",
                  *pop, *(spec.get("controls") or [])]
        cols = [c for c in dict.fromkeys(wanted) if c and c in panel.columns]
        frame = panel[cols]
        keep = np.ones(len(frame), dtype=bool)
        for v, allowed in pop.items():
            if v in frame.columns:
                keep &= frame[v].isin(allowed).to_numpy(dtype=bool, na_value=False)
        self.population = keep.copy()
        code = np.full(len(frame), -1, dtype=np.int8)
        if var in frame.columns:
            for i, lv in enumerate(levels):
                code[frame[var].isin([lv]).to_numpy(dtype=bool, na_value=False)] = i
        self.in_groups = keep & (code >= 0)
        self.frame = frame
        self.group = np.array(self.labels, dtype=object)[np.maximum(code, 0)]
        self.year = frame["year"].to_numpy(dtype=float, na_value=np.nan)

    def subset(self, mask: np.ndarray) -> pd.DataFrame:
        """The rows of ``mask`` in both groups, with their ``_group`` label."""
        idx = np.flatnonzero(mask & self.in_groups)
        sub = self.frame.take(idx)
        sub.insert(len(sub.columns), "_group", self.group[idx])
        return sub


def run_hypotheses(panel: pd.DataFrame, specs: dict[str, Any], *, sample: str = "all",
                   alpha: float = 0.05, only: Iterable[str] | None = None) -> pd.DataFrame:
    """Run every test spec of every hypothesis on a panel.

    Parameters
    ----------
    panel : DataFrame
        A validated, derived panel (results/panels/*.parquet or results/pooled/panel.parquet).
    specs : dict
        Parsed config/hypotheses.yaml.
    sample : str
        Name of the sample ("all" for the pooled countries, else the panel name).
    alpha : float
        Significance level (normality decisions).
    only : iterable of str, optional
        Run only these hypotheses.

    Returns
    -------
    DataFrame
        The long results schema (:data:`RESULT_COLUMNS`), sorted deterministically, with
        Holm-adjusted p within (sample, hypothesis, scope) and Benjamini-Hochberg-adjusted p
        within (sample, scope) on the ``test`` rows.
    """
    scopes = specs.get("scopes", ["year", "pooled"])
    years = sorted(int(y) for y in panel["year"].dropna().unique())
    synthetic = bool(panel["synthetic"].any()) if "synthetic" in panel else False
    absent = {c for c in panel.columns if panel[c].isna().all()}
    frames: list[pd.DataFrame] = []
    contexts: list[dict[str, Any]] = []
    for hyp, h in specs["hypotheses"].items():
        if only is not None and hyp not in only:
            continue
        for spec in h["tests"]:
            d = _SpecData(panel, spec)
            g, labels = spec["group"], d.labels
            pop = spec.get("population") or {}
            pop_missing = [v for v in pop if v not in panel.columns]
            strata_var = spec.get("strata")
            unavailable = next((v for v in (spec["outcome"], g["variable"])
                                if v not in panel.columns or v in absent), "")
            year_masks = {y: d.population & (d.year == y) for y in years}
            units: list[tuple[str, Any, np.ndarray]] = []
            for scope in scopes:
                if scope == "year":
                    units += [("year", y, year_masks[y]) for y in years]
                elif scope == "pooled":
                    units.append(("pooled", pd.NA, d.population))
            has_strata = bool(strata_var) and strata_var in d.frame.columns
            stratum_levels: list[tuple[Any, np.ndarray]] = [("", np.ones(len(d.frame), bool))]
            if has_strata:
                col = d.frame[strata_var]
                stratum_levels = [(lv, col.isin([lv]).to_numpy(dtype=bool, na_value=False))
                                  for lv in _levels_of(col)]
            choices: dict[Any, tuple[str, str]] = {}
            if spec["test"] == "auto" and not pop_missing and not unavailable:
                for lv, smask in stratum_levels:
                    choices[str(lv)] = auto_choice(
                        {y: d.subset(m & smask) for y, m in year_masks.items()}, spec, alpha)
            for scope, year, umask in units:
                for level, smask in stratum_levels:
                    if pop_missing:
                        res = {"rows": _not_estimable(
                            "test", f"population variable {pop_missing[0]!r} is not available "
                            "in this panel").assign(role="test"), "test": spec["test"],
                            "test_reason": "", "n_group1": 0, "n_group2": 0,
                            "observed_direction": ""}
                    elif strata_var and not has_strata:
                        res = {"rows": _not_estimable(
                            "test", f"stratum variable {strata_var!r} is not available in this "
                            "panel").assign(role="test"), "test": spec["test"],
                            "test_reason": "", "n_group1": 0, "n_group2": 0,
                            "observed_direction": ""}
                    else:
                        res = run_comparison(d.subset(umask & smask), spec, scope=scope,
                                             alpha=alpha, years=years,
                                             choice=choices.get(str(level)),
                                             unavailable=unavailable)
                    rows = res["rows"]
                    ctx = {
                        "sample": sample, "hypothesis": hyp, "spec_id": spec["id"],
                        "verdict_role": spec.get("verdict", "primary"), "scope": scope,
                        "year": year, "stratum_var": strata_var or "", "stratum": str(level),
                        "outcome": spec["outcome"], "group_var": g["variable"],
                        "group1": labels[0], "group2": labels[1],
                        "population": _population_text(pop), "test": res["test"],
                        "test_reason": res["test_reason"],
                        "n_total": res["n_group1"] + res["n_group2"],
                        "n_group1": res["n_group1"], "n_group2": res["n_group2"],
                        "expected_direction": spec.get("expected_direction", "any"),
                        "observed_direction": res["observed_direction"],
                        "synthetic": synthetic,
                    }
                    frames.append(rows)
                    contexts.append(ctx)
    if not frames:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    sizes = np.array([len(f) for f in frames])
    context = pd.DataFrame(contexts).iloc[np.repeat(np.arange(len(frames)), sizes)]
    out = pd.concat([out, context.reset_index(drop=True)], axis=1)
    out["year"] = out["year"].astype("Int64")
    out = adjust_p(out)
    return out[RESULT_COLUMNS].reset_index(drop=True)


def adjust_p(results: pd.DataFrame) -> pd.DataFrame:
    """Holm within (sample, hypothesis, scope, verdict_role) and BH within (sample, scope).

    Only ``test`` rows that are estimable are adjusted. Secondary specs form their own Holm
    family, so a secondary test (e.g. H1's logit beside its crosstab) does not inflate the
    primary tests' adjusted p.
    """
    out = results.copy()
    out["p_holm"] = np.nan
    out["p_bh"] = np.nan
    test = (out["role"] == "test") & out["p"].notna() & (out["status"] == "ok")
    holm_keys = ["sample", "hypothesis", "scope"] + (
        ["verdict_role"] if "verdict_role" in out else [])
    for keys, method, column in ((holm_keys, holm, "p_holm"),
                                 (["sample", "scope"], benjamini_hochberg, "p_bh")):
        for _, idx in out[test].groupby(keys, sort=True).groups.items():
            out.loc[idx, column] = method(out.loc[idx, "p"].to_numpy(dtype=float))
    return out



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
from analysis.engine.specs import _label
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
                   years: Iterable[int] = (),
                   choice: tuple[str, str] | None = None) -> dict[str, Any]:
    """Run one comparison of a test spec on a subset (one year, or all years when pooled).

    ``choice`` = (test, reason) fixes the test of an ``auto`` spec (see :func:`auto_choice`);
    without it an ``auto`` spec decides on this subset's normality alone.

    Returns a dict with ``rows`` (the test function's tidy rows with a ``role`` column), ``test``,
    ``test_reason``, ``n_group1``, ``n_group2`` and ``observed_direction``.
    """
    g = spec["group"]
    var, levels = g["variable"], list(g["levels"])
    labels = [str(x) for x in g.get("labels", [_label(lv) for lv in levels])]
    outcome = spec["outcome"]
    kind = spec["test"]
    base = {"test": kind, "test_reason": "", "n_group1": 0, "n_group2": 0,
            "observed_direction": ""}

    missing = [v for v in (outcome, var) if v not in data.columns or data[v].isna().all()]
    if missing:
        decides = registry.entry(kind).decides if kind in registry.REGISTRY else "test"
        return base | {"rows": _not_estimable(decides, f"variable {missing[0]!r} is not "
                                              "available in this panel").assign(role="test")}
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

    n1 = int((sub["_group"] == labels[0]).sum() - sub.loc[sub["_group"] == labels[0],
                                                             outcome].isna().sum())
    n2 = int((sub["_group"] == labels[1]).sum() - sub.loc[sub["_group"] == labels[1],
                                                             outcome].isna().sum())
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
    rows = rows.copy()
    rows["role"] = "detail"
    if primary is not None:
        rows.loc[primary, "role"] = "test"
    else:
        rows = pd.concat([rows, _not_estimable("test", "no test statistic was produced")
                         .assign(role="test")], ignore_index=True)
    if effect is not None:
        rows.loc[effect, "role"] = "effect"
    ok = primary is not None and rows.at[primary, "status"] == "ok"
    out["rows"] = rows
    out["observed_direction"] = direction if ok else ""
    return out


# --------------------------------------------------------------------------- engine
def _population_text(pop: dict[str, Any] | None) -> str:
    if not pop:
        return "all firms"
    return "; ".join(f"{k} in {[_label(v) for v in vals]}" for k, vals in pop.items())


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
    frames: list[pd.DataFrame] = []
    contexts: list[dict[str, Any]] = []
    for hyp, h in specs["hypotheses"].items():
        if only is not None and hyp not in only:
            continue
        for spec in h["tests"]:
            g = spec["group"]
            labels = [str(x) for x in g.get("labels", [_label(v) for v in g["levels"]])]
            data = panel
            pop = spec.get("population") or {}
            pop_missing = [v for v in pop if v not in panel.columns]
            for v, allowed in pop.items():
                if v in data.columns:
                    data = data[data[v].isin(allowed)]
            strata_var = spec.get("strata")
            units: list[tuple[str, Any, pd.DataFrame]] = []
            for scope in scopes:
                if scope == "year":
                    units += [("year", y, data[data["year"] == y]) for y in years]
                elif scope == "pooled":
                    units.append(("pooled", pd.NA, data))
            choices: dict[Any, tuple[str, str]] = {}
            if spec["test"] == "auto" and not pop_missing:
                if strata_var and strata_var in data.columns:
                    col = data[strata_var]
                    lvls = (list(col.cat.categories) if hasattr(col, "cat")
                            else sorted(col.dropna().unique()))
                    for lv in lvls:
                        choices[str(lv)] = auto_choice(data[col == lv], spec, years, alpha)
                else:
                    choices[""] = auto_choice(data, spec, years, alpha)
            for scope, year, part in units:
                if strata_var and strata_var in part.columns:
                    col = part[strata_var]
                    levels = (list(col.cat.categories) if hasattr(col, "cat")
                              else sorted(col.dropna().unique()))
                    strata = [(lv, part[col == lv]) for lv in levels]
                else:
                    strata = [("", part)]
                for level, sub in strata:
                    if pop_missing:
                        res = {"rows": _not_estimable(
                            "test", f"population variable {pop_missing[0]!r} is not available "
                            "in this panel").assign(role="test"), "test": spec["test"],
                            "test_reason": "", "n_group1": 0, "n_group2": 0,
                            "observed_direction": ""}
                    elif strata_var and strata_var not in part.columns:
                        res = {"rows": _not_estimable(
                            "test", f"stratum variable {strata_var!r} is not available in this "
                            "panel").assign(role="test"), "test": spec["test"],
                            "test_reason": "", "n_group1": 0, "n_group2": 0,
                            "observed_direction": ""}
                    else:
                        res = run_comparison(sub, spec, scope=scope, alpha=alpha, years=years,
                                             choice=choices.get(str(level)))
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



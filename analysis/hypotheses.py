"""The generic hypothesis engine: runs declared test specs, adjusts p, derives verdicts.

Hypotheses are data (config/hypotheses.yaml, documented in docs/hypotheses.md). For every test
spec the engine runs one comparison per year (scope ``year``) and one over all years (scope
``pooled``), within each stratum when the spec has one, and collects the tidy rows of the test
functions in :mod:`analysis.tests` into the long results schema (:data:`RESULT_COLUMNS`,
docs/results_schema.md). Every comparison records the test used and why (``test_reason``).

Roles: in each comparison one row is the ``test`` row (its p decides significance), one the
``effect`` row (phi / Cramér's V, r, Exp(B)); all others are ``detail`` rows (counts, mean ranks,
coefficients, model fit) that tables read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from analysis import tests as st
from analysis.normality import lilliefors, shapiro_wilk

CONTEXT_COLUMNS = [
    "sample", "hypothesis", "spec_id", "verdict_role", "scope", "year", "stratum_var", "stratum",
    "outcome", "group_var", "group1", "group2", "population", "test", "test_reason",
]
STAT_COLUMNS = ["statistic", "term", "value", "df", "p", "ci_low", "ci_high", "status", "reason"]
RESULT_COLUMNS = [
    *CONTEXT_COLUMNS, "role", *STAT_COLUMNS, "p_holm", "p_bh", "n_total", "n_group1",
    "n_group2", "expected_direction", "observed_direction", "synthetic",
]
VERDICT_COLUMNS = [
    "sample", "hypothesis", "label", "secondary", "study_verdict", "rule", "rule_description",
    "verdict", "agree", "units_supported", "units_estimable", "units_total",
    "direction_observed", "summary", "synthetic",
]
DIRECTIONS = ("negative", "positive", "any")


# --------------------------------------------------------------------------- specs
def load_specs(path: str) -> dict[str, Any]:
    """Read and check the hypothesis specs (config/hypotheses.yaml)."""
    from analysis.config import load_yaml

    specs = load_yaml(path)
    check_specs(specs, source=str(path))
    return specs


def check_specs(specs: dict[str, Any], source: str = "hypotheses") -> None:
    """Check hypothesis specs; raise :class:`PipelineInputError` listing every problem."""
    from analysis.errors import PipelineInputError

    problems: list[str] = []
    rules = specs.get("rules") or {}
    if specs.get("default_rule") not in rules:
        problems.append(f"default_rule {specs.get('default_rule')!r} is not one of the rules "
                        f"{sorted(rules)}")
    for name, rule in rules.items():
        if rule.get("p", "p") not in ("p", "p_holm", "p_bh"):
            problems.append(f"rules.{name}.p must be p, p_holm or p_bh")
    seen: set[str] = set()
    for hyp, h in (specs.get("hypotheses") or {}).items():
        for key in ("label", "study_verdict", "tests"):
            if key not in h:
                problems.append(f"hypotheses.{hyp}: missing `{key}`")
        for i, t in enumerate(h.get("tests") or []):
            where = f"hypotheses.{hyp}.tests[{i}]"
            tid = t.get("id")
            if not tid:
                problems.append(f"{where}: missing `id`")
            elif tid in seen:
                problems.append(f"{where}: id {tid!r} is used twice")
            seen.add(tid)
            if t.get("test") not in ("crosstab", "mann_whitney", "logit", "auto", "welch_t"):
                problems.append(f"{where} ({tid}): test {t.get('test')!r} is not one of crosstab, "
                                "mann_whitney, welch_t, logit, auto")
            if "outcome" not in t:
                problems.append(f"{where} ({tid}): missing `outcome`")
            g = t.get("group") or {}
            if "variable" not in g or len(g.get("levels") or []) != 2:
                problems.append(f"{where} ({tid}): `group` needs `variable` and exactly two "
                                "`levels` (first, second)")
            if t.get("expected_direction", "any") not in DIRECTIONS:
                problems.append(f"{where} ({tid}): expected_direction must be one of {DIRECTIONS}")
            if t.get("verdict", "primary") not in ("primary", "secondary"):
                problems.append(f"{where} ({tid}): verdict must be primary or secondary")
    if problems:
        raise PipelineInputError(f"{source}: the hypothesis specs have problems:", problems)


# --------------------------------------------------------------------------- one comparison
def _label(level: Any) -> str:
    if isinstance(level, bool | np.bool_):
        return "yes" if level else "no"
    return str(level)


def _focus_name(label: str) -> str:
    return "is_" + re.sub(r"[^0-9A-Za-z]+", "_", label).strip("_")


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


SIGN_TOLERANCE = 1e-9


def _sign(value: float) -> str:
    """Direction of a difference; |value| below :data:`SIGN_TOLERANCE` counts as none."""
    if value is None or not np.isfinite(value):
        return ""
    if abs(value) < SIGN_TOLERANCE:
        return "none"
    return "positive" if value > 0 else "negative"


def _p_text(p: float) -> str:
    return "p < .001" if p < 0.001 else f"p = {p:.3f}".replace("0.", ".", 1)


def normality_choice(values: pd.Series, groups: pd.Series, labels: list[str],
                     alpha: float) -> tuple[bool, str]:
    """Is the outcome normal in both groups? Returns (normal, explanation).

    Normal means: in each group both K-S (Lilliefors) and Shapiro-Wilk have p >= alpha. A group
    too small for a test counts as not normal (normality cannot be assumed).
    """
    failing = []
    for label in labels:
        x = values[groups == label].dropna().to_numpy(dtype=float)
        notes = []
        for name, res in (("K-S", lilliefors(x)), ("S-W", shapiro_wilk(x))):
            if res["status"] != "ok":
                notes.append(f"{name} not assessable, n = {x.size}")
            elif res["p"] < alpha:
                notes.append(f"{name} {_p_text(res['p'])}")
        if notes:
            failing.append(f"{label} ({', '.join(dict.fromkeys(notes))})")
    if not failing:
        return True, (f"normal in both groups (K-S Lilliefors and Shapiro-Wilk, "
                      f"alpha = {alpha})")
    return False, "not normal: " + "; ".join(failing)


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
        primary = {"crosstab": "pearson_chi2", "logit": "wald"}.get(kind, "mann_whitney_u")
        return base | {"rows": _not_estimable(primary, f"variable {missing[0]!r} is not "
                                              "available in this panel").assign(role="test")}
    sub = data[data[var].isin(levels)].copy()
    sub["_group"] = sub[var].map(dict(zip(levels, labels, strict=True))).astype(object)
    binary_outcome = pd.api.types.is_bool_dtype(sub[outcome])

    # pooled scope: firm-clustered logit for binary outcomes, firm means for metric ones
    if scope == "pooled":
        if binary_outcome or kind in ("crosstab", "logit"):
            kind, why = "logit", ("pooled over years: logit with year dummies, standard errors "
                                  "clustered by firm")
        else:
            keep = ["firm_id", "_group"]
            sub = sub.groupby(keep, observed=True, sort=True)[outcome].mean().reset_index()
            why = "pooled over years: firm means over the years"
    else:
        why = ""
    if kind in ("auto", "mann_whitney", "welch_t"):
        normal, note = normality_choice(sub[outcome], sub["_group"], labels, alpha)
        if kind == "auto" and choice is not None:
            kind = choice[0]
            here = "normal" if normal else note.removeprefix("not normal: ")
            why = "; ".join(filter(None, [why, choice[1], f"this subset: {here}"]))
        elif kind == "auto":
            kind = "welch_t" if normal else "mann_whitney"
            why = "; ".join(filter(None, [why, f"auto: {note} -> {kind}"]))
        else:
            why = "; ".join(filter(None, [why, f"configured: {kind} (normality: {note})"]))
    elif kind == "crosstab":
        why = "configured: crosstab (categorical outcome)"
    elif kind == "logit" and scope != "pooled":
        why = "configured: binary logistic regression"

    n1 = int((sub["_group"] == labels[0]).sum() - sub.loc[sub["_group"] == labels[0],
                                                             outcome].isna().sum())
    n2 = int((sub["_group"] == labels[1]).sum() - sub.loc[sub["_group"] == labels[1],
                                                             outcome].isna().sum())
    out = base | {"test": kind, "test_reason": why, "n_group1": n1, "n_group2": n2}

    if kind == "crosstab":
        positive = spec.get("positive", True)
        rows = st.crosstab(sub, "_group", outcome, row_order=labels, positive=positive)
        primary = _pick(rows, "pearson_chi2")
        small = _pick(rows, "cells_expected_lt5")
        fisher = _pick(rows, "fisher_exact")
        if (primary is not None and small is not None and fisher is not None
                and rows.at[small, "value"] > 0 and rows.at[fisher, "status"] == "ok"
                and spec.get("small_expected", "fisher") == "fisher"):
            primary = fisher
            out["test_reason"] += (f"; {int(rows.at[small, 'value'])} cell(s) with expected "
                                   "count < 5: Fisher's exact test decides")
        effect = _pick(rows, "phi") if _pick(rows, "phi") is not None else _pick(rows, "cramers_v")
        rd = _pick(rows, "risk_difference")
        direction = _sign(rows.at[rd, "value"]) if rd is not None else ""
    elif kind == "mann_whitney":
        rows = st.mann_whitney(sub, outcome, "_group", groups=tuple(labels))
        primary, effect = _pick(rows, "z"), _pick(rows, "r")
        rb = _pick(rows, "rank_biserial")
        direction = _sign(rows.at[rb, "value"]) if rb is not None else ""
    elif kind == "welch_t":
        rows = st.welch_t(sub, outcome, "_group", groups=tuple(labels))
        primary, effect = _pick(rows, "t"), _pick(rows, "hedges_g")
        md = _pick(rows, "mean_difference")
        direction = _sign(rows.at[md, "value"]) if md is not None else ""
    else:  # logit
        focus = _focus_name(labels[0])
        sub[focus] = (sub["_group"] == labels[0]).astype(float)
        y = sub[outcome]
        if binary_outcome:
            positive = spec.get("positive", True)
            sub["_y"] = (y == positive).astype(float).where(y.notna())
        else:
            sub["_y"] = y
        controls = [c for c in spec.get("controls", []) if c in sub.columns]
        categorical = dict(spec.get("categorical") or {})
        dropped = []
        for c in list(controls):
            if sub[c].nunique(dropna=True) < 2:
                controls.remove(c)
                categorical.pop(c, None)
                dropped.append(c)
        if dropped:
            out["test_reason"] += f"; controls dropped (constant in this subset): {dropped}"
        cluster = None
        if scope == "pooled":
            yrs = sorted(years)
            if len(yrs) > 1:
                sub["year_"] = sub["year"].astype(int).astype(str)
                controls.append("year_")
                categorical["year_"] = str(yrs[0])
            cluster = "firm_id"
        rows = st.logistic_regression(sub, "_y", [focus, *controls], categorical=categorical,
                                      cluster=cluster)
        primary, effect = _pick(rows, "wald", focus), _pick(rows, "exp_b", focus)
        b = _pick(rows, "B", focus)
        direction = (_sign(rows.at[b, "value"]) if b is not None
                     and rows.at[b, "status"] == "ok" else "")
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


def auto_choice(data: pd.DataFrame, spec: dict[str, Any], years: list[int],
                alpha: float) -> tuple[str, str]:
    """One test for every year of an ``auto`` spec (within one stratum).

    Welch's t-test when the outcome is normal in both groups in every year (K-S Lilliefors and
    Shapiro-Wilk at ``alpha``), otherwise Mann-Whitney for every year and the pooled scope, so
    that effect sizes are comparable across years (the study tested normality first and then
    used one family of tests).
    """
    g = spec["group"]
    var, levels = g["variable"], list(g["levels"])
    labels = [str(x) for x in g.get("labels", [_label(lv) for lv in levels])]
    outcome = spec["outcome"]
    if outcome not in data.columns or var not in data.columns:
        return "mann_whitney", "auto: outcome not available"
    failures = []
    for y in years:
        sub = data[(data["year"] == y) & data[var].isin(levels)]
        groups = sub[var].map(dict(zip(levels, labels, strict=True))).astype(object)
        normal, note = normality_choice(sub[outcome], groups, labels, alpha)
        if not normal:
            parts = note.removeprefix("not normal: ").split("; ")
            bad = [part.split(" (", 1)[0] for part in parts]
            failures.append(f"{y} [{', '.join(bad)}]")
    if not failures:
        return "welch_t", ("auto: normal in both groups in every year -> welch_t for every "
                           "year")
    return "mann_whitney", ("auto: not normal in " + ", ".join(failures)
                            + " -> mann_whitney for every year")


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


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (monotone, capped at 1)."""
    p = np.asarray(p, dtype=float)
    m = p.size
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg step-up adjusted p-values (false discovery rate)."""
    p = np.asarray(p, dtype=float)
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adj = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(m)
    out[order] = adj
    return out


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


# --------------------------------------------------------------------------- verdicts
def _unit_verdict(unit: pd.DataFrame, rule: dict[str, Any], alpha: float,
                  expected: str) -> str:
    """'supported', 'not supported' or 'not estimable' for one (spec, stratum) unit."""
    pcol = rule.get("p", "p")
    if rule.get("scope") == "pooled":
        rows = unit[unit["scope"] == "pooled"]
    else:
        rows = unit[unit["scope"] == "year"]
    rows = rows[rows["status"] == "ok"]
    if rows.empty:
        return "not estimable"
    sig = rows[pcol] < alpha
    good_dir = (rows["observed_direction"] == expected) if expected != "any" else \
        pd.Series(True, index=rows.index)
    if rule.get("scope") == "pooled":
        return "supported" if bool((sig & good_dir).any()) else "not supported"
    need = rule.get("min_significant_years", 1)
    n_sig = int((sig & good_dir).sum())
    ok = n_sig == len(rows) if need == "all" else n_sig >= int(need)
    if rule.get("direction_every_year", True) and expected != "any":
        ok = ok and bool(good_dir.all())
    return "supported" if ok else "not supported"


def _unit_summary(unit: pd.DataFrame, alpha: float) -> str:
    years = unit[(unit["scope"] == "year")].sort_values("year")
    ok = years[years["status"] == "ok"]
    spec, stratum = unit["spec_id"].iloc[0], unit["stratum"].iloc[0]
    where = f"{spec}" + (f" [{unit['stratum_var'].iloc[0]} = {stratum}]" if stratum else "")
    if ok.empty:
        return f"{where}: not estimable ({years['reason'].iloc[0] if len(years) else 'no data'})"
    sig_years = [str(y) for y, p in zip(ok["year"], ok["p"], strict=True) if p < alpha]
    dirs = ok["observed_direction"].tolist()
    dir_text = ", ".join(f"{y}: {d or 'n/a'}" for y, d in zip(ok["year"], dirs, strict=True))
    return (f"{where}: significant in {len(sig_years)} of {len(ok)} years"
            + (f" ({', '.join(sig_years)})" if sig_years else "") + f"; direction {dir_text}")


def derive_verdicts(results: pd.DataFrame, specs: dict[str, Any], *,
                    alpha: float = 0.05) -> pd.DataFrame:
    """One row per (sample, hypothesis, rule): this run's verdict beside the study's.

    A unit is one (test spec, stratum) whose ``verdict_role`` is primary; the hypothesis is
    Supported under a rule when at least one unit is, Not estimable when no unit is estimable.
    """
    test_rows = results[results["role"] == "test"]
    records = []
    for sample in sorted(test_rows["sample"].unique()):
        for hyp, h in specs["hypotheses"].items():
            rows = test_rows[(test_rows["sample"] == sample) & (test_rows["hypothesis"] == hyp)
                             & (test_rows["verdict_role"] == "primary")]
            units = [u for _, u in rows.groupby(["spec_id", "stratum"], sort=False)]
            exp_of = {t["id"]: t.get("expected_direction", "any") for t in h["tests"]}
            summaries = [_unit_summary(u, alpha) for u in units]
            year_ok = rows[(rows["scope"] == "year") & (rows["status"] == "ok")]
            dirs = sorted(set(year_ok["observed_direction"]) - {""})
            direction = dirs[0] if len(dirs) == 1 else ("mixed" if dirs else "")
            for rname, rule in specs["rules"].items():
                verdicts = [_unit_verdict(u, rule, alpha, exp_of[u["spec_id"].iloc[0]])
                            for u in units]
                n_sup = verdicts.count("supported")
                n_est = len(verdicts) - verdicts.count("not estimable")
                if n_sup:
                    verdict = "Supported"
                elif n_est == 0:
                    verdict = "Not estimable"
                else:
                    verdict = "Not supported"
                study = h["study_verdict"]
                agree = ("n/a" if study not in ("Supported", "Not supported")
                         or verdict == "Not estimable" else
                         "agree" if verdict == study else "differ")
                records.append({
                    "sample": sample, "hypothesis": hyp, "label": h["label"],
                    "secondary": bool(h.get("secondary", False)), "study_verdict": study,
                    "rule": rname, "rule_description": " ".join(str(rule["description"]).split()),
                    "verdict": verdict, "agree": agree, "units_supported": n_sup,
                    "units_estimable": n_est, "units_total": len(verdicts),
                    "direction_observed": direction,
                    "summary": " | ".join(
                        s for s, v in zip(summaries, verdicts, strict=True)
                        if v == "supported" or len(units) <= 3
                    ) or f"no unit supported ({len(units)} units)",
                    "synthetic": bool(rows["synthetic"].astype(str).eq("True").any())
                    if "synthetic" in rows else False,
                })
    return pd.DataFrame(records, columns=VERDICT_COLUMNS)


DECIMALS = 12


def snap_noise(results: pd.DataFrame) -> pd.DataFrame:
    """Round statistics to 12 decimal places, so their written digits do not depend on rounding.

    A coefficient of 1e-17 (and its Wald statistic of 1e-35) is floating-point noise around an
    exact zero, and the last digits of a small statistic (a likelihood-ratio of 1.08e-07) vary
    with the order of floating-point operations; rounding at 1e-12 absolute writes the former as
    0 and keeps the latter's digits stable, so tables stay byte-identical across machines.
    p-values are never rounded.
    """
    out = results.copy()
    for col in ("value", "ci_low", "ci_high"):
        x = out[col].to_numpy(dtype=float, copy=True)
        finite = np.isfinite(x)
        x[finite] = np.round(x[finite], DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0
        out[col] = x
    return out


def run_stage(*, panel_path: str, specs_path: str, sample: str, alpha: float,
              out_results: str, out_verdicts: str) -> None:
    """Stage ``hypotheses``: run every spec on one sample; write results and verdicts."""
    import logging

    from analysis.runlog import write_csv

    log = logging.getLogger(__name__)
    specs = load_specs(specs_path)
    panel = pd.read_parquet(panel_path)
    results = run_hypotheses(panel, specs, sample=sample, alpha=alpha)
    verdicts = derive_verdicts(results, specs, alpha=alpha)
    tests = results[results["role"] == "test"]
    log.info("%d comparisons, %d not estimable", len(tests),
             int((tests["status"] != "ok").sum()))
    for r in verdicts[verdicts["rule"] == specs["default_rule"]].itertuples():
        log.info("%s: %s (study: %s)", r.hypothesis, r.verdict, r.study_verdict)
    write_csv(snap_noise(results), out_results)
    write_csv(verdicts, out_verdicts)

"""Journal tables: summaries, Table 1, Table 2, normality, test choices, samples compared."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.columns import CONTEXT_OUT
from analysis.render.comparisons import (
    _comparisons,
    _ctx_out,
    _finish,
    _order,
    _role_row,
    _row_when,
    _section,
    _source,
    _spec_label,
    _synthetic,
    _test_row,
    _title,
    _val,
)
from analysis.render.format import (
    _int,
    _missing,
    _pct,
    format_num,
    format_p,
)
from analysis.render.table import (
    P_NOTE,
    Table,
    _normalize_results,
)
from analysis.stats import registry
from analysis.stats.normality import NORMALITY_COLUMNS, SPSS_LOWER_BOUND


# =========================================================================== registry text
def _entries_used(tests: Iterable[Any]) -> list[registry.TestEntry]:
    """Registry entries of the tests used, in registry order (unregistered names left out)."""
    used = {str(t) for t in tests}
    return [e for name, e in registry.REGISTRY.items() if name in used]


def _stat_label(test: str, statistic: str) -> str:
    """Printed name of a statistic of a test: the test's entry, else any entry naming it."""
    e = registry.REGISTRY.get(test)
    return e.label_of(statistic) if e is not None else registry.statistic_label(statistic)


def _effect_names(e: registry.TestEntry) -> str:
    """The effect size of a test and its fallbacks, e.g. "phi or Cramér's V"."""
    return " or ".join(dict.fromkeys(e.label_of(s) for s in (e.effect.statistic,
                                                               *e.effect.fallbacks)))


def _tests_note(entries: Sequence[registry.TestEntry]) -> str:
    """Per test used: the deciding statistic, the effect size and what the direction reads."""
    if not entries:
        return ""
    return "By test: " + "; ".join(
        f"{e.label}: statistic {e.statistic_label}, effect {_effect_names(e)}, direction from "
        f"the {e.direction_meaning}" for e in entries) + "."


# =========================================================================== summary
def summary_table(results: pd.DataFrame, hypothesis: str, *, alpha: float = 0.05,
                  labels: Mapping[str, str] | None = None) -> Table:
    """Compact summary of one hypothesis: one row per spec x stratum x scope (year / pooled).

    Reads the ``test`` row (statistic, df, p, p_holm, p_bh, status, reason) and the
    ``effect`` row (value, CI) of every comparison and its context (test, test_reason,
    n per group, expected and observed direction). Not-estimable comparisons are rows with
    their reason.
    """
    res = results[results["hypothesis"] == hypothesis]
    raw_cols = [*CONTEXT_OUT, "verdict_role", "test", "test_reason", "n_group1", "n_group2",
                "test_statistic", "value", "df", "p", "p_holm", "p_bh", "effect_statistic",
                "effect", "effect_ci_low", "effect_ci_high", "expected_direction",
                "observed_direction", "direction_as_expected", "significant", "status",
                "reason"]
    disp_cols = ["Year", "Test", "Why this test", "n (group 1 / 2)", "Statistic", "df", "p",
                 "p (Holm)", "p (BH)", "Effect [95% CI]", "Direction (observed / expected)",
                 "Status"]
    raw_rows, disp_rows, panels = [], [], []
    for ctx, rows in _comparisons(res):
        t = _test_row(rows)
        e = _role_row(rows, "effect")
        ok = t is not None and t["status"] == "ok"
        expected, observed = ctx["expected_direction"], ctx["observed_direction"]
        if not ok or not observed:
            as_expected = ""
        elif expected == "any":
            as_expected = "n/a"
        else:
            as_expected = "yes" if observed == expected else "no"
        p = _val(t, "p")
        significant = bool(ok and p < alpha)
        reason = "" if ok else (t["reason"] if t is not None else "no test row")
        raw_rows.append(_ctx_out(ctx) | {
            "verdict_role": ctx["verdict_role"], "test": ctx["test"],
            "test_reason": ctx["test_reason"], "n_group1": ctx["n_group1"],
            "n_group2": ctx["n_group2"],
            "test_statistic": "" if t is None else t["statistic"], "value": _val(t),
            "df": _val(t, "df"), "p": p, "p_holm": _val(t, "p_holm"), "p_bh": _val(t, "p_bh"),
            "effect_statistic": "" if e is None else e["statistic"], "effect": _val(e),
            "effect_ci_low": _val(e, "ci_low"), "effect_ci_high": _val(e, "ci_high"),
            "expected_direction": expected, "observed_direction": observed,
            "direction_as_expected": as_expected, "significant": significant,
            "status": "ok" if ok else "not estimable", "reason": reason})
        stat = ""
        if t is not None and ok:
            name = _stat_label(ctx["test"], t["statistic"])
            stat = name if _missing(t["value"]) else f"{name} = {format_num(t['value'])}"
        eff = ""
        if e is not None and e["status"] == "ok":
            eff = f"{_stat_label(ctx['test'], e['statistic'])} = {format_num(e['value'])}"
            if not _missing(e["ci_low"]) and not _missing(e["ci_high"]):
                eff += f" [{format_num(e['ci_low'])}, {format_num(e['ci_high'])}]"
        elif e is not None:
            eff = "not estimable"
        direction = f"{observed or '–'} / {expected}"
        status = (f"significant (p < {format_num(alpha, None)})" if significant
                  else "not significant") \
            if ok else f"not estimable: {reason}"
        disp_rows.append([
            _row_when(ctx), ctx["test"], ctx["test_reason"],
            f"{_int(ctx['n_group1'])} / {_int(ctx['n_group2'])}", stat,
            format_num(_val(t, "df"), 0) if not _missing(_val(t, "df")) and float(
                _val(t, "df")).is_integer() else format_num(_val(t, "df"), 2),
            format_p(p), format_p(_val(t, "p_holm")), format_p(_val(t, "p_bh")), eff,
            direction, status])
        panels.append(f"{_spec_label(ctx)} [{ctx['verdict_role']}]")
    notes = [
        "One row per comparison (test spec x stratum x year, and the pooled scope). Statistic: "
        "the row whose p decides significance (the 'Why this test' column notes when a row "
        "other than the test's usual one decides); effect: the test's effect size; direction: "
        "the sign of the test's direction statistic, group 1 minus group 2. "
        + _tests_note(_entries_used(res["test"])),
        "p (Holm): Holm-adjusted within the hypothesis and scope; p (BH): Benjamini-Hochberg-"
        "adjusted across all tests of the sample and scope. " + P_NOTE,
        _source("rows with role = test and role = effect"),
    ]
    return _finish(f"{hypothesis}_summary", _title(hypothesis, "Summary of comparisons", labels),
                   raw_rows, raw_cols, disp_rows, disp_cols, notes=notes, panels=panels,
                   synthetic=_synthetic(res), section=_section(hypothesis, labels))


# =========================================================================== normality
def normality_table(normality: pd.DataFrame, *, alpha: float | None = None,
                    variable_labels: Mapping[str, str] | None = None) -> Table:
    """SPSS "Tests of Normality": one panel per variable, one row per breakdown level.

    Columns Kolmogorov-Smirnov^a (Statistic, df, Sig.) and Shapiro-Wilk (Statistic, df, Sig.)
    and the decision at alpha (not normal when either test rejects). Sig. of the K-S test is
    printed as SPSS's lower bound ``.200*`` when ``lower_bound`` flags p above 0.2
    (:func:`~analysis.render.format.format_p`). The breakdown columns
    are every column of normality.csv that is not a normality field (e.g. ``year``,
    ``size_group``); an empty breakdown value means "all".
    """
    norm = normality
    keys = [c for c in norm.columns if c not in NORMALITY_COLUMNS
            and c not in ("sample", "synthetic", "by", "breakdown")]
    raw_cols = ["sample"] if "sample" in norm.columns else []
    raw_cols += [*keys, "variable", "ks_statistic", "ks_df", "ks_p", "ks_lower_bound",
                 "sw_statistic", "sw_df", "sw_p", "decision", "status", "reason"]
    key_heads = [k.replace("_", " ").capitalize() for k in keys]
    disp_cols = [*key_heads, "Statistic", "df", "Sig.", "Statistic ", "df ", "Sig. ",
                 "Decision", "Note"]
    groups = [("", len(keys)), ("Kolmogorov-Smirnov^{a}", 3), ("Shapiro-Wilk", 3), ("", 2)]
    raw_rows, disp_rows, panels = [], [], []
    var_order = _order(norm["variable"]) if len(norm) else {}
    work = norm.assign(_v=norm["variable"].map(var_order), _i=np.arange(len(norm)))
    work = work.sort_values(["_v", "_i"], kind="stable")
    level_keys = ["sample", *keys] if "sample" in norm.columns else keys
    seen: dict[tuple[Any, ...], dict[str, pd.Series]] = {}
    for _, r in work.iterrows():
        key = (r["variable"], *[_key_text(r[k]) for k in level_keys])
        seen.setdefault(key, {})[r["test"]] = r
    for key, tests in seen.items():
        ks, sw = tests.get("ks_lilliefors"), tests.get("shapiro_wilk")
        first = ks if ks is not None else sw
        a = alpha if alpha is not None else (float(first["alpha"]) if "alpha" in first and
                                             not _missing(first["alpha"]) else 0.05)
        decisions = [t["decision"] for t in (ks, sw) if t is not None and t["status"] == "ok"]
        decision = ("not normal" if "not normal" in decisions else "normal") if decisions else ""
        if alpha is not None:  # re-decide at the requested alpha
            ps = [float(t["p"]) for t in (ks, sw) if t is not None and t["status"] == "ok"]
            decision = ("not normal" if any(p < a for p in ps) else "normal") if ps else ""
        reasons = "; ".join(dict.fromkeys(
            f"{name}: {t['reason']}" for name, t in (("K-S", ks), ("S-W", sw))
            if t is not None and t["reason"]))
        status = "ok" if all(t is not None and t["status"] == "ok" for t in (ks, sw)) else \
            "not estimable"
        levels = dict(zip(level_keys, key[1:], strict=True))
        rec = {**levels, "variable": key[0],
               "ks_statistic": _nv(ks, "statistic"), "ks_df": _nv(ks, "df"),
               "ks_p": _nv(ks, "p"),
               "ks_lower_bound": bool(ks is not None and ks["lower_bound"]),
               "sw_statistic": _nv(sw, "statistic"), "sw_df": _nv(sw, "df"),
               "sw_p": _nv(sw, "p"), "decision": decision, "status": status, "reason": reasons}
        raw_rows.append(rec)
        disp_rows.append([levels[k] or "All" for k in keys]
                         + [format_num(rec["ks_statistic"]), _int(rec["ks_df"]),
                            format_p(rec["ks_p"], SPSS_LOWER_BOUND if rec["ks_lower_bound"]
                                     else None),
                            format_num(rec["sw_statistic"]), _int(rec["sw_df"]),
                            format_p(rec["sw_p"]), decision, reasons])
        label = (variable_labels or {}).get(key[0], key[0])
        panels.append(f"{label}" + (f" ({key[0]})" if label != key[0] else "")
                      + (f"; sample {levels['sample']}" if "sample" in levels else ""))
    notes = ["*. This is a lower bound of the true significance.",
             "a. Lilliefors Significance Correction",
             "Decision: not normal when either test has p < alpha"
             + (f" (alpha = {format_num(alpha, None)})" if alpha is not None else "")
             + "; a metric outcome declared 'auto' is compared with Welch's t-test only when it "
             "is normal in both groups, otherwise with the Mann-Whitney test. " + P_NOTE,
             "Source: normality.csv (tests ks_lilliefors and shapiro_wilk)."]
    return _finish("normality", "Tests of Normality", raw_rows, raw_cols, disp_rows, disp_cols,
                   notes=notes, panels=panels, header_groups=groups,
                   synthetic=_synthetic(norm), section="Normality", drop_empty=["Note"])


def _key_text(v: Any) -> str:
    """A breakdown value as text: missing -> "", 2015.0 -> "2015"."""
    if _missing(v) or v == "":
        return ""
    text = str(v)
    if re.fullmatch(r"-?\d+\.0+", text):
        return text.split(".")[0]
    return text


def _nv(r: pd.Series | None, col: str) -> float:
    if r is None or _missing(r[col]):
        return math.nan
    return float(r[col])


def test_choice_table(results: pd.DataFrame) -> Table:
    """The test each metric comparison used and why (the choices the normality tests imply).

    One row per comparison whose test is registered for metric outcomes (``"metric"`` in its
    registry entry's ``outcomes``: mann_whitney, welch_t, ...) or is ``auto`` (a comparison
    that never reached the choice, e.g. variable missing): spec, scope/year, stratum, test and
    ``test_reason``.
    """
    raw_cols = [*CONTEXT_OUT, "test", "test_reason", "status", "reason"]
    disp_cols = ["Year", "Test used", "Why"]
    raw_rows, disp_rows, panels = [], [], []
    # the design-based counterparts are not choices: they run beside the chosen test
    metric = [name for name, e in registry.REGISTRY.items()
              if "metric" in e.outcomes and e.family != "survey"]
    for ctx, rows in _comparisons(results, [*metric, "auto"]):
        t = _test_row(rows)
        ok = t is not None and t["status"] == "ok"
        raw_rows.append(_ctx_out(ctx) | {"test": ctx["test"], "test_reason": ctx["test_reason"],
                                         "status": "ok" if ok else "not estimable",
                                         "reason": "" if ok or t is None else t["reason"]})
        disp_rows.append([_row_when(ctx), ctx["test"], ctx["test_reason"]
                          + ("" if ok else f" (not estimable: {raw_rows[-1]['reason']})")])
        panels.append(f"{ctx['hypothesis']} {_spec_label(ctx)}")
    notes = ["The study found every metric variable non-normal and used the Mann-Whitney test; "
             "specs declared 'auto' choose per comparison from the K-S (Lilliefors) and "
             "Shapiro-Wilk tests in both groups at alpha.",
             _source(f"test in ({', '.join(metric)}); columns test, test_reason")]
    return _finish("test_choices", "Test choices for metric outcomes", raw_rows, raw_cols,
                   disp_rows, disp_cols, notes=notes, panels=panels,
                   synthetic=_synthetic(results), section="Normality")


# =========================================================================== Table 2
def verdict_table(verdicts: pd.DataFrame, *, default_rule: str | None = None) -> Table:
    """"Table 2": the study's verdict beside this run's under every declared rule.

    One row per (sample, hypothesis); per rule the verdict, agree/differ and supported /
    estimable / total units. Rule order as in verdicts.csv (the config's order); the default
    rule (first unless given) also contributes the one-line evidence summary.
    """
    v = verdicts
    rules = list(dict.fromkeys(v["rule"].tolist()))
    default_rule = default_rule or (rules[0] if rules else "")
    raw_cols = ["sample", "hypothesis", "label", "secondary", "study_verdict"]
    for r in rules:
        raw_cols += [f"verdict_{r}", f"agree_{r}", f"units_supported_{r}",
                     f"units_estimable_{r}", f"units_total_{r}"]
    raw_cols += ["direction_observed", "summary"]
    disp_cols = ["Hypothesis", "Study (Table 2)", *[f"Rule: {r}" for r in rules],
                 "Direction observed", f"Evidence ({default_rule} rule)"]
    raw_rows, disp_rows = [], []
    keys = list(dict.fromkeys(zip(v["sample"], v["hypothesis"], strict=True)))
    for sample, hyp in keys:
        sub = v[(v["sample"] == sample) & (v["hypothesis"] == hyp)]
        first = sub.iloc[0]
        rec: dict[str, Any] = {"sample": sample, "hypothesis": hyp, "label": first["label"],
                               "secondary": bool(first["secondary"]),
                               "study_verdict": first["study_verdict"]}
        secondary = first["secondary"] and "secondary" not in first["label"]
        cells = [f"{hyp} {first['label']}" + (" (secondary)" if secondary else ""),
                 first["study_verdict"]]
        summary, direction = "", first["direction_observed"]
        for r in rules:
            row = sub[sub["rule"] == r]
            if row.empty:
                rec |= {f"verdict_{r}": "", f"agree_{r}": "", f"units_supported_{r}": math.nan,
                        f"units_estimable_{r}": math.nan, f"units_total_{r}": math.nan}
                cells.append("")
                continue
            x = row.iloc[0]
            rec |= {f"verdict_{r}": x["verdict"], f"agree_{r}": x["agree"],
                    f"units_supported_{r}": x["units_supported"],
                    f"units_estimable_{r}": x["units_estimable"],
                    f"units_total_{r}": x["units_total"]}
            cells.append(f"{x['verdict']} ({x['agree']}; {_int(x['units_supported'])}/"
                         f"{_int(x['units_estimable'])}/{_int(x['units_total'])})")
            if r == default_rule:
                summary = x["summary"]
        rec |= {"direction_observed": direction, "summary": summary}
        raw_rows.append(rec)
        disp_rows.append(cells + [direction, summary])
    descr = list(dict.fromkeys(zip(v["rule"], v["rule_description"], strict=True)))
    notes = ["Each rule cell: this run's verdict (agree / differ with the study's Table 2; n/a "
             "when the study reports no verdict or nothing was estimable; units supported / "
             "estimable / total, a unit being one primary test spec x stratum).",
             *[f"Rule {r}{' (default)' if r == default_rule else ''}: {d}." for r, d in descr],
             "Source: verdicts.csv."]
    raw = pd.DataFrame(raw_rows, columns=raw_cols)
    for r in rules:
        for c in ("units_supported", "units_estimable", "units_total"):
            raw[f"{c}_{r}"] = raw[f"{c}_{r}"].astype("Int64")
    return Table(stem="table2_verdicts",
                 title="Table 2. Hypotheses: the study's verdict and this replication's",
                 raw=raw, display=pd.DataFrame(disp_rows, columns=disp_cols), notes=notes,
                 synthetic=False, section="Verdicts")


# =========================================================================== Table 1
_SKIP_VARS = {"_row", "panel", "firm_id", "country", "year", "founded", "sector",
              "first_export_year", "synthetic", "size_basis_employees", "size_group", "sme",
              "doi_band"}
_DERIVED_LABELS = {"internationalized": ("Internationalized (export share > 0)", ""),
                   "firm_age": ("Firm age", "years"), "size_group": ("Size group", ""),
                   "doi_band": ("Degree of internationalization (band)", "")}


def _codebook_vars(codebook: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict((codebook or {}).get("variables") or {})


def variable_label(name: str, codebook: Mapping[str, Any] | None = None,
                   with_unit: bool = False) -> str:
    """Codebook label of a variable (derived variables have built-in labels)."""
    spec = _codebook_vars(codebook).get(name, {})
    label, unit = _DERIVED_LABELS.get(name, (spec.get("label", name), spec.get("unit", "")))
    if "label" in spec:
        label, unit = spec["label"], spec.get("unit", "")
    if not with_unit or not unit or "(" in label or unit in label:
        return label
    return f"{label}, {unit}" if "(" in unit else f"{label} ({unit})"


def _panel_vars(panel: pd.DataFrame, codebook: Mapping[str, Any] | None,
                ) -> tuple[list[str], list[str]]:
    cb = _codebook_vars(codebook)
    metric, binary = [], []
    for c in panel.columns:
        if c in _SKIP_VARS or panel[c].isna().all():
            continue
        kind = cb.get(c, {}).get("type")
        s = panel[c]
        if kind == "boolean" or pd.api.types.is_bool_dtype(s):
            binary.append(c)
        elif kind in ("integer", "number") or pd.api.types.is_numeric_dtype(s):
            metric.append(c)
    return metric, binary


def _groups_of(panel: pd.DataFrame) -> list[str]:
    if "size_group" not in panel:
        return []
    col = panel["size_group"]
    levels = (list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype)
              else sorted(col.dropna().astype(str).unique()))
    return [str(x) for x in levels]


def sample_table(panel: pd.DataFrame) -> Table:
    """Table 1a: firms and firm-years by country and size group, firm-years by year.

    A firm is counted once, in its size group of its first observed year (with
    ``size_status = each_year`` a firm may change group; its firm-years are counted where they
    fall).
    """
    groups = _groups_of(panel)
    years = sorted(int(y) for y in panel["year"].dropna().unique())
    first = panel.sort_values(["firm_id", "year"], kind="stable").drop_duplicates("firm_id")
    countries = sorted(panel["country"].dropna().astype(str).unique())
    raw_cols = ["country", *[f"firms_{g}" for g in groups], "firms",
                *[f"firm_years_{g}" for g in groups], "firm_years",
                *[f"firm_years_{y}" for y in years]]
    raw_rows, disp_rows = [], []
    for country in [*countries, "Total"]:
        sel = panel if country == "Total" else panel[panel["country"].astype(str) == country]
        fsel = first if country == "Total" else first[first["country"].astype(str) == country]
        rec: dict[str, Any] = {"country": country}
        for g in groups:
            rec[f"firms_{g}"] = int((fsel["size_group"].astype(str) == g).sum())
        rec["firms"] = int(len(fsel))
        for g in groups:
            rec[f"firm_years_{g}"] = int((sel["size_group"].astype(str) == g).sum())
        rec["firm_years"] = int(len(sel))
        for y in years:
            rec[f"firm_years_{y}"] = int((sel["year"] == y).sum())
        raw_rows.append(rec)
        disp_rows.append([country] + [str(rec[c]) for c in raw_cols[1:]])
    disp_cols = ["Country", *groups, "All", *[f"{g} " for g in groups], "All ",
                 *[str(y) for y in years]]
    hg = [("", 1), ("Firms", len(groups) + 1), ("Firm-years", len(groups) + 1),
          ("Firm-years by year", len(years))]
    notes = ["Firms are counted in their size group of their first observed year; firm-years "
             "in the group of that year's row.", "Source: the analysed panel (after "
             "validation and exclusions)."]
    return Table(stem="table1_sample", title="Table 1a. Sample: firms and firm-years",
                 raw=pd.DataFrame(raw_rows, columns=raw_cols),
                 display=pd.DataFrame(disp_rows, columns=disp_cols), notes=notes,
                 header_groups=hg, synthetic=_synthetic(panel), section="Sample")


def descriptives_table(panel: pd.DataFrame, codebook: Mapping[str, Any] | None = None) -> Table:
    """Table 1b: median [Q1, Q3] of metric variables and shares of binary ones, by size group.

    Over all firm-years. Quartiles: SPSS's HAVERAGE definition (weighted average at (n + 1) p).
    The raw CSV is long (variable x group: n, median, q1, q3 or n_yes, share).
    """
    metric, binary = _panel_vars(panel, codebook)
    groups = _groups_of(panel)
    raw_cols = ["variable", "label", "unit", "kind", "group", "n", "median", "q1", "q3",
                "n_yes", "share"]
    cols = [*groups, "All"]
    raw_rows, disp_rows = [], []
    for var in [*metric, *binary]:
        spec = _codebook_vars(codebook).get(var, {})
        unit = spec.get("unit", _DERIVED_LABELS.get(var, ("", ""))[1])
        cells = [variable_label(var, codebook, with_unit=var in metric)]
        for g in cols:
            sel = panel if g == "All" else panel[panel["size_group"].astype(str) == g]
            s = sel[var].dropna()
            rec: dict[str, Any] = {"variable": var, "label": variable_label(var, codebook),
                                   "unit": unit, "kind": "metric" if var in metric else "binary",
                                   "group": g, "n": int(len(s)), "median": math.nan,
                                   "q1": math.nan, "q3": math.nan, "n_yes": pd.NA,
                                   "share": math.nan}
            if var in metric:
                x = s.to_numpy(dtype=float)
                if x.size:
                    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75], method="weibull")
                    rec |= {"median": float(med), "q1": float(q1), "q3": float(q3)}
                cells.append(f"{format_num(rec['median'], 1)} [{format_num(rec['q1'], 1)}, "
                             f"{format_num(rec['q3'], 1)}] (n = {len(s)})" if x.size else "–")
            else:
                yes = int(s.astype(bool).sum())
                rec |= {"n_yes": yes, "share": yes / len(s) if len(s) else math.nan}
                cells.append(f"{_pct(100 * rec['share'])} ({yes}/{len(s)})" if len(s) else "–")
            raw_rows.append(rec)
        disp_rows.append(cells)
    raw = pd.DataFrame(raw_rows, columns=raw_cols)
    raw["n_yes"] = raw["n_yes"].astype("Int64")
    notes = ["Metric variables: median [Q1, Q3] (n firm-years); binary variables: share yes "
             "(yes / valid firm-years). Over all years of the panel. Quartiles by SPSS's "
             "HAVERAGE definition.", "Source: the analysed panel; labels and units from "
             "data/codebook.yaml."]
    return Table(stem="table1_descriptives",
                 title="Table 1b. Descriptive statistics by size group",
                 raw=raw, display=pd.DataFrame(disp_rows, columns=["Variable", *cols]),
                 notes=notes, synthetic=_synthetic(panel), section="Sample")


# =========================================================================== across samples
def cross_sample_table(results_by_sample: Mapping[str, pd.DataFrame], *,
                       alpha: float = 0.05) -> Table:
    """One row per sample (country) x spec x stratum: the pooled comparison and the years.

    Columns: pooled test, effect (name, value, 95% CI), p, observed and expected direction,
    and how many estimable years were significant in the expected direction.
    """
    raw_cols = ["sample", "hypothesis", "spec_id", "stratum_var", "stratum", "verdict_role",
                "pooled_test", "effect_statistic", "effect", "effect_ci_low", "effect_ci_high",
                "p", "observed_direction", "expected_direction", "years_significant_expected",
                "years_estimable", "status", "reason"]
    disp_cols = ["Sample", "Stratum", "Pooled test", "Effect [95% CI]", "p",
                 "Direction (observed / expected)", "Years sig. in expected direction"]
    raw_rows, disp_rows, panels = [], [], []
    frames = {k: _normalize_results(v) for k, v in results_by_sample.items()}
    allres = pd.concat(list(frames.values()), ignore_index=True) if frames else pd.DataFrame()
    if len(allres):
        order = _comparisons(allres)
        units: dict[tuple[str, str, str], list[tuple[dict[str, Any], pd.DataFrame]]] = {}
        for ctx, rows in order:
            units.setdefault((ctx["spec_id"], ctx["stratum"], ctx["sample"]), []).append(
                (ctx, rows))
        samples = list(frames)
        spec_keys = list(dict.fromkeys((k[0], k[1]) for k in units))
        for spec, stratum in spec_keys:
            for sample in samples:
                comps = units.get((spec, stratum, sample))
                if not comps:
                    continue
                years = [(c, r) for c, r in comps if c["scope"] == "year"]
                pooled = [(c, r) for c, r in comps if c["scope"] == "pooled"]
                est = [(c, _test_row(r)) for c, r in years]
                est = [(c, t) for c, t in est if t is not None and t["status"] == "ok"]
                sig = [c for c, t in est if float(t["p"]) < alpha and (
                    c["expected_direction"] == "any"
                    or c["observed_direction"] == c["expected_direction"])]
                ctx0 = comps[0][0]
                rec: dict[str, Any] = {
                    "sample": sample, "hypothesis": ctx0["hypothesis"], "spec_id": spec,
                    "stratum_var": ctx0["stratum_var"], "stratum": stratum,
                    "verdict_role": ctx0["verdict_role"], "pooled_test": "",
                    "effect_statistic": "", "effect": math.nan, "effect_ci_low": math.nan,
                    "effect_ci_high": math.nan, "p": math.nan, "observed_direction": "",
                    "expected_direction": ctx0["expected_direction"],
                    "years_significant_expected": len(sig), "years_estimable": len(est),
                    "status": "not estimable", "reason": "no pooled comparison"}
                if pooled:
                    c, rows = pooled[0]
                    t = _test_row(rows)
                    e = _role_row(rows, "effect")
                    ok = t is not None and t["status"] == "ok"
                    rec |= {"pooled_test": c["test"],
                            "effect_statistic": "" if e is None else e["statistic"],
                            "effect": _val(e), "effect_ci_low": _val(e, "ci_low"),
                            "effect_ci_high": _val(e, "ci_high"), "p": _val(t, "p"),
                            "observed_direction": c["observed_direction"],
                            "status": "ok" if ok else "not estimable",
                            "reason": "" if ok else (t["reason"] if t is not None else "")}
                raw_rows.append(rec)
                eff = ""
                if not _missing(rec["effect"]):
                    eff = (f"{_stat_label(rec['pooled_test'], rec['effect_statistic'])}"
                           f" = {format_num(rec['effect'])}")
                    if not _missing(rec["effect_ci_low"]):
                        eff += (f" [{format_num(rec['effect_ci_low'])}, "
                                f"{format_num(rec['effect_ci_high'])}]")
                elif rec["status"] != "ok":
                    eff = f"not estimable: {rec['reason']}"
                disp_rows.append([sample, f"{ctx0['stratum_var']} = {stratum}"
                                  if stratum else "", rec["pooled_test"], eff,
                                  format_p(rec["p"]),
                                  f"{rec['observed_direction'] or '–'} / "
                                  f"{rec['expected_direction']}",
                                  f"{len(sig)} of {len(est)}"])
                panels.append(f"{ctx0['hypothesis']} {spec}")
    pooled_tests = _entries_used(r["pooled_test"] for r in raw_rows if r["status"] == "ok")
    effects = "; ".join(f"{e.label}: {_effect_names(e)}" for e in pooled_tests)
    notes = ["Pooled comparison over all years per sample (column Pooled test): a firm-clustered "
             "logit with year dummies for binary outcomes, the comparison's test on firm means "
             "for metric ones" + (f". Effects: {effects}" if effects else "") + ". Years: "
             f"estimable years significant (p < {format_num(alpha, None)}) in the expected "
             "direction. " + P_NOTE,
             "Source: results.csv of each sample, rows role = test and role = effect."]
    syn = any(_synthetic(v) for v in frames.values())
    return _finish("cross_sample", "Comparison across samples (countries)", raw_rows, raw_cols,
                   disp_rows, disp_cols, notes=notes, panels=panels, synthetic=syn,
                   section="Across samples")



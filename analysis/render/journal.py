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
    disp_cols = ["Year", "Test", "n (group 1 / 2)", "Statistic", "df", "p",
                 "p (Holm)", "p (BH)", "Effect [95% CI]", "Direction (observed / expected)",
                 "Status"]
    raw_rows, disp_rows, panels = [], [], []
    # why each test was used: once under its panel, not repeated on every row
    panel_notes: dict[str, list[str]] = {}
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
            _row_when(ctx), ctx["test"],
            f"{_int(ctx['n_group1'])} / {_int(ctx['n_group2'])}", stat,
            format_num(_val(t, "df"), 0) if not _missing(_val(t, "df")) and float(
                _val(t, "df")).is_integer() else format_num(_val(t, "df"), 2),
            format_p(p, alpha=alpha), format_p(_val(t, "p_holm"), alpha=alpha),
            format_p(_val(t, "p_bh"), alpha=alpha), eff, direction, status])
        panel = f"{_spec_label(ctx)} [{ctx['verdict_role']}]"
        panels.append(panel)
        why = f"{ctx['test']}: {ctx['test_reason']}" if ctx["test_reason"] else ""
        if why and why not in panel_notes.setdefault(panel, []):
            panel_notes[panel].append(why)
    notes = [
        "One row per comparison (test spec x stratum x year, and the pooled scope). Statistic: "
        "the row whose p decides significance (the note under each block says why its test "
        "was used, and when a row other than the test's usual one decides); effect: the "
        "test's effect size; direction: the sign of the test's direction statistic, group 1 "
        "minus group 2. "
        + _tests_note(_entries_used(res["test"])),
        "p (Holm): Holm-adjusted within the hypothesis and scope; p (BH): Benjamini-Hochberg-"
        "adjusted across all tests of the sample and scope. " + P_NOTE,
        _source("rows with role = test and role = effect"),
    ]
    return _finish(f"{hypothesis}_summary",
                   _title(hypothesis, "Summary of comparisons", labels), raw_rows, raw_cols,
                   disp_rows, disp_cols, notes=notes, panels=panels, panel_notes=panel_notes,
                   synthetic=_synthetic(res), section=_section(hypothesis, labels))


#: Sign of an observed direction, as the overview prints it.
_SIGN = {"positive": "+", "negative": "−"}


def overview_table(results: pd.DataFrame, hypothesis: str, *, alpha: float = 0.05,
                   labels: Mapping[str, str] | None = None,
                   variable_labels: Mapping[str, str] | None = None) -> Table:
    """One hypothesis at a glance: one row per test spec x stratum, p by year and pooled.

    Columns: the comparison (outcome by group, stratum), its test, p in each year and pooled
    (``*`` below alpha), the sign of the observed direction in each year beside the expected
    one, and the pooled effect with its 95% CI. The full statistics of every comparison are in
    ``{H}_summary``. Not-estimable comparisons print "n.e.".
    """
    res = results[results["hypothesis"] == hypothesis]
    vl = dict(variable_labels or {})
    years = sorted({int(y) for y in res["year"].dropna().tolist()}) if len(res) else []
    units: dict[tuple[str, str], dict[str, Any]] = {}
    for ctx, rows in _comparisons(res):
        key = (str(ctx["spec_id"]), str(ctx.get("stratum") or ""))
        u = units.setdefault(key, {"ctx": ctx, "p": {}, "dir": {}, "effect": "",
                                   "raw": {}, "tests": []})
        t = _test_row(rows)
        ok = t is not None and t["status"] == "ok"
        when = "pooled" if ctx["scope"] == "pooled" else int(ctx["year"])
        p = _val(t, "p") if ok else math.nan
        u["p"][when] = (format_p(p, alpha=alpha) + (" *" if p < alpha else "")) if ok \
            else "n.e."
        u["raw"][f"p_{when}"] = p
        if str(ctx["test"]) not in u["tests"]:
            u["tests"].append(str(ctx["test"]))
        if when != "pooled":
            u["dir"][when] = _SIGN.get(str(ctx["observed_direction"]), "0") if ok else "·"
            continue
        e = _role_row(rows, "effect")
        if e is not None and e["status"] == "ok":
            u["effect"] = f"{_stat_label(ctx['test'], e['statistic'])} {format_num(e['value'], 2)}"
            if not _missing(e["ci_low"]) and not _missing(e["ci_high"]):
                u["effect"] += f" [{format_num(e['ci_low'], 2)}, {format_num(e['ci_high'], 2)}]"
            u["raw"] |= {"effect_statistic": e["statistic"], "effect": _val(e),
                         "effect_ci_low": _val(e, "ci_low"), "effect_ci_high": _val(e, "ci_high")}
        elif e is not None:
            u["effect"] = "n.e."
    raw_rows, disp_rows = [], []
    for (spec, stratum), u in units.items():
        ctx = u["ctx"]
        what = (f"{vl.get(str(ctx['outcome']), ctx['outcome'])} by "
                f"{vl.get(str(ctx['group_var']), ctx['group_var'])} ({ctx['group1']} vs "
                f"{ctx['group2']})")
        if stratum:
            what += f"; {vl.get(str(ctx['stratum_var']), ctx['stratum_var'])} = {stratum}"
        if ctx.get("verdict_role") and ctx["verdict_role"] != "primary":
            what += f" ({ctx['verdict_role']})"
        expected = _SIGN.get(str(ctx["expected_direction"]), "any")
        raw_rows.append({"hypothesis": hypothesis, "spec_id": spec, "stratum_var":
                         ctx.get("stratum_var", ""), "stratum": stratum,
                         "verdict_role": ctx.get("verdict_role", ""),
                         "test": "; ".join(u["tests"]),
                         "expected_direction": ctx["expected_direction"],
                         **{f"p_{y}": u["raw"].get(f"p_{y}", math.nan) for y in years},
                         "p_pooled": u["raw"].get("p_pooled", math.nan),
                         "effect_statistic": u["raw"].get("effect_statistic", ""),
                         "effect": u["raw"].get("effect", math.nan),
                         "effect_ci_low": u["raw"].get("effect_ci_low", math.nan),
                         "effect_ci_high": u["raw"].get("effect_ci_high", math.nan)})
        disp_rows.append([what, " / ".join(u["tests"]),
                          *[u["p"].get(y, "–") for y in years], u["p"].get("pooled", "–"),
                          " ".join(u["dir"].get(y, "·") for y in years) + f" ({expected})",
                          u["effect"] or "–"])
    disp_cols = ["Comparison", "Test", *[f"p {y}" for y in years], "p pooled",
                 "Direction by year (expected)", "Pooled effect [95% CI]"]
    raw_cols = ["hypothesis", "spec_id", "stratum_var", "stratum", "verdict_role", "test",
                "expected_direction", *[f"p_{y}" for y in years], "p_pooled",
                "effect_statistic", "effect", "effect_ci_low", "effect_ci_high"]
    notes = [f"* p < {format_num(alpha, None)}. Direction: sign of group 1 minus group 2 in "
             "each year (+ / −; 0 none; · not estimable), the expected sign in brackets. "
             "n.e.: not estimable. Every statistic of every comparison is in the summary of "
             "comparisons. " + P_NOTE]
    return Table(stem=f"{hypothesis}_overview",
                 title=_title(hypothesis, "Overview: p by year and pooled", labels),
                 raw=pd.DataFrame(raw_rows, columns=raw_cols),
                 display=pd.DataFrame(disp_rows, columns=disp_cols), notes=notes,
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
#: Columns of the optional "how much to believe each verdict" summary
#: (``results/believe/summary.csv``: one row per hypothesis, optionally per ``sample``; values
#: are proportions 0-1) that Table 2 prints, with their headers, in this order. Any other
#: numeric column of that file is printed under its own name after these.
BELIEVE_COLUMNS: dict[str, str] = {
    "power": "Power",
    "false_support_rate": "False support under no effect",
    "spec_curve_support": "Spec-curve support",
    "p_reproduce_study": "P(study's verdict)",
}
#: Marks of a rule cell: the verdict agrees with the study's Table 2, differs, or there is
#: nothing to compare (the study reports no verdict, or nothing was estimable).
AGREE_MARK: dict[str, str] = {"agree": "✓", "differ": "✗", "n/a": ""}


def _believe_rows(believe: pd.DataFrame | None, sample: str, hyp: str,
                  ) -> dict[str, Any]:
    if believe is None or not len(believe):
        return {}
    sel = believe[believe["hypothesis"].astype(str) == hyp]
    if "sample" in sel:
        sel = sel[sel["sample"].astype(str) == sample]
    if sel.empty:
        return {}
    return {c: sel.iloc[0][c] for c in _believe_cols(believe)}


def _believe_cols(believe: pd.DataFrame | None) -> list[str]:
    if believe is None:
        return []
    known = [c for c in BELIEVE_COLUMNS if c in believe.columns]
    other = [c for c in believe.columns if c not in BELIEVE_COLUMNS
             and c not in ("sample", "hypothesis", "synthetic")
             and pd.api.types.is_numeric_dtype(believe[c])]
    return known + other


def verdict_table(verdicts: pd.DataFrame, *, default_rule: str | None = None,
                  believe: pd.DataFrame | None = None) -> Table:
    """"Table 2": the study's verdict beside this run's under every declared rule.

    One row per (sample, hypothesis); per rule the verdict, marked ✓ where it agrees with the
    study's Table 2 and ✗ where it differs (the raw CSV also has supported / estimable / total
    units and the default rule's one-line evidence summary). Rule order as in verdicts.csv
    (the config's order); the default rule (first unless given) comes first.

    ``believe`` (optional) is the "how much to believe each verdict" summary
    (:data:`BELIEVE_COLUMNS`): its columns are appended as percentages when given.
    """
    v = verdicts
    rules = list(dict.fromkeys(v["rule"].tolist()))
    default_rule = default_rule or (rules[0] if rules else "")
    rules = [r for r in rules if r == default_rule] + [r for r in rules if r != default_rule]
    bcols = _believe_cols(believe)
    raw_cols = ["sample", "hypothesis", "label", "secondary", "study_verdict"]
    for r in rules:
        raw_cols += [f"verdict_{r}", f"agree_{r}", f"units_supported_{r}",
                     f"units_estimable_{r}", f"units_total_{r}"]
    raw_cols += ["direction_observed", "summary", *bcols]
    disp_cols = ["Hypothesis", "Study (Table 2)",
                 *[f"{r} (default rule)" if r == default_rule else r for r in rules],
                 "Direction observed", *[BELIEVE_COLUMNS.get(c, c) for c in bcols]]
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
            mark = AGREE_MARK.get(str(x["agree"]), "")
            cells.append(f"{x['verdict']} {mark}".strip())
            if r == default_rule:
                summary = x["summary"]
        b = _believe_rows(believe, sample, hyp)
        rec |= {"direction_observed": direction, "summary": summary}
        rec |= {c: b.get(c, math.nan) for c in bcols}
        raw_rows.append(rec)
        disp_rows.append(cells + [direction or "–"]
                         + [_pct(100 * float(b[c]), 0) if c in b and not _missing(b[c])
                            else "–" for c in bcols])
    descr = list(dict.fromkeys(zip(v["rule"], v["rule_description"], strict=True)))
    descr.sort(key=lambda d: d[0] != default_rule)
    notes = ["✓ this run's verdict agrees with the study's Table 2; ✗ it differs; no mark: the "
             "study reports no verdict or nothing was estimable. The units behind each verdict "
             "(primary test spec x stratum: supported / estimable / total) and the default "
             "rule's evidence are in the CSV and under each hypothesis.",
             *[f"Rule {r}{' (default)' if r == default_rule else ''}: {d}." for r, d in descr]]
    if bcols:
        notes.append("How much to believe each verdict (simulation; the published summary, "
                     "config believe_results): " + "; ".join(BELIEVE_COLUMNS.get(c, c)
                                                               for c in bcols) + ".")
    notes.append("Source: verdicts.csv.")
    raw = pd.DataFrame(raw_rows, columns=raw_cols)
    for r in rules:
        for c in ("units_supported", "units_estimable", "units_total"):
            raw[f"{c}_{r}"] = raw[f"{c}_{r}"].astype("Int64")
    return Table(stem="table2_verdicts",
                 title="Table 2. Hypotheses: the study's verdict and this replication's",
                 raw=raw, display=pd.DataFrame(disp_rows, columns=disp_cols), notes=notes,
                 synthetic=False, section="Verdicts", journal=True)


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
                 header_groups=hg, synthetic=_synthetic(panel), section="Sample",
                 journal=True)


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


def table1(panel: pd.DataFrame, codebook: Mapping[str, Any] | None = None) -> Table:
    """Table 1 in the layout of gtsummary's ``tbl_summary`` / tableone: firms by size group.

    One firm per row of the analysed panel, in its first observed year (baseline). Columns:
    one per size group and Overall, each headed with its N of firms; metric characteristics as
    median (Q1, Q3), binary ones as "n (%)"; with two groups the standardized mean difference
    (group 1 minus group 2, :func:`analysis.stats.balance.standardized_difference`) and a
    p-value (:func:`analysis.stats.balance.balance_p`: Mann-Whitney for metric, Pearson
    chi-square or Fisher's exact test for binary). Characteristics with missing values get an
    "Unknown" row. The raw CSV is long (characteristic x group).
    """
    from analysis.stats.balance import balance_p, standardized_difference

    metric, binary = _panel_vars(panel, codebook)
    groups = _groups_of(panel)
    first = panel.sort_values(["firm_id", "year"], kind="stable").drop_duplicates("firm_id")
    by = {g: first[first["size_group"].astype(str) == g] for g in groups}
    by["Overall"] = first
    cols = [*groups, "Overall"]
    two = len(groups) == 2
    raw_cols = ["variable", "label", "kind", "group", "n", "n_missing", "median", "q1", "q3",
                "n_yes", "percent", "smd", "p", "p_test"]
    disp_cols = ["Characteristic", *[f"{g}, N = {len(by[g])}" for g in cols]]
    if two:
        disp_cols += ["SMD", "p"]
    raw_rows, disp_rows = [], []
    tests_used: set[str] = set()
    for var in [*metric, *binary]:
        is_bin = var in binary
        label = variable_label(var, codebook, with_unit=not is_bin)
        vals = {g: by[g][var] for g in cols}
        smd, bal = math.nan, {"test": "", "p": math.nan}
        if two:
            a, b = (pd.to_numeric(vals[g].astype(float), errors="coerce").to_numpy()
                    for g in groups)
            smd = standardized_difference(a, b, binary=is_bin)
            bal = balance_p(a, b, binary=is_bin)
            tests_used.add(bal["test"])
        cells, unknown = [label + (", n (%)" if is_bin else ", median (Q1, Q3)")], ["Unknown"]
        for g in cols:
            x = vals[g].dropna()
            miss = int(vals[g].isna().sum())
            rec: dict[str, Any] = {"variable": var, "label": variable_label(var, codebook),
                                   "kind": "binary" if is_bin else "metric", "group": g,
                                   "n": int(len(x)), "n_missing": miss, "median": math.nan,
                                   "q1": math.nan, "q3": math.nan, "n_yes": pd.NA,
                                   "percent": math.nan, "smd": smd, "p": bal["p"],
                                   "p_test": bal["test"]}
            if is_bin:
                yes = int(x.astype(bool).sum())
                rec |= {"n_yes": yes, "percent": 100 * yes / len(x) if len(x) else math.nan}
                cells.append(f"{yes} ({format_num(rec['percent'], 0)}%)" if len(x) else "–")
            else:
                arr = x.to_numpy(dtype=float)
                if arr.size:
                    q1, med, q3 = np.quantile(arr, [0.25, 0.5, 0.75], method="weibull")
                    rec |= {"median": float(med), "q1": float(q1), "q3": float(q3)}
                    cells.append(f"{format_num(med, 1)} ({format_num(q1, 1)}, "
                                 f"{format_num(q3, 1)})")
                else:
                    cells.append("–")
            unknown.append(str(miss))
            raw_rows.append(rec)
        if two:
            cells += [format_num(smd, 2), format_p(bal["p"])]
            unknown += ["", ""]
        disp_rows.append(cells)
        if any(u not in ("0", "") for u in unknown[1:]):
            disp_rows.append(unknown)
    raw = pd.DataFrame(raw_rows, columns=raw_cols)
    raw["n_yes"] = raw["n_yes"].astype("Int64")
    test_names = {"mann_whitney": "Mann-Whitney (Wilcoxon rank-sum) test",
                  "chi_square": "Pearson's chi-square test",
                  "fisher": "Fisher's exact test"}
    notes = ["Firms in their first observed year. n (%) for binary characteristics; median "
             "(Q1, Q3) for metric ones (quartiles by SPSS's HAVERAGE definition)."]
    if two:
        notes.append(f"SMD: standardized mean difference, {groups[0]} minus {groups[1]}. p: "
                     + "; ".join(test_names[t] for t in sorted(tests_used) if t in test_names)
                     + " (Fisher's exact test when an expected count is below 5). " + P_NOTE)
    notes.append("Source: the analysed panel; labels and units from data/codebook.yaml.")
    return Table(stem="table1", title="Table 1. Characteristics of the firms by size group",
                 raw=raw, display=pd.DataFrame(disp_rows, columns=disp_cols), notes=notes,
                 synthetic=_synthetic(panel), section="Sample", journal=True)


#: Characters of one evidence item the joint display prints (the full text is in the CSV).
EVIDENCE_CHARS = 140


def _short(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


def joint_display_table(display: pd.DataFrame, *, case_anchor: str = "case_matrix",
                        synthetic: bool = False, items: int = 2) -> Table:
    """The joint display as a mixed-methods matrix: hypothesis or theme | quantitative result
    | qualitative theme with short evidence | fit | meta-inference.

    ``display`` is the integration stage's joint_display.csv (every column stays in the raw
    CSV). Each row prints the condensed theme (``rationale``) and its first ``items``
    evidence statements, shortened, with a link to the cross-case matrix (``case_anchor``,
    the id of that table in the report) for the rest.
    """
    d = display.fillna("")
    rows = []
    for r in d.to_dict("records"):
        units = [u.split(";")[0].strip() for u in str(r["quantitative_result"]).split(" | ")]
        head, _, first = units[0].partition(": ") if units else ("", "", "")
        quant = head if r["row_type"] == "hypothesis" else str(r["quantitative_result"])
        if r["row_type"] == "hypothesis" and first:
            shown = [first, *units[1:items]]
            quant += ". " + "; ".join(shown) + (f"; +{len(units) - items} more"
                                               if len(units) > items else "")
        evidence = [e for e in str(r["qualitative_evidence"]).split(" | ")
                    if e and e != "no qualitative evidence mapped"]
        ev = " ".join(f"• {_short(e, EVIDENCE_CHARS)}" for e in evidence[:items])
        more = len(evidence) - items
        ev += (f" (+{more} more: [[cross-case matrix|#{case_anchor}]])" if more > 0
               else f" ([[cross-case matrix|#{case_anchor}]])" if evidence else "")
        theme = str(r["rationale"]) or ("–" if evidence else "no qualitative evidence mapped")
        rows.append([f"{r['id']} {r['label']}" if r["row_type"] == "hypothesis"
                     else str(r["label"]), quant, f"{theme} Evidence: {ev}" if ev else theme,
                     str(r["fit"]) or "n/a", str(r.get("meta_inference", ""))])
    cols = ["Hypothesis / theme", "Quantitative result", "Qualitative theme and evidence",
            "Fit", "Meta-inference"]
    notes = ["Fit (converge / diverge / complement) by the rule in config/integration.yaml; "
             "the rule condition that decided, every evidence statement with its source and "
             "the coded values are in joint_display.csv.",
             "Meta-inference: what the two arms say together, derived from the fit."]
    return Table(stem="joint_display", title="Joint display: quantitative results beside the "
                 "case evidence", raw=display, display=pd.DataFrame(rows, columns=cols),
                 notes=notes, synthetic=synthetic, section="integration")


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



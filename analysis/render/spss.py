"""SPSS-layout tables per procedure (Crosstabs, NPAR TESTS, T-TEST, LOGISTIC REGRESSION).

The tables of a test are the :class:`~analysis.stats.registry.TableSpec` s of its registry
entry: a spec names a hand-made layout in :data:`BUILDERS` or lists its columns, which
:func:`columns_table` renders (:func:`render_table_spec` dispatches). Importing this module
checks that every builder a registered test names exists (:func:`check_builders`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.columns import CONTEXT_OUT
from analysis.render.comparisons import (
    Rows,
    _comparisons,
    _ctx_out,
    _finish,
    _get,
    _not_estimable_comparison,
    _panel_label,
    _reason,
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
    _level,
    _missing,
    _pct,
    format_num,
    format_p,
)
from analysis.render.table import (
    _SUP,
    P_NOTE,
    Table,
)
from analysis.stats import registry
from analysis.stats.registry import RegistryError, TableSpec, TestEntry

# =========================================================================== crosstab
_CHI_ROWS = [
    ("pearson_chi2", "Pearson Chi-Square^{a}"),
    ("yates_chi2", "Continuity Correction^{b}"),
    ("likelihood_ratio", "Likelihood Ratio"),
    ("fisher_exact", "Fisher's Exact Test"),
    ("linear_by_linear", "Linear-by-Linear Association"),
]


#: The exact-test row of each asymptotic row (CROSSTABS /METHOD=EXACT).
_EXACT_OF = {"pearson_chi2": "pearson_chi2_exact", "likelihood_ratio": "likelihood_ratio_exact",
             "linear_by_linear": "linear_by_linear_exact"}


def _expected_footnote(rows: Rows) -> str:
    k = _get(rows, "cells_expected_lt5")
    pct = _get(rows, "pct_cells_expected_lt5")
    m = _get(rows, "min_expected")
    if k is None or m is None or k["status"] != "ok":
        return ""
    pct_text = format_num(_val(pct), 1) if pct is not None else ""
    return (f"a. {_int(k['value'])} cells ({pct_text}%) have expected count less than 5. "
            f"The minimum expected count is {format_num(m['value'], 2)}.")


def chi_square_tests_table(results: pd.DataFrame, hypothesis: str, *,
                           labels: Mapping[str, str] | None = None,
                           test: str = "crosstab") -> Table:
    """SPSS "Chi-Square Tests", one panel per crosstab comparison (per year and stratum).

    Rows: Pearson Chi-Square (no continuity correction), Continuity Correction (2x2 only),
    Likelihood Ratio, Fisher's Exact Test (Exact Sig. 2- and 1-sided), Linear-by-Linear
    Association, N of Valid Cases; columns Value, df, Asymp. Sig. (2-sided), Exact Sig.
    (2-sided), Exact Sig. (1-sided). Footnote a: cells with expected count below 5 and the
    minimum expected count (``cells_expected_lt5``, ``pct_cells_expected_lt5``,
    ``min_expected``).
    """
    res = results[results["hypothesis"] == hypothesis]
    raw_cols = [*CONTEXT_OUT, "row", "statistic", "role", "value", "df", "asymp_sig_2sided",
                "exact_sig_2sided", "exact_sig_1sided", "status", "reason"]
    disp_cols = ["", "Value", "df", "Asymp. Sig. (2-sided)", "Exact Sig. (2-sided)",
                 "Exact Sig. (1-sided)", "Note"]
    raw_rows, disp_rows, panels, pnotes = [], [], [], {}
    for ctx, rows in _comparisons(res, [test]):
        label = _panel_label(ctx)
        base = _ctx_out(ctx)
        why = _not_estimable_comparison(rows)
        if why:
            raw_rows.append(base | {"row": "Not estimable", "statistic": "", "role": "test",
                                    "value": math.nan, "df": math.nan,
                                    "asymp_sig_2sided": math.nan, "exact_sig_2sided": math.nan,
                                    "exact_sig_1sided": math.nan, "status": "not estimable",
                                    "reason": why})
            disp_rows.append(["Not estimable", "", "", "", "", "", why])
            panels.append(label)
            continue
        for stat, name in _CHI_ROWS:
            r = _get(rows, stat)
            if stat == "fisher_exact" and _get(rows, "fisher_freeman_halton") is not None:
                r = _get(rows, "fisher_freeman_halton")  # /METHOD=EXACT on r x c: its value
            if r is None:
                continue
            exact = stat == "fisher_exact"
            # /METHOD=EXACT (spec `exact: true`) adds exact p of the asymptotic tests
            two = r if exact else _get(rows, _EXACT_OF.get(stat, ""))
            one = _get(rows, "fisher_exact_one_sided" if exact
                       else _EXACT_OF.get(stat, "-") + "_one_sided")
            rec = {"row": _SUP.sub("", name), "statistic": stat, "role": r["role"],
                   "value": _val(r), "df": _val(r, "df"),
                   "asymp_sig_2sided": math.nan if exact else _val(r, "p"),
                   "exact_sig_2sided": _val(two, "p") if two is not None else math.nan,
                   "exact_sig_1sided": _val(one, "p") if one is not None else math.nan,
                   "status": r["status"], "reason": r["reason"]}
            if one is not None and one["status"] != "ok" and r["status"] == "ok":
                rec["reason"] = one["reason"]
            raw_rows.append(base | rec)
            mark = " (decides)" if r["role"] == "test" else ""
            disp_rows.append([
                name + mark, format_num(rec["value"]), _int(rec["df"]),
                format_p(rec["asymp_sig_2sided"]), format_p(rec["exact_sig_2sided"]),
                format_p(rec["exact_sig_1sided"]),
                f"not estimable: {r['reason']}" if r["status"] != "ok" else ""])
            panels.append(label)
        n_valid = _get(rows, "n_valid")
        n = _val(n_valid) if n_valid is not None else ctx["n_total"]
        raw_rows.append(base | {"row": "N of Valid Cases", "statistic": "n_valid", "role": "",
                                "value": n, "df": math.nan, "asymp_sig_2sided": math.nan,
                                "exact_sig_2sided": math.nan, "exact_sig_1sided": math.nan,
                                "status": "ok", "reason": ""})
        disp_rows.append(["N of Valid Cases", _int(n), "", "", "", "", ""])
        panels.append(label)
        notes = [x for x in (_expected_footnote(rows),) if x]
        if _get(rows, "yates_chi2") is not None:
            notes.append("b. Computed only for a 2x2 table")
        if ctx["test_reason"]:
            notes.append(f"Test used: {ctx['test_reason']}.")
        pnotes[label] = notes
    notes = [
        "Pearson chi-square without continuity correction; the continuity-corrected (Yates) "
        "row is shown for 2x2 tables only. Fisher's exact test decides significance when any "
        "expected count is below 5 (marked 'decides'). Exact Sig. (1-sided): in the direction "
        "of the observed association (2x2 only). With `exact: true` in the spec (SPSS "
        "/METHOD=EXACT) the Pearson, likelihood-ratio and linear-by-linear rows also get "
        "exact p-values, and Fisher's row of an r x c table shows the Fisher-Freeman-Halton "
        "statistic. " + P_NOTE,
        _source(f"test = {test}; statistics pearson_chi2, yates_chi2, likelihood_ratio, "
                "fisher_exact, fisher_exact_one_sided, linear_by_linear, n_valid, "
                "cells_expected_lt5, pct_cells_expected_lt5, min_expected"),
    ]
    return _finish(f"{hypothesis}_chi_square_tests",
                   _title(hypothesis, "Chi-Square Tests", labels), raw_rows, raw_cols,
                   disp_rows, disp_cols, notes=notes, panels=panels, panel_notes=pnotes,
                   synthetic=_synthetic(res), section=_section(hypothesis, labels),
                   drop_empty=["Note"])


def _cell_levels(rows: Rows, groups: Sequence[str]) -> list[str]:
    levels: list[str] = []
    for term in rows.terms("observed"):
        for g in groups:
            if term.startswith(f"{g}|"):
                lv = term[len(g) + 1:]
                if lv not in levels:
                    levels.append(lv)
    return levels


def crosstab_counts_table(results: pd.DataFrame, hypothesis: str, *,
                          labels: Mapping[str, str] | None = None,
                          test: str = "crosstab") -> Table:
    """SPSS "group * outcome Crosstabulation": Count, Expected Count and % within group.

    One panel per crosstab comparison; rows group x (Count, Expected Count, % within group),
    columns the outcome levels and Total. Reads ``observed``, ``expected`` (term
    ``"group|level"``), ``row_total``, ``col_total`` and ``n_valid``. The raw CSV is long:
    one row per group x outcome level (observed, expected, row percent).
    """
    res = results[results["hypothesis"] == hypothesis]
    comps = _comparisons(res, [test])
    all_levels: list[str] = []
    for ctx, rows in comps:
        for lv in _cell_levels(rows, [ctx["group1"], ctx["group2"]]):
            if lv not in all_levels:
                all_levels.append(lv)
    raw_cols = [*CONTEXT_OUT, "group", "outcome_level", "observed", "expected",
                "pct_within_group", "status", "reason"]
    disp_cols = ["Group", "", *[_level(lv) for lv in all_levels], "Total"]
    raw_rows, disp_rows, panels = [], [], []
    for ctx, rows in comps:
        label = _panel_label(ctx)
        base = _ctx_out(ctx)
        groups = [ctx["group1"], ctx["group2"]]
        levels = _cell_levels(rows, groups)
        if not levels:
            why = _not_estimable_comparison(rows) or "no counts"
            raw_rows.append(base | {"group": "", "outcome_level": "", "observed": math.nan,
                                    "expected": math.nan, "pct_within_group": math.nan,
                                    "status": "not estimable", "reason": why})
            disp_rows.append(["Not estimable", why] + [""] * (len(all_levels) + 1))
            panels.append(label)
            continue
        col_tot = {lv: _val(_get(rows, "col_total", lv)) for lv in levels}
        for g in groups:
            obs = {lv: _val(_get(rows, "observed", f"{g}|{lv}")) for lv in levels}
            exp_row = {lv: _get(rows, "expected", f"{g}|{lv}") for lv in levels}
            exp = {lv: _val(r) for lv, r in exp_row.items()}
            tot_r = _get(rows, "row_total", g)
            tot = _val(tot_r) if tot_r is not None else float(np.nansum(list(obs.values())))
            for lv in levels:
                pct = 100.0 * obs[lv] / tot if tot and not _missing(obs[lv]) else math.nan
                er = exp_row[lv]
                raw_rows.append(base | {
                    "group": g, "outcome_level": lv, "observed": obs[lv], "expected": exp[lv],
                    "pct_within_group": pct,
                    "status": "ok" if er is None or er["status"] == "ok" else er["status"],
                    "reason": "" if er is None else er["reason"]})
            exp_tot = float(np.nansum(list(exp.values()))) if any(
                not _missing(v) for v in exp.values()) else math.nan
            cells = {lv: ("", format_num(obs[lv], 0), format_num(exp[lv], 1),
                          _pct(100.0 * obs[lv] / tot if tot else math.nan)) for lv in levels}
            for k, what in ((1, "Count"), (2, "Expected Count"),
                            (3, f"% within {ctx['group_var']}")):
                total = {1: _int(tot), 2: format_num(exp_tot, 1),
                         3: _pct(100.0 if tot else math.nan)}[k]
                disp_rows.append([g if k == 1 else "", what]
                                 + [cells[lv][k] if lv in cells else "" for lv in all_levels]
                                 + [total])
                panels.append(label)
        n = _val(_get(rows, "n_valid"))
        disp_rows.append(["Total", "Count"] + [_int(col_tot.get(lv, math.nan)) if lv in levels
                                               else "" for lv in all_levels] + [_int(n)])
        panels.append(label)
    notes = [
        "Count: observed frequency; Expected Count: row total x column total / N; "
        "% within group: count / row total (of the printed counts).",
        _source(f"test = {test}; statistics observed, expected, row_total, col_total, "
                "n_valid"),
    ]
    return _finish(f"{hypothesis}_crosstab_counts",
                   _title(hypothesis, "Crosstabulation (observed and expected counts)", labels),
                   raw_rows, raw_cols, disp_rows, disp_cols, notes=notes, panels=panels,
                   synthetic=_synthetic(res), section=_section(hypothesis, labels))


def symmetric_measures_table(results: pd.DataFrame, hypothesis: str, *,
                             labels: Mapping[str, str] | None = None,
                             test: str = "crosstab") -> Table:
    """SPSS "Symmetric Measures": Phi and Cramér's V (Value, Approx. Sig.), N of Valid Cases."""
    res = results[results["hypothesis"] == hypothesis]
    raw_cols = [*CONTEXT_OUT, "row", "statistic", "value", "approx_sig", "status", "reason"]
    disp_cols = ["", "Value", "Approx. Sig.", "Note"]
    raw_rows, disp_rows, panels = [], [], []
    for ctx, rows in _comparisons(res, [test]):
        label = _panel_label(ctx)
        base = _ctx_out(ctx)
        why = _not_estimable_comparison(rows)
        if why:
            raw_rows.append(base | {"row": "Not estimable", "statistic": "", "value": math.nan,
                                    "approx_sig": math.nan, "status": "not estimable",
                                    "reason": why})
            disp_rows.append(["Not estimable", "", "", why])
            panels.append(label)
            continue
        for stat, name in (("phi", "Nominal by Nominal: Phi"), ("cramers_v", "Cramér's V")):
            r = _get(rows, stat)
            if r is None:
                continue
            raw_rows.append(base | {"row": name, "statistic": stat, "value": _val(r),
                                    "approx_sig": _val(r, "p"), "status": r["status"],
                                    "reason": r["reason"]})
            disp_rows.append([name, format_num(_val(r)), format_p(_val(r, "p")),
                              f"not estimable: {r['reason']}" if r["status"] != "ok" else ""])
            panels.append(label)
        n = _val(_get(rows, "n_valid"))
        raw_rows.append(base | {"row": "N of Valid Cases", "statistic": "n_valid", "value": n,
                                "approx_sig": math.nan, "status": "ok", "reason": ""})
        disp_rows.append(["N of Valid Cases", _int(n), "", ""])
        panels.append(label)
    notes = ["Phi = sqrt(chi2 / N) from the uncorrected Pearson chi-square, signed like ad - bc "
             "for 2x2 tables (SPSS); Cramér's V = sqrt(chi2 / (N (min(r, c) - 1))). Approx. "
             "Sig. is the Pearson chi-square p. " + P_NOTE,
             _source(f"test = {test}; statistics phi, cramers_v, n_valid")]
    return _finish(f"{hypothesis}_symmetric_measures",
                   _title(hypothesis, "Symmetric Measures", labels), raw_rows, raw_cols,
                   disp_rows, disp_cols, notes=notes, panels=panels,
                   synthetic=_synthetic(res), section=_section(hypothesis, labels),
                   drop_empty=["Note"])


def risk_estimate_table(results: pd.DataFrame, hypothesis: str, *,
                        labels: Mapping[str, str] | None = None,
                        test: str = "crosstab") -> Table:
    """Shares with Wilson CIs, risk difference (Newcombe CI) and odds ratio (Woolf CI).

    Reads ``proportion`` (term = group), ``risk_difference``, ``odds_ratio`` or
    ``odds_ratio_haldane`` (term ``"group1 vs group2"``) of crosstab comparisons.
    """
    res = results[results["hypothesis"] == hypothesis]
    raw_cols = [*CONTEXT_OUT, "row", "statistic", "term", "value", "ci_low", "ci_high",
                "status", "reason"]
    disp_cols = ["", "Value", "95% CI Lower", "95% CI Upper", "Note"]
    raw_rows, disp_rows, panels = [], [], []
    names = {"proportion": "Share positive: {term}", "risk_difference": "Risk difference ({term})",
             "odds_ratio": "Odds ratio ({term})",
             "odds_ratio_haldane": "Odds ratio, 0.5 added to every cell ({term})"}
    for ctx, rows in _comparisons(res, [test]):
        label = _panel_label(ctx)
        sub = [r for r in rows if r["statistic"] in names]
        if not sub:
            continue
        for r in sub:
            name = names[r["statistic"]].format(term=r["term"])
            rec = {"row": name, "statistic": r["statistic"], "term": r["term"],
                   "value": _val(r), "ci_low": _val(r, "ci_low"), "ci_high": _val(r, "ci_high"),
                   "status": r["status"], "reason": r["reason"]}
            raw_rows.append(_ctx_out(ctx) | rec)
            disp_rows.append([name, format_num(rec["value"]), format_num(rec["ci_low"]),
                              format_num(rec["ci_high"]),
                              f"not estimable: {r['reason']}" if r["status"] != "ok" else ""])
            panels.append(label)
    notes = ["Share positive: share of the outcome's positive level (e.g. internationalized) "
             "per group with its Wilson 95% CI; risk difference: group 1 minus group 2 "
             "(Newcombe hybrid-score CI); odds ratio: group 1 versus group 2 (Woolf CI).",
             _source(f"test = {test}; statistics proportion, risk_difference, odds_ratio, "
                     "odds_ratio_haldane")]
    return _finish(f"{hypothesis}_risk_estimate", _title(hypothesis, "Risk Estimate", labels),
                   raw_rows, raw_cols, disp_rows, disp_cols, notes=notes, panels=panels,
                   synthetic=_synthetic(res), section=_section(hypothesis, labels),
                   drop_empty=["Note"])


# =========================================================================== Mann-Whitney
def mw_ranks_table(results: pd.DataFrame, hypothesis: str, *,
                   labels: Mapping[str, str] | None = None,
                   test: str = "mann_whitney") -> Table:
    """SPSS "Ranks": N, Mean Rank, Sum of Ranks per group (plus median and quartiles)."""
    res = results[results["hypothesis"] == hypothesis]
    raw_cols = [*CONTEXT_OUT, "group", "n", "mean_rank", "rank_sum", "median", "q1", "q3",
                "status", "reason"]
    disp_cols = ["Group", "N", "Mean Rank", "Sum of Ranks", "Median", "Q1", "Q3", "Note"]
    raw_rows, disp_rows, panels = [], [], []
    for ctx, rows in _comparisons(res, [test]):
        label = _panel_label(ctx)
        base = _ctx_out(ctx)
        why = _not_estimable_comparison(rows)
        if why and _get(rows, "n") is None:
            raw_rows.append(base | {"group": "", "n": math.nan, "mean_rank": math.nan,
                                    "rank_sum": math.nan, "median": math.nan, "q1": math.nan,
                                    "q3": math.nan, "status": "not estimable", "reason": why})
            disp_rows.append(["Not estimable", "", "", "", "", "", "", why])
            panels.append(label)
            continue
        for g in (ctx["group1"], ctx["group2"]):
            vals = {s: _val(_get(rows, s, g)) for s in ("n", "mean_rank", "rank_sum", "median",
                                                         "q1", "q3")}
            bad = [r for r in rows.where(term=g) if r["status"] != "ok"]
            reason = bad[0]["reason"] if bad else ""
            raw_rows.append(base | {"group": g, **vals,
                                    "status": "not estimable" if reason else "ok",
                                    "reason": reason})
            disp_rows.append([g, _int(vals["n"]), format_num(vals["mean_rank"], 2),
                              format_num(vals["rank_sum"], 2), format_num(vals["median"], 2),
                              format_num(vals["q1"], 2), format_num(vals["q3"], 2),
                              f"not estimable: {reason}" if reason else ""])
            panels.append(label)
        n = _val(_get(rows, "n_valid"))
        raw_rows.append(base | {"group": "Total", "n": n, "mean_rank": math.nan,
                                "rank_sum": math.nan, "median": math.nan, "q1": math.nan,
                                "q3": math.nan, "status": "ok", "reason": ""})
        disp_rows.append(["Total", _int(n), "", "", "", "", "", ""])
        panels.append(label)
    notes = ["Mean Rank and Sum of Ranks from the pooled midranks of both groups; Median, Q1 "
             "and Q3 (SPSS HAVERAGE quartiles) added for reading.",
             _source(f"test = {test}; statistics n, mean_rank, rank_sum, median, q1, q3, "
                     "n_valid")]
    return _finish(f"{hypothesis}_mw_ranks", _title(hypothesis, "Ranks (Mann-Whitney)", labels),
                   raw_rows, raw_cols, disp_rows, disp_cols, notes=notes, panels=panels,
                   synthetic=_synthetic(res), section=_section(hypothesis, labels),
                   drop_empty=["Note"])


def mw_test_statistics_table(results: pd.DataFrame, hypothesis: str, *,
                             labels: Mapping[str, str] | None = None,
                             test: str = "mann_whitney") -> Table:
    """SPSS "Test Statistics" of the Mann-Whitney test, one row per comparison.

    Columns Mann-Whitney U, Wilcoxon W, Z, Asymp. Sig. (2-tailed), SPSS's Exact Sig.
    [2*(1-tailed Sig.)] (from the distribution not corrected for ties, N <= 40), the exact p
    that accounts for ties, r = Z/sqrt(N) and the rank-biserial correlation; one panel per
    spec x stratum, one row per year and the pooled scope.
    """
    res = results[results["hypothesis"] == hypothesis]
    raw_cols = [*CONTEXT_OUT, "mann_whitney_u", "wilcoxon_w", "wilcoxon_w_group", "z",
                "asymp_sig_2tailed", "exact_sig_spss", "exact_sig_2tailed", "r",
                "rank_biserial",
                "hodges_lehmann", "status", "reason"]
    disp_cols = ["Year", "Mann-Whitney U", "Wilcoxon W", "Z", "Asymp. Sig. (2-tailed)",
                 "Exact Sig. [2*(1-tailed Sig.)]", "Exact Sig. (ties)", "r", "Rank-biserial",
                 "Note"]
    raw_rows, disp_rows, panels = [], [], []
    for ctx, rows in _comparisons(res, [test]):
        u, w, z = _get(rows, "mann_whitney_u"), _get(rows, "wilcoxon_w"), _get(rows, "z")
        ex, r, rb = _get(rows, "exact_p"), _get(rows, "r"), _get(rows, "rank_biserial")
        hl = _get(rows, "hodges_lehmann")
        why = _not_estimable_comparison(rows) or _reason(
            rows, ["mann_whitney_u", "z", "r", "rank_biserial"])
        ex_note = ex["reason"] if ex is not None and ex["status"] != "ok" else ""
        sp = _get(rows, "exact_p_spss")
        sp_note = "not computed" if sp is None else sp["reason"] if sp["status"] != "ok" else ""
        rec = {"mann_whitney_u": _val(u), "wilcoxon_w": _val(w),
               "wilcoxon_w_group": w["term"] if w is not None else "", "z": _val(z),
               "asymp_sig_2tailed": _val(z, "p"), "exact_sig_spss": _val(sp, "p"),
               "exact_sig_2tailed": _val(ex, "p"),
               "r": _val(r), "rank_biserial": _val(rb), "hodges_lehmann": _val(hl),
               "status": "not estimable" if why else "ok", "reason": why}
        raw_rows.append(_ctx_out(ctx) | rec)
        note = f"not estimable: {why}" if why else ""
        disp_rows.append([_row_when(ctx), format_num(rec["mann_whitney_u"]),
                          format_num(rec["wilcoxon_w"]), format_num(rec["z"]),
                          format_p(rec["asymp_sig_2tailed"]),
                          format_p(rec["exact_sig_spss"]) if not sp_note else "–",
                          format_p(rec["exact_sig_2tailed"]) if not ex_note else "–",
                          format_num(rec["r"]), format_num(rec["rank_biserial"]), note])
        panels.append(_spec_label(ctx))
    notes = ["U = min(U1, U2) (SPSS); Wilcoxon W = rank sum of the group with the smaller "
             "mean rank (the group whose U SPSS prints); Z from the tie-corrected normal "
             "approximation without continuity correction (Z <= 0 as SPSS prints it); Exact "
             "Sig. [2*(1-tailed Sig.)] as SPSS prints it, from the distribution of U not "
             "corrected for ties, for N <= 40 ('–' otherwise); Exact Sig. (ties): the exact "
             "permutation p given the observed ties, for small samples without ties or when "
             "requested ('–' otherwise); "
             "r = Z/sqrt(N) and the rank-biserial correlation are signed group 1 minus group 2 "
             "(positive: group 1 tends higher). " + P_NOTE,
             _source(f"test = {test}; statistics mann_whitney_u, wilcoxon_w, z, exact_p_spss, "
                     "exact_p, r, rank_biserial, hodges_lehmann")]
    return _finish(f"{hypothesis}_mw_test_statistics",
                   _title(hypothesis, "Test Statistics (Mann-Whitney)", labels), raw_rows,
                   raw_cols, disp_rows, disp_cols, notes=notes, panels=panels,
                   synthetic=_synthetic(res), section=_section(hypothesis, labels),
                   drop_empty=["Note"])


# =========================================================================== Welch t
def welch_t_table(results: pd.DataFrame, hypothesis: str, *,
                  labels: Mapping[str, str] | None = None,
                  test: str = "welch_t") -> Table:
    """Welch's t-test: t, df, Sig. (2-tailed), Mean Difference with 95% CI, Hedges g with CI.

    Reads ``t``, ``mean_difference`` and ``hedges_g`` of comparisons with ``test = welch_t``
    (and ``mean`` / ``sd`` per group when present).
    """
    res = results[results["hypothesis"] == hypothesis]
    raw_cols = [*CONTEXT_OUT, "mean_group1", "mean_group2", "sd_group1", "sd_group2", "t",
                "df", "sig_2tailed", "mean_difference", "md_ci_low", "md_ci_high", "hedges_g",
                "g_ci_low", "g_ci_high", "status", "reason"]
    disp_cols = ["Year", "Mean (SD) group 1", "Mean (SD) group 2", "t", "df",
                 "Sig. (2-tailed)", "Mean Difference", "95% CI Lower", "95% CI Upper",
                 "Hedges g [95% CI]", "Note"]
    raw_rows, disp_rows, panels = [], [], []
    for ctx, rows in _comparisons(res, [test]):
        t, md, g = _get(rows, "t"), _get(rows, "mean_difference"), _get(rows, "hedges_g")
        m1, m2 = _get(rows, "mean", ctx["group1"]), _get(rows, "mean", ctx["group2"])
        s1, s2 = _get(rows, "sd", ctx["group1"]), _get(rows, "sd", ctx["group2"])
        why = _not_estimable_comparison(rows) or _reason(rows, ["t", "mean_difference",
                                                                "hedges_g"])
        rec = {"mean_group1": _val(m1), "mean_group2": _val(m2), "sd_group1": _val(s1),
               "sd_group2": _val(s2), "t": _val(t), "df": _val(t, "df"),
               "sig_2tailed": _val(t, "p"), "mean_difference": _val(md),
               "md_ci_low": _val(md, "ci_low"), "md_ci_high": _val(md, "ci_high"),
               "hedges_g": _val(g), "g_ci_low": _val(g, "ci_low"),
               "g_ci_high": _val(g, "ci_high"), "status": "not estimable" if why else "ok",
               "reason": why}
        raw_rows.append(_ctx_out(ctx) | rec)

        def msd(m: float, s: float) -> str:
            return "" if _missing(m) else f"{format_num(m, 2)} ({format_num(s, 2)})"

        gtxt = "" if _missing(rec["hedges_g"]) else (
            f"{format_num(rec['hedges_g'])} [{format_num(rec['g_ci_low'])}, "
            f"{format_num(rec['g_ci_high'])}]")
        disp_rows.append([_row_when(ctx), f"{ctx['group1']}: " + msd(rec["mean_group1"],
                                                                    rec["sd_group1"]),
                          f"{ctx['group2']}: " + msd(rec["mean_group2"], rec["sd_group2"]),
                          format_num(rec["t"]), format_num(rec["df"], 2),
                          format_p(rec["sig_2tailed"]), format_num(rec["mean_difference"]),
                          format_num(rec["md_ci_low"]), format_num(rec["md_ci_high"]), gtxt,
                          f"not estimable: {why}" if why else ""])
        panels.append(_spec_label(ctx))
    notes = ["Welch's t-test (unequal variances, Welch-Satterthwaite df); mean difference "
             "group 1 minus group 2; Hedges g = bias-corrected standardized mean difference. "
             "Used when the outcome is normal in both groups (test = auto). " + P_NOTE,
             _source(f"test = {test}; statistics t, mean_difference, hedges_g, mean, sd")]
    return _finish(f"{hypothesis}_welch_t", _title(hypothesis, "Welch t-test", labels),
                   raw_rows, raw_cols, disp_rows, disp_cols, notes=notes, panels=panels,
                   synthetic=_synthetic(res), section=_section(hypothesis, labels),
                   drop_empty=["Note"])


# =========================================================================== logit
def _term_label(term: str, ctx: Mapping[str, Any]) -> str:
    if term == "constant":
        return "Constant"
    if term.startswith("is_"):
        return f"{ctx['group_var']} = {ctx['group1']}"
    m = re.fullmatch(r"(.+)\[(.+)\]", term)
    if m:
        name = "year" if m.group(1) == "year_" else m.group(1)
        return f"{name} = {m.group(2)}"
    return term


def _logit_terms(rows: Rows, prefix: str = "") -> list[str]:
    return rows.terms(f"{prefix}B")


def logit_variables_table(results: pd.DataFrame, hypothesis: str, *,
                          labels: Mapping[str, str] | None = None,
                          test: str = "logit") -> Table:
    """SPSS "Variables in the Equation": B, S.E., Wald, df, Sig., Exp(B), 95% C.I. for EXP(B).

    One panel per logit comparison (year-by-year logit specs and every pooled binary
    comparison: firm-clustered standard errors). When separation made the ML estimates not
    estimable, the reason is shown and the Firth estimates (``firth_*`` rows) follow.
    """
    res = results[results["hypothesis"] == hypothesis]
    raw_cols = [*CONTEXT_OUT, "term", "estimator", "B", "se", "wald", "df", "sig", "exp_b",
                "exp_b_ci_low", "exp_b_ci_high", "status", "reason"]
    disp_cols = ["", "B", "S.E.", "Wald", "df", "Sig.", "Exp(B)", "Lower", "Upper", "Note"]
    groups = [("", 7), ("95% C.I. for EXP(B)", 2), ("", 1)]
    raw_rows, disp_rows, panels, pnotes = [], [], [], {}
    for ctx, rows in _comparisons(res, [test]):
        label = _panel_label(ctx)
        base = _ctx_out(ctx)
        terms = _logit_terms(rows)
        if not terms:
            why = _not_estimable_comparison(rows) or "no coefficients"
            raw_rows.append(base | {"term": "", "estimator": "", "B": math.nan, "se": math.nan,
                                    "wald": math.nan, "df": math.nan, "sig": math.nan,
                                    "exp_b": math.nan, "exp_b_ci_low": math.nan,
                                    "exp_b_ci_high": math.nan, "status": "not estimable",
                                    "reason": why})
            disp_rows.append(["Not estimable", "", "", "", "", "", "", "", "", why])
            panels.append(label)
            continue
        ml_reasons: list[str] = []
        for prefix, estimator in (("", "ML"), ("firth_", "Firth")):
            for term in _logit_terms(rows, prefix):
                b = _get(rows, f"{prefix}B", term)
                se = _get(rows, f"{prefix}se", term)
                wald = _get(rows, "wald" if not prefix else "firth_p", term)
                eb = _get(rows, f"{prefix}exp_b", term)
                status = "ok" if all(x is None or x["status"] == "ok" for x in (b, se, wald, eb)
                                     ) else "not estimable"
                reason = "; ".join(dict.fromkeys(
                    x["reason"] for x in (b, se, wald, eb) if x is not None and x["reason"]))
                rec = {"term": term, "estimator": estimator, "B": _val(b), "se": _val(se),
                       "wald": _val(wald), "df": _val(wald, "df"), "sig": _val(wald, "p"),
                       "exp_b": _val(eb), "exp_b_ci_low": _val(eb, "ci_low"),
                       "exp_b_ci_high": _val(eb, "ci_high"), "status": status,
                       "reason": reason}
                raw_rows.append(base | rec)
                name = _term_label(term, ctx) + (" (Firth)" if prefix else "")
                if status != "ok":
                    ml_reasons.append(reason)
                disp_rows.append([name, format_num(rec["B"]), format_num(rec["se"]),
                                  format_num(rec["wald"]), _int(rec["df"]),
                                  format_p(rec["sig"]), format_num(rec["exp_b"]),
                                  format_num(rec["exp_b_ci_low"]),
                                  format_num(rec["exp_b_ci_high"]),
                                  "not estimable (see below)" if status != "ok" else ""])
                panels.append(label)
        extra = [f"Not estimable: {r}." for r in dict.fromkeys(ml_reasons)]
        se_type = _get(rows, "se_type")
        if se_type is not None and str(se_type["term"]).startswith("cluster:"):
            nc = _get(rows, "n_clusters")
            extra.append(f"Standard errors clustered by {se_type['term'].split(':', 1)[1]} "
                         f"({_int(_val(nc))} clusters).")
        if _logit_terms(rows, "firth_"):
            extra.append("Firth rows: penalized-likelihood estimates; 'Wald' column holds the "
                         "penalized likelihood-ratio chi-square, CI by profile penalized "
                         "likelihood.")
        n = _get(rows, "n")
        if n is not None:
            extra.append(f"N = {_int(_val(n))} cases"
                         + (f", {_int(_val(_get(rows, 'n_events')))} events."
                            if _get(rows, "n_events") is not None else "."))
        pnotes[label] = extra
    notes = ["Binary logistic regression (Enter). The model is for P(outcome = positive level); "
             "the group term is group 1 versus group 2. Sig. is the Wald p. Pooled scope: all "
             "years with year dummies, standard errors clustered by firm. Complete or "
             "quasi-complete separation is reported as not estimable, never as huge "
             "coefficients. " + P_NOTE,
             _source(f"test = {test}; statistics B, se, wald, exp_b, firth_B, firth_se, firth_p, "
                     "firth_exp_b, se_type, n_clusters, n, n_events")]
    return _finish(f"{hypothesis}_logit_variables",
                   _title(hypothesis, "Variables in the Equation (logistic regression)", labels),
                   raw_rows, raw_cols, disp_rows, disp_cols, notes=notes, panels=panels,
                   panel_notes=pnotes, header_groups=groups, synthetic=_synthetic(res),
                   section=_section(hypothesis, labels), drop_empty=["Note"])


def _logit_fit_table(results: pd.DataFrame, hypothesis: str, stem: str, what: str,
                     stats: list[tuple[str, str, str, int]], labels: Mapping[str, str] | None,
                     note: str, test: str = "logit") -> Table:
    """One row per logit comparison with the given (statistic, column, header, digits)."""
    res = results[results["hypothesis"] == hypothesis]
    raw_cols = [*CONTEXT_OUT]
    disp_cols = ["Year"]
    for _, col, header, _ in stats:
        raw_cols.append(col)
        disp_cols.append(header)
    raw_cols += ["status", "reason"]
    disp_cols.append("Note")
    raw_rows, disp_rows, panels = [], [], []
    for ctx, rows in _comparisons(res, [test]):
        rec: dict[str, Any] = {}
        cells = [_row_when(ctx)]
        for stat, col, _, digits in stats:
            part = col.rsplit("_", 1)[-1] if col.endswith(("_df", "_p")) else "value"
            r = _get(rows, stat)
            v = _val(r, {"df": "df", "p": "p"}.get(part, "value"))
            rec[col] = v
            cells.append(format_p(v) if part == "p" else format_num(v, digits))
        why = _not_estimable_comparison(rows) or _reason(rows, [s[0] for s in stats])
        rec |= {"status": "not estimable" if why else "ok", "reason": why}
        raw_rows.append(_ctx_out(ctx) | rec)
        disp_rows.append(cells + [f"not estimable: {why}" if why else ""])
        panels.append(_spec_label(ctx))
    notes = [note, P_NOTE, _source(f"test = {test}; statistics "
                                   + ", ".join(dict.fromkeys(s[0] for s in stats)))]
    return _finish(f"{hypothesis}_{stem}", _title(hypothesis, what, labels), raw_rows, raw_cols,
                   disp_rows, disp_cols, notes=notes, panels=panels,
                   synthetic=_synthetic(res), section=_section(hypothesis, labels),
                   drop_empty=["Note"])


def logit_model_summary_table(results: pd.DataFrame, hypothesis: str, *,
                              labels: Mapping[str, str] | None = None,
                              test: str = "logit") -> Table:
    """SPSS "Model Summary": -2 Log likelihood, Cox & Snell R Square, Nagelkerke R Square."""
    return _logit_fit_table(
        results, hypothesis, "logit_model_summary", "Model Summary (logistic regression)",
        [("neg2ll", "neg2ll", "-2 Log likelihood", 3),
         ("cox_snell_r2", "cox_snell_r2", "Cox & Snell R Square", 3),
         ("nagelkerke_r2", "nagelkerke_r2", "Nagelkerke R Square", 3)], labels,
        "One row per logit comparison (year, or pooled over years).", test)


def logit_omnibus_table(results: pd.DataFrame, hypothesis: str, *,
                        labels: Mapping[str, str] | None = None,
                        test: str = "logit") -> Table:
    """SPSS "Omnibus Tests of Model Coefficients" (Model row): Chi-square, df, Sig."""
    return _logit_fit_table(
        results, hypothesis, "logit_omnibus", "Omnibus Tests of Model Coefficients",
        [("omnibus_chi2", "omnibus_chi2", "Chi-square", 3),
         ("omnibus_chi2", "omnibus_chi2_df", "df", 0),
         ("omnibus_chi2", "omnibus_chi2_p", "Sig.", 3)], labels,
        "Likelihood-ratio test of the model against the constant-only model (Step = Block = "
        "Model with the Enter method); it ignores clustering in the pooled scope.", test)


def logit_hosmer_lemeshow_table(results: pd.DataFrame, hypothesis: str, *,
                                labels: Mapping[str, str] | None = None,
                                test: str = "logit") -> Table:
    """SPSS "Hosmer and Lemeshow Test": Chi-square, df, Sig."""
    return _logit_fit_table(
        results, hypothesis, "logit_hosmer_lemeshow", "Hosmer and Lemeshow Test",
        [("hosmer_lemeshow", "hosmer_lemeshow", "Chi-square", 3),
         ("hosmer_lemeshow", "hosmer_lemeshow_df", "df", 0),
         ("hosmer_lemeshow", "hosmer_lemeshow_p", "Sig.", 3)], labels,
        "Deciles of risk (SPSS grouping; tied predicted probabilities are never split, so "
        "df = groups - 2 can be below 8). A model with one binary predictor has only two "
        "risk groups: the test is then not estimable.", test)


def logit_classification_table(results: pd.DataFrame, hypothesis: str, *,
                               labels: Mapping[str, str] | None = None,
                               test: str = "logit") -> Table:
    """SPSS "Classification Table" (cut value .500): observed x predicted, Percentage Correct."""
    res = results[results["hypothesis"] == hypothesis]
    raw_cols = [*CONTEXT_OUT, "observed", "predicted_0", "predicted_1", "percentage_correct",
                "status", "reason"]
    disp_cols = ["Observed", "0", "1", "Percentage Correct", "Note"]
    groups = [("", 1), ("Predicted", 2), ("", 2)]
    raw_rows, disp_rows, panels = [], [], []
    for ctx, rows in _comparisons(res, [test]):
        label = _panel_label(ctx)
        why = _not_estimable_comparison(rows) or _reason(rows, ["classification",
                                                                "pct_correct"])
        for o in ("0", "1", "overall"):
            if o == "overall":
                rec = {"observed": "Overall Percentage", "predicted_0": math.nan,
                       "predicted_1": math.nan,
                       "percentage_correct": _val(_get(rows, "pct_correct", "overall"))}
            else:
                rec = {"observed": f"{ctx['outcome']} = {o}",
                       "predicted_0": _val(_get(rows, "classification",
                                                f"observed={o}|predicted=0")),
                       "predicted_1": _val(_get(rows, "classification",
                                                f"observed={o}|predicted=1")),
                       "percentage_correct": _val(_get(rows, "pct_correct", f"observed={o}"))}
            rec |= {"status": "not estimable" if why else "ok", "reason": why}
            raw_rows.append(_ctx_out(ctx) | rec)
            disp_rows.append([rec["observed"], _int(rec["predicted_0"]),
                              _int(rec["predicted_1"]), format_num(rec["percentage_correct"], 1),
                              f"not estimable: {why}" if why and o == "0" else ""])
            panels.append(label)
    notes = ["A case is predicted 1 when its predicted probability exceeds .500 (SPSS's "
             "default cut value). Percentage Correct per observed class and overall.",
             _source(f"test = {test}; statistics classification, pct_correct")]
    return _finish(f"{hypothesis}_logit_classification",
                   _title(hypothesis, "Classification Table (logistic regression)", labels),
                   raw_rows, raw_cols, disp_rows, disp_cols, notes=notes, panels=panels,
                   header_groups=groups, synthetic=_synthetic(res),
                   section=_section(hypothesis, labels), drop_empty=["Note"])



def logit_hl_contingency_table(results: pd.DataFrame, hypothesis: str, *,
                               labels: Mapping[str, str] | None = None,
                               test: str = "logit") -> Table:
    """SPSS "Contingency Table for Hosmer and Lemeshow Test": per risk group, observed and
    expected counts of both outcomes and the group's total (one panel per comparison)."""
    res = results[results["hypothesis"] == hypothesis]
    raw_cols = [*CONTEXT_OUT, "group", "observed_0", "expected_0", "observed_1", "expected_1",
                "total", "status", "reason"]
    disp_cols = ["Group", "Observed", "Expected", "Observed", "Expected", "Total", "Note"]
    raw_rows, disp_rows, panels = [], [], []
    outcomes: list[str] = []
    for ctx, rows in _comparisons(res, [test]):
        groups = [str(t) for t in rows.terms("hl_total")]
        why = _not_estimable_comparison(rows) or _reason(rows, ["hosmer_lemeshow"])
        outcomes.append(str(ctx["outcome"]))
        if not groups:
            rec = {"group": "", "observed_0": math.nan, "expected_0": math.nan,
                   "observed_1": math.nan, "expected_1": math.nan, "total": math.nan,
                   "status": "not estimable", "reason": why or "no risk groups"}
            raw_rows.append(_ctx_out(ctx) | rec)
            disp_rows.append(["", "", "", "", "", "", f"not estimable: {rec['reason']}"])
            panels.append(_panel_label(ctx))
            continue
        for grp in groups:
            rec = {"group": grp}
            for stat in ("observed_0", "expected_0", "observed_1", "expected_1", "total"):
                rec[stat] = _val(_get(rows, f"hl_{stat}", grp))
            rec |= {"status": "ok", "reason": ""}
            raw_rows.append(_ctx_out(ctx) | rec)
            disp_rows.append([grp, _int(rec["observed_0"]), format_num(rec["expected_0"]),
                              _int(rec["observed_1"]), format_num(rec["expected_1"]),
                              _int(rec["total"]), ""])
            panels.append(_panel_label(ctx))
    outcome = outcomes[0] if len(set(outcomes)) == 1 else "outcome"
    groups_h = [("", 1), (f"{outcome} = 0", 2), (f"{outcome} = 1", 2), ("", 2)]
    notes = ["Risk groups of the Hosmer-Lemeshow test in increasing order of predicted "
             "probability; cases with the same covariate values are never split (SPSS's "
             "grouping, docs/statistics.md).",
             _source(f"test = {test}; statistics hl_observed_0, hl_expected_0, hl_observed_1, "
                     "hl_expected_1, hl_total")]
    return _finish(f"{hypothesis}_logit_hl_contingency",
                   _title(hypothesis, "Contingency Table for Hosmer and Lemeshow Test", labels),
                   raw_rows, raw_cols, disp_rows, disp_cols, notes=notes, panels=panels,
                   header_groups=groups_h, synthetic=_synthetic(res),
                   section=_section(hypothesis, labels), drop_empty=["Note"])



# =========================================================================== declarative tables
def _field_text(field: str, value: float) -> str:
    """A statistic field as the SPSS tables print it (p as p, df as an integer when whole)."""
    if field == "p":
        return format_p(value)
    if field == "df":
        whole = not _missing(value) and math.isfinite(value) and float(value).is_integer()
        return format_num(value, 0 if whole else 2)
    return format_num(value)


def columns_table(results: pd.DataFrame, hypothesis: str, entry: TestEntry, spec: TableSpec, *,
                  labels: Mapping[str, str] | None = None) -> Table:
    """A declarative table of one test (:attr:`TableSpec.columns`), so a new test needs no code.

    One panel per spec x stratum, one row per year and the pooled scope of the comparisons that
    used ``entry``'s test; one column per ``(statistic, field, header)`` triple: the ``field``
    (value, df, p, ci_low, ci_high) of the row ``statistic``. Numbers are formatted with
    :mod:`analysis.render.format`; a comparison with a not-estimable statistic shows the reason
    in the Note column. The raw CSV names a value column after its statistic and the other
    fields ``{statistic}_{field}``.

    Parameters
    ----------
    results : DataFrame
        The results schema.
    hypothesis : str
        The hypothesis whose comparisons are rendered.
    entry : TestEntry
        The test's registry entry.
    spec : TableSpec
        One of ``entry.tables`` with ``columns``.
    labels : mapping, optional
        Hypothesis id -> label (title and report section).

    Returns
    -------
    Table
        ``{hypothesis}_{spec.stem}``.
    """
    res = results[results["hypothesis"] == hypothesis]
    cols = [(stat, fld, head, stat if fld == "value" else f"{stat}_{fld}")
            for stat, fld, head in spec.columns]
    stats = list(dict.fromkeys(stat for stat, _, _, _ in cols))
    raw_cols = [*CONTEXT_OUT, *[raw for _, _, _, raw in cols], "status", "reason"]
    disp_cols = ["Year", *[head for _, _, head, _ in cols], "Note"]
    raw_rows, disp_rows, panels = [], [], []
    for ctx, rows in _comparisons(res, [entry.name]):
        rec: dict[str, Any] = {}
        cells = [_row_when(ctx)]
        for stat, fld, _, raw in cols:
            rec[raw] = _val(_get(rows, stat), fld)
            cells.append(_field_text(fld, rec[raw]))
        why = _not_estimable_comparison(rows) or _reason(rows, stats)
        rec |= {"status": "not estimable" if why else "ok", "reason": why}
        raw_rows.append(_ctx_out(ctx) | rec)
        disp_rows.append(cells + [f"not estimable: {why}" if why else ""])
        panels.append(_spec_label(ctx))
    notes = [spec.note] if spec.note else []
    if any(fld == "p" for _, fld, _ in spec.columns):
        notes.append(P_NOTE)
    notes.append(_source(f"test = {entry.name}; statistics {', '.join(stats)}"))
    return _finish(f"{hypothesis}_{spec.stem}", _title(hypothesis, spec.title, labels),
                   raw_rows, raw_cols, disp_rows, disp_cols, notes=notes, panels=panels,
                   synthetic=_synthetic(res), section=_section(hypothesis, labels),
                   drop_empty=["Note"])


def svy_shares_table(results: pd.DataFrame, hypothesis: str, *,
                     labels: Mapping[str, str] | None = None,
                     test: str = "svy_crosstab") -> Table:
    """Weighted shares of a design-based crosstab: per group and outcome level the weighted
    share with its linearized SE and logit 95% CI, beside the unweighted n and the weighted N."""
    res = results[results["hypothesis"] == hypothesis]
    raw_cols = [*CONTEXT_OUT, "group", "level", "n_unweighted", "weighted_n", "share",
                "share_se", "ci_low", "ci_high", "status", "reason"]
    disp_cols = ["Group", "Level", "Unweighted n", "Weighted N", "Weighted %", "S.E. (%)",
                 "95% CI (%)", "Note"]
    raw_rows, disp_rows, panels = [], [], []
    for ctx, rows in _comparisons(res, [test]):
        label = _panel_label(ctx)
        base = _ctx_out(ctx)
        shares = rows.where(statistic="share")
        why = _not_estimable_comparison(rows)
        if not len(shares):
            why = why or _reason(rows, ["weighted_n"]) or "no weighted shares"
            raw_rows.append(base | {"group": "", "level": "", "n_unweighted": math.nan,
                                    "weighted_n": math.nan, "share": math.nan,
                                    "share_se": math.nan, "ci_low": math.nan,
                                    "ci_high": math.nan, "status": "not estimable",
                                    "reason": why})
            disp_rows.append(["Not estimable", "", "", "", "", "", "", why])
            panels.append(label)
            continue
        for g in (ctx["group1"], ctx["group2"]):
            n = _val(_get(rows, "n_unweighted", g))
            wn = _val(_get(rows, "weighted_n", g))
            for r in [r for r in shares if str(r["term"]).startswith(f"{g}|")]:
                level = str(r["term"])[len(g) + 1:]
                se = _val(_get(rows, "share_se", r["term"]))
                rec = {"group": g, "level": level, "n_unweighted": n, "weighted_n": wn,
                       "share": float(r["value"]), "share_se": se,
                       "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"]),
                       "status": "ok", "reason": ""}
                raw_rows.append(base | rec)
                ci = ("" if not (np.isfinite(rec["ci_low"]) and np.isfinite(rec["ci_high"]))
                      else f"{format_num(100 * rec['ci_low'], 1)} to "
                           f"{format_num(100 * rec['ci_high'], 1)}")
                disp_rows.append([g, _level(level), _int(n), format_num(wn, 1),
                                  format_num(100 * rec["share"], 1),
                                  format_num(100 * se, 1), ci, ""])
                panels.append(label)
    notes = ["Weighted shares are ratio estimates within each group; standard errors are "
             "Taylor-linearized from the survey design and the CI is the logit-transformed "
             "interval with t on the design degrees of freedom. Unweighted n is the number of "
             "sampled cases, Weighted N the sum of their sampling weights.",
             _source(f"test = {test}; statistics share, share_se, n_unweighted, weighted_n")]
    return _finish(f"{hypothesis}_svy_shares",
                   _title(hypothesis, "Weighted Shares (design-based)", labels),
                   raw_rows, raw_cols, disp_rows, disp_cols, notes=notes, panels=panels,
                   synthetic=_synthetic(res), section=_section(hypothesis, labels),
                   drop_empty=["Note"])


def svy_weights_table(results: pd.DataFrame, hypothesis: str, *,
                      labels: Mapping[str, str] | None = None,
                      test: str = "svy_crosstab") -> Table:
    """The weight choice as a sensitivity: each design-based comparison of ``test`` under the
    main weight (``_weight``) and every alternative (``_weight_<name>``), side by side.

    One panel per unweighted spec (and stratum); one row per year or pooled scope and weight:
    the deciding statistic with its p, and the effect with its 95% CI.
    """
    from analysis.stats.registry import focus_name

    entry = registry.entry(test)
    res = results[(results["hypothesis"] == hypothesis)
                  & results["spec_id"].astype(str).str.contains("__svy", regex=False)]
    raw_cols = [*CONTEXT_OUT, "weight", "statistic", "value", "p", "effect", "effect_value",
                "effect_ci_low", "effect_ci_high", "observed_direction", "status", "reason"]
    disp_cols = ["Year", "Weight", "Statistic", "Sig.", "Effect", "95% CI", "Direction",
                 "Note"]
    found = []
    for ctx, rows in _comparisons(res, [test]):
        base, _, weight = str(ctx["spec_id"]).partition("__svy")
        found.append((base, str(ctx.get("stratum") or ""), ctx["scope"] != "year",
                      -1 if _missing(ctx["year"]) else int(ctx["year"]), weight != "",
                      weight, ctx, rows))
    order = {b: i for i, b in enumerate(dict.fromkeys(f[0] for f in found))}
    found.sort(key=lambda f: (order[f[0]], f[1], f[2], f[3], f[4], f[5]))
    raw_rows, disp_rows, panels = [], [], []
    for base, _, _, _, _, weight, ctx, rows in found:
        column = f"_weight{weight}"
        t = _test_row(rows)
        eff = entry.effect
        term = focus_name(str(ctx["group1"])) if eff.term == "focus" else None
        e = next((r for name in (eff.statistic, *eff.fallbacks)
                  if (r := _get(rows, name, term)) is not None), None)
        why = _reason(rows, [entry.decides, eff.statistic]) if t is None or \
            t["status"] != "ok" else ""
        rec = {"weight": column, "statistic": "" if t is None else t["statistic"],
               "value": _val(t), "p": _val(t, "p"),
               "effect": "" if e is None else e["statistic"], "effect_value": _val(e),
               "effect_ci_low": _val(e, "ci_low"), "effect_ci_high": _val(e, "ci_high"),
               "observed_direction": ctx.get("observed_direction", ""),
               "status": "not estimable" if why else "ok", "reason": why}
        raw_rows.append(_ctx_out(ctx) | rec)
        ci = ("" if not (np.isfinite(rec["effect_ci_low"]) and np.isfinite(rec["effect_ci_high"]))
              else f"[{format_num(rec['effect_ci_low'])}, {format_num(rec['effect_ci_high'])}]")
        shown = "" if t is None else f"{entry.label_of(str(t['statistic']))} = " \
            f"{format_num(rec['value'])}"
        effect = "" if e is None else f"{entry.label_of(eff.statistic)} = " \
            f"{format_num(rec['effect_value'])}"
        disp_rows.append([_row_when(ctx), column + ("" if weight else " (main)"),
                          shown if not why else "", format_p(rec["p"]) if not why else "",
                          effect if not why else "", ci if not why else "",
                          rec["observed_direction"], f"not estimable: {why}" if why else ""])
        panels.append(_spec_label(ctx | {"spec_id": base}))
    notes = ["The same design-based comparison under each sampling weight the panel declares: "
             "the main weight and the alternatives (WBES: median, strict and weak "
             "eligibility); a conclusion that changes with the weight is fragile.",
             _source(f"test = {test}; spec ids <spec>__svy and <spec>__svy_<weight>")]
    return _finish(f"{hypothesis}_{test}_weights",
                   _title(hypothesis, f"Weight Sensitivity ({entry.label})", labels),
                   raw_rows, raw_cols, disp_rows, disp_cols, notes=notes, panels=panels,
                   synthetic=_synthetic(res), section=_section(hypothesis, labels),
                   drop_empty=["Note"])


# =========================================================================== the builders
#: The hand-made table layouts a registry entry's :class:`TableSpec` can name as ``builder``.
#: Each is called as ``builder(results, hypothesis, labels=..., test=entry.name)``.
BUILDERS: dict[str, Callable[..., Table]] = {
    "crosstab_counts": crosstab_counts_table,
    "chi_square_tests": chi_square_tests_table,
    "symmetric_measures": symmetric_measures_table,
    "risk_estimate": risk_estimate_table,
    "mw_ranks": mw_ranks_table,
    "svy_shares": svy_shares_table,
    "svy_weights": svy_weights_table,
    "mw_test_statistics": mw_test_statistics_table,
    "welch_t": welch_t_table,
    "logit_variables": logit_variables_table,
    "logit_model_summary": logit_model_summary_table,
    "logit_omnibus": logit_omnibus_table,
    "logit_hosmer_lemeshow": logit_hosmer_lemeshow_table,
    "logit_hl_contingency": logit_hl_contingency_table,
    "logit_classification": logit_classification_table,
}


def check_builders(entries: Iterable[TestEntry] | None = None) -> None:
    """Fail loudly when a registry entry names a table builder the render layer does not have.

    Parameters
    ----------
    entries : iterable of TestEntry, optional
        Default: every registered test.

    Raises
    ------
    RegistryError
        Naming each test and the builder missing from :data:`BUILDERS`.
    """
    todo = list(registry.REGISTRY.values()) if entries is None else list(entries)
    missing = [(e.name, t.builder) for e in todo for t in e.tables
               if t.builder and t.builder not in BUILDERS]
    if missing:
        raise RegistryError(
            "; ".join(f"test {name!r} names table builder {builder!r}, which "
                      "analysis.render.spss.BUILDERS does not have" for name, builder in missing)
            + f" (builders: {', '.join(sorted(BUILDERS))}; or declare the table's columns)")


def render_table_spec(results: pd.DataFrame, hypothesis: str, entry: TestEntry, spec: TableSpec,
                      *, labels: Mapping[str, str] | None = None) -> Table:
    """The table one :class:`TableSpec` of ``entry`` describes, for one hypothesis.

    A ``builder`` spec calls :data:`BUILDERS` ``[spec.builder]`` with ``test = entry.name``;
    a ``columns`` spec is rendered by :func:`columns_table`.

    Raises
    ------
    RegistryError
        When the builder is unknown, or builds a table not named ``{hypothesis}_{spec.stem}``.
    """
    if not spec.builder:
        return columns_table(results, hypothesis, entry, spec, labels=labels)
    check_builders([entry])
    table = BUILDERS[spec.builder](results, hypothesis, labels=labels, test=entry.name)
    if table.stem != f"{hypothesis}_{spec.stem}":
        raise RegistryError(f"test {entry.name!r}: builder {spec.builder!r} wrote table "
                            f"{table.stem!r}, but the entry's TableSpec names "
                            f"{hypothesis}_{spec.stem!r}")
    return table


check_builders()  # at import: every registered test's builders exist

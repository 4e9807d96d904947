"""Tables built from hand-made results-schema frames, checked cell by cell against the input.

No pipeline run: every frame is built here with known numbers in the long results schema
(analysis.columns.RESULT_COLUMNS), verdicts.csv and normality.csv layouts.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from analysis.columns import RESULT_COLUMNS, VERDICT_COLUMNS
from analysis.render import format as fmt
from analysis.render import journal, spss, table, tables

NAN = math.nan


# --------------------------------------------------------------------------- builders
def _ctx(spec: str = "H1_crosstab", hyp: str = "H1", test: str = "crosstab", year: int | None
         = 2015, scope: str = "year", stratum: str = "", outcome: str = "internationalized",
         n1: int = 57, n2: int = 57, observed: str = "negative", expected: str = "negative",
         reason: str = "configured: crosstab (categorical outcome)",
         role: str = "primary") -> dict:
    return {"sample": "all", "hypothesis": hyp, "spec_id": spec, "verdict_role": role,
            "scope": scope, "year": year, "stratum_var": "doi_band" if stratum else "",
            "stratum": stratum, "outcome": outcome, "group_var": "size_group",
            "group1": "SME", "group2": "non-SME", "population": "all firms", "test": test,
            "test_reason": reason, "n_total": n1 + n2, "n_group1": n1, "n_group2": n2,
            "expected_direction": expected, "observed_direction": observed,
            "synthetic": True}


def _stat(statistic: str, value: float = NAN, *, term: str = "", df: float = NAN,
          p: float = NAN, lo: float = NAN, hi: float = NAN, role: str = "detail",
          status: str = "ok", reason: str = "", p_holm: float = NAN,
          p_bh: float = NAN) -> dict:
    return {"statistic": statistic, "term": term, "value": value, "df": df, "p": p,
            "ci_low": lo, "ci_high": hi, "status": status, "reason": reason, "role": role,
            "p_holm": p_holm, "p_bh": p_bh}


def _frame(ctx: dict, stats: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame([ctx | s for s in stats])
    return df[RESULT_COLUMNS]


def crosstab_rows() -> pd.DataFrame:
    stats = [
        _stat("observed", 20, term="SME|False"), _stat("observed", 37, term="SME|True"),
        _stat("observed", 10, term="non-SME|False"), _stat("observed", 47, term="non-SME|True"),
        _stat("expected", 15.0, term="SME|False"), _stat("expected", 42.0, term="SME|True"),
        _stat("expected", 15.0, term="non-SME|False"),
        _stat("expected", 42.0, term="non-SME|True"),
        _stat("row_total", 57, term="SME"), _stat("row_total", 57, term="non-SME"),
        _stat("col_total", 30, term="False"), _stat("col_total", 84, term="True"),
        _stat("n_valid", 114),
        _stat("pearson_chi2", 5.4321, df=1, p=0.0198, role="test", p_holm=0.0396,
              p_bh=0.0297),
        _stat("yates_chi2", 4.5012, df=1, p=0.0339),
        _stat("likelihood_ratio", 5.6123, df=1, p=0.0178),
        _stat("fisher_exact", p=0.0312), _stat("fisher_exact_one_sided", p=0.0156),
        _stat("linear_by_linear", 5.3845, df=1, p=0.0203),
        _stat("cells_expected_lt5", 1), _stat("pct_cells_expected_lt5", 25.0),
        _stat("min_expected", 4.25),
        _stat("phi", -0.2183, p=0.0198, role="effect"), _stat("cramers_v", 0.2183, p=0.0198),
        _stat("proportion", 0.6491, term="SME", lo=0.5194, hi=0.7600),
        _stat("proportion", 0.8246, term="non-SME", lo=0.7040, hi=0.9020),
        _stat("risk_difference", -0.1754, term="SME vs non-SME", lo=-0.3300, hi=-0.0150),
        _stat("odds_ratio", 0.3936, term="SME vs non-SME", lo=0.1650, hi=0.9390),
    ]
    return _frame(_ctx(), stats)


def not_estimable_rows() -> pd.DataFrame:
    why = "variable 'mgmt_trained' is not available in this panel"
    return _frame(_ctx(spec="H4_training", hyp="H4", year=2016, stratum="high",
                       outcome="mgmt_trained", n1=0, n2=0, observed=""),
                  [_stat("pearson_chi2", role="test", status="not estimable", reason=why)])


def mw_rows() -> pd.DataFrame:
    stats = [
        _stat("n", 57, term="SME"), _stat("mean_rank", 51.6012, term="SME"),
        _stat("rank_sum", 2941.25, term="SME"), _stat("median", 0.0, term="SME"),
        _stat("q1", 0.0, term="SME"), _stat("q3", 30.05, term="SME"),
        _stat("n", 57, term="non-SME"), _stat("mean_rank", 63.3988, term="non-SME"),
        _stat("rank_sum", 3613.75, term="non-SME"), _stat("median", 23.4, term="non-SME"),
        _stat("q1", 0.0, term="non-SME"), _stat("q3", 52.25, term="non-SME"),
        _stat("n_valid", 114),
        _stat("mann_whitney_u", 1288.25, p=0.0431),
        _stat("u_first", 1288.25, term="SME"),
        _stat("wilcoxon_w", 2941.25, term="SME"),
        _stat("z", -2.0234, p=0.0431, role="test", p_holm=0.0431, p_bh=0.06),
        _stat("exact_p", status="not estimable", reason="exact p computed only for small "
              "samples without ties"),
        _stat("r", -0.1895, role="effect"), _stat("rank_biserial", -0.2069),
        _stat("hodges_lehmann", -5.5),
    ]
    return _frame(_ctx(spec="H2_export_share", hyp="H2", test="mann_whitney",
                       outcome="export_share", reason="auto: not normal -> mann_whitney"),
                  stats)


def logit_rows() -> pd.DataFrame:
    stats = [
        _stat("n", 342), _stat("n_events", 180), _stat("n_missing", 0),
        _stat("se_type", term="cluster:firm_id"), _stat("n_clusters", 114,
                                                         term="cluster:firm_id"),
        _stat("neg2ll_null", 473.1), _stat("neg2ll", 469.2345),
        _stat("omnibus_chi2", 3.8765, df=3, p=0.2751),
        _stat("cox_snell_r2", 0.0113), _stat("nagelkerke_r2", 0.0151),
        _stat("hosmer_lemeshow", 0.4321, df=4, p=0.9797),
        _stat("hl_observed_0", 80, term="1"), _stat("hl_expected_0", 79.512, term="1"),
        _stat("hl_observed_1", 91, term="1"), _stat("hl_expected_1", 91.488, term="1"),
        _stat("hl_total", 171, term="1"),
        _stat("hl_observed_0", 82, term="2"), _stat("hl_expected_0", 82.488, term="2"),
        _stat("hl_observed_1", 89, term="2"), _stat("hl_expected_1", 88.512, term="2"),
        _stat("hl_total", 171, term="2"),
        _stat("classification", 60, term="observed=0|predicted=0"),
        _stat("classification", 102, term="observed=0|predicted=1"),
        _stat("classification", 44, term="observed=1|predicted=0"),
        _stat("classification", 136, term="observed=1|predicted=1"),
        _stat("pct_correct", 37.037, term="observed=0"),
        _stat("pct_correct", 75.556, term="observed=1"),
        _stat("pct_correct", 57.310, term="overall"),
        _stat("B", -0.5671, term="is_SME", p=0.0496, lo=-1.1337, hi=-0.0005),
        _stat("se", 0.2891, term="is_SME"),
        _stat("wald", 3.8476, term="is_SME", df=1, p=0.0498, role="test"),
        _stat("exp_b", 0.5672, term="is_SME", lo=0.3219, hi=0.9995, role="effect"),
        _stat("B", 0.0721, term="year_[2016]", p=0.741), _stat("se", 0.2170, term="year_[2016]"),
        _stat("wald", 0.1090, term="year_[2016]", df=1, p=0.741),
        _stat("exp_b", 1.0748, term="year_[2016]", lo=0.7020, hi=1.6450),
        _stat("B", 0.3550, term="constant", p=0.145), _stat("se", 0.2440, term="constant"),
        _stat("wald", 2.1250, term="constant", df=1, p=0.145),
        _stat("exp_b", 1.4262, term="constant", lo=0.8850, hi=2.2990),
    ]
    return _frame(_ctx(scope="pooled", year=None, test="logit",
                       reason="pooled over years: logit with year dummies", n1=171, n2=171),
                  stats)


def welch_rows() -> pd.DataFrame:
    stats = [
        _stat("n", 25, term="yes"), _stat("mean", 8.0123, term="yes"),
        _stat("sd", 6.9876, term="yes"), _stat("n", 32, term="no"),
        _stat("mean", 3.5678, term="no"), _stat("sd", 5.7321, term="no"),
        _stat("t", 2.5701, df=46.0312, p=0.0134, role="test"),
        _stat("mean_difference", 4.4445, lo=0.9612, hi=7.9134),
        _stat("hedges_g", 0.6931, lo=0.1551, hi=1.2321, role="effect"),
    ]
    ctx = _ctx(spec="H3_rota", hyp="H3", test="welch_t", outcome="rota", n1=25, n2=32,
               expected="positive", observed="positive", reason="auto: normal -> welch_t")
    ctx |= {"group_var": "internationalized", "group1": "yes", "group2": "no",
            "population": "size_group in ['SME']"}
    return _frame(ctx, stats)


@pytest.fixture()
def results() -> pd.DataFrame:
    return pd.concat([crosstab_rows(), not_estimable_rows(), mw_rows(), logit_rows(),
                      welch_rows()], ignore_index=True)


def _cell(table: table.Table, row_label: str, column: str, panel_contains: str = "") -> str:
    d = table.display
    mask = d.iloc[:, 0] == row_label
    if panel_contains:
        mask &= pd.Series([panel_contains in p for p in table.panels], index=d.index)
    hit = d.loc[mask, column]
    assert len(hit) == 1, (row_label, column, hit)
    return hit.iloc[0]


# --------------------------------------------------------------------------- formatting
@pytest.mark.parametrize(("p", "expected"), [
    (0.0005, "< .001"), (0.000999, "< .001"), (0.001, ".001"), (0.049, ".049"),
    (0.05, ".050"), (0.0504, ".050"), (0.0495, ".0495"), (0.00996, ".00996"),
    (0.0999, ".0999"), (0.2, ".200"), (0.9996, "1.000"),
    (1.0, "1.000"), (NAN, ""), (None, ""),
])
def test_format_p_boundaries(p: float, expected: str) -> None:
    assert fmt.format_p(p) == expected


def test_format_p_keeps_spss_lower_bound_and_na() -> None:
    assert fmt.format_p(0.43, lower_bound=0.2) == ".200*"  # SPSS's Lilliefors bound
    assert fmt.format_p(0.012) == ".012"  # only a flagged bound overrides p
    assert fmt.format_p(NAN, na="–") == "–"


def test_format_num_shortest() -> None:
    assert fmt.format_num(0.05, None) == "0.05"  # alpha as configured
    assert fmt.format_num(1.0, None) == "1" and fmt.format_num(-0.0, None) == "0"


def test_format_num() -> None:
    assert fmt.format_num(2.34567) == "2.346"
    assert fmt.format_num(0.25, 1) == "0.3"  # half away from zero, as printed
    assert fmt.format_num(4.4445) == "4.445"  # the decimal shown, not the binary value
    assert fmt.format_num(-0.125, 2) == "-0.13"
    assert fmt.format_num(-0.0004) == "0.000"  # no negative zero
    assert fmt.format_num(-1.5, 1) == "-1.5"
    assert fmt.format_num(12.0, 0) == "12"
    assert fmt.format_num(pd.NA) == ""
    assert fmt.format_num(NAN, na="–") == "–"
    assert fmt.format_num(math.inf) == "inf"


# --------------------------------------------------------------------------- crosstab
def test_chi_square_tests_cells(results: pd.DataFrame) -> None:
    t = spss.chi_square_tests_table(results, "H1", labels={"H1": "Propensity"})
    p2015 = "year 2015"
    assert _cell(t, "Pearson Chi-Square^{a} (decides)", "Value", p2015) == "5.432"
    assert _cell(t, "Pearson Chi-Square^{a} (decides)", "df", p2015) == "1"
    assert _cell(t, "Pearson Chi-Square^{a} (decides)", "Asymp. Sig. (2-sided)", p2015) == ".020"
    assert _cell(t, "Continuity Correction^{b}", "Value", p2015) == "4.501"
    assert _cell(t, "Continuity Correction^{b}", "Asymp. Sig. (2-sided)", p2015) == ".034"
    assert _cell(t, "Likelihood Ratio", "Value", p2015) == "5.612"
    assert _cell(t, "Fisher's Exact Test", "Value", p2015) == ""
    assert _cell(t, "Fisher's Exact Test", "Exact Sig. (2-sided)", p2015) == ".031"
    assert _cell(t, "Fisher's Exact Test", "Exact Sig. (1-sided)", p2015) == ".016"
    assert _cell(t, "Linear-by-Linear Association", "Value", p2015) == "5.385"
    assert _cell(t, "N of Valid Cases", "Value", p2015) == "114"
    label = next(p for p in t.panels if p2015 in p)
    assert ("a. 1 cells (25.0%) have expected count less than 5. The minimum expected count "
            "is 4.25.") in t.panel_notes[label]
    assert "b. Computed only for a 2x2 table" in t.panel_notes[label]
    assert t.title == "H1: Propensity. Chi-Square Tests"
    # raw values unrounded, Fisher's p in the exact column only
    raw = t.raw.set_index(["year", "statistic"])
    assert raw.loc[(2015, "pearson_chi2"), "value"] == 5.4321
    assert raw.loc[(2015, "pearson_chi2"), "asymp_sig_2sided"] == 0.0198
    assert raw.loc[(2015, "fisher_exact"), "exact_sig_2sided"] == 0.0312
    assert math.isnan(raw.loc[(2015, "fisher_exact"), "asymp_sig_2sided"])


def test_not_estimable_comparison_shows_reason(results: pd.DataFrame) -> None:
    why = "variable 'mgmt_trained' is not available in this panel"
    chi = spss.chi_square_tests_table(results, "H4")
    assert chi.display.iloc[0, 0] == "Not estimable"
    assert chi.display["Note"].iloc[0] == why
    assert chi.raw["status"].iloc[0] == "not estimable"
    summary = journal.summary_table(results, "H4")
    assert summary.display["Status"].iloc[0] == f"not estimable: {why}"
    assert summary.raw["reason"].iloc[0] == why
    counts = spss.crosstab_counts_table(results, "H4")
    assert why in counts.display.iloc[0].tolist()


def test_crosstab_counts_cells(results: pd.DataFrame) -> None:
    t = spss.crosstab_counts_table(results, "H1")
    d = t.display
    assert list(d.columns) == ["Group", "", "No", "Yes", "Total"]
    sme = d.index[d["Group"] == "SME"][0]
    assert d.loc[sme].tolist() == ["SME", "Count", "20", "37", "57"]
    assert d.loc[sme + 1].tolist() == ["", "Expected Count", "15.0", "42.0", "57.0"]
    assert d.loc[sme + 2].tolist() == ["", "% within size_group", "35.1%", "64.9%", "100.0%"]
    assert d[d["Group"] == "Total"].iloc[0].tolist() == ["Total", "Count", "30", "84", "114"]
    raw = t.raw.set_index(["group", "outcome_level"])
    assert raw.loc[("non-SME", "True"), "observed"] == 47
    assert raw.loc[("non-SME", "True"), "expected"] == 42.0
    assert raw.loc[("SME", "False"), "pct_within_group"] == pytest.approx(100 * 20 / 57)


def test_symmetric_measures_and_risk_estimate(results: pd.DataFrame) -> None:
    sym = spss.symmetric_measures_table(results, "H1")
    assert _cell(sym, "Nominal by Nominal: Phi", "Value") == "-0.218"
    assert _cell(sym, "Nominal by Nominal: Phi", "Approx. Sig.") == ".020"
    assert _cell(sym, "Cramér's V", "Value") == "0.218"
    assert _cell(sym, "N of Valid Cases", "Value", "2015") == "114"
    risk = spss.risk_estimate_table(results, "H1")
    assert _cell(risk, "Odds ratio (SME vs non-SME)", "Value") == "0.394"
    assert _cell(risk, "Odds ratio (SME vs non-SME)", "95% CI Lower") == "0.165"
    assert _cell(risk, "Odds ratio (SME vs non-SME)", "95% CI Upper") == "0.939"
    assert _cell(risk, "Share positive: SME", "Value") == "0.649"
    assert _cell(risk, "Risk difference (SME vs non-SME)", "95% CI Upper") == "-0.015"


# --------------------------------------------------------------------------- Mann-Whitney
def test_mann_whitney_tables(results: pd.DataFrame) -> None:
    ranks = spss.mw_ranks_table(results, "H2")
    assert ranks.display[ranks.display["Group"] == "SME"].iloc[0, :4].tolist() == [
        "SME", "57", "51.60", "2941.25"]
    assert ranks.display[ranks.display["Group"] == "non-SME"].iloc[0, :4].tolist() == [
        "non-SME", "57", "63.40", "3613.75"]
    assert ranks.display[ranks.display["Group"] == "Total"]["N"].iloc[0] == "114"
    ts = spss.mw_test_statistics_table(results, "H2")
    row = ts.display.iloc[0]
    assert row["Year"] == "2015"
    assert row["Mann-Whitney U"] == "1288.250"
    assert row["Wilcoxon W"] == "2941.250"
    assert row["Z"] == "-2.023"
    assert row["Asymp. Sig. (2-tailed)"] == ".043"
    assert row["Exact Sig. [2*(1-tailed Sig.)]"] == "–"  # N > 40: SPSS prints none
    assert row["Exact Sig. (ties)"] == "–"  # not computed: shown as a dash, not blank
    assert row["r"] == "-0.190"
    assert row["Rank-biserial"] == "-0.207"
    assert ts.raw["wilcoxon_w_group"].iloc[0] == "SME"
    assert ts.raw["z"].iloc[0] == -2.0234


# --------------------------------------------------------------------------- logit
def test_logit_tables(results: pd.DataFrame) -> None:
    var = spss.logit_variables_table(results, "H1")
    assert var.display.iloc[0].tolist()[:9] == [
        "size_group = SME", "-0.567", "0.289", "3.848", "1", ".0498", "0.567", "0.322",
        "1.000"]  # p = 0.0498: printed so that it does not read as .050 (not significant)
    assert _cell(var, "year = 2016", "Exp(B)") == "1.075"
    assert _cell(var, "Constant", "Sig.") == ".145"
    assert var.header_groups == [("", 7), ("95% C.I. for EXP(B)", 2)]
    note = var.panel_notes[var.panels[0]]
    assert "Standard errors clustered by firm_id (114 clusters)." in note
    summary = spss.logit_model_summary_table(results, "H1").display.iloc[0]
    assert summary.tolist() == ["Pooled", "469.235", "0.011", "0.015"]
    omni = spss.logit_omnibus_table(results, "H1").display.iloc[0]
    assert omni.tolist() == ["Pooled", "3.877", "3", ".275"]
    hl = spss.logit_hosmer_lemeshow_table(results, "H1").display.iloc[0]
    assert hl.tolist() == ["Pooled", "0.432", "4", ".980"]
    cls = spss.logit_classification_table(results, "H1").display
    assert cls.iloc[0].tolist() == ["internationalized = 0", "60", "102", "37.0"]
    assert cls.iloc[1].tolist() == ["internationalized = 1", "44", "136", "75.6"]
    assert cls.iloc[2].tolist() == ["Overall Percentage", "", "", "57.3"]


def test_hosmer_lemeshow_contingency_table(results: pd.DataFrame) -> None:
    t = spss.logit_hl_contingency_table(results, "H1")
    assert t.display.iloc[:, :6].values.tolist() == [
        ["1", "80", "79.512", "91", "91.488", "171"], ["2", "82", "82.488", "89", "88.512", "171"]]
    assert t.raw["total"].sum() == 342
    assert [h for h, _ in t.header_groups][1:3] == ["internationalized = 0",
                                                    "internationalized = 1"]


def test_logit_separation_reason_once_per_panel() -> None:
    why = "complete separation: predictor 'is_SME' predicts the outcome perfectly"
    rows = [_stat(s, term=t, status="not estimable", reason=why, role=r)
            for t in ("is_SME", "constant")
            for s, r in (("B", "detail"), ("se", "detail"),
                         ("wald", "test" if t == "is_SME" else "detail"),
                         ("exp_b", "effect" if t == "is_SME" else "detail"))]
    rows += [_stat("firth_B", 1.678, term="is_SME", p=0.376, lo=-3.2, hi=7.7),
             _stat("firth_se", 2.521, term="is_SME"),
             _stat("firth_p", 0.785, term="is_SME", df=1, p=0.376),
             _stat("firth_exp_b", 5.355, term="is_SME", lo=0.147, hi=2296.5)]
    res = _frame(_ctx(test="logit", year=2016, observed=""), rows)
    t = spss.logit_variables_table(res, "H1")
    assert _cell(t, "size_group = SME", "Note") == "not estimable (see below)"
    assert _cell(t, "size_group = SME (Firth)", "B") == "1.678"
    assert _cell(t, "size_group = SME (Firth)", "Upper") == "2296.500"
    assert t.panel_notes[t.panels[0]].count(f"Not estimable: {why}.") == 1
    assert (t.raw.loc[t.raw["estimator"] == "ML", "reason"] == why).all()


# --------------------------------------------------------------------------- Welch
def test_welch_table(results: pd.DataFrame) -> None:
    row = spss.welch_t_table(results, "H3").display.iloc[0]
    assert row["Mean (SD) group 1"] == "yes: 8.01 (6.99)"
    assert row["Mean (SD) group 2"] == "no: 3.57 (5.73)"
    assert (row["t"], row["df"], row["Sig. (2-tailed)"]) == ("2.570", "46.03", ".013")
    assert (row["Mean Difference"], row["95% CI Lower"], row["95% CI Upper"]) == (
        "4.445", "0.961", "7.913")
    assert row["Hedges g [95% CI]"] == "0.693 [0.155, 1.232]"


# --------------------------------------------------------------------------- summary
def test_summary_table_cells(results: pd.DataFrame) -> None:
    t = journal.summary_table(results, "H1", alpha=0.05)
    d = t.display
    year = d[d["Year"] == "2015"].iloc[0]
    assert year["Test"] == "crosstab"
    assert "Why this test" not in d  # said once under each block, not on every row
    assert "crosstab: configured: crosstab (categorical outcome)" in t.panel_notes[t.panels[0]]
    assert year["n (group 1 / 2)"] == "57 / 57"
    assert year["Statistic"] == "Pearson chi2 = 5.432"
    assert (year["df"], year["p"], year["p (Holm)"], year["p (BH)"]) == (
        "1", ".020", ".040", ".030")
    assert year["Effect [95% CI]"] == "phi = -0.218"
    assert year["Direction (observed / expected)"] == "negative / negative"
    assert year["Status"] == "significant (p < 0.05)"
    pooled = d[d["Year"] == "Pooled"].iloc[0]
    assert pooled["Statistic"] == "Wald = 3.848"
    assert pooled["Effect [95% CI]"] == "Exp(B) = 0.567 [0.322, 1.000]"
    assert pooled["Status"] == "significant (p < 0.05)"
    raw = t.raw.set_index("scope")
    assert raw.loc["year", "direction_as_expected"] == "yes"
    assert raw.loc["year", "p_holm"] == 0.0396
    assert bool(raw.loc["pooled", "significant"]) is True
    assert t.synthetic


# --------------------------------------------------------------------------- normality
def _normality() -> pd.DataFrame:
    rows = []
    for year, grp, ks, ks_p, lb, sw, sw_p in (
            ("", "", 0.045, 0.086, False, 0.981, 0.0004),
            ("2015.0", "SME", 0.078, 0.43, True, 0.976, 0.309)):
        for test, stat, p, bound in (("ks_lilliefors", ks, ks_p, lb),
                                     ("shapiro_wilk", sw, sw_p, False)):
            rows.append({"breakdown": "overall" if not year else "year x size_group",
                         "year": year, "size_group": grp, "variable": "rota", "test": test,
                         "statistic": stat, "df": 57.0 if year else 342.0, "p": p,
                         "lower_bound": bound, "alpha": 0.05,
                         "decision": "not normal" if p < 0.05 else "normal", "status": "ok",
                         "reason": "", "synthetic": True})
    return pd.DataFrame(rows)


def test_normality_table_cells() -> None:
    t = journal.normality_table(_normality(), variable_labels={"rota": "ROTA (%)"})
    d = t.display
    assert d.iloc[0].tolist()[:9] == ["All", "All", "0.045", "342", ".086", "0.981", "342",
                                      "< .001", "not normal"]
    assert d.iloc[1].tolist()[:9] == ["2015", "SME", "0.078", "57", ".200*", "0.976", "57",
                                      ".309", "normal"]
    assert "*. This is a lower bound of the true significance." in t.notes
    assert "a. Lilliefors Significance Correction" in t.notes
    assert t.header_groups[1] == ("Kolmogorov-Smirnov^{a}", 3)
    assert t.panels[0] == "ROTA (%) (rota)"
    raw = t.raw
    assert raw["ks_p"].iloc[1] == 0.43 and bool(raw["ks_lower_bound"].iloc[1])
    assert not any("display" in c for c in raw.columns)  # display strings are made here only
    assert raw["year"].iloc[1] == 2015 and pd.isna(raw["year"].iloc[0])


def test_test_choices(results: pd.DataFrame) -> None:
    t = journal.test_choice_table(results)
    assert t.display["Test used"].tolist() == ["mann_whitney", "welch_t"]
    assert t.display["Why"].tolist() == ["auto: not normal -> mann_whitney",
                                         "auto: normal -> welch_t"]


# --------------------------------------------------------------------------- Table 2
def _verdicts() -> pd.DataFrame:
    rows = []
    for hyp, label, study, verdicts in (
            ("H1", "Propensity to internationalize", "Supported", ("Supported", "Not supported")),
            ("H5", "Export plan", "Not supported", ("Supported", "Not supported"))):
        for rule, verdict in zip(("study", "every_year"), verdicts, strict=True):
            rows.append({"sample": "all", "hypothesis": hyp, "label": label,
                         "secondary": False, "study_verdict": study, "rule": rule,
                         "rule_description": f"the {rule} rule", "verdict": verdict,
                         "agree": "agree" if verdict == study else "differ",
                         "units_supported": 1 if verdict == "Supported" else 0,
                         "units_estimable": 4, "units_total": 5,
                         "direction_observed": "negative", "summary": f"{hyp} evidence"})
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def test_verdict_table_cells() -> None:
    t = journal.verdict_table(_verdicts())
    d = t.display
    assert d.columns.tolist() == ["Hypothesis", "Study (Table 2)", "study (default rule)",
                                  "every_year", "Direction observed"]
    assert d.iloc[0].tolist() == ["H1 Propensity to internationalize", "Supported",
                                  "Supported ✓", "Not supported ✗", "negative"]
    assert d.iloc[1, 2] == "Supported ✗"
    assert t.raw["agree_every_year"].tolist() == ["differ", "agree"]
    assert t.raw["units_supported_study"].tolist()[0] == 1  # the units stay in the CSV
    assert t.raw["summary"].tolist()[0] == "H1 evidence"
    assert t.journal
    assert "Rule study (default): the study rule." in t.notes


def test_read_verdicts_keeps_na_strings(tmp_path) -> None:
    v = _verdicts()
    v.loc[0, "agree"] = "n/a"
    v.to_csv(tmp_path / "verdicts.csv", index=False)
    back = table.read_verdicts(tmp_path / "verdicts.csv")
    assert back.loc[0, "agree"] == "n/a"
    assert back["units_total"].tolist() == [5.0] * 4


# --------------------------------------------------------------------------- Table 1
def _panel() -> pd.DataFrame:
    rows = []
    for firm in range(4):
        for year in (2015, 2016):
            rows.append({"firm_id": f"F{firm}", "country": "Ghana" if firm < 3 else "India",
                         "year": year, "size_group": "SME" if firm < 2 else "non-SME",
                         "export_share": float(10 * firm + year - 2015),
                         "internationalized": firm > 0, "synthetic": True})
    df = pd.DataFrame(rows)
    df["size_group"] = pd.Categorical(df["size_group"], categories=["SME", "non-SME"])
    df["internationalized"] = df["internationalized"].astype("boolean")
    return df


def test_table1_sample_and_descriptives() -> None:
    cb = {"variables": {"export_share": {"type": "number", "unit": "% of annual sales",
                                         "label": "Export share"}}}
    s = journal.sample_table(_panel())
    assert s.display.iloc[0].tolist() == ["Ghana", "2", "1", "3", "4", "2", "6", "3", "3"]
    assert s.display.iloc[-1].tolist() == ["Total", "2", "2", "4", "4", "4", "8", "4", "4"]
    d = journal.descriptives_table(_panel(), cb)
    assert d.display.iloc[0].tolist() == [
        "Export share (% of annual sales)", "5.5 [0.3, 10.8] (n = 4)",
        "25.5 [20.3, 30.8] (n = 4)", "15.5 [3.3, 27.8] (n = 8)"]
    assert d.display.iloc[1].tolist() == ["Internationalized (export share > 0)",
                                          "50.0% (2/4)", "100.0% (4/4)", "75.0% (6/8)"]
    raw = d.raw.set_index(["variable", "group"])
    assert raw.loc[("export_share", "non-SME"), "median"] == 25.5
    assert raw.loc[("export_share", "All"), "q1"] == 3.25  # SPSS HAVERAGE, raw in the CSV
    assert raw.loc[("internationalized", "All"), "share"] == 0.75
    assert s.synthetic and d.synthetic


# --------------------------------------------------------------------------- across samples
def test_cross_sample_table(results: pd.DataFrame) -> None:
    india = logit_rows().assign(sample="india")
    india.loc[india["statistic"] == "exp_b", "value"] = 0.75
    t = journal.cross_sample_table({"all": results, "india": india})
    h1 = t.display[[p.startswith("H1 H1_crosstab") for p in t.panels]]
    assert h1["Sample"].tolist() == ["all", "india"]
    assert h1["Effect [95% CI]"].tolist()[0] == "Exp(B) = 0.567 [0.322, 1.000]"
    assert h1["Effect [95% CI]"].tolist()[1].startswith("Exp(B) = 0.750")
    assert h1["Years sig. in expected direction"].tolist() == ["1 of 1", "0 of 0"]


# --------------------------------------------------------------------------- writers
def test_write_table_formats_and_determinism(results: pd.DataFrame, tmp_path) -> None:
    t = spss.chi_square_tests_table(results, "H1")
    assert t.write(tmp_path / "d") == [tmp_path / "d" / f"H1_chi_square_tests.{x}"
                                        for x in ("csv", "html", "meta.json")]  # default
    fmts = ("csv", "md", "tex", "html", "docx")
    a = t.write(tmp_path / "a", fmts)
    b = t.write(tmp_path / "b", fmts)
    assert [p.name for p in a] == ["H1_chi_square_tests.csv", "H1_chi_square_tests.md",
                                   "H1_chi_square_tests.tex", "H1_chi_square_tests.html",
                                   "H1_chi_square_tests.docx", "H1_chi_square_tests.meta.json"]
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes()
        assert pa.suffix == ".docx" or b"\r\n" not in pa.read_bytes()
    csv = pd.read_csv(a[0])
    row = csv[csv["statistic"] == "pearson_chi2"].iloc[0]
    assert row["value"] == 5.4321 and row["asymp_sig_2sided"] == 0.0198  # raw, not rounded
    assert csv["synthetic"].all()
    md, tex, html = (p.read_text(encoding="utf-8") for p in a[1:4])
    assert "Synthetic data:" in md and "Synthetic data:" in html and "Synthetic data:" in tex
    assert "| Pearson Chi-Square<sup>a</sup> (decides) | 5.432 | 1 | .020 |" in md
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert rule in tex
    assert r"Pearson Chi-Square\textsuperscript{a} (decides) & 5.432 & 1 & .020" in tex
    assert '<table class="sme-table"' in html and "<caption>" in html
    meta = json.loads(a[5].read_text(encoding="utf-8"))
    assert meta["synthetic"] is True and meta["notes"][0].startswith("Synthetic data")


def test_write_table_default_display_and_no_synthetic(tmp_path) -> None:
    df = pd.DataFrame({"name": ["a|b", "c"], "p": [0.0004, 0.5], "value": [1.23456, np.nan],
                       "n": pd.array([3, 4], dtype="Int64")})
    paths = table.write_table(df, "plain", ("csv", "md"), "Plain", ["A note."], outdir=tmp_path)
    md = paths[1].read_text(encoding="utf-8")
    assert "| a\\|b | < .001 | 1.235 | 3 |" in md
    assert "| c | .500 |  | 4 |" in md
    assert "Synthetic data" not in md
    assert pd.read_csv(paths[0])["synthetic"].tolist() == [False, False]
    with pytest.raises(ValueError, match="unknown table format"):
        table.write_table(df, "x", ("pdf",), outdir=tmp_path)


def test_render_tables(results: pd.DataFrame, tmp_path) -> None:
    res_dir = tmp_path / "analysis"
    res_dir.mkdir()
    results.to_csv(res_dir / "results.csv", index=False)
    _verdicts().to_csv(res_dir / "verdicts.csv", index=False)
    _normality().to_csv(res_dir / "normality.csv", index=False)
    out = tmp_path / "tables"
    paths = tables.render_tables(res_dir / "results.csv", out, verdicts=res_dir / "verdicts.csv",
                                 normality=res_dir / "normality.csv", panel=_panel(),
                                 formats=("csv", "md"),
                                 samples={"all": res_dir / "results.csv",
                                          "india": logit_rows().assign(sample="india")})
    names = {p.name for p in paths}
    for stem in ("table1_sample", "table1_descriptives", "table2_verdicts", "normality",
                 "test_choices", "H1_summary", "H1_chi_square_tests", "H1_logit_variables",
                 "H2_mw_ranks", "H3_welch_t", "H4_chi_square_tests", "cross_sample"):
        assert f"{stem}.csv" in names and f"{stem}.md" in names, stem
    assert "H2_chi_square_tests.csv" not in names  # H2 used no crosstab
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {e["kind"] for e in manifest} == {"table"}
    assert {e["sample"] for e in manifest} == {"all"}  # the report selects by this key
    first = next(e for e in manifest if e["stem"] == "H1_summary")
    assert first["section"] == "H1: Propensity to internationalize"
    assert first["caption"].startswith("Synthetic data")
    # the not-estimable H4 comparison survives the CSV round trip with its reason
    h4 = pd.read_csv(out / "H4_summary.csv")
    assert h4["reason"].iloc[0] == "variable 'mgmt_trained' is not available in this panel"
    # verdicts.csv has no synthetic column: Table 2 takes it from the results
    assert "Synthetic data" in (out / "table2_verdicts.md").read_text(encoding="utf-8")


def test_run_tables_reads_exactly_the_declared_files(results: pd.DataFrame, tmp_path) -> None:
    """The stage is given every file; a declared file that is missing is an error, not a skip,
    and nothing is looked up beside results.csv."""
    res_dir = tmp_path / "analysis"
    res_dir.mkdir()
    results.to_csv(res_dir / "results.csv", index=False)
    _verdicts().to_csv(tmp_path / "my_verdicts.csv", index=False)
    _normality().to_csv(tmp_path / "my_normality.csv", index=False)
    india = tmp_path / "india.csv"
    logit_rows().assign(sample="india").to_csv(india, index=False)
    _panel().to_parquet(tmp_path / "panel.parquet")
    kwargs = {"results": str(res_dir / "results.csv"), "panel": str(tmp_path / "panel.parquet"),
              "codebook": str(tmp_path / "codebook.yaml"), "alpha": 0.05}
    (tmp_path / "codebook.yaml").write_text("variables: {}\n", encoding="utf-8")
    out = tmp_path / "tables"
    tables.run_tables(**kwargs, verdicts=str(tmp_path / "my_verdicts.csv"),
                      normality=str(tmp_path / "my_normality.csv"), outdir=str(out),
                      samples=[str(res_dir / "results.csv"), str(india)])
    for stem in ("table2_verdicts", "normality", "cross_sample"):
        assert (out / f"{stem}.csv").is_file(), stem
    cross = pd.read_csv(out / "cross_sample.csv")
    assert set(cross["sample"]) == {"all", "india"}  # names from the files' sample column
    with pytest.raises(FileNotFoundError):
        tables.run_tables(**kwargs, verdicts=str(res_dir / "verdicts.csv"),  # not written
                          normality=str(tmp_path / "my_normality.csv"),
                          outdir=str(tmp_path / "t2"))

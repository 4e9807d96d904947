"""Tests of analysis.stats (crosstab, mann_whitney, logistic_regression).

Expected values come from hand arithmetic (written out in the comments), from published
worked examples (Fisher's tea tasting, Newcombe 1998, Agresti's job-satisfaction table as used
in R's fisher.test documentation, the Firth = Haldane identity for 2x2 tables) or from a second
computation path that shares no code with the module (enumeration of all permutations, direct
likelihood maximisation with scipy.optimize, a hand-written sandwich estimator, statsmodels'
Wilson interval, numpy's correlation on the case-level data).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special, stats
from statsmodels.stats.proportion import proportion_confint

from analysis.columns import STAT_COLUMNS
from analysis.stats import crosstab, logistic_regression, mann_whitney, welch_t
from analysis.stats.regression import _hl_groups, _hosmer_lemeshow

Z = stats.norm.ppf(0.975)


def cases(counts: dict[tuple[object, object], int], row: str = "g", col: str = "y",
          ) -> pd.DataFrame:
    """Case-level data with the given cell counts."""
    rows = [(r, c) for (r, c), k in counts.items() for _ in range(k)]
    return pd.DataFrame(rows, columns=[row, col])


def get(res: pd.DataFrame, statistic: str, term: str = "") -> pd.Series:
    """The single row with this statistic and term."""
    hit = res[(res["statistic"] == statistic) & (res["term"] == term)]
    assert len(hit) == 1, f"{statistic!r}/{term!r}: {len(hit)} rows"
    return hit.iloc[0]


def check_contract(res: pd.DataFrame) -> None:
    assert list(res.columns) == STAT_COLUMNS
    assert set(res["status"]) <= {"ok", "not estimable"}
    ok = res["status"] == "ok"
    assert (res.loc[ok, "reason"] == "").all()
    bad = res.loc[~ok]
    assert bad["value"].isna().all() and (bad["reason"].str.len() > 0).all()
    for c in ("value", "df", "p", "ci_low", "ci_high"):
        assert res[c].dtype == float
    assert res["statistic"].str.fullmatch(r"[a-zA-Z0-9_]+").all()


# =============================================================================================
# crosstab
# =============================================================================================


@pytest.fixture
def tea() -> pd.DataFrame:
    # Fisher (1935): 8 cups, 4 with milk first; the lady identifies 3 of the 4 correctly
    return cases({("milk", "milk"): 3, ("milk", "tea"): 1, ("tea", "milk"): 1,
                  ("tea", "tea"): 3}, "poured", "guess")


def test_crosstab_tea_tasting(tea):
    res = crosstab(tea, "poured", "guess")
    check_contract(res)
    # observed and expected (all expected = 4 * 4 / 8 = 2)
    assert [get(res, "observed", t)["value"] for t in
            ("milk|milk", "milk|tea", "tea|milk", "tea|tea")] == [3, 1, 1, 3]
    assert (res.loc[res["statistic"] == "expected", "value"] == 2.0).all()
    # Pearson: N (ad - bc)^2 / (R1 R2 C1 C2) = 8 * (9 - 1)^2 / 4^4 = 512 / 256 = 2.0
    pearson = get(res, "pearson_chi2")
    assert pearson["value"] == pytest.approx(2.0)
    # chi-square with 1 df is a squared standard normal: p = 2 (1 - Phi(sqrt 2)) = 0.1573
    assert pearson["df"] == 1
    assert pearson["p"] == pytest.approx(2 * stats.norm.sf(math.sqrt(2.0)))
    # Yates: N (|ad - bc| - N/2)^2 / (...) = 8 * (8 - 4)^2 / 256 = 0.5
    assert get(res, "yates_chi2")["value"] == pytest.approx(0.5)
    # G = 2 [6 * 3 ln(3/2)/3 ... ] = 2 (2 * 3 ln 1.5 + 2 * 1 ln 0.5) = 2 (2.432790 - 1.386294)
    assert get(res, "likelihood_ratio")["value"] == pytest.approx(2.092992, abs=1e-6)
    # Fisher: P(3 right) = C(4,3)C(4,1)/C(8,4) = 16/70, P(4 right) = 1/70;
    # two-sided = (1 + 16 + 16 + 1)/70 = 0.4857, one-sided = 17/70 = 0.2429
    assert get(res, "fisher_exact")["p"] == pytest.approx(34 / 70)
    assert get(res, "fisher_exact_one_sided")["p"] == pytest.approx(17 / 70)
    assert math.isnan(get(res, "fisher_exact")["value"])
    # linear-by-linear = (N - 1) r^2 = 7 * 0.5^2 = 1.75
    assert get(res, "linear_by_linear")["value"] == pytest.approx(1.75)
    assert get(res, "cells_expected_lt5")["value"] == 4
    assert get(res, "pct_cells_expected_lt5")["value"] == 100
    assert get(res, "min_expected")["value"] == 2
    # phi = +sqrt(2/8) = 0.5 (ad - bc > 0), Cramer's V = 0.5, both with the Pearson p
    assert get(res, "phi")["value"] == pytest.approx(0.5)
    assert get(res, "cramers_v")["value"] == pytest.approx(0.5)
    assert get(res, "phi")["p"] == pytest.approx(pearson["p"])


def test_crosstab_textbook_2x2_negative_association():
    # a=20 b=30 / c=35 d=15, N = 100, R = (50, 50), C = (55, 45), ad - bc = 300 - 1050 = -750
    data = cases({("A", 1): 20, ("A", 0): 30, ("B", 1): 35, ("B", 0): 15})
    res = crosstab(data, "g", "y", col_order=[1, 0], positive=1)
    check_contract(res)
    denom = 50 * 50 * 55 * 45  # 6,187,500
    chi2 = 100 * 750**2 / denom  # 9.0909
    assert get(res, "pearson_chi2")["value"] == pytest.approx(chi2)
    assert chi2 == pytest.approx(9.090909, abs=1e-6)
    yates = 100 * (750 - 50) ** 2 / denom  # 7.9192
    assert get(res, "yates_chi2")["value"] == pytest.approx(yates)
    # cross-check only: scipy's default applies exactly this correction to 2x2 tables
    sp = stats.chi2_contingency([[20, 30], [35, 15]], correction=True)
    assert get(res, "yates_chi2")["value"] == pytest.approx(sp.statistic)
    assert get(res, "yates_chi2")["p"] == pytest.approx(sp.pvalue)
    # G by the textbook formula 2 sum O ln(O / E)
    e = {"a": 27.5, "b": 22.5, "c": 27.5, "d": 22.5}
    g = 2 * (20 * math.log(20 / e["a"]) + 30 * math.log(30 / e["b"])
             + 35 * math.log(35 / e["c"]) + 15 * math.log(15 / e["d"]))
    assert get(res, "likelihood_ratio")["value"] == pytest.approx(g)
    assert get(res, "linear_by_linear")["value"] == pytest.approx(99 / 100 * chi2)
    # phi is negative because ad < bc
    assert get(res, "phi")["value"] == pytest.approx(-math.sqrt(chi2 / 100))
    assert get(res, "cramers_v")["value"] == pytest.approx(math.sqrt(chi2 / 100))
    # Fisher from the hypergeometric distribution of cell a (M=100, row A = 50, column 1 = 55)
    hyper = stats.hypergeom(100, 50, 55)
    support = np.arange(5, 51)
    pmf = hyper.pmf(support)
    two_sided = pmf[pmf <= hyper.pmf(20) * (1 + 1e-7)].sum()
    assert get(res, "fisher_exact")["p"] == pytest.approx(two_sided, rel=1e-9)
    # observed association is negative (a below E = 27.5): one-sided p = P(a <= 20)
    assert get(res, "fisher_exact_one_sided")["p"] == pytest.approx(hyper.cdf(20), rel=1e-9)
    # odds ratio ad/bc = 300/1050 with Woolf CI exp(ln OR +- 1.96 sqrt(1/a+1/b+1/c+1/d))
    orow = get(res, "odds_ratio", "A vs B")
    se = math.sqrt(1 / 20 + 1 / 30 + 1 / 35 + 1 / 15)  # 0.422577
    assert orow["value"] == pytest.approx(300 / 1050)
    assert orow["ci_low"] == pytest.approx(300 / 1050 * math.exp(-Z * se))
    assert orow["ci_high"] == pytest.approx(300 / 1050 * math.exp(Z * se))
    assert get(res, "risk_difference", "A vs B")["value"] == pytest.approx(0.4 - 0.7)


def test_crosstab_proportions_wilson_and_newcombe_published():
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 vs 48/80, difference 0.2000,
    # hybrid score interval (method 10) 0.0524 to 0.3339
    data = cases({("g1", True): 56, ("g1", False): 14, ("g2", True): 48, ("g2", False): 32})
    res = crosstab(data, "g", "y", positive=True)
    rd = get(res, "risk_difference", "g1 vs g2")
    assert rd["value"] == pytest.approx(0.2)
    assert rd["ci_low"] == pytest.approx(0.0524, abs=5e-5)
    assert rd["ci_high"] == pytest.approx(0.3339, abs=5e-5)
    # Wilson interval per group: second path = statsmodels
    for term, (x, n) in {"g1": (56, 70), "g2": (48, 80)}.items():
        row = get(res, "proportion", term)
        lo, hi = proportion_confint(x, n, alpha=0.05, method="wilson")
        assert row["value"] == pytest.approx(x / n)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-12)
    # example (b): 9/10 vs 3/10 -> 0.6000, 0.1705 to 0.8090
    data = cases({("g1", 1): 9, ("g1", 0): 1, ("g2", 1): 3, ("g2", 0): 7})
    rd = get(crosstab(data, "g", "y", positive=1), "risk_difference", "g1 vs g2")
    assert (rd["ci_low"], rd["ci_high"]) == pytest.approx((0.1705, 0.8090), abs=5e-5)


def test_crosstab_wilson_single_proportion_published():
    # Newcombe (1998), Stat Med 17:857: 81/263 = 0.3080, Wilson 0.2553 to 0.3662
    data = cases({("all", "yes"): 81, ("all", "no"): 182})
    row = get(crosstab(data, "g", "y", positive="yes"), "proportion", "all")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.2553, 0.3662), abs=5e-5)


def test_crosstab_2x2_with_zero_cell_is_estimable():
    # SME: 0 yes / 10 no; non-SME: 5 yes / 5 no. N = 20, R = (10, 10), C = (5, 15)
    data = cases({("SME", True): 0, ("SME", False): 10, ("non-SME", True): 5,
                  ("non-SME", False): 5}, "size_group", "export_plan")
    res = crosstab(data, "size_group", "export_plan", row_order=["SME", "non-SME"],
                   col_order=[True, False], positive=True)
    check_contract(res)
    assert get(res, "observed", "SME|True")["value"] == 0
    # chi2 = N (ad - bc)^2 / (R1 R2 C1 C2) = 20 * (0*5 - 10*5)^2 / (10*10*5*15) = 6.6667
    assert get(res, "pearson_chi2")["value"] == pytest.approx(20 * 2500 / 7500)
    assert get(res, "pearson_chi2")["status"] == "ok"
    # G = 2 [10 ln(10/7.5) + 5 ln(5/2.5) + 5 ln(5/7.5)] (the zero cell contributes 0)
    g = 2 * (10 * math.log(10 / 7.5) + 5 * math.log(2) + 5 * math.log(5 / 7.5))
    assert get(res, "likelihood_ratio")["value"] == pytest.approx(g)  # 8.6305
    # expected 2.5 / 7.5 / 2.5 / 7.5: two cells below 5 (50 %), minimum 2.5
    assert get(res, "cells_expected_lt5")["value"] == 2
    assert get(res, "pct_cells_expected_lt5")["value"] == 50
    assert get(res, "min_expected")["value"] == 2.5
    assert get(res, "phi")["value"] == pytest.approx(-math.sqrt(6.666667 / 20), abs=1e-6)
    # odds ratio undefined (0 / 50); Haldane: (0.5 * 5.5) / (10.5 * 5.5) = 0.047619
    odds = get(res, "odds_ratio", "SME vs non-SME")
    assert odds["status"] == "not estimable" and "zero" in odds["reason"]
    hal = get(res, "odds_ratio_haldane", "SME vs non-SME")
    assert hal["value"] == pytest.approx(0.5 / 10.5)
    se = math.sqrt(1 / 0.5 + 1 / 10.5 + 1 / 5.5 + 1 / 5.5)
    assert hal["ci_high"] == pytest.approx(0.5 / 10.5 * math.exp(Z * se))
    assert get(res, "proportion", "SME")["value"] == 0.0
    assert get(res, "proportion", "SME")["ci_low"] == 0.0


def test_crosstab_empty_group_keeps_counts():
    data = cases({("SME", True): 4, ("SME", False): 6}, "size_group", "export_plan")
    res = crosstab(data, "size_group", "export_plan", row_order=["SME", "non-SME"],
                   positive=True)
    check_contract(res)
    assert get(res, "observed", "non-SME|True")["value"] == 0
    assert get(res, "row_total", "non-SME")["value"] == 0
    assert get(res, "n_valid")["value"] == 10
    for s in ("pearson_chi2", "yates_chi2", "likelihood_ratio", "fisher_exact",
              "fisher_exact_one_sided", "linear_by_linear", "phi", "cramers_v"):
        row = get(res, s)
        assert row["status"] == "not estimable"
        assert row["reason"] == "group 'non-SME' has no observations"
    assert get(res, "proportion", "SME")["value"] == 0.4
    assert get(res, "proportion", "non-SME")["status"] == "not estimable"
    assert get(res, "risk_difference", "SME vs non-SME")["status"] == "not estimable"


def test_crosstab_empty_category_of_categorical_column():
    data = pd.DataFrame({
        "size_group": pd.Categorical(["non-SME"] * 6, categories=["SME", "non-SME"]),
        "export_plan": [True, False, True, True, False, False]})
    res = crosstab(data, "size_group", "export_plan")
    assert get(res, "row_total", "SME")["value"] == 0
    assert get(res, "pearson_chi2")["reason"] == "group 'SME' has no observations"


def test_crosstab_single_valued_outcome():
    data = cases({("SME", True): 3, ("non-SME", True): 5}, "size_group", "export_plan")
    res = crosstab(data, "size_group", "export_plan", positive=True)
    check_contract(res)
    reason = "outcome 'export_plan' has a single value (True) in this subset"
    assert get(res, "pearson_chi2")["reason"] == reason
    assert get(res, "fisher_exact")["status"] == "not estimable"
    assert get(res, "observed", "SME|True")["value"] == 3
    assert get(res, "observed", "non-SME|True")["value"] == 5
    assert get(res, "proportion", "SME")["value"] == 1.0


def test_crosstab_single_valued_group_without_declared_levels():
    data = cases({("SME", True): 3, ("SME", False): 2}, "size_group", "export_plan")
    res = crosstab(data, "size_group", "export_plan")
    assert get(res, "pearson_chi2")["reason"] == \
        "grouping variable 'size_group' has a single value ('SME') in this subset"


def test_crosstab_missing_and_excluded_counts():
    data = pd.DataFrame({"size_group": ["SME", "SME", "non-SME", None, "micro", "non-SME"],
                         "export_plan": [True, False, pd.NA, True, True, False]})
    res = crosstab(data, "size_group", "export_plan", row_order=["SME", "non-SME"])
    assert get(res, "n_missing")["value"] == 2
    assert get(res, "n_excluded")["value"] == 1
    assert get(res, "n_valid")["value"] == 3


def test_crosstab_r_by_c_textbook_and_exact():
    # 2 x 3: group A (10, 5, 5), group B (4, 6, 10); N = 40, R = (20, 20), C = (14, 11, 15)
    obs = np.array([[10, 5, 5], [4, 6, 10]])
    data = cases({(r, c): int(obs[i, j]) for i, r in enumerate("AB")
                  for j, c in enumerate(["low", "mid", "high"])})
    res = crosstab(data, "g", "y", col_order=["low", "mid", "high"])
    check_contract(res)
    e = np.outer(obs.sum(1), obs.sum(0)) / 40  # 7, 5.5, 7.5 in both rows
    chi2 = sum((obs[i, j] - e[i, j]) ** 2 / e[i, j] for i in range(2) for j in range(3))
    # = 2 * (9/7 + 0.25/5.5 + 6.25/7.5) = 2 * (1.285714 + 0.045455 + 0.833333) = 4.329004
    assert chi2 == pytest.approx(4.329004, abs=1e-6)
    assert get(res, "pearson_chi2")["value"] == pytest.approx(chi2)
    assert get(res, "pearson_chi2")["df"] == 2
    assert get(res, "cramers_v")["value"] == pytest.approx(math.sqrt(chi2 / 40))
    assert "yates_chi2" not in set(res["statistic"])
    # exact p by brute force: every first row (x1, x2, x3) with these margins
    lf = [math.lgamma(k + 1) for k in range(41)]

    def logp(t: list[list[int]]) -> float:
        return (lf[20] * 2 + lf[14] + lf[11] + lf[15] - lf[40]
                - sum(lf[v] for r in t for v in r))

    p_obs = logp(obs.tolist())
    total = 0.0
    for x1 in range(15):
        for x2 in range(12):
            x3 = 20 - x1 - x2
            if 0 <= x3 <= 15:
                t = [[x1, x2, x3], [14 - x1, 11 - x2, 15 - x3]]
                if logp(t) <= p_obs + 1e-7:
                    total += math.exp(logp(t))
    assert get(res, "fisher_exact")["p"] == pytest.approx(total, rel=1e-9)
    # linear-by-linear on positions 1, 2, 3 = (N - 1) r^2 of the case-level scores
    u = data["g"].map({"A": 1, "B": 2}).to_numpy(float)
    v = data["y"].map({"low": 1, "mid": 2, "high": 3}).to_numpy(float)
    r = np.corrcoef(u, v)[0, 1]
    assert get(res, "linear_by_linear")["value"] == pytest.approx(39 * r**2)


def test_crosstab_linear_by_linear_uses_numeric_level_values():
    data = cases({("a", 1): 5, ("a", 2): 3, ("a", 10): 1, ("b", 1): 2, ("b", 2): 4,
                  ("b", 10): 6})
    res = crosstab(data, "g", "y")
    u = (data["g"] == "b").to_numpy(float)
    r = np.corrcoef(u, data["y"].to_numpy(float))[0, 1]
    assert get(res, "linear_by_linear")["value"] == pytest.approx((len(data) - 1) * r**2)


def test_crosstab_fisher_r_by_c_published_job_satisfaction():
    # Agresti (2002, p. 57) job satisfaction by income; R's ?fisher.test: p-value = 0.7827
    job = np.array([[1, 2, 1, 0], [3, 3, 6, 1], [10, 10, 14, 9], [6, 7, 12, 11]])
    data = cases({(i, j): int(job[i, j]) for i in range(4) for j in range(4)})
    res = crosstab(data, "g", "y")
    assert get(res, "fisher_exact")["p"] == pytest.approx(0.7827, abs=5e-5)
    assert get(res, "pearson_chi2")["df"] == 9


def test_crosstab_fisher_r_by_c_too_large(monkeypatch):
    import analysis.stats.contingency as contingency

    monkeypatch.setattr(contingency, "FISHER_MAX_TABLES", 5)
    data = cases({(i, j): 3 + i + j for i in range(3) for j in range(3)})
    row = get(crosstab(data, "g", "y"), "fisher_exact")
    assert row["status"] == "not estimable"
    assert row["reason"].startswith("Fisher's exact test for r x c tables not computed")


def test_crosstab_exact_2x2_tea_tasting(tea):
    # first cell a = 0..4 with probabilities 1 16 36 16 1 (/70); Pearson = (8a - 16)^2 / 32:
    # 8, 2, 0, 2, 8 -> P(chi2 >= 2) = (1 + 16 + 16 + 1) / 70, one-sided P(a >= 3) = 17 / 70.
    # G orders the tables in the same way, so its exact p is the same
    res = crosstab(tea, "poured", "guess", exact=True)
    check_contract(res)
    assert get(res, "pearson_chi2_exact")["p"] == pytest.approx(34 / 70)
    assert get(res, "pearson_chi2_exact")["value"] == pytest.approx(2.0)
    assert get(res, "pearson_chi2_exact_one_sided")["p"] == pytest.approx(17 / 70)
    assert get(res, "likelihood_ratio_exact")["p"] == pytest.approx(34 / 70)
    assert get(res, "likelihood_ratio_exact_one_sided")["p"] == pytest.approx(17 / 70)
    # string levels: no linear-by-linear exact test (SPSS prints it only for numeric variables)
    row = get(res, "linear_by_linear_exact")
    assert row["status"] == "not estimable" and "numeric" in row["reason"]
    assert "fisher_freeman_halton" not in set(res["statistic"])
    # exact=False (the default) adds none of these rows
    plain = crosstab(tea, "poured", "guess")
    added = {"pearson_chi2_exact", "pearson_chi2_exact_one_sided", "likelihood_ratio_exact",
             "likelihood_ratio_exact_one_sided", "linear_by_linear_exact",
             "linear_by_linear_exact_one_sided", "linear_by_linear_standardized",
             "point_probability"}
    assert added <= set(res["statistic"]) and not added & set(plain["statistic"])
    assert len(res) > len(plain)


def test_crosstab_exact_r_by_c_by_enumeration():
    # 2 x 3 table with numeric levels (rows 0/1, columns 1/2/3): every table with these margins
    # enumerated by brute force over its first row
    obs = [[3, 1, 0], [1, 2, 4]]
    data = cases({(i, j + 1): obs[i][j] for i in range(2) for j in range(3)})
    res = crosstab(data, "g", "y", exact=True)
    check_contract(res)
    rows, cols, n = [4, 7], [4, 3, 4], 11
    lf = [math.lgamma(k + 1) for k in range(n + 1)]
    expected = [[r * c / n for c in cols] for r in rows]
    mean_t = (0 * 4 + 1 * 7) * (1 * 4 + 2 * 3 + 3 * 4) / n

    def describe(t):
        logp = (sum(lf[r] for r in rows) + sum(lf[c] for c in cols) - lf[n]
                - sum(lf[v] for r in t for v in r))
        x2 = sum((t[i][j] - expected[i][j]) ** 2 / expected[i][j]
                 for i in range(2) for j in range(3))
        g2 = 2 * sum(t[i][j] * math.log(t[i][j] / expected[i][j])
                     for i in range(2) for j in range(3) if t[i][j])
        lin = sum(i * (j + 1) * t[i][j] for i in range(2) for j in range(3))
        return math.exp(logp), x2, g2, lin

    tables = []
    for a in range(5):
        for b in range(4):
            c = 4 - a - b
            if 0 <= c <= 4:
                tables.append([[a, b, c], [4 - a, 3 - b, 4 - c]])
    info = [describe(t) for t in tables]
    p_obs, x2_obs, g2_obs, t_obs = describe(obs)
    assert sum(i[0] for i in info) == pytest.approx(1.0)
    eps = 1e-9
    assert get(res, "pearson_chi2_exact")["p"] == pytest.approx(
        sum(p for p, x2, _, _ in info if x2 >= x2_obs - eps))
    assert get(res, "likelihood_ratio_exact")["p"] == pytest.approx(
        sum(p for p, _, g2, _ in info if g2 >= g2_obs - eps))
    assert get(res, "fisher_freeman_halton")["p"] == pytest.approx(
        sum(p for p, *_ in info if p <= p_obs * (1 + 1e-7)))
    assert get(res, "fisher_freeman_halton")["p"] == pytest.approx(get(res, "fisher_exact")["p"])
    # linear-by-linear: T = sum u_i v_j x_ij; t_obs = 1 + 4 + 12 = 17 > E(T) = 7 * 22 / 11 = 14
    assert t_obs == 17 and mean_t == 14
    assert get(res, "linear_by_linear_exact")["p"] == pytest.approx(
        sum(p for p, _, _, t in info if abs(t - 14) >= 3 - eps))
    assert get(res, "linear_by_linear_exact_one_sided")["p"] == pytest.approx(
        sum(p for p, _, _, t in info if t >= 17 - eps))
    assert get(res, "point_probability")["value"] == pytest.approx(
        sum(p for p, _, _, t in info if abs(t - 17) < eps))
    # standardized statistic: + sqrt((N - 1) r^2), signed like T - E(T)
    assert get(res, "linear_by_linear_standardized")["value"] == pytest.approx(
        math.sqrt(get(res, "linear_by_linear")["value"]))
    # Fisher-Freeman-Halton statistic -2 ln(gamma P), gamma = (2 pi)^((r-1)(c-1)/2)
    # N^(-(rc-1)/2) prod R_i^((c-1)/2) prod C_j^((r-1)/2)
    gamma = ((2 * math.pi) ** 1 * n ** -2.5 * (4 * 7) ** 1 * (4 * 3 * 4) ** 0.5)
    assert get(res, "fisher_freeman_halton")["value"] == pytest.approx(
        -2 * math.log(gamma * p_obs))


def test_crosstab_exact_too_many_tables(monkeypatch):
    import analysis.stats.contingency as contingency

    monkeypatch.setattr(contingency, "EXACT_MAX_TABLES", 5)
    data = cases({(i, j): 3 + i + j for i in range(3) for j in range(3)})
    res = crosstab(data, "g", "y", exact=True)
    check_contract(res)
    row = get(res, "pearson_chi2_exact")
    assert row["status"] == "not estimable" and row["reason"].startswith(
        "exact tests not computed: more than 5 tables")
    # the Fisher-Freeman-Halton test has its own (network) algorithm and is still computed
    assert get(res, "fisher_freeman_halton")["status"] == "ok"
    assert get(res, "linear_by_linear_standardized")["status"] == "ok"


def test_crosstab_programmer_errors(tea):
    with pytest.raises(KeyError, match="guesss"):
        crosstab(tea, "poured", "guesss")
    with pytest.raises(ValueError, match="positive"):
        crosstab(tea, "poured", "guess", col_order=["milk", "tea"], positive="coffee")
    with pytest.raises(ValueError, match="duplicate"):
        crosstab(tea, "poured", "guess", row_order=["milk", "milk"])


# =============================================================================================
# Mann-Whitney
# =============================================================================================


def u_by_counting(x: np.ndarray, y: np.ndarray) -> float:
    """U of x: pairs with x > y plus half the ties (definition, no ranks)."""
    return float(sum((a > b) + 0.5 * (a == b) for a in x for b in y))


def exact_by_enumeration(x: np.ndarray, y: np.ndarray) -> float:
    """SPSS 2*(1-tailed) exact p: all C(N, n1) assignments of the pooled values to group 1."""
    pooled = np.r_[x, y]
    ranks = stats.rankdata(pooled)
    observed = ranks[: len(x)].sum()
    sums = np.array([ranks[list(idx)].sum()
                     for idx in itertools.combinations(range(len(pooled)), len(x))])
    lower = np.mean(sums <= observed + 1e-9)
    upper = np.mean(sums >= observed - 1e-9)
    return min(1.0, 2 * min(lower, upper))


def mw_frame(x: list[float], y: list[float], labels: tuple[str, str] = ("a", "b"),
             ) -> pd.DataFrame:
    return pd.DataFrame({"v": [*x, *y], "g": [labels[0]] * len(x) + [labels[1]] * len(y)})


def test_mann_whitney_small_untied_by_hand():
    # a = 1, 3, 5 and b = 2, 4, 6, 7: ranks equal the values.
    # R_a = 9 (mean 3), R_b = 19 (mean 4.75); U_a = 9 - 3*4/2 = 3, U_b = 12 - 3 = 9, U = 3
    # smaller group a -> W = 9; Z = (3 - 6) / sqrt(3*4*8/12) = -3 / sqrt(8) = -1.06066
    x, y = [1.0, 3, 5], [2.0, 4, 6, 7]
    res = mann_whitney(mw_frame(x, y), "v", "g")
    check_contract(res)
    assert get(res, "n", "a")["value"] == 3 and get(res, "n", "b")["value"] == 4
    assert get(res, "mean_rank", "a")["value"] == 3
    assert get(res, "rank_sum", "b")["value"] == 19
    assert get(res, "mann_whitney_u")["value"] == 3
    assert u_by_counting(np.array(x), np.array(y)) == 3
    assert get(res, "u_first", "a")["value"] == 3
    assert get(res, "wilcoxon_w", "a")["value"] == 9
    z = -3 / math.sqrt(8)
    assert get(res, "z")["value"] == pytest.approx(z)
    assert get(res, "z")["p"] == pytest.approx(2 * stats.norm.cdf(z))  # 0.2888
    assert get(res, "mann_whitney_u")["p"] == pytest.approx(2 * stats.norm.cdf(z))
    # exact: U distribution for (3, 4) has 1+1+2+3 = 7 of 35 arrangements with U <= 3
    assert get(res, "exact_p")["p"] == pytest.approx(2 * 7 / 35)
    assert get(res, "exact_p")["p"] == pytest.approx(exact_by_enumeration(np.array(x),
                                                                          np.array(y)))
    # r = z_first / sqrt(7) (first group lower -> negative); rank-biserial = 2*3/12 - 1
    assert get(res, "r")["value"] == pytest.approx(z / math.sqrt(7))
    assert get(res, "rank_biserial")["value"] == pytest.approx(-0.5)
    # pairwise differences a - b sorted: -6 -5 -4 -3 -3 -2 -1 -1 -1 1 1 3 -> median -1.5
    assert get(res, "hodges_lehmann")["value"] == pytest.approx(-1.5)
    # SPSS HAVERAGE quartiles of b (2, 4, 6, 7): positions 1.25 and 3.75 -> 2.5 and 6.75
    assert get(res, "q1", "b")["value"] == pytest.approx(2.5)
    assert get(res, "q3", "b")["value"] == pytest.approx(6.75)
    assert get(res, "median", "b")["value"] == 5


def test_mann_whitney_tie_correction_changes_z():
    # x = 1 1 2 2 3, y = 2 3 3 3 4 4 (N = 11). Midranks: 1 -> 1.5, 2 -> 4, 3 -> 7.5, 4 -> 10.5
    # R_x = 1.5+1.5+4+4+7.5 = 18.5, U_x = 18.5 - 15 = 3.5, U = 3.5 (n1 n2 = 30)
    # ties t = 2, 3, 4, 2: sum(t^3 - t) = 6 + 24 + 60 + 6 = 96
    # var = 30 / (11 * 10) * ((1331 - 11)/12 - 96/12) = 0.272727 * 102 = 27.818182
    # z = (3.5 - 15) / sqrt(27.818182) = -2.180386; untied z = -11.5 / sqrt(30) = -2.099603
    x, y = [1.0, 1, 2, 2, 3], [2.0, 3, 3, 3, 4, 4]
    res = mann_whitney(mw_frame(x, y), "v", "g")
    assert get(res, "mann_whitney_u")["value"] == 3.5
    assert u_by_counting(np.array(x), np.array(y)) == 3.5
    z = get(res, "z")["value"]
    assert z == pytest.approx(-11.5 / math.sqrt(30 / 110 * 102))
    assert z == pytest.approx(-2.180386, abs=1e-6)
    assert abs(z - (-11.5 / math.sqrt(30))) > 0.08
    # second path: scipy with tie correction and without continuity correction
    sp = stats.mannwhitneyu(x, y, use_continuity=False, method="asymptotic")
    assert get(res, "z")["p"] == pytest.approx(sp.pvalue)
    # ties: no exact p by default
    ex = get(res, "exact_p")
    assert ex["status"] == "not estimable"
    assert ex["reason"].startswith("exact p computed only for small samples without ties")


def test_mann_whitney_exact_with_ties_by_enumeration():
    x, y = [1.0, 1, 2, 2, 3], [2.0, 3, 3, 3, 4, 4]
    res = mann_whitney(mw_frame(x, y), "v", "g", exact=True)
    assert get(res, "exact_p")["p"] == pytest.approx(exact_by_enumeration(np.array(x),
                                                                          np.array(y)))
    x2, y2 = [3.0, 5, 5, 8, 9, 9, 9], [1.0, 2, 3, 5, 6, 6]
    res2 = mann_whitney(mw_frame(x2, y2), "v", "g", exact=True)
    assert get(res2, "exact_p")["p"] == pytest.approx(exact_by_enumeration(np.array(x2),
                                                                           np.array(y2)))
    off = get(mann_whitney(mw_frame(x2, y2), "v", "g", exact=False), "exact_p")
    assert off["status"] == "not estimable"


def test_mann_whitney_exact_untied_larger_sample_by_enumeration():
    # n1 = 6, n2 = 8: all C(14, 6) = 3003 assignments
    x = np.array([3.1, 4.7, 5.0, 6.2, 8.8, 9.9])
    y = np.array([0.5, 1.2, 2.0, 2.4, 3.3, 4.1, 5.5, 6.0])
    res = mann_whitney(mw_frame(list(x), list(y)), "v", "g")
    assert get(res, "exact_p")["p"] == pytest.approx(exact_by_enumeration(x, y))
    # no ties: the classical exact distribution (scipy) agrees
    sp = stats.mannwhitneyu(x, y, method="exact")
    assert get(res, "exact_p")["p"] == pytest.approx(sp.pvalue)


def test_mann_whitney_wilcoxon_w_convention():
    # SPSS prints W = the rank sum of the group whose U it prints, i.e. the group with the
    # smaller mean rank (U_i < n1 n2 / 2 iff mean rank i < (N + 1) / 2), whatever the sizes.
    # a = 10, 11 (ranks 5, 6: R_a = 11, mean 5.5) vs b = 1 2 3 4 (R_b = 10, mean 2.5):
    # U_a = 11 - 3 = 8, U_b = 10 - 10 = 0 -> U = 0 and W = R_b = 10 (the *larger* group)
    res = mann_whitney(mw_frame([10.0, 11], [1.0, 2, 3, 4]), "v", "g")
    assert get(res, "mann_whitney_u")["value"] == 0
    assert get(res, "u_first", "a")["value"] == 8
    assert get(res, "wilcoxon_w", "b")["value"] == 10
    assert "a" not in set(res.loc[res["statistic"] == "wilcoxon_w", "term"])
    # the smaller group has the smaller mean rank: a = 1 2 (R = 3) vs b = 3 4 5 6 (R = 18)
    res = mann_whitney(mw_frame([1.0, 2], [3.0, 4, 5, 6]), "v", "g")
    assert get(res, "wilcoxon_w", "a")["value"] == 3
    # equal sizes: a = 5 6 7 (R = 15) vs b = 1 2 3 (R = 6): U_b = 6 - 6 = 0 -> W = 6, term b
    res = mann_whitney(mw_frame([5.0, 6, 7], [1.0, 2, 3]), "v", "g")
    assert get(res, "wilcoxon_w", "b")["value"] == 6
    assert get(res, "mann_whitney_u")["value"] == 0
    # equal mean ranks: the smaller group; a = 2 3 4 (R = 9, mean 3) vs b = 1 5 (R = 6, mean 3)
    res = mann_whitney(mw_frame([2.0, 3, 4], [1.0, 5]), "v", "g")
    assert get(res, "wilcoxon_w", "b")["value"] == 6
    # equal mean ranks and sizes: the first group; a = 1 4 (R = 5) vs b = 2 3 (R = 5)
    res = mann_whitney(mw_frame([1.0, 4], [2.0, 3]), "v", "g")
    assert get(res, "wilcoxon_w", "a")["value"] == 5


def test_mann_whitney_exact_p_spss_not_corrected_for_ties():
    # x = 1 1 2 2 3, y = 2 3 3 3 4 4: U = 3.5 (see test_mann_whitney_tie_correction_changes_z).
    # SPSS's exact p uses the distribution of U *without* ties (ranks 1..11): the number of
    # arrangements of n1 = 5, n2 = 6 with U = 0, 1, 2, 3 is 1, 1, 2, 3 (partitions of k into at
    # most 5 parts of size <= 6), so P(U <= 3.5) = 7 / C(11, 5) = 7 / 462 and p = 14 / 462
    x, y = [1.0, 1, 2, 2, 3], [2.0, 3, 3, 3, 4, 4]
    res = mann_whitney(mw_frame(x, y), "v", "g")  # N = 11 <= 40: computed by default
    assert get(res, "exact_p_spss")["p"] == pytest.approx(14 / 462)
    # second path: every choice of 5 of the untied ranks 1..11
    u_all = [sum(c) - 15 for c in itertools.combinations(range(1, 12), 5)]
    assert np.mean(np.array(u_all) <= 3.5) * 2 == pytest.approx(14 / 462)
    # the tie-aware exact p is a different number
    tie_aware = get(mann_whitney(mw_frame(x, y), "v", "g", exact=True), "exact_p")["p"]
    assert tie_aware == pytest.approx(exact_by_enumeration(np.array(x), np.array(y)))
    assert abs(tie_aware - 14 / 462) > 1e-3
    # without ties both are the same: a = 1 3 5 vs b = 2 4 6 7 -> 2 * 7 / 35
    res = mann_whitney(mw_frame([1.0, 3, 5], [2.0, 4, 6, 7]), "v", "g")
    assert get(res, "exact_p_spss")["p"] == pytest.approx(0.4)
    assert get(res, "exact_p")["p"] == pytest.approx(0.4)
    # SPSS prints it for at most 40 cases; exact=True forces it, exact=False never
    big = mw_frame(list(np.arange(21.0)), list(np.arange(20.0) + 0.5))
    row = get(mann_whitney(big, "v", "g"), "exact_p_spss")
    assert row["status"] == "not estimable" and "n1 + n2 <= 40" in row["reason"]
    assert get(mann_whitney(big, "v", "g", exact=True), "exact_p_spss")["status"] == "ok"
    assert get(mann_whitney(mw_frame(x, y), "v", "g", exact=False),
               "exact_p_spss")["status"] == "not estimable"


def test_mann_whitney_sign_conventions_and_group_order():
    x, y = [5.0, 7, 9, 10, 12], [1.0, 2, 4, 6, 8, 3]
    first = mann_whitney(mw_frame(x, y, ("hi", "lo")), "v", "g", groups=("hi", "lo"))
    second = mann_whitney(mw_frame(x, y, ("hi", "lo")), "v", "g", groups=("lo", "hi"))
    # SPSS's Z uses U = min, so it is never positive, whatever the order
    assert get(first, "z")["value"] < 0
    assert get(first, "z")["value"] == pytest.approx(get(second, "z")["value"])
    assert get(first, "mann_whitney_u")["value"] == get(second, "mann_whitney_u")["value"]
    # r and rank-biserial: positive when the first group has larger values, and agree in sign
    assert get(first, "r")["value"] > 0 and get(first, "rank_biserial")["value"] > 0
    assert get(second, "r")["value"] == pytest.approx(-get(first, "r")["value"])
    assert get(second, "rank_biserial")["value"] == \
        pytest.approx(-get(first, "rank_biserial")["value"])
    # rank-biserial = 2 (mean rank 1 - mean rank 2) / N
    mr = get(first, "mean_rank", "hi")["value"] - get(first, "mean_rank", "lo")["value"]
    assert get(first, "rank_biserial")["value"] == pytest.approx(2 * mr / 11)
    # scipy reports U of its first sample: equals our u_first
    assert get(first, "u_first", "hi")["value"] == stats.mannwhitneyu(x, y).statistic


def test_mann_whitney_larger_sample_against_scipy():
    v = np.r_[np.arange(40) % 7, (np.arange(35) % 9) + 1.5].astype(float)
    g = ["SME"] * 40 + ["non-SME"] * 35
    data = pd.DataFrame({"v": v, "g": pd.Categorical(g, categories=["SME", "non-SME"])})
    res = mann_whitney(data, "v", "g")
    sp = stats.mannwhitneyu(v[:40], v[40:], use_continuity=False, method="asymptotic")
    u1 = sp.statistic
    assert get(res, "u_first", "SME")["value"] == u1
    assert get(res, "mann_whitney_u")["value"] == min(u1, 40 * 35 - u1)
    assert get(res, "z")["p"] == pytest.approx(sp.pvalue)
    assert get(res, "exact_p")["status"] == "not estimable"


def test_mann_whitney_empty_group():
    data = pd.DataFrame({"v": [1.0, 2, 3], "size_group": ["SME"] * 3})
    res = mann_whitney(data, "v", "size_group", groups=("SME", "non-SME"))
    check_contract(res)
    assert get(res, "n", "non-SME")["value"] == 0
    assert get(res, "n", "SME")["value"] == 3
    assert get(res, "mean_rank", "SME")["status"] == "ok"
    for s in ("mann_whitney_u", "wilcoxon_w", "z", "exact_p", "r", "rank_biserial"):
        row = get(res, s)
        assert row["status"] == "not estimable"
        assert row["reason"] == "group 'non-SME' has no observations"


def test_mann_whitney_group_with_only_missing_values():
    data = pd.DataFrame({"v": [1.0, 2, 3, np.nan, np.nan],
                         "g": ["a", "a", "a", "b", "b"]})
    res = mann_whitney(data, "v", "g")
    assert get(res, "n_missing")["value"] == 2
    assert get(res, "mean_rank", "b")["reason"] == "group 'b' has no non-missing values of 'v'"
    assert get(res, "z")["status"] == "not estimable"


def test_mann_whitney_group_of_one():
    res = mann_whitney(mw_frame([1.0], [2.0, 3, 4]), "v", "g")
    assert get(res, "n", "a")["value"] == 1
    assert get(res, "z")["reason"] == "group 'a' has n = 1 < 2 observations"


def test_mann_whitney_all_values_tied():
    res = mann_whitney(mw_frame([3.0, 3, 3], [3.0, 3, 3, 3]), "v", "g")
    check_contract(res)
    z = get(res, "z")
    assert z["status"] == "not estimable"
    assert z["reason"] == "all values are tied (no variance in ranks)"
    assert get(res, "r")["status"] == "not estimable"
    assert get(res, "mann_whitney_u")["value"] == 6  # n1 n2 / 2
    assert math.isnan(get(res, "mann_whitney_u")["p"])
    assert get(res, "rank_biserial")["value"] == 0


def test_mann_whitney_missing_and_excluded():
    data = pd.DataFrame({"v": [1.0, 2, np.nan, 4, 5, 6, 7],
                         "g": ["a", "b", "a", None, "c", "a", "b"]})
    res = mann_whitney(data, "v", "g", groups=("a", "b"))
    assert get(res, "n_missing")["value"] == 2
    assert get(res, "n_excluded")["value"] == 1
    assert get(res, "n_valid")["value"] == 4


def test_mann_whitney_programmer_errors():
    data = pd.DataFrame({"v": [1.0, 2, 3], "g": ["a", "b", "c"]})
    with pytest.raises(ValueError, match="groups"):
        mann_whitney(data, "v", "g")
    with pytest.raises(ValueError, match="exact"):
        mann_whitney(data, "v", "g", groups=("a", "b"), exact="yes")
    with pytest.raises(KeyError, match="w"):
        mann_whitney(data, "w", "g", groups=("a", "b"))
    with pytest.raises(ValueError, match="distinct"):
        mann_whitney(data, "v", "g", groups=("a", "a"))


# =============================================================================================
# logistic regression
# =============================================================================================


def nll(beta: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    eta = x @ beta
    return float(np.sum(np.logaddexp(0, eta) - y * eta))


def direct_fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ML by generic quasi-Newton minimisation (independent of statsmodels)."""
    def grad(b: np.ndarray, *_: object) -> np.ndarray:
        return x.T @ (special.expit(x @ b) - y)

    res = optimize.minimize(nll, np.zeros(x.shape[1]), args=(x, y), jac=grad,
                            method="BFGS", options={"gtol": 1e-10})
    return res.x


def penalized(beta: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """Firth's penalized log-likelihood, written out independently."""
    p = special.expit(x @ beta)
    info = x.T @ np.diag(p * (1 - p)) @ x
    return -nll(beta, x, y) + 0.5 * math.log(np.linalg.det(info))


@pytest.fixture
def two_by_two() -> pd.DataFrame:
    # non-SME: 7 of 10 export; SME: 3 of 10 export
    return pd.DataFrame({"exports": [1] * 7 + [0] * 3 + [1] * 3 + [0] * 7,
                         "sme": [False] * 10 + [True] * 10})


def test_logit_single_binary_predictor_closed_form(two_by_two):
    res = logistic_regression(two_by_two, "exports", ["sme"])
    check_contract(res)
    # saturated: constant = logit(.7) = ln(7/3), B = logit(.3) - logit(.7) = 2 ln(3/7)
    assert get(res, "B", "constant")["value"] == pytest.approx(math.log(7 / 3), abs=1e-7)
    assert get(res, "B", "sme")["value"] == pytest.approx(2 * math.log(3 / 7), abs=1e-7)
    # closed-form SEs: sqrt(1/7 + 1/3 + 1/3 + 1/7) and sqrt(1/7 + 1/3)
    se_b = math.sqrt(2 / 7 + 2 / 3)
    assert get(res, "se", "sme")["value"] == pytest.approx(se_b, rel=1e-6)
    assert get(res, "se", "constant")["value"] == pytest.approx(math.sqrt(1 / 7 + 1 / 3),
                                                                 rel=1e-6)
    wald = (2 * math.log(3 / 7) / se_b) ** 2  # 3.0153
    assert get(res, "wald", "sme")["value"] == pytest.approx(wald, rel=1e-6)
    assert get(res, "wald", "sme")["df"] == 1
    assert get(res, "wald", "sme")["p"] == pytest.approx(stats.chi2.sf(wald, 1), rel=1e-6)
    eb = get(res, "exp_b", "sme")
    assert eb["value"] == pytest.approx((3 / 7) ** 2, rel=1e-6)  # 0.1837
    assert eb["ci_low"] == pytest.approx((3 / 7) ** 2 * math.exp(-Z * se_b), rel=1e-6)
    # -2LL = -2 * 20 (.7 ln .7 + .3 ln .3) = 24.4346; null: -2 * 20 ln .5 = 27.7259
    m2ll = -2 * 20 * (0.7 * math.log(0.7) + 0.3 * math.log(0.3))
    m2ll0 = -40 * math.log(0.5)
    assert get(res, "neg2ll")["value"] == pytest.approx(m2ll, abs=1e-8)
    assert get(res, "neg2ll_null")["value"] == pytest.approx(m2ll0)
    omni = get(res, "omnibus_chi2")
    assert omni["value"] == pytest.approx(m2ll0 - m2ll) and omni["df"] == 1
    cs = 1 - math.exp(-(m2ll0 - m2ll) / 20)  # 0.1517
    assert get(res, "cox_snell_r2")["value"] == pytest.approx(cs)
    assert get(res, "nagelkerke_r2")["value"] == pytest.approx(cs / (1 - 0.25))  # 0.2023
    # p = .7 for non-SMEs (predicted 1), .3 for SMEs (predicted 0)
    counts = {t: get(res, "classification", t)["value"] for t in
              ("observed=0|predicted=0", "observed=0|predicted=1",
               "observed=1|predicted=0", "observed=1|predicted=1")}
    assert list(counts.values()) == [7, 3, 3, 7]
    assert get(res, "pct_correct", "overall")["value"] == pytest.approx(70)
    assert get(res, "pct_correct", "observed=1")["value"] == pytest.approx(70)
    # two distinct predicted probabilities -> 2 risk groups: HL undefined
    hl = get(res, "hosmer_lemeshow")
    assert hl["status"] == "not estimable" and "2 distinct risk group" in hl["reason"]
    assert get(res, "se_type", "model")["status"] == "ok"
    assert res["term"].tolist()[-4:] == ["constant"] * 4


@pytest.fixture
def firms() -> pd.DataFrame:
    rng = np.random.default_rng(20240601)
    n = 80
    df = pd.DataFrame({
        "age": np.round(rng.gamma(3.0, 5.0, n), 1),
        "sme": rng.random(n) < 0.5,
        "country": rng.choice(["Ghana", "India", "Mexico"], n),
    })
    eta = -0.5 + 0.06 * df["age"] - 0.9 * df["sme"] + 0.7 * (df["country"] == "India")
    df["exports"] = rng.random(n) < special.expit(eta)
    df.loc[[3, 17], "age"] = np.nan
    return df


def firm_design(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    d = df.dropna(subset=["age"])
    x = np.column_stack([d["age"], d["sme"].astype(float), d["country"] == "India",
                         d["country"] == "Mexico", np.ones(len(d))]).astype(float)
    return x, d["exports"].to_numpy(float)


def test_logit_matches_direct_likelihood_maximisation(firms):
    res = logistic_regression(firms, "exports", ["age", "sme", "country"],
                              categorical={"country": "Ghana"})
    check_contract(res)
    x, y = firm_design(firms)
    beta = direct_fit(x, y)
    terms = ["age", "sme", "country[India]", "country[Mexico]", "constant"]
    assert res.loc[res["statistic"] == "B", "term"].tolist() == terms
    got = np.array([get(res, "B", t)["value"] for t in terms])
    assert got == pytest.approx(beta, abs=1e-5)
    # SEs from the inverse information X'WX at the optimum
    p = special.expit(x @ beta)
    se = np.sqrt(np.diag(np.linalg.inv(x.T @ np.diag(p * (1 - p)) @ x)))
    assert [get(res, "se", t)["value"] for t in terms] == pytest.approx(se, rel=1e-4)
    # likelihood-based model rows
    m2ll = 2 * nll(beta, x, y)
    k = y.sum()
    m2ll0 = -2 * (k * math.log(k / len(y)) + (len(y) - k) * math.log(1 - k / len(y)))
    assert get(res, "neg2ll")["value"] == pytest.approx(m2ll, abs=1e-6)
    assert get(res, "neg2ll_null")["value"] == pytest.approx(m2ll0)
    assert get(res, "omnibus_chi2")["df"] == 4
    cs = 1 - math.exp((m2ll - m2ll0) / len(y))
    assert get(res, "cox_snell_r2")["value"] == pytest.approx(cs, abs=1e-7)
    assert get(res, "nagelkerke_r2")["value"] == \
        pytest.approx(cs / (1 - math.exp(-m2ll0 / len(y))), abs=1e-7)
    assert get(res, "n")["value"] == 78 and get(res, "n_missing")["value"] == 2
    assert get(res, "n_events")["value"] == k
    # Hosmer-Lemeshow row equals the grouping helper applied to the independent fit
    hl = _hosmer_lemeshow(y, special.expit(x @ beta))
    assert get(res, "hosmer_lemeshow")["value"] == pytest.approx(hl[0], rel=1e-5)
    assert get(res, "hosmer_lemeshow")["df"] == 8
    # classification at 0.5 from the independent fit
    pred = special.expit(x @ beta) > 0.5
    assert get(res, "classification", "observed=1|predicted=1")["value"] == \
        np.sum(pred & (y == 1))
    assert get(res, "pct_correct", "overall")["value"] == pytest.approx(100 * np.mean(pred == y))


def test_logit_categorical_reference_closed_form():
    # one categorical predictor (saturated): B[level] = logit(p_level) - logit(p_reference)
    df = pd.DataFrame({
        "country": ["Ghana"] * 10 + ["India"] * 8 + ["Mexico"] * 12,
        "y": [1] * 4 + [0] * 6 + [1] * 6 + [0] * 2 + [1] * 3 + [0] * 9})
    res = logistic_regression(df, "y", ["country"], categorical={"country": "India"})
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    assert get(res, "B", "country[Ghana]")["value"] == \
        pytest.approx(logit(0.4) - logit(0.75), abs=1e-7)
    assert get(res, "B", "country[Mexico]")["value"] == \
        pytest.approx(logit(0.25) - logit(0.75), abs=1e-7)
    assert get(res, "B", "constant")["value"] == pytest.approx(logit(0.75), abs=1e-7)
    assert "country[India]" not in set(res["term"])


def test_hosmer_lemeshow_by_hand():
    # 20 cases, pairs with p = .1 .2 ... .9 .95 -> 10 groups of 2; events per group:
    # 0 1 0 1 1 1 2 1 2 2. Group term (O1 - 2p)^2 / (2p(1-p)):
    # .2222 + 1.125 + .8571 + .0833 + 0 + .0833 + .8571 + 1.125 + .2222 + .1053 = 4.6807
    p = np.repeat([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95], 2)
    events = [0, 1, 0, 1, 1, 1, 2, 1, 2, 2]
    y = np.array([v for e in events for v in ([1] * e + [0] * (2 - e))], dtype=float)
    stat, df, pval, groups = _hosmer_lemeshow(y, p)
    by_hand = sum((e - 2 * q) ** 2 / (2 * q * (1 - q))
                  for e, q in zip(events, p[::2], strict=True))
    assert by_hand == pytest.approx(4.6807, abs=1e-4)
    assert stat == pytest.approx(by_hand)
    assert (df, groups) == (8, 10)
    assert pval == pytest.approx(stats.chi2.sf(by_hand, 8))


def test_hosmer_lemeshow_ties_give_fewer_groups():
    # n = 20, target group size M = floor(20 / 10 + 0.5) = 2. 12 cases share p = .2 (one
    # block, never split: group 1 of 12); the 8 others (p = .3 ... .65) are single cases: a
    # group of c cases takes the next block of m cases while c < M and c + floor(m / 2) <= M,
    # so they pair up -> groups of 12, 2, 2, 2, 2: 5 groups, df 3
    p = np.r_[np.full(12, 0.2), np.linspace(0.3, 0.65, 8)]
    y = np.r_[np.zeros(9), np.ones(3), [0, 1, 0, 1, 1, 0, 1, 1]]
    stat, df, _, groups = _hosmer_lemeshow(y, p)
    assert groups == 5 and df == 3
    o1 = [3, 1, 1, 1, 2]
    e1 = [2.4, 0.3 + 0.35, 0.4 + 0.45, 0.5 + 0.55, 0.6 + 0.65]
    n = [12, 2, 2, 2, 2]
    by_hand = sum((o - e) ** 2 / e + (o - e) ** 2 / (m - e)
                  for o, e, m in zip(o1, e1, n, strict=True))
    assert stat == pytest.approx(by_hand)


def test_hosmer_lemeshow_spss_grouping_rule():
    # n = 20, M = 2. Blocks in order of p: 1 case (p .10), 3 (.15), 1 (.20), 3 (.25), then 12
    # single cases (.30 ... .85).
    # group 1: block of 1; the block of 3 joins (c = 1 < 2 and 1 + floor(3/2) = 2 <= 2) -> 4
    # group 2: block of 1 (c = 4 >= 2 closes group 1); the block of 3 joins again -> 4
    # groups 3..8: the 12 single cases in pairs -> sizes 4 4 2 2 2 2 2 2 (8 groups, df 6).
    # (Deciles ceil(10 * cumulative / n) would give 10 groups: 1 3 1 3 2 2 2 2 2 2.)
    p = np.r_[0.10, [0.15] * 3, 0.20, [0.25] * 3, np.linspace(0.30, 0.85, 12)]
    y = np.r_[0, 1, 0, 0, 0, 0, 1, 0, [0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1]].astype(float)
    groups = _hl_groups(p)
    assert [g.size for g in groups] == [4, 4, 2, 2, 2, 2, 2, 2]
    assert groups[0].tolist() == [0, 1, 2, 3] and groups[1].tolist() == [4, 5, 6, 7]
    stat, df, pval, k = _hosmer_lemeshow(y, p)
    members = [[0, 1, 2, 3], [4, 5, 6, 7]] + [[i, i + 1] for i in range(8, 20, 2)]
    by_hand = 0.0
    for m in members:
        o, e, size = y[m].sum(), p[m].sum(), len(m)
        by_hand += (o - e) ** 2 / e + (o - e) ** 2 / (size - e)
    assert stat == pytest.approx(by_hand)
    assert (df, k) == (6, 8)
    assert pval == pytest.approx(stats.chi2.sf(by_hand, 6))
    # blocks are covariate patterns: with x, two patterns of equal p stay separate blocks
    x = np.arange(20.0)[:, None]
    assert [g.size for g in _hl_groups(np.full(20, 0.5), x)] == [2] * 10
    assert [g.size for g in _hl_groups(np.full(20, 0.5))] == [20]


def test_hosmer_lemeshow_ten_groups_at_most_and_small_last_group():
    # 23 single cases: M = floor(2.3 + 0.5) = 2; nine groups of 2, the tenth takes the rest (5)
    p = np.linspace(0.1, 0.9, 23)
    assert [g.size for g in _hl_groups(p)] == [2] * 9 + [5]
    # 25 single cases: M = floor(2.5 + 0.5) = 3; eight groups of 3 leave 1 case, fewer than
    # M / 2, which joins the eighth group: 3 x 7 + 4
    p = np.linspace(0.1, 0.9, 25)
    assert [g.size for g in _hl_groups(p)] == [3] * 7 + [4]


def test_logit_hosmer_lemeshow_contingency_table_rows(firms):
    res = logistic_regression(firms, "exports", ["age", "sme"])
    table = res[res["statistic"].str.startswith("hl_")]
    groups = sorted(set(table["term"]), key=int)
    assert groups == [str(g) for g in range(1, 11)]
    cell = {(s, t): v for s, t, v in zip(table["statistic"], table["term"], table["value"],
                                         strict=True)}
    # observed and expected add up to the group total, the totals to n, the events to n_events
    for g in groups:
        total = cell["hl_total", g]
        assert cell["hl_observed_0", g] + cell["hl_observed_1", g] == total
        assert cell["hl_expected_0", g] + cell["hl_expected_1", g] == pytest.approx(total)
    assert sum(cell["hl_total", g] for g in groups) == get(res, "n")["value"]
    assert sum(cell["hl_observed_1", g] for g in groups) == get(res, "n_events")["value"]
    # the statistic is the Pearson chi-square of this 2 x 10 table of observed vs expected
    hl = sum((cell[f"hl_observed_{k}", g] - cell[f"hl_expected_{k}", g]) ** 2
             / cell[f"hl_expected_{k}", g] for g in groups for k in (0, 1))
    assert get(res, "hosmer_lemeshow")["value"] == pytest.approx(hl)
    assert get(res, "hosmer_lemeshow")["df"] == 8


def test_logit_complete_separation_and_firth():
    df = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1], "x": [1.0, 2, 3, 4, 5, 6]})
    res = logistic_regression(df, "y", ["x"])
    check_contract(res)
    for s in ("B", "se", "wald", "exp_b"):
        row = get(res, s, "x")
        assert row["status"] == "not estimable"
        assert row["reason"].startswith(
            "complete separation: predictor 'x' perfectly predicts the outcome")
    assert get(res, "neg2ll")["status"] == "not estimable"
    assert get(res, "n")["value"] == 6
    # Firth: finite, and the maximiser of the penalized likelihood (independent optimiser)
    x = np.column_stack([df["x"], np.ones(6)])
    y = df["y"].to_numpy(float)
    ref = optimize.minimize(lambda b: -penalized(b, x, y), np.zeros(2), method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000}).x
    fb = get(res, "firth_B", "x")
    assert fb["status"] == "ok" and math.isfinite(fb["value"])
    assert fb["value"] == pytest.approx(ref[0], abs=1e-5)
    assert get(res, "firth_B", "constant")["value"] == pytest.approx(ref[1], abs=1e-5)
    assert get(res, "firth_exp_b", "x")["value"] == pytest.approx(math.exp(ref[0]), rel=1e-4)


def test_logit_quasi_complete_separation_firth_equals_haldane():
    # SMEs: 0 of 4 export (outcome constant within the level); non-SMEs: 4 of 6
    df = pd.DataFrame({"y": [0, 0, 0, 0, 1, 0, 1, 1, 0, 1], "sme": [True] * 4 + [False] * 6})
    res = logistic_regression(df, "y", ["sme"])
    check_contract(res)
    reason = get(res, "B", "sme")["reason"]
    assert reason.startswith("quasi-complete separation: predictor 'sme'")
    assert "outcome is always 0 where sme = True (n = 4)" in reason
    assert get(res, "B", "constant")["status"] == "not estimable"
    # Firth (1993) in a 2x2 table = log odds ratio with 1/2 added to each cell:
    # ln[(0.5/4.5) / (4.5/2.5)] = -2.785011; constant = ln(4.5/2.5) = 0.587787
    b = get(res, "firth_B", "sme")
    assert b["value"] == pytest.approx(math.log((0.5 / 4.5) / (4.5 / 2.5)), abs=1e-7)
    assert get(res, "firth_B", "constant")["value"] == pytest.approx(math.log(4.5 / 2.5),
                                                                     abs=1e-7)
    # the penalized likelihood-ratio test of B = 0 maximises the profile over the constant
    # with an independent scalar optimiser
    x = np.column_stack([df["sme"].astype(float), np.ones(10)])
    y = df["y"].to_numpy(float)
    l_max = penalized(np.array([b["value"], get(res, "firth_B", "constant")["value"]]), x, y)

    def profile(slope: float) -> float:
        r = optimize.minimize_scalar(lambda c: -penalized(np.array([slope, c]), x, y),
                                     bounds=(-20, 20), method="bounded",
                                     options={"xatol": 1e-10})
        return -r.fun

    lr = 2 * (l_max - profile(0.0))
    assert get(res, "firth_p", "sme")["value"] == pytest.approx(lr, abs=1e-5)
    assert get(res, "firth_p", "sme")["p"] == pytest.approx(stats.chi2.sf(lr, 1), abs=1e-5)
    # firth_se from the inverse information at the Firth estimate
    beta = np.array([b["value"], get(res, "firth_B", "constant")["value"]])
    p = special.expit(x @ beta)
    se = np.sqrt(np.diag(np.linalg.inv(x.T @ np.diag(p * (1 - p)) @ x)))
    assert get(res, "firth_se", "sme")["value"] == pytest.approx(se[0], rel=1e-6)
    # Wald limits B +- 1.96 SE on both scales
    assert b["ci_low"] == pytest.approx(b["value"] - 1.959964 * se[0], abs=1e-5)
    assert b["ci_high"] == pytest.approx(b["value"] + 1.959964 * se[0], abs=1e-5)
    assert get(res, "firth_exp_b", "sme")["ci_high"] == pytest.approx(math.exp(b["ci_high"]))


def test_logit_quasi_separation_continuous_with_tie_and_firth_off():
    # x <= 3 -> 0 except one tie at x = 3: quasi-complete, never huge "ok" coefficients
    df = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1], "x": [1.0, 2, 3, 3, 4, 5]})
    res = logistic_regression(df, "y", ["x"], firth=False)
    assert get(res, "B", "x")["status"] == "not estimable"
    assert get(res, "B", "x")["reason"].startswith("quasi-complete separation: predictor 'x'")
    assert not res["statistic"].str.startswith("firth").any()


def test_logit_separation_by_a_categorical_level_with_other_predictors(firms):
    df = firms.dropna().copy()
    df.loc[df["country"] == "Mexico", "exports"] = True
    res = logistic_regression(df, "exports", ["age", "sme", "country"],
                              categorical={"country": "Ghana"})
    reason = get(res, "B", "age")["reason"]
    assert reason.startswith("quasi-complete separation: predictor 'country[Mexico]'")
    assert "outcome is always 1 where country = Mexico" in reason
    assert (res.loc[res["statistic"] == "B", "status"] == "not estimable").all()
    # Firth estimates are finite and maximise the penalized likelihood
    x = np.column_stack([df["age"], df["sme"].astype(float), df["country"] == "India",
                         df["country"] == "Mexico", np.ones(len(df))]).astype(float)
    y = df["exports"].to_numpy(float)
    terms = ["age", "sme", "country[India]", "country[Mexico]", "constant"]
    fb = np.array([get(res, "firth_B", t)["value"] for t in terms])
    assert np.all(np.isfinite(fb)) and abs(fb[3]) < 10
    # central differences of the independently written penalized log-likelihood vanish
    h = 1e-5
    grad = [(penalized(fb + h * e, x, y) - penalized(fb - h * e, x, y)) / (2 * h)
             for e in np.eye(5)]
    assert np.abs(grad).max() < 1e-5
    assert penalized(fb, x, y) > max(penalized(fb + 0.01 * e, x, y) for e in np.eye(5))


@pytest.mark.parametrize(("data", "reason"), [
    (pd.DataFrame({"y": [0] * 6, "x": [1.0, 2, 3, 4, 5, 6]}),
     "outcome 'y' has no events (all 6 cases are 0) in this subset"),
    (pd.DataFrame({"y": [True] * 5, "x": [1.0, 2, 3, 4, 5]}),
     "outcome 'y' has no non-events (all 5 cases are 1) in this subset"),
    (pd.DataFrame({"y": [0, 1], "x": [1.0, 2]}), "too few cases: n = 2 < 2 parameters + 1"),
    (pd.DataFrame({"y": [0, 1, 0, 1], "x": [3.0, 3, 3, 3]}),
     "predictor 'x' is constant (all values = 3) in this subset"),
    (pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [np.nan] * 6}), "no complete cases"),
])
def test_logit_degenerate_data_not_estimable(data, reason):
    res = logistic_regression(data, "y", ["x"])
    check_contract(res)
    b = get(res, "B", "x")
    assert b["status"] == "not estimable" and b["reason"] == reason
    assert get(res, "n")["status"] == "ok"


def test_logit_collinear_predictors():
    df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 0], "a": [1.0, 2, 3, 4, 5, 6, 7, 8]})
    df["b"] = 2 * df["a"]
    res = logistic_regression(df, "y", ["a", "b"])
    assert get(res, "B", "a")["reason"].startswith("predictors are collinear")


def test_logit_missing_reference_level():
    df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "c": ["A", "A", "A", "B", "B", "B"]})
    res = logistic_regression(df, "y", ["c"], categorical={"c": "Z"})
    assert get(res, "B", "constant")["reason"] == \
        "reference level 'Z' of 'c' has no observations in this subset"


def test_logit_cluster_robust_sandwich():
    rng = np.random.default_rng(11)
    g, t = 30, 3
    firm = np.repeat(np.arange(g), t)
    u = np.repeat(rng.normal(scale=1.5, size=g), t)
    sme = np.repeat(rng.random(g) < 0.5, t)
    xv = rng.normal(size=g * t) + 0.5 * u
    yv = rng.random(g * t) < special.expit(-0.2 + 0.6 * xv - 0.8 * sme + u)
    df = pd.DataFrame({"y": yv, "x": xv, "sme": sme, "firm_id": [f"F{i:02d}" for i in firm]})
    model = logistic_regression(df, "y", ["x", "sme"])
    robust = logistic_regression(df, "y", ["x", "sme"], cluster="firm_id")
    check_contract(robust)
    terms = ["x", "sme", "constant"]
    # same coefficients, different standard errors
    assert [get(robust, "B", t)["value"] for t in terms] == \
        pytest.approx([get(model, "B", t)["value"] for t in terms])
    se_model = np.array([get(model, "se", t)["value"] for t in terms])
    se_rob = np.array([get(robust, "se", t)["value"] for t in terms])
    assert not np.allclose(se_rob, se_model, rtol=0.05)
    assert se_rob[1] > 1.2 * se_model[1]  # firm-level predictor: within-firm correlation
    # hand sandwich: (X'WX)^-1 [sum_g s_g s_g'] (X'WX)^-1 * G/(G-1) * (N-1)/(N-K)
    x = np.column_stack([xv, sme.astype(float), np.ones(g * t)])
    beta = direct_fit(x, yv.astype(float))
    p = special.expit(x @ beta)
    bread = np.linalg.inv(x.T @ np.diag(p * (1 - p)) @ x)
    scores = x * (yv - p)[:, None]
    meat = sum(np.outer(scores[firm == c].sum(0), scores[firm == c].sum(0)) for c in range(g))
    n, k = x.shape
    cov = bread @ meat @ bread * g / (g - 1) * (n - 1) / (n - k)
    assert se_rob == pytest.approx(np.sqrt(np.diag(cov)), rel=1e-5)
    wald = get(robust, "wald", "x")
    assert wald["value"] == pytest.approx((beta[0] / np.sqrt(cov[0, 0])) ** 2, rel=1e-4)
    assert get(robust, "se_type", "cluster:firm_id")["status"] == "ok"
    assert get(robust, "n_clusters", "cluster:firm_id")["value"] == 30
    assert get(model, "se_type", "model")["status"] == "ok"
    # likelihood rows do not depend on the covariance
    assert get(robust, "neg2ll")["value"] == pytest.approx(get(model, "neg2ll")["value"])


def test_logit_single_cluster_se_not_estimable(two_by_two):
    df = two_by_two.assign(firm="F1")
    res = logistic_regression(df, "exports", ["sme"], cluster="firm")
    assert get(res, "B", "sme")["status"] == "ok"
    assert get(res, "se", "sme")["reason"].startswith("cluster-robust standard errors need")


def test_logit_bool_outcome_with_missing(two_by_two):
    df = two_by_two.assign(exports=two_by_two["exports"].astype(bool).astype("boolean"))
    df.loc[0, "exports"] = pd.NA
    res = logistic_regression(df, "exports", ["sme"])
    assert get(res, "n_missing")["value"] == 1
    assert get(res, "n_events")["value"] == 9


def test_logit_programmer_errors(two_by_two):
    with pytest.raises(KeyError, match="size"):
        logistic_regression(two_by_two, "exports", ["size"])
    bad = two_by_two.assign(exports=[2] + [0] * 19)
    with pytest.raises(ValueError, match="0/1"):
        logistic_regression(bad, "exports", ["sme"])
    text = two_by_two.assign(c=["a", "b"] * 10)
    with pytest.raises(ValueError, match="categorical"):
        logistic_regression(text, "exports", ["c"])
    with pytest.raises(ValueError, match="not predictors"):
        logistic_regression(two_by_two, "exports", ["sme"], categorical={"c": "a"})
    with pytest.raises(ValueError, match="cut"):
        logistic_regression(two_by_two, "exports", ["sme"], cut=1.5)


def test_results_are_deterministic(firms, tea):
    a = logistic_regression(firms, "exports", ["age", "sme"])
    b = logistic_regression(firms, "exports", ["age", "sme"])
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(crosstab(tea, "poured", "guess"),
                                  crosstab(tea, "poured", "guess"))


# =============================================================================================
# Welch t (parametric alternative used by the hypothesis engine)
# =============================================================================================


def test_welch_t_by_hand_and_scipy():
    # a = 1 2 3 4: mean 2.5, var 5/3; b = 2 4 6 8 10: mean 6, var 10
    # se^2 = (5/3)/4 + 10/5 = 2.416667; t = -3.5 / 1.554563 = -2.251450
    # df = 2.416667^2 / ((5/12)^2 / 3 + 2^2 / 4) = 5.840278 / 1.057870 = 5.520787
    a, b = [1.0, 2, 3, 4], [2.0, 4, 6, 8, 10]
    res = welch_t(mw_frame(a, b), "v", "g")
    check_contract(res)
    t = get(res, "t")
    assert t["value"] == pytest.approx(-3.5 / math.sqrt(29 / 12))
    assert t["df"] == pytest.approx((29 / 12) ** 2 / ((5 / 12) ** 2 / 3 + 1))
    sp = stats.ttest_ind(a, b, equal_var=False)
    assert t["value"] == pytest.approx(sp.statistic) and t["p"] == pytest.approx(sp.pvalue)
    md = get(res, "mean_difference")
    q = stats.t.ppf(0.975, t["df"])
    assert md["value"] == -3.5
    assert md["ci_low"] == pytest.approx(-3.5 - q * math.sqrt(29 / 12))
    # Hedges: pooled var = (3 * 5/3 + 4 * 10) / 7 = 45/7; d = -3.5 / sqrt(45/7) = -1.380400;
    # J = 1 - 3 / (4 * 9 - 9) = 8/9 -> g = -1.227022
    g = get(res, "hedges_g")
    assert g["value"] == pytest.approx(8 / 9 * -3.5 / math.sqrt(45 / 7))
    assert get(res, "sd", "b")["value"] == pytest.approx(math.sqrt(10))
    assert get(res, "mean", "a")["value"] == 2.5


@pytest.mark.parametrize(("a", "b", "reason"), [
    ([1.0, 2, 3], [], "group 'b' has no observations"),
    ([1.0], [2.0, 3], "group 'a' has n = 1 < 2 observations"),
    ([2.0, 2], [5.0, 5, 5], "both groups are constant (no within-group variance)"),
])
def test_welch_t_not_estimable(a, b, reason):
    data = mw_frame(a, b)
    res = welch_t(data, "v", "g", groups=("a", "b"))
    check_contract(res)
    assert get(res, "t")["reason"] == reason
    assert get(res, "n", "a")["value"] == len(a)


def test_mann_whitney_skips_hodges_lehmann_beyond_the_pair_limit(monkeypatch):
    import analysis.stats.nonparametric as st

    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "g": ["a"] * 3 + ["b"] * 3})
    full = st.mann_whitney(df, "y", "g").set_index("statistic")
    # median of the 9 pairwise differences a - b: all of 1,2,3 minus 4,5,6 -> median -3
    assert full.loc["hodges_lehmann", "value"] == -3.0
    monkeypatch.setattr(st, "HL_MAX_PAIRS", 8)
    capped = st.mann_whitney(df, "y", "g").set_index("statistic")
    assert capped.loc["hodges_lehmann", "status"] == "not estimable"
    assert "n1 x n2 = 9 > 8 pairs" in capped.loc["hodges_lehmann", "reason"]
    assert capped.loc["z", "value"] == full.loc["z", "value"]


def test_yates_does_not_overflow_on_large_tables():
    import analysis.stats as st

    # 2x2 table with margins whose product exceeds the int64 range (4e5^4 = 2.56e22)
    n = 200_000
    df = pd.DataFrame({"g": ["a"] * (2 * n) + ["b"] * (2 * n),
                       "y": [True] * n + [False] * n + [True] * (n + 1000) + [False] * (n - 1000)})
    rows = st.crosstab(df, "g", "y").set_index("statistic")
    # hand: a=n, b=n, c=n+1000, d=n-1000 (columns ordered False, True -> sorted levels)
    a, b, c, d = float(n), float(n), float(n - 1000), float(n + 1000)
    N = a + b + c + d
    yates = N * (abs(a * d - b * c) - N / 2) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    assert rows.loc["yates_chi2", "value"] == pytest.approx(yates)


@pytest.mark.parametrize("cells", [(3, 1, 1, 3), (0, 5, 7, 2), (10, 20, 30, 25), (1, 0, 0, 1),
                                   (12, 0, 3, 40), (250, 310, 290, 260)])
def test_fisher_2x2_equals_scipy(cells):
    from scipy import stats

    from analysis.stats.contingency import fisher_2x2

    table = np.array(cells).reshape(2, 2)
    two, greater, less = fisher_2x2(table)
    assert two == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-9, abs=1e-15)
    assert greater == pytest.approx(stats.fisher_exact(table, "greater").pvalue, rel=1e-9,
                                    abs=1e-15)
    assert less == pytest.approx(stats.fisher_exact(table, "less").pvalue, rel=1e-9, abs=1e-15)


def test_crosstab_rows_core_equals_the_data_frame_function():
    from analysis.columns import STAT_COLUMNS as COLS
    from analysis.stats.contingency import crosstab_rows

    df = pd.DataFrame({"g": ["a"] * 7 + ["b"] * 9,
                       "y": [True, False, True, True, False, True, True] + [False] * 6
                       + [True] * 3})
    table = np.array([[2, 5], [6, 3]])
    core = pd.DataFrame(crosstab_rows(table, ["a", "b"], [False, True], row="g", col="y",
                                      positive=True), columns=COLS)
    pd.testing.assert_frame_equal(core, crosstab(df, "g", "y", positive=True),
                                  check_dtype=False)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logit_newton_equals_statsmodels_model_and_cluster_se(seed):
    """Our Newton-Raphson fit and sandwich against statsmodels' Logit (a second method)."""
    import warnings

    from statsmodels.discrete.discrete_model import Logit

    from analysis.stats.regression import logistic_rows

    rng = np.random.default_rng(seed)
    n = 240
    x = np.column_stack([rng.integers(0, 2, n).astype(float), rng.normal(size=n),
                         np.ones(n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.8 * x[:, 0] - 0.5 * x[:, 1] - 0.2)))).astype(float)
    firms = np.repeat(np.arange(n // 3), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = Logit(y, x).fit(method="newton", disp=False)
        clus = Logit(y, x).fit(method="newton", disp=False, cov_type="cluster",
                               cov_kwds={"groups": firms})
    terms = ["a", "b", "constant"]
    for res, kw in ((plain, {}), (clus, {"cluster": "firm", "cluster_codes": firms})):
        rows = {(r[0], r[1]): r for r in logistic_rows(y, x, terms, **kw)}
        for j, t in enumerate(terms):
            assert rows[("B", t)][2] == pytest.approx(res.params[j], rel=1e-9, abs=1e-12)
            assert rows[("se", t)][2] == pytest.approx(res.bse[j], rel=1e-9)
        assert rows[("neg2ll", "")][2] == pytest.approx(-2 * res.llf, rel=1e-12)


def test_midranks_equal_scipy_rankdata():
    from scipy import stats

    from analysis.stats.nonparametric import midranks

    x = np.array([3.0, 1.0, 3.0, 2.0, 2.0, 2.0, 7.0, -1.0, 3.0])
    ranks, ties = midranks(x)
    np.testing.assert_array_equal(ranks, stats.rankdata(x))
    assert sorted(ties.tolist()) == [1, 1, 1, 3, 3]


def test_welch_core_equals_scipy():
    from scipy import stats

    from analysis.stats.parametric import welch_t_rows

    a, b = np.array([5.1, 4.9, 6.2, 5.8, 6.0, 5.5]), np.array([4.1, 4.4, 5.0, 3.9, 4.6])
    rows = {r[0]: r for r in welch_t_rows(a, b, ["a", "b"])}
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert rows["t"][2] == pytest.approx(ref.statistic, rel=1e-12)
    assert rows["t"][4] == pytest.approx(ref.pvalue, rel=1e-10)
    ci = ref.confidence_interval()
    assert rows["mean_difference"][5] == pytest.approx(ci.low, rel=1e-10)
    assert rows["mean_difference"][6] == pytest.approx(ci.high, rel=1e-10)

"""Tests of analysis.stats.normality against hand-worked and published values.

Every expected number is computed here independently of the module: by hand (arithmetic in the
comments), by a fresh seeded simulation of the Lilliefors null distribution, from the published
formula of Dallal & Wilkinson (1986), from Shapiro & Wilk's (1965) own worked example, or by a
second library path (scipy's K-S statistic).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.render.format import format_p
from analysis.stats.normality import (
    NORMALITY_COLUMNS,
    SPSS_LOWER_BOUND,
    lilliefors,
    normality_decision,
    normality_table,
    shapiro_wilk,
)


def _exp_quantiles(n: int) -> np.ndarray:
    """Deterministic, strongly skewed sample: exponential quantiles at (i - 0.5) / n."""
    return -np.log(1.0 - (np.arange(1, n + 1) - 0.5) / n)


def _dallal_wilkinson(d: float, n: int) -> float:
    """Dallal & Wilkinson (1986, eq. 1) approximation, typed from the paper (valid p < 0.1).

    For n > 100 the paper rescales: D <- D (n / 100)^0.49, n <- 100.
    """
    if n > 100:
        d, n = d * (n / 100.0) ** 0.49, 100
    return math.exp(-7.01256 * d**2 * (n + 2.78019) + 2.99587 * d * math.sqrt(n + 2.78019)
                    - 0.122119 + 0.974598 / math.sqrt(n) + 1.67997 / n)


def _simulated_p(d: float, n: int, reps: int, seed: int) -> tuple[float, float]:
    """Monte-Carlo P(D >= d) under normality (n, reps) and its standard error."""
    x = np.sort(np.random.default_rng(seed).normal(size=(reps, n)), axis=1)
    cdf = stats.norm.cdf((x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, ddof=1,
                                                                       keepdims=True))
    i = np.arange(1, n + 1)
    null = np.maximum(np.max(i / n - cdf, axis=1), np.max(cdf - (i - 1) / n, axis=1))
    p = float(np.mean(null >= d))
    return p, math.sqrt(p * (1 - p) / reps)


# --- Lilliefors --------------------------------------------------------------------------------


def test_lilliefors_statistic_by_hand():
    # x = 1, 2, 3, 4, 10: mean 4, deviations -3 -2 -1 0 6, SS = 9+4+1+0+36 = 50,
    # s = sqrt(50/4) = 3.5355; z = -0.849 -0.566 -0.283 0 1.697;
    # Phi(z) = 0.198 0.286 0.389 0.500 0.955.
    # D+ = max(i/n - Phi) = max(.002, .114, .211, .300, .045) = 0.300 (at x = 4: 0.8 - 0.5)
    # D- = max(Phi - (i-1)/n) = max(.198, .086, -.011, -.100, .155) = 0.198  ->  D = 0.300
    res = lilliefors([1, 2, 3, 4, 10])
    assert res["statistic"] == pytest.approx(0.3, abs=1e-12)
    assert res["df"] == 5
    assert res["status"] == "ok" and res["reason"] == ""


def test_lilliefors_statistic_matches_scipy_ks_on_standardised_data():
    # second path: D is the ordinary K-S distance of the standardised sample (ddof = 1)
    x = _exp_quantiles(30)
    z = (x - x.mean()) / x.std(ddof=1)
    expected = stats.kstest(z, "norm").statistic
    assert lilliefors(x)["statistic"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("n", "seed"), [(25, 1), (30, 2), (40, 3)])
def test_lilliefors_p_matches_simulation(n, seed):
    # p in the printed range is the simulated truth (about .113, .058, .015 here). SPSS's
    # Dallal-Wilkinson formula, which this test used to expect, is off in the third decimal
    # (.060 instead of .058 at n = 30)
    res = lilliefors(_exp_quantiles(n))
    expected, se = _simulated_p(res["statistic"], n, 100_000, seed)
    assert 0.01 < expected <= 0.2
    assert res["p"] == pytest.approx(expected, abs=3 * se + 0.001)
    assert res["lower_bound"] is False


@pytest.mark.parametrize("n", [100, 250])
def test_lilliefors_tiny_p_follows_dallal_wilkinson_tail(n):
    # far below the printed range (.000) the p-value follows the Dallal-Wilkinson tail
    res = lilliefors(_exp_quantiles(n))
    expected = _dallal_wilkinson(res["statistic"], n)
    assert expected < 1e-5
    assert res["p"] == pytest.approx(expected, rel=0.3)
    assert format_p(res["p"]) == "< .001" and res["lower_bound"] is False


def test_lilliefors_spss_lower_bound_display():
    # normal quantiles: D = 0.026 for n = 20, far below the 0.20 critical value (~0.16), so
    # SPSS prints ".200*" ("This is a lower bound of the true significance")
    x = stats.norm.ppf((np.arange(1, 21) - 0.5) / 20)
    res = lilliefors(x)
    assert res["statistic"] < 0.05
    assert res["p"] > 0.2
    assert res["lower_bound"] is True
    assert format_p(res["p"], SPSS_LOWER_BOUND if res["lower_bound"] else None) == ".200*"
    assert "p_display" not in res  # display strings are made by the render layer


def test_lilliefors_p_printed_three_decimals_without_leading_zero():
    small = lilliefors(_exp_quantiles(100))  # p ~ 2e-6: SPSS prints .000, a journal < .001
    assert small["p"] < 0.0005 and format_p(small["p"]) == "< .001"
    mid = lilliefors(_exp_quantiles(30))  # p ~ 0.058
    assert not mid["lower_bound"]
    assert format_p(mid["p"]) == f"{mid['p']:.3f}"[1:]
    assert format_p(mid["p"]).startswith(".") and len(format_p(mid["p"])) == 4


def test_lilliefors_between_01_and_02_is_not_a_bound():
    # D = 0.300 with n = 5 (hand example above): the simulated p is about 0.160 (the
    # Dallal-Wilkinson formula gives 0.173); it lies in (0.1, 0.2] and is printed, not bounded
    res = lilliefors([1, 2, 3, 4, 10])
    expected, se = _simulated_p(0.3, 5, 400_000, 5)
    assert res["p"] == pytest.approx(expected, abs=3 * se + 0.001)
    assert _dallal_wilkinson(0.3, 5) == pytest.approx(0.1731, abs=5e-4)
    assert 0.1 < res["p"] <= 0.2
    assert res["lower_bound"] is False and format_p(res["p"]) == f"{res['p']:.3f}"[1:]


@pytest.mark.parametrize(("values", "reason"), [
    ([], "no non-missing values"),
    ([1.0, 2.0, 3.0], "n = 3 < 4"),
    ([3, 3, 3, 3, 3], "variable is constant (all values = 3)"),
])
def test_lilliefors_not_estimable(values, reason):
    res = lilliefors(values)
    assert res["status"] == "not estimable"
    assert reason in res["reason"]
    assert math.isnan(res["statistic"]) and math.isnan(res["p"])
    assert format_p(res["p"]) == "" and res["lower_bound"] is False


def test_lilliefors_drops_missing_values():
    with_na = lilliefors([1, 2, None, 3, float("nan"), 4, 10, pd.NA])
    assert with_na["df"] == 5
    assert with_na["statistic"] == pytest.approx(0.3, abs=1e-12)


# --- Shapiro-Wilk ------------------------------------------------------------------------------


def test_shapiro_wilk_published_example():
    # Shapiro & Wilk (1965), section 4: weights of 11 men.
    # mean = 1892 / 11 = 172; SS = 576+324+196+144+121+100+36+4+100+529+4096 = 6226.
    # b = .5601(236-148) + .3315(195-154) + .2260(182-158) + .1429(170-160) + .0695(166-161)
    #   = 49.289 + 13.592 + 5.424 + 1.429 + 0.348 = 70.081 (coefficients from their table)
    # W = b^2 / SS = 4911.3 / 6226 = 0.7888; the paper's table puts W < 0.792 below p = .01.
    x = [148, 154, 158, 160, 161, 162, 166, 170, 182, 195, 236]
    res = shapiro_wilk(x)
    b = (0.5601 * 88 + 0.3315 * 41 + 0.2260 * 24 + 0.1429 * 10 + 0.0695 * 5)
    assert b**2 / 6226 == pytest.approx(0.7888, abs=1e-4)
    assert res["statistic"] == pytest.approx(b**2 / 6226, abs=2e-3)
    assert res["p"] < 0.01
    # Royston's approximation (AS R94, also used by R's shapiro.test) gives p = 0.0067
    assert res["p"] == pytest.approx(0.0067, abs=2e-4)
    assert format_p(res["p"]) == ".007" and res["df"] == 11


def test_shapiro_wilk_n3_exact_distribution():
    # n = 3: a1 = 1/sqrt(2); x = 1, 2, 4: mean 7/3, SS = 42/9; b = (4 - 1)/sqrt(2)
    # W = 4.5 / (42/9) = 27/28 = 0.964286; exact p = 6/pi (asin(sqrt(W)) - asin(sqrt(3/4)))
    w = 27 / 28
    p = 6 / math.pi * (math.asin(math.sqrt(w)) - math.asin(math.sqrt(0.75)))
    res = shapiro_wilk([1, 2, 4])
    assert res["statistic"] == pytest.approx(w, abs=1e-6)
    assert res["p"] == pytest.approx(p, abs=1e-4)  # = 0.6369


@pytest.mark.parametrize("values", [[1.0, 2.0], [5.0]])
def test_shapiro_wilk_fewer_than_three(values):
    res = shapiro_wilk(values)
    assert res["status"] == "not estimable"
    assert res["reason"] == f"n = {len(values)} < 3: Shapiro-Wilk undefined"
    assert math.isnan(res["statistic"]) and res["df"] == len(values)


def test_shapiro_wilk_constant():
    res = shapiro_wilk([2.5] * 8)
    assert res["status"] == "not estimable"
    assert res["reason"] == "variable is constant (all values = 2.5)"


def test_shapiro_wilk_large_sample_note():
    x = stats.norm.ppf((np.arange(1, 6002) - 0.5) / 6001)
    res = shapiro_wilk(x)
    assert res["status"] == "ok"
    assert "5000" in res["reason"] and res["statistic"] > 0.99


# --- normality_table ---------------------------------------------------------------------------


@pytest.fixture
def panel() -> pd.DataFrame:
    skew = _exp_quantiles(30)
    norm = stats.norm.ppf((np.arange(1, 31) - 0.5) / 30)
    return pd.DataFrame({
        "year": [2012] * 30 + [2011] * 30,
        "size_group": pd.Categorical(["non-SME", "SME"] * 30, categories=["SME", "non-SME"]),
        "rota": np.r_[skew, norm],
        "team": np.r_[norm, np.full(30, 4.0)],
    })


def test_normality_table_columns_and_order(panel):
    tab = normality_table(panel, ["rota", "team"], by=["year", "size_group"])
    assert list(tab.columns) == ["year", "size_group", *NORMALITY_COLUMNS]
    # 2 years x 2 groups x 2 variables x 2 tests; years ascending, groups in category order
    assert len(tab) == 16
    keys = list(zip(tab["year"], tab["size_group"], tab["variable"], tab["test"], strict=True))
    assert keys[:4] == [(2011, "SME", "rota", "ks_lilliefors"),
                        (2011, "SME", "rota", "shapiro_wilk"),
                        (2011, "SME", "team", "ks_lilliefors"),
                        (2011, "SME", "team", "shapiro_wilk")]
    assert keys[4][:2] == (2011, "non-SME") and keys[8][:2] == (2012, "SME")


def test_normality_table_values_match_single_tests(panel):
    tab = normality_table(panel, "rota", by="year")
    sub = panel.loc[panel["year"] == 2012, "rota"]
    row = tab[(tab["year"] == 2012) & (tab["test"] == "shapiro_wilk")].iloc[0]
    assert row["statistic"] == pytest.approx(stats.shapiro(sub.to_numpy()).statistic)
    assert row["df"] == 30 and row["alpha"] == 0.05
    assert row["decision"] == ("not normal" if row["p"] < 0.05 else "normal")


def test_normality_table_constant_group_not_estimable(panel):
    tab = normality_table(panel, ["team"], by=["year"])
    const = tab[tab["year"] == 2011]
    assert (const["status"] == "not estimable").all()
    assert (const["reason"] == "variable is constant (all values = 4)").all()
    assert (const["decision"] == "").all()
    assert tab.loc[tab["year"] == 2012, "decision"].isin(["normal", "not normal"]).all()


def test_normality_table_overall_and_decision():
    df = pd.DataFrame({"skewed": _exp_quantiles(100),
                       "normal": stats.norm.ppf((np.arange(1, 101) - 0.5) / 100)})
    tab = normality_table(df, ["skewed", "normal"])
    assert list(tab.columns) == NORMALITY_COLUMNS
    assert tab.loc[tab["variable"] == "skewed", "decision"].tolist() == ["not normal"] * 2
    assert tab.loc[tab["variable"] == "normal", "decision"].tolist() == ["normal"] * 2
    assert normality_decision(tab) == "not normal"
    assert normality_decision(tab[tab["variable"] == "normal"]) == "normal"
    assert normality_decision(tab.iloc[0:0]) == ""


def test_normality_table_missing_values_and_listwise():
    df = pd.DataFrame({"a": [1.0, 2, 3, 4, 10, np.nan], "b": [5.0, 1, 2, 8, 3, 4],
                       "g": ["x", "x", "x", "x", "x", None]})
    # the last row has a missing group: excluded; within group x, 'a' has 5 values
    tab = normality_table(df, ["a", "b"], by="g")
    assert tab.set_index(["variable", "test"]).loc[("a", "ks_lilliefors"), "df"] == 5
    assert tab.set_index(["variable", "test"]).loc[("a", "ks_lilliefors"), "statistic"] == \
        pytest.approx(0.3)
    overall = normality_table(df, ["a", "b"])
    assert overall.set_index(["variable", "test"]).loc[("b", "shapiro_wilk"), "df"] == 6
    listwise = normality_table(df, ["a", "b"], listwise=True)
    assert listwise.set_index(["variable", "test"]).loc[("b", "shapiro_wilk"), "df"] == 5


def test_normality_table_programmer_errors(panel):
    with pytest.raises(KeyError, match="roa"):
        normality_table(panel, ["roa"])
    with pytest.raises(KeyError, match="sector"):
        normality_table(panel, ["rota"], by=["sector"])
    with pytest.raises(ValueError, match="size_group"):
        normality_table(panel, ["size_group"])
    with pytest.raises(ValueError, match="alpha"):
        normality_table(panel, ["rota"], alpha=5)

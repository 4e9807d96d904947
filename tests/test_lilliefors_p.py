"""Tests of analysis.stats.lilliefors_p (Lilliefors p-values from the Monte-Carlo table).

Expected values come from outside the table: fresh seeded simulations written here (with their
own D computation, checked against scipy's K-S statistic), statsmodels' critical values (10^7
replicates per n) and Stephens' (1974) published percentage points.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from scipy import stats

from analysis.stats.lilliefors_p import (
    _quantile_row,
    _table,
    lilliefors_pvalue,
    scaled_statistic,
)


def _null_d(n: int, reps: int, seed: int) -> np.ndarray:
    """Lilliefors D of ``reps`` normal samples of size n, sorted (independent of the module)."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.normal(loc=3.0, scale=2.0, size=(reps, n)), axis=1)
    z = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, ddof=1, keepdims=True)
    cdf = stats.norm.cdf(z)
    i = np.arange(1, n + 1)
    d = np.maximum(np.max(i / n - cdf, axis=1), np.max(cdf - (i - 1) / n, axis=1))
    return np.sort(d)


def _mc_p(null: np.ndarray, d: float) -> tuple[float, float]:
    """Monte-Carlo P(D >= d) and its standard error."""
    reps = null.size
    p = (reps - np.searchsorted(null, d, side="left")) / reps
    return float(p), math.sqrt(p * (1 - p) / reps)


def test_null_simulation_matches_scipy_ks():
    # the test's own D is scipy's K-S distance of the standardised sample
    rng = np.random.default_rng(5)
    for n in (5, 20, 57):
        x = rng.normal(size=n)
        z = (x - x.mean()) / x.std(ddof=1)
        expected = stats.kstest(z, "norm").statistic
        xs = np.sort(z)
        i = np.arange(1, n + 1)
        cdf = stats.norm.cdf(xs)
        ours = max(np.max(i / n - cdf), np.max(cdf - (i - 1) / n))
        assert ours == pytest.approx(expected, rel=1e-12)


# --- (1) Monte-Carlo check where SPSS prints a number above .1 --------------------------------
@pytest.mark.parametrize(("n", "seed"), [(20, 101), (57, 102), (200, 103)])
def test_pvalue_matches_fresh_simulation_between_01_and_02(n, seed):
    reps = 40_000
    null = _null_d(n, reps, seed)
    for target in (0.11, 0.13, 0.15, 0.17, 0.19):
        d = float(np.quantile(null, 1 - target))
        mc, se = _mc_p(null, d)
        assert 0.1 < mc <= 0.2
        assert lilliefors_pvalue(d, n) == pytest.approx(mc, abs=3 * se + 0.003)


@pytest.mark.parametrize(("n", "seed"), [(8, 111), (30, 112)])
def test_pvalue_matches_fresh_simulation_in_the_tail(n, seed):
    reps = 40_000
    null = _null_d(n, reps, seed)
    for target in (0.05, 0.01, 0.002):
        d = float(np.quantile(null, 1 - target))
        mc, se = _mc_p(null, d)
        assert lilliefors_pvalue(d, n) == pytest.approx(mc, abs=3 * se + 0.001)


# --- (2) the issue's example -------------------------------------------------------------------
def test_issue_example_n57_d01058():
    # Dallal-Wilkinson / statsmodels "approx" gave .140 here; the simulated truth is about .111
    null = _null_d(57, 200_000, 57)
    mc, se = _mc_p(null, 0.1058)
    assert mc == pytest.approx(0.111, abs=3 * se)
    p = lilliefors_pvalue(0.1058, 57)
    assert p == pytest.approx(mc, abs=3 * se + 0.001)
    assert f"{p:.3f}" == "0.111"


def test_previous_method_was_off_in_the_issue_example():
    # the previous code (statsmodels pvalmethod="approx") printed .140 here: Dallal-Wilkinson
    # exceeds 0.1, so statsmodels falls back to its table, which interpolates linearly
    # between its 25% and 10% critical values
    from statsmodels.stats._lilliefors import get_lilliefors_table

    old = float(get_lilliefors_table("norm").prob(0.1058, 57))
    assert old == pytest.approx(0.140, abs=0.001)
    assert abs(lilliefors_pvalue(0.1058, 57) - old) > 0.02


# --- (3) shape: monotone, continuous in n and at the table's edges, large n -------------------
@pytest.mark.parametrize("n", [4, 5, 9, 10, 11, 57, 1000, 10**6])
def test_decreasing_in_d(n):
    # scaled statistic 0 ... 2.4: through the extrapolated body, the table and the DW tail
    d = np.linspace(0.0, 2.4, 4001) / scaled_statistic(1.0, n)
    p = lilliefors_pvalue(d, n)
    assert np.all(np.isfinite(p))
    assert np.all(np.diff(p) <= 1e-15)
    assert p[0] <= 1.0 and p[-1] < 1e-6


def test_continuous_across_the_table_edges():
    t = _table()
    for n in (4, 9, 10, 57, 5000):
        q = _quantile_row(n)
        scale = scaled_statistic(1.0, n)
        for z, p_edge in ((q[-1], t.p[-1]), (q[0], t.p[0])):
            eps = 1e-9
            lo, hi = lilliefors_pvalue(np.array([z - eps, z + eps]) / scale, n)
            assert lo == pytest.approx(p_edge, rel=1e-6)
            assert hi == pytest.approx(p_edge, rel=1e-6)


def test_smooth_across_sample_sizes():
    # at a fixed scaled statistic p changes little from n to n + 1, also where the table
    # switches from per-n rows (n <= 9) to the fitted polynomial (n >= 10); only n = 4, 5
    # differ more (the distribution's shape changes quickly there)
    ns = np.arange(4, 400)
    for z in (0.78, 0.82, 0.90, 1.04):
        p = np.array([lilliefors_pvalue(z / scaled_statistic(1.0, n), n) for n in ns])
        steps = np.abs(np.diff(p))
        assert steps[ns[:-1] >= 6].max() < 0.003
        assert steps[ns[:-1] >= 20].max() < 0.0005
        assert steps.max() < 0.02


def test_large_n_tends_to_the_asymptote():
    for z in (0.78, 0.84, 0.91, 1.06):
        p = [lilliefors_pvalue(z / scaled_statistic(1.0, n), n)
             for n in (10**4, 10**5, 10**6, 10**8)]
        assert abs(p[1] - p[3]) < 0.003 and abs(p[2] - p[3]) < 0.001
        assert np.all(np.diff(p) >= -1e-12) or np.all(np.diff(p) <= 1e-12)  # monotone in n
    # the p-value of the scaled statistic is almost free of n (Stephens' modification); it
    # drifts slowly upwards for large n (the 10% point is 0.820 near n = 50, 0.836 at infinity)
    for n in (20, 50, 100, 1000):
        assert lilliefors_pvalue(0.82 / scaled_statistic(1.0, n), n) == pytest.approx(0.10,
                                                                                      abs=0.015)


def test_stephens_percentage_points():
    # Stephens (1974), case 3 (mean and variance estimated): upper percentage points of
    # D (sqrt(n) - 0.01 + 0.85/sqrt(n)), tabled for finite n
    points = {0.15: 0.775, 0.10: 0.819, 0.05: 0.895, 0.025: 0.955, 0.01: 1.035}
    for n in (20, 50):
        for alpha, z in points.items():
            p = lilliefors_pvalue(z / scaled_statistic(1.0, n), n)
            assert p == pytest.approx(alpha, rel=0.08)


# --- (4) statsmodels' critical-value table as a second method ---------------------------------
def test_statsmodels_critical_values():
    # statsmodels' table: 10^7 simulated samples per n; our p at its alpha critical value is
    # alpha, up to the two simulations' errors (a few 1e-4)
    from statsmodels.stats._lilliefors_critical_values import PERCENTILES, normal_crit_vals

    alpha = 1 - np.asarray(PERCENTILES) / 100
    use = (alpha <= 0.25) & (alpha >= 0.001)
    worst = 0.0
    for n, cv in normal_crit_vals.items():
        err = lilliefors_pvalue(np.asarray(cv)[use], n) - alpha[use]
        worst = max(worst, float(np.abs(err).max()))
    assert worst < 0.0015


def test_statsmodels_table_method_loosely():
    # statsmodels interpolates linearly between its percentiles (0.1, 0.075, 0.05, ...), so
    # it agrees only loosely between them; it clips at 0.001
    from statsmodels.stats.diagnostic import lilliefors as sm_lilliefors

    rng = np.random.default_rng(2024)
    compared = 0
    for n in (20, 50, 100, 200):
        for _ in range(40):
            x = rng.standard_t(df=5, size=n)
            d, p_sm = sm_lilliefors(x, dist="norm", pvalmethod="table")
            if not 0.001 < p_sm <= 0.1:
                continue
            assert lilliefors_pvalue(d, n) == pytest.approx(p_sm, abs=max(0.003, 0.15 * p_sm))
            compared += 1
    assert compared >= 20


# --- interface -----------------------------------------------------------------------------
def test_vectorised_equals_scalar_and_nan():
    d = np.array([[0.05, 0.1058, np.nan], [0.3, 0.2, 0.01]])
    n = np.array([[57, 57, 57], [5, 20, 5000]])
    p = lilliefors_pvalue(d, n)
    assert p.shape == (2, 3) and math.isnan(p[0, 2])
    for i, j in [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)]:
        # the array path may use numpy's vectorised exp/log, the scalar path libm's: equal
        # to the last bits, not necessarily bit for bit
        assert math.isclose(p[i, j], lilliefors_pvalue(float(d[i, j]), int(n[i, j])),
                            rel_tol=1e-12, abs_tol=0.0)
    assert math.isnan(lilliefors_pvalue(float("nan"), 10))
    assert isinstance(lilliefors_pvalue(0.1, 10), float)


@pytest.mark.parametrize("bad", [3, 0, 10.5, -5])
def test_invalid_n(bad):
    with pytest.raises(ValueError, match="whole number >= 4"):
        lilliefors_pvalue(0.1, bad)


def test_fast_and_deterministic():
    lilliefors_pvalue(0.1, 30)  # load the table
    ds = np.random.default_rng(1).uniform(0.05, 0.3, 2000)
    start = time.perf_counter()
    first = [lilliefors_pvalue(float(d), 30) for d in ds]
    per_call = (time.perf_counter() - start) / ds.size
    assert per_call < 2e-4
    assert first == [lilliefors_pvalue(float(d), 30) for d in ds]


@pytest.mark.parametrize("n", [5, 22, 57, 98, 400])
def test_spss_pvalue_switches_from_dallal_wilkinson_to_the_table_at_01(n):
    from analysis.stats.lilliefors_p import DW_MAX_P, _dallal_wilkinson, spss_pvalue

    d = np.linspace(0.02, 0.5, 2001) / math.sqrt(n) * 3.0
    p = np.array([spss_pvalue(float(v), n) for v in d])
    dw = _dallal_wilkinson(d, n)
    mc = lilliefors_pvalue(d, n)
    low = dw <= DW_MAX_P
    np.testing.assert_allclose(p[low], dw[low], rtol=1e-12)  # SPSS's own method below .1
    np.testing.assert_allclose(p[~low], np.maximum(mc[~low], DW_MAX_P), rtol=1e-12)  # table
    assert np.all(np.diff(p) <= 1e-15)                       # never increases with D
    assert abs(spss_pvalue(0.1058, 57) - 0.111) < 0.0015     # the issue's example

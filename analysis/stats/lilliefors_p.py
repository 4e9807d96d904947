"""P-values of the Lilliefors test (K-S against a normal with estimated mean and SD).

Method
------
The test statistic is ``D = max(D+, D-)`` of the sample standardised with its own mean and SD
(``ddof=1``). Its null distribution depends only on ``n``. This module reads the upper tail of
that distribution from a Monte-Carlo table that was built once, offline, by this module
(``python -m analysis.stats.lilliefors_p --build``) and ships as package data
(``lilliefors_table.json`` next to this file). Nothing is simulated at run time.

* **Scaled statistic.** ``z = D * (sqrt(n) - 0.01 + 0.85 / sqrt(n))`` (Stephens 1974). Its
  quantiles move little with ``n``: the 10% point is 0.820 at n = 20 to 100 and rises to about
  0.836 as ``n`` grows without bound.
* **Table.** For each of 159 upper-tail probabilities ``p`` in [0.0002, 0.999] (121 of them
  log-spaced in [0.001, 0.3]) the table holds the ``1 - p`` quantile of ``z``:
  - ``n = 4 ... 9`` (the distribution changes shape quickly): the empirical quantiles of
    ``SMALL_REPS`` seeded replicates for each ``n``;
  - ``n >= 10``: for each ``p``, a cubic polynomial in ``x = 1/sqrt(n)`` fitted by weighted
    least squares (weights = replicates) to the empirical quantiles at ``FIT_N`` (10 to
    20,000; between 10^6 and 2.4 * 10^4 replicates each). The polynomial is the smoothing in
    ``n`` (it pools all sample sizes, so its error is smaller than any single run's) and its
    value at ``x = 0`` is the asymptotic distribution, which serves every large ``n``.
* **Interpolation.** For a given ``(D, n)`` the module evaluates the quantile row for ``n`` and
  interpolates ``logit(p)`` linearly in ``z`` between the two bracketing levels.
* **Outside the table.** Below the smallest tabled ``p`` (2e-4; SPSS prints ``.000`` anyway)
  the Dallal-Wilkinson (1986) formula is used, rescaled to meet the table at its edge, so ``p``
  stays continuous and decreasing in ``D``. Above the largest tabled ``p`` (0.999) ``logit(p)``
  is extrapolated linearly.

Accuracy: the fitted table's standard error at p = 0.15 is about 1e-4 to 1.5e-4 for n = 15 to
200, 3e-4 at n = 1000 and 6e-4 as n grows without bound (less for smaller p). Against
statsmodels' critical values (10^7 replicates per n, n = 4 ... 1600, p = 0.25 ... 0.003) the
largest difference is 0.0005. ``python -m analysis.stats.lilliefors_p --check`` repeats the
comparisons, including one with a fresh simulation with an independent seed; docs/statistics.md
gives the numbers.

Functions
---------
lilliefors_pvalue
    ``P(D_n >= d)`` under normality, for scalars or arrays of ``d`` and ``n``.
scaled_statistic
    Stephens' ``D * (sqrt(n) - 0.01 + 0.85/sqrt(n))``.
simulate_statistics
    Lilliefors ``D`` of many simulated normal samples of size ``n`` (used by the build).

References
----------
Lilliefors, H. W. (1967). On the Kolmogorov-Smirnov test for normality with mean and variance
unknown. JASA 62, 399-402.
Stephens, M. A. (1974). EDF statistics for goodness of fit and some comparisons. JASA 69,
730-737.
Dallal, G. E. & Wilkinson, L. (1986). An analytic approximation to the distribution of
Lilliefors's test statistic for normality. The American Statistician 40, 294-296.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "MIN_N",
    "TABLE_PATH",
    "lilliefors_pvalue",
    "scaled_statistic",
    "simulate_statistics",
]

#: The package-data file holding the Monte-Carlo table.
TABLE_PATH = Path(__file__).with_name("lilliefors_table.json")

#: Smallest sample size with a p-value.
MIN_N = 4

# --- build design (used only by --build; recorded in the table file) ---------------------------
SEED = 20240617
SMALL_N = tuple(range(4, 10))
SMALL_REPS = 4_000_000
FIT_N = (*range(10, 21), 22, 24, 27, 30, 34, 40, 50, 65, 85, 110, 150, 200, 300, 450, 700,
         1000, 1500, 2500, 5000, 20000)
FIT_DEGREE = 3
_REPS_NUMERATOR = 4.0e7  # replicates at n = FIT_N[i]: min(1e6, 4e7 / n**0.75)
_MAX_FIT_REPS = 1_000_000


def _fit_reps(n: int) -> int:
    return int(min(_MAX_FIT_REPS, round(_REPS_NUMERATOR / n**0.75, -2)))


def _p_levels() -> np.ndarray:
    """Upper-tail probabilities of the table, decreasing (dense where p is printed)."""
    core = np.exp(np.linspace(math.log(0.3), math.log(0.001), 121))      # 0.3 ... 0.001
    tail = np.exp(np.linspace(math.log(0.001), math.log(0.0002), 9))[1:]  # below .001
    body = 1.0 / (1.0 + np.exp(-np.linspace(-0.5, 6.9, 31)))[::-1][:-1]   # 0.999 ... 0.38
    body = body[body > 0.305]
    return np.concatenate([body, core, tail])


# --- statistic and simulation ------------------------------------------------------------------
def scaled_statistic(d: Any, n: Any) -> Any:
    """Stephens' (1974) modified statistic ``D * (sqrt(n) - 0.01 + 0.85 / sqrt(n))``."""
    rn = np.sqrt(np.asarray(n, dtype=float))
    return np.asarray(d, dtype=float) * (rn - 0.01 + 0.85 / rn)


def simulate_statistics(n: int, reps: int, rng: np.random.Generator,
                        chunk_elements: int = 1 << 18) -> np.ndarray:
    """Lilliefors ``D`` of ``reps`` standard-normal samples of size ``n`` (float64 array).

    Each sample is standardised with its mean and SD (``ddof=1``);
    ``D = max_i max(i/n - u_i, u_i - (i-1)/n)`` with ``u_i = Phi(z_(i))``. Samples are drawn in
    chunks of about ``chunk_elements`` numbers; the result depends only on ``rng``'s state and
    ``chunk_elements``.
    """
    from scipy.special import ndtr

    if n < 2:
        raise ValueError(f"n must be at least 2, not {n}")
    out = np.empty(reps)
    rows = max(1, chunk_elements // n)
    hi = np.arange(1, n + 1) / n
    lo = np.arange(0, n) / n
    for start in range(0, reps, rows):
        r = min(rows, reps - start)
        x = rng.standard_normal((r, n))
        x.sort(axis=1)
        x -= x.mean(axis=1, keepdims=True)
        x /= np.sqrt(np.einsum("ij,ij->i", x, x) / (n - 1))[:, None]
        u = ndtr(x)
        d = (hi - u).max(axis=1)
        np.maximum(d, (u - lo).max(axis=1), out=d)
        out[start:start + r] = d
    return out


# --- run time ----------------------------------------------------------------------------------
class _Table:
    """The table file, as numpy arrays (array path) and Python lists (scalar path)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.p = np.asarray(raw["p_levels"], dtype=float)
        self.logit = np.log(self.p / (1.0 - self.p))
        self.fit_min_n = int(raw["fit_min_n"])
        small_n = sorted(int(k) for k in raw["small_n_quantiles"])
        if small_n != list(range(MIN_N, self.fit_min_n)):
            raise ValueError(f"{TABLE_PATH.name}: per-n rows must cover n = {MIN_N} ... "
                             f"{self.fit_min_n - 1}")
        self.small = np.array([raw["small_n_quantiles"][str(n)] for n in small_n], dtype=float)
        self.coef = np.asarray(raw["fit_coefficients"], dtype=float)  # (degree + 1, levels)
        self.levels = self.p.size
        self.p_list = self.p.tolist()
        self.logit_list = self.logit.tolist()
        self.small_lists = {n: row.tolist() for n, row in zip(small_n, self.small, strict=True)}
        self.coef_by_level = [tuple(col) for col in self.coef.T.tolist()]


@cache
def _table() -> _Table:
    return _Table(json.loads(TABLE_PATH.read_text(encoding="utf-8")))


def _quantile_row(n: int) -> np.ndarray:
    """Quantiles of the scaled statistic at the table's levels (increasing) for sample size n."""
    t = _table()
    if n < t.fit_min_n:
        return t.small[n - MIN_N].copy()
    return np.polynomial.polynomial.polyval(1.0 / math.sqrt(n), t.coef)


def _dallal_wilkinson(d: Any, n: Any) -> Any:
    """Dallal & Wilkinson (1986, eq. 1); for n > 100, D <- D (n/100)^0.49 and n <- 100."""
    d = np.asarray(d, dtype=float)
    n = np.asarray(n, dtype=float)
    d = np.where(n > 100, d * (np.maximum(n, 100.0) / 100.0) ** 0.49, d)
    n = np.minimum(n, 100.0)
    m = n + 2.78019
    return np.exp(-7.01256 * d**2 * m + 2.99587 * d * np.sqrt(m) - 0.122119
                  + 0.974598 / np.sqrt(n) + 1.67997 / n)


def _dw_scalar(d: float, n: int) -> float:
    if n > 100:
        d, n = d * (n / 100.0) ** 0.49, 100
    m = n + 2.78019
    return math.exp(-7.01256 * d * d * m + 2.99587 * d * math.sqrt(m) - 0.122119
                    + 0.974598 / math.sqrt(n) + 1.67997 / n)


def _expit(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v)) if v > -700.0 else 0.0


def _pvalue_scalar(d: float, n: int) -> float:
    """One p-value in plain Python (a few microseconds): binary search over the levels."""
    t = _table()
    rn = math.sqrt(n)
    z = d * (rn - 0.01 + 0.85 / rn)
    logit = t.logit_list
    if n < t.fit_min_n:
        q = t.small_lists[n].__getitem__
    else:
        x = 1.0 / rn
        coef = t.coef_by_level

        def q(j: int) -> float:
            value = 0.0
            for c in reversed(coef[j]):
                value = value * x + c
            return value

    last = t.levels - 1
    q0 = q(0)
    if z <= q0:  # beyond the largest tabled p: extrapolate logit(p) linearly
        slope = (logit[1] - logit[0]) / (q(1) - q0)
        return _expit(logit[0] + slope * (z - q0))
    q_last = q(last)
    if z > q_last:  # below the smallest tabled p: Dallal-Wilkinson, joined continuously
        edge = _dw_scalar(q_last / (rn - 0.01 + 0.85 / rn), n)
        return t.p_list[-1] * _dw_scalar(d, n) / edge
    lo, hi = 0, last
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if q(mid) < z:
            lo = mid
        else:
            hi = mid
    q_lo, q_hi = q(lo), q(hi)
    return _expit(logit[lo] + (logit[hi] - logit[lo]) * (z - q_lo) / (q_hi - q_lo))


def _pvalue_array(d: np.ndarray, n: np.ndarray) -> np.ndarray:
    """P-values for 1-d arrays ``d`` (no NaN) and ``n`` (whole numbers >= 4), vectorised."""
    t = _table()
    rn = np.sqrt(n.astype(float))
    scale = rn - 0.01 + 0.85 / rn
    z = d * scale
    x = 1.0 / rn
    small = n < t.fit_min_n
    small_row = np.where(small, n - MIN_N, 0)

    def q(j: np.ndarray) -> np.ndarray:
        value = np.zeros_like(x)
        for c in t.coef[::-1]:
            value = value * x + c[j]
        return np.where(small, t.small[small_row, j], value)

    last = t.levels - 1
    lo = np.zeros(z.shape, dtype=np.intp)
    hi = np.full(z.shape, last, dtype=np.intp)
    # invariant for z inside the table: q(lo) < z <= q(hi); elements outside are replaced below
    for _ in range(int(math.ceil(math.log2(t.levels)))):
        mid = (lo + hi) // 2
        below = q(mid) < z
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    q_lo, q_hi = q(lo), q(hi)
    q0, q1, q_last = q(np.zeros_like(lo)), q(np.ones_like(lo)), q(np.full_like(lo, last))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = 1.0 / (1.0 + np.exp(-(t.logit[lo] + (t.logit[hi] - t.logit[lo]) * (z - q_lo)
                                    / (q_hi - q_lo))))
        low = z <= q0
        if np.any(low):  # beyond the largest tabled p: extrapolate logit(p) linearly
            slope = (t.logit[1] - t.logit[0]) / (q1[low] - q0[low])
            out[low] = 1.0 / (1.0 + np.exp(-(t.logit[0] + slope * (z[low] - q0[low]))))
        high = z > q_last
        if np.any(high):  # below the smallest tabled p: Dallal-Wilkinson, joined continuously
            edge = _dallal_wilkinson(q_last[high] / scale[high], n[high])
            out[high] = t.p[-1] * _dallal_wilkinson(d[high], n[high]) / edge
    return out


def lilliefors_pvalue(d: Any, n: Any) -> Any:
    """Upper-tail p-value ``P(D_n >= d)`` of the Lilliefors test of normality.

    Parameters
    ----------
    d : float or array_like
        Lilliefors statistic(s) ``D`` (K-S distance of the standardised sample, ``ddof=1``).
    n : int or array_like of int
        Sample size(s), whole numbers >= 4; broadcast against ``d``.

    Returns
    -------
    float or ndarray
        The p-value(s): a float when both inputs are scalars, else an array of the broadcast
        shape. NaN where ``d`` is NaN.

    Raises
    ------
    ValueError
        If a sample size is below 4 or not a whole number.

    Notes
    -----
    See the module docstring for the method and docs/statistics.md for the measured accuracy
    (about 0.0002 for p <= 0.2 and n up to a few hundred; within 0.0015 up to n = 3000).
    Above 0.2 the value is still the table's, but SPSS prints only the bound ``.200*``.

    Examples
    --------
    >>> round(lilliefors_pvalue(0.1058, 57), 3)
    0.111
    """
    if isinstance(n, (int, np.integer)) and isinstance(d, (float, int, np.floating, np.integer)):
        if n < MIN_N:
            raise ValueError(f"n must be a whole number >= {MIN_N}, not {n!r}")
        d = float(d)
        return math.nan if math.isnan(d) else _pvalue_scalar(d, int(n))
    d_arr = np.asarray(d, dtype=float)
    n_arr = np.asarray(n)
    n_float = n_arr.astype(float) if n_arr.dtype.kind in "iuf" else np.array(np.nan)
    if not (np.all(np.isfinite(n_float)) and np.all(n_float == np.round(n_float))
            and np.all(n_float >= MIN_N)):
        raise ValueError(f"n must be a whole number >= {MIN_N}, not {n!r}")
    d_b, n_b = np.broadcast_arrays(d_arr, n_float.astype(np.int64))
    if d_b.ndim == 0:
        return math.nan if math.isnan(float(d_b)) else _pvalue_scalar(float(d_b), int(n_b))
    out = np.full(d_b.shape, np.nan)
    ok = ~np.isnan(d_b)
    out[ok] = _pvalue_array(d_b[ok], n_b[ok])
    return out


DW_MAX_P = 0.1  # Dallal & Wilkinson's approximation is meant for p below this


def spss_pvalue(d: float, n: int) -> float:
    """The Lilliefors Sig. as the Tests of Normality table reports it.

    SPSS computes Sig. with the Dallal & Wilkinson (1986) approximation, which is accurate
    (to about 0.001 against simulation) where it gives p <= 0.1, its design range; there this
    returns it, so the printed value matches SPSS's. Above 0.1, where the approximation is off
    by up to 0.013 (more for n < 10), the Monte-Carlo table (:func:`lilliefors_pvalue`) gives
    p, floored at 0.1 so that p never increases with D across the switch. SPSS prints only
    the bound ``.200*`` above 0.2.

    Examples
    --------
    >>> round(spss_pvalue(0.1213, 52), 3)    # SPSS prints .054 (Dallal-Wilkinson)
    0.054
    >>> round(spss_pvalue(0.1058, 57), 3)    # Monte-Carlo truth .111 (DW region ends at .1)
    0.111
    """
    if n < MIN_N:
        raise ValueError(f"n must be a whole number >= {MIN_N}, not {n!r}")
    if math.isnan(d):
        return math.nan
    dw = _dw_scalar(float(d), int(n))
    if dw <= DW_MAX_P:
        return dw
    return max(_pvalue_scalar(float(d), int(n)), DW_MAX_P)


# --- offline build and check -------------------------------------------------------------------
def _empirical_quantiles(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Quantiles of ``z`` at upper-tail probabilities ``p`` (increasing when p decreases)."""
    return np.quantile(z, 1.0 - p)


def build(out: Path = TABLE_PATH, log=print, raw_out: Path | None = None) -> dict[str, Any]:
    """Run the seeded simulation and write the table (a few minutes of one core).

    ``raw_out`` (optional) receives the per-n empirical quantiles behind the fit (.npz).
    """
    p = _p_levels()
    seeds = np.random.SeedSequence(SEED).spawn(len(SMALL_N) + len(FIT_N))
    t0 = time.perf_counter()
    small: dict[str, list[float]] = {}
    for n, ss in zip(SMALL_N, seeds, strict=False):
        z = scaled_statistic(simulate_statistics(n, SMALL_REPS, np.random.default_rng(ss)), n)
        small[str(n)] = _empirical_quantiles(z, p).tolist()
        log(f"n = {n:5d}  reps = {SMALL_REPS:8d}  {time.perf_counter() - t0:6.0f} s")
    fit_rows, reps = [], []
    for n, ss in zip(FIT_N, seeds[len(SMALL_N):], strict=True):
        r = _fit_reps(n)
        z = scaled_statistic(simulate_statistics(n, r, np.random.default_rng(ss)), n)
        fit_rows.append(_empirical_quantiles(z, p))
        reps.append(r)
        log(f"n = {n:5d}  reps = {r:8d}  {time.perf_counter() - t0:6.0f} s")
    q = np.array(fit_rows)                                   # (len(FIT_N), levels)
    w = np.array(reps, dtype=float)
    if raw_out is not None:
        np.savez(raw_out, p=p, fit_n=np.array(FIT_N), fit_reps=w, fit_quantiles=q,
                 small_n=np.array(SMALL_N), small_quantiles=np.array(list(small.values())))
    x = 1.0 / np.sqrt(np.array(FIT_N, dtype=float))
    design = np.vander(x, FIT_DEGREE + 1, increasing=True)   # columns 1, x, x^2, x^3
    sw = np.sqrt(w)[:, None]
    coef, *_ = np.linalg.lstsq(design * sw, q * sw, rcond=None)  # (degree + 1, levels)
    # goodness of fit: residuals against the binomial variance of an empirical quantile,
    # p(1-p) / (reps f^2), with the density f from the fitted quantile function
    fitted = design @ coef
    dens = np.array([np.gradient(-p, row) for row in fitted])
    var = p * (1 - p) / (w[:, None] * dens**2)
    chi2 = ((q - fitted) ** 2 / var).sum(axis=0)
    dof = len(FIT_N) - FIT_DEGREE - 1
    log(f"fit chi-square per level: median {np.median(chi2):.1f}, max {chi2.max():.1f} "
        f"on {dof} df; elapsed {time.perf_counter() - t0:.0f} s")
    table = {
        "description": "Upper-tail quantiles of the scaled Lilliefors statistic "
                       "z = D (sqrt(n) - 0.01 + 0.85/sqrt(n)); see analysis/stats/lilliefors_p.py",
        "seed": SEED,
        "built_with": f"python -m analysis.stats.lilliefors_p --build (numpy {np.__version__})",
        "p_levels": [float(f"{v:.10g}") for v in p],
        "small_n_quantiles": {k: [round(v, 7) for v in vals] for k, vals in small.items()},
        "small_n_reps": SMALL_REPS,
        "fit_min_n": FIT_N[0],
        "fit_n": list(FIT_N),
        "fit_reps": reps,
        "fit_basis": "x**k, x = 1/sqrt(n), k = 0..degree",
        "fit_coefficients": [[float(f"{v:.9g}") for v in row] for row in coef],
        "fit_chi2": [round(float(c), 2) for c in chi2],
        "fit_chi2_dof": dof,
    }
    out.write_text(json.dumps(table, indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
    _table.cache_clear()
    log(f"wrote {out}")
    return table


CHECK_SEED = 99991
CHECK_DESIGN = ((4, 2_000_000), (7, 2_000_000), (13, 1_000_000), (25, 1_000_000),
                (57, 1_000_000), (123, 500_000), (350, 300_000), (1200, 100_000),
                (3000, 50_000))


def check(log=print) -> dict[str, float]:
    """Compare the table with a fresh, independently seeded simulation and with statsmodels.

    For each ``(n, reps)`` in ``CHECK_DESIGN`` the statistics at the simulated upper-tail
    probabilities 0.001 ... 0.25 are looked up; the error is ours minus the simulated p (whose
    standard error is ``sqrt(p(1-p)/reps)``). Second, statsmodels' critical values (10^7
    replicates per n) are looked up: our p at their ``alpha`` critical value should be alpha.
    """
    levels = np.r_[np.linspace(0.25, 0.10, 16), np.linspace(0.095, 0.01, 18),
                   [0.0075, 0.005, 0.003, 0.002, 0.001]]
    seeds = np.random.SeedSequence(CHECK_SEED).spawn(len(CHECK_DESIGN))
    worst: dict[str, float] = {"mc_max_abs": 0.0, "mc_max_abs_0.1_0.2": 0.0, "mc_max_z": 0.0,
                               "sm_max_abs": 0.0, "sm_max_abs_0.1_0.25": 0.0}
    for (n, reps), ss in zip(CHECK_DESIGN, seeds, strict=True):
        d = np.sort(simulate_statistics(n, reps, np.random.default_rng(ss)))
        stat = np.quantile(d, 1 - levels)
        mc_p = (reps - np.searchsorted(d, stat, side="left")) / reps
        ours = lilliefors_pvalue(stat, n)
        err = ours - mc_p
        se = np.sqrt(mc_p * (1 - mc_p) / reps)
        mid = (mc_p > 0.1) & (mc_p <= 0.2)
        worst["mc_max_abs"] = max(worst["mc_max_abs"], float(np.abs(err).max()))
        worst["mc_max_abs_0.1_0.2"] = max(worst["mc_max_abs_0.1_0.2"],
                                          float(np.abs(err[mid]).max()))
        worst["mc_max_z"] = max(worst["mc_max_z"], float(np.abs(err / se).max()))
        log(f"n = {n:5d} reps = {reps:8d}: max |err| {np.abs(err).max():.5f} "
            f"(p in (.1,.2]: {np.abs(err[mid]).max():.5f}, MC SE there "
            f"{se[mid].max():.5f}); max |err|/SE {np.abs(err / se).max():.2f}")
    try:
        from statsmodels.stats._lilliefors_critical_values import (
            PERCENTILES,
            normal_crit_vals,
        )
    except ImportError:  # pragma: no cover - statsmodels is a dependency
        return worst
    alpha = 1 - np.asarray(PERCENTILES) / 100.0
    use = (alpha <= 0.25) & (alpha >= 0.001)
    for n in sorted(normal_crit_vals):
        err = lilliefors_pvalue(np.asarray(normal_crit_vals[n])[use], n) - alpha[use]
        worst["sm_max_abs"] = max(worst["sm_max_abs"], float(np.abs(err).max()))
        mid = alpha[use] >= 0.1
        worst["sm_max_abs_0.1_0.25"] = max(worst["sm_max_abs_0.1_0.25"],
                                           float(np.abs(err[mid]).max()))
        log(f"statsmodels n = {n:5d}: ours - alpha at alpha = "
            + " ".join(f"{a:g}:{e:+.5f}" for a, e in zip(alpha[use], err, strict=True)))
    log("summary: " + ", ".join(f"{k} = {v:.5f}" for k, v in worst.items()))
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="simulate and write the table")
    parser.add_argument("--check", action="store_true",
                        help="compare the table with a fresh simulation and statsmodels")
    parser.add_argument("--out", type=Path, default=TABLE_PATH, help="table file to write")
    parser.add_argument("--raw-out", type=Path, default=None,
                        help="also save the per-n empirical quantiles behind the fit (.npz)")
    args = parser.parse_args(argv)
    if not (args.build or args.check):
        parser.print_help()
        return 2
    if args.build:
        build(args.out, raw_out=args.raw_out)
    if args.check:
        check()
    return 0


if __name__ == "__main__":
    sys.exit(main())

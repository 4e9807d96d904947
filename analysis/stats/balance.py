"""Group balance of one characteristic: standardized mean difference and a two-group p-value.

What a "Table 1" in the layout of R's gtsummary (``add_p()``, ``add_difference()``) and
tableone (``smd = TRUE``) reports beside the group summaries.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def standardized_difference(x1: np.ndarray, x2: np.ndarray, *, binary: bool = False) -> float:
    """Standardized mean difference of group 1 minus group 2 (tableone's SMD, signed).

    Metric: (mean1 - mean2) / sqrt((var1 + var2) / 2) with sample variances; binary:
    (p1 - p2) / sqrt((p1 (1 - p1) + p2 (1 - p2)) / 2). NaN when a group is empty or the
    pooled spread is zero (with different means: inf with the sign of the difference).

    Examples
    --------
    >>> round(standardized_difference(np.array([1., 2, 3]), np.array([2., 3, 4])), 3)
    -1.0
    >>> round(standardized_difference(np.array([1, 1, 0, 0]), np.array([0, 0, 0, 1]),
    ...                               binary=True), 3)
    0.535
    """
    x1 = np.asarray(x1, dtype=float)
    x2 = np.asarray(x2, dtype=float)
    x1, x2 = x1[~np.isnan(x1)], x2[~np.isnan(x2)]
    if not x1.size or not x2.size:
        return math.nan
    m1, m2 = float(x1.mean()), float(x2.mean())
    if binary:
        spread = (m1 * (1 - m1) + m2 * (1 - m2)) / 2
    else:
        if x1.size < 2 or x2.size < 2:
            return math.nan
        spread = (float(x1.var(ddof=1)) + float(x2.var(ddof=1))) / 2
    if spread <= 0:
        return math.nan if m1 == m2 else math.copysign(math.inf, m1 - m2)
    return (m1 - m2) / math.sqrt(spread)


def balance_p(x1: np.ndarray, x2: np.ndarray, *, binary: bool = False) -> dict[str, Any]:
    """Two-group p-value of one characteristic, as a Table 1 prints it.

    Metric: Mann-Whitney (Wilcoxon rank-sum) test, tie-corrected normal approximation without
    continuity correction (the SPSS convention of this project). Binary: Pearson chi-square
    without continuity correction, or Fisher's exact test when an expected count is below 5.

    Returns
    -------
    dict
        ``{"test": "mann_whitney" | "chi_square" | "fisher", "p": float}`` (p NaN when not
        computable, e.g. an empty group or a constant characteristic).

    Examples
    --------
    >>> r = balance_p(np.array([1, 1, 1, 0] * 10), np.array([0, 0, 0, 1] * 10), binary=True)
    >>> r["test"], r["p"] < 0.001
    ('chi_square', True)
    """
    from scipy import stats

    x1 = np.asarray(x1, dtype=float)
    x2 = np.asarray(x2, dtype=float)
    x1, x2 = x1[~np.isnan(x1)], x2[~np.isnan(x2)]
    if binary:
        if not x1.size or not x2.size:
            return {"test": "chi_square", "p": math.nan}
        table = np.array([[(x1 == 1).sum(), (x1 == 0).sum()],
                          [(x2 == 1).sum(), (x2 == 0).sum()]], dtype=float)
        if (table.sum(axis=0) == 0).any():
            return {"test": "chi_square", "p": math.nan}
        expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0) / table.sum()
        if (expected < 5).any():
            return {"test": "fisher", "p": float(stats.fisher_exact(table)[1])}
        chi2 = float(((table - expected) ** 2 / expected).sum())
        return {"test": "chi_square", "p": float(stats.chi2.sf(chi2, 1))}
    if not x1.size or not x2.size or np.ptp(np.concatenate([x1, x2])) == 0:
        return {"test": "mann_whitney", "p": math.nan}
    res = stats.mannwhitneyu(x1, x2, alternative="two-sided", use_continuity=False,
                             method="asymptotic")
    return {"test": "mann_whitney", "p": float(res.pvalue)}

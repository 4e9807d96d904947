"""Welch's unequal-variance t-test (the parametric alternative to Mann-Whitney)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from analysis.stats._common import (
    _Z95,
    Row,
    _frame,
    _na,
    _row,
    _show,
    _two_groups,
)


def welch_t(
    data: pd.DataFrame,
    dv: str,
    group: str,
    *,
    groups: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Welch's unequal-variance t-test with the mean difference and Hedges' g.

    The parametric counterpart of :func:`mann_whitney`, used when a metric outcome is normal in
    both groups (SPSS Independent-Samples T Test, row "Equal variances not assumed").

    Parameters
    ----------
    data : DataFrame
        One row per case.
    dv : str
        Numeric test variable.
    group : str
        Grouping variable.
    groups : (first, second), optional
        The two levels, in reporting order (default as in :func:`mann_whitney`).

    Returns
    -------
    DataFrame
        Columns :data:`STAT_COLUMNS`. Statistics, in this order:

        ``n``, ``mean``, ``sd``
            per group (term = level); ``sd`` with ddof = 1.
        ``n_valid``, ``n_missing``, ``n_excluded``
            as in :func:`mann_whitney`.
        ``t``
            (mean1 - mean2) / sqrt(s1²/n1 + s2²/n2); ``df`` = Welch-Satterthwaite;
            p two-sided.
        ``mean_difference``
            first minus second, with the Welch 95% CI.
        ``hedges_g``
            bias-corrected standardised difference (pooled SD, J = 1 - 3 / (4 (n1 + n2) - 9)),
            95% CI g +- 1.96 sqrt((n1 + n2) / (n1 n2) + g² / (2 (n1 + n2))).

    Raises
    ------
    KeyError, ValueError
        As :func:`mann_whitney`.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.stats import welch_t
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4, 2, 4, 6, 8, 10], "g": ["a"] * 4 + ["b"] * 5})
    >>> round(float(welch_t(df, "y", "g").set_index("statistic").loc["t", "value"]), 4)
    -2.2514
    """
    levels, y_all, valid, in_lvl = _two_groups(data, dv, group, groups)
    xs = [y_all[m & valid] for m in in_lvl]
    return _frame(welch_t_rows(xs[0], xs[1], levels, n_missing=int((~valid).sum()),
                               n_excluded=int((valid & ~(in_lvl[0] | in_lvl[1])).sum())))


def welch_t_rows(x1: np.ndarray, x2: np.ndarray, levels: Sequence[Any], *, n_missing: int = 0,
                 n_excluded: int = 0) -> list[Row]:
    """The rows of :func:`welch_t` from the two groups' non-missing values (the core).

    Examples
    --------
    >>> rows = welch_t_rows(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0]), ["a", "b"])
    >>> [(r[0], round(r[2], 4)) for r in rows if r[0] == "mean_difference"]
    [('mean_difference', -2.0)]
    """
    levels = list(levels)
    xs = [np.asarray(x1, dtype=float), np.asarray(x2, dtype=float)]
    rows: list[Row] = []
    problems: list[str] = []
    for lv, x in zip(levels, xs, strict=True):
        term = str(lv)
        rows.append(_row("n", term, x.size))
        if x.size == 0:
            why = f"group {_show(lv)} has no observations"
            rows += [_na("mean", term, why), _na("sd", term, why)]
            problems.append(why)
            continue
        rows.append(_row("mean", term, float(x.mean())))
        if x.size < 2:
            why = f"group {_show(lv)} has n = {x.size} < 2 observations"
            rows.append(_na("sd", term, why))
            problems.append(why)
        else:
            rows.append(_row("sd", term, float(x.std(ddof=1))))
    n1, n2 = xs[0].size, xs[1].size
    rows += [_row("n_valid", "", n1 + n2), _row("n_missing", "", n_missing),
             _row("n_excluded", "", n_excluded)]
    if problems:
        why = "; ".join(problems)
        return rows + [_na(s, "", why) for s in ("t", "mean_difference", "hedges_g")]
    m1, m2 = float(xs[0].mean()), float(xs[1].mean())
    v1, v2 = float(xs[0].var(ddof=1)), float(xs[1].var(ddof=1))
    diff = m1 - m2
    se2 = v1 / n1 + v2 / n2
    if se2 <= 0:
        why = "both groups are constant (no within-group variance)"
        return rows + [_na(s, "", why) for s in ("t", "mean_difference", "hedges_g")]
    se = math.sqrt(se2)
    df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    t_val = diff / se
    p_val = float(2.0 * special.stdtr(df, -abs(t_val)))
    q = float(special.stdtrit(df, 0.975))
    rows.append(_row("t", "", t_val, df, p_val))
    rows.append(_row("mean_difference", "", diff, p=p_val, ci_low=diff - q * se,
                     ci_high=diff + q * se))
    pooled = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    g = (1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0)) * diff / pooled
    se_g = math.sqrt((n1 + n2) / (n1 * n2) + g * g / (2.0 * (n1 + n2)))
    rows.append(_row("hedges_g", "", g, ci_low=g - _Z95 * se_g, ci_high=g + _Z95 * se_g))
    return rows



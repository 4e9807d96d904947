"""Mann-Whitney U test as SPSS NPAR TESTS /M-W prints it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from analysis.stats._common import (
    Row,
    _frame,
    _na,
    _row,
    _show,
    _two_groups,
)

# --------------------------------------------------------------------------------------------
# Mann-Whitney
# --------------------------------------------------------------------------------------------

#: ``exact="auto"`` computes the exact Mann-Whitney p for at most this many cases (no ties).
MW_EXACT_MAX_N: int = 50
HL_MAX_PAIRS: int = 4_000_000  # pairwise differences held in memory for Hodges-Lehmann (32 MB)

#: SPSS NPAR TESTS prints the exact Mann-Whitney significance for at most this many cases
#: (``exact="auto"`` adds ``exact_p_spss`` up to this size).
SPSS_MW_EXACT_MAX_N: int = 40


def _exact_rank_sum_p(ranks: np.ndarray, n1: int, rank_sum_1: float) -> float:
    """Two-sided exact p, SPSS's "2*(1-tailed Sig.)", for the rank sum of the first group.

    The null distribution of the rank sum of ``n1`` cases drawn without replacement from the
    pooled (mid)ranks is obtained by dynamic programming over doubled ranks (integers), so
    ties are handled exactly (permutation distribution given the observed ties). The p-value
    is ``min(1, 2 * min(P(R <= r), P(R >= r)))``.
    """
    h = np.rint(2.0 * np.asarray(ranks)).astype(np.int64)
    top = int(np.sort(h)[::-1][:n1].sum())
    dp = np.zeros((n1 + 1, top + 1))
    dp[0, 0] = 1.0
    for i, hi in enumerate(h):
        for k in range(min(i + 1, n1), 0, -1):
            dp[k, hi:] += dp[k - 1, : top + 1 - hi]
        peak = dp.max()
        if peak > 1e250:
            dp /= peak
    dist = dp[n1]
    dist = dist / dist.sum()
    obs = int(round(2.0 * rank_sum_1))
    lower = float(dist[: obs + 1].sum())
    upper = float(dist[obs:].sum())
    return min(1.0, 2.0 * min(lower, upper))


def mann_whitney(
    data: pd.DataFrame,
    dv: str,
    group: str,
    *,
    groups: Sequence[Any] | None = None,
    exact: bool | str = "auto",
) -> pd.DataFrame:
    """Mann-Whitney U test as SPSS NPAR TESTS /M-W prints it, with effect sizes.

    Parameters
    ----------
    data : DataFrame
        One row per case.
    dv : str
        Numeric (ordinal or metric) test variable.
    group : str
        Grouping variable.
    groups : (first, second), optional
        The two levels to compare, in reporting order. Default: the two categories of a
        categorical column, else the two sorted observed values (a ValueError if there are not
        exactly two). Cases in other levels are excluded (``n_excluded``).
    exact : {"auto", True, False}, default "auto"
        ``"auto"``: ``exact_p`` when n1 + n2 <= :data:`MW_EXACT_MAX_N` and there are no
        ties, ``exact_p_spss`` when n1 + n2 <= :data:`SPSS_MW_EXACT_MAX_N` (as SPSS).
        ``True``: both, always. ``False``: neither.

    Returns
    -------
    DataFrame
        Columns :data:`STAT_COLUMNS`. Statistics, in this order:

        ``n``, ``mean_rank``, ``rank_sum``, ``median``, ``q1``, ``q3``
            per group (term = level); ranks are pooled midranks, quartiles are SPSS's default
            weighted average at (n + 1) p (HAVERAGE).
        ``n_valid``, ``n_missing``, ``n_excluded``
            cases used; cases missing ``dv`` or ``group``; cases of other levels.
        ``mann_whitney_u``
            SPSS's U = min(U1, U2); p = asymptotic two-sided p.
        ``u_first``
            U1 = R1 - n1 (n1 + 1) / 2 of the first group (number of pairs in which the first
            group's value is larger, ties counting 1/2).
        ``wilcoxon_w``
            SPSS's W: the rank sum of the group whose U is printed, i.e. the group with the
            smaller mean rank (whatever the group sizes); with equal mean ranks the smaller
            group, with equal sizes too the first. ``term`` names the group.
        ``z``
            tie-corrected normal approximation without continuity correction,
            (U - n1 n2 / 2) / sigma with U = min, so z <= 0 as SPSS prints it; p = asymptotic
            two-sided.
        ``exact_p``
            exact two-sided p, 2 * (1-tailed), from the permutation distribution of the rank
            sum *given the observed ties* (in ``p``; value NaN). Equal to ``exact_p_spss``
            without ties.
        ``exact_p_spss``
            SPSS "Exact Sig. [2*(1-tailed Sig.)]": the same doubling, but from the distribution
            of U without ties (ranks 1..N, SPSS's footnote "Not corrected for ties"), capped
            at 1 (in ``p``; value NaN).
        ``r``
            Z / sqrt(N) with the z of U1 (first minus second): positive when the first group
            tends to have larger values.
        ``rank_biserial``
            2 U1 / (n1 n2) - 1 = 2 (mean rank 1 - mean rank 2) / N; same sign as ``r``.
        ``hodges_lehmann``
            median of all differences first - second.

    Raises
    ------
    KeyError
        If ``dv`` or ``group`` is not a column.
    ValueError
        If ``groups`` is not two distinct levels, cannot be inferred, ``exact`` is invalid or
        ``dv`` is not numeric.

    Notes
    -----
    scipy's :func:`scipy.stats.mannwhitneyu` reports the U of the *first* sample and applies a
    continuity correction by default; neither is SPSS's convention, so it is not used for U or
    Z. A group with fewer than 2 cases makes the test rows not estimable (group rows are kept);
    a variable with a single value makes ``z``, its p and ``r`` not estimable ("all values are
    tied (no variance in ranks)").

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.stats import mann_whitney
    >>> df = pd.DataFrame({"y": [1, 3, 5, 2, 4, 6, 7], "g": ["a"] * 3 + ["b"] * 4})
    >>> res = mann_whitney(df, "y", "g").set_index("statistic")
    >>> float(res.loc["mann_whitney_u", "value"]), float(round(res.loc["exact_p", "p"], 4))
    (3.0, 0.4)
    """
    if not (exact == "auto" or exact is True or exact is False):
        raise ValueError(f"exact must be 'auto', True or False, not {exact!r}")
    levels, y_all, valid, in_lvl = _two_groups(data, dv, group, groups)
    n_missing = int((~valid).sum())
    n_excluded = int((valid & ~(in_lvl[0] | in_lvl[1])).sum())
    xs = [y_all[m & valid] for m in in_lvl]
    had = [int(m.sum()) for m in in_lvl]
    return _frame(mann_whitney_rows(xs[0], xs[1], levels, dv=dv, exact=exact, had=had,
                                    n_missing=n_missing, n_excluded=n_excluded))


def midranks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mid-ranks of ``x`` (ties share the mean of their ranks) and the size of each tie group.

    Equal to ``scipy.stats.rankdata(x)`` (method ``average``), without its overhead.

    Examples
    --------
    >>> ranks, ties = midranks(np.array([3.0, 1.0, 3.0, 2.0]))
    >>> ranks.tolist(), ties.tolist()
    ([3.5, 1.0, 3.5, 2.0], [1, 1, 2])
    """
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]]) if x.size else np.array([], int)
    counts = np.diff(np.r_[starts, x.size])
    ranks = np.empty(x.size)
    ranks[order] = np.repeat(starts + (counts + 1) / 2.0, counts)
    return ranks, counts


def mann_whitney_rows(
    x1: np.ndarray,
    x2: np.ndarray,
    levels: Sequence[Any],
    *,
    dv: str = "y",
    exact: bool | str = "auto",
    had: Sequence[int] | None = None,
    n_missing: int = 0,
    n_excluded: int = 0,
) -> list[Row]:
    """The rows of :func:`mann_whitney` from the two groups' non-missing values (the core).

    ``had`` counts each group's cases before missing values were dropped (for the reason
    given when a group is empty); the engine calls this with arrays, building no DataFrame.

    Examples
    --------
    >>> rows = mann_whitney_rows(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0]), ["a", "b"])
    >>> [(r[0], r[2]) for r in rows if r[0] in ("mann_whitney_u", "wilcoxon_w")]
    [('mann_whitney_u', 0.0), ('wilcoxon_w', 6.0)]
    """
    levels = list(levels)
    xs = [np.asarray(x1, dtype=float), np.asarray(x2, dtype=float)]
    had = list(had) if had is not None else [x.size for x in xs]
    n1, n2 = (x.size for x in xs)
    n_tot = n1 + n2
    pooled = np.concatenate(xs)
    ranks, tie_counts = midranks(pooled)
    rk = [ranks[:n1], ranks[n1:]]

    rows: list[Row] = []
    for lv, x, r, h in zip(levels, xs, rk, had, strict=True):
        term = str(lv)
        rows.append(_row("n", term, x.size))
        if x.size == 0:
            why = (f"group {_show(lv)} has no non-missing values of {dv!r}" if h
                   else f"group {_show(lv)} has no observations")
            rows += [_na(s, term, why) for s in ("mean_rank", "rank_sum", "median", "q1", "q3")]
            continue
        rows.append(_row("mean_rank", term, r.mean()))
        rows.append(_row("rank_sum", term, r.sum()))
        rows.append(_row("median", term, float(np.median(x))))
        q1, q3 = np.quantile(x, [0.25, 0.75], method="weibull")
        rows.append(_row("q1", term, q1))
        rows.append(_row("q3", term, q3))
    rows += [_row("n_valid", "", n_tot), _row("n_missing", "", n_missing),
             _row("n_excluded", "", n_excluded)]

    test_stats = ("mann_whitney_u", "u_first", "wilcoxon_w", "z", "exact_p", "exact_p_spss",
                  "r", "rank_biserial", "hodges_lehmann")
    problems = []
    for lv, x, h in zip(levels, xs, had, strict=True):
        if x.size == 0:
            problems.append(f"group {_show(lv)} has no non-missing values of {dv!r}" if h
                            else f"group {_show(lv)} has no observations")
        elif x.size < 2:
            problems.append(f"group {_show(lv)} has n = {x.size} < 2 observations")
    if problems:
        return rows + [_na(s, "", "; ".join(problems)) for s in test_stats]

    r1, r2 = float(rk[0].sum()), float(rk[1].sum())
    u1 = r1 - n1 * (n1 + 1) / 2.0
    u2 = n1 * n2 - u1
    u = min(u1, u2)
    ties = float((tie_counts**3 - tie_counts).sum())
    var = n1 * n2 / (n_tot * (n_tot - 1.0)) * ((n_tot**3 - n_tot) / 12.0 - ties / 12.0)
    # W: rank sum of the group with the smaller mean rank, whose U SPSS prints (u1 < u2 iff
    # mean rank 1 < mean rank 2); equal mean ranks: the smaller group, then the first
    w_group = int(u2 < u1) if u1 != u2 else int(n2 < n1)
    w = (r1, r2)[w_group]

    if var > 0:
        sigma = math.sqrt(var)
        z = (u - n1 * n2 / 2.0) / sigma
        z_first = (u1 - n1 * n2 / 2.0) / sigma
        p_asym = float(2.0 * special.ndtr(-abs(z)))
        rows.append(_row("mann_whitney_u", "", u, p=p_asym))
    else:
        rows.append(_row("mann_whitney_u", "", u))
    rows.append(_row("u_first", str(levels[0]), u1))
    rows.append(_row("wilcoxon_w", str(levels[w_group]), w))
    tied_all = "all values are tied (no variance in ranks)"
    if var > 0:
        rows.append(_row("z", "", z, p=p_asym))
    else:
        rows.append(_na("z", "", tied_all))

    has_ties = tie_counts.size < n_tot
    if exact is True or (exact == "auto" and n_tot <= MW_EXACT_MAX_N and not has_ties):
        rows.append(_row("exact_p", "", p=_exact_rank_sum_p(ranks, n1, r1)))
    elif exact is False:
        rows.append(_na("exact_p", "", "exact p not requested (exact=False)"))
    else:
        rows.append(_na("exact_p", "", "exact p computed only for small samples without ties "
                        f"(n1 + n2 <= {MW_EXACT_MAX_N}); pass exact=True to force it"))
    if exact is True or (exact == "auto" and n_tot <= SPSS_MW_EXACT_MAX_N):
        # SPSS: the distribution of U without ties (ranks 1..N), "not corrected for ties"
        untied = np.arange(1.0, n_tot + 1.0)
        rows.append(_row("exact_p_spss", "", p=_exact_rank_sum_p(untied, n1, r1)))
    elif exact is False:
        rows.append(_na("exact_p_spss", "", "exact p not requested (exact=False)"))
    else:
        rows.append(_na("exact_p_spss", "", "SPSS prints the exact significance only for "
                        f"n1 + n2 <= {SPSS_MW_EXACT_MAX_N} cases; pass exact=True to force it"))
    if var > 0:
        rows.append(_row("r", "", z_first / math.sqrt(n_tot)))
    else:
        rows.append(_na("r", "", tied_all))
    rows.append(_row("rank_biserial", "", 2.0 * u1 / (n1 * n2) - 1.0))
    if n1 * n2 <= HL_MAX_PAIRS:
        diffs = (xs[0][:, None] - xs[1][None, :]).ravel()
        rows.append(_row("hodges_lehmann", "", float(np.median(diffs))))
    else:
        rows.append(_na("hodges_lehmann", "", f"Hodges-Lehmann estimate not computed for "
                        f"n1 x n2 = {n1 * n2} > {HL_MAX_PAIRS} pairs (memory grows with the "
                        "product of the group sizes)"))
    return rows



"""Crosstabs: chi-square tests, Fisher's exact test, phi, Cramer's V (SPSS CROSSTABS)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from analysis.stats._common import (
    _Z95,
    Row,
    _frame,
    _is_number,
    _levels,
    _na,
    _require,
    _row,
    _scores,
    _show,
    wilson_interval,
)

# --------------------------------------------------------------------------------------------
# crosstab
# --------------------------------------------------------------------------------------------

#: Largest number of enumeration nodes for Fisher's exact test on an r x c table.
FISHER_MAX_TABLES: int = 1_000_000
#: Largest table total for which the r x c enumeration is tried at all: beyond it the network
#: has more than :data:`FISHER_MAX_TABLES` nodes for any margins with two or more free cells
#: per column, and finding that out costs a minute; the asymptotic tests stand (as in SPSS,
#: whose exact tests stop at a time limit).
FISHER_MAX_N: int = 2_000


def _chi2_sf(x: float, df: float) -> float:
    """Upper tail of chi-square (scipy.special, without the distribution-object overhead)."""
    return float(special.chdtrc(df, x))


def fisher_2x2(table: np.ndarray) -> tuple[float, float, float]:
    """Fisher's exact test of a 2x2 table: (two-sided, greater, less) p-values.

    The hypergeometric distribution of the top-left cell given the margins is summed directly
    (log-gamma); two-sided p adds every table at most as probable as the observed one (relative
    tolerance 1e-7, as scipy and R). ``greater`` is P(a >= observed), the alternative that the
    odds ratio exceeds 1. Checked against :func:`scipy.stats.fisher_exact` in the tests.

    Examples
    --------
    >>> [round(p, 4) for p in fisher_2x2(np.array([[3, 1], [1, 3]]))]
    [0.4857, 0.2429, 0.9857]
    """
    (a, b), (c, d) = (int(v) for v in table[0]), (int(v) for v in table[1])
    r1, c1, n = a + b, a + c, a + b + c + d
    lo, hi = max(0, c1 - (n - r1)), min(r1, c1)
    k = np.arange(lo, hi + 1)
    logp = (special.gammaln(r1 + 1) + special.gammaln(n - r1 + 1) + special.gammaln(c1 + 1)
            + special.gammaln(n - c1 + 1) - special.gammaln(n + 1) - special.gammaln(k + 1)
            - special.gammaln(r1 - k + 1) - special.gammaln(c1 - k + 1)
            - special.gammaln(n - r1 - c1 + k + 1))
    pmf = np.exp(logp - logp.max())
    pmf /= pmf.sum()
    obs = pmf[a - lo]
    two = float(pmf[pmf <= obs * (1 + 1e-7)].sum())
    greater, less = float(pmf[a - lo:].sum()), float(pmf[: a - lo + 1].sum())
    return min(1.0, two), min(1.0, greater), min(1.0, less)

#: Largest number of tables (complete or partial) enumerated for the exact tests of
#: ``crosstab(..., exact=True)`` (Pearson, likelihood ratio, linear-by-linear).
EXACT_MAX_TABLES: int = 2_000_000


def _fisher_rxc(table: np.ndarray, max_nodes: int) -> float | None:
    """Two-sided Fisher-Freeman-Halton exact p for an r x c table.

    The p-value is the total probability (multivariate hypergeometric, margins fixed) of all
    tables whose probability does not exceed that of the observed table (relative tolerance
    1e-7, as R and scipy). Tables are enumerated column by column with the shortcuts of the
    network algorithm (Mehta & Patel 1983): for the columns still to fill, exact per-column
    bounds of the largest and smallest attainable probability (even spreading / greedy
    filling, optimal by majorization) decide whether *all* completions are at most as probable
    as the observed table (their total probability is added in closed form,
    M! / (prod rem_i! prod C_j!)) or none is (pruned). Returns None when more than
    ``max_nodes`` nodes would be visited, or at once when the total exceeds
    :data:`FISHER_MAX_N`.
    """
    obs = np.asarray(table, dtype=np.int64)
    if int(obs.sum()) > FISHER_MAX_N:
        return None
    r_max, c_max = obs.sum(axis=1).max(), obs.sum(axis=0).max()
    if obs.shape[0] > obs.shape[1] or (obs.shape[0] == obs.shape[1] and r_max > c_max):
        obs = obs.T  # few rows with small margins -> fewer column vectors per node
    rows = obs.shape[0]
    row_tot = [int(v) for v in obs.sum(axis=1)]
    col_tot = sorted((int(v) for v in obs.sum(axis=0)), reverse=True)
    cols = len(col_tot)
    n = int(obs.sum())
    lf = special.gammaln(np.arange(n + 2) + 1.0).tolist()  # lf[m] = log m!
    const = sum(lf[r] for r in row_tot) + sum(lf[c] for c in col_tot) - lf[n]
    threshold = const - float(sum(lf[int(v)] for v in obs.ravel())) + 1e-7
    suffix_cols = [sum(col_tot[j:]) for j in range(cols + 1)]
    total = 0.0
    nodes = 0

    def vectors(rem: tuple[int, ...], size: int) -> Iterator[list[int]]:
        """The column vectors of a node, lazily: the node cap stops a large enumeration
        before it is built (large margins have astronomically many)."""
        suffix = [sum(rem[i:]) for i in range(rows)] + [0]

        def rec(i: int, left: int, cur: list[int]) -> Iterator[list[int]]:
            if i == rows - 1:
                if left <= rem[i]:
                    yield [*cur, left]
                return
            for x in range(max(0, left - suffix[i + 1]), min(rem[i], left) + 1):
                yield from rec(i + 1, left - x, [*cur, x])

        return rec(0, size, [])

    # the network: node = multiset of remaining row margins before column j; an edge fills
    # column j and carries (child, step = -sum log x! of the column, number of such columns)
    Edge = tuple[tuple[int, ...], float, int]
    start = tuple(sorted(row_tot))
    layers: list[dict[tuple[int, ...], list[Edge]]] = []
    current = {start}
    for j in range(cols - 1):
        layer: dict[tuple[int, ...], list[Edge]] = {}
        for rem in current:
            kids: dict[tuple[tuple[int, ...], float], list[Any]] = {}
            for vec in vectors(rem, col_tot[j]):
                kid = tuple(sorted(r - v for r, v in zip(rem, vec, strict=True)))
                step = -sum(lf[v] for v in vec)
                kids.setdefault((kid, round(step, 9)), [kid, step, 0])[2] += 1
                nodes += 1
                if nodes > max_nodes:
                    return None
            layer[rem] = [(k, st, m) for k, st, m in kids.values()]
        layers.append(layer)
        current = {kid for edges in layer.values() for kid, _, _ in edges}
    # exact longest / shortest remaining path of every node (backward pass)
    longest = {rem: -sum(lf[r] for r in rem) for rem in current}
    shortest = dict(longest)
    bounds = []
    for layer in reversed(layers):
        longest = {rem: max(st + longest[k] for k, st, _ in edges)
                   for rem, edges in layer.items()}
        shortest = {rem: min(st + shortest[k] for k, st, _ in edges)
                    for rem, edges in layer.items()}
        bounds.append((longest, shortest))
    bounds.reverse()
    # forward pass over distinct past path values (weight = number of partial tables)
    stage: dict[tuple[int, ...], dict[float, list[float]]] = {start: {0.0: [0.0, 1.0]}}
    for j, layer in enumerate(layers):
        longest, shortest = bounds[j]
        nxt: dict[tuple[int, ...], dict[float, list[float]]] = {}
        for rem, paths in stage.items():
            closed = (lf[suffix_cols[j]] - sum(lf[r] for r in rem)
                      - sum(lf[c] for c in col_tot[j:]))
            for acc, weight in paths.values():
                nodes += 1
                if nodes > max_nodes:
                    return None
                if const + acc + longest[rem] <= threshold:  # every completion counts
                    total += weight * math.exp(const + acc + closed)
                    continue
                if const + acc + shortest[rem] > threshold:  # no completion counts
                    continue
                for kid, step, mult in layer[rem]:
                    value = acc + step
                    slot = nxt.setdefault(kid, {}).setdefault(round(value, 9), [value, 0.0])
                    slot[1] += weight * mult
        stage = nxt
    for rem, paths in stage.items():
        last = -sum(lf[r] for r in rem)
        for acc, weight in paths.values():
            lp = const + acc + last
            if lp <= threshold:
                total += weight * math.exp(lp)
    return min(1.0, total)


_EXACT_REL_TOL = 1e-7  # statistics equal up to this relative difference count as ties


def _table_distribution(obs: np.ndarray, u: np.ndarray, v: np.ndarray, max_tables: int,
                        ) -> dict[str, np.ndarray] | None:
    """Every r x c table with the margins of ``obs``, with its probability and statistics.

    Tables are enumerated column by column, each column's cells row by row within the bounds
    the remaining row margins leave (vectorised: one array entry per partial table). Returns
    arrays over all tables: ``logp`` (log multivariate-hypergeometric probability given both
    margins), ``pearson`` (Pearson chi-square), ``xlogx`` (sum x ln x, which orders tables
    exactly as the likelihood ratio G does: G = 2 sum x ln x - a constant of the margins) and
    ``t`` (sum u_i v_j x_ij, the linear-by-linear statistic's core). None when more than
    ``max_tables`` partial tables would be held.
    """
    obs = np.asarray(obs, dtype=np.int64)
    r, c = obs.shape
    row_tot, col_tot = obs.sum(axis=1), obs.sum(axis=0)
    n = int(obs.sum())
    expected = np.outer(row_tot, col_tot) / n
    counts_range = np.arange(n + 1, dtype=float)
    log_fact = special.gammaln(counts_range + 1.0)
    xlogx_of = special.xlogy(counts_range, counts_range)
    rem = row_tot[None, :].copy()
    logp, pearson, xlogx, t = np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1)
    for j in range(c):
        if j == c - 1:
            column = rem
        else:
            left = np.full(rem.shape[0], col_tot[j], dtype=np.int64)
            cells: list[np.ndarray] = []
            for i in range(r - 1):
                low = np.maximum(0, left - rem[:, i + 1:].sum(axis=1))
                size = np.minimum(rem[:, i], left) - low + 1
                total = int(size.sum())
                if total > max_tables:
                    return None
                idx = np.repeat(np.arange(rem.shape[0]), size)
                x = low[idx] + np.arange(total) - np.repeat(np.cumsum(size) - size, size)
                rem, left = rem[idx], left[idx] - x
                logp, pearson, xlogx, t = logp[idx], pearson[idx], xlogx[idx], t[idx]
                cells = [cell[idx] for cell in cells] + [x]
            column = np.stack([*cells, left], axis=1)
        logp = logp - log_fact[column].sum(axis=1)
        pearson = pearson + (column.astype(float) ** 2 / expected[:, j]).sum(axis=1)
        xlogx = xlogx + xlogx_of[column].sum(axis=1)
        t = t + v[j] * (column * u).sum(axis=1)
        rem = rem - column
    const = log_fact[row_tot].sum() + log_fact[col_tot].sum() - log_fact[n]
    return {"logp": logp + const, "pearson": pearson - n, "xlogx": xlogx, "t": t}


def _ffh_statistic(obs: np.ndarray) -> float:
    """Fisher-Freeman-Halton statistic -2 ln(gamma P), P = probability of the observed table.

    gamma = (2 pi)^((r-1)(c-1)/2) N^(-(rc-1)/2) prod R_i^((c-1)/2) prod C_j^((r-1)/2)
    (Freeman & Halton 1951; SPSS Exact Tests), so the statistic is asymptotically chi-square
    with (r-1)(c-1) df.
    """
    obs = np.asarray(obs, dtype=np.int64)
    r, c = obs.shape
    row_tot, col_tot = obs.sum(axis=1), obs.sum(axis=0)
    n = int(obs.sum())
    log_p = float(special.gammaln(row_tot + 1.0).sum() + special.gammaln(col_tot + 1.0).sum()
                  - special.gammaln(n + 1.0) - special.gammaln(obs + 1.0).sum())
    log_gamma = ((r - 1) * (c - 1) / 2.0 * math.log(2.0 * math.pi)
                 - (r * c - 1) / 2.0 * math.log(n)
                 + (c - 1) / 2.0 * float(np.log(row_tot).sum())
                 + (r - 1) / 2.0 * float(np.log(col_tot).sum()))
    return -2.0 * (log_gamma + log_p)


def _exact_rows(obs: np.ndarray, u: np.ndarray, v: np.ndarray, numeric: bool,
                chi2: float, g: float, dof: int, lbl: float | None, p_fisher: float | None,
                p_one: float | None) -> list[Row]:
    """Rows of CROSSTABS /METHOD=EXACT (see :func:`crosstab`) for a table without empty margins.

    ``p_fisher`` is the Fisher(-Freeman-Halton) exact p already computed (None if not), and
    ``p_one`` the one-sided Fisher p of a 2x2 table.
    """
    is_2x2 = obs.shape == (2, 2)
    rows: list[Row] = []
    dist = _table_distribution(obs, u, v, EXACT_MAX_TABLES)
    too_many = (f"exact tests not computed: more than {EXACT_MAX_TABLES:,} tables have these "
                "margins")
    if dist is not None:
        prob = np.exp(dist["logp"])
        n = int(obs.sum())
        chi_obs = float((obs.astype(float) ** 2 / (np.outer(obs.sum(1), obs.sum(0)) / n)).sum()
                        - n)
        xlogx_obs = float(special.xlogy(obs, obs).sum())

        def at_least(values: np.ndarray, observed: float) -> float:
            return min(1.0, float(prob[values >= observed - _EXACT_REL_TOL
                                       * max(1.0, abs(observed))].sum()))

        rows.append(_row("pearson_chi2_exact", "", chi2, dof, at_least(dist["pearson"],
                                                                        chi_obs)))
        if is_2x2:
            rows.append(_row("pearson_chi2_exact_one_sided", "", p=p_one))
        rows.append(_row("likelihood_ratio_exact", "", g, dof, at_least(dist["xlogx"],
                                                                         xlogx_obs)))
        if is_2x2:
            rows.append(_row("likelihood_ratio_exact_one_sided", "", p=p_one))
    else:
        rows.append(_na("pearson_chi2_exact", "", too_many, df=dof))
        if is_2x2:
            rows.append(_na("pearson_chi2_exact_one_sided", "", too_many))
        rows.append(_na("likelihood_ratio_exact", "", too_many, df=dof))
        if is_2x2:
            rows.append(_na("likelihood_ratio_exact_one_sided", "", too_many))
    if not is_2x2:
        if p_fisher is None:
            rows.append(_na("fisher_freeman_halton", "", "Fisher's exact test for r x c tables "
                            f"not computed (exact enumeration would exceed "
                            f"{FISHER_MAX_TABLES:,} steps for these margins)"))
        else:
            rows.append(_row("fisher_freeman_halton", "", _ffh_statistic(obs), p=p_fisher))
    names = ("linear_by_linear_exact", "linear_by_linear_exact_one_sided",
             "linear_by_linear_standardized", "point_probability")
    if not numeric:
        why = ("linear-by-linear association needs numeric row and column values (SPSS "
               "prints it only for numeric variables)")
        return rows + [_na(s, "", why) for s in names]
    if lbl is None:
        return rows + [_na(s, "", "row or column scores do not vary") for s in names]
    n = float(obs.sum())
    t_obs = float(u @ obs @ v)
    mean = float((u @ obs.sum(axis=1)) * (v @ obs.sum(axis=0)) / n)
    z = math.copysign(math.sqrt(lbl), t_obs - mean)
    if dist is None:
        return rows + [_na(names[0], "", too_many, df=1), _na(names[1], "", too_many),
                       _row(names[2], "", z), _na(names[3], "", too_many)]
    t = dist["t"]
    tol = _EXACT_REL_TOL * max(1.0, abs(t_obs))
    dev = abs(t_obs - mean)
    p_two = float(prob[np.abs(t - mean) >= dev - tol].sum())
    upper = float(prob[t >= t_obs - tol].sum())
    lower = float(prob[t <= t_obs + tol].sum())
    # one-sided: the tail in the direction of the observed deviation from the mean
    p_one_lbl = (min(upper, lower) if abs(t_obs - mean) <= tol
                 else upper if t_obs > mean else lower)
    point = float(prob[np.abs(t - t_obs) <= tol].sum())
    return rows + [_row(names[0], "", lbl, 1, min(1.0, p_two)),
                   _row(names[1], "", p=min(1.0, p_one_lbl)),
                   _row(names[2], "", z),
                   _row(names[3], "", point)]


def _exact_names(is_2x2: bool) -> list[str]:
    """Statistics added by ``exact=True``, in order."""
    one = ["pearson_chi2_exact_one_sided"] if is_2x2 else []
    return (["pearson_chi2_exact", *one, "likelihood_ratio_exact"]
            + (["likelihood_ratio_exact_one_sided"] if is_2x2 else ["fisher_freeman_halton"])
            + ["linear_by_linear_exact", "linear_by_linear_exact_one_sided",
               "linear_by_linear_standardized", "point_probability"])


def crosstab(
    data: pd.DataFrame,
    row: str,
    col: str,
    *,
    row_order: Sequence[Any] | None = None,
    col_order: Sequence[Any] | None = None,
    positive: Any = None,
    exact: bool = False,
) -> pd.DataFrame:
    """Contingency table with SPSS CROSSTABS statistics (Chi-Square Tests, Symmetric Measures).

    Parameters
    ----------
    data : DataFrame
        One row per case.
    row : str
        Grouping variable (table rows), e.g. ``"size_group"``.
    col : str
        Outcome (table columns), e.g. ``"export_plan"``.
    row_order, col_order : sequence, optional
        Levels in reporting order. Default: the categories of a categorical column, otherwise
        the sorted observed values. Levels listed here but absent from the data appear with
        zero counts; values not listed are excluded (counted in ``n_excluded``).
    positive : scalar, optional
        An outcome level (e.g. ``True``). If given, adds the share of ``positive`` per row level
        with its Wilson 95% CI and, for two row levels, the risk difference and odds ratio of
        the first row level versus the second.
    exact : bool, default False
        Add the exact tests of SPSS ``CROSSTABS /METHOD=EXACT`` (rows listed below, after
        ``linear_by_linear``). The default output does not change.

    Returns
    -------
    DataFrame
        Columns :data:`STAT_COLUMNS`. Statistics, in this order:

        ``observed``, ``expected``
            every cell, ``term = f"{row_level}|{col_level}"``.
        ``row_total`` / ``col_total``
            term = level.
        ``n_valid``, ``n_missing``, ``n_excluded``
            cases in the table, cases with a missing row or column value, cases whose value is
            not among the requested levels.
        ``pearson_chi2``
            Pearson chi-square **without** continuity correction (value, df, p).
        ``yates_chi2``
            2x2 tables only: SPSS "Continuity Correction".
        ``likelihood_ratio``
            G = 2 sum O ln(O/E) (value, df, p).
        ``fisher_exact``
            two-sided exact p (in ``p``; value NaN).
        ``fisher_exact_one_sided``
            2x2 only: SPSS "Exact Sig. (1-sided)", in the direction of the observed
            association.
        ``linear_by_linear``
            (N-1) r², df 1.

        With ``exact=True`` (SPSS's "Exact Sig." and "Point Probability" columns; every
        exact p is the total probability, margins fixed, of the tables at least as extreme):

        ``pearson_chi2_exact``
            value and df as ``pearson_chi2``; p = exact two-sided P(X² >= observed).
        ``pearson_chi2_exact_one_sided``
            2x2 only: p = exact one-sided, in the direction of the observed association.
        ``likelihood_ratio_exact``
            value and df as ``likelihood_ratio``; p = exact P(G >= observed).
        ``likelihood_ratio_exact_one_sided``
            2x2 only, as ``pearson_chi2_exact_one_sided``. (In a 2x2 table every statistic
            orders the tables by the first cell on either side of its expectation, so both
            one-sided p equal ``fisher_exact_one_sided``.)
        ``fisher_freeman_halton``
            tables other than 2x2: value = the Fisher-Freeman-Halton statistic
            -2 ln(gamma P) SPSS prints as "Fisher's Exact Test", p = its exact p (equal to
            ``fisher_exact``).
        ``linear_by_linear_exact``
            value and df as ``linear_by_linear``; p = exact two-sided
            P(abs(T - E T) >= observed), T = sum of u_i v_j n_ij.
        ``linear_by_linear_exact_one_sided``
            p = exact one-sided, in the direction of the observed T.
        ``linear_by_linear_standardized``
            value = (T - E T) / SD(T) = sign * sqrt(linear_by_linear), SPSS's footnote "The
            standardized statistic is ...".
        ``point_probability``
            value = P(T = observed T), SPSS's "Point Probability" (of the linear-by-linear
            statistic).

        The four linear-by-linear rows need numeric row and column levels (SPSS prints the
        test only for numeric variables); otherwise they are not estimable with that reason.
        ``cells_expected_lt5``, ``pct_cells_expected_lt5``, ``min_expected``
            SPSS's footnote to the Chi-Square Tests table.
        ``phi``
            sqrt(chi²/N); for 2x2 signed like ad - bc (SPSS); p = Pearson p.
        ``cramers_v``
            sqrt(chi²/(N (min(r, c) - 1))); p = Pearson p.
        ``proportion``
            (with ``positive``) per row level, Wilson 95% CI.
        ``risk_difference``
            (with ``positive``, 2 row levels) first minus second, Newcombe hybrid-score 95% CI.
        ``odds_ratio``
            (with ``positive``, 2 row levels) Woolf (log) 95% CI; not estimable with a zero
            cell, in which case ``odds_ratio_haldane`` (0.5 added to every cell) is added.

    Raises
    ------
    KeyError
        If ``row`` or ``col`` is not a column of ``data``.
    ValueError
        If an order has duplicates or ``positive`` is not among the declared outcome levels.

    Notes
    -----
    Statistics are computed on the table without empty rows or columns, as SPSS, which never
    shows levels without cases. When fewer than two non-empty row or column levels remain, the
    chi-square family (everything from ``pearson_chi2`` to ``cramers_v``) is not estimable and
    the reason names the empty group or the single outcome value; counts are still reported.
    :func:`scipy.stats.chi2_contingency` is *not* used for the Pearson row because it applies
    Yates's correction silently to 2x2 tables.

    Linear-by-linear association uses the level values as scores when every level is a number
    or boolean, else the positions 1, 2, ... in reporting order. Fisher's exact test for r x c
    tables (Freeman-Halton) is computed exactly by network enumeration of the tables with the
    observed margins, up to :data:`FISHER_MAX_TABLES` steps.

    The exact Pearson, likelihood-ratio and linear-by-linear tests enumerate every table with
    the observed margins (vectorised, column by column) with its multivariate hypergeometric
    probability; statistics equal up to a relative 1e-7 count as ties. Beyond
    :data:`EXACT_MAX_TABLES` tables these rows are not estimable (SPSS's ``TIMER`` limit plays
    the same role); ``fisher_freeman_halton`` keeps its own network algorithm.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.stats import crosstab
    >>> tea = pd.DataFrame({"poured": ["milk"] * 4 + ["tea"] * 4,
    ...                     "guess": ["milk"] * 3 + ["tea"] + ["milk"] + ["tea"] * 3})
    >>> res = crosstab(tea, "poured", "guess").set_index("statistic")
    >>> float(round(res.loc["fisher_exact", "p"], 4)), float(res.loc["pearson_chi2", "value"])
    (0.4857, 2.0)
    """
    _require(data, [row, col])
    sub = data[[row, col]]
    valid = sub.notna().all(axis=1).to_numpy()
    n_missing = int((~valid).sum())
    sub = sub.loc[valid]
    r_levels = _levels(sub[row], row_order, "row_order")
    c_levels = _levels(sub[col], col_order, "col_order")
    declared_col = col_order is not None or isinstance(sub[col].dtype, pd.CategoricalDtype)
    if positive is not None and declared_col and positive not in c_levels:
        raise ValueError(f"positive={positive!r} is not a level of {col!r}: {c_levels!r}")

    r_index = {v: i for i, v in enumerate(r_levels)}
    c_index = {v: i for i, v in enumerate(c_levels)}
    table = np.zeros((len(r_levels), len(c_levels)), dtype=np.int64)
    n_excluded = 0
    for rv, cv in zip(sub[row].tolist(), sub[col].tolist(), strict=True):
        i, j = r_index.get(rv), c_index.get(cv)
        if i is None or j is None:
            n_excluded += 1
        else:
            table[i, j] += 1
    return _frame(crosstab_rows(table, r_levels, c_levels, n_missing=n_missing,
                                n_excluded=n_excluded, row=row, col=col, positive=positive,
                                exact=exact))


def crosstab_rows(
    table: np.ndarray,
    r_levels: Sequence[Any],
    c_levels: Sequence[Any],
    *,
    n_missing: int = 0,
    n_excluded: int = 0,
    row: str = "row",
    col: str = "column",
    positive: Any = None,
    exact: bool = False,
) -> list[Row]:
    """The rows of :func:`crosstab` from a table of counts (the array-level core).

    ``table[i, j]`` counts the cases with row level ``r_levels[i]`` and column level
    ``c_levels[j]``; ``row`` and ``col`` name the variables in reasons. The engine calls this
    with counts it tallied itself, so a comparison builds no DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> rows = crosstab_rows(np.array([[3, 1], [1, 3]]), ["milk", "tea"], ["milk", "tea"])
    >>> [(r[0], round(r[2], 4)) for r in rows if r[0] == "pearson_chi2"]
    [('pearson_chi2', 2.0)]
    """
    r_levels, c_levels = list(r_levels), list(c_levels)
    c_index = {v: i for i, v in enumerate(c_levels)}
    r_tot, c_tot = table.sum(axis=1), table.sum(axis=0)
    n = int(table.sum())

    rows: list[Row] = []
    cells = [(i, j) for i in range(len(r_levels)) for j in range(len(c_levels))]
    for i, j in cells:
        rows.append(_row("observed", f"{r_levels[i]}|{c_levels[j]}", table[i, j]))
    expected = np.outer(r_tot, c_tot) / n if n > 0 else None
    for i, j in cells:
        term = f"{r_levels[i]}|{c_levels[j]}"
        if expected is None:
            rows.append(_na("expected", term, "no valid observations"))
        else:
            rows.append(_row("expected", term, expected[i, j]))
    rows += [_row("row_total", str(lv), t) for lv, t in zip(r_levels, r_tot, strict=True)]
    rows += [_row("col_total", str(lv), t) for lv, t in zip(c_levels, c_tot, strict=True)]
    rows += [_row("n_valid", "", n), _row("n_missing", "", n_missing),
             _row("n_excluded", "", n_excluded)]

    # ---- degeneracies ------------------------------------------------------------------------
    r_keep, c_keep = r_tot > 0, c_tot > 0
    problems: list[str] = []
    if n == 0:
        problems.append(f"no valid observations of {row!r} and {col!r}")
    else:
        if r_keep.sum() < 2:
            empty = [lv for lv, k in zip(r_levels, r_keep, strict=True) if not k]
            if empty:
                problems += [f"group {_show(lv)} has no observations" for lv in empty]
            else:
                only = r_levels[int(np.argmax(r_keep))]
                problems.append(f"grouping variable {row!r} has a single value ({_show(only)}) "
                                "in this subset")
        if c_keep.sum() < 2:
            only = c_levels[int(np.argmax(c_keep))]
            problems.append(f"outcome {col!r} has a single value ({_show(only)}) in this subset")
    reason = "; ".join(problems)

    obs = table[np.ix_(r_keep, c_keep)]
    kept_r = [lv for lv, k in zip(r_levels, r_keep, strict=True) if k]
    kept_c = [lv for lv, k in zip(c_levels, c_keep, strict=True) if k]
    is_2x2 = obs.shape == (2, 2) if not reason else table.shape == (2, 2)

    if reason:
        names = ["pearson_chi2"] + (["yates_chi2"] if is_2x2 else []) + [
            "likelihood_ratio", "fisher_exact"] + (
            ["fisher_exact_one_sided"] if is_2x2 else []) + ["linear_by_linear"]
        if exact:
            names += _exact_names(is_2x2)
        rows += [_na(s, "", reason) for s in names]
    else:
        e = np.outer(obs.sum(axis=1), obs.sum(axis=0)) / n
        dof = (obs.shape[0] - 1) * (obs.shape[1] - 1)
        chi2 = float(((obs - e) ** 2 / e).sum())
        p_chi2 = float(_chi2_sf(chi2, dof))
        rows.append(_row("pearson_chi2", "", chi2, dof, p_chi2))
        if is_2x2:
            a, b, c, d = (float(v) for v in obs.ravel())
            num = max(abs(a * d - b * c) - n / 2.0, 0.0)
            margins = (np.prod(obs.sum(axis=1).astype(float))
                       * np.prod(obs.sum(axis=0).astype(float)))
            yates = n * num**2 / margins
            rows.append(_row("yates_chi2", "", yates, 1, _chi2_sf(yates, 1)))
        pos = obs > 0
        g = float(2.0 * (obs[pos] * np.log(obs[pos] / e[pos])).sum())
        rows.append(_row("likelihood_ratio", "", g, dof, _chi2_sf(g, dof)))
        p_one = p_fisher = None
        if is_2x2:
            p_two, p_greater, p_less = fisher_2x2(obs)
            rows.append(_row("fisher_exact", "", p=p_two))
            diff = a * d - b * c
            p_one = p_greater if diff > 0 else p_less if diff < 0 else min(p_greater, p_less)
            rows.append(_row("fisher_exact_one_sided", "", p=p_one))
        else:
            p_fisher = _fisher_rxc(obs, FISHER_MAX_TABLES)
            if p_fisher is None:
                rows.append(_na("fisher_exact", "", "Fisher's exact test for r x c tables not "
                                f"computed (exact enumeration would exceed "
                                f"{FISHER_MAX_TABLES:,} steps for these margins)"))
            else:
                rows.append(_row("fisher_exact", "", p=p_fisher))
        u, v = _scores(kept_r, r_levels), _scores(kept_c, c_levels)
        uu, vv = np.meshgrid(u, v, indexing="ij")
        w = obs.astype(float)
        mu, mv = (w * uu).sum() / n, (w * vv).sum() / n
        cov = (w * (uu - mu) * (vv - mv)).sum()
        var_u, var_v = (w * (uu - mu) ** 2).sum(), (w * (vv - mv) ** 2).sum()
        if var_u > 0 and var_v > 0:
            lbl = (n - 1) * cov**2 / (var_u * var_v)
            rows.append(_row("linear_by_linear", "", lbl, 1, _chi2_sf(lbl, 1)))
        else:
            lbl = None
            rows.append(_na("linear_by_linear", "", "row or column scores do not vary"))
        if exact:
            numeric = all(_is_number(lv) for lv in kept_r + kept_c)
            rows += _exact_rows(obs, u, v, numeric, chi2, g, dof, lbl,
                                p_two if is_2x2 else p_fisher, p_one)

    if n == 0:
        rows += [_na(s, "", reason) for s in ("cells_expected_lt5", "pct_cells_expected_lt5",
                                               "min_expected")]
    else:
        e_kept = np.outer(obs.sum(axis=1), obs.sum(axis=0)) / n
        lt5 = int((e_kept < 5).sum())
        rows += [_row("cells_expected_lt5", "", lt5),
                 _row("pct_cells_expected_lt5", "", 100.0 * lt5 / e_kept.size),
                 _row("min_expected", "", float(e_kept.min()))]

    if reason:
        rows += [_na("phi", "", reason), _na("cramers_v", "", reason)]
    else:
        phi = math.sqrt(chi2 / n)
        if is_2x2 and (a * d - b * c) < 0:
            phi = -phi
        k_min = min(obs.shape)
        rows.append(_row("phi", "", phi, p=p_chi2))
        rows.append(_row("cramers_v", "", math.sqrt(chi2 / (n * (k_min - 1))), p=p_chi2))

    if positive is not None:
        j_pos = c_index.get(positive)
        pos_counts = table[:, j_pos] if j_pos is not None else np.zeros(len(r_levels), int)
        rows += _proportion_rows(r_levels, r_tot, pos_counts)
    return rows


def _proportion_rows(levels: list[Any], totals: np.ndarray, hits: np.ndarray,
                     ) -> list[Row]:
    """proportion per level; risk_difference and odds_ratio for exactly two levels."""
    rows: list[Row] = []
    for lv, n_i, x_i in zip(levels, totals, hits, strict=True):
        if n_i == 0:
            rows.append(_na("proportion", str(lv), f"group {_show(lv)} has no observations"))
        else:
            lo, hi = wilson_interval(float(x_i), float(n_i))
            rows.append(_row("proportion", str(lv), x_i / n_i, ci_low=lo, ci_high=hi))
    if len(levels) != 2:
        return rows
    term = f"{levels[0]} vs {levels[1]}"
    empty = [lv for lv, n_i in zip(levels, totals, strict=True) if n_i == 0]
    if empty:
        why = "; ".join(f"group {_show(lv)} has no observations" for lv in empty)
        return rows + [_na("risk_difference", term, why), _na("odds_ratio", term, why)]
    (n1, n2), (x1, x2) = (float(t) for t in totals), (float(h) for h in hits)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1)
    l2, u2 = wilson_interval(x2, n2)
    d = p1 - p2
    rows.append(_row("risk_difference", term, d,
                     ci_low=d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
                     ci_high=d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)))
    a, b, c, dd = x1, n1 - x1, x2, n2 - x2
    if min(a, b, c, dd) == 0:
        rows.append(_na("odds_ratio", term, "a cell of the 2x2 table is zero, so the odds ratio "
                        "is 0 or infinite; see odds_ratio_haldane (0.5 added to every cell)"))
        a, b, c, dd = a + 0.5, b + 0.5, c + 0.5, dd + 0.5
        name = "odds_ratio_haldane"
    else:
        name = "odds_ratio"
    log_or = math.log(a * dd / (b * c))
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / dd)
    rows.append(_row(name, term, math.exp(log_or), ci_low=math.exp(log_or - _Z95 * se),
                     ci_high=math.exp(log_or + _Z95 * se)))
    return rows


# --------------------------------------------------------------------------------------------
# Mann-Whitney
# --------------------------------------------------------------------------------------------



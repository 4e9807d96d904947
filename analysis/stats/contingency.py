"""Crosstabs: chi-square tests, Fisher's exact test, phi, Cramer's V (SPSS CROSSTABS)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from analysis.stats._common import (
    _Z95,
    _frame,
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
    ``max_nodes`` nodes would be visited.
    """
    obs = np.asarray(table, dtype=np.int64)
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

    def vectors(rem: tuple[int, ...], size: int) -> list[list[int]]:
        out: list[list[int]] = []
        suffix = [sum(rem[i:]) for i in range(rows)] + [0]

        def rec(i: int, left: int, cur: list[int]) -> None:
            if i == rows - 1:
                if left <= rem[i]:
                    out.append([*cur, left])
                return
            for x in range(max(0, left - suffix[i + 1]), min(rem[i], left) + 1):
                rec(i + 1, left - x, [*cur, x])

        rec(0, size, [])
        return out

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


def crosstab(
    data: pd.DataFrame,
    row: str,
    col: str,
    *,
    row_order: Sequence[Any] | None = None,
    col_order: Sequence[Any] | None = None,
    positive: Any = None,
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
    r_tot, c_tot = table.sum(axis=1), table.sum(axis=0)
    n = int(table.sum())

    rows: list[dict[str, Any]] = []
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
        rows += [_na(s, "", reason) for s in names]
    else:
        e = np.outer(obs.sum(axis=1), obs.sum(axis=0)) / n
        dof = (obs.shape[0] - 1) * (obs.shape[1] - 1)
        chi2 = float(((obs - e) ** 2 / e).sum())
        p_chi2 = float(stats.chi2.sf(chi2, dof))
        rows.append(_row("pearson_chi2", "", chi2, dof, p_chi2))
        if is_2x2:
            a, b, c, d = (float(v) for v in obs.ravel())
            num = max(abs(a * d - b * c) - n / 2.0, 0.0)
            margins = (np.prod(obs.sum(axis=1).astype(float))
                       * np.prod(obs.sum(axis=0).astype(float)))
            yates = n * num**2 / margins
            rows.append(_row("yates_chi2", "", yates, 1, stats.chi2.sf(yates, 1)))
        pos = obs > 0
        g = float(2.0 * (obs[pos] * np.log(obs[pos] / e[pos])).sum())
        rows.append(_row("likelihood_ratio", "", g, dof, stats.chi2.sf(g, dof)))
        if is_2x2:
            p_two = float(stats.fisher_exact(obs, alternative="two-sided").pvalue)
            rows.append(_row("fisher_exact", "", p=p_two))
            diff = a * d - b * c
            if diff > 0:
                p_one = float(stats.fisher_exact(obs, alternative="greater").pvalue)
            elif diff < 0:
                p_one = float(stats.fisher_exact(obs, alternative="less").pvalue)
            else:
                p_one = min(float(stats.fisher_exact(obs, alternative=alt).pvalue)
                            for alt in ("greater", "less"))
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
            rows.append(_row("linear_by_linear", "", lbl, 1, stats.chi2.sf(lbl, 1)))
        else:
            rows.append(_na("linear_by_linear", "", "row or column scores do not vary"))

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
    return _frame(rows)


def _proportion_rows(levels: list[Any], totals: np.ndarray, hits: np.ndarray,
                     ) -> list[dict[str, Any]]:
    """proportion per level; risk_difference and odds_ratio for exactly two levels."""
    rows: list[dict[str, Any]] = []
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



"""Chi-square crosstabs, Mann-Whitney U and binary logistic regression with SPSS conventions.

Every function returns a tidy long :class:`pandas.DataFrame` with exactly the columns
:data:`STAT_COLUMNS`, one row per reported number:

``statistic``
    snake_case name of the number (see each function for the complete list).
``term``
    group level, cell label (``"SME|True"``) or model term; ``""`` when not applicable.
``value``, ``df``, ``p``, ``ci_low``, ``ci_high``
    floats, NaN where undefined.
``status``
    ``"ok"`` or ``"not estimable"``.
``reason``
    ``""`` when ok; otherwise a sentence a researcher understands.

Data degeneracies (an empty group, a single-valued outcome, separation in a logit, ...) never
raise: the affected rows have status ``"not estimable"``, value NaN and a reason, while rows that
are still computable (counts, n per group) are kept. Only programmer errors raise (a column
not in the data, an invalid argument). Missing values in the variables used are dropped
listwise and counted in a row ``n_missing``; values of a grouping variable outside the requested
levels are counted in ``n_excluded``. Nothing is random.

The conventions (which U, which W, signs, Hosmer-Lemeshow grouping, separation detection, Firth)
are documented in docs/statistics.md.

Functions
---------
crosstab
    SPSS CROSSTABS: counts, expected counts, chi-square tests, Fisher, phi, Cramer's V,
    optional proportions, risk difference and odds ratio.
mann_whitney
    SPSS NPAR TESTS /M-W: ranks, U, Wilcoxon W, Z, asymptotic and exact p, effect sizes.
welch_t
    Welch's unequal-variance t-test with mean difference and Hedges' g (parametric
    alternative used when an outcome is normal in both groups).
logistic_regression
    SPSS LOGISTIC REGRESSION: B, S.E., Wald, Exp(B) with CI, omnibus test, -2LL, pseudo-R²,
    Hosmer-Lemeshow, classification table; separation detection and Firth estimates.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

__all__ = [
    "FISHER_MAX_TABLES",
    "MW_EXACT_MAX_N",
    "NOT_ESTIMABLE",
    "STAT_COLUMNS",
    "crosstab",
    "logistic_regression",
    "mann_whitney",
    "welch_t",
]

#: Columns of every result frame, in this order.
STAT_COLUMNS: list[str] = [
    "statistic",
    "term",
    "value",
    "df",
    "p",
    "ci_low",
    "ci_high",
    "status",
    "reason",
]

#: Status of a row that cannot be computed from the data.
NOT_ESTIMABLE = "not estimable"

#: Largest number of enumeration nodes for Fisher's exact test on an r x c table.
FISHER_MAX_TABLES: int = 1_000_000

#: ``exact="auto"`` computes the exact Mann-Whitney p for at most this many cases (no ties).
MW_EXACT_MAX_N: int = 50
PROFILE_MAX_ITER: int = 5000  # Newton iterations of a constrained Firth fit (profile CI)
HL_MAX_PAIRS: int = 4_000_000  # pairwise differences held in memory for Hodges-Lehmann (32 MB)

_Z95 = float(stats.norm.ppf(0.975))
_CHI2_95 = float(stats.chi2.ppf(0.95, 1))
_NAN = math.nan


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------


def _row(
    statistic: str,
    term: str = "",
    value: float = _NAN,
    df: float = _NAN,
    p: float = _NAN,
    ci_low: float = _NAN,
    ci_high: float = _NAN,
    status: str = "ok",
    reason: str = "",
) -> dict[str, Any]:
    return {
        "statistic": statistic,
        "term": str(term),
        "value": float(value),
        "df": float(df),
        "p": float(p),
        "ci_low": float(ci_low),
        "ci_high": float(ci_high),
        "status": status,
        "reason": reason,
    }


def _na(statistic: str, term: str = "", reason: str = "", df: float = _NAN) -> dict[str, Any]:
    """A not-estimable row: value, p and CI are NaN."""
    return _row(statistic, term, df=df, status=NOT_ESTIMABLE, reason=reason)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=STAT_COLUMNS)
    for c in ("value", "df", "p", "ci_low", "ci_high"):
        out[c] = out[c].astype(float)
    for c in ("statistic", "term", "status", "reason"):
        out[c] = out[c].astype(str)
    return out


def _require(data: pd.DataFrame, columns: Sequence[str]) -> None:
    for c in columns:
        if c not in data.columns:
            raise KeyError(f"column {c!r} not in data (columns: {', '.join(map(str, data))})")


def _show(level: Any) -> str:
    """A level as it appears in a reason: strings quoted ('SME'), others plain (True, 3)."""
    if isinstance(level, str):
        return repr(level)
    if isinstance(level, float) and level.is_integer():
        return str(int(level))
    return str(level)


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
        return (0, float(value))
    return (1, str(value))


def _levels(series: pd.Series, order: Sequence[Any] | None, what: str) -> list[Any]:
    """Levels in reporting order: ``order`` if given, categories of a categorical, else sorted."""
    if order is not None:
        levels = list(order)
        if len(set(levels)) != len(levels):
            raise ValueError(f"{what} contains duplicate levels: {levels!r}")
        return levels
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    return sorted(pd.unique(series.dropna()).tolist(), key=_sort_key)


def _is_number(level: Any) -> bool:
    return isinstance(level, bool | np.bool_ | int | float | np.integer | np.floating)


def _scores(kept: list[Any], levels: list[Any]) -> np.ndarray:
    """Linear-by-linear scores: the level values if all are numbers, else positions 1, 2, ..."""
    if all(_is_number(v) for v in kept):
        return np.array([float(v) for v in kept])
    return np.array([levels.index(v) + 1.0 for v in kept])


def _wilson(x: float, n: float, z: float = _Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion x / n."""
    p = x / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # at p = 0 or 1 the bound is exactly 0 or 1 (centre - half cancels only up to rounding)
    low = 0.0 if x == 0 else max(0.0, centre - half)
    high = 1.0 if x == n else min(1.0, centre + half)
    return low, high


# --------------------------------------------------------------------------------------------
# crosstab
# --------------------------------------------------------------------------------------------


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
    >>> from analysis.tests import crosstab
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
            lo, hi = _wilson(float(x_i), float(n_i))
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
    l1, u1 = _wilson(x1, n1)
    l2, u2 = _wilson(x2, n2)
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


def _two_groups(data: pd.DataFrame, dv: str, group: str, groups: Sequence[Any] | None,
                ) -> tuple[list[Any], np.ndarray, np.ndarray, list[np.ndarray]]:
    """Checked inputs of a two-group comparison.

    Returns the two levels, the outcome as floats (NaN for missing), the mask of rows with both
    values present, and one membership mask per level.
    """
    _require(data, [dv, group])
    if groups is None:
        levels = _levels(data[group], None, "groups")
        if len(levels) != 2:
            raise ValueError(f"column {group!r} has {len(levels)} levels {levels!r}; pass "
                             "groups=(first, second)")
    else:
        levels = list(groups)
        if len(levels) != 2 or levels[0] == levels[1]:
            raise ValueError(f"groups must be two distinct levels, not {groups!r}")
    s_dv = data[dv]
    if not (pd.api.types.is_numeric_dtype(s_dv) or s_dv.isna().all()):
        raise ValueError(f"variable {dv!r} is not numeric (dtype {s_dv.dtype})")
    g_all = data[group].tolist()
    g_na = data[group].isna().to_numpy()
    y_all = s_dv.to_numpy(dtype=float, na_value=np.nan)
    valid = ~(g_na | np.isnan(y_all))
    in_lvl = [np.array([(not m) and v == lv for v, m in zip(g_all, g_na, strict=True)],
                       dtype=bool).reshape(-1) for lv in levels]
    return levels, y_all, valid, in_lvl


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
        ``"auto"``: exact p when n1 + n2 <= :data:`MW_EXACT_MAX_N` and there are no ties.
        ``True``: always (permutation distribution given the observed ties). ``False``: never.

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
            SPSS's W: the rank sum of the smaller group; with equal group sizes the smaller
            rank sum (the group whose U is reported). ``term`` names the group.
        ``z``
            tie-corrected normal approximation without continuity correction,
            (U - n1 n2 / 2) / sigma with U = min, so z <= 0 as SPSS prints it; p = asymptotic
            two-sided.
        ``exact_p``
            SPSS "Exact Sig. [2*(1-tailed Sig.)]" (in ``p``; value NaN).
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
    >>> from analysis.tests import mann_whitney
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
    n1, n2 = (x.size for x in xs)
    n_tot = n1 + n2
    pooled = np.concatenate(xs)
    ranks = stats.rankdata(pooled) if n_tot else np.array([])
    rk = [ranks[:n1], ranks[n1:]]

    rows: list[dict[str, Any]] = []
    for lv, x, r, m in zip(levels, xs, rk, in_lvl, strict=True):
        term = str(lv)
        rows.append(_row("n", term, x.size))
        if x.size == 0:
            had = int(m.sum())  # rows of this group (missing group values never match)
            why = (f"group {_show(lv)} has no non-missing values of {dv!r}" if had
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

    test_stats = ("mann_whitney_u", "u_first", "wilcoxon_w", "z", "exact_p", "r",
                  "rank_biserial", "hodges_lehmann")
    problems = []
    for lv, x, m in zip(levels, xs, in_lvl, strict=True):
        if x.size == 0:
            had = int(m.sum())  # rows of this group (missing group values never match)
            problems.append(f"group {_show(lv)} has no non-missing values of {dv!r}" if had
                            else f"group {_show(lv)} has no observations")
        elif x.size < 2:
            problems.append(f"group {_show(lv)} has n = {x.size} < 2 observations")
    if problems:
        return _frame(rows + [_na(s, "", "; ".join(problems)) for s in test_stats])

    r1, r2 = float(rk[0].sum()), float(rk[1].sum())
    u1 = r1 - n1 * (n1 + 1) / 2.0
    u2 = n1 * n2 - u1
    u = min(u1, u2)
    _, tie_counts = np.unique(pooled, return_counts=True)
    ties = float((tie_counts**3 - tie_counts).sum())
    var = n1 * n2 / (n_tot * (n_tot - 1.0)) * ((n_tot**3 - n_tot) / 12.0 - ties / 12.0)
    # W: rank sum of the smaller group; equal sizes: the smaller rank sum (first group if tied)
    w_group = (0 if n1 < n2 else 1) if n1 != n2 else (0 if r1 <= r2 else 1)
    w = (r1, r2)[w_group]

    if var > 0:
        sigma = math.sqrt(var)
        z = (u - n1 * n2 / 2.0) / sigma
        z_first = (u1 - n1 * n2 / 2.0) / sigma
        p_asym = float(2.0 * stats.norm.sf(abs(z)))
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
    return _frame(rows)


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
    >>> from analysis.tests import welch_t
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4, 2, 4, 6, 8, 10], "g": ["a"] * 4 + ["b"] * 5})
    >>> round(float(welch_t(df, "y", "g").set_index("statistic").loc["t", "value"]), 4)
    -2.2514
    """
    levels, y_all, valid, in_lvl = _two_groups(data, dv, group, groups)
    xs = [y_all[m & valid] for m in in_lvl]
    rows: list[dict[str, Any]] = []
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
    rows += [_row("n_valid", "", n1 + n2), _row("n_missing", "", int((~valid).sum())),
             _row("n_excluded", "", int((valid & ~(in_lvl[0] | in_lvl[1])).sum()))]
    if problems:
        why = "; ".join(problems)
        return _frame(rows + [_na(s, "", why) for s in ("t", "mean_difference", "hedges_g")])
    m1, m2 = float(xs[0].mean()), float(xs[1].mean())
    v1, v2 = float(xs[0].var(ddof=1)), float(xs[1].var(ddof=1))
    diff = m1 - m2
    se2 = v1 / n1 + v2 / n2
    if se2 <= 0:
        why = "both groups are constant (no within-group variance)"
        return _frame(rows + [_na(s, "", why) for s in ("t", "mean_difference", "hedges_g")])
    se = math.sqrt(se2)
    df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    t_val = diff / se
    p_val = float(2.0 * stats.t.sf(abs(t_val), df))
    q = float(stats.t.ppf(0.975, df))
    rows.append(_row("t", "", t_val, df, p_val))
    rows.append(_row("mean_difference", "", diff, p=p_val, ci_low=diff - q * se,
                     ci_high=diff + q * se))
    pooled = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    g = (1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0)) * diff / pooled
    se_g = math.sqrt((n1 + n2) / (n1 * n2) + g * g / (2.0 * (n1 + n2)))
    rows.append(_row("hedges_g", "", g, ci_low=g - _Z95 * se_g, ci_high=g + _Z95 * se_g))
    return _frame(rows)


# --------------------------------------------------------------------------------------------
# logistic regression
# --------------------------------------------------------------------------------------------


def _as_binary(s: pd.Series, name: str) -> np.ndarray:
    """0/1 float array from a bool or 0/1 column without missing values."""
    values = s.tolist()
    out = np.empty(len(values))
    for i, v in enumerate(values):
        if isinstance(v, bool | np.bool_) or v in (0, 1):
            out[i] = float(v)
        else:
            raise ValueError(f"outcome {name!r} must be boolean or coded 0/1; found {v!r}")
    return out


def _design(
    sub: pd.DataFrame, predictors: list[str], categorical: Mapping[str, Any],
) -> tuple[np.ndarray, list[str], dict[str, str], list[str]]:
    """Design matrix (constant last), term names, a label per 0/1 term, problems found."""
    cols: list[np.ndarray] = []
    terms: list[str] = []
    labels: dict[str, str] = {}  # term -> "country = Ghana" for 0/1 terms
    problems: list[str] = []
    for p in predictors:
        s = sub[p]
        if p in categorical:
            ref = categorical[p]
            observed = set(s.tolist())
            order = (list(s.cat.categories) if isinstance(s.dtype, pd.CategoricalDtype)
                     else sorted(observed, key=_sort_key))
            levels = [lv for lv in order if lv in observed]
            if ref not in observed:
                problems.append(f"reference level {_show(ref)} of {p!r} has no observations "
                                "in this subset")
            values = s.tolist()
            for lv in levels:
                if lv == ref:
                    continue
                term = f"{p}[{lv}]"
                cols.append(np.array([1.0 if v == lv else 0.0 for v in values]))
                terms.append(term)
                labels[term] = f"{p} = {lv}"
        elif pd.api.types.is_bool_dtype(s) or (
                s.dtype == object and all(isinstance(v, bool | np.bool_) for v in s.tolist())):
            cols.append(s.to_numpy(dtype=float))
            terms.append(p)
            labels[p] = f"{p} = True"
        elif pd.api.types.is_numeric_dtype(s):
            cols.append(s.to_numpy(dtype=float))
            terms.append(p)
            vals = set(np.unique(cols[-1]).tolist())
            if vals <= {0.0, 1.0}:
                labels[p] = f"{p} = 1"
        else:
            raise ValueError(f"predictor {p!r} is not numeric or boolean (dtype {s.dtype}); "
                             "declare it in categorical={...: reference_level}")
    cols.append(np.ones(len(sub)))
    terms.append("constant")
    return np.column_stack(cols), terms, labels, problems


def _linprog(c: np.ndarray, a_ub: np.ndarray, bounds: list[tuple[float, float]]) -> np.ndarray:
    res = optimize.linprog(c, A_ub=a_ub, b_ub=np.zeros(a_ub.shape[0]), bounds=bounds,
                           method="highs",
                           options={"primal_feasibility_tolerance": 1e-10,
                                    "dual_feasibility_tolerance": 1e-10})
    return res.x if res.status == 0 and res.x is not None else np.zeros(len(c))


def _separation(x: np.ndarray, y: np.ndarray) -> tuple[str, list[int]] | None:
    """Detect complete / quasi-complete separation by linear programming (Konis 2007).

    With s_i = 2 y_i - 1, the data are separated iff some beta != 0 has
    s_i x_i' beta >= 0 for every case (a direction in which the likelihood increases forever).
    Separation is *complete* if some beta makes every inequality strict. The LP solutions are
    used as certificates (checked directly), so solver tolerances cannot create separation.

    Returns None, or (kind, indices of the columns involved in a separating direction).
    """
    scale = np.abs(x).max(axis=0)
    scale[scale == 0] = 1.0
    a = (2.0 * y - 1.0)[:, None] * (x / scale)
    k = x.shape[1]
    box = [(-1.0, 1.0)] * k
    tol = 1e-7

    def certified(beta: np.ndarray) -> bool:
        m = a @ beta
        return bool(m.min() >= -1e-9 and m.max() > 1e-6)

    beta = _linprog(-a.sum(axis=0), -a, box)
    if not certified(beta):
        return None
    bt = _linprog(np.r_[np.zeros(k), -1.0], np.c_[-a, np.ones(len(a))], [*box, (0.0, 1.0)])
    complete = bool((a @ bt[:k]).min() > 1e-6)
    involved = []
    for j in range(k):
        for sign in (1.0, -1.0):
            c = np.zeros(k)
            c[j] = -sign
            bj = _linprog(c, -a, box)
            if sign * bj[j] > tol and certified(bj):
                involved.append(j)
                break
    return ("complete" if complete else "quasi-complete"), involved


def _separation_reason(kind: str, involved: list[int], terms: list[str], x: np.ndarray,
                       y: np.ndarray, labels: dict[str, str]) -> str:
    names = [terms[j] for j in involved if terms[j] != "constant"]
    if not names:
        names = [t for t in terms if t != "constant"]
    quoted = ", ".join(repr(t) for t in names)
    who = f"predictor {quoted}" if len(names) == 1 else f"predictors {quoted} jointly"
    if kind == "complete":
        verb = "perfectly predicts" if len(names) == 1 else "perfectly predict"
        return (f"complete separation: {who} {verb} the outcome; maximum-likelihood estimates "
                "do not exist")
    where = []
    for t in names:
        if t not in labels:
            continue
        col = x[:, terms.index(t)]
        for val, text in ((1.0, labels[t]), (0.0, f"not {labels[t]}")):
            ys = y[col == val]
            if ys.size and np.all(ys == ys[0]):
                where.append(f"outcome is always {int(ys[0])} where {text} (n = {ys.size})")
    detail = f": {'; '.join(where)}" if where else ""
    verb = "predicts" if len(names) == 1 else "predict"
    return (f"quasi-complete separation: {who} {verb} the outcome perfectly for a subset of "
            f"cases{detail}; maximum-likelihood estimates do not exist")


def _penalized_loglik(x: np.ndarray, y: np.ndarray, beta: np.ndarray) -> float:
    """Firth's penalized log-likelihood l(beta) + 0.5 log det I(beta)."""
    eta = x @ beta
    ll = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    p = special.expit(eta)
    info = x.T @ ((p * (1 - p))[:, None] * x)
    sign, logdet = np.linalg.slogdet(info)
    return ll + 0.5 * logdet if sign > 0 else -math.inf


def _firth_fit(
    x: np.ndarray,
    y: np.ndarray,
    fixed: Mapping[int, float] | None = None,
    start: np.ndarray | None = None,
    max_iter: int = 200,
    tol: float = 1e-10,
) -> tuple[np.ndarray, bool]:
    """Firth (1993) bias-reduced logistic regression by Newton-Raphson with step halving.

    Solves the modified score equations U*(beta) = X'(y - p + h (1/2 - p)) = 0, h the diagonal
    of the hat matrix W^1/2 X (X'WX)^-1 X' W^1/2, which are the gradient of the penalized
    log-likelihood l + 0.5 log|X'WX| (Jeffreys prior). Coefficients in ``fixed`` are held at
    the given values (for profile likelihood); the others are updated with the information
    matrix, steps capped at 5 and halved until the penalized log-likelihood does not
    decrease (as logistf).
    """
    fixed = dict(fixed or {})
    k = x.shape[1]
    free = np.array([j for j in range(k) if j not in fixed], dtype=int)
    beta = np.zeros(k) if start is None else np.array(start, dtype=float)
    for j, v in fixed.items():
        beta[j] = v
    current = _penalized_loglik(x, y, beta)
    for _ in range(max_iter):
        p = special.expit(x @ beta)
        w = p * (1 - p)
        info = x.T @ (w[:, None] * x)
        try:
            inv = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            return beta, False
        h = w * np.einsum("ij,jk,ik->i", x, inv, x)
        score = x.T @ (y - p + h * (0.5 - p))
        if free.size == 0:
            return beta, True
        step = np.linalg.solve(info[np.ix_(free, free)], score[free])
        biggest = np.abs(step).max()
        if biggest > 5.0:
            step *= 5.0 / biggest
        for _ in range(40):
            trial = beta.copy()
            trial[free] += step
            value = _penalized_loglik(x, y, trial)
            if value >= current - 1e-12:
                break
            step /= 2.0
        beta, current = trial, value
        if np.abs(step).max() < tol and np.abs(score[free]).max() < 1e-6:
            return beta, True
    return beta, False


def _firth_rows(x: np.ndarray, y: np.ndarray, terms: list[str]) -> list[dict[str, Any]]:
    """firth_B, firth_se, firth_p, firth_exp_b per term.

    p is the penalized likelihood-ratio test of B = 0; confidence limits are Wald limits
    B +- 1.96 SE. Profile penalized-likelihood limits were not used: under separation the
    constrained fits far from the estimate do not reliably reach the global maximum, which made
    the limits move with the last bits of the data.
    """
    beta, ok = _firth_fit(x, y)
    if not ok:
        why = "Firth penalized-likelihood estimation did not converge"
        return [_na(s, t, why) for t in terms
                for s in ("firth_B", "firth_se", "firth_p", "firth_exp_b")]
    l_max = _penalized_loglik(x, y, beta)
    p = special.expit(x @ beta)
    cov = np.linalg.inv(x.T @ ((p * (1 - p))[:, None] * x))
    se = np.sqrt(np.diag(cov))
    rows: list[dict[str, Any]] = []
    z = stats.norm.ppf(0.975)
    for j, term in enumerate(terms):
        warm = beta.copy()
        fit0, ok0 = _firth_fit(x, y, fixed={j: 0.0}, start=warm, max_iter=PROFILE_MAX_ITER)
        lr0 = max(2.0 * (l_max - _penalized_loglik(x, y, fit0)), 0.0) if ok0 else math.nan
        p_lr = float(stats.chi2.sf(lr0, 1)) if ok0 else math.nan
        # Wald limits from the Firth estimate and its standard error (see docs/statistics.md)
        lo, hi = beta[j] - z * se[j], beta[j] + z * se[j]
        rows.append(_row("firth_B", term, beta[j], p=p_lr, ci_low=lo, ci_high=hi))
        rows.append(_row("firth_se", term, se[j]))
        rows.append(_row("firth_p", term, lr0, 1, p_lr))
        rows.append(_row("firth_exp_b", term, math.exp(beta[j]), p=p_lr,
                         ci_low=math.exp(lo), ci_high=math.exp(hi)))
    return rows


def _hosmer_lemeshow(y: np.ndarray, prob: np.ndarray, n_groups: int = 10,
                     ) -> tuple[float, int, float, int] | str:
    """Hosmer-Lemeshow statistic with SPSS-style grouping by deciles of risk.

    Cases are sorted by predicted probability; cases with the same predicted probability (a
    "block", rounded to 10 decimals) are never split: a block goes to the decile in which its
    last case falls, ``ceil(10 * cumulative count / n)``. Deciles that receive no block are
    dropped, so heavy ties give fewer groups. HL = sum over groups and both outcomes of
    (O - E)² / E, df = groups - 2.

    Returns (statistic, df, p, groups) or a reason string when fewer than 3 groups remain.
    """
    order = np.argsort(prob, kind="mergesort")
    ps, ys = prob[order], y[order]
    n = len(ps)
    key = np.round(ps, 10)
    ends = np.r_[np.nonzero(np.diff(key))[0] + 1, n]  # exclusive end of each block
    starts = np.r_[0, ends[:-1]]
    group_of_block = np.ceil(n_groups * ends / n - 1e-9).astype(int)
    stat, groups = 0.0, 0
    for g in np.unique(group_of_block):
        members = np.concatenate([np.arange(s, e) for s, e, gb
                                  in zip(starts, ends, group_of_block, strict=True) if gb == g])
        o1, e1 = ys[members].sum(), ps[members].sum()
        o0, e0 = members.size - o1, members.size - e1
        stat += (o1 - e1) ** 2 / e1 + (o0 - e0) ** 2 / e0
        groups += 1
    if groups < 3:
        return (f"only {groups} distinct risk group(s) (ties in predicted probabilities): the "
                "Hosmer-Lemeshow test needs at least 3 groups (df = groups - 2)")
    df = groups - 2
    return float(stat), df, float(stats.chi2.sf(stat, df)), groups


def logistic_regression(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str] | str,
    *,
    categorical: Mapping[str, Any] | None = None,
    cluster: str | None = None,
    firth: bool = True,
    cut: float = 0.5,
) -> pd.DataFrame:
    """Binary logistic regression as SPSS LOGISTIC REGRESSION prints it (Enter method).

    Parameters
    ----------
    data : DataFrame
        One row per case.
    outcome : str
        Binary outcome, boolean or coded 0/1; the model is for P(outcome = 1 / True).
    predictors : sequence of str
        Predictor columns, in order. Boolean columns give a term named like the column coded
        1 = True; numeric columns enter as they are.
    categorical : dict, optional
        ``{column: reference_level}``: dummy (indicator) coding with an explicit reference;
        terms are named ``"column[level]"`` (that level versus the reference). Levels are the
        observed ones, in category order for a categorical column, else sorted.
    cluster : str, optional
        Column identifying clusters (e.g. ``"firm_id"`` in a firm-year panel). Standard
        errors, Wald tests and CIs are then cluster-robust (sandwich) by that column.
    firth : bool, default True
        When ML estimates do not exist because of separation, add Firth penalized-likelihood
        estimates (rows ``firth_*``).
    cut : float, default 0.5
        Classification cut value: a case is predicted 1 when its predicted probability exceeds
        ``cut``.

    Returns
    -------
    DataFrame
        Columns :data:`STAT_COLUMNS`. Model rows (term ``""`` unless stated):

        ``n``, ``n_events``, ``n_missing``
            cases used, cases with outcome 1, cases dropped for missing values.
        ``se_type``
            term ``"model"`` or ``"cluster:<column>"``; value NaN.
        ``n_clusters``
            only with ``cluster``: number of clusters.
        ``neg2ll_null``
            -2 log-likelihood of the constant-only model (SPSS Block 0).
        ``neg2ll``
            -2 log-likelihood of the fitted model.
        ``omnibus_chi2``
            likelihood-ratio test of the model against the constant-only model (value, df, p).
        ``cox_snell_r2``, ``nagelkerke_r2``
            pseudo-R².
        ``hosmer_lemeshow``
            value, df (= groups - 2), p.
        ``classification``
            counts, terms ``"observed=0|predicted=0"``, ``"observed=0|predicted=1"``,
            ``"observed=1|predicted=0"``, ``"observed=1|predicted=1"``.
        ``pct_correct``
            percentage correctly classified: terms ``"observed=0"``, ``"observed=1"`` and
            ``"overall"``.

        Then per term (predictor terms in order, ``"constant"`` last):

        ``B`` (p = Wald p, CI = Wald 95% CI of B), ``se``, ``wald`` (value, df = 1, p),
        ``exp_b`` (value, 95% CI).

        When separation is detected and ``firth`` is True, per term: ``firth_B`` (CI =
        profile penalized-likelihood 95% CI, p = penalized LR test), ``firth_se`` (from the
        inverse information at the Firth estimate), ``firth_p`` (value = penalized
        likelihood-ratio chi-square for B = 0, df = 1, p) and ``firth_exp_b`` (with CI).

    Raises
    ------
    KeyError
        If a column is missing.
    ValueError
        If the outcome is not binary, a predictor is neither numeric, boolean nor declared
        categorical, ``categorical`` names a column that is not a predictor or ``cut`` is not
        in (0, 1).

    Notes
    -----
    Fitted by maximum likelihood with :class:`statsmodels.discrete.discrete_model.Logit`
    (Newton-Raphson). Before fitting, the data are checked for too few cases (n < number of
    parameters + 1), no events or no non-events, constant predictors, collinearity and
    separation. Separation (complete or quasi-complete) is detected exactly by linear
    programming; then every ML-based row is not estimable with a reason naming the kind of
    separation and the predictor(s). After fitting, non-convergence or fitted probabilities
    numerically 0 or 1 (|linear predictor| > 30) also make the ML rows not estimable, so huge
    coefficients are never reported as "ok".

    With ``cluster``, the covariance is statsmodels' cluster-robust sandwich with the
    small-sample factor G/(G-1) (N-1)/(N-K); the likelihood-based rows (omnibus test,
    pseudo-R², Hosmer-Lemeshow) are unchanged and ignore clustering. Firth rows are
    model-based. SPSS itself has no cluster-robust option in LOGISTIC REGRESSION.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.tests import logistic_regression
    >>> df = pd.DataFrame({"exports": [1, 1, 1, 0, 1, 0, 0, 0, 1, 0],
    ...                    "sme": [False] * 5 + [True] * 5})
    >>> res = logistic_regression(df, "exports", ["sme"])
    >>> res.query("statistic == 'exp_b' and term == 'sme'")["value"].round(4).item()
    0.0625
    """
    predictors = [predictors] if isinstance(predictors, str) else list(predictors)
    categorical = dict(categorical or {})
    extra = [c for c in categorical if c not in predictors]
    if extra:
        raise ValueError(f"categorical names columns that are not predictors: {extra!r}")
    if not 0.0 < cut < 1.0:
        raise ValueError(f"cut must be between 0 and 1, not {cut!r}")
    needed = [outcome, *predictors] + ([cluster] if cluster is not None else [])
    _require(data, needed)
    sub = data[list(dict.fromkeys(needed))]
    valid = sub.notna().all(axis=1).to_numpy()
    n_missing = int((~valid).sum())
    sub = sub.loc[valid]
    y = _as_binary(sub[outcome], outcome)
    x, terms, labels, problems = _design(sub, predictors, categorical)
    n, k = x.shape
    n_events = int(y.sum())

    rows: list[dict[str, Any]] = [_row("n", "", n), _row("n_events", "", n_events),
                                  _row("n_missing", "", n_missing)]
    n_clusters = 0
    if cluster is not None:
        codes = pd.factorize(sub[cluster])[0]
        n_clusters = int(codes.max() + 1) if n else 0
        rows += [_row("se_type", f"cluster:{cluster}"),
                 _row("n_clusters", f"cluster:{cluster}", n_clusters)]
    else:
        rows.append(_row("se_type", "model"))
    ll0 = float(special.xlogy(n_events, n_events / n) + special.xlogy(n - n_events,
                                                                     (n - n_events) / n)
                ) if n else _NAN
    if n:
        rows.append(_row("neg2ll_null", "", -2.0 * ll0))
    else:
        rows.append(_na("neg2ll_null", "", "no complete cases"))

    # ---- checks before fitting ---------------------------------------------------------------
    if n == 0:
        problems.insert(0, "no complete cases")
    elif n_events == 0:
        problems.insert(0, f"outcome {outcome!r} has no events (all {n} cases are 0) in this "
                           "subset")
    elif n_events == n:
        problems.insert(0, f"outcome {outcome!r} has no non-events (all {n} cases are 1) in "
                           "this subset")
    if n and n < k + 1:
        problems.append(f"too few cases: n = {n} < {k} parameters + 1")
    if n and not problems:
        for j, t in enumerate(terms[:-1]):
            if np.all(x[:, j] == x[0, j]):
                problems.append(f"predictor {t!r} is constant (all values = "
                                f"{_show(float(x[0, j]))}) in this subset")
    if n and not problems and np.linalg.matrix_rank(x) < k:
        problems.append(f"predictors are collinear (design matrix rank "
                        f"{np.linalg.matrix_rank(x)} < {k} parameters)")
    if problems:
        return _frame(rows + _model_na(terms, "; ".join(problems)))

    found = _separation(x, y)
    if found is not None:
        why = _separation_reason(found[0], found[1], terms, x, y, labels)
        if firth:
            why += "; see the firth_* rows for Firth penalized-likelihood estimates"
        rows += _model_na(terms, why)
        if firth:
            rows += _firth_rows(x, y, terms)
        return _frame(rows)

    # ---- maximum likelihood -------------------------------------------------------------------
    from statsmodels.discrete.discrete_model import Logit

    robust = cluster is not None and n_clusters >= 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = Logit(y, x)
            if robust:
                res = model.fit(method="newton", maxiter=100, disp=False, cov_type="cluster",
                                cov_kwds={"groups": codes})
            else:
                res = model.fit(method="newton", maxiter=100, disp=False)
    except (np.linalg.LinAlgError, ValueError) as err:
        return _frame(rows + _model_na(terms, f"maximum-likelihood fit failed: {err}"))
    beta = np.asarray(res.params, dtype=float)
    eta = x @ beta
    if not res.mle_retvals.get("converged", False):
        return _frame(rows + _model_na(terms, "maximum likelihood did not converge in 100 "
                                              "iterations (possible near-separation)"))
    if not np.all(np.isfinite(beta)) or np.abs(eta).max() > 30:
        return _frame(rows + _model_na(terms, "fitted probabilities are numerically 0 or 1 "
                                              "(|linear predictor| > 30): estimates unreliable "
                                              "(near-separation)"))
    se = np.asarray(res.bse, dtype=float)
    prob = special.expit(eta)
    ll = float(np.sum(special.xlogy(y, prob) + special.xlogy(1 - y, 1 - prob)))
    neg2ll = -2.0 * ll
    omnibus = max(-2.0 * ll0 - neg2ll, 0.0)
    cox_snell = 1.0 - math.exp(-omnibus / n)
    max_r2 = 1.0 - math.exp(2.0 * ll0 / n)
    rows += [_row("neg2ll", "", neg2ll),
             _row("omnibus_chi2", "", omnibus, k - 1, stats.chi2.sf(omnibus, k - 1)),
             _row("cox_snell_r2", "", cox_snell),
             _row("nagelkerke_r2", "", cox_snell / max_r2)]
    hl = _hosmer_lemeshow(y, prob)
    if isinstance(hl, str):
        rows.append(_na("hosmer_lemeshow", "", hl))
    else:
        rows.append(_row("hosmer_lemeshow", "", hl[0], hl[1], hl[2]))
    pred = (prob > cut).astype(float)
    for o in (0, 1):
        for q in (0, 1):
            rows.append(_row("classification", f"observed={o}|predicted={q}",
                             float(np.sum((y == o) & (pred == q)))))
    for o in (0, 1):
        rows.append(_row("pct_correct", f"observed={o}",
                         100.0 * np.mean(pred[y == o] == o)))
    rows.append(_row("pct_correct", "overall", 100.0 * np.mean(pred == y)))

    se_problem = ""
    if cluster is not None and not robust:
        se_problem = (f"cluster-robust standard errors need at least 2 clusters of {cluster!r} "
                      f"(found {n_clusters})")
    for j, t in enumerate(terms):
        b = float(beta[j])
        if se_problem or not (math.isfinite(se[j]) and se[j] > 0):
            why = se_problem or "standard error not finite"
            rows += [_row("B", t, b), _na("se", t, why), _na("wald", t, why, df=1),
                     _na("exp_b", t, why)]
            continue
        wald = (b / se[j]) ** 2
        p_w = float(stats.chi2.sf(wald, 1))
        lo, hi = b - _Z95 * se[j], b + _Z95 * se[j]
        rows += [_row("B", t, b, p=p_w, ci_low=lo, ci_high=hi), _row("se", t, se[j]),
                 _row("wald", t, wald, 1, p_w),
                 _row("exp_b", t, math.exp(b), p=p_w, ci_low=math.exp(lo), ci_high=math.exp(hi))]
    return _frame(rows)


def _model_na(terms: list[str], reason: str) -> list[dict[str, Any]]:
    """Not-estimable rows for everything that needs the ML fit."""
    rows = [_na("neg2ll", "", reason), _na("omnibus_chi2", "", reason),
            _na("cox_snell_r2", "", reason), _na("nagelkerke_r2", "", reason),
            _na("hosmer_lemeshow", "", reason)]
    rows += [_na("classification", f"observed={o}|predicted={q}", reason)
             for o in (0, 1) for q in (0, 1)]
    rows += [_na("pct_correct", t, reason) for t in ("observed=0", "observed=1", "overall")]
    for t in terms:
        rows += [_na("B", t, reason), _na("se", t, reason), _na("wald", t, reason, df=1),
                 _na("exp_b", t, reason)]
    return rows

"""Tests of normality as SPSS's EXAMINE ("Explore") procedure prints them.

SPSS's *Tests of Normality* table has two blocks per variable (and per factor level):

* **Kolmogorov-Smirnov with the Lilliefors significance correction**: statistic ``D``,
  ``df`` (= n) and ``Sig.``. SPSS computes Sig. with the Dallal & Wilkinson (1986)
  approximation and, when the true significance exceeds 0.2, prints ``.200*`` with the
  footnote "This is a lower bound of the true significance".
* **Shapiro-Wilk**: statistic ``W``, ``df`` (= n) and ``Sig.`` (Royston's algorithm).

A plain one-sample K-S test against a normal distribution with *estimated* mean and standard
deviation (``scipy.stats.kstest``) is **not** this test: it ignores that the parameters were
estimated and gives p-values that are far too large.

Functions
---------
lilliefors
    K-S test with Lilliefors correction for one sample, returned as a dict.
shapiro_wilk
    Shapiro-Wilk test for one sample, returned as a dict.
normality_table
    Both tests for several variables, optionally by group, as a tidy long DataFrame.
normality_decision
    One word summarising a normality table ("normal" / "not normal").

The p-value method chosen for the Lilliefors test (see :func:`lilliefors`) is documented in
docs/statistics.md.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats._common import _show

__all__ = [
    "NORMALITY_COLUMNS",
    "SPSS_LOWER_BOUND",
    "SW_MAX_N",
    "lilliefors",
    "normality_decision",
    "normality_table",
    "shapiro_wilk",
]

#: Columns of :func:`normality_table` after the ``by`` columns, in order.
NORMALITY_COLUMNS: list[str] = [
    "variable",
    "test",
    "statistic",
    "df",
    "p",
    "lower_bound",
    "alpha",
    "decision",
    "status",
    "reason",
]

#: SPSS prints ``.200*`` (a lower bound of the true significance) above this p-value.
SPSS_LOWER_BOUND: float = 0.2

#: Largest sample for which SPSS prints Shapiro-Wilk and Royston's p-value is validated.
SW_MAX_N: int = 5000

_LILLIEFORS_MIN_N = 4  # statsmodels' critical-value table starts at n = 4
_SW_MIN_N = 3


def _clean(x: Iterable[Any] | np.ndarray | pd.Series) -> np.ndarray:
    """Float array without missing values (NaN / None / pd.NA dropped)."""
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return x[~np.isnan(x)]
    s = pd.Series(x) if not isinstance(x, pd.Series) else x
    s = pd.to_numeric(s, errors="raise")
    arr = s.to_numpy(dtype=float, na_value=np.nan)
    return arr[~np.isnan(arr)]


def _result(
    statistic: float = math.nan,
    df: float = math.nan,
    p: float = math.nan,
    lower_bound: bool = False,
    status: str = "ok",
    reason: str = "",
) -> dict[str, Any]:
    return {
        "statistic": float(statistic),
        "df": float(df),
        "p": float(p),
        "lower_bound": bool(lower_bound),
        "status": status,
        "reason": reason,
    }


def _degenerate(x: np.ndarray, min_n: int, test: str) -> str:
    """Reason why ``test`` cannot be computed on ``x``, or "" if it can."""
    n = x.size
    if n == 0:
        return "no non-missing values"
    if n < min_n:
        return f"n = {n} < {min_n}: {test} undefined"
    if np.all(x == x[0]):
        return f"variable is constant (all values = {_show(float(x[0]))})"
    return ""


def lilliefors(x: Iterable[Any] | np.ndarray | pd.Series) -> dict[str, Any]:
    """Kolmogorov-Smirnov test of normality with the Lilliefors correction (SPSS Explore).

    The mean and standard deviation (``ddof=1``) are estimated from the sample, the sample is
    standardised and ``D = max(D+, D-)`` is the largest distance between its empirical
    distribution function and the standard normal CDF.

    Parameters
    ----------
    x : array_like
        Sample. Missing values (NaN, None, ``pd.NA``) are dropped.

    Returns
    -------
    dict
        ``statistic`` (float)
            Lilliefors ``D``.
        ``df`` (float)
            Number of non-missing values ``n`` (SPSS's df column).
        ``p`` (float)
            The computed significance (not truncated at 0.2).
        ``lower_bound`` (bool)
            True when ``p > 0.2`` (:data:`SPSS_LOWER_BOUND`): SPSS prints Sig. as the lower
            bound ``.200*`` (the render layer prints it so, see
            :func:`analysis.render.format.format_p`).
        ``status`` (str)
            ``"ok"`` or ``"not estimable"``.
        ``reason`` (str)
            Why the test is not estimable (``""`` when ok).

    Notes
    -----
    The p-value is :func:`analysis.stats.lilliefors_p.spss_pvalue`: where the Dallal &
    Wilkinson (1986) approximation gives p <= 0.1 it is used, as SPSS uses it (it matches the
    published SPSS output and is accurate to about 0.001 there); above 0.1, where that
    approximation is off by up to 0.013 (more for n < 10), p is the upper tail of ``D``'s null
    distribution read from a Monte-Carlo table (built once, offline, from seeded simulations;
    shipped as package data; no simulation at run time), accurate to about 0.0003
    (docs/statistics.md gives the measured accuracy). Above 0.2 SPSS shows only the bound
    ``.200*``; this function still returns the table value in ``p`` and sets
    ``lower_bound``.

    Not estimable: fewer than 4 values or a constant sample.

    References
    ----------
    Lilliefors, H. W. (1967). On the Kolmogorov-Smirnov test for normality with mean and
    variance unknown. JASA 62, 399-402.
    Dallal, G. E. & Wilkinson, L. (1986). An analytic approximation to the distribution of
    Lilliefors's test statistic for normality. The American Statistician 40, 294-296.

    Examples
    --------
    >>> from analysis.stats.normality import lilliefors
    >>> res = lilliefors([2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 3.9, 4.1, 3.0])
    >>> round(res["statistic"], 4), res["lower_bound"]
    (0.118, True)
    """
    arr = _clean(x)
    n = arr.size
    why = _degenerate(arr, _LILLIEFORS_MIN_N, "Lilliefors test")
    if why:
        return _result(df=n, status="not estimable", reason=why)
    from scipy.special import ndtr

    from analysis.stats.lilliefors_p import spss_pvalue

    cdf = ndtr(np.sort((arr - arr.mean()) / arr.std(ddof=1)))
    d = float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))
    p = spss_pvalue(d, n)
    return _result(d, n, p, p > SPSS_LOWER_BOUND)


def shapiro_wilk(x: Iterable[Any] | np.ndarray | pd.Series) -> dict[str, Any]:
    """Shapiro-Wilk test of normality (SPSS Explore, "Tests of Normality").

    Parameters
    ----------
    x : array_like
        Sample. Missing values are dropped.

    Returns
    -------
    dict
        Same keys as :func:`lilliefors`; ``statistic`` is ``W`` and ``lower_bound`` is
        always False.

    Notes
    -----
    Uses :func:`scipy.stats.shapiro` (Royston's AS R94 algorithm, as SPSS). Not estimable for
    n < 3 or a constant sample. For n > 5000 the test is still computed (status ``"ok"``) but
    ``reason`` carries a note: SPSS does not print Shapiro-Wilk above 5000 cases and
    Royston's p-value approximation is not validated there.

    References
    ----------
    Shapiro, S. S. & Wilk, M. B. (1965). An analysis of variance test for normality
    (complete samples). Biometrika 52, 591-611.
    Royston, P. (1995). Remark AS R94. Applied Statistics 44, 547-551.

    Examples
    --------
    >>> from analysis.stats.normality import shapiro_wilk
    >>> res = shapiro_wilk([148, 154, 158, 160, 161, 162, 166, 170, 182, 195, 236])
    >>> round(res["statistic"], 3), round(res["p"], 3)
    (0.789, 0.007)
    """
    from scipy import stats

    arr = _clean(x)
    n = arr.size
    why = _degenerate(arr, _SW_MIN_N, "Shapiro-Wilk")
    if why:
        return _result(df=n, status="not estimable", reason=why)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns for n > 5000; reported via reason
        w, p = stats.shapiro(arr)
    note = ""
    if n > SW_MAX_N:
        note = (f"note: n = {n} > {SW_MAX_N}: SPSS does not print Shapiro-Wilk and the p-value "
                "approximation is not validated for such samples")
    return _result(float(w), n, float(p), False, "ok", note)


_TESTS = {"ks_lilliefors": lilliefors, "shapiro_wilk": shapiro_wilk}


def _sort_key(value: Any) -> tuple[int, Any]:
    """Sort key that orders numbers, booleans and strings without comparing across types."""
    if isinstance(value, (bool, np.bool_)):
        return (0, int(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return (0, float(value))
    return (1, str(value))


def _groups(data: pd.DataFrame, by: list[str]) -> list[tuple[tuple[Any, ...], pd.DataFrame]]:
    """(key, subset) pairs for every observed combination of ``by`` (rows with NA dropped).

    Keys are ordered column by column: categorical columns in category order, other columns
    ascending (numbers before strings).
    """
    if not by:
        return [((), data)]
    sub = data.dropna(subset=by)
    positions: dict[tuple[Any, ...], list[int]] = {}
    for pos, key in enumerate(zip(*(sub[c].tolist() for c in by), strict=True)):
        positions.setdefault(key, []).append(pos)
    rank: list[dict[Any, int] | None] = [
        {v: i for i, v in enumerate(sub[c].cat.categories)}
        if isinstance(sub[c].dtype, pd.CategoricalDtype) else None
        for c in by
    ]

    def order(key: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
        return tuple((0, r[v]) if r is not None else _sort_key(v)
                     for r, v in zip(rank, key, strict=True))

    return [(k, sub.iloc[positions[k]]) for k in sorted(positions, key=order)]


def normality_table(
    data: pd.DataFrame,
    variables: Sequence[str] | str,
    by: Sequence[str] | str = (),
    alpha: float = 0.05,
    *,
    listwise: bool = False,
) -> pd.DataFrame:
    """SPSS "Tests of Normality" for several variables, overall or per group, in long form.

    Parameters
    ----------
    data : DataFrame
        Data in wide form (one row per case).
    variables : str or sequence of str
        Metric variables to test, in the order they should appear.
    by : str or sequence of str, default ()
        Grouping columns (SPSS's Factor List, e.g. ``["year", "size_group"]``). ``()`` tests
        every variable on the whole data. Rows with a missing group value are excluded.
    alpha : float, default 0.05
        Significance level of the ``decision`` column.
    listwise : bool, default False
        False drops missing values variable by variable. True mirrors SPSS Explore's default
        (``/MISSING LISTWISE``): a case missing on any of ``variables`` is dropped from every
        test in its group.

    Returns
    -------
    DataFrame
        Columns ``[*by, "variable", "test", "statistic", "df", "p", "lower_bound",
        "alpha", "decision", "status", "reason"]``; one row per group x
        variable x test. ``test`` is ``"ks_lilliefors"`` or ``"shapiro_wilk"``; ``decision``
        is ``"normal"`` when ``p >= alpha``, ``"not normal"`` when ``p < alpha`` and ``""``
        when not estimable. Rows are sorted by the ``by`` columns (category order for
        categoricals, else ascending), then variables in the given order, then test.

    Raises
    ------
    KeyError
        If a variable or by-column is not in ``data``.
    ValueError
        If a variable is not numeric, or ``alpha`` is not in (0, 1).

    See Also
    --------
    lilliefors, shapiro_wilk

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.stats.normality import normality_table
    >>> df = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 6,
    ...                    "x": [1, 2, 2, 3, 3, 9, 4, 5, 5, 6, 6, 7]})
    >>> normality_table(df, ["x"], by=["g"])[["g", "test", "p"]].shape
    (4, 3)
    """
    variables = [variables] if isinstance(variables, str) else list(variables)
    by = [by] if isinstance(by, str) else list(by)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha!r}")
    missing = [c for c in [*by, *variables] if c not in data.columns]
    if missing:
        raise KeyError(f"column(s) not in data: {', '.join(map(repr, missing))}")
    for v in variables:
        s = data[v]
        if not (pd.api.types.is_numeric_dtype(s) or s.isna().all()):
            raise ValueError(f"variable {v!r} is not numeric (dtype {s.dtype})")

    rows: list[dict[str, Any]] = []
    for key, sub in _groups(data, by):
        if listwise:
            sub = sub.dropna(subset=variables)
        for v in variables:
            values = _clean(sub[v])
            for test in sorted(_TESTS):
                res = _TESTS[test](values)
                ok = res["status"] == "ok"
                decision = ("normal" if res["p"] >= alpha else "not normal") if ok else ""
                rows.append({**dict(zip(by, key, strict=True)), "variable": v, "test": test,
                             **{k: res[k] for k in ("statistic", "df", "p", "lower_bound")},
                             "alpha": float(alpha), "decision": decision,
                             "status": res["status"], "reason": res["reason"]})
    columns = [*by, *NORMALITY_COLUMNS]
    out = pd.DataFrame(rows, columns=columns)
    for c in ("statistic", "df", "p", "alpha"):
        out[c] = out[c].astype(float)
    out["lower_bound"] = out["lower_bound"].astype(bool)
    return out.reset_index(drop=True)


def normality_decision(table: pd.DataFrame) -> str:
    """Summarise a :func:`normality_table` in one word, as the study's procedure needs it.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`normality_table` (possibly filtered to one variable or group).

    Returns
    -------
    str
        ``"not normal"`` if any estimable test rejects normality, ``"normal"`` if every
        estimable test retains it, ``""`` if no test was estimable.
    """
    ok = table.loc[table["status"] == "ok", "decision"]
    if ok.empty:
        return ""
    return "not normal" if (ok == "not normal").any() else "normal"


def normality_report(data: pd.DataFrame, variables: Sequence[str],
                     breakdowns: Sequence[Sequence[str]], alpha: float = 0.05) -> pd.DataFrame:
    """Normality tables overall and for each breakdown, stacked in one long table.

    Variables the panel does not have are skipped (listed in the log by the stage).
    Columns: ``breakdown`` (e.g. ``"year x size_group"``, ``"overall"``), every by-column
    used in any breakdown (empty where not applicable), then :func:`normality_table`'s columns.
    """
    present = [v for v in variables if v in data.columns and data[v].notna().any()]
    by_cols = list(dict.fromkeys(c for b in breakdowns for c in b))
    parts = []
    for by in [[], *[list(b) for b in breakdowns]]:
        table = normality_table(data, present, by=by, alpha=alpha)
        table.insert(0, "breakdown", " x ".join(by) if by else "overall")
        parts.append(table)
    out = pd.concat(parts, ignore_index=True)
    for c in by_cols:
        if c not in out:
            out[c] = ""
            continue
        col = out[c]
        if pd.api.types.is_float_dtype(col) and (col.dropna() % 1 == 0).all():
            col = col.astype("Int64")  # years stay whole numbers although overall rows are empty
        out[c] = col.astype(object).where(col.notna(), "")
    return out[["breakdown", *by_cols, *NORMALITY_COLUMNS]]

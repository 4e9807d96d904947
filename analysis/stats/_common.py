"""Shared helpers of the statistics modules: the tidy row format, levels, Wilson interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from analysis.columns import STAT_COLUMNS

#: Status of a row that cannot be computed from the data.
NOT_ESTIMABLE = "not estimable"


# scipy.special, not scipy.stats: importing the statistics modules (as the Snakefile's check of
# the hypothesis specs does through the registry) then costs no scipy.stats import
_Z95 = float(special.ndtri(0.975))
_NAN = math.nan


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------


#: One reported number: (statistic, term, value, df, p, ci_low, ci_high, status, reason), the
#: fields of :data:`STAT_COLUMNS` in order. Test functions build lists of rows; ``_frame`` turns
#: them into the tidy frame, and the engine reads them without building a frame per comparison.
Row = tuple[str, str, float, float, float, float, float, str, str]


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
) -> Row:
    return (statistic, str(term), float(value), float(df), float(p), float(ci_low),
            float(ci_high), status, reason)


def _na(statistic: str, term: str = "", reason: str = "", df: float = _NAN) -> Row:
    """A not-estimable row: value, p and CI are NaN."""
    return _row(statistic, term, df=df, status=NOT_ESTIMABLE, reason=reason)


_NUMERIC = frozenset(("value", "df", "p", "ci_low", "ci_high"))


def _frame(rows: list[Row]) -> pd.DataFrame:
    """The tidy frame (columns :data:`STAT_COLUMNS`) of a list of rows, built column-wise."""
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(STAT_COLUMNS)
    return pd.DataFrame({name: np.array(col, dtype=float) if name in _NUMERIC
                         else pd.array(col, dtype="str")
                         for name, col in zip(STAT_COLUMNS, cols, strict=True)})


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


def wilson_interval(x: float, n: float, z: float = _Z95) -> tuple[float, float]:
    """Wilson score 95% interval for a proportion x / n (NaN, NaN when n = 0)."""
    if n <= 0:
        return _NAN, _NAN
    p = x / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # at p = 0 or 1 the bound is exactly 0 or 1 (centre - half cancels only up to rounding)
    low = 0.0 if x == 0 else max(0.0, centre - half)
    high = 1.0 if x == n else min(1.0, centre + half)
    return low, high


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



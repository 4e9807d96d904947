"""Formatting of p-values and numbers for display: the one formatter of every output."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd


# =========================================================================== formatting
def _missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(isinstance(x, float | np.floating) and math.isnan(x))
    except TypeError:
        return False


#: Significance levels a printed p must never appear to cross: a p of 0.0495 printed ".050"
#: would read as not significant at .05 beside a verdict that says it is.
P_THRESHOLDS: tuple[float, ...] = (0.01, 0.05, 0.10)


def format_p(p: Any, lower_bound: float | None = None, *, na: str = "",
             alpha: float | None = None) -> str:
    """A p-value as a journal prints it (APA): three decimals, no leading zero.

    When rounding to three decimals would put p on the other side of a conventional
    significance level (:data:`P_THRESHOLDS`, and ``alpha`` when given), more decimals are
    printed until it does not: 0.0495 prints ``.0495``, not ``.050``.

    Parameters
    ----------
    p : float
        The p-value (raw).
    lower_bound : float, optional
        When given, only this bound of p is reported (SPSS prints the Lilliefors p above
        0.2 as ``.200*``, "a lower bound of the true significance"): the bound is printed
        with a star instead of p. Pass it when the statistics flag p as a bound
        (normality.csv's ``lower_bound``).
    na : str
        What a missing p prints as.

    Returns
    -------
    str
        ``"< .001"`` for p < .001, else e.g. ``".012"``, ``".050"``, ``"1.000"``.

    Examples
    --------
    >>> format_p(0.0005), format_p(0.001), format_p(0.0492), format_p(1.0)
    ('< .001', '.001', '.049', '1.000')
    >>> format_p(0.35, lower_bound=0.2)
    '.200*'
    >>> format_p(0.0495), format_p(0.04999), format_p(0.0501), format_p(0.00996)
    ('.0495', '.04999', '.050', '.00996')
    """
    if lower_bound is not None:
        return format_p(lower_bound) + "*"
    if _missing(p):
        return na
    p = float(p)
    if p < 0.001:
        return "< .001"
    levels = (*P_THRESHOLDS, alpha) if alpha is not None else P_THRESHOLDS
    for digits in range(3, 9):
        text = _round_half_up(p, digits)
        if all((p < t) == (float(text) < t) for t in levels):
            break
    return text[1:] if text.startswith("0.") else text


def format_num(x: Any, digits: int | None = 3, *, na: str = "") -> str:
    """A number rounded to ``digits`` decimals (``-0.000`` printed as ``0.000``).

    Parameters
    ----------
    x : float
        The number; None / NaN / NA print as ``na``; +-inf print as ``"inf"``/``"-inf"``.
    digits : int or None
        Decimals (0 for counts); None prints the shortest decimal that reads back as ``x``
        (a setting such as alpha = 0.05 or a no-effect value of 1), never in exponent form.
    na : str
        What a missing value prints as.

    Examples
    --------
    >>> format_num(2.34567), format_num(12, 0), format_num(-0.0001), format_num(float("nan"))
    ('2.346', '12', '0.000', '')
    >>> format_num(0.05, None), format_num(1.0, None), format_num(1e-05, None)
    ('0.05', '1', '0.00001')
    """
    if _missing(x):
        return na
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if digits is None:
        text = format(Decimal(repr(x)).normalize(), "f")
        return "0" if float(text) == 0.0 else text
    text = _round_half_up(x, digits)
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]
    return text


def _round_half_up(x: float, digits: int) -> str:
    """Round the shortest decimal representation of ``x`` half away from zero.

    ``f"{x:.3f}"`` rounds the binary value half to even, so 0.25 prints as 0.2 and 4.4445
    (stored as 4.44449999...) as 4.444; a journal (and SPSS) prints 0.3 and 4.445.
    """
    q = Decimal(1).scaleb(-digits)
    return str(Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP))


def _int(x: Any) -> str:
    return format_num(x, 0)


def _pct(x: Any, digits: int = 1) -> str:
    s = format_num(x, digits)
    return f"{s}%" if s else ""


def _level(text: Any) -> str:
    """Display of an outcome level: True/False as Yes/No."""
    s = str(text)
    return {"True": "Yes", "False": "No", "true": "Yes", "false": "No"}.get(s, s)



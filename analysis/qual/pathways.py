"""Pathways of internationalization classified from the firm-year panel.

Each firm is classified as ``domestic``, ``born_global``, ``born_again_global``, ``traditional``
or ``de_internationalizing`` by declarative thresholds (``config/pathways.yaml``). Every rule is
evaluated; the firm gets the first pathway in the configured ``precedence`` whose rule fires,
and the output says which rule fired, with the numbers. See ``docs/qualitative.md``.

The panel follows the canonical firm-year contract: ``firm_id``, ``country``, ``year``,
``founded``, ``first_export_year`` (nullable; NA = never exported), ``export_share`` (percent),
``sme`` (nullable boolean), ``size_group`` ("SME" / "non-SME"), ``employees``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import PipelineInputError

PATHWAYS: tuple[str, ...] = (
    "domestic", "born_global", "born_again_global", "traditional", "de_internationalizing",
)
DEFAULT_PRECEDENCE: tuple[str, ...] = (
    "domestic", "de_internationalizing", "born_global", "born_again_global", "traditional",
)
DEFAULT_THRESHOLDS: dict[str, Any] = {
    "born_global_years": 3,
    "born_global_share": 25.0,
    "born_global_share_proxy": "first_observed",
    "born_again_min_domestic_years": 10,
    "born_again_share": 25.0,
    "born_again_rise_years": 3,
    "deint_drop_points": 10.0,
    "deint_min_years": 2,
    "deint_exit_min_zero_years": 1,
}
REQUIRED_COLUMNS: tuple[str, ...] = (
    "firm_id", "country", "year", "founded", "first_export_year", "export_share",
)
# Variables a panel may lack (the WBES standardized extract has no first_export_year): they are
# "not available in this panel", the firms are classified without them (first export from the
# first positive export share, the panel proxy) and the caption and log say so.
OPTIONAL_COLUMNS: tuple[str, ...] = ("founded", "first_export_year")
SIZE_ORDER: tuple[str, ...] = ("SME", "non-SME")
CLASSIFIED_COLUMNS: list[str] = [
    "firm_id", "country", "sme", "size_group", "founded", "first_export_year",
    "first_export_source", "years_to_first_export", "n_obs", "first_year", "last_year",
    "first_export_share", "max_export_share", "last_export_share", "pathway", "rule",
    "rules_matched",
]


def load_pathway_config(path: str | Path) -> dict[str, Any]:
    """Read ``config/pathways.yaml`` and check it.

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    dict
        Keys ``pathways``, ``precedence``, ``thresholds``, ``sources``.
    """
    from analysis.config import load_yaml

    cfg = load_yaml(path)
    _resolve(cfg)
    return cfg


def _resolve(thresholds: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """Split a config (or a bare thresholds mapping) into thresholds and precedence."""
    thresholds = dict(thresholds or {})
    if "thresholds" in thresholds:
        th = dict(thresholds["thresholds"] or {})
        precedence = list(thresholds.get("precedence") or DEFAULT_PRECEDENCE)
    else:
        th = {k: v for k, v in thresholds.items() if k != "precedence"}
        precedence = list(thresholds.get("precedence") or DEFAULT_PRECEDENCE)
    problems = [f"unknown threshold {k!r}; known: {sorted(DEFAULT_THRESHOLDS)}"
                for k in th if k not in DEFAULT_THRESHOLDS]
    merged = {**DEFAULT_THRESHOLDS, **th}
    if sorted(precedence) != sorted(PATHWAYS):
        problems.append(f"precedence must list each of {list(PATHWAYS)} once, got {precedence}")
    if merged["born_global_share_proxy"] not in ("first_observed", "none"):
        problems.append("born_global_share_proxy must be 'first_observed' or 'none'")
    if float(merged["deint_drop_points"]) <= 0:
        problems.append("deint_drop_points must be > 0")
    for k in ("deint_min_years", "deint_exit_min_zero_years"):
        if int(merged[k]) < 1:
            problems.append(f"{k} must be >= 1")
    if problems:
        raise PipelineInputError("pathway configuration is not valid", problems)
    return merged, precedence


def _g(x: float) -> str:
    return f"{x:g}"


# ------------------------------------------------------------------ whole-panel array helpers
# The classification works on arrays over the whole panel: the rows of each firm are contiguous
# (firm order, then year order), so per-firm quantities are segment reductions (ufunc.reduceat)
# and per-firm texts are built column-wise. Nothing loops over firms in Python.

def _g_text(x: np.ndarray) -> np.ndarray:
    """:func:`_g` of every value, as an object array of str.

    Each distinct value (by bit pattern, so -0.0 keeps its sign) is formatted once.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    codes, uniques = pd.factorize(x.view(np.int64))
    text = np.array([_g(v) for v in np.asarray(uniques).view(np.float64).tolist()],
                    dtype=object)
    return text[codes]


def _int_text(x: np.ndarray) -> np.ndarray:
    """``str(int)`` of every value, as an object array of str (each distinct value once)."""
    codes, uniques = pd.factorize(np.asarray(x, dtype=np.int64))
    return np.array([str(v) for v in np.asarray(uniques).tolist()], dtype=object)[codes]


def _cat(*parts: Any) -> np.ndarray:
    """Element-wise concatenation of str scalars and object arrays of str."""
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out


def _reduce(ufunc: np.ufunc, values: np.ndarray, start: np.ndarray, count: np.ndarray,
            empty: Any) -> np.ndarray:
    """``ufunc`` over each segment ``values[start:start + count]``; ``empty`` for count 0."""
    out = np.full(len(start), empty, dtype=values.dtype)
    filled = count > 0
    if values.size and filled.any():
        out[filled] = ufunc.reduceat(values, start[filled])
    return out


def _first_where(cond: np.ndarray, start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Position of the first True of each segment; ``len(cond)`` if there is none."""
    n = len(cond)
    return _reduce(np.minimum, np.where(cond, np.arange(n), n), start, count, n)


def _last_where(cond: np.ndarray, start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Position of the last True of each segment; -1 if there is none."""
    return _reduce(np.maximum, np.where(cond, np.arange(len(cond)), -1), start, count, -1)


def _trailing_run(cond: np.ndarray, start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Length of the run of True at the end of each segment."""
    last_false = _last_where(~cond, start, count)
    return np.where(last_false >= 0, start + count - 1 - last_false, count)


def _ints(values: pd.Series) -> np.ndarray:
    """``int(v)`` of every (non-missing) value, as int64."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        return values.to_numpy(dtype=np.int64)
    if pd.api.types.is_float_dtype(dtype):
        x = values.to_numpy(dtype=np.float64)
        if np.isfinite(x).all():
            return np.trunc(x).astype(np.int64)
    return np.array([int(v) for v in values.to_numpy(dtype=object)], dtype=np.int64)


def _attribute_problems(g: pd.DataFrame) -> list[str]:
    """One firm's attributes that change between years (the error message)."""
    fid = g["firm_id"].iloc[0]
    problems = []
    for col in ("country", "founded", "first_export_year"):
        vals = g[col].dropna().unique()
        if len(vals) > 1:
            problems.append(f"firm {fid}: {col} differs between years ({sorted(map(str, vals))})")
    return problems


def _empty_classified() -> pd.DataFrame:
    out = pd.DataFrame([], columns=CLASSIFIED_COLUMNS)
    for col in ("founded", "first_export_year", "years_to_first_export"):
        out[col] = out[col].astype("Int64")
    out["sme"] = out["sme"].astype("boolean")
    return out.reset_index(drop=True)


def _threshold(convert: Any, th: Mapping[str, Any], key: str) -> tuple[Any, Exception | None]:
    """``convert(th[key])``, or the error it raises (raised later only if a firm needs it)."""
    try:
        return convert(th[key]), None
    except (TypeError, ValueError, OverflowError) as err:
        return 0, err


def _clip(n: int) -> int:
    """An integer threshold bounded so that year arithmetic stays within int64."""
    return max(min(n, 2 ** 61), -(2 ** 61))


def _classify_panel(df: pd.DataFrame, th: Mapping[str, Any], precedence: Sequence[str],
                    row_dtype: Any) -> pd.DataFrame:
    """The rules of :func:`classify_pathways` over the whole (sorted, checked) panel.

    ``df`` holds the columns the rules read, sorted by firm_id and year; ``row_dtype`` is the
    dtype of one row of the whole panel (the type a firm's first row gives sme and size_group).
    """
    # group number of each row in sorted firm order; -1 for a missing firm_id (no group)
    code = df.groupby("firm_id", sort=True, observed=True).ngroup()
    code = code.fillna(-1).to_numpy(dtype=np.int64)
    rows = np.flatnonzero(code >= 0)
    if not len(rows):
        return _empty_classified()
    rows = rows[np.argsort(code[rows], kind="stable")]   # firm order, year order within firm
    fc = code[rows]
    n_firms = int(fc[-1]) + 1
    sub = df if np.array_equal(rows, np.arange(len(df))) else df.take(rows)
    n_rows = np.bincount(fc, minlength=n_firms)
    start = np.cumsum(n_rows) - n_rows
    firm_ids = sub["firm_id"].iloc[start].to_numpy(dtype=object)

    # firm attributes: constant between years; the first non-missing value ------------------
    attr_bad = np.zeros(n_firms, dtype=bool)
    first_pos: dict[str, np.ndarray] = {}
    for col in ("country", "founded", "first_export_year"):
        codes = pd.factorize(sub[col])[0]
        valid = codes >= 0
        lo = _reduce(np.minimum, np.where(valid, codes, np.iinfo(np.int64).max), start,
                     n_rows, 0)
        hi = _reduce(np.maximum, np.where(valid, codes, -1), start, n_rows, -1)
        attr_bad |= (hi >= 0) & (lo != hi)
        first_pos[col] = _first_where(valid, start, n_rows)

    # years ---------------------------------------------------------------------------------
    year = sub["year"]
    year_na = year.isna().to_numpy()
    if year_na.any():
        yr = np.zeros(len(sub), dtype=np.int64)
        yr[~year_na] = _ints(year[~year_na])
    else:
        yr = _ints(year)
    big = np.iinfo(np.int64).max
    first_year = _reduce(np.minimum, np.where(year_na, big, yr), start, n_rows, big)
    last_year = _reduce(np.maximum, np.where(year_na, -big, yr), start, n_rows, -big)
    share = sub["export_share"]
    obs = share.notna().to_numpy()
    year_bad = (_reduce(np.maximum, (obs & year_na).astype(np.int8), start, n_rows, 0) > 0) | (
        _reduce(np.minimum, year_na.astype(np.int8), start, n_rows, 1) > 0)

    # errors in the order the firms are met (attributes, then years, of each firm)
    errors: list[tuple[int, int, Any]] = []
    if attr_bad.any():
        i = int(np.argmax(attr_bad))
        g = sub.iloc[start[i]:start[i] + n_rows[i]]
        errors.append((i, 0, PipelineInputError("panel: firm attributes must be constant",
                                                _attribute_problems(g))))
    if year_bad.any():
        i = int(np.argmax(year_bad))
        seg = year_na[start[i]:start[i] + n_rows[i]]
        errors.append((i, 1, year.iloc[start[i] + int(np.argmax(seg))]))

    def attr_int(col: str) -> tuple[np.ndarray, np.ndarray]:
        pos = first_pos[col]
        found = pos < len(sub)
        vals = np.zeros(n_firms, dtype=np.int64)
        if found.any():
            vals[found] = _ints(sub[col].iloc[pos[found]])
        return vals, ~found

    def attr_obj(col: str) -> np.ndarray:
        pos = first_pos[col]
        found = pos < len(sub)
        vals = np.full(n_firms, pd.NA, dtype=object)
        vals[found] = sub[col].iloc[pos[found]].to_numpy(dtype=object)
        return vals

    # sme and size_group as the first row of the firm gives them (row dtype = common dtype)
    first_row: dict[str, np.ndarray] = {}
    for col in ("sme", "size_group"):
        if col in sub.columns:
            v = sub[col].iloc[start]
            if v.dtype != row_dtype:
                try:
                    v = v.astype(row_dtype)
                except (TypeError, ValueError):
                    v = v.astype(object)
            first_row[col] = v.to_numpy(dtype=object)
        else:
            first_row[col] = np.full(n_firms, pd.NA, dtype=object)
    sme_na = pd.isna(first_row["sme"])
    sme_val = np.zeros(n_firms, dtype=bool)
    sme_val[~sme_na] = first_row["sme"][~sme_na].astype(bool)
    size_na = pd.isna(first_row["size_group"])
    size_group = np.full(n_firms, pd.NA, dtype=object)
    size_group[~size_na] = first_row["size_group"][~size_na].astype(str).astype(object)

    founded, founded_na = attr_int("founded")
    fey_rep, fey_missing = attr_int("first_export_year")
    reported = ~fey_missing

    # observations (years with an export share), per firm --------------------------------
    oi = np.flatnonzero(obs)
    s_o = share.iloc[oi].to_numpy(dtype=np.float64, na_value=np.nan)
    y_o = yr[oi]
    f_o = fc[oi]
    n_o = len(oi)
    m = np.bincount(f_o, minlength=n_firms)
    ostart = np.cumsum(m) - m
    has = m > 0
    s_pad = np.append(s_o, np.nan)     # position n_o stands for "no such observation"
    y_pad = np.append(y_o, 0)
    first_idx = np.where(has, ostart, n_o)
    last_idx = np.where(has, ostart + m - 1, n_o)
    s_first, y_first = s_pad[first_idx], y_pad[first_idx]
    s_last, y_last = s_pad[last_idx], y_pad[last_idx]

    pos_positive = _first_where(s_o > 0, ostart, m)
    any_positive = pos_positive < n_o
    fey = np.where(reported, fey_rep, y_pad[pos_positive])
    fey_na = ~reported & ~any_positive
    source = np.where(reported, "reported", np.where(any_positive, "panel_proxy", "none"))
    ytf_ok = ~fey_na & ~founded_na
    ytf = np.where(ytf_ok, fey - founded, 0)
    exported = (~fey_na & (fey <= last_year)) | any_positive

    # thresholds (the rule-specific ones are needed only if a firm reaches their rule) -----
    drop = float(th["deint_drop_points"])
    min_run = int(th["deint_min_years"])
    exit_min = int(th["deint_exit_min_zero_years"])
    bg_years, err_bg = _threshold(int, th, "born_global_years")
    bg_share, err_bgs = _threshold(float, th, "born_global_share")
    min_dom, err_dom = _threshold(int, th, "born_again_min_domestic_years")
    rise, err_rise = _threshold(int, th, "born_again_rise_years")
    ba_share, err_bas = _threshold(float, th, "born_again_share")
    proxy = th["born_global_share_proxy"] == "first_observed"
    ba_elig = exported & ytf_ok & (ytf >= _clip(min_dom))
    if exported.any() and (err_bg or err_bgs or err_dom):
        errors.append((int(np.argmax(exported)), 2, err_bg or err_bgs or err_dom))
    elif ba_elig.any() and (err_rise or err_bas):
        errors.append((int(np.argmax(ba_elig)), 2, err_rise or err_bas))
    if errors:
        err = min(errors, key=lambda e: e[:2])[2]
        if not isinstance(err, Exception):
            int(err)  # a missing year: raises the error int() gives for it
            err = TypeError(f"year is missing ({err!r})")
        raise err
    bg_years_c, rise_c = _clip(bg_years), _clip(rise)

    # de-internationalizing: sustained fall ------------------------------------------------
    mx = _reduce(np.maximum, s_o, ostart, m, np.nan)
    mx_pos = _first_where(s_o == mx[f_o], ostart, m)     # the first maximum, as max() gives
    mx, y_mx = s_pad[mx_pos], y_pad[mx_pos]
    level = mx - drop
    run = _trailing_run(s_o <= level[f_o], ostart, m)
    sustained = exported & (m >= 2) & (run >= min_run)
    # de-internationalizing: exit -----------------------------------------------------------
    zeros = _trailing_run(s_o == 0, ostart, m)
    first_zero_year = y_pad[np.where(has & (zeros > 0), ostart + m - zeros, n_o)]
    exit_base = exported & ~sustained & (zeros >= exit_min)
    last_positive = _last_where(s_o > 0, ostart, m)
    exit_share = exit_base & any_positive
    exit_reported = exit_base & ~any_positive & reported & (fey < first_zero_year)
    # born global ----------------------------------------------------------------------------
    bg_elig = exported & ytf_ok & (ytf <= bg_years_c)
    in_window = y_o <= (founded + bg_years_c)[f_o]
    window_any = _first_where(in_window, ostart, m) < n_o
    bg_hit = _first_where(in_window & (s_o >= bg_share), ostart, m)
    bg_in_window = bg_elig & (bg_hit < n_o)
    bg_proxy = bg_elig & ~window_any & proxy & has & (s_first >= bg_share)
    # born-again global ---------------------------------------------------------------------
    fey_o = fey[f_o]
    ba_hit = _first_where((y_o >= fey_o) & (y_o <= fey_o + rise_c) & (s_o >= ba_share),
                          ostart, m)
    born_again = ba_elig & (ba_hit < n_o)

    fired = {
        "domestic": ~exported,
        "de_internationalizing": sustained | exit_share | exit_reported,
        "born_global": bg_in_window | bg_proxy,
        "born_again_global": born_again,
        "traditional": exported,
    }
    which = np.full(n_firms, -1, dtype=np.int64)
    for k in range(len(precedence) - 1, -1, -1):
        which[fired[precedence[k]]] = k
    bits = sum(fired[p].astype(np.int64) << k for k, p in enumerate(precedence))
    combos = np.array([";".join(p for k, p in enumerate(precedence) if b >> k & 1)
                       for b in range(2 ** len(precedence))], dtype=object)

    # the rule that fired, with its numbers ------------------------------------------------
    rule = np.empty(n_firms, dtype=object)

    def put(mask: np.ndarray, pathway: str, make: Any) -> None:
        idx = np.flatnonzero(mask & (which == precedence.index(pathway)))
        if len(idx):
            rule[idx] = pathway + ": " + make(idx)

    never = "never exported: first_export_year NA and export share 0 in every observed year"
    put(~exported & fey_na & has, "domestic", lambda i: np.full(len(i), never, dtype=object))
    put(~exported & fey_na & ~has, "domestic",
        lambda i: np.full(len(i), never + " (no export share observed)", dtype=object))
    for observed, tail in ((has, ""), (~has, " (no export share observed)")):
        put(~exported & ~fey_na & observed, "domestic", lambda i, tail=tail: _cat(
            "no export by the end of the panel (first export ", _int_text(fey[i]), " > ",
            _int_text(last_year[i]), ")" + tail))
    put(sustained, "de_internationalizing", lambda i: _cat(
        "sustained fall: max ", _g_text(mx[i]), "% (", _int_text(y_mx[i]), ") -> last ",
        _g_text(s_last[i]), "% (", _int_text(y_last[i]), "), drop ",
        _g_text(mx[i] - s_last[i]), f" >= {_g(drop)} points; ", _int_text(run[i]),
        " trailing obs <= ", _g_text(level[i]), f"% (>= {min_run})"))
    put(exit_share, "de_internationalizing", lambda i: _cat(
        "exit: ", _g_text(s_pad[last_positive[i]]), "% in ", _int_text(y_pad[last_positive[i]]),
        ", then 0% in the last ", _int_text(zeros[i]), " obs (", _int_text(first_zero_year[i]),
        "-", _int_text(y_last[i]), f"; >= {exit_min})"))
    put(exit_reported, "de_internationalizing", lambda i: _cat(
        "exit: first export reported in ", _int_text(fey[i]), ", 0% in all ",
        _int_text(zeros[i]), " observed years (", _int_text(first_zero_year[i]), "-",
        _int_text(y_last[i]), ")"))
    put(bg_in_window, "born_global", lambda i: _cat(
        "first export ", _int_text(ytf[i]), f" <= {bg_years} years after founding (",
        _int_text(founded[i]), "); share ", _g_text(s_pad[bg_hit[i]]),
        f"% >= {_g(bg_share)}% in ", _int_text(y_pad[bg_hit[i]]),
        f" (within {bg_years} years)"))
    put(bg_proxy, "born_global", lambda i: _cat(
        "first export ", _int_text(ytf[i]), f" <= {bg_years} years after founding (",
        _int_text(founded[i]), "); proxy: first observed share ", _g_text(s_first[i]), "% (",
        _int_text(y_first[i]), ", age ", _int_text(y_first[i] - founded[i]),
        f") >= {_g(bg_share)}%"))
    put(born_again, "born_again_global", lambda i: _cat(
        "domestic ", _int_text(ytf[i]), f" >= {min_dom} years after founding (",
        _int_text(founded[i]), "); share ", _g_text(s_pad[ba_hit[i]]),
        f"% >= {_g(ba_share)}% in ", _int_text(y_pad[ba_hit[i]]), ", ",
        _int_text(y_pad[ba_hit[i]] - fey[i]), f" <= {rise} years after first export (",
        _int_text(fey[i]), ")"))
    put(exported & ytf_ok, "traditional", lambda i: _cat(
        "exported; no other rule fired (first export ", _int_text(ytf[i]),
        " years after founding)"))
    put(exported & ~ytf_ok, "traditional",
        lambda i: np.full(len(i), "exported; no other rule fired", dtype=object))
    proxied = np.flatnonzero(~reported & any_positive)
    rule[proxied] = _cat(rule[proxied], " [first_export_year missing; first positive share (",
                         _int_text(fey[proxied]), ") used]")

    out = pd.DataFrame({
        "firm_id": firm_ids,
        "country": attr_obj("country"),
        "sme": pd.arrays.BooleanArray(sme_val, sme_na),
        "size_group": size_group,
        "founded": pd.arrays.IntegerArray(founded, founded_na.copy()),
        "first_export_year": pd.arrays.IntegerArray(fey.astype(np.int64), fey_na.copy()),
        "first_export_source": source.astype(object),
        "years_to_first_export": pd.arrays.IntegerArray(ytf.astype(np.int64), ~ytf_ok),
        "n_obs": m.astype(np.int64),
        "first_year": first_year,
        "last_year": last_year,
        "first_export_share": s_first,
        "max_export_share": mx,
        "last_export_share": s_last,
        "pathway": np.array(precedence, dtype=object)[which],
        "rule": rule,
        "rules_matched": combos[bits],
    }, columns=CLASSIFIED_COLUMNS)
    # object columns get the dtype pandas infers for the values (as for a list of records)
    return out.infer_objects()


def classify_pathways(panel: pd.DataFrame,
                      thresholds: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Classify each firm's internationalization pathway from its panel history.

    Rules (thresholds from ``config/pathways.yaml``; the first in ``precedence`` that fires
    wins, default order domestic > de_internationalizing > born_global > born_again_global >
    traditional):

    - ``domestic``: no export by the end of the panel (first_export_year NA or after the last
      year, and no positive share observed).
    - ``de_internationalizing``: the last observed share is >= ``deint_drop_points`` below the
      panel maximum and the trailing run of observations at or below (max - drop) is >=
      ``deint_min_years`` long; or exit: a positive share (or a reported pre-panel first
      export) followed by >= ``deint_exit_min_zero_years`` trailing zero shares.
    - ``born_global``: first_export_year - founded <= ``born_global_years`` and a share
      >= ``born_global_share`` observed within ``born_global_years`` of founding; when the panel
      has no observation in that window, the first observed share is the proxy
      (``born_global_share_proxy: first_observed``; ``none`` disables the proxy).
    - ``born_again_global``: first_export_year - founded >= ``born_again_min_domestic_years``
      and a share >= ``born_again_share`` observed within ``born_again_rise_years`` of the
      first export (no proxy).
    - ``traditional``: every other exporter.

    Missing years are simply absent observations; runs are counted in observations.

    Parameters
    ----------
    panel : DataFrame
        Canonical firm-year panel (one row per firm_id x year).
    thresholds : mapping, optional
        Either the whole ``config/pathways.yaml`` (keys ``thresholds``, ``precedence``) or a
        bare mapping of thresholds (optionally with ``precedence``); missing keys take the
        defaults in :data:`DEFAULT_THRESHOLDS`.

    Returns
    -------
    DataFrame
        One row per firm, sorted by ``firm_id``. Columns: ``firm_id``, ``country``, ``sme``,
        ``size_group`` (both from the firm's first observed year), ``founded``,
        ``first_export_year``, ``first_export_source`` ("reported", "panel_proxy", "none"),
        ``years_to_first_export``, ``n_obs`` (years with an export share), ``first_year``,
        ``last_year``, ``first_export_share``, ``max_export_share``, ``last_export_share``
        (percent), ``pathway``, ``rule`` (the rule that fired, with its numbers),
        ``rules_matched`` (every rule that fired, in precedence order, ";"-separated).

    Raises
    ------
    PipelineInputError
        Missing columns, duplicated firm-years, firm attributes that change between years, or
        an invalid configuration.
    """
    th, precedence = _resolve(thresholds)
    absent = [c for c in OPTIONAL_COLUMNS if c not in panel.columns]
    if absent:
        panel = panel.assign(**{c: pd.Series(pd.NA, index=panel.index, dtype="Int64")
                                for c in absent})
    missing = [c for c in REQUIRED_COLUMNS if c not in panel.columns]
    if missing:
        raise PipelineInputError(f"panel: missing columns {missing}")
    dup = panel.duplicated(["firm_id", "year"])
    if dup.any():
        rows = panel.loc[dup, ["firm_id", "year"]].astype(str).agg(" ".join, axis=1)
        raise PipelineInputError("panel: duplicated firm_id x year", list(rows))
    cols = ["firm_id", "country", "founded", "first_export_year", "year", "export_share"]
    cols += [c for c in ("sme", "size_group") if c in panel.columns]
    df = panel[cols].sort_values(["firm_id", "year"], kind="stable")
    row_dtype = panel.iloc[0].dtype if len(panel) else None
    return _classify_panel(df, th, precedence, row_dtype)


def pathway_mix(classified: pd.DataFrame, by: Sequence[str] = ("size_group",),
                pathways: Sequence[str] = PATHWAYS) -> pd.DataFrame:
    """Counts and shares of pathways within groups (e.g. SME status, country).

    Every pathway appears in every group (zero counts included), so shares sum to 1 within a
    group and counts sum to the number of firms. Missing group values are labelled
    ``"(missing)"``.

    Parameters
    ----------
    classified : DataFrame
        Output of :func:`classify_pathways`.
    by : sequence of str
        Grouping columns, e.g. ``("size_group",)``, ``("country",)``,
        ``("country", "size_group")``; ``()`` for the whole sample.
    pathways : sequence of str
        Pathway order in the output.

    Returns
    -------
    DataFrame
        Columns ``*by``, ``pathway``, ``n``, ``group_n``, ``share`` (0-1), ``percent``
        (0-100); sorted by group (SME before non-SME) and pathway order.
    """
    by = list(by)
    df = classified[list(dict.fromkeys([*by, "pathway"]))].copy()
    for col in by:
        df[col] = df[col].astype("string").fillna("(missing)").astype(str)
    if not by:
        df["_all"] = "all"
        keys = ["_all"]
    else:
        keys = by
    unknown = sorted(set(df["pathway"].unique()) - set(pathways))
    if unknown:
        raise PipelineInputError(f"pathway_mix: unknown pathways {unknown}")
    groups = df[keys].drop_duplicates()
    full = groups.merge(pd.DataFrame({"pathway": list(pathways)}), how="cross")
    counts = df.groupby(keys + ["pathway"]).size().rename("n").reset_index()
    out = full.merge(counts, on=keys + ["pathway"], how="left")
    out["n"] = out["n"].fillna(0).astype(int)
    out["group_n"] = out.groupby(keys)["n"].transform("sum").astype(int)
    out["share"] = out["n"] / out["group_n"]
    out["percent"] = 100.0 * out["share"]
    # sort by (rank, value) of each key: SME before non-SME, other values after, by value
    sort_cols, tmp = [], []
    for col in keys:
        key = f"_k_{col}"
        order = {g: i for i, g in enumerate(SIZE_ORDER)} if col == "size_group" else {}
        out[key] = out[col].map(order).fillna(len(order)).astype(int)
        sort_cols += [key, col]
        tmp.append(key)
    out["_p"] = out["pathway"].map({p: i for i, p in enumerate(pathways)})
    out = out.sort_values(sort_cols + ["_p"], kind="stable").drop(columns=tmp + ["_p"])
    if not by:
        out = out.drop(columns="_all")
    return out.reset_index(drop=True)


def pathway_crosstab(classified: pd.DataFrame, row: str = "pathway",
                     col: str = "size_group") -> pd.DataFrame:
    """Cross-tabulate pathway by size group with :func:`analysis.stats.crosstab`.

    Only pathways and size groups present in the data are passed (empty rows or columns make
    expected counts zero); firms without a size group are dropped.

    Parameters
    ----------
    classified : DataFrame
        Output of :func:`classify_pathways`.
    row, col : str
        Row and column variables.

    Returns
    -------
    DataFrame
        The long result of ``analysis.stats.crosstab`` (columns statistic, term, value, df, p,
        ci_low, ci_high, status, reason).
    """
    from analysis.stats import crosstab

    data = classified.loc[classified[col].notna(), [row, col]].copy()
    data[row] = data[row].astype(str)
    data[col] = data[col].astype(str)
    rows, cols = set(data[row].unique()), set(data[col].unique())
    row_order = [p for p in PATHWAYS if p in rows]
    row_order += sorted(rows - set(row_order))
    col_order = [c for c in SIZE_ORDER if c in cols]
    col_order += sorted(cols - set(col_order))
    return crosstab(data, row, col, row_order=row_order, col_order=col_order)


def plot_pathway_mix(mix: pd.DataFrame, path: str | Path, *, synthetic: bool = False) -> str:
    """Bar chart of pathway shares by size group (one panel per country if present).

    The PNG is deterministic: fixed size and dpi, ``svg.hashsalt`` set, no software or date
    metadata.

    Parameters
    ----------
    mix : DataFrame
        Output of :func:`pathway_mix` with ``size_group`` in ``by`` (optionally ``country``).
    path : str or Path
        Where to write the PNG.
    synthetic : bool
        The firms come from synthetic panels: the figure is marked SYNTHETIC DATA in its
        lower-left corner (as every figure of the render stage) and the caption says so.

    Returns
    -------
    str
        The figure caption (what is shown, units, n).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    if "size_group" not in mix.columns:
        raise PipelineInputError("plot_pathway_mix: mix must be grouped by size_group")
    facet = "country" in mix.columns
    keys = ["country", "size_group"] if facet else ["size_group"]
    n_firms = int(mix.drop_duplicates(keys)["group_n"].sum())
    order = [p for p in PATHWAYS if p in set(mix["pathway"])]
    size_order = [s for s in SIZE_ORDER if s in set(mix["size_group"])]
    size_order += sorted(set(mix["size_group"]) - set(size_order))
    labels = {p: p.replace("_", " ") for p in order}
    data = mix.assign(pathway=mix["pathway"].map(labels))
    with plt.rc_context({"svg.hashsalt": "sme-intl-pathways", "font.size": 9}):
        kw: dict[str, Any] = {}
        if facet:
            kw = {"col": "country", "col_wrap": min(3, mix["country"].nunique()),
                  "col_order": sorted(mix["country"].unique())}
        grid = sns.catplot(data=data, kind="bar", x="size_group", y="percent", hue="pathway",
                           order=size_order, hue_order=[labels[p] for p in order],
                           palette="colorblind", height=3.2, aspect=1.2, errorbar=None, **kw)
        grid.set_axis_labels("Size group", "Firms in group (%)")
        if facet:
            grid.set_titles("{col_name}")
        grid.set(ylim=(0, 100))
        if grid.legend is not None:
            grid.legend.set_title("Pathway")
        grid.figure.suptitle(f"Internationalization pathway by size group (n = {n_firms} firms)")
        grid.figure.subplots_adjust(top=0.85 if not facet else 0.9)
        if synthetic:
            grid.figure.text(0.005, 0.005, "SYNTHETIC DATA", ha="left", va="bottom",
                             fontsize=8, color="#b00020", fontweight="bold")
        grid.figure.savefig(path, dpi=150, metadata={"Software": None})
        plt.close(grid.figure)
    where = " and country (one panel per country)" if facet else ""
    return (f"Share of firms (percent of firms in each size group{where}) by "
            f"internationalization pathway, classified from the firm-year panel by the rules "
            f"in config/pathways.yaml; n = {n_firms} firms.")


def run_pathways(*, panel_path: str, config_path: str, out_classified: str, out_mix: str,
                 out_crosstab: str, out_figure: str) -> str:
    """Stage ``pathways``: classify every firm of the pooled panel; mix, crosstab, figure.

    Returns the figure caption (also written next to the figure as ``.caption.txt``).
    """
    import logging

    from analysis.runlog import write_csv

    log = logging.getLogger(__name__)
    panel = pd.read_parquet(panel_path)
    unavailable = [c for c in OPTIONAL_COLUMNS
                   if c not in panel.columns or panel[c].isna().all()]
    for col in unavailable:
        log.warning("%s: not available in this panel; pathways are classified without it%s",
                    col, " (first export = first year with a positive export share)"
                    if col == "first_export_year" else " (no years to first export: the born-"
                    "global and born-again-global rules cannot fire)")
    classified = classify_pathways(panel, load_pathway_config(config_path))
    by_group = pathway_mix(classified, by=("size_group",))
    by_country = pathway_mix(classified, by=("country", "size_group"))
    mix = pd.concat([by_group.assign(country="all"), by_country], ignore_index=True)
    mix = mix[["country", *[c for c in mix.columns if c != "country"]]]
    if "synthetic" in panel:
        for frame in (classified, mix):
            frame["synthetic"] = bool(panel["synthetic"].any())
    write_csv(classified, out_classified)
    write_csv(mix, out_mix)
    write_csv(pathway_crosstab(classified), out_crosstab)
    synthetic = bool("synthetic" in panel and panel["synthetic"].any())
    caption = plot_pathway_mix(by_group, out_figure, synthetic=synthetic)
    if unavailable:
        caption += (f" Not available in this panel: {', '.join(unavailable)}"
                    + (" (first export taken from the first positive export share)"
                       if "first_export_year" in unavailable else "") + ".")
    if synthetic:
        caption = ("Synthetic data: generated with the study's design, not the study's "
                   "microdata. " + caption)
    Path(out_figure).with_suffix(".caption.txt").write_text(caption + "\n", encoding="utf-8")
    log.info("pathways: %s", classified["pathway"].value_counts().sort_index().to_dict())
    return caption

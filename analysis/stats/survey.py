"""Design-based (survey) counterparts of the unweighted tests: Rao-Scott chi-square with
weighted shares, survey-weighted logistic regression, and the Lumley-Scott rank test.

A survey design is given by case weights, strata and (optionally) primary sampling units
(PSUs, clusters); without clusters every case is its own PSU. Variances are Taylor-linearized
with PSUs drawn with replacement within strata (the "ultimate cluster" estimator of R's
``survey`` package and of Stata's ``svy``): the variance of a total of scores z_i is

    sum_h n_h / (n_h - 1) * sum_i (z_hi - mean_h z)^2

over strata h with n_h PSUs and PSU totals z_hi. The design degrees of freedom are
#PSUs - #strata. A stratum with a single PSU has no variance estimate; ``lonely`` (the panel's
declared ``single_unit`` rule) says what to do, with R's ``survey.lonely.psu`` equivalents:
``"certainty"`` (the default; the stratum contributes no variance, R "certainty"), ``"drop"``
(the same contribution, R "remove"), ``"center"`` (centre its PSU total on the mean of all PSU
totals, R "adjust"), ``"scale"`` (give it the average contribution of the strata with two or
more PSUs, R "average") or ``"fail"`` (not estimable).

Every function has an array-level core (``*_rows``) returning rows of
:data:`analysis.columns.STAT_COLUMNS`; degenerate data (no weights, one PSU, an empty group,
all-zero weights) give "not estimable" rows with a reason, never exceptions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from analysis.stats._common import Row, _frame, _levels, _na, _require, _row, _show, _two_groups

__all__ = ["svy_crosstab", "svy_logit", "svy_rank_test", "svy_crosstab_rows", "svy_logit_rows",
           "svy_rank_rows", "design_cov", "LONELY"]

#: Rules for strata with a single PSU.
LONELY = ("certainty", "drop", "center", "scale", "fail")
_NAN = math.nan


# --------------------------------------------------------------------------- the design
class Design:
    """Weights, stratum and PSU codes of the cases, and the linearized variance of totals.

    ``weight`` are non-negative finite floats; ``stratum`` and ``psu`` any labels (None: one
    stratum; every case its own PSU). PSUs are nested in strata (a PSU label is made unique
    within its stratum).

    ``outside`` = (stratum labels, PSU labels) of sampled cases of the same survey that are not
    analysed (other groups, a population filter, missing values): domain estimation keeps their
    PSUs in the design with zero contributions (as R's ``subset()`` of a survey design), so the
    stratum means of the PSU totals are those of the survey. The PSU and stratum counts and the
    design df = #PSUs - #strata count those with an analysed case of positive weight, as R's
    ``degf()`` (and svy).
    """

    def __init__(self, weight: np.ndarray, stratum: np.ndarray | None = None,
                 psu: np.ndarray | None = None, lonely: str = "certainty",
                 outside: tuple[np.ndarray | None, np.ndarray] | None = None) -> None:
        if lonely not in LONELY:
            raise ValueError(f"lonely must be one of {LONELY}, not {lonely!r}")
        self.n_in = n_in = len(weight)
        self.weight = np.asarray(weight, dtype=float)
        st_lab = (np.full(n_in, "", dtype=object) if stratum is None
                  else np.asarray(stratum, dtype=object).astype(str))
        psu_lab = (np.array([f"\x00{i}" for i in range(n_in)], dtype=object) if psu is None
                   else np.asarray(psu, dtype=object).astype(str))
        if outside is not None and len(outside[1]):
            o_st = (np.full(len(outside[1]), "", dtype=object) if outside[0] is None
                    else np.asarray(outside[0], dtype=object).astype(str))
            st_lab = np.concatenate([st_lab, o_st])
            psu_lab = np.concatenate([psu_lab, np.asarray(outside[1], dtype=object).astype(str)])
        n = st_lab.size
        s = pd.factorize(pd.Series(st_lab))[0] if n else np.zeros(0, dtype=np.int64)
        c = pd.factorize(pd.Series(psu_lab))[0] if n else np.zeros(0, dtype=np.int64)
        key = s.astype(np.int64) * (int(c.max()) + 1 if n else 1) + c
        self.psu = np.unique(key, return_inverse=True)[1].reshape(-1) if n else key
        self.stratum = s
        all_psu = int(self.psu.max()) + 1 if n else 0
        self.psu_stratum = np.zeros(all_psu, dtype=np.int64)
        self.psu_stratum[self.psu] = s
        # degrees of freedom as R's degf(): the PSUs and strata with an analysed case of
        # positive weight (the variance itself keeps every PSU of the design)
        used = self.weight > 0
        self.n_psu = int(np.unique(self.psu[:n_in][used]).size)
        self.n_strata = int(np.unique(s[:n_in][used]).size)
        self.df = self.n_psu - self.n_strata
        self.lonely = lonely
        counts = np.bincount(self.psu_stratum, minlength=int(s.max()) + 1 if n else 0)
        self.n_lonely = int((counts == 1).sum())

    def problem(self) -> str:
        """Why no design-based variance exists ("" when it does)."""
        if self.n_psu < 2:
            return f"only {self.n_psu} primary sampling unit(s): no design-based variance"
        if self.df < 1:
            return (f"design degrees of freedom {self.n_psu} PSUs - {self.n_strata} strata "
                    f"= {self.df} < 1")
        if self.n_lonely and self.lonely == "fail":
            return (f"{self.n_lonely} stratum/strata with a single PSU (single-unit rule "
                    "'fail')")
        return ""

    def cov(self, scores: np.ndarray) -> np.ndarray:
        """Linearized covariance of the totals of ``scores`` (n x k, already weighted; the
        cases outside the analysis contribute zeros)."""
        z = np.asarray(scores, dtype=float)
        if z.ndim == 1:
            z = z[:, None]
        if self.stratum.size > z.shape[0]:
            z = np.vstack([z, np.zeros((self.stratum.size - z.shape[0], z.shape[1]))])
        return design_cov(z, self.stratum, self.psu, self.lonely)


def design_cov(scores: np.ndarray, stratum: np.ndarray, psu: np.ndarray,
               lonely: str = "certainty") -> np.ndarray:
    """Stratified with-replacement covariance of the totals of ``scores`` (n x k).

    ``stratum`` and ``psu`` are integer codes (PSU codes unique across strata). Strata with one
    PSU follow ``lonely`` (``"fail"`` is treated like ``"certainty"`` here; callers check
    :meth:`Design.problem` first). Without PSU codes pass ``np.arange(n)``.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([[1.0], [2.0], [3.0], [6.0]])
    >>> round(float(design_cov(z, np.zeros(4, int), np.arange(4))[0, 0]), 6)  # 4/3 * 14
    18.666667
    """
    z = np.asarray(scores, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    k = z.shape[1]
    n_psu = int(psu.max()) + 1 if psu.size else 0
    totals = np.zeros((n_psu, k))
    np.add.at(totals, psu, z)
    psu_stratum = np.zeros(n_psu, dtype=np.int64)
    psu_stratum[psu] = stratum
    grand = totals.mean(axis=0) if n_psu else np.zeros(k)
    out = np.zeros((k, k))
    parts, lonely_totals = [], []
    for h in np.unique(psu_stratum):
        t = totals[psu_stratum == h]
        if t.shape[0] >= 2:
            d = t - t.mean(axis=0)
            parts.append(t.shape[0] / (t.shape[0] - 1.0) * d.T @ d)
            out += parts[-1]
        else:
            lonely_totals.append(t)
    for t in lonely_totals:
        if lonely == "center":
            d = t - grand
            out += d.T @ d
        elif lonely == "scale" and parts:
            out += sum(parts) / len(parts)
    return out


def _outside_of(data: pd.DataFrame, mask: np.ndarray, strata: str | None,
                cluster: str | None) -> tuple[np.ndarray | None, np.ndarray]:
    """(stratum, PSU) labels of the weighted cases in ``mask`` that are not analysed."""
    sub = data[mask]
    psu = (sub[cluster].to_numpy(dtype=object) if cluster is not None
           else np.array([f"\x00o{i}" for i in range(len(sub))], dtype=object))
    return (None if strata is None else sub[strata].to_numpy(dtype=object)), psu


def _t_quantile(df: float) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.975, df))


def _t_p(t: float, df: float) -> float:
    from scipy import stats

    return float(2.0 * stats.t.sf(abs(t), df))


def _design_rows(d: Design, n_missing: int) -> list[Row]:
    return [_row("n_psu", "", d.n_psu), _row("n_strata", "", d.n_strata),
            _row("design_df", "", d.df), _row("n_lonely_strata", d.lonely, d.n_lonely),
            _row("n_missing", "", n_missing)]


def _check_weights(w: np.ndarray) -> str:
    if w.size == 0:
        return "no cases with a design weight"
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        return "design weights must be finite and non-negative"
    if not np.any(w > 0):
        return "all design weights are zero"
    return ""


# --------------------------------------------------------------------------- crosstab
_CROSSTAB_TESTS = ("pearson_chi2_weighted", "rao_scott_chi2", "rao_scott_f", "rao_scott_ddf",
                   "deff_mean", "risk_difference", "odds_ratio")


def svy_crosstab_rows(
    group: np.ndarray,
    codes: np.ndarray,
    labels: Sequence[Any],
    levels: Sequence[Any],
    weight: np.ndarray,
    stratum: np.ndarray | None = None,
    psu: np.ndarray | None = None,
    *,
    positive: Any = None,
    lonely: str = "certainty",
    n_missing: int = 0,
    outside: tuple[np.ndarray | None, np.ndarray] | None = None,
) -> list[Row]:
    """The rows of :func:`svy_crosstab` from arrays (the array-level core).

    ``group`` is 0/1 (index of ``labels``), ``codes`` index ``levels`` (every case has a
    group, a level and a weight; callers drop the others and count them in ``n_missing``).

    Examples
    --------
    >>> import numpy as np
    >>> g = np.array([0, 0, 0, 0, 1, 1, 1, 1]); c = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    >>> rows = svy_crosstab_rows(g, c, ["A", "B"], [False, True], np.ones(8), positive=True)
    >>> [(r[0], round(r[2], 4)) for r in rows if r[0] in ("risk_difference", "rao_scott_chi2")]
    [('rao_scott_chi2', 1.75), ('risk_difference', 0.5)]
    """
    from scipy import stats

    group = np.asarray(group, dtype=np.int64)
    codes = np.asarray(codes, dtype=np.int64)
    w = np.asarray(weight, dtype=float)
    labels, levels = list(labels), list(levels)
    n = int(group.size)
    rows: list[Row] = []
    for r, lab in enumerate(labels):
        rows.append(_row("n_unweighted", str(lab), float((group == r).sum())))
    rows.append(_row("n_unweighted", "total", n))
    why = _check_weights(w)
    d = Design(w if not why else np.ones(n), stratum, psu, lonely, outside)
    rows += _design_rows(d, n_missing)
    why = why or d.problem()
    wsum = [float(w[group == r].sum()) for r in (0, 1)] if not _check_weights(w) else [0, 0]
    for r, lab in enumerate(labels):
        if not why and wsum[r] <= 0:
            why = f"group {_show(lab)} has no cases with a positive weight in this subset"
    # keep the levels observed with positive weight
    present = np.array([np.any((codes == j) & (w > 0)) for j in range(len(levels))]) \
        if not why else np.zeros(len(levels), bool)
    if not why and present.sum() < 2:
        why = "the outcome has fewer than 2 observed levels in this subset"
    if why:
        rows += [_na("weighted_n", str(lab), why) for lab in labels]
        return rows + [_na(s, "", why) for s in _CROSSTAB_TESTS]
    for r, lab in enumerate(labels):
        rows.append(_row("weighted_n", str(lab), wsum[r]))
    kept = np.flatnonzero(present)
    k = kept.size
    kept_levels = [levels[j] for j in kept]
    col = np.searchsorted(kept, codes)
    valid = present[codes]  # cases at a level with zero weight everywhere: weight 0 anyway
    col = np.where(valid, col, 0)
    t_q = _t_quantile(d.df)

    # ---- weighted shares within each group (ratio estimators), linearized SE, logit CI -------
    shares = np.zeros((2, k))
    share_scores: dict[tuple[int, int], np.ndarray] = {}
    for r, lab in enumerate(labels):
        in_r = (group == r) & valid
        for j in range(k):
            ind = (col == j) & in_r
            s = float(w[ind].sum() / wsum[r])
            shares[r, j] = s
            u = w * in_r * ((col == j).astype(float) - s) / wsum[r]
            share_scores[(r, j)] = u
            se = math.sqrt(max(float(d.cov(u)[0, 0]), 0.0))
            term = f"{lab}|{_show(kept_levels[j]).strip(chr(39))}"
            lo = hi = _NAN
            if 0.0 < s < 1.0 and se > 0:
                half = t_q * se / (s * (1.0 - s))
                lo, hi = special.expit(special.logit(s) - half), special.expit(
                    special.logit(s) + half)
            rows += [_row("share", term, s, d.df, ci_low=lo, ci_high=hi),
                     _row("share_se", term, se)]

    # ---- Pearson X^2 on the weighted table scaled to n, Rao-Scott corrections ---------------
    cell = (col * 2 + group)  # rows (groups) vary fastest, as R's expand.grid
    ind = np.zeros((n, 2 * k))
    ind[np.arange(n)[valid], cell[valid]] = 1.0
    total_w = float(w.sum())
    p = (w[:, None] * ind).sum(axis=0) / total_w
    v = d.cov(w[:, None] * (ind - p) / total_w)
    pr = np.array([p[0::2].sum(), p[1::2].sum()])
    pc = p[0::2] + p[1::2]
    expected = np.array([pr[c % 2] * pc[c // 2] for c in range(2 * k)])
    x2 = float(n * np.sum((p - expected) ** 2 / expected))
    df_t = k - 1
    rows.append(_row("pearson_chi2_weighted", "", x2, df_t, float(stats.chi2.sf(x2, df_t))))
    r_idx = np.array([c % 2 for c in range(2 * k)])
    c_idx = np.array([c // 2 for c in range(2 * k)])
    x1 = np.column_stack([np.ones(2 * k), (r_idx == 1).astype(float),
                          *[(c_idx == j).astype(float) for j in range(1, k)]])
    inter = np.column_stack([((r_idx == 1) & (c_idx == j)).astype(float) for j in range(1, k)])
    cmat = inter - x1 @ np.linalg.lstsq(x1, inter, rcond=None)[0]
    idm = np.diag(np.where(p > 0, 1.0 / np.where(p > 0, p, 1.0), 0.0))
    denom = cmat.T @ (idm / n) @ cmat
    numer = cmat.T @ idm @ v @ idm @ cmat
    try:
        delta = np.linalg.solve(denom, numer)
    except np.linalg.LinAlgError:
        delta = np.full((df_t, df_t), np.nan)
    tr, tr2 = float(np.trace(delta)), float(np.trace(delta @ delta))
    if not (math.isfinite(tr) and tr > 0 and tr2 > 0):
        why = "design effects not estimable (zero design variance of the cell proportions)"
        rows += [_na(s, "", why) for s in ("rao_scott_chi2", "rao_scott_f", "rao_scott_ddf",
                                           "deff_mean")]
    else:
        mean_deff = tr / df_t
        first = x2 / mean_deff
        d0 = tr * tr / tr2
        f = x2 / tr
        rows += [_row("rao_scott_chi2", "", first, df_t, float(stats.chi2.sf(first, df_t))),
                 _row("rao_scott_f", "", f, d0, float(stats.f.sf(f, d0, d0 * d.df))),
                 _row("rao_scott_ddf", "", d0 * d.df),
                 _row("deff_mean", "", mean_deff)]

    # ---- risk difference and odds ratio of the positive level --------------------------------
    if positive in kept_levels:
        j = kept_levels.index(positive)
    elif k == 2 and positive is None:
        j = 1
    else:
        reason = (f"positive level {_show(positive)} is not an observed level"
                  if positive is not None else "no positive level for a table with more than "
                                                 "2 outcome levels")
        return rows + [_na("risk_difference", "", reason), _na("odds_ratio", "", reason)]
    s0, s1 = shares[0, j], shares[1, j]
    u0, u1 = share_scores[(0, j)], share_scores[(1, j)]
    rd = s0 - s1
    se = math.sqrt(max(float(d.cov(u0 - u1)[0, 0]), 0.0))
    term = _show(kept_levels[j]).strip(chr(39))
    if se > 0:
        rows.append(_row("risk_difference", term, rd, d.df, _t_p(rd / se, d.df),
                         rd - t_q * se, rd + t_q * se))
    else:
        rows.append(_na("risk_difference", term, "zero design variance"))
    if not (0 < s0 < 1 and 0 < s1 < 1):
        rows.append(_na("odds_ratio", term, "a weighted share is 0 or 1: the odds ratio is "
                                            "not finite"))
    else:
        lor = float(special.logit(s0) - special.logit(s1))
        se = math.sqrt(max(float(d.cov(u0 / (s0 * (1 - s0)) - u1 / (s1 * (1 - s1)))[0, 0]),
                           0.0))
        if se > 0:
            rows.append(_row("odds_ratio", term, math.exp(lor), d.df, _t_p(lor / se, d.df),
                             math.exp(lor - t_q * se), math.exp(lor + t_q * se)))
        else:
            rows.append(_na("odds_ratio", term, "zero design variance"))
    return rows


def svy_crosstab(
    data: pd.DataFrame,
    row: str,
    col: str,
    *,
    weight: str,
    strata: str | None = None,
    cluster: str | None = None,
    row_order: Sequence[Any] | None = None,
    positive: Any = None,
    lonely: str = "certainty",
) -> pd.DataFrame:
    """Design-based two-group crosstab: weighted shares, Rao-Scott chi-square, risk difference.

    Parameters
    ----------
    data : DataFrame
        One row per case.
    row : str
        The grouping variable (two levels; ``row_order`` fixes their order).
    col : str
        The outcome (categorical or boolean).
    weight : str
        Sampling-weight column (finite, non-negative); cases without a weight are dropped and
        counted in ``n_missing``.
    strata, cluster : str, optional
        Stratum and PSU columns (no strata: one stratum; no cluster: each case is a PSU).
        Weighted rows that are not analysed (another group, a missing outcome) stay in the
        design with zero contributions (domain estimation; :class:`Design`).
    positive : optional
        Outcome level whose shares give the risk difference and the odds ratio (default the
        second of two levels).
    lonely : {"certainty", "drop", "center", "scale", "fail"}
        Rule for strata with a single PSU (module docstring).

    Returns
    -------
    DataFrame
        Columns :data:`STAT_COLUMNS`. ``n_unweighted`` (per group and ``total``: the sample
        counts beside the weighted figures), ``n_psu``, ``n_strata``, ``design_df``
        (#PSU - #strata), ``n_lonely_strata`` (term = the rule), ``n_missing``; ``weighted_n``
        per group (sum of weights); ``share`` (term ``"group|level"``: weighted share of the
        level within the group, CI = logit-transformed 95% CI with t on the design df) and
        ``share_se`` (linearized SE); ``pearson_chi2_weighted`` (Pearson X² of the weighted
        table scaled to the sample size, p assuming simple random sampling: NOT a valid test
        on a complex sample); ``rao_scott_chi2`` (first-order correction X²/mean deff,
        chi-square df); ``rao_scott_f`` (second-order Rao-Scott F = X²/tr(Delta) with
        Satterthwaite df d0 = tr(Delta)²/tr(Delta²) and d0 x design df, as R's
        ``svychisq(statistic = "F")``; df = d0) and ``rao_scott_ddf`` (its denominator df);
        ``deff_mean`` (mean generalized design effect); ``risk_difference`` (weighted share
        of the positive level, group 1 minus group 2, t-test on the design df) and
        ``odds_ratio`` (weighted, CI from the linearized SE of the log odds ratio).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 4,
    ...                    "y": [True, True, True, False, True, False, False, False],
    ...                    "w": [1, 1, 1, 1, 2, 2, 2, 2.0]})
    >>> out = svy_crosstab(df, "g", "y", weight="w", positive=True)
    >>> out.set_index("statistic").loc["risk_difference", "value"]
    np.float64(0.5)
    """
    _require(data, [c for c in (row, col, weight, strata, cluster) if c])
    r_levels = _levels(data[row], row_order, "row_order")
    if len(r_levels) != 2:
        raise ValueError(f"column {row!r} must have two levels, not {r_levels!r}")
    c_levels = _levels(data[col], None, "levels")
    w = data[weight].to_numpy(dtype=float, na_value=np.nan)
    ok = data[row].isin(r_levels).to_numpy() & data[col].notna().to_numpy() & ~np.isnan(w)
    sub = data[ok]
    group = np.array([r_levels.index(v) for v in sub[row]], dtype=np.int64)
    codes = np.array([c_levels.index(v) for v in sub[col]], dtype=np.int64)
    return _frame(svy_crosstab_rows(
        group, codes, r_levels, c_levels, w[ok],
        None if strata is None else sub[strata].to_numpy(),
        None if cluster is None else sub[cluster].to_numpy(),
        positive=positive, lonely=lonely, n_missing=int((~ok).sum()),
        outside=_outside_of(data, ~ok & ~np.isnan(w), strata, cluster)))


# --------------------------------------------------------------------------- logistic
def _weighted_newton(x: np.ndarray, y: np.ndarray, w: np.ndarray, max_iter: int = 100,
                     tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray, bool]:
    """Weighted pseudo-maximum likelihood: (beta, inverse weighted information, converged)."""
    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        prob = special.expit(x @ beta)
        info = (x * (w * prob * (1.0 - prob))[:, None]).T @ x
        try:
            step = np.linalg.solve(info, x.T @ (w * (y - prob)))
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if not np.all(np.isfinite(beta)):
            break
        if np.all(np.abs(step) < tol):
            prob = special.expit(x @ beta)
            info = (x * (w * prob * (1.0 - prob))[:, None]).T @ x
            try:
                return beta, np.linalg.inv(info), True
            except np.linalg.LinAlgError:
                break
    return beta, np.full((x.shape[1],) * 2, np.nan), False


def svy_logit_rows(
    y: np.ndarray,
    x: np.ndarray,
    terms: list[str],
    weight: np.ndarray,
    stratum: np.ndarray | None = None,
    psu: np.ndarray | None = None,
    *,
    lonely: str = "certainty",
    n_missing: int = 0,
    problems: Sequence[str] = (),
    outside: tuple[np.ndarray | None, np.ndarray] | None = None,
) -> list[Row]:
    """The rows of :func:`svy_logit` from its design matrix (constant last; array-level core).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([1, 1, 1, 0, 1, 0, 0, 0, 1, 0.0])
    >>> x = np.column_stack([np.r_[np.zeros(5), np.ones(5)], np.ones(10)])
    >>> rows = svy_logit_rows(y, x, ["sme", "constant"], np.ones(10))
    >>> [round(r[2], 4) for r in rows if r[0] == "exp_b" and r[1] == "sme"]  # = unweighted
    [0.0625]
    """
    from scipy import stats

    y, x, w = np.asarray(y, float), np.asarray(x, float), np.asarray(weight, float)
    n, k = x.shape
    problems = list(problems)
    why = _check_weights(w)
    d = Design(w if not why else np.ones(n), stratum, psu, lonely, outside)
    rows: list[Row] = [_row("n", "", n), _row("n_events", "", float(y.sum())),
                       _row("se_type", "linearized")]
    rows += _design_rows(d, n_missing)
    why = why or d.problem()
    ddf = d.df - k + 1
    if not why and ddf < 1:
        why = (f"design df {d.df} - {k} parameters + 1 = {ddf} < 1: too few PSUs for the "
               "model")
    pos = w > 0
    if not why:
        ev = float(w[pos] @ y[pos])
        if ev <= 0 or ev >= float(w[pos].sum()):
            why = "the outcome is constant among cases with a positive weight"
        elif np.linalg.matrix_rank(x[pos]) < k:
            why = (f"predictors are constant or collinear among cases with a positive weight "
                   f"(rank {np.linalg.matrix_rank(x[pos])} < {k})")
    why = "; ".join(filter(None, [why, *problems]))
    if not why:
        beta, inv_info, converged = _weighted_newton(x, y, w)
        if not converged or np.abs(x[pos] @ beta).max() > 30:
            why = ("weighted maximum likelihood did not converge to finite estimates "
                   "(separation or near-separation)")
    if why:
        rows.append(_na("design_ddf", "", why))
        for t in terms:
            rows += [_na("B", t, why), _na("se", t, why), _na("wald", t, why, df=1),
                     _na("exp_b", t, why), _na("deff", t, why)]
        return rows
    prob = special.expit(x @ beta)
    scores = x * (w * (y - prob))[:, None]
    cov = inv_info @ d.cov(scores) @ inv_info
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    # design effect: design variance over the variance under simple random sampling of the
    # same (normalized-weight) model
    srs = np.diag(inv_info) * float(w.sum()) / n
    t_q = _t_quantile(ddf)
    rows.append(_row("design_ddf", "", ddf))
    for j, t in enumerate(terms):
        b = float(beta[j])
        if not se[j] > 0:
            rows += [_row("B", t, b), _na("se", t, "zero design variance"),
                     _na("wald", t, "zero design variance", df=1),
                     _na("exp_b", t, "zero design variance"),
                     _na("deff", t, "zero design variance")]
            continue
        wald = (b / se[j]) ** 2
        p = float(stats.f.sf(wald, 1, ddf))
        lo, hi = b - t_q * se[j], b + t_q * se[j]
        rows += [_row("B", t, b, p=p, ci_low=lo, ci_high=hi), _row("se", t, se[j]),
                 _row("wald", t, wald, 1, p),
                 _row("exp_b", t, math.exp(b), p=p, ci_low=math.exp(lo), ci_high=math.exp(hi)),
                 _row("deff", t, float(se[j] ** 2 / srs[j]))]
    return rows


def svy_logit(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str] | str,
    *,
    weight: str,
    strata: str | None = None,
    cluster: str | None = None,
    categorical: Mapping[str, Any] | None = None,
    lonely: str = "certainty",
) -> pd.DataFrame:
    """Survey-weighted logistic regression with linearized (design-based) standard errors.

    The coefficients maximize the weighted log-likelihood (pseudo-ML); their covariance is the
    sandwich A⁻¹ B A⁻¹ with A the weighted information and B the stratified with-replacement
    PSU covariance of the score totals (as R's ``svyglm``). Wald tests are F(1, ddf) with
    ddf = design df - parameters + 1 (as R's ``summary.svyglm``); CIs use t on ddf.

    Parameters
    ----------
    data : DataFrame
        One row per case.
    outcome : str
        Binary outcome, boolean or coded 0/1.
    predictors : sequence of str
        Predictor columns (as in :func:`~analysis.stats.regression.logistic_regression`).
    weight, strata, cluster : str
        The design (see :func:`svy_crosstab`).
    categorical : dict, optional
        ``{column: reference_level}`` dummy coding.
    lonely : {"certainty", "drop", "center", "scale", "fail"}
        Rule for strata with a single PSU.

    Returns
    -------
    DataFrame
        Columns :data:`STAT_COLUMNS`: ``n``, ``n_events`` (unweighted), ``se_type``
        (term ``"linearized"``), ``n_psu``, ``n_strata``, ``design_df``, ``n_lonely_strata``,
        ``n_missing``, ``design_ddf`` (denominator df of the Wald tests); per term (constant
        last) ``B`` (p, 95% CI), ``se``, ``wald`` (value, df = 1, p from F(1, ddf)), ``exp_b``
        (with CI) and ``deff`` (design effect of the coefficient's variance).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1, 1, 1, 0, 1, 0, 0, 0, 1, 0], "x": [0] * 5 + [1] * 5,
    ...                    "w": [1.0] * 10})
    >>> out = svy_logit(df, "y", ["x"], weight="w")
    >>> round(float(out.query("statistic == 'exp_b' and term == 'x'")["value"].iloc[0]), 4)
    0.0625
    """
    from analysis.stats.regression import _as_binary, _design

    preds = [predictors] if isinstance(predictors, str) else list(predictors)
    _require(data, [outcome, weight, *preds, *[c for c in (strata, cluster) if c]])
    w_all = data[weight].to_numpy(dtype=float, na_value=np.nan)
    ok = data[[outcome, *preds]].notna().all(axis=1).to_numpy() & ~np.isnan(w_all)
    sub = data[ok]
    y = _as_binary(sub[outcome], outcome)
    x, terms, _, problems = _design(sub, preds, dict(categorical or {}))
    return _frame(svy_logit_rows(
        y, x, terms, w_all[ok], None if strata is None else sub[strata].to_numpy(),
        None if cluster is None else sub[cluster].to_numpy(), lonely=lonely,
        n_missing=int((~ok).sum()), problems=problems,
        outside=_outside_of(data, ~ok & ~np.isnan(w_all), strata, cluster)))


# --------------------------------------------------------------------------- rank test
_RANK_STATS = ("rank_difference", "t", "rank_biserial")


def svy_rank_rows(
    values: np.ndarray,
    group: np.ndarray,
    labels: Sequence[Any],
    weight: np.ndarray,
    stratum: np.ndarray | None = None,
    psu: np.ndarray | None = None,
    *,
    lonely: str = "certainty",
    n_missing: int = 0,
    outside: tuple[np.ndarray | None, np.ndarray] | None = None,
) -> list[Row]:
    """The rows of :func:`svy_rank_test` from arrays (the array-level core).

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([1.0, 2, 3, 4, 5, 6]); g = np.array([0, 0, 0, 1, 1, 1])
    >>> rows = svy_rank_rows(v, g, ["a", "b"], np.ones(6))
    >>> [(r[0], round(r[2], 4)) for r in rows if r[0] == "rank_biserial"]
    [('rank_biserial', -1.0)]
    """
    v, g, w = np.asarray(values, float), np.asarray(group, np.int64), np.asarray(weight, float)
    labels = list(labels)
    n = v.size
    rows = [_row("n_unweighted", str(lab), float((g == r).sum())) for r, lab in enumerate(labels)]
    why = _check_weights(w)
    d = Design(w if not why else np.ones(n), stratum, psu, lonely, outside)
    rows += _design_rows(d, n_missing)
    why = why or d.problem()
    if not why:
        for r, lab in enumerate(labels):
            if not np.any((g == r) & (w > 0)):
                why = f"group {_show(lab)} has no cases with a positive weight in this subset"
                break
    if not why and d.df - 1 < 1:
        why = f"design df {d.df} - 1 < 1"
    if why:
        rows += [_na("weighted_mean_rank", str(lab), why) for lab in labels]
        return rows + [_na(s, "", why) for s in _RANK_STATS]
    # estimated population mid-ranks: the weight below each value plus half the weight at it
    total = float(w.sum())
    order = np.argsort(v, kind="mergesort")
    sv, sw = v[order], w[order]
    uniq, start = np.unique(sv, return_index=True)
    at = np.add.reduceat(sw, start)
    below = np.cumsum(at) - at
    score_u = (below + at / 2.0) / total  # rank score in (0, 1)
    score = score_u[np.searchsorted(uniq, v)]
    # weighted regression of the score on [1, group 2]: difference of weighted means
    means, infl = [], np.zeros(n)
    for r in (0, 1):
        in_r = g == r
        wr = float(w[in_r].sum())
        m = float(w[in_r] @ score[in_r] / wr)
        means.append(m)
        infl += (1.0 if r == 0 else -1.0) * in_r * w * (score - m) / wr
    delta = means[0] - means[1]
    se = math.sqrt(max(float(d.cov(infl)[0, 0]), 0.0))
    ddf = d.df - 1
    rows += [_row("weighted_mean_rank", str(lab), m) for lab, m in zip(labels, means,
                                                                        strict=True)]
    if not se > 0:
        why = "zero design variance of the rank difference"
        return rows + [_na(s, "", why) for s in _RANK_STATS]
    t = delta / se
    p = _t_p(t, ddf)
    q = _t_quantile(ddf)
    rows += [_row("rank_difference", "", delta, ddf, p, delta - q * se, delta + q * se),
             _row("t", "", t, ddf, p),
             _row("rank_biserial", "", 2 * delta, ddf, p, 2 * (delta - q * se),
                  2 * (delta + q * se))]
    return rows


def svy_rank_test(
    data: pd.DataFrame,
    dv: str,
    group: str,
    *,
    weight: str,
    strata: str | None = None,
    cluster: str | None = None,
    groups: Sequence[Any] | None = None,
    lonely: str = "certainty",
) -> pd.DataFrame:
    """Design-based Wilcoxon-Mann-Whitney rank test (Lumley & Scott 2013).

    Each case's rank score is its estimated population mid-rank divided by the estimated
    population size: (weight of the cases below + half the weight of the cases tied with it)
    / total weight, in (0, 1). The statistic is the difference of the groups' weighted mean
    rank scores (group 1 minus group 2) over its linearized standard error, referred to t on
    design df - 1 (as R's ``svyranktest``). With equal weights the difference equals
    AUC - 1/2, so twice it is the rank-biserial correlation.

    Parameters
    ----------
    data : DataFrame
        One row per case.
    dv : str
        Metric outcome.
    group : str
        Two-level grouping column (``groups`` fixes the order).
    weight, strata, cluster : str
        The design (see :func:`svy_crosstab`).
    lonely : {"certainty", "drop", "center", "scale", "fail"}
        Rule for strata with a single PSU.

    Returns
    -------
    DataFrame
        Columns :data:`STAT_COLUMNS`: ``n_unweighted`` per group, the design rows
        (``n_psu``, ``n_strata``, ``design_df``, ``n_lonely_strata``, ``n_missing``),
        ``weighted_mean_rank`` per group (mean rank score), ``rank_difference`` (value, df,
        p, 95% CI), ``t`` (value, df, p) and ``rank_biserial`` (twice the rank difference,
        with CI; positive when group 1 lies above group 2).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [1, 2, 3, 4, 5, 6.0], "g": list("aaabbb"), "w": [1.0] * 6})
    >>> out = svy_rank_test(df, "x", "g", weight="w")
    >>> float(out.set_index("statistic").loc["rank_difference", "value"])
    -0.5
    """
    _require(data, [c for c in (weight, strata, cluster) if c])
    levels, y, valid, in_lvl = _two_groups(data, dv, group, groups)
    w = data[weight].to_numpy(dtype=float, na_value=np.nan)
    member = in_lvl[0] | in_lvl[1]
    ok = valid & member & ~np.isnan(w)
    g = np.where(in_lvl[0], 0, 1)[ok]
    sub = data[ok]
    return _frame(svy_rank_rows(
        y[ok], g, levels, w[ok], None if strata is None else sub[strata].to_numpy(),
        None if cluster is None else sub[cluster].to_numpy(), lonely=lonely,
        n_missing=int((member & ~ok).sum()),
        outside=_outside_of(data, ~ok & ~np.isnan(w), strata, cluster)))

"""Binary logistic regression as SPSS LOGISTIC REGRESSION prints it; separation; Firth."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from analysis.stats._common import (
    _NAN,
    _Z95,
    Row,
    _frame,
    _na,
    _require,
    _row,
    _show,
    _sort_key,
)

# --------------------------------------------------------------------------------------------
# logistic regression
# --------------------------------------------------------------------------------------------

PROFILE_MAX_ITER: int = 5000  # Newton iterations of a constrained Firth fit (profile CI)


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
        if abs(beta[j]) > tol:  # the certificate itself is a separating direction using j
            involved.append(j)
            continue
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


def _firth_rows(x: np.ndarray, y: np.ndarray, terms: list[str]) -> list[Row]:
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
    rows: list[Row] = []
    z = _Z95
    for j, term in enumerate(terms):
        warm = beta.copy()
        fit0, ok0 = _firth_fit(x, y, fixed={j: 0.0}, start=warm, max_iter=PROFILE_MAX_ITER)
        lr0 = max(2.0 * (l_max - _penalized_loglik(x, y, fit0)), 0.0) if ok0 else math.nan
        p_lr = float(special.chdtrc(1, lr0)) if ok0 else math.nan
        # Wald limits from the Firth estimate and its standard error (see docs/statistics.md)
        lo, hi = beta[j] - z * se[j], beta[j] + z * se[j]
        rows.append(_row("firth_B", term, beta[j], p=p_lr, ci_low=lo, ci_high=hi))
        rows.append(_row("firth_se", term, se[j]))
        rows.append(_row("firth_p", term, lr0, 1, p_lr))
        rows.append(_row("firth_exp_b", term, math.exp(beta[j]), p=p_lr,
                         ci_low=math.exp(lo), ci_high=math.exp(hi)))
    return rows


def _hl_groups(prob: np.ndarray, x: np.ndarray | None = None, n_groups: int = 10,
               ) -> list[np.ndarray]:
    """SPSS's Hosmer-Lemeshow "deciles of risk": case indices of each group, lowest risk first.

    Cases with identical covariate values (rows of ``x``; without ``x``, identical predicted
    probabilities) form a *block*; blocks are never split. Blocks are taken in increasing
    order of predicted probability and loaded into groups with target size
    M = floor(n / n_groups + 0.5): the next block joins the current group while the group
    holds c < M cases and c + floor(m / 2) <= M (m = the block's size), else it starts the
    next group; everything left after the last-but-one group goes into the last group. A
    final group smaller than M / 2 is merged into the group before it. (This is the rule
    SAS documents for PROC LOGISTIC / HPLOGISTIC; it reproduces SPSS's "Contingency Table
    for Hosmer and Lemeshow Test" cell for cell on every SPSS output we could check, while
    ceil(10 * cumulative count / n) does not.)
    """
    n = prob.size
    key = np.column_stack([np.round(prob, 10)] + ([] if x is None else [x]))
    # blocks in order of predicted probability; equal probabilities of different patterns keep
    # the order of their first case
    order = np.lexsort(key.T[::-1])  # rows sorted (stable: ties keep their case order)
    ordered = key[order]
    starts = np.r_[True, np.any(ordered[1:] != ordered[:-1], axis=1)]
    block_of = np.empty(n, dtype=np.int64)
    block_of[order] = np.cumsum(starts) - 1
    first = order[starts]  # the first case of each block
    block_order = np.lexsort((first, prob[first]))
    position = np.empty_like(block_order)
    position[block_order] = np.arange(block_order.size)
    cases = np.argsort(position[block_of], kind="stable")  # cases, block after block
    sizes = np.bincount(block_of, minlength=first.size)[block_order]
    target = math.floor(n / n_groups + 0.5)
    group_sizes: list[int] = []
    for m in sizes.tolist():
        size = group_sizes[-1] if group_sizes else 0
        if group_sizes and (len(group_sizes) == n_groups
                            or (size < target and size + m // 2 <= target)):
            group_sizes[-1] += m
        else:
            group_sizes.append(m)
    if len(group_sizes) > 1 and group_sizes[-1] < target / 2.0:
        last = group_sizes.pop()
        group_sizes[-1] += last
    ends = np.cumsum(group_sizes)
    return [np.sort(cases[e - m:e]) for e, m in zip(ends, group_sizes, strict=True)]


def _hosmer_lemeshow(y: np.ndarray, prob: np.ndarray, n_groups: int = 10,
                     x: np.ndarray | None = None, groups: list[np.ndarray] | None = None,
                     ) -> tuple[float, int, float, int] | str:
    """Hosmer-Lemeshow statistic over SPSS's groups (see :func:`_hl_groups`).

    HL = sum over groups and both outcomes of (O - E)^2 / E, df = groups - 2. ``groups``
    (case indices per group) skips the grouping when it is already known.
    Returns (statistic, df, p, groups) or a reason string when fewer than 3 groups remain.
    """
    if groups is None:
        groups = _hl_groups(prob, x, n_groups)
    stat = 0.0
    for members in groups:
        o1, e1 = y[members].sum(), prob[members].sum()
        o0, e0 = members.size - o1, members.size - e1
        stat += (o1 - e1) ** 2 / e1 + (o0 - e0) ** 2 / e0
    if len(groups) < 3:
        return (f"only {len(groups)} distinct risk group(s) (ties in predicted probabilities): "
                "the Hosmer-Lemeshow test needs at least 3 groups (df = groups - 2)")
    df = len(groups) - 2
    return float(stat), df, float(special.chdtrc(df, stat)), len(groups)


def _hl_table_rows(y: np.ndarray, prob: np.ndarray, groups: list[np.ndarray],
                   ) -> list[Row]:
    """SPSS's "Contingency Table for Hosmer and Lemeshow Test", one row per group and cell."""
    rows: list[Row] = []
    for g, members in enumerate(groups, start=1):
        o1, e1 = float(y[members].sum()), float(prob[members].sum())
        rows += [_row("hl_observed_0", str(g), members.size - o1),
                 _row("hl_expected_0", str(g), members.size - e1),
                 _row("hl_observed_1", str(g), o1),
                 _row("hl_expected_1", str(g), e1),
                 _row("hl_total", str(g), members.size)]
    return rows


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
            value, df (= groups - 2), p; groups are SPSS's "deciles of risk" (see Notes).
        ``hl_observed_0``, ``hl_expected_0``, ``hl_observed_1``, ``hl_expected_1``, ``hl_total``
            SPSS's "Contingency Table for Hosmer and Lemeshow Test": per group (term = group
            number ``"1"``, ``"2"``, ..., lowest risk first) the observed and expected
            numbers of cases with outcome 0 and 1 and the group size. Present whenever the
            model is estimated, also when the test itself is not (fewer than 3 groups).
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
    Fitted by maximum likelihood (Newton-Raphson from zero, steps below 1e-8; the estimates,
    model-based and cluster-robust standard errors equal statsmodels' ``Logit``, checked in the
    tests). Before fitting, the data are checked for too few cases (n < number of parameters
    + 1), no events or no non-events, constant predictors and collinearity. A fit that
    converges proves that the maximum-likelihood estimate exists, i.e. that the data are not
    separated; when it does not converge, separation (complete or quasi-complete) is detected
    exactly by linear programming, and every ML-based row is not estimable with a reason
    naming the kind of separation and the predictor(s). Non-convergence without separation,
    or fitted probabilities numerically 0 or 1 (|linear predictor| > 30), also make the ML
    rows not estimable, so huge coefficients are never reported as "ok".

    With ``cluster``, the covariance is the cluster-robust sandwich with the
    small-sample factor G/(G-1) (N-1)/(N-K); the likelihood-based rows (omnibus test,
    pseudo-R², Hosmer-Lemeshow) are unchanged and ignore clustering. Firth rows are
    model-based. SPSS itself has no cluster-robust option in LOGISTIC REGRESSION.

    Hosmer-Lemeshow groups: cases with identical covariate values form blocks that are never
    split; blocks, in increasing order of predicted probability, are loaded into groups of
    target size M = floor(n / 10 + 0.5): a block joins the current group while it holds
    c < M cases and c + floor(m / 2) <= M (m = the block's size); the tenth group takes all
    remaining blocks, and a last group smaller than M / 2 joins the one before. This
    reproduces SPSS's contingency tables cell for cell where deciles of the cumulative count
    do not (docs/statistics.md).

    An empty ``predictors`` list fits the constant-only model (SPSS's Block 0).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.stats import logistic_regression
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
    codes = pd.factorize(sub[cluster])[0] if cluster is not None else None
    return _frame(logistic_rows(y, x, terms, labels=labels, problems=problems,
                                outcome=outcome, n_missing=n_missing, cluster=cluster,
                                cluster_codes=codes, firth=firth, cut=cut))


def _newton(x: np.ndarray, y: np.ndarray, max_iter: int = 100, tol: float = 1e-8,
            ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Maximum likelihood by Newton-Raphson from zero: (beta, inverse information, converged).

    Converged means the last step changed no coefficient by ``tol`` or more, i.e. a stationary
    point of the strictly concave log-likelihood was reached: the maximum-likelihood estimate
    exists, so the data are not separated (Albert & Anderson 1984). Under separation one
    coefficient grows by about 1 per step and the iteration never converges.
    """
    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        prob = special.expit(x @ beta)
        info = (x * (prob * (1.0 - prob))[:, None]).T @ x
        try:
            step = np.linalg.solve(info, x.T @ (y - prob))
        except np.linalg.LinAlgError:
            return beta, np.full((x.shape[1],) * 2, np.nan), False
        beta = beta + step
        if not np.all(np.isfinite(beta)):
            break
        if np.all(np.abs(step) < tol):
            prob = special.expit(x @ beta)
            info = (x * (prob * (1.0 - prob))[:, None]).T @ x
            try:
                return beta, np.linalg.inv(info), True
            except np.linalg.LinAlgError:
                break
    return beta, np.full((x.shape[1],) * 2, np.nan), False


def _cluster_cov(x: np.ndarray, y: np.ndarray, prob: np.ndarray, inv_info: np.ndarray,
                 codes: np.ndarray) -> np.ndarray:
    """Cluster-robust (sandwich) covariance with the factor G/(G-1) (N-1)/(N-K).

    The same estimator as statsmodels' ``cov_type="cluster"`` (checked in the tests).
    """
    n, k = x.shape
    n_groups = int(codes.max()) + 1
    scores = np.zeros((n_groups, k))
    np.add.at(scores, codes, x * (y - prob)[:, None])
    meat = scores.T @ scores
    factor = n_groups / (n_groups - 1.0) * (n - 1.0) / (n - k)
    return factor * inv_info @ meat @ inv_info


def logistic_rows(
    y: np.ndarray,
    x: np.ndarray,
    terms: list[str],
    *,
    labels: Mapping[str, str] | None = None,
    problems: Sequence[str] = (),
    outcome: str = "y",
    n_missing: int = 0,
    cluster: str | None = None,
    cluster_codes: np.ndarray | None = None,
    firth: bool = True,
    cut: float = 0.5,
) -> list[Row]:
    """The rows of :func:`logistic_regression` from its design (the array-level core).

    ``y`` is 0/1, ``x`` the design matrix with the constant as its last column (``terms`` names
    the columns), ``cluster_codes`` the cluster of each case (0..G-1) when standard errors are
    clustered by the variable ``cluster``. The engine calls this with arrays.

    The model is fitted by Newton-Raphson; only when that does not converge to finite estimates
    is separation looked for by linear programming (a converged fit proves there is none).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([1, 1, 1, 0, 1, 0, 0, 0, 1, 0.0])
    >>> x = np.column_stack([np.r_[np.zeros(5), np.ones(5)], np.ones(10)])
    >>> rows = logistic_rows(y, x, ["sme", "constant"])
    >>> [round(r[2], 4) for r in rows if r[0] == "exp_b" and r[1] == "sme"]
    [0.0625]
    """
    labels = dict(labels or {})
    problems = list(problems)
    n, k = x.shape
    n_events = int(y.sum())
    codes = cluster_codes
    rows: list[Row] = [_row("n", "", n), _row("n_events", "", n_events),
                       _row("n_missing", "", n_missing)]
    n_clusters = 0
    if cluster is not None and codes is not None:
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
        return rows + _model_na(terms, "; ".join(problems))

    # ---- maximum likelihood; separation only when it does not converge ------------------------
    beta, inv_info, converged = _newton(x, y)
    eta = x @ beta
    fitted = converged and bool(np.all(np.isfinite(beta))) and np.abs(eta).max() <= 30
    if not fitted:
        found = _separation(x, y)
        if found is not None:
            why = _separation_reason(found[0], found[1], terms, x, y, labels)
            if firth:
                why += "; see the firth_* rows for Firth penalized-likelihood estimates"
            rows += _model_na(terms, why)
            if firth:
                rows += _firth_rows(x, y, terms)
            return rows
        if not converged:
            return rows + _model_na(terms, "maximum likelihood did not converge in 100 "
                                           "iterations (possible near-separation)")
        return rows + _model_na(terms, "fitted probabilities are numerically 0 or 1 "
                                       "(|linear predictor| > 30): estimates unreliable "
                                       "(near-separation)")
    robust = cluster is not None and n_clusters >= 2
    prob = special.expit(eta)
    cov = _cluster_cov(x, y, prob, inv_info, codes) if robust else inv_info
    se = np.sqrt(np.diag(cov))
    ll = float(np.sum(special.xlogy(y, prob) + special.xlogy(1 - y, 1 - prob)))
    neg2ll = -2.0 * ll
    omnibus = max(-2.0 * ll0 - neg2ll, 0.0)
    cox_snell = 1.0 - math.exp(-omnibus / n)
    max_r2 = 1.0 - math.exp(2.0 * ll0 / n)
    rows += [_row("neg2ll", "", neg2ll),
             _row("omnibus_chi2", "", omnibus, k - 1, special.chdtrc(k - 1, omnibus)),
             _row("cox_snell_r2", "", cox_snell),
             _row("nagelkerke_r2", "", cox_snell / max_r2)]
    hl_groups = _hl_groups(prob, x[:, :-1])  # blocks = covariate patterns (constant dropped)
    hl = _hosmer_lemeshow(y, prob, groups=hl_groups)
    if isinstance(hl, str):
        rows.append(_na("hosmer_lemeshow", "", hl))
    else:
        rows.append(_row("hosmer_lemeshow", "", hl[0], hl[1], hl[2]))
    rows += _hl_table_rows(y, prob, hl_groups)
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
        p_w = float(special.chdtrc(1, wald))
        lo, hi = b - _Z95 * se[j], b + _Z95 * se[j]
        rows += [_row("B", t, b, p=p_w, ci_low=lo, ci_high=hi), _row("se", t, se[j]),
                 _row("wald", t, wald, 1, p_w),
                 _row("exp_b", t, math.exp(b), p=p_w, ci_low=math.exp(lo), ci_high=math.exp(hi))]
    return rows


def _model_na(terms: list[str], reason: str) -> list[Row]:
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

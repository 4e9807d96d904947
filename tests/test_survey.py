"""Design-based (survey) statistics, checked against independent values, and their run through
the engine.

Independent checks, by kind:

* hand-worked: the stratified with-replacement variance of a total, weighted shares;
* reductions to known unweighted forms: with equal weights, one stratum and every case its own
  PSU the Rao-Scott statistics are Pearson's X² times (n-1)/n (the linearized variance carries
  n/(n-1)), the weighted logit is the unweighted one with HC0 sandwich variance times n/(n-1)
  (statsmodels), the rank test's rank-biserial correlation is Mann-Whitney's;
* an invariance: duplicating each case m times into a PSU of its own leaves the Rao-Scott
  statistic unchanged and multiplies the design effect by m;
* samplics (``TaylorEstimator``, ``SurveyGLM``) where it computes the same quantity: weighted
  shares with their Taylor SE and logit CI, the survey-weighted logit, the difference of
  weighted means (risk difference; the Lumley-Scott rank test as a weighted regression of
  independently computed rank scores);
* Monte-Carlo: under a clustered null design the naive Pearson test rejects far too often, the
  Rao-Scott F near the nominal 5%.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis.engine.comparisons import run_hypotheses, survey_spec_id
from analysis.engine.specs import load_specs
from analysis.engine.verdicts import derive_verdicts
from analysis.stats import registry
from analysis.stats.contingency import crosstab
from analysis.stats.nonparametric import mann_whitney
from analysis.stats.regression import logistic_rows
from analysis.stats.survey import (
    Design,
    design_cov,
    svy_crosstab,
    svy_crosstab_rows,
    svy_logit,
    svy_logit_rows,
    svy_rank_rows,
    svy_rank_test,
)

samplics = pytest.importorskip("samplics")


def _v(out: pd.DataFrame, statistic: str, term: str | None = None, col: str = "value") -> float:
    sub = out[out["statistic"] == statistic]
    if term is not None:
        sub = sub[sub["term"] == term]
    assert len(sub) >= 1, (statistic, term)
    return float(sub[col].iloc[0])


def _rows(rows: list[tuple[Any, ...]], statistic: str, term: str | None = None) -> tuple:
    hit = [r for r in rows if r[0] == statistic and (term is None or r[1] == term)]
    assert hit, (statistic, term)
    return hit[0]


def _design_frame(seed: int = 1, n: int = 150) -> pd.DataFrame:
    """Unequal weights, 3 strata with 4-5 PSUs each; group raises the outcome's chance."""
    rng = np.random.default_rng(seed)
    st = rng.integers(0, 3, n)
    psu = st * 10 + rng.integers(0, 5, n)
    g = rng.integers(0, 2, n)
    return pd.DataFrame({
        "g": np.where(g == 0, "a", "b"), "gi": g,
        "y": rng.random(n) < 0.3 + 0.25 * g,
        "x": rng.normal(size=n) + 0.5 * g,
        "m": rng.lognormal(1.0 + 0.4 * g, 0.7),
        "w": rng.uniform(0.5, 4.0, n), "st": st, "psu": psu})


def _quiet() -> Any:
    warnings.simplefilter("ignore")  # samplics announces it is archived (FutureWarning)
    return samplics


# --------------------------------------------------------------------------- the variance
def test_design_cov_is_the_stratified_with_replacement_formula_worked_by_hand() -> None:
    # stratum 0: PSU totals 1+2 = 3 and 6; stratum 1: PSU totals 4, 5 and 9
    z = np.array([1.0, 2.0, 6.0, 4.0, 5.0, 9.0])
    stratum = np.array([0, 0, 0, 1, 1, 1])
    psu = np.array([0, 0, 1, 2, 3, 4])
    # 2/1 * ((3-4.5)^2 + (6-4.5)^2) + 3/2 * ((4-6)^2 + (5-6)^2 + (9-6)^2) = 9 + 21 = 30
    assert design_cov(z[:, None], stratum, psu)[0, 0] == pytest.approx(30.0)
    d = Design(np.ones(6), stratum, psu)
    assert (d.n_psu, d.n_strata, d.df) == (5, 2, 3)


def test_single_psu_strata_follow_the_declared_rule() -> None:
    # stratum 0: PSUs with totals 2 and 4; stratum 1: one PSU with total 9
    z = np.array([[2.0], [4.0], [9.0]])
    stratum, psu = np.array([0, 0, 1]), np.array([0, 1, 2])
    within = 2.0 * ((2 - 3) ** 2 + (4 - 3) ** 2)  # = 4
    assert design_cov(z, stratum, psu, "certainty")[0, 0] == pytest.approx(within)
    assert design_cov(z, stratum, psu, "drop")[0, 0] == pytest.approx(within)
    assert design_cov(z, stratum, psu, "center")[0, 0] == pytest.approx(within + (9 - 5) ** 2)
    assert design_cov(z, stratum, psu, "scale")[0, 0] == pytest.approx(2 * within)
    d = Design(np.ones(3), stratum, psu, lonely="fail")
    assert "single PSU" in d.problem()
    with pytest.raises(ValueError, match="lonely must be one of"):
        Design(np.ones(3), lonely="remove")


def test_certainty_rule_matches_samplics_skip() -> None:
    _quiet()
    from samplics import PopParam, SinglePSUEst, TaylorEstimator

    df = _design_frame(3, 60)
    df.loc[df["st"] == 2, "psu"] = 99  # stratum 2 has a single PSU
    out = svy_crosstab(df, "g", "y", weight="w", strata="st", cluster="psu", positive=True,
                       lonely="certainty")
    te = TaylorEstimator(PopParam.prop)
    te.estimate(y=df["y"].astype(int).to_numpy(), samp_weight=df["w"].to_numpy(),
                stratum=df["st"].to_numpy(), psu=df["psu"].to_numpy(),
                domain=df["g"].to_numpy(), single_psu=SinglePSUEst.skip)
    assert _v(out, "n_lonely_strata") == 1
    for g in ("a", "b"):
        assert _v(out, "share_se", f"{g}|True") == pytest.approx(te.stderror[g][1], rel=1e-9)


# --------------------------------------------------------------------------- weighted shares
def test_weighted_shares_worked_by_hand() -> None:
    df = pd.DataFrame({"g": list("aaabbb"), "y": [1, 1, 0, 1, 0, 0],
                       "w": [1.0, 3.0, 2.0, 2.0, 1.0, 1.0]})
    out = svy_crosstab(df, "g", "y", weight="w", positive=1)
    assert _v(out, "share", "a|1") == pytest.approx(4 / 6)
    assert _v(out, "share", "b|1") == pytest.approx(2 / 4)
    assert _v(out, "weighted_n", "a") == 6 and _v(out, "n_unweighted", "a") == 3
    assert _v(out, "risk_difference", "1") == pytest.approx(4 / 6 - 2 / 4)
    # linearized SE of a ratio, every case its own PSU: n/(n-1) sum (w (y - p) / W)^2, with
    # the cases of the other group contributing 0 (their deviation from the mean score 0)
    u = np.array([1 * (1 - 4 / 6), 3 * (1 - 4 / 6), 2 * (0 - 4 / 6), 0, 0, 0]) / 6
    se = np.sqrt(6 / 5 * np.sum((u - u.mean()) ** 2))
    assert _v(out, "share_se", "a|1") == pytest.approx(se)


def test_weighted_shares_match_samplics_taylor_estimator() -> None:
    _quiet()
    from samplics import PopParam, TaylorEstimator

    df = _design_frame()
    out = svy_crosstab(df, "g", "y", weight="w", strata="st", cluster="psu", positive=True)
    te = TaylorEstimator(PopParam.prop)  # logit CI, t on the design df, as ours
    te.estimate(y=df["y"].astype(int).to_numpy(), samp_weight=df["w"].to_numpy(),
                stratum=df["st"].to_numpy(), psu=df["psu"].to_numpy(),
                domain=df["g"].to_numpy())
    for g in ("a", "b"):
        for lv, key in (("False", 0), ("True", 1)):
            term = f"{g}|{lv}"
            assert _v(out, "share", term) == pytest.approx(te.point_est[g][key], rel=1e-12)
            assert _v(out, "share_se", term) == pytest.approx(te.stderror[g][key], rel=1e-9)
            assert _v(out, "share", term, "ci_low") == pytest.approx(te.lower_ci[g][key],
                                                                     rel=1e-9)
            assert _v(out, "share", term, "ci_high") == pytest.approx(te.upper_ci[g][key],
                                                                      rel=1e-9)
    assert _v(out, "design_df") == df["psu"].nunique() - 3


def test_a_subpopulation_is_a_domain_of_the_full_design_as_in_samplics() -> None:
    """Cases outside the analysed subpopulation keep their PSUs (zero contributions): the
    shares of firms with x > 0 and their SEs equal samplics' domain estimates on the full
    design; a subset design (the outside cases dropped) would differ."""
    _quiet()
    from samplics import PopParam, TaylorEstimator

    df = _design_frame(14)
    inside = (df["x"] > 0) & ~df["psu"].isin([0, 1])  # two PSUs of stratum 0 wholly outside
    masked = df.assign(y=df["y"].astype(object).where(inside))
    out = svy_crosstab(masked, "g", "y", weight="w", strata="st", cluster="psu", positive=True)
    te = TaylorEstimator(PopParam.prop)
    te.estimate(y=df["y"].astype(int).to_numpy(), samp_weight=df["w"].to_numpy(),
                stratum=df["st"].to_numpy(), psu=df["psu"].to_numpy(),
                domain=(df["g"] + np.where(inside, "+", "-")).to_numpy())
    for g in ("a", "b"):
        assert _v(out, "share", f"{g}|True") == pytest.approx(te.point_est[f"{g}+"][1],
                                                              rel=1e-12)
        assert _v(out, "share_se", f"{g}|True") == pytest.approx(te.stderror[f"{g}+"][1],
                                                                 rel=1e-9)
    # the df counts the PSUs with a case in the domain, as R's degf()
    assert _v(out, "design_df") == df["psu"].nunique() - 2 - 3
    subset = svy_crosstab(df[inside], "g", "y", weight="w", strata="st", cluster="psu",
                          positive=True)
    assert _v(subset, "share_se", "a|True") != pytest.approx(_v(out, "share_se", "a|True"),
                                                             rel=1e-6)


def test_risk_difference_is_a_survey_regression_coefficient_in_samplics() -> None:
    """The weighted risk difference and its linearized SE equal the coefficient of the group
    dummy in a survey-weighted linear regression of the 0/1 outcome (samplics SurveyGLM)."""
    _quiet()
    from samplics import ModelType, SurveyGLM

    df = _design_frame(4)
    out = svy_crosstab(df, "g", "y", weight="w", strata="st", cluster="psu", positive=True)
    m = SurveyGLM(ModelType.LINEAR)
    m.estimate(y=df["y"].astype(float).to_numpy(), x=(df["gi"] == 0).astype(float).to_numpy(),
               samp_weight=df["w"].to_numpy(), stratum=df["st"].to_numpy(),
               psu=df["psu"].to_numpy(), add_intercept=True)
    assert _v(out, "risk_difference", "True") == pytest.approx(m.beta["point_est"][1],
                                                              rel=1e-9)
    rd = out[out["statistic"] == "risk_difference"].iloc[0]
    q = stats.t.ppf(0.975, _v(out, "design_df"))
    se = (rd["ci_high"] - rd["ci_low"]) / (2 * q)
    assert se == pytest.approx(m.beta["stderror"][1], rel=1e-9)


def test_weighted_odds_ratio_and_its_se_equal_the_survey_logit_of_the_group() -> None:
    """Two routes to the same number: the delta-method SE of the log odds ratio of two
    weighted shares, and the sandwich SE of the group coefficient of the saturated survey
    logit (Newton), on a stratified cluster sample."""
    df = _design_frame(18)
    tab = svy_crosstab(df, "g", "y", weight="w", strata="st", cluster="psu", positive=True)
    fit = svy_logit(df.assign(y=df["y"].astype(int), a=(df["g"] == "a").astype(int)), "y",
                    ["a"], weight="w", strata="st", cluster="psu")
    assert _v(tab, "odds_ratio", "True") == pytest.approx(_v(fit, "exp_b", "a"), rel=1e-9)
    or_row = tab[tab["statistic"] == "odds_ratio"].iloc[0]
    se_tab = (np.log(or_row["ci_high"]) - np.log(or_row["ci_low"])) / (
        2 * stats.t.ppf(0.975, _v(tab, "design_df")))
    assert se_tab == pytest.approx(_v(fit, "se", "a"), rel=1e-8)


# --------------------------------------------------------------------------- Rao-Scott
def test_rao_scott_with_equal_weights_reduces_to_pearson_2x2() -> None:
    df = pd.DataFrame({"g": ["a"] * 20 + ["b"] * 25,
                       "y": [True] * 12 + [False] * 8 + [True] * 7 + [False] * 18})
    n = len(df)
    x2 = stats.chi2_contingency(pd.crosstab(df["g"], df["y"]).to_numpy(), correction=False)[0]
    for w in (1.0, 3.5):  # the scale of the weights does not matter
        out = svy_crosstab(df.assign(w=w), "g", "y", weight="w", positive=True)
        assert _v(out, "pearson_chi2_weighted") == pytest.approx(x2)
        assert _v(out, "rao_scott_chi2") == pytest.approx(x2 * (n - 1) / n)
        assert _v(out, "rao_scott_chi2", col="p") == pytest.approx(
            stats.chi2.sf(x2 * (n - 1) / n, 1))
        assert _v(out, "rao_scott_f") == pytest.approx(x2 * (n - 1) / n)
        assert _v(out, "rao_scott_f", col="df") == pytest.approx(1.0)
        assert _v(out, "rao_scott_ddf") == pytest.approx(n - 1)
        assert _v(out, "rao_scott_f", col="p") == pytest.approx(
            stats.f.sf(x2 * (n - 1) / n, 1, n - 1))
        assert _v(out, "deff_mean") == pytest.approx(n / (n - 1))
        # the weighted odds ratio is then the cross-product ratio of the counts
        assert _v(out, "odds_ratio", "True") == pytest.approx((12 * 18) / (8 * 7))
    unweighted = crosstab(df, "g", "y", positive=True)
    assert _v(unweighted, "pearson_chi2") == pytest.approx(x2)


def test_rao_scott_with_equal_weights_reduces_to_pearson_2x3() -> None:
    df = pd.DataFrame({"g": ["a"] * 30 + ["b"] * 30,
                       "y": ["lo"] * 15 + ["mid"] * 10 + ["hi"] * 5
                       + ["lo"] * 6 + ["mid"] * 12 + ["hi"] * 12, "w": 1.0})
    n = len(df)
    x2 = stats.chi2_contingency(pd.crosstab(df["g"], df["y"]).to_numpy(), correction=False)[0]
    out = svy_crosstab(df, "g", "y", weight="w")
    assert _v(out, "rao_scott_chi2") == pytest.approx(x2 * (n - 1) / n)
    assert _v(out, "rao_scott_chi2", col="df") == 2
    # all design effects equal n/(n-1): F = X²(n-1)/n / 2 with Satterthwaite df 2, 2(n-1)
    assert _v(out, "rao_scott_f") == pytest.approx(x2 * (n - 1) / n / 2)
    assert _v(out, "rao_scott_f", col="df") == pytest.approx(2.0)
    assert _v(out, "rao_scott_ddf") == pytest.approx(2 * (n - 1))
    assert out.loc[out["statistic"] == "risk_difference", "status"].iloc[0] == "not estimable"


def test_rao_scott_is_invariant_to_duplicating_cases_into_psus() -> None:
    """m copies of every case in a PSU of their own: X² grows m-fold, the design effect too,
    so the corrected statistic is that of the base sample (X0² (n0-1)/n0)."""
    rng = np.random.default_rng(7)
    n0, m = 40, 4
    base = pd.DataFrame({"g": rng.integers(0, 2, n0), "y": rng.integers(0, 3, n0)})
    x0 = stats.chi2_contingency(pd.crosstab(base["g"], base["y"]).to_numpy(),
                                correction=False)[0]
    dup = base.loc[base.index.repeat(m)].assign(psu=lambda f: f.index, w=2.0)
    out = svy_crosstab(dup, "g", "y", weight="w", cluster="psu")
    assert _v(out, "pearson_chi2_weighted") == pytest.approx(m * x0)
    assert _v(out, "deff_mean") == pytest.approx(m * n0 / (n0 - 1))
    assert _v(out, "rao_scott_chi2") == pytest.approx(x0 * (n0 - 1) / n0)
    assert _v(out, "design_df") == n0 - 1


def test_rao_scott_holds_its_size_under_a_clustered_null_monte_carlo() -> None:
    """Groups and outcome both clustered (40 PSUs of 6), independent of each other: the naive
    Pearson test rejects far too often, the Rao-Scott F close to 5% (1000 replicates)."""
    rng = np.random.default_rng(2024)
    n_psu, size, reps = 40, 6, 1000
    psu = np.repeat(np.arange(n_psu), size)
    naive = corrected = 0
    for _ in range(reps):
        g = np.repeat(rng.integers(0, 2, n_psu), size)  # group constant within a PSU
        if g.min() == g.max():
            g[0] = 1 - g[0]
        lat = np.repeat(rng.normal(0, 1.5, n_psu), size) + rng.normal(0, 1, psu.size)
        y = (lat > 0).astype(int)
        rows = svy_crosstab_rows(g, y, ["a", "b"], [0, 1], np.ones(psu.size), None, psu,
                                 positive=1)
        naive += _rows(rows, "pearson_chi2_weighted")[4] < 0.05
        corrected += _rows(rows, "rao_scott_f")[4] < 0.05
    assert naive / reps > 0.2, naive / reps
    assert 0.02 <= corrected / reps <= 0.075, corrected / reps


def _svy_sample(df: pd.DataFrame) -> Any:
    pl = pytest.importorskip("polars")
    svy = pytest.importorskip("svy")
    return svy, svy.Sample(pl.from_pandas(df.assign(st=df["st"].astype(str),
                                                     psu=df["psu"].astype(str))),
                           svy.Design(stratum="st", psu="psu", wgt="w"))


@pytest.mark.parametrize("levels", [2, 3])
def test_rao_scott_matches_svy(levels: int) -> None:
    """svy (samplics' successor; R svychisq's computation in Rust): first-order p, the
    second-order F with its df, on a stratified cluster sample with unequal weights and on a
    domain with two PSUs wholly outside it."""
    df = _design_frame(15)
    rng = np.random.default_rng(3)
    df["y"] = (np.where(df["y"], "yes", "no") if levels == 2 else
               np.array(["lo", "mid", "hi"])[rng.integers(0, 3, len(df))])
    df["inside"] = (df["x"] > -0.5) & ~df["psu"].isin([0, 1])
    svy, sample = _svy_sample(df)
    for where in (None, "inside"):
        data = df if where is None else df.assign(y=df["y"].where(df["inside"]))
        ours = svy_crosstab(data, "g", "y", weight="w", strata="st", cluster="psu")
        ref = (sample.categorical.tabulate("g", "y") if where is None else
               sample.categorical.tabulate("g", "y", where=svy.col("inside") == True))  # noqa: E712
        assert _v(ours, "rao_scott_chi2", col="p") == pytest.approx(ref.stats.chisq.p_value,
                                                                    rel=1e-9)
        assert _v(ours, "rao_scott_f") == pytest.approx(ref.stats.f.value, rel=1e-9)
        assert _v(ours, "rao_scott_f", col="df") == pytest.approx(ref.stats.f.df_num, rel=1e-9)
        assert _v(ours, "rao_scott_ddf") == pytest.approx(ref.stats.f.df_den, rel=1e-9)
        assert _v(ours, "rao_scott_f", col="p") == pytest.approx(ref.stats.f.p_value, rel=1e-9)


def test_rank_test_matches_svy() -> None:
    """Without ties (with ties R's svyranktest and svy average the cumulative weights of the
    tied cases in row order, which depends on that order when weights differ; here tied cases
    share the mid-point of the estimated CDF, checked by brute force above)."""
    df = _design_frame(16)
    df["inside"] = ~df["psu"].isin([20, 21])
    svy, sample = _svy_sample(df)
    for where in (None, "inside"):
        data = df if where is None else df.assign(m=df["m"].where(df["inside"]))
        ours = svy_rank_test(data, "m", "g", weight="w", strata="st", cluster="psu",
                             groups=("a", "b"))
        ref = (sample.categorical.ranktest("m", group="g") if where is None else
               sample.categorical.ranktest("m", group="g",
                                           where=svy.col("inside") == True))  # noqa: E712
        # svy reports group b minus group a
        diff = ref.diff[0]
        assert _v(ours, "rank_difference") == pytest.approx(-diff.diff, rel=1e-9)
        assert _v(ours, "rank_difference", col="ci_low") == pytest.approx(-diff.uci, rel=1e-9)
        assert _v(ours, "t") == pytest.approx(-ref.stats.value, rel=1e-9)
        assert _v(ours, "t", col="df") == ref.stats.df
        assert _v(ours, "t", col="p") == pytest.approx(ref.stats.p_value, rel=1e-9)


# --------------------------------------------------------------------------- logistic
def test_svy_logit_matches_samplics_survey_glm() -> None:
    _quiet()
    from samplics import ModelType, SurveyGLM

    df = _design_frame(5).assign(y=lambda f: f["y"].astype(int))
    out = svy_logit(df, "y", ["gi", "x"], weight="w", strata="st", cluster="psu")
    m = SurveyGLM(ModelType.LOGISTIC)
    m.estimate(y=df["y"].to_numpy(), x=df[["gi", "x"]].to_numpy(),
               samp_weight=df["w"].to_numpy(), stratum=df["st"].to_numpy(),
               psu=df["psu"].to_numpy(), add_intercept=True)
    for j, term in enumerate(["constant", "gi", "x"]):
        assert _v(out, "B", term) == pytest.approx(m.beta["point_est"][j], rel=1e-7)
        # samplics stops its iterations at tol 1e-8 on the coefficients
        assert _v(out, "se", term) == pytest.approx(m.beta["stderror"][j], rel=1e-5)
    ddf = df["psu"].nunique() - 3 - 3 + 1
    assert _v(out, "design_ddf") == ddf
    wald = _v(out, "wald", "gi")
    assert _v(out, "wald", "gi", "p") == pytest.approx(stats.f.sf(wald, 1, ddf))


def test_svy_logit_matches_svy_glm_also_on_a_domain() -> None:
    """svy's survey GLM (R svyglm's computation): coefficients, SEs, t on the residual design
    df and p, on the whole sample and on a domain with two PSUs wholly outside it."""
    df = _design_frame(17).assign(y=lambda f: f["y"].astype(int))
    df["inside"] = ~df["psu"].isin([0, 1])
    svy, sample = _svy_sample(df)
    for where in (None, "inside"):
        ref = (sample.glm.fit("y", x=["gi", "x"], family="binomial") if where is None else
               sample.glm.fit("y", x=["gi", "x"], family="binomial",
                              where=svy.col("inside") == True))  # noqa: E712
        data = df if where is None else df.assign(y=df["y"].where(df["inside"]))
        ours = svy_logit(data, "y", ["gi", "x"], weight="w", strata="st", cluster="psu")
        for c in ref.coefs:
            term = "constant" if c.term == "_intercept_" else c.term
            assert _v(ours, "B", term) == pytest.approx(c.est, rel=1e-7)
            assert _v(ours, "se", term) == pytest.approx(c.se, rel=1e-6)
            assert _v(ours, "wald", term, "p") == pytest.approx(c.wald.p_value, rel=1e-5)
            assert _v(ours, "design_ddf") == c.wald.df


def test_svy_logit_point_estimates_match_weighted_glm() -> None:
    df = _design_frame(6).assign(y=lambda f: f["y"].astype(int))
    out = svy_logit(df, "y", ["gi", "x"], weight="w", strata="st", cluster="psu")
    glm = sm.GLM(df["y"], sm.add_constant(df[["gi", "x"]]), family=sm.families.Binomial(),
                 var_weights=df["w"]).fit()
    assert _v(out, "B", "gi") == pytest.approx(glm.params["gi"], rel=1e-7)
    assert _v(out, "B", "constant") == pytest.approx(glm.params["const"], rel=1e-7)


def test_svy_logit_with_equal_weights_is_the_unweighted_logit_with_hc0_times_n_over_n_1() -> None:
    df = _design_frame(8).assign(y=lambda f: f["y"].astype(int), w=1.0)
    n = len(df)
    out = svy_logit(df, "y", ["gi", "x"], weight="w")
    x = np.column_stack([df["gi"], df["x"], np.ones(n)])
    plain = logistic_rows(df["y"].to_numpy(float), x, ["gi", "x", "constant"])
    hc0 = np.asarray(sm.Logit(df["y"].to_numpy(), x).fit(disp=0, cov_type="HC0").bse)
    for j, term in enumerate(["gi", "x", "constant"]):
        assert _v(out, "B", term) == pytest.approx(_rows(plain, "B", term)[2], rel=1e-8)
        assert _v(out, "se", term) == pytest.approx(hc0[j] * np.sqrt(n / (n - 1)),
                                                    rel=1e-7)
    assert _v(out, "design_ddf") == n - 1 - 3 + 1


# --------------------------------------------------------------------------- rank test
def test_svy_rank_with_equal_weights_gives_mann_whitney_rank_biserial() -> None:
    df = _design_frame(9).assign(w=1.0)
    df.loc[df.index[::7], "m"] = 2.0  # ties
    out = svy_rank_test(df, "m", "g", weight="w", groups=("a", "b"))
    mw = mann_whitney(df, "m", "g", groups=("a", "b"))
    assert _v(out, "rank_biserial") == pytest.approx(_v(mw, "rank_biserial"), rel=1e-10)
    # the linearized SE by hand: mid-ranks, then a two-sample contrast of means
    r = (stats.rankdata(df["m"]) - 0.5) / len(df)
    a, b = r[df["g"] == "a"], r[df["g"] == "b"]
    n = len(df)
    se = np.sqrt(n / (n - 1) * (np.sum((a - a.mean()) ** 2) / a.size ** 2
                                + np.sum((b - b.mean()) ** 2) / b.size ** 2))
    assert _v(out, "t") == pytest.approx((a.mean() - b.mean()) / se, rel=1e-10)
    assert _v(out, "t", col="df") == n - 2


def test_svy_rank_matches_a_samplics_survey_regression_of_rank_scores() -> None:
    """Lumley & Scott's statistic is the coefficient of the group in a survey-weighted linear
    regression of the estimated population rank scores; the scores are computed here by brute
    force (weight below + half the weight tied, over the total weight)."""
    _quiet()
    from samplics import ModelType, SurveyGLM

    df = _design_frame(10)
    df["m"] = np.round(df["m"], 0)  # many ties
    y, w = df["m"].to_numpy(), df["w"].to_numpy()
    score = np.array([(w[y < v].sum() + w[y == v].sum() / 2) / w.sum() for v in y])
    out = svy_rank_test(df, "m", "g", weight="w", strata="st", cluster="psu",
                        groups=("a", "b"))
    m = SurveyGLM(ModelType.LINEAR)
    m.estimate(y=score, x=(df["gi"] == 0).astype(float).to_numpy(), samp_weight=w,
               stratum=df["st"].to_numpy(), psu=df["psu"].to_numpy(), add_intercept=True)
    assert _v(out, "rank_difference") == pytest.approx(m.beta["point_est"][1], rel=1e-9)
    assert _v(out, "t") == pytest.approx(m.beta["point_est"][1] / m.beta["stderror"][1],
                                         rel=1e-9)
    assert _v(out, "t", col="df") == df["psu"].nunique() - 3 - 1


# --------------------------------------------------------------------------- degenerate data
@pytest.mark.parametrize(("change", "reason"), [
    ({"psu": 1}, "only 1 primary sampling unit"),
    ({"w": 0.0}, "all design weights are zero"),
    ({"w": -1.0}, "finite and non-negative"),
])
def test_degenerate_designs_are_not_estimable_with_a_reason(change: dict[str, Any],
                                                              reason: str) -> None:
    df = _design_frame(11, 40).assign(**change)
    for out, stat in ((svy_crosstab(df, "g", "y", weight="w", cluster="psu"), "rao_scott_f"),
                      (svy_logit(df.assign(y=df["y"].astype(int)), "y", ["gi"], weight="w",
                                 cluster="psu"), "wald"),
                      (svy_rank_test(df, "m", "g", weight="w", cluster="psu"), "t")):
        row = out[out["statistic"] == stat].iloc[0]
        assert row["status"] == "not estimable" and reason in row["reason"], row["reason"]


def test_an_empty_or_zero_weight_group_is_not_estimable() -> None:
    df = _design_frame(12, 40)
    df.loc[df["g"] == "b", "w"] = 0.0
    out = svy_crosstab(df, "g", "y", weight="w")
    assert "group 'b' has no cases with a positive weight" in _v_reason(out, "rao_scott_f")
    out = svy_rank_test(df, "m", "g", weight="w", groups=("a", "b"))
    assert "group 'b' has no cases with a positive weight" in _v_reason(out, "t")
    rows = svy_crosstab_rows(np.zeros(5, int), np.array([0, 1, 0, 1, 1]), ["a", "b"], [0, 1],
                             np.ones(5))
    assert "group 'b'" in _rows(rows, "rao_scott_f")[8]
    rows = svy_logit_rows(np.array([0, 1, 0, 1.0]), np.column_stack([np.zeros(4), np.ones(4)]),
                          ["g", "constant"], np.ones(4))
    assert "constant or collinear" in _rows(rows, "wald", "g")[8]


def _v_reason(out: pd.DataFrame, statistic: str) -> str:
    return str(out.loc[out["statistic"] == statistic, "reason"].iloc[0])


def test_missing_weights_are_left_out_and_counted() -> None:
    df = _design_frame(13, 50)
    df.loc[df.index[:5], "w"] = np.nan
    out = svy_crosstab(df, "g", "y", weight="w", positive=True)
    assert _v(out, "n_missing") == 5 and _v(out, "n_unweighted", "total") == 45


def test_rank_rows_doctest_direction() -> None:
    rows = svy_rank_rows(np.array([5.0, 6, 7, 1, 2, 3]), np.array([0, 0, 0, 1, 1, 1]),
                         ["a", "b"], np.ones(6))
    assert _rows(rows, "rank_biserial")[2] == pytest.approx(1.0)  # group 1 above group 2


# --------------------------------------------------------------------------- the engine
def _panel(design: bool = True, equal: bool = False, seed: int = 5) -> pd.DataFrame:
    """60 firms over 2 years in 3 size strata of unequal weight (a second generator draws the
    design, so the outcomes are the same with and without it)."""
    rng, rng_w = np.random.default_rng(seed), np.random.default_rng(seed + 100)
    rows = []
    for i in range(60):
        grp = "SME" if i < 30 else "non-SME"
        st = ["small", "medium", "large"][i % 3]
        base = {"small": 5.0, "medium": 2.0, "large": 1.0}[st]
        w = 1.0 if equal else base * rng_w.uniform(0.8, 1.2)
        for year in (2015, 2016):
            row = {"firm_id": f"F{i}", "year": year, "size_group": grp, "country": "Ghana",
                   "exporter": bool(rng.random() < (0.3 if grp == "SME" else 0.6)),
                   "export_share": float(rng.lognormal(1.5 if grp == "SME" else 2, 0.8)),
                   "synthetic": True}
            strict = 1.0 if equal else rng_w.uniform(0.5, 1.5)
            if design:
                row |= {"_weight": w, "_weight_wstrict": w * strict,
                        "_stratum": "all" if equal else st}
            rows.append(row)
    df = pd.DataFrame(rows)
    df["size_group"] = pd.Categorical(df["size_group"], ["SME", "non-SME"])
    return df


def _specs() -> dict[str, Any]:
    rules = load_specs("config/hypotheses.yaml")["rules"]
    grp = {"variable": "size_group", "levels": ["SME", "non-SME"]}
    return {"scopes": ["year", "pooled"], "default_rule": "study", "rules": copy.deepcopy(rules),
            "hypotheses": {
                "H1": {"label": "Exporting by size", "study_verdict": "Supported", "tests": [
                    {"id": "H1_chi", "test": "crosstab", "outcome": "exporter", "group": grp,
                     "expected_direction": "negative"}]},
                "H2": {"label": "Export share by size", "study_verdict": "Supported", "tests": [
                    {"id": "H2_mw", "test": "auto", "outcome": "export_share", "group": grp,
                     "expected_direction": "negative"}]}}}


def test_a_panel_with_a_design_runs_the_counterparts_beside_the_unweighted_tests() -> None:
    with_design = run_hypotheses(_panel(), _specs(), sample="Ghana")
    without = run_hypotheses(_panel(design=False), _specs(), sample="Ghana")
    svy = with_design["spec_id"].str.contains("__svy")
    # the unweighted results are untouched by the design, adjusted p included
    pd.testing.assert_frame_equal(with_design[~svy].reset_index(drop=True), without)
    tests = with_design[svy & (with_design["role"] == "test")]
    assert set(tests["spec_id"]) == {survey_spec_id(s, w) for s in ("H1_chi", "H2_mw")
                                     for w in ("", "wstrict")}
    assert (tests["verdict_role"] == "secondary").all()
    assert (tests["status"] == "ok").all()
    by = tests.set_index(["spec_id", "scope"])["test"].groupby(level=[0, 1]).first()
    assert by["H1_chi__svy", "year"] == "svy_crosstab"
    assert by["H1_chi__svy", "pooled"] == "svy_logit"
    assert by["H2_mw__svy_wstrict", "year"] == "svy_rank"
    assert by["H2_mw__svy", "pooled"] == "svy_rank"
    assert tests["test_reason"].str.contains("survey design: weight _weight").all()
    assert tests.loc[tests["spec_id"].str.endswith("wstrict"), "test_reason"].str.contains(
        "weight sensitivity").all()
    # verdicts stay those of the unweighted tests; the default rule is also applied to the
    # design-based counterparts of the primary specs, in rows of their own
    v1 = derive_verdicts(with_design, _specs())
    v0 = derive_verdicts(without, _specs())
    design = v1["rule"] == "study_design"
    pd.testing.assert_frame_equal(v1[~design].reset_index(drop=True), v0)
    assert v1.loc[design, "hypothesis"].tolist() == ["H1", "H2"]
    assert v1.loc[design, "rule_description"].str.contains("design-based counterparts").all()
    h1 = v1[design].iloc[0]
    assert h1["units_total"] == 1 and h1["summary"].startswith("H1_chi__svy: significant in")
    main = tests[(tests["spec_id"] == "H1_chi__svy") & (tests["scope"] == "year")]
    n_sig = int(((main["p"] < 0.05) & (main["observed_direction"] == "negative")).sum())
    assert h1["verdict"] == ("Supported" if n_sig >= 1 and (
        main["observed_direction"] == "negative").all() else "Not supported")


def test_the_engine_keeps_firms_outside_the_groups_in_the_design() -> None:
    """Micro firms (in neither group) of the same survey wave stay in the design with zero
    contributions: the shares do not change, their SEs are those of the tidy function on the
    whole wave with the micro firms' outcome masked (a domain), not of the subset."""
    panel = _panel()
    micro = panel[panel["firm_id"].isin([f"F{i}" for i in range(6)])].copy()
    micro["firm_id"] = micro["firm_id"] + "m"
    micro["size_group"] = "micro"
    both = pd.concat([panel.astype({"size_group": str}), micro.astype({"size_group": str})],
                     ignore_index=True)
    both["size_group"] = pd.Categorical(both["size_group"], ["SME", "non-SME", "micro"])
    with_micro = run_hypotheses(both, _specs(), sample="Ghana", only=["H1"])
    without = run_hypotheses(panel, _specs(), sample="Ghana", only=["H1"])

    def pick(res: pd.DataFrame, statistic: str) -> pd.Series:
        sel = (res["spec_id"] == "H1_chi__svy") & (res["scope"] == "year") & (
            res["statistic"] == statistic)
        return res.loc[sel, "value"].reset_index(drop=True)

    assert pick(with_micro, "design_df").tolist() == [60 - 3, 60 - 3]
    pd.testing.assert_series_equal(pick(with_micro, "share"), pick(without, "share"))
    wave = both[both["year"] == 2015]
    masked = wave.assign(exporter=wave["exporter"].astype(object).where(
        wave["size_group"] != "micro"), size_group=wave["size_group"].astype(str))
    tidy = svy_crosstab(masked, "size_group", "exporter", weight="_weight", strata="_stratum",
                        cluster="firm_id", row_order=["SME", "non-SME"], positive=True)
    engine_se = pick(with_micro, "share_se")[:4].tolist()
    assert engine_se == pytest.approx(tidy.loc[tidy["statistic"] == "share_se",
                                               "value"].tolist(), rel=1e-12)
    assert engine_se != pytest.approx(pick(without, "share_se")[:4].tolist(), rel=1e-6)


def test_a_design_based_test_configured_directly_uses_the_main_weight() -> None:
    specs = _specs()
    specs["hypotheses"]["H1"]["tests"][0]["test"] = "svy_crosstab"
    direct = run_hypotheses(_panel(), specs, sample="Ghana", only=["H1"])
    beside = run_hypotheses(_panel(), _specs(), sample="Ghana", only=["H1"])

    def year_tests(res: pd.DataFrame, spec_id: str) -> pd.DataFrame:
        sel = (res["spec_id"] == spec_id) & (res["role"] == "test") & (res["scope"] == "year")
        return res.loc[sel, ["statistic", "value", "p"]].reset_index(drop=True)

    got = year_tests(direct, "H1_chi")
    assert (got["statistic"] == "rao_scott_f").all()
    pd.testing.assert_frame_equal(got, year_tests(beside, "H1_chi__svy"))


def test_strata_of_pooled_panels_are_nested_in_their_panel() -> None:
    one = _panel().assign(panel="ghana")
    two = _panel(seed=6).assign(panel="peru", country="Peru",
                                firm_id=lambda f: "P" + f["firm_id"])
    both = pd.concat([one, two], ignore_index=True)
    both["size_group"] = pd.Categorical(both["size_group"], ["SME", "non-SME"])
    res = run_hypotheses(both, _specs(), sample="all", only=["H1"])
    sel = (res["spec_id"] == "H1_chi__svy") & (res["statistic"] == "n_strata") & (
        res["scope"] == "year")
    assert res.loc[sel, "value"].tolist() == [6.0, 6.0]  # 3 size strata in each panel


def test_equal_weights_through_the_engine_reduce_to_the_unweighted_chi_square() -> None:
    res = run_hypotheses(_panel(equal=True), _specs(), sample="Ghana", only=["H1"])
    for year in (2015, 2016):
        unit = res[(res["scope"] == "year") & (res["year"] == year)]
        plain = unit[(unit["spec_id"] == "H1_chi") & (unit["statistic"] == "pearson_chi2")]
        rs = unit[(unit["spec_id"] == "H1_chi__svy") & (unit["statistic"] == "rao_scott_chi2")]
        n = 60
        assert float(rs["value"].iloc[0]) == pytest.approx(
            float(plain["value"].iloc[0]) * (n - 1) / n)


def test_tables_figures_and_methods_carry_the_counterparts() -> None:
    import matplotlib.pyplot as plt

    from analysis.config import check_config, load_yaml
    from analysis.render import figures, report, tables

    res = run_hypotheses(_panel(), _specs(), sample="Ghana")
    stems = [t.stem for t in tables.hypothesis_tables(res, "H1")]
    assert {"H1_svy_shares", "H1_svy_chi_square", "H1_svy_logit"} <= set(stems)
    shares = next(t for t in tables.hypothesis_tables(res, "H1") if t.stem == "H1_svy_shares")
    raw = shares.raw
    got = raw[(raw["spec_id"] == "H1_chi__svy") & (raw["year"].astype(str) == "2015")]
    assert set(got["group"]) == {"SME", "non-SME"} and (got["n_unweighted"] == 30).all()
    assert got["share"].between(0, 1).all()
    assert [t.stem for t in tables.hypothesis_tables(res, "H2")][-2:] == [
        "H2_svy_rank", "H2_svy_rank_weights"]
    # the weight choice as a sensitivity: each unit under the main and the alternative weight
    weights = next(t for t in tables.hypothesis_tables(res, "H1")
                   if t.stem == "H1_svy_crosstab_weights")
    assert weights.display["Weight"].tolist() == ["_weight (main)", "_weight_wstrict"] * 2
    assert weights.display["Year"].tolist() == ["2015", "2015", "2016", "2016"]
    tests = res[(res["role"] == "test") & (res["test"] == "svy_crosstab")]
    assert sorted(weights.raw["p"].tolist()) == sorted(tests["p"].tolist())
    fig, caption = figures.forest_figure(res, "H1")
    try:
        labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
        # the design-based row is labelled with its weighted effect and its test
        assert "exporter · 2015 (OR (weighted)) (svy_crosstab)" in labels
        assert "OR (weighted) (svy_crosstab)" in caption
    finally:
        plt.close(fig)
    config = check_config(load_yaml("config/config.yaml"))
    summary = {"rows_kept": 120, "rows_excluded": 0, "rows_in": 120,
               "firms": {"firms": 60, "SME": 30, "non-SME": 30}}
    text = report.methods_text(config, _specs(), {"description": "SME: 11-199"}, summary,
                               tests=res["test"].unique())
    for name in ("svy_crosstab", "svy_logit", "svy_rank"):
        assert registry.entry(name).methods.split(" (")[0][:60] in text.replace("&#x27;", "'")
    assert "adjusted as families of their own" in text
    plain = run_hypotheses(_panel(design=False), _specs(), sample="Ghana")
    assert "__svy" not in report.methods_text(config, _specs(), {"description": "SME: 11-199"},
                                              summary, tests=plain["test"].unique())


def test_a_counterpart_must_be_registered() -> None:
    entry = registry.entry("welch_t")
    import dataclasses

    bad = dataclasses.replace(entry, name="welch_t2", auto_when="", survey_counterpart="svy_x")
    assert any("not registered" in p for p in registry.check_entry(bad))
    bad = dataclasses.replace(entry, name="welch_t2", auto_when="",
                              survey_counterpart="svy_crosstab")
    assert any("does not take the outcomes" in p for p in registry.check_entry(bad))
    assert registry.check_entry(entry) == []

"""The generic hypothesis engine: specs as data, test choice, adjustments, verdict rules."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from analysis.columns import RESULT_COLUMNS
from analysis.engine.comparisons import adjust_p, run_hypotheses
from analysis.engine.specs import check_specs, load_specs
from analysis.engine.verdicts import derive_verdicts
from analysis.errors import PipelineInputError

RULES = load_specs("config/hypotheses.yaml")["rules"]
SIZE = {"variable": "size_group", "levels": ["SME", "non-SME"]}


def _panel(export_by_year: dict[int, tuple[int, int, int, int]], seed: int = 0) -> pd.DataFrame:
    """Firm-year panel from counts per year: (SME exporters, SME n, non-SME exporters, non-SME n).

    Firms keep their id across years (firm i of a group is the same firm every year).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for year, (e1, n1, e2, n2) in export_by_year.items():
        for grp, e, n in (("SME", e1, n1), ("non-SME", e2, n2)):
            for i in range(n):
                rows.append({"firm_id": f"{grp}-{i}", "year": year, "size_group": grp,
                             "internationalized": i < e,
                             "export_share": float(rng.lognormal(2, 1)) if i < e else 0.0,
                             "rota": float(rng.normal(5, 3)), "synthetic": False})
    df = pd.DataFrame(rows)
    df["internationalized"] = df["internationalized"].astype("boolean")
    df["size_group"] = pd.Categorical(df["size_group"], categories=["SME", "non-SME"])
    return df


def _specs(tests: list[dict], rules: dict | None = None, scopes=("year",)) -> dict:
    return {"scopes": list(scopes), "default_rule": "study",
            "rules": copy.deepcopy(rules or RULES),
            "hypotheses": {"H9": {"label": "test", "study_verdict": "Supported", "tests": tests}}}


def test_default_specs_are_valid_and_cover_h1_to_h5():
    specs = load_specs("config/hypotheses.yaml")
    assert {"H1", "H2", "H3", "H4", "H5"} <= set(specs["hypotheses"])
    assert specs["hypotheses"]["H5"]["study_verdict"] == "Not supported"
    h3 = specs["hypotheses"]["H3"]["tests"][0]
    assert h3["population"] == {"size_group": ["SME"]}
    assert all(t["strata"] == "doi_band" for t in specs["hypotheses"]["H4"]["tests"])


def test_check_specs_lists_every_problem():
    bad = _specs([{"id": "a", "test": "ttest", "outcome": "x", "group": {"variable": "g"}},
                  {"id": "a", "test": "crosstab", "outcome": "y", "group": SIZE,
                   "expected_direction": "down"}])
    with pytest.raises(PipelineInputError) as exc:
        check_specs(bad)
    msg = str(exc.value)
    assert "hypotheses.H9.tests[0].test: value 'ttest' is not one of" in msg
    assert "hypotheses.H9.tests[0].group: 'levels' is required but missing" in msg
    assert "id 'a' is used twice" in msg
    assert "hypotheses.H9.tests[1].expected_direction: value 'down' is not one of" in msg


def test_misspelt_spec_key_is_an_error_with_a_did_you_mean():
    spec = {"id": "a", "test": "crosstab", "outcome": "y", "group": SIZE,
            "expected_directon": "negative"}
    with pytest.raises(PipelineInputError) as exc:
        check_specs(_specs([spec]))
    assert ("hypotheses.H9.tests[0]: unknown key 'expected_directon' (did you mean "
            "'expected_direction'?)") in str(exc.value)


def test_misspelt_test_name_and_rule_get_a_did_you_mean():
    spec = {"id": "a", "test": "mann_whitny", "outcome": "y", "group": SIZE}
    specs = _specs([spec])
    specs["default_rule"] = "studdy"
    with pytest.raises(PipelineInputError) as exc:
        check_specs(specs)
    msg = str(exc.value)
    assert "(did you mean 'mann_whitney'?)" in msg
    assert "default_rule: 'studdy' is not one of the rules" in msg
    assert "(did you mean 'study'?)" in msg


def test_schema_ships_inside_the_package():
    from importlib import resources

    files = resources.files("analysis") / "schemas"
    assert (files / "hypotheses.schema.yaml").is_file()
    assert (files / "config.schema.yaml").is_file()


def test_crosstab_counts_and_direction_follow_the_data():
    # 2015: SMEs 2/10 export, non-SMEs 8/10 -> risk difference -0.6, negative
    panel = _panel({2015: (2, 10, 8, 10)})
    spec = {"id": "x", "test": "crosstab", "outcome": "internationalized", "group": SIZE,
            "expected_direction": "negative"}
    res = run_hypotheses(panel, _specs([spec]))
    assert list(res.columns) == RESULT_COLUMNS
    obs = res[(res["statistic"] == "observed")].set_index("term")["value"]
    assert obs["SME|True"] == 2 and obs["SME|False"] == 8
    assert obs["non-SME|True"] == 8 and obs["non-SME|False"] == 2
    test_row = res[res["role"] == "test"].iloc[0]
    # expected counts are all 5 -> Pearson decides; chi2 = sum (O-E)^2/E = 4 * 9/5 = 7.2
    assert test_row["statistic"] == "pearson_chi2"
    assert test_row["value"] == pytest.approx(7.2)
    assert test_row["observed_direction"] == "negative"
    assert test_row["n_group1"] == 10 and test_row["n_group2"] == 10
    assert "crosstab" in test_row["test_reason"]


def test_small_expected_counts_switch_to_fisher():
    panel = _panel({2015: (0, 4, 4, 4)})
    spec = {"id": "x", "test": "crosstab", "outcome": "internationalized", "group": SIZE,
            "expected_direction": "negative"}
    res = run_hypotheses(panel, _specs([spec]))
    test_row = res[res["role"] == "test"].iloc[0]
    assert test_row["statistic"] == "fisher_exact"
    assert "expected count < 5" in test_row["test_reason"]
    # 2x2 table [[0,4],[4,0]]: the only more extreme tables are itself and its mirror,
    # each with hypergeometric probability 1/C(8,4) = 1/70 -> two-sided p = 2/70
    assert test_row["p"] == pytest.approx(2 / 70)


def test_auto_chooses_by_normality_and_says_why():
    rng = np.random.default_rng(1)
    n = 40
    normal = pd.DataFrame({
        "firm_id": [f"f{i}" for i in range(2 * n)], "year": 2015,
        "size_group": ["SME"] * n + ["non-SME"] * n,
        "y": np.r_[rng.normal(0, 1, n), rng.normal(0.3, 1, n)],
    })
    skewed = normal.assign(y=np.r_[rng.exponential(1, n) ** 3, rng.exponential(1, n) ** 3])
    spec = {"id": "x", "test": "auto", "outcome": "y", "group": SIZE,
            "expected_direction": "negative"}
    r1 = run_hypotheses(normal, _specs([spec]))
    r2 = run_hypotheses(skewed, _specs([spec]))
    t1, t2 = r1[r1["role"] == "test"].iloc[0], r2[r2["role"] == "test"].iloc[0]
    assert t1["test"] == "welch_t" and "normal in both groups" in t1["test_reason"]
    assert t2["test"] == "mann_whitney" and "not normal" in t2["test_reason"]
    # Welch's t computed independently
    a, b = normal["y"][:n].to_numpy(), normal["y"][n:].to_numpy()
    se = np.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
    assert t1["value"] == pytest.approx((a.mean() - b.mean()) / se)


def test_configured_override_is_recorded():
    panel = _panel({2015: (5, 10, 5, 10)})
    spec = {"id": "x", "test": "mann_whitney", "outcome": "rota", "group": SIZE,
            "expected_direction": "any"}
    res = run_hypotheses(panel, _specs([spec]))
    row = res[res["role"] == "test"].iloc[0]
    assert row["test"] == "mann_whitney"
    assert row["test_reason"].startswith("configured: mann_whitney (normality:")


def test_missing_variable_is_not_estimable_with_reason():
    panel = _panel({2015: (5, 10, 5, 10)})
    spec = {"id": "x", "test": "crosstab", "outcome": "export_plan", "group": SIZE}
    res = run_hypotheses(panel, _specs([spec]))
    row = res[res["role"] == "test"].iloc[0]
    assert row["status"] == "not estimable"
    assert "'export_plan' is not available in this panel" in row["reason"]
    v = derive_verdicts(res, _specs([spec]))
    assert set(v["verdict"]) == {"Not estimable"}


def test_empty_group_in_one_year_is_reported_and_the_rest_runs():
    panel = _panel({2015: (2, 10, 8, 10), 2016: (0, 0, 8, 10)})
    spec = {"id": "x", "test": "crosstab", "outcome": "internationalized", "group": SIZE,
            "expected_direction": "negative"}
    res = run_hypotheses(panel, _specs([spec]))
    tests = res[res["role"] == "test"].set_index("year")
    assert tests.loc[2015, "status"] == "ok"
    assert tests.loc[2016, "status"] == "not estimable"
    assert "SME" in tests.loc[2016, "reason"]


def test_population_filter_and_strata():
    panel = _panel({2015: (6, 12, 6, 12)})
    panel["band"] = np.where(panel.index % 2 == 0, "a", "b")
    spec = {"id": "x", "test": "mann_whitney", "outcome": "rota",
            "group": {"variable": "internationalized", "levels": [True, False],
                      "labels": ["exporter", "domestic"]},
            "population": {"size_group": ["SME"]}, "strata": "band"}
    res = run_hypotheses(panel, _specs([spec]))
    tests = res[res["role"] == "test"]
    assert sorted(tests["stratum"]) == ["a", "b"]
    assert (tests["population"] == "size_group in ['SME']").all()
    n = res[res["statistic"] == "n"]
    # 12 SMEs: each stratum has 6; only SMEs are counted
    assert n.groupby("stratum")["value"].sum().to_dict() == {"a": 6.0, "b": 6.0}
    assert set(tests["group1"]) == {"exporter"}


def test_pooled_scope_uses_clustered_logit_for_binary_outcomes():
    panel = _panel({2015: (2, 10, 8, 10), 2016: (3, 10, 7, 10), 2017: (2, 10, 9, 10)})
    spec = {"id": "x", "test": "crosstab", "outcome": "internationalized", "group": SIZE,
            "expected_direction": "negative"}
    res = run_hypotheses(panel, _specs([spec], scopes=("year", "pooled")))
    pooled = res[(res["scope"] == "pooled")]
    row = pooled[pooled["role"] == "test"].iloc[0]
    assert row["test"] == "logit" and "clustered by firm" in row["test_reason"]
    assert row["term"] == "is_SME"
    assert row["observed_direction"] == "negative"
    terms = set(pooled.loc[pooled["statistic"] == "B", "term"])
    assert {"is_SME", "constant"} <= terms and any("2016" in t for t in terms)


def test_pooled_scope_uses_firm_means_for_metric_outcomes():
    panel = _panel({2015: (5, 10, 5, 10), 2016: (5, 10, 5, 10)})
    spec = {"id": "x", "test": "mann_whitney", "outcome": "rota", "group": SIZE}
    res = run_hypotheses(panel, _specs([spec], scopes=("pooled",)))
    n = res[res["statistic"] == "n"].set_index("term")["value"]
    assert n.to_dict() == {"SME": 10.0, "non-SME": 10.0}  # firms, not firm-years
    assert "firm means" in res[res["role"] == "test"].iloc[0]["test_reason"]


def test_holm_and_bh_by_hand():
    df = pd.DataFrame({"sample": "all", "hypothesis": ["H1", "H1", "H1", "H2"],
                       "scope": "year", "role": "test", "status": "ok",
                       "p": [0.01, 0.04, 0.03, 0.02]})
    out = adjust_p(df)
    # Holm within H1: sorted 0.01, 0.03, 0.04 -> 0.03, 0.06, 0.06 (monotone)
    assert out["p_holm"].tolist()[:3] == pytest.approx([0.03, 0.06, 0.06])
    assert out["p_holm"].iloc[3] == pytest.approx(0.02)
    # BH across all four: sorted 0.01, 0.02, 0.03, 0.04 -> 4*p/rank = .04, .04, .04, .04
    assert out["p_bh"].tolist() == pytest.approx([0.04, 0.04, 0.04, 0.04])


def _unit_results(ps: list[float], dirs: list[str], expected: str = "negative") -> pd.DataFrame:
    n = len(ps)
    return pd.DataFrame({
        "sample": "all", "hypothesis": "H9", "spec_id": "x", "verdict_role": "primary",
        "scope": "year", "year": list(range(2015, 2015 + n)), "stratum_var": "",
        "stratum": "", "role": "test", "status": "ok", "p": ps, "p_holm": ps, "p_bh": ps,
        "observed_direction": dirs, "expected_direction": expected, "reason": "",
    })


@pytest.mark.parametrize(("ps", "dirs", "study", "every"), [
    ([0.01, 0.30, 0.20], ["negative"] * 3, "Supported", "Not supported"),
    ([0.01, 0.02, 0.03], ["negative"] * 3, "Supported", "Supported"),
    ([0.01, 0.30, 0.20], ["negative", "positive", "negative"], "Not supported", "Not supported"),
    ([0.20, 0.30, 0.40], ["negative"] * 3, "Not supported", "Not supported"),
    ([0.01, 0.30, 0.20], ["positive"] * 3, "Not supported", "Not supported"),
])
def test_verdict_rules(ps, dirs, study, every):
    spec = {"id": "x", "test": "crosstab", "outcome": "y", "group": SIZE,
            "expected_direction": "negative"}
    v = derive_verdicts(_unit_results(ps, dirs), _specs([spec])).set_index("rule")
    assert v.loc["study", "verdict"] == study
    assert v.loc["every_year", "verdict"] == every
    assert v.loc["study", "agree"] == ("agree" if study == "Supported" else "differ")


def test_a_new_hypothesis_needs_no_code():
    panel = _panel({2015: (2, 10, 8, 10), 2016: (1, 10, 9, 10)})
    specs = _specs([{"id": "H6_share", "test": "mann_whitney", "outcome": "export_share",
                     "group": SIZE, "expected_direction": "negative"}])
    specs["hypotheses"]["H6"] = specs["hypotheses"].pop("H9")
    res = run_hypotheses(panel, specs)
    assert set(res["hypothesis"]) == {"H6"}
    v = derive_verdicts(res, specs)
    assert set(v["hypothesis"]) == {"H6"} and len(v) == len(specs["rules"])


def test_snap_noise_rounds_statistics_but_not_p():
    from analysis.engine.stages import snap_noise

    df = pd.DataFrame({"value": [1.6e-35, -3e-13, 0.5, 2e-12, 1.080029541234e-07],
                       "ci_low": [1e-20, 0.1, 0, 1, np.inf], "ci_high": [1, 1, 1, 1, 1],
                       "p": [1e-30, 1, 1, 1, 1]})
    out = snap_noise(df)
    assert out["value"].tolist() == [0.0, 0.0, 0.5, 2e-12, 1.08003e-07]
    assert str(out["value"].iloc[1]) == "0.0"  # no negative zero
    assert out["ci_low"].tolist() == [0.0, 0.1, 0.0, 1.0, np.inf]
    assert out["p"].tolist() == [1e-30, 1, 1, 1, 1]  # p-values untouched


def test_auto_uses_one_test_for_every_year():
    rng = np.random.default_rng(7)
    n = 40
    base = {"size_group": ["SME"] * n + ["non-SME"] * n}
    normal_year = pd.DataFrame({**base, "firm_id": [f"f{i}" for i in range(2 * n)],
                                "year": 2015, "y": rng.normal(0, 1, 2 * n)})
    skewed_year = pd.DataFrame({**base, "firm_id": [f"f{i}" for i in range(2 * n)],
                                "year": 2016, "y": rng.exponential(1, 2 * n) ** 3})
    panel = pd.concat([normal_year, skewed_year], ignore_index=True)
    spec = {"id": "x", "test": "auto", "outcome": "y", "group": SIZE}
    res = run_hypotheses(panel, _specs([spec], scopes=("year", "pooled")))
    tests = res[res["role"] == "test"]
    # 2015 alone would pass both normality tests, but 2016 does not: one family for all
    alone = run_hypotheses(normal_year, _specs([spec]))
    assert alone[alone["role"] == "test"]["test"].tolist() == ["welch_t"]
    assert set(tests["test"]) == {"mann_whitney"}
    assert all("not normal in 2016" in r for r in tests["test_reason"])
    assert all("for every year" in r for r in tests["test_reason"])


def test_logit_controls_with_explicit_reference_and_constant_controls_dropped():
    panel = _panel({2015: (4, 12, 8, 12)})
    panel["country"] = np.where(panel.index % 3 == 0, "Ghana", np.where(panel.index % 3 == 1,
                                                                        "India", "Mexico"))
    panel["sector"] = "food"  # constant in this subset: dropped with a note
    spec = {"id": "x", "test": "logit", "outcome": "internationalized", "group": SIZE,
            "controls": ["country", "sector"], "categorical": {"country": "India",
                                                                "sector": "food"},
            "expected_direction": "negative"}
    res = run_hypotheses(panel, _specs([spec]))
    terms = set(res.loc[res["statistic"] == "B", "term"])
    # India is the reference: the other two countries get a term each, plus is_SME and constant
    assert terms == {"is_SME", "country[Ghana]", "country[Mexico]", "constant"}
    row = res[res["role"] == "test"].iloc[0]
    assert row["term"] == "is_SME" and row["statistic"] == "wald"
    assert "controls dropped (constant in this subset): ['sector']" in row["test_reason"]


def test_exact_true_adds_spss_exact_tests_to_crosstab_comparisons():
    panel = _panel({2015: (2, 10, 8, 10)})
    spec = {"id": "x", "test": "crosstab", "outcome": "internationalized", "group": SIZE,
            "exact": True}
    specs = _specs([spec])
    check_specs(specs)
    res = run_hypotheses(panel, specs)
    exact = res[res["statistic"] == "pearson_chi2_exact"].iloc[0]
    fisher = res[res["statistic"] == "fisher_exact"].iloc[0]
    # 2x2: the exact Pearson test orders tables as Fisher's does here (symmetric margins)
    assert exact["p"] == pytest.approx(fisher["p"], rel=1e-9)
    assert "pearson_chi2_exact" not in set(run_hypotheses(panel, _specs([
        {k: v for k, v in spec.items() if k != "exact"}]))["statistic"])

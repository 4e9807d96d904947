"""The test registry: complete entries, loud failures, and a new test added end to end.

A Brunner-Munzel test is defined here (one function plus one registry entry, no table or figure
code) and must run through the engine, get a "why this test", render its declarative detail
table and its summary, draw on a linear forest axis with its own axis title, and appear in the
methods text. It is removed from the registry after each test.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.columns import STAT_COLUMNS
from analysis.engine.comparisons import run_hypotheses
from analysis.engine.specs import check_specs, load_specs
from analysis.render import figures, journal, report, spss, tables
from analysis.render.format import format_num, format_p
from analysis.stats import registry
from analysis.stats.registry import (
    REGISTRY,
    Comparison,
    Effect,
    RegistryError,
    TableSpec,
    check_entry,
    register,
)

BM = "brunner_munzel"
AXIS = "Cliff's delta, group 1 vs group 2 (Brunner-Munzel)"


# --------------------------------------------------------------------------- a new test
def brunner_munzel(data: pd.DataFrame, outcome: str, group: str, *,
                   groups: tuple[str, str]) -> pd.DataFrame:
    """Brunner-Munzel test of stochastic equality of two groups, in the tidy statistics schema.

    Rows ``brunner_munzel`` (W, its Welch-type df, two-sided p) and ``cliffs_delta``
    (P(X1 > X2) - P(X1 < X2), positive when group 1 tends higher).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 5,
    ...                    "x": [1.0, 2, 3, 4, 5, 3, 4, 5, 6, 7]})
    >>> out = brunner_munzel(df, "x", "g", groups=("a", "b"))
    >>> out["statistic"].tolist(), round(float(out["value"].iloc[1]), 2)
    (['brunner_munzel', 'cliffs_delta'], -0.64)
    """
    x = data.loc[data[group] == groups[0], outcome].dropna().to_numpy(dtype=float)
    y = data.loc[data[group] == groups[1], outcome].dropna().to_numpy(dtype=float)
    return _brunner_munzel_rows(x, y)


def _brunner_munzel_rows(x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """The tidy rows of the Brunner-Munzel test of two samples."""
    if min(x.size, y.size) < 2:
        why = f"fewer than 2 values in a group (n = {x.size}, {y.size})"
        return pd.DataFrame([[s, "", np.nan, np.nan, np.nan, np.nan, np.nan, "not estimable",
                              why] for s in ("brunner_munzel", "cliffs_delta")],
                            columns=STAT_COLUMNS)
    delta = float(np.mean(np.sign(x[:, None] - y[None, :])))
    res = stats.brunnermunzel(x, y)
    # the Welch-type df of the Brunner-Munzel statistic, from the placement variances
    rank_all = stats.rankdata(np.concatenate([x, y]))
    rx, ry = rank_all[:x.size], rank_all[x.size:]
    sx = np.var(rx - stats.rankdata(x), ddof=1)
    sy = np.var(ry - stats.rankdata(y), ddof=1)
    num = (x.size * sx + y.size * sy) ** 2
    den = (x.size * sx) ** 2 / (x.size - 1) + (y.size * sy) ** 2 / (y.size - 1)
    df = num / den if den > 0 else np.nan
    rows = [["brunner_munzel", "", float(res.statistic), df, float(res.pvalue), np.nan,
             np.nan, "ok", ""],
            ["cliffs_delta", "", delta, np.nan, np.nan, np.nan, np.nan, "ok", ""]]
    return pd.DataFrame(rows, columns=STAT_COLUMNS)


def _compare_brunner_munzel(d: Any, spec: Any, **_: Any) -> Comparison:
    """The ``compare`` adapter: one comparison's Sample in, rows as tuples out."""
    x, y, _ = d.split()
    rows = _brunner_munzel_rows(np.asarray(x, float), np.asarray(y, float))
    return Comparison(list(rows.itertuples(index=False, name=None)), "brunner_munzel")


def _bm_entry(**change: Any) -> registry.TestEntry:
    delta = Effect("cliffs_delta", "delta", "linear", 0.0, AXIS)
    entry = registry.TestEntry(
        name=BM, label="Brunner-Munzel test", family="nonparametric",
        function=brunner_munzel, compare=_compare_brunner_munzel,
        decides="brunner_munzel", direction="cliffs_delta",
        direction_meaning="Cliff's delta (group 1 above group 2 is positive)",
        effect=delta, forest=delta, statistic_label="W",
        tables=(TableSpec("bm_test", "Brunner-Munzel Test",
                          columns=(("brunner_munzel", "value", "W"),
                                   ("brunner_munzel", "df", "df"),
                                   ("brunner_munzel", "p", "Sig. (2-tailed)"),
                                   ("cliffs_delta", "value", "Cliff's delta")),
                          note="Brunner-Munzel W with Welch-type df."),),
        methods="Metric outcomes were also compared with the Brunner-Munzel test, with "
                "Cliff's delta as the effect size.",
        why="configured: brunner_munzel", outcomes=("metric",),
        labels={"brunner_munzel": "W", "cliffs_delta": "Cliff's delta"},
    )
    return dataclasses.replace(entry, **change)


@pytest.fixture()
def bm() -> Iterator[registry.TestEntry]:
    """The Brunner-Munzel entry, registered for one test and removed afterwards."""
    entry = register(_bm_entry())
    try:
        yield entry
    finally:
        REGISTRY.pop(BM, None)


def _panel(seed: int = 3) -> pd.DataFrame:
    """20 SMEs and 20 non-SMEs over 2 years; SMEs export less (seeded)."""
    rng = np.random.default_rng(seed)
    rows = []
    for year in (2015, 2016):
        for grp, mu in (("SME", 1.5), ("non-SME", 2.2)):
            for i in range(20):
                rows.append({"firm_id": f"{grp}-{i}", "year": year, "size_group": grp,
                             "export_share": float(rng.lognormal(mu, 0.8)), "synthetic": True})
    df = pd.DataFrame(rows)
    df["size_group"] = pd.Categorical(df["size_group"], categories=["SME", "non-SME"])
    return df


def _specs(test: str = BM) -> dict[str, Any]:
    rules = load_specs("config/hypotheses.yaml")["rules"]
    return {"scopes": ["year", "pooled"], "default_rule": "study", "rules": copy.deepcopy(rules),
            "hypotheses": {"H9": {"label": "Export share by size", "study_verdict": "Supported",
                                  "tests": [{"id": "H9_bm", "test": test,
                                             "outcome": "export_share",
                                             "group": {"variable": "size_group",
                                                       "levels": ["SME", "non-SME"]},
                                             "expected_direction": "negative"}]}}}


# --------------------------------------------------------------------------- complete entries
@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_registered_test_has_every_part(name: str) -> None:
    e = REGISTRY[name]
    assert check_entry(e) == []
    for part in ("label", "family", "decides", "direction", "direction_meaning",
                 "statistic_label", "methods", "why"):
        assert str(getattr(e, part)).strip(), part
    assert e.outcomes and e.tables
    for eff in (e.effect, e.forest):
        assert eff.null == (1.0 if eff.scale == "log" else 0.0)
        assert eff.axis and eff.label
    for t in e.tables:  # every builder resolves in the render layer
        assert bool(t.builder) != bool(t.columns)
        if t.builder:
            assert callable(spss.BUILDERS[t.builder]), t.builder


def test_render_layer_builders_cover_the_registry() -> None:
    spss.check_builders()  # what the render layer runs at import
    named = {t.builder for e in REGISTRY.values() for t in e.tables if t.builder}
    assert named <= set(spss.BUILDERS)


# --------------------------------------------------------------------------- loud failures
@pytest.mark.parametrize(("change", "message"), [
    ({"methods": ""}, "`methods` is empty"),
    ({"why": "  "}, "`why` is empty"),
    ({"direction_meaning": ""}, "`direction_meaning` is empty"),
    ({"tables": ()}, "`tables` is empty"),
    ({"forest": None}, "`forest` is not an Effect"),
    ({"effect": Effect("cliffs_delta", "delta", "log", 0.0, AXIS)},
     "a log-scale effect has no-effect value 1"),
    ({"forest": Effect("cliffs_delta", "delta", "linear", 1.0, AXIS)},
     "a linear effect has no-effect value 0"),
    ({"forest": Effect("cliffs_delta", "delta", "linear", 0.0, "")},
     "`forest` needs statistic, label and axis"),
    ({"effect": Effect("cliffs_delta", "delta", "linear", 0.0, AXIS, fallbacks=("vda",))},
     "`effect` fallback 'vda' has no printed name"),
    ({"tables": (TableSpec("bm", "BM"),)}, "needs either columns or a builder"),
    ({"tables": (TableSpec("bm", "BM", columns=(("brunner_munzel", "pvalue", "p"),)),)},
     "column field 'pvalue' is not one of"),
    ({"compare": None}, "`compare` is not a function"),
    ({"function": lambda data: data}, "has no docstring example"),
    ({"outcomes": ("ordinal",)}, "`outcomes` must list"),
])
def test_registering_an_entry_without_a_part_fails(change: dict[str, Any], message: str) -> None:
    with pytest.raises(RegistryError, match="cannot be registered") as exc:
        register(_bm_entry(**change))
    assert message in str(exc.value)
    assert BM not in REGISTRY


def test_a_duplicate_name_fails() -> None:
    with pytest.raises(RegistryError, match="already registered"):
        register(_bm_entry(name="welch_t"))


def test_an_unknown_table_builder_fails_when_the_render_layer_loads() -> None:
    spec = TableSpec("bm_test", "Brunner-Munzel Test", builder="bm_layout")
    register(_bm_entry(tables=(spec,)))
    try:
        with pytest.raises(RegistryError, match="'brunner_munzel' names table builder "
                                                "'bm_layout'"):
            spss.check_builders()
        with pytest.raises(RegistryError, match="bm_layout"):
            importlib.reload(spss)  # the check at import of the render layer
        results = run_hypotheses(_panel(), _specs(), sample="all")
        with pytest.raises(RegistryError, match="bm_layout"):  # never a silently missing table
            tables.hypothesis_tables(results, "H9")
    finally:
        REGISTRY.pop(BM, None)
        importlib.reload(spss)


# --------------------------------------------------------------------------- a new test, end to end
def test_a_new_test_runs_through_engine_tables_figures_and_methods(
        bm: registry.TestEntry) -> None:
    import matplotlib.pyplot as plt

    check_specs(_specs())  # the spec schema accepts every registered test
    results = run_hypotheses(_panel(), _specs(), sample="all")
    tests = results[results["role"] == "test"]
    assert set(tests["test"]) == {BM} and len(tests) == 3  # 2 years and pooled
    assert (tests["statistic"] == "brunner_munzel").all() and (tests["status"] == "ok").all()
    effects = results[results["role"] == "effect"]
    assert (effects["statistic"] == "cliffs_delta").all() and len(effects) == 3
    assert (results.loc[results["role"] == "test", "observed_direction"] == "negative").all()

    # "why this test" is never empty
    summary = journal.summary_table(results, "H9")
    assert all("configured: brunner_munzel" in " ".join(summary.panel_notes[panel])
               for panel in summary.panels)
    assert summary.display["Test"].tolist() == [BM] * 3
    first = tests.iloc[0]
    assert summary.display["Statistic"].iloc[0] == f"W = {format_num(first['value'])}"
    assert summary.display["Effect [95% CI]"].iloc[0].startswith("Cliff's delta = ")
    assert "direction from the Cliff's delta (group 1 above group 2 is positive)" in \
        summary.notes[0]

    # the detail table, from the entry's declarative columns (no table code for the test)
    out = tables.hypothesis_tables(results, "H9", labels={"H9": "Export share by size"})
    assert [t.stem for t in out] == ["H9_overview", "H9_summary", "H9_bm_test"]
    overview = out[0].display
    assert overview["Test"].tolist() == [BM] and overview.columns[-1] == "Pooled effect [95% CI]"
    assert overview["Pooled effect [95% CI]"].iloc[0].startswith("Cliff's delta ")
    detail = out[2]
    assert detail.title == "H9: Export share by size. Brunner-Munzel Test"
    assert list(detail.display.columns) == ["Year", "W", "df", "Sig. (2-tailed)",
                                            "Cliff's delta"]  # empty Note column dropped
    assert detail.display["Year"].tolist() == ["2015", "2016", "Pooled"]
    for (_, row), (_, disp) in zip(tests.iterrows(), detail.display.iterrows(), strict=True):
        assert disp["W"] == format_num(row["value"])
        assert disp["Sig. (2-tailed)"] == format_p(row["p"])
        assert disp["df"] == format_num(row["df"], 2)
    assert detail.raw["brunner_munzel_p"].tolist() == tests["p"].tolist()
    assert "Brunner-Munzel W with Welch-type df." in detail.notes
    assert detail.section == "H9: Export share by size"
    choices = journal.test_choice_table(results)  # a metric test: listed with its reason
    assert choices.display["Test used"].tolist() == [BM] * 3

    # the forest plot: a linear axis with the entry's axis title and a null line at 0
    fig, caption = figures.forest_figure(results, "H9")
    try:
        assert len(fig.axes) == 1
        ax = fig.axes[0]
        assert ax.get_xscale() == "linear"
        assert ax.get_xlabel() == AXIS
        assert any(list(line.get_xdata()) == [0.0, 0.0] for line in ax.lines)  # no effect
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert sorted(labels) == ["export_share · 2015 (delta)", "export_share · 2016 (delta)",
                                  "export_share · pooled (delta)"]
        points = sorted(float(line.get_xdata()[0]) for line in ax.lines
                        if line.get_marker() in ("o", "D"))
        assert points == pytest.approx(sorted(effects["value"].tolist()))
        assert f"{AXIS}: delta ({BM})" in caption
    finally:
        plt.close(fig)

    # the methods text names the test with the entry's sentence
    from analysis.config import check_config, load_yaml

    config = check_config(load_yaml("config/config.yaml"))
    summary_json = {"rows_kept": 80, "rows_excluded": 0, "rows_in": 80,
                    "firms": {"firms": 40, "SME": 20, "non-SME": 20}}
    text = report.methods_text(config, _specs(), {"description": "SME: 11-199"}, summary_json,
                               tests=results["test"].unique())
    assert bm.methods in text
    assert "Mann-Whitney U test" not in text  # only the tests used
    assert report.tests_of_specs(_specs()) == [BM]


def test_forest_axes_follow_the_registry_effects() -> None:
    """Odds ratios share one log axis (null 1); r and Hedges g get linear axes of their own."""
    import matplotlib.pyplot as plt

    rows = []
    for test, stat, value, group_term in (("crosstab", "odds_ratio", 0.5, "SME vs non-SME"),
                                          ("logit", "exp_b", 0.6, "is_SME"),
                                          ("mann_whitney", "r", -0.2, ""),
                                          ("welch_t", "hedges_g", 0.3, "")):
        spec = f"H8_{test}"
        for s, role in ((registry.entry(test).decides, "test"), (stat, "effect")):
            rows.append({"sample": "all", "hypothesis": "H8", "spec_id": spec,
                         "scope": "year", "year": 2015, "stratum_var": "", "stratum": "",
                         "group1": "SME", "test": test, "statistic": s,
                         "term": group_term if s == stat or test == "logit" else "",
                         "value": value if s == stat else 1.0, "df": np.nan, "p": 0.5,
                         "ci_low": np.nan, "ci_high": np.nan, "status": "ok", "reason": "",
                         "role": role})
    fig, caption = figures.forest_figure(pd.DataFrame(rows), "H8")
    try:
        axes = {" ".join(ax.get_xlabel().split()): ax for ax in fig.axes}  # wrapped titles
        odds = registry.entry("crosstab").forest.axis
        assert list(axes) == [odds, registry.entry("mann_whitney").forest.axis,
                              registry.entry("welch_t").forest.axis]  # log first
        assert axes[odds].get_xscale() == "log"
        assert any(list(line.get_xdata()) == [1.0, 1.0] for line in axes[odds].lines)
        assert {ax.get_xscale() for ax in fig.axes[1:]} == {"linear"}
        assert "OR (crosstab) and Exp(B) (logit)" in caption
    finally:
        plt.close(fig)


def test_auto_runs_the_registered_roles_and_a_second_role_holder_fails() -> None:
    assert registry.auto_test(normal=True) == "welch_t"
    assert registry.auto_test(normal=False) == "mann_whitney"
    with pytest.raises(registry.RegistryError, match="already the role of 'mann_whitney'"):
        register(_bm_entry(auto_when="not normal"))
    assert BM not in REGISTRY

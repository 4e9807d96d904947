"""Tests for the panel-based pathway classification (analysis.qual.pathways).

Each rule is exercised on hand-built firm histories just below, at and above its threshold.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.qual.pathways import (
    classify_pathways,
    load_pathway_config,
    pathway_mix,
    plot_pathway_mix,
)

ROOT = Path(__file__).resolve().parents[1]

# Thresholds written out here (not read from the config) so that the tests pin the rules.
TH = {
    "born_global_years": 3, "born_global_share": 25.0,
    "born_global_share_proxy": "first_observed",
    "born_again_min_domestic_years": 10, "born_again_share": 25.0, "born_again_rise_years": 3,
    "deint_drop_points": 10.0, "deint_min_years": 2, "deint_exit_min_zero_years": 1,
}


def firm(fid: str, founded: int, first_export: int | None, shares: dict[int, float],
         size: str = "SME", country: str = "Ghana") -> list[dict]:
    """One firm's rows; ``shares`` maps year -> export share (missing years simply absent)."""
    return [{"firm_id": fid, "country": country, "year": y, "founded": founded,
             "first_export_year": first_export, "export_share": s, "sme": size == "SME",
             "size_group": size, "employees": 50 if size == "SME" else 400}
            for y, s in shares.items()]


def panel(*firms: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame([r for f in firms for r in f])
    df["first_export_year"] = df["first_export_year"].astype("Int64")
    df["sme"] = df["sme"].astype("boolean")
    return df


def one(rows: list[dict], **th: object) -> pd.Series:
    return classify_pathways(panel(rows), {**TH, **th}).iloc[0]


# ---------------------------------------------------------------- domestic
def test_domestic_never_exported() -> None:
    r = one(firm("A", 2000, None, {2019: 0, 2020: 0, 2021: 0}))
    assert r["pathway"] == "domestic" and pd.isna(r["years_to_first_export"])


def test_first_export_after_panel_is_domestic_within_panel() -> None:
    r = one(firm("A", 2000, 2023, {2019: 0, 2020: 0, 2021: 0}))
    assert r["pathway"] == "domestic"


def test_missing_first_export_year_with_positive_share_uses_panel_proxy() -> None:
    r = one(firm("A", 2000, None, {2019: 0, 2020: 5, 2021: 6}))
    assert r["pathway"] == "traditional"
    assert r["first_export_source"] == "panel_proxy" and r["first_export_year"] == 2020


# ---------------------------------------------------------------- born global
@pytest.mark.parametrize("first_export, share, expected", [
    (2019, 25.0, "born_global"),       # 3 years, 25%: at both thresholds
    (2019, 24.9, "traditional"),       # share just below
    (2020, 40.0, "traditional"),       # 4 years: just above the window
    (2018, 80.0, "born_global"),       # well inside
])
def test_born_global_thresholds(first_export: int, share: float, expected: str) -> None:
    rows = firm("B", 2016, first_export, {2019: share if first_export <= 2019 else 0,
                                          2020: share, 2021: share})
    assert one(rows)["pathway"] == expected


def test_born_global_share_must_be_reached_within_window() -> None:
    # founded 2017, window ends 2020: 20% in 2019-2020, 30% only in 2021
    r = one(firm("B", 2017, 2019, {2019: 20, 2020: 20, 2021: 30}))
    assert r["pathway"] == "traditional"


def test_born_global_proxy_when_panel_starts_late() -> None:
    rows = firm("B", 2000, 2002, {2019: 30, 2020: 31, 2021: 32})
    r = one(rows)
    assert r["pathway"] == "born_global" and "proxy" in r["rule"]
    assert one(rows, born_global_share_proxy="none")["pathway"] == "traditional"
    assert one(firm("B", 2000, 2002, {2019: 24, 2020: 31, 2021: 32}))["pathway"] == "traditional"


# ---------------------------------------------------------------- born-again global
@pytest.mark.parametrize("founded, expected", [
    (2005, "born_again_global"),   # first export 2015: 10 domestic years, at threshold
    (2006, "traditional"),         # 9 years: just below
    (1990, "born_again_global"),   # 25 years: above
])
def test_born_again_domestic_years(founded: int, expected: str) -> None:
    rows = firm("C", founded, 2015, {2015: 5, 2016: 15, 2017: 26})
    assert one(rows)["pathway"] == expected


@pytest.mark.parametrize("year_reached, expected", [
    (2018, "born_again_global"),   # 3 years after first export: at threshold
    (2019, "traditional"),         # 4 years: just above the window
])
def test_born_again_rise_window(year_reached: int, expected: str) -> None:
    shares = {y: (30.0 if y >= year_reached else 10.0) for y in range(2015, 2020)}
    assert one(firm("C", 2000, 2015, shares))["pathway"] == expected


def test_born_again_share_just_below() -> None:
    assert one(firm("C", 2000, 2015, {2015: 10, 2016: 24.9, 2017: 24.9}))["pathway"] == (
        "traditional")


def test_born_again_not_judgeable_without_observed_window() -> None:
    # first export 1995 is long before the panel: no rise can be observed, no proxy
    assert one(firm("C", 1980, 1995, {2019: 60, 2020: 60, 2021: 60}))["pathway"] == (
        "traditional")


# ---------------------------------------------------------------- de-internationalizing
@pytest.mark.parametrize("shares, expected", [
    ({2019: 40, 2020: 30, 2021: 30}, "de_internationalizing"),   # drop 10 = threshold
    ({2019: 40, 2020: 30.1, 2021: 30.1}, "traditional"),         # drop 9.9
    ({2019: 40, 2020: 20, 2021: 15}, "de_internationalizing"),   # above
    ({2019: 40, 2020: 40, 2021: 25}, "traditional"),             # only 1 obs below (< 2)
])
def test_deint_drop_and_duration(shares: dict[int, float], expected: str) -> None:
    assert one(firm("D", 1990, 2000, shares))["pathway"] == expected


def test_deint_duration_threshold_is_configurable() -> None:
    rows = firm("D", 1990, 2000, {2019: 40, 2020: 40, 2021: 25})
    assert one(rows, deint_min_years=1)["pathway"] == "de_internationalizing"


def test_exit_from_exporting() -> None:
    rows = firm("E", 1990, 2000, {2019: 5, 2020: 5, 2021: 0})
    r = one(rows)
    assert r["pathway"] == "de_internationalizing" and r["rule"].startswith(
        "de_internationalizing: exit")
    assert one(rows, deint_exit_min_zero_years=2)["pathway"] == "traditional"


def test_exit_before_panel_with_reported_first_export() -> None:
    r = one(firm("E", 1990, 2000, {2019: 0, 2020: 0, 2021: 0}))
    assert r["pathway"] == "de_internationalizing"


def test_precedence_deint_over_born_global() -> None:
    rows = firm("F", 2017, 2018, {2019: 50, 2020: 35, 2021: 35})
    r = one(rows)
    assert r["pathway"] == "de_internationalizing"
    assert r["rules_matched"] == "de_internationalizing;born_global;traditional"
    other = {"thresholds": TH, "precedence": ["domestic", "born_global", "born_again_global",
                                               "de_internationalizing", "traditional"]}
    assert classify_pathways(panel(rows), other)["pathway"].iloc[0] == "born_global"


def test_missing_years_count_as_absent_observations() -> None:
    # 2020 missing: 40 -> 28 is a 12-point drop, but only one trailing observation
    gap = firm("G", 1990, 2000, {2019: 40, 2021: 28})
    assert one(gap)["pathway"] == "traditional"
    assert one(gap)["n_obs"] == 2
    # 2019 missing: the run 25, 25 spans the gap and counts as two observations
    gap2 = firm("G", 1990, 2000, {2018: 40, 2020: 25, 2021: 25})
    assert one(gap2)["pathway"] == "de_internationalizing"


# ---------------------------------------------------------------- validation
def test_duplicate_firm_year_rejected() -> None:
    rows = firm("A", 2000, None, {2019: 0}) * 2
    with pytest.raises(ValueError, match="duplicated"):
        classify_pathways(panel(rows), TH)


def test_inconsistent_founding_year_rejected() -> None:
    rows = firm("A", 2000, None, {2019: 0}) + firm("A", 2001, None, {2020: 0})
    with pytest.raises(ValueError, match="founded"):
        classify_pathways(panel(rows), TH)


def test_unknown_threshold_rejected() -> None:
    with pytest.raises(ValueError, match="born_global_yrs"):
        classify_pathways(panel(firm("A", 2000, None, {2019: 0})), {"born_global_yrs": 3})


def test_config_file_loads() -> None:
    cfg = load_pathway_config(ROOT / "config" / "pathways.yaml")
    assert set(cfg["thresholds"]) <= set(TH)
    assert cfg["precedence"][0] == "domestic"


# ---------------------------------------------------------------- mix, crosstab, plot
@pytest.fixture()
def classified() -> pd.DataFrame:
    p = panel(
        firm("a", 2000, None, {2019: 0, 2020: 0}),                               # domestic
        firm("b", 2017, 2018, {2019: 30, 2020: 30}),                             # born global
        firm("c", 1990, 2000, {2019: 10, 2020: 12}, country="India"),            # traditional
        firm("d", 1990, 2000, {2019: 40, 2020: 20, 2021: 20}, size="non-SME"),  # de-int
        firm("e", 1990, 2000, {2019: 50, 2021: 55}, size="non-SME", country="India"),
        firm("f", 1990, 2000, {2019: 50, 2020: 55}, size="non-SME"),
        firm("g", 2000, None, {2019: 0}, size="non-SME", country="India"),
    )
    return classify_pathways(p, TH)


def test_mix_counts_reconcile(classified: pd.DataFrame) -> None:
    for by in [("size_group",), ("country",), ("country", "size_group"), ()]:
        mix = pathway_mix(classified, by=by)
        assert mix["n"].sum() == len(classified) == 7
        if by:
            assert mix.drop_duplicates(list(by))["group_n"].sum() == 7
            assert mix.groupby(list(by))["share"].sum().round(12).eq(1).all()
    mix = pathway_mix(classified)
    sme = mix[mix["size_group"] == "SME"].set_index("pathway")["n"]
    assert (sme["domestic"], sme["born_global"], sme["traditional"]) == (1, 1, 1)
    non = mix[mix["size_group"] == "non-SME"].set_index("pathway")["n"]
    assert (non["de_internationalizing"], non["traditional"], non["domestic"]) == (1, 2, 1)
    assert list(mix["size_group"].unique()) == ["SME", "non-SME"]


def test_crosstab_uses_analysis_tests(classified: pd.DataFrame) -> None:
    from analysis.qual.pathways import pathway_crosstab

    extra = classified.iloc[[0]].assign(firm_id="h", size_group=pd.NA)  # no size group
    out = pathway_crosstab(pd.concat([classified, extra], ignore_index=True))
    for col in ("statistic", "term", "value", "df", "p", "status", "reason"):
        assert col in out.columns
    assert "pearson_chi2" in set(out["statistic"])
    stat = out.set_index(["statistic", "term"])["value"]
    assert stat[("n_valid", "")] == 7  # the firm without a size group is dropped
    assert stat[("observed", "born_global|SME")] == 1
    assert stat[("observed", "de_internationalizing|non-SME")] == 1
    assert stat[("observed", "traditional|non-SME")] == 2


def test_plot_is_deterministic_with_caption(classified: pd.DataFrame, tmp_path: Path) -> None:
    mix = pathway_mix(classified, by=("country", "size_group"))
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    cap = plot_pathway_mix(mix, a)
    plot_pathway_mix(mix, b)
    assert a.read_bytes() == b.read_bytes() and a.stat().st_size > 1000
    assert "n = 7 firms" in cap and "percent" in cap


def test_module_import_is_lean() -> None:
    code = ("import sys, analysis.qual.pathways, analysis.qual.cases, analysis.qual.integration; "
            "print(any(m in sys.modules for m in ('matplotlib', 'seaborn')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"

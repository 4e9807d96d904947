"""Tests for the panel-based pathway classification (analysis.qual.pathways).

Each rule is exercised on hand-built firm histories just below, at and above its threshold.
The whole-panel (array) classification is checked against a per-firm reference implementation
(``oracle_classify``) on random panels, thresholds and precedences.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.errors import PipelineInputError
from analysis.qual.pathways import (
    CLASSIFIED_COLUMNS,
    OPTIONAL_COLUMNS,
    PATHWAYS,
    REQUIRED_COLUMNS,
    SIZE_ORDER,
    _resolve,
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


# ---------------------------------------------------------------- oracle: the per-firm rules
# The rules as first written, one firm at a time (a Python loop over firms). classify_pathways
# computes them over the whole panel with array operations; the tests below require the two to
# give the same frame, text for text.
def _g(x: float) -> str:
    return f"{x:g}"


def _firm_attrs(g: pd.DataFrame) -> dict[str, Any]:
    fid = g["firm_id"].iloc[0]
    problems = []
    for col in ("country", "founded", "first_export_year"):
        vals = g[col].dropna().unique()
        if len(vals) > 1:
            problems.append(f"firm {fid}: {col} differs between years ({sorted(map(str, vals))})")
    if problems:
        raise PipelineInputError("panel: firm attributes must be constant", problems)
    first = g.iloc[0]
    sme = first["sme"] if "sme" in g else pd.NA
    size = first["size_group"] if "size_group" in g else pd.NA
    fe = g["first_export_year"].dropna()
    return {
        "firm_id": fid,
        "country": g["country"].dropna().iloc[0] if g["country"].notna().any() else pd.NA,
        "sme": pd.NA if pd.isna(sme) else bool(sme),
        "size_group": pd.NA if pd.isna(size) else str(size),
        "founded": int(g["founded"].dropna().iloc[0]) if g["founded"].notna().any() else pd.NA,
        "first_export_year": int(fe.iloc[0]) if len(fe) else pd.NA,
    }


def _classify_firm(g: pd.DataFrame, th: Mapping[str, Any],
                   precedence: Sequence[str]) -> dict[str, Any]:
    a = _firm_attrs(g)
    obs = g.loc[g["export_share"].notna(), ["year", "export_share"]]
    years = [int(y) for y in obs["year"]]
    shares = [float(s) for s in obs["export_share"]]
    founded = a["founded"]
    last_year = int(g["year"].max())

    fey = a["first_export_year"]
    source = "reported"
    if pd.isna(fey):
        positive = [y for y, s in zip(years, shares, strict=True) if s > 0]
        if positive:
            fey, source = positive[0], "panel_proxy"
        else:
            source = "none"
    ytf = pd.NA if pd.isna(fey) or pd.isna(founded) else int(fey) - int(founded)
    exported = (not pd.isna(fey) and int(fey) <= last_year) or any(s > 0 for s in shares)

    fired: dict[str, str] = {}
    # domestic -----------------------------------------------------------------------------
    if not exported:
        why = "never exported: first_export_year NA and export share 0 in every observed year"
        if not pd.isna(fey):
            why = f"no export by the end of the panel (first export {int(fey)} > {last_year})"
        if not shares:
            why += " (no export share observed)"
        fired["domestic"] = why
    else:
        # de-internationalizing: sustained fall -------------------------------------------
        if len(shares) >= 2:
            mx = max(shares)
            y_mx = years[shares.index(mx)]
            level = mx - float(th["deint_drop_points"])
            run = 0
            for s in reversed(shares):
                if s <= level:
                    run += 1
                else:
                    break
            if run >= int(th["deint_min_years"]):
                fired["de_internationalizing"] = (
                    f"sustained fall: max {_g(mx)}% ({y_mx}) -> last {_g(shares[-1])}% "
                    f"({years[-1]}), drop {_g(mx - shares[-1])} >= "
                    f"{_g(float(th['deint_drop_points']))} points; {run} trailing obs <= "
                    f"{_g(level)}% (>= {int(th['deint_min_years'])})")
        # de-internationalizing: exit -----------------------------------------------------
        zeros = 0
        for s in reversed(shares):
            if s == 0:
                zeros += 1
            else:
                break
        if zeros >= int(th["deint_exit_min_zero_years"]) and "de_internationalizing" not in fired:
            before = shares[: len(shares) - zeros]
            first_zero_year = years[len(shares) - zeros]
            if any(s > 0 for s in before):
                last_pos = max(i for i, s in enumerate(before) if s > 0)
                fired["de_internationalizing"] = (
                    f"exit: {_g(before[last_pos])}% in {years[last_pos]}, then 0% in the last "
                    f"{zeros} obs ({first_zero_year}-{years[-1]}; >= "
                    f"{int(th['deint_exit_min_zero_years'])})")
            elif source == "reported" and int(fey) < first_zero_year:
                fired["de_internationalizing"] = (
                    f"exit: first export reported in {int(fey)}, 0% in all {zeros} observed "
                    f"years ({first_zero_year}-{years[-1]})")
        # born global ---------------------------------------------------------------------
        bg_years, bg_share = int(th["born_global_years"]), float(th["born_global_share"])
        if not pd.isna(ytf) and ytf <= bg_years:
            end = int(founded) + bg_years
            window = [(y, s) for y, s in zip(years, shares, strict=True) if y <= end]
            if window:
                hits = [(y, s) for y, s in window if s >= bg_share]
                if hits:
                    fired["born_global"] = (
                        f"first export {ytf} <= {bg_years} years after founding ({founded}); "
                        f"share {_g(hits[0][1])}% >= {_g(bg_share)}% in {hits[0][0]} (within "
                        f"{bg_years} years)")
            elif (th["born_global_share_proxy"] == "first_observed" and shares
                  and shares[0] >= bg_share):
                fired["born_global"] = (
                    f"first export {ytf} <= {bg_years} years after founding ({founded}); "
                    f"proxy: first observed share {_g(shares[0])}% ({years[0]}, age "
                    f"{years[0] - int(founded)}) >= {_g(bg_share)}%")
        # born-again global ---------------------------------------------------------------
        min_dom = int(th["born_again_min_domestic_years"])
        if not pd.isna(ytf) and ytf >= min_dom:
            end = int(fey) + int(th["born_again_rise_years"])
            ba_share = float(th["born_again_share"])
            window = [(y, s) for y, s in zip(years, shares, strict=True)
                      if int(fey) <= y <= end and s >= ba_share]
            if window:
                y_hit, s_hit = window[0]
                fired["born_again_global"] = (
                    f"domestic {ytf} >= {min_dom} years after founding ({founded}); share "
                    f"{_g(s_hit)}% >= {_g(ba_share)}% in {y_hit}, {y_hit - int(fey)} <= "
                    f"{int(th['born_again_rise_years'])} years after first export ({int(fey)})")
        # traditional ---------------------------------------------------------------------
        fired["traditional"] = (
            "exported; no other rule fired"
            + ("" if pd.isna(ytf) else f" (first export {ytf} years after founding)"))

    pathway = next(p for p in precedence if p in fired)
    rule = f"{pathway}: {fired[pathway]}"
    if source == "panel_proxy":
        rule += f" [first_export_year missing; first positive share ({int(fey)}) used]"
    return {
        **a,
        "first_export_year": pd.NA if pd.isna(fey) else int(fey),
        "first_export_source": source,
        "years_to_first_export": ytf,
        "n_obs": len(shares),
        "first_year": int(g["year"].min()),
        "last_year": last_year,
        "first_export_share": shares[0] if shares else float("nan"),
        "max_export_share": max(shares) if shares else float("nan"),
        "last_export_share": shares[-1] if shares else float("nan"),
        "pathway": pathway,
        "rule": rule,
        "rules_matched": ";".join(p for p in precedence if p in fired),
    }


def oracle_classify(panel: pd.DataFrame,
                    thresholds: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """classify_pathways as a loop over firms (the reference implementation)."""
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
    df = panel.sort_values(["firm_id", "year"], kind="stable")
    rows = [_classify_firm(g, th, precedence) for _, g in df.groupby("firm_id", sort=True)]
    out = pd.DataFrame(rows, columns=CLASSIFIED_COLUMNS)
    for col in ("founded", "first_export_year", "years_to_first_export"):
        out[col] = out[col].astype("Int64")
    out["sme"] = out["sme"].astype("boolean")
    return out.reset_index(drop=True)


def oracle_mix(classified: pd.DataFrame, by: Sequence[str] = ("size_group",),
               pathways: Sequence[str] = PATHWAYS) -> pd.DataFrame:
    """pathway_mix with its groups ordered by a Python key per row (the reference)."""
    by = list(by)
    df = classified.copy()
    for col in by:
        df[col] = df[col].astype("string").fillna("(missing)").astype(str)
    if not by:
        df["_all"] = "all"
        keys = ["_all"]
    else:
        keys = by
    groups = df[keys].drop_duplicates()
    full = groups.merge(pd.DataFrame({"pathway": list(pathways)}), how="cross")
    counts = df.groupby(keys + ["pathway"]).size().rename("n").reset_index()
    out = full.merge(counts, on=keys + ["pathway"], how="left")
    out["n"] = out["n"].fillna(0).astype(int)
    out["group_n"] = out.groupby(keys)["n"].transform("sum").astype(int)
    out["share"] = out["n"] / out["group_n"]
    out["percent"] = 100.0 * out["share"]
    sort_cols = []
    for col in keys:
        key = f"_k_{col}"
        order = {g: i for i, g in enumerate(SIZE_ORDER)} if col == "size_group" else {}
        out[key] = out[col].map(lambda v, o=order: (o.get(v, len(o)), v))
        sort_cols.append(key)
    out["_p"] = out["pathway"].map({p: i for i, p in enumerate(pathways)})
    out = out.sort_values(sort_cols + ["_p"], kind="stable").drop(columns=sort_cols + ["_p"])
    if not by:
        out = out.drop(columns="_all")
    return out.reset_index(drop=True)


def random_panel(rng: np.random.Generator, n_firms: int) -> pd.DataFrame:
    """Random firm histories: varied years, gaps, missing shares and attributes, ties, zeros,
    shares at and around the default thresholds, rows in shuffled order."""
    rows = []
    countries = ["Ghana", "India", "Mexico", "Peru"]
    share_pool = [0.0, 0.0, 0.0, 5.0, 10.0, 15.0, 24.9, 25.0, 30.0, 35.0, 40.0, 50.0, 80.0]
    for i in range(n_firms):
        first = int(rng.integers(2005, 2021))
        years = [first] + [y for y in range(first + 1, first + int(rng.integers(1, 8)))
                           if rng.random() > 0.2]                           # gaps
        founded = int(first - rng.integers(-1, 30))
        fey = (pd.NA if rng.random() < 0.35
               else int(founded + rng.integers(-2, 30)))
        country = countries[int(rng.integers(len(countries)))]
        size = ("SME", "non-SME")[int(rng.integers(2))]
        size_first = pd.NA if rng.random() < 0.1 else size
        kind = rng.random()
        for j, y in enumerate(years):
            if kind < 0.25:
                share = 0.0
            elif kind < 0.65:
                share = float(share_pool[int(rng.integers(len(share_pool)))])
            else:
                share = float(np.round(rng.uniform(0, 90), 1)) if rng.random() > 0.25 else 0.0
            if rng.random() < 0.12:
                share = np.nan
            if rng.random() < 0.02:
                share = -0.0
            rows.append({
                "firm_id": f"F{i:04d}", "country": pd.NA if rng.random() < 0.1 else country,
                "year": y, "founded": pd.NA if rng.random() < 0.05 else founded,
                "first_export_year": pd.NA if rng.random() < 0.1 else fey,
                "export_share": share,
                "sme": pd.NA if j == 0 and size_first is pd.NA else size == "SME",
                "size_group": size_first if j == 0 else size,
                "employees": int(rng.integers(5, 500)),
            })
    df = pd.DataFrame(rows).sample(frac=1.0, random_state=int(rng.integers(1 << 31)))
    for col in ("year", "founded", "first_export_year", "employees"):
        df[col] = df[col].astype("Int64")
    df["firm_id"] = df["firm_id"].astype("string")
    df["country"] = df["country"].astype("string")
    df["sme"] = df["sme"].astype("boolean")
    df["size_group"] = pd.Categorical(df["size_group"], categories=["SME", "non-SME"])
    return df.reset_index(drop=True)


def random_thresholds(rng: np.random.Generator) -> dict[str, Any]:
    pick = lambda xs: xs[int(rng.integers(len(xs)))]  # noqa: E731
    th = {
        "born_global_years": pick([0, 1, 3, 5, 3.0]),
        "born_global_share": pick([0.0, 10.0, 25.0, 50, 12.5]),
        "born_global_share_proxy": pick(["first_observed", "none"]),
        "born_again_min_domestic_years": pick([0, 5, 10, 15]),
        "born_again_share": pick([15.0, 25.0, 24.9]),
        "born_again_rise_years": pick([0, 1, 3, 6]),
        "deint_drop_points": pick([0.5, 5.0, 10.0, 30.0, 10]),
        "deint_min_years": pick([1, 2, 3]),
        "deint_exit_min_zero_years": pick([1, 2, 3]),
    }
    th = {k: v for k, v in th.items() if rng.random() > 0.2}   # some left at the defaults
    if rng.random() < 0.5:
        th["precedence"] = list(rng.permutation(PATHWAYS))
    return th


def assert_same(panel_: pd.DataFrame, th: Mapping[str, Any] | None) -> pd.DataFrame:
    got = classify_pathways(panel_, th)
    want = oracle_classify(panel_, th)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    return got


@pytest.mark.parametrize("seed", range(5))
def test_vectorized_equals_per_firm_oracle(seed: int) -> None:
    rng = np.random.default_rng(20260 + seed)
    p = random_panel(rng, 120)
    th = random_thresholds(rng)
    got = assert_same(p, th)
    p = p[p["firm_id"] < "F0040"]                  # variants on a third of the firms
    assert got["rules_matched"].nunique() >= 4   # several rules fire, alone and together
    variant = seed % 3
    if variant == 0:      # the optional columns missing (as in the WBES extract)
        assert_same(p.drop(columns=["first_export_year"]), th)
        assert_same(p.drop(columns=["founded", "first_export_year", "sme", "size_group"]), th)
    elif variant == 1:    # plain numpy / object dtypes instead of the nullable ones
        q = p.dropna(subset=["year"]).astype({"firm_id": object, "country": object,
                                             "size_group": object, "year": "int64"})
        assert_same(q.astype({"first_export_year": "Float64", "founded": "float64"}), th)
    else:                 # a single year per firm; whole config file form; defaults
        single = p.sort_values("year").drop_duplicates("firm_id")
        assert_same(single, {"thresholds": {k: v for k, v in th.items() if k != "precedence"},
                             "precedence": th.get("precedence")})
        assert_same(p, None)
    for by in [("size_group",), ("country",), ("country", "size_group"), ()]:
        pd.testing.assert_frame_equal(pathway_mix(got, by=by), oracle_mix(got, by=by),
                                      check_exact=True)


def test_vectorized_equals_oracle_on_edge_panels() -> None:
    rows = (
        firm("a", 2000, None, {2019: 0})                                    # one year, domestic
        + firm("b", 2000, 2030, {2019: 0, 2020: 0})                         # first export later
        + firm("c", 2000, None, {2019: 0, 2020: 7})                         # panel proxy
        + firm("d", 1990, 2000, {2019: 40, 2020: 40, 2021: 30, 2022: 30})   # tie at the max
        + firm("e", 1990, 2000, {2019: 0, 2020: 0})                         # exit before panel
        + firm("f", 2017, 2018, {2019: 50, 2020: 35, 2021: 35})             # several rules
        + firm("g", 1980, 1995, {2019: 60})
        + firm("h", 2005, 2015, {2015: 5, 2016: 15, 2017: 26})
    )
    p = panel(rows)
    p.loc[p["firm_id"] == "a", "export_share"] = np.nan                # no share observed
    extra = p.iloc[[0]].assign(firm_id="i", year=2019, export_share=np.nan, founded=pd.NA)
    p = pd.concat([p, extra, p.iloc[[1]].assign(year=pd.NA, export_share=np.nan),
                   p.iloc[[2]].assign(firm_id=pd.NA)], ignore_index=True)   # no firm: dropped
    for th in (TH, {**TH, "born_global_share_proxy": "none", "deint_min_years": 1},
               {"precedence": list(reversed(PATHWAYS))}):
        assert_same(p, th)
    assert_same(p.iloc[:0], TH)                                        # no firms at all


def test_vectorized_raises_as_oracle() -> None:
    rows = (firm("a", 2000, None, {2019: 0}) + firm("b", 2000, 2010, {2019: 0, 2020: 5})
            + firm("c", 2000, None, {2019: 0}))
    p = panel(rows)
    p.loc[2, "founded"] = 2001                       # b's founding year changes
    p.loc[2, "country"] = "India"                    # ... and its country
    p.loc[3, "founded"] = 1999                       # c's too: only the first firm is reported
    p = pd.concat([p, p.iloc[[3]].assign(year=2020, founded=2000)], ignore_index=True)
    errs = []
    for fn in (classify_pathways, oracle_classify):
        with pytest.raises(PipelineInputError) as info:
            fn(p, TH)
        errs.append((str(info.value), getattr(info.value, "problems", None)))
    assert errs[0] == errs[1] and "firm b: founded" in errs[0][0] + str(errs[0][1])
    # a threshold that cannot be read fails only when a firm reaches its rule, in both
    bad = {**TH, "born_global_years": "three"}
    domestic = panel(firm("a", 2000, None, {2019: 0}))
    pd.testing.assert_frame_equal(classify_pathways(domestic, bad), oracle_classify(domestic, bad))
    exporter = panel(firm("b", 2000, 2010, {2019: 5}))
    for fn in (classify_pathways, oracle_classify):
        with pytest.raises(ValueError, match="three"):
            fn(exporter, bad)
    # a missing year with an observed share: the error int() gives for it (NA or NaN)
    for dtype in ("Int64", "float64"):
        p = panel(firm("a", 2000, None, {2019: 0, 2020: 5}))
        p["year"] = p["year"].astype(dtype)
        p.loc[1, "year"] = pd.NA
        raised = []
        for fn in (classify_pathways, oracle_classify):
            with pytest.raises((TypeError, ValueError)) as info:
                fn(p, TH)
            raised.append(type(info.value))
        assert raised[0] == raised[1]


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

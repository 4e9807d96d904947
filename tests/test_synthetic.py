"""The synthetic-panel generator (analysis/synthetic.py) and the committed data/synthetic/."""

from __future__ import annotations

import copy
import io

import numpy as np
import pandas as pd
import pytest
from conftest import COUNTRIES, REPO, SYNTHETIC_DIR, run_chain

from analysis.config import check_config, load_yaml
from analysis.data.synthetic import COLUMNS, generate, main, to_csv_text, write_panels

PARAMS_PATH = REPO / "config" / "synthetic.yaml"


@pytest.fixture(scope="module")
def params() -> dict:
    return load_yaml(PARAMS_PATH)


@pytest.fixture(scope="module")
def committed() -> pd.DataFrame:
    """The committed panels, read as plain CSV (comment line skipped)."""
    frames = [pd.read_csv(SYNTHETIC_DIR / f"{c}.csv", comment="#", dtype={"firm_id": str})
              for c in COUNTRIES]
    return pd.concat(frames, ignore_index=True)


def written(df: pd.DataFrame, outdir, params) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in write_panels(df, outdir, params)}


# --------------------------------------------------------------------------- determinism


def test_regenerating_gives_the_committed_files_byte_for_byte(tmp_path, params):
    files = written(generate(params), tmp_path, params)
    assert sorted(files) == sorted(f"{c}.csv" for c in COUNTRIES)
    for name, content in files.items():
        assert content == (SYNTHETIC_DIR / name).read_bytes(), name


def test_two_runs_give_the_same_bytes_and_another_seed_differs(tmp_path, params):
    first = written(generate(params), tmp_path / "a", params)
    second = written(generate(copy.deepcopy(params)), tmp_path / "b", params)
    assert first == second
    other = copy.deepcopy(params)
    other["seed"] = params["seed"] + 1
    third = written(generate(other), tmp_path / "c", other)
    assert all(third[name] != first[name] for name in first)


def test_command_line(tmp_path, capsys):
    main(["--config", str(PARAMS_PATH), "--out", str(tmp_path)])
    printed = capsys.readouterr().out.split()
    assert sorted(printed) == sorted(str(tmp_path / f"{c}.csv") for c in COUNTRIES)
    for c in COUNTRIES:
        assert (tmp_path / f"{c}.csv").read_bytes() == (SYNTHETIC_DIR / f"{c}.csv").read_bytes()
    main(["--config", str(PARAMS_PATH), "--out", str(tmp_path / "s"), "--seed", "7"])
    first_line = (tmp_path / "s" / "ghana.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "(seed 7)" in first_line


# --------------------------------------------------------------------------- design


def test_every_file_says_synthetic():
    for c in COUNTRIES:
        first = (SYNTHETIC_DIR / f"{c}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# SYNTHETIC DATA")
        assert "NOT the study's microdata" in first and "seed 20240611" in first


def test_design_of_the_committed_panels(committed, codebook):
    df = committed
    assert list(df.columns) == COLUMNS
    # every canonical variable, except survey-specific ones marked `synthetic: false`
    assert {v for v, s in codebook["variables"].items() if s.get("synthetic", True)} <= set(
        df.columns)
    assert sorted(df["country"].unique()) == ["Ghana", "India", "Malaysia", "Mexico",
                                              "Venezuela"]
    assert df["firm_id"].nunique() == 114
    # three consecutive years for every firm
    years = df.groupby("firm_id")["year"].apply(lambda s: sorted(s.tolist()))
    assert all(y == [2015, 2016, 2017] for y in years)
    assert len(df) == 342
    # 57 SMEs (more than 10 and fewer than 200 employees) and 57 non-SMEs (200 or more) in the
    # first year
    first = df[df["year"] == 2015]
    assert ((first["employees"] > 10) & (first["employees"] < 200)).sum() == 57
    assert (first["employees"] >= 200).sum() == 57
    # every country has SMEs and non-SMEs
    sme = first["employees"] < 200
    assert (first[sme].groupby("country").size() >= 11).all()
    assert (first[~sme].groupby("country").size() >= 11).all()
    # firm ids carry the country code, so they are unique across panels
    assert (df["firm_id"].str[:3] == df["country"].map(
        {"India": "IND", "Ghana": "GHA", "Mexico": "MEX", "Venezuela": "VEN",
         "Malaysia": "MYS"})).all()


def test_yes_no_variables_are_coded_one_zero(committed, codebook):
    for var, spec in codebook["variables"].items():
        if spec["type"] == "boolean":
            assert set(committed[var].unique()) <= {0, 1}, var
            assert 0 < committed[var].mean() < 1, var  # both answers occur


def test_internal_consistency(committed):
    df = committed
    fey = df["first_export_year"]
    exporting = df["export_share"] > 0
    # first export no later than any year with exports, and not before the founding year
    assert (fey[exporting] <= df.loc[exporting, "year"]).all()
    assert fey[exporting].notna().all()
    assert (fey.dropna() >= df.loc[fey.notna(), "founded"]).all()
    # never-exporters have no first export year
    ever = exporting.groupby(df["firm_id"]).transform("any")
    assert fey[~ever].isna().all() and fey[ever].notna().all()
    # export share 0 exactly when not exporting; otherwise within (0, 100]
    assert ((df["export_share"] == 0) | ((df["export_share"] > 0)
                                         & (df["export_share"] <= 100))).all()
    # ROTA is 100 * net income / total assets, to the 2 decimals written
    assert np.allclose(df["rota"], 100 * df["net_income"] / df["total_assets"], atol=0.005 + 1e-9)
    assert (df["total_assets"] > 0).all() and (df["founded"] < df["year"]).all()
    assert (df["mgmt_team_size"] >= 1).all()
    # the founding year and sector are firm constants
    assert (df.groupby("firm_id")[["founded", "sector", "country"]].nunique() == 1).all().all()


def test_effect_directions_in_the_committed_panels(committed):
    """A few of the directions the parameters encode (large effects only, so not fragile)."""
    df = committed
    sme = (df.groupby("firm_id")["employees"].transform("first") < 200)
    assert df.loc[sme, "networking"].mean() < df.loc[~sme, "networking"].mean()
    assert df.loc[sme, "growth_intention"].mean() > df.loc[~sme, "growth_intention"].mean()


def test_effect_directions_in_expectation(params):
    """Directions the parameters encode, on a draw large enough to show expectations: the
    calibrated H2 effect (all firms) is small, so a draw of 114 firms can reverse it."""
    df = generate(params, scale=100)
    sme = (df.groupby("firm_id")["employees"].transform("first") < 200)
    assert df.loc[sme, "export_share"].mean() < df.loc[~sme, "export_share"].mean()
    assert (df.loc[sme, "export_share"] > 0).mean() < (df.loc[~sme, "export_share"] > 0).mean()
    from scipy.stats import mannwhitneyu

    u = mannwhitneyu(df.loc[sme, "export_share"], df.loc[~sme, "export_share"]).statistic
    assert u / (sme.sum() * (~sme).sum()) < 0.5  # an SME's degree is lower more often than not


def test_scale_multiplies_the_firms(params):
    df = generate(params, scale=50)
    assert df.shape == (114 * 50 * 3, len(COLUMNS))
    assert df["firm_id"].nunique() == 5700
    first = df[df["year"] == 2015]
    assert ((first["employees"] >= 11) & (first["employees"] <= 199)).sum() == 57 * 50
    assert df["firm_id"].str.len().max() == len("IND-1140")  # ids widen with the number of firms
    assert not df.duplicated(["firm_id", "year"]).any()


# --------------------------------------------------------------------------- through the pipeline


def test_committed_panels_pass_ingest_and_validate_without_exclusions(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    cfg = check_config(load_yaml(REPO / "config" / "config.yaml"))
    panels = {name: {**p, "path": str(REPO / p["path"])} for name, p in cfg["panels"].items()}
    res = run_chain(tmp_path, panels, derive=cfg["derive"])
    for name, summary in res["panels"].items():
        assert summary["rows_excluded"] == 0, name
        assert summary["reconciles"] and summary["synthetic"] is True
    pooled = res["pooled"]
    assert (pooled["rows_in"], pooled["rows_kept"], pooled["rows_excluded"]) == (342, 342, 0)
    assert pooled["firms"] == {"SME": 57, "non-SME": 57, "firms": 114}
    assert pooled["synthetic"] is True
    panel = pd.read_parquet(res["dir"] / "pooled.parquet")
    assert panel["synthetic"].all()


def test_generated_csv_parses_back_to_the_frame(params):
    df = generate(params)
    back = pd.read_csv(io.StringIO(to_csv_text(df, params["seed"])), comment="#",
                       dtype={"firm_id": str})
    assert back["firm_id"].tolist() == df["firm_id"].tolist()
    assert np.allclose(back["export_share"], df["export_share"].astype(float))


def test_a_synthetic_file_is_marked_synthetic_even_if_the_config_forgets(tmp_path):
    panels = {"india": {"path": str(SYNTHETIC_DIR / "india.csv"), "read": {"comment": "#"},
                        "mapping": {"preset": "synthetic"}}}  # no `synthetic: true`
    res = run_chain(tmp_path, panels)
    assert res["panels"]["india"]["synthetic"] is True
    assert res["pooled"]["synthetic"] is True
    assert pd.read_parquet(res["dir"] / "pooled.parquet")["synthetic"].all()

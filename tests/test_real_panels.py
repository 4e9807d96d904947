"""Issue 10, "Real panels": own panel sets, absent variables, firm constants, readers, designs.

One test (at least) per numbered item of the issue; every fixture file is written here, under
``tmp_path``. The end-to-end runs (a WBES-layout panel with a design alone and beside the
defaults, a YTE overlay refused) are in tests/test_pipeline.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import CODEBOOK, PRESETS, REPO, assert_message, map_file, run_chain, write_text
from wbes_fixture import PANEL_SHEET, wbes_rows, write_wbes

from analysis.config import (
    check_config,
    check_input_paths,
    load_yaml,
    panel_sources,
    refuse_code,
)
from analysis.data.ingest import read_panel
from analysis.data.pool import pool_panels
from analysis.data.validate import validate_panel
from analysis.errors import PipelineInputError

CLEAN = """
firm_id,country,year,employees,export_share,founded,first_export_year
A1,Peru,2016,50,0,1990,2017
A1,Peru,2017,52,20,1990,2017
B2,Peru,2016,300,10,1980,2000
B2,Peru,2017,310,12,1980,2000
"""


def base_config() -> dict:
    cfg = load_yaml(REPO / "config" / "config.yaml")
    cfg["codebook"] = str(CODEBOOK)
    cfg["presets_dir"] = str(PRESETS)
    return cfg


def wbes_panel_cfg(path: Path, **extra) -> dict:
    return {"path": str(path), "mapping": {"preset": "wbes", "constants": {"country": "Peru"}},
            **extra}


# --------------------------------------------------------------------------- 1. own panel set
def test_panel_sheet_replaces_the_default_panels(tmp_path):
    sheet = tmp_path / "my_panels.yaml"
    sheet.write_text(PANEL_SHEET, encoding="utf-8")
    cfg = base_config() | {"panels_file": str(sheet)}
    checked = check_config(cfg)
    assert list(checked["panels"]) == ["peru"]  # the five synthetic panels are gone
    assert checked["panels"]["peru"]["config_file"] == str(sheet)
    assert checked["panels"]["peru"]["survey"]["weights"] == "wmedian"


def test_a_panel_set_to_null_in_an_overlay_is_removed():
    cfg = base_config()
    cfg["panels"] |= {"india": None, "ghana": None}
    checked = check_config(cfg)
    assert list(checked["panels"]) == ["mexico", "venezuela", "malaysia"]


def test_panel_sheet_that_is_not_a_mapping_is_named(tmp_path):
    sheet = tmp_path / "bad.yaml"
    sheet.write_text("- peru\n", encoding="utf-8")
    with pytest.raises(PipelineInputError) as exc_info:
        check_config(base_config() | {"panels_file": str(sheet)})
    assert_message(exc_info, str(sheet), "a panel sheet", "must be a YAML mapping")


def test_quick_start_shows_your_own_data():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "your own data" in quick.lower() and "panels_file" in quick


# --------------------------------------------------------------------------- 2. absent variables
def test_pathways_of_a_panel_without_first_export_year(tmp_path):
    from analysis.qual.pathways import classify_pathways, run_pathways

    summaries = run_chain(tmp_path, {"peru": wbes_panel_cfg(write_wbes(tmp_path / "p.csv"))})
    pooled = pd.read_parquet(summaries["dir"] / "pooled.parquet")
    assert "first_export_year" not in pooled
    classified = classify_pathways(pooled)
    assert len(classified) == pooled["firm_id"].nunique()
    assert set(classified["first_export_source"]) <= {"panel_proxy", "none"}
    out = tmp_path / "pw"
    out.mkdir()
    caption = run_pathways(
        panel_path=str(summaries["dir"] / "pooled.parquet"),
        config_path=str(REPO / "config" / "pathways.yaml"),
        out_classified=str(out / "c.csv"), out_mix=str(out / "m.csv"),
        out_crosstab=str(out / "x.csv"), out_figure=str(out / "f.png"))
    assert "Not available in this panel: first_export_year" in caption
    assert (out / "f.png").is_file()


# --------------------------------------------------------------------------- 3. firm constants
CHANGING = """
firm_id,country,year,employees,export_share,founded
A1,Peru,2015,50,0,1990
A1,Peru,2016,52,20,1991
A1,Peru,2017,52,20,1990
B2,Peru,2016,300,10,1980
B2,Chile,2017,310,12,1980
"""


def test_a_firm_constant_that_changes_stops_validation_naming_rows_and_values(tmp_path, codebook):
    path = write_text(tmp_path / "panel.csv", CHANGING)
    out, _, _ = map_file(path, {}, codebook)
    with pytest.raises(PipelineInputError) as exc_info:
        validate_panel(out, codebook, panel="p", path=str(path), config_file="mine.yaml")
    assert_message(
        exc_info, str(path), "row 2 (firm_id=A1, year=2016)", "column 'founded'",
        "value 1991 differs from firm A1's founded 1990 (1990 in rows [1, 3]; 1991 in rows [2])",
        "column 'country'", "value 'Chile' differs from firm B2's country 'Peru'",
        "must be the same every year", "`on_invalid: exclude` on panels.p in mine.yaml")


def test_firm_constants_under_exclude_keep_the_majority_and_ledger_the_rest(tmp_path, codebook):
    path = write_text(tmp_path / "panel.csv", CHANGING)
    out, _, _ = map_file(path, {}, codebook)
    kept, ledger = validate_panel(out, codebook, panel="p", path=str(path),
                                  on_invalid="exclude")
    assert ledger["row"].tolist() == [2, 5]
    assert "differs from firm A1's founded 1990" in ledger["reason"].iloc[0]
    # a tie (B2: Peru once, Chile once) keeps the value of the earliest year
    assert "differs from firm B2's country 'Peru'" in ledger["reason"].iloc[1]
    assert len(kept) + len(ledger) == len(out)


def test_changing_first_export_year_no_longer_crashes_pathways(tmp_path):
    text = CLEAN.replace("B2,Peru,2017,310,12,1980,2000", "B2,Peru,2017,310,12,1980,2001")
    path = write_text(tmp_path / "c.csv", text)
    with pytest.raises(PipelineInputError) as exc_info:
        run_chain(tmp_path, {"p": {"path": str(path)}})
    assert_message(exc_info, "column 'first_export_year'", "value 2001", "row 4")
    summaries = run_chain(tmp_path, {"p": {"path": str(path), "on_invalid": "exclude"}})
    assert summaries["pooled"]["rows_excluded"] == 1 and summaries["pooled"]["reconciles"]


# --------------------------------------------------------------------------- 4. '#' in a value
def test_comment_skips_only_whole_lines_not_a_hash_inside_a_value(tmp_path, codebook):
    path = tmp_path / "hash.csv"
    path.write_text(
        "# SYNTHETIC DATA - a notice line\n"
        "firm_id,country,year,employees,export_share,sector\n"
        'A1,Peru,2016,50,12.5,"Tools #2"\n'
        "  # an indented comment line\n"
        "A1,Peru,2017,51,14,Tools #3\n", encoding="utf-8")
    out, ledger, info = map_file(path, {}, codebook, read={"comment": "#"})
    assert len(ledger) == 0 and info["rows_kept"] == 2
    assert out["sector"].tolist() == ["Tools #2", "Tools #3"]
    assert out["export_share"].tolist() == [12.5, 14.0]


def test_default_panels_read_whole_and_stay_synthetic(tmp_path):
    summaries = run_chain(tmp_path, {"india": {
        "path": str(REPO / "data" / "synthetic" / "india.csv"), "read": {"comment": "#"},
        "mapping": {"preset": "synthetic"}}})
    assert summaries["pooled"]["synthetic"] is True  # the notice still marks it synthetic
    assert summaries["pooled"]["reconciles"]


# --------------------------------------------------------------------------- 5. input paths
def test_a_misspelt_panel_path_stops_at_start_up(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    cfg = check_config(load_yaml(REPO / "config" / "config.yaml"))
    cfg["panels"]["india"]["path"] = "data/synthetic/indai.csv"
    with pytest.raises(PipelineInputError) as exc_info:
        check_input_paths(cfg)
    assert_message(exc_info, "config.panels.india.path (config/config.yaml)",
                   "'data/synthetic/indai.csv' not found",
                   "did you mean 'data/synthetic/india.csv'?")
    check_input_paths(check_config(load_yaml(REPO / "config" / "config.yaml")))  # all there


# --------------------------------------------------------------------------- 6. 0-1 shares
def test_percent_variable_never_above_one_is_warned(tmp_path):
    text = CLEAN.replace(",20,", ",0.2,").replace(",10,", ",0.1,").replace(",12,", ",0.12,")
    path = write_text(tmp_path / "share.csv", text)
    summaries = run_chain(tmp_path, {"p": {"path": str(path)}})
    (warning,) = summaries["pooled"]["warnings"]
    for part in ("export_share is a percentage", "never exceeds 1 (max 0.2",
                 "add `scale: {export_share: 100}` to panels.p.mapping in config/config.yaml"):
        assert part in warning
    assert summaries["panels"]["p"]["warnings"] == [warning]
    # with scale: no warning
    summaries = run_chain(tmp_path, {"p": {"path": str(path),
                                           "mapping": {"scale": {"export_share": 100}}}})
    assert summaries["pooled"]["warnings"] == []


def test_report_shows_data_warnings():
    src = (REPO / "analysis" / "render" / "report.py").read_text(encoding="utf-8")
    assert 'summary.get("warnings")' in src and "Data warnings" in src


# --------------------------------------------------------------------------- 7. no code in config
def test_a_yte_overlay_is_refused(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text('__use_yte__: true\nalpha: ?__import__("os").getpid()\n', encoding="utf-8")
    with pytest.raises(PipelineInputError) as exc_info:
        refuse_code([REPO / "config" / "config.yaml", evil])
    assert_message(exc_info, str(evil), "__use_yte__", "nothing in this project's configuration "
                   "may run as code")
    refuse_code([REPO / "config" / "config.yaml"])  # the committed config is plain data


# --------------------------------------------------------------------------- 8. smaller items
def test_decimal_comma_csv(tmp_path, codebook):
    path = tmp_path / "dc.csv"
    path.write_text("firm_id;country;year;employees;export_share;total_assets\n"
                    "A1;Peru;2016;50;12,5;1.234,75\n"
                    "A1;Peru;2017;51;0;1234\n", encoding="utf-8")
    out, ledger, _ = map_file(path, {}, codebook, read={"decimal": ","})
    assert out["export_share"].tolist() == [12.5, 0.0]
    assert out["total_assets"].tolist() == [1234.75, 1234.0]


def test_excel_title_rows_and_wrong_sheet(tmp_path, codebook):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame([["Survey of firms, 2017"], [None]]).to_excel(
            xw, sheet_name="Firms", index=False, header=False)
        pd.read_csv(pd.io.common.StringIO(CLEAN.strip())).to_excel(
            xw, sheet_name="Firms", index=False, startrow=2)
        pd.DataFrame({"x": [1]}).to_excel(xw, sheet_name="Notes", index=False)
    out, _, _ = map_file(path, {}, codebook, fmt="excel",
                         read={"sheet": "Firms", "skiprows": 2})
    assert out["firm_id"].tolist() == ["A1", "A1", "B2", "B2"]
    with pytest.raises(PipelineInputError) as exc_info:
        read_panel(path, "excel", {"sheet": "firms"})
    assert_message(exc_info, str(path), "no sheet 'firms' (did you mean 'Firms'?)",
                   "its sheets: ['Firms', 'Notes']")


def test_did_you_mean_for_mapping_targets(tmp_path, codebook):
    path = write_text(tmp_path / "t.csv", CLEAN.replace("employees", "staff"))
    with pytest.raises(PipelineInputError) as exc_info:
        map_file(path, {"rename": {"staff": "employes"}}, codebook)
    assert_message(exc_info, "['employes']", "'employes' (did you mean 'employees'?)")


def test_messages_name_the_config_file_the_panel_came_from(tmp_path):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("panels:\n  peru: {path: data/peru.csv}\n", encoding="utf-8")
    sources = panel_sources([REPO / "config" / "config.yaml", overlay])
    assert sources["india"] == str(REPO / "config" / "config.yaml") or \
        sources["india"].endswith("config/config.yaml")
    assert sources["peru"].endswith("overlay.yaml")
    path = write_text(tmp_path / "bad.csv", CLEAN.replace("0,1990", "x,1990"))
    cfg = {"path": str(path), "config_file": "config/mine.yaml"}
    with pytest.raises(PipelineInputError) as exc_info:
        run_chain(tmp_path, {"p": cfg})
    assert_message(exc_info, "map them in config/mine.yaml (panels.p.mapping)")


@pytest.mark.parametrize("word, value", [("false", False), ("False", False), ("true", True)])
def test_per_country_from_the_command_line(word, value):
    assert check_config(base_config() | {"per_country": word})["per_country"] is value


def test_na_strings_are_suggested_as_missing_codes(tmp_path, codebook):
    path = write_text(tmp_path / "na.csv", CLEAN.replace("52,20", "NA,20"))
    with pytest.raises(PipelineInputError) as exc_info:
        map_file(path, {}, codebook)
    assert_message(exc_info, "value 'NA' is not a number",
                   "['NA'] look like missing-value codes",
                   "`missing_codes: {default: ['NA']}`")


def test_wbes_preset_on_an_extract_without_a4a(tmp_path, codebook):
    rows = [{k: v for k, v in r.items() if k != "a4a"} for r in wbes_rows(6)]
    path = write_wbes(tmp_path / "no_a4a.csv", rows)
    out, ledger, info = map_file(path, {"preset": "wbes", "constants": {"country": "Peru"}},
                                 codebook)
    assert "sector" not in out and "sector" in info["variables_missing"]
    assert info["optional_columns_absent"] == ["a4a"] and len(out) == 12


def test_wbes_exporter_definitions(tmp_path):
    summaries = run_chain(tmp_path, {"peru": wbes_panel_cfg(write_wbes(tmp_path / "p.csv"))})
    df = pd.read_parquet(summaries["dir"] / "peru.parquet")
    total = df["direct_export_share"] + df["indirect_export_share"]
    assert (df["export_share"] == total).all()
    assert (df["exporter_1pct"] == (total >= 1)).all()
    assert (df["exporter_10pct"] == (total >= 10)).all()
    assert (df["direct_exporter_10pct"] == (df["direct_export_share"] >= 10)).all()
    book = load_yaml(CODEBOOK)
    assert {"direct_export_share", "indirect_export_share"} <= set(book["variables"])
    assert {"exporter_1pct", "exporter_10pct", "direct_exporter_10pct"} <= set(book["derived"])


# --------------------------------------------------------------------------- 9. SPSS .sav
def write_sav(path: Path) -> Path:
    import pyreadstat

    df = pd.DataFrame({
        "id": ["S1", "S1", "S2", "S2"], "yr": [2016.0, 2017.0, 2016.0, 2017.0],
        "staff": [40.0, 42.0, 250.0, 260.0], "exp": [0.0, 15.0, 30.0, 35.0],
        "cert": [1.0, 2.0, 1.0, 1.0], "ctry": [1.0, 1.0, 2.0, 2.0],
    })
    pyreadstat.write_sav(
        df, str(path),
        column_labels=["Firm id", "Year", "Employees", "Export %", "Certified", "Country"],
        variable_value_labels={"cert": {1.0: "Yes", 2.0: "No"},
                               "ctry": {1.0: "Ghana", 2.0: "Peru"}})
    return path


def test_spss_sav_is_read_with_its_value_labels(tmp_path, codebook):
    path = write_sav(tmp_path / "panel.sav")
    labels: dict = {}
    raw = read_panel(path, "spss", {"value_labels": True}, labels)
    assert raw["ctry"].tolist() == ["Ghana", "Ghana", "Peru", "Peru"]
    assert labels["value_labels"]["cert"] == {1: "Yes", 2: "No"}
    assert labels["variable_labels"]["exp"] == "Export %"
    mapping = {"rename": {"id": "firm_id", "yr": "year", "staff": "employees",
                          "exp": "export_share", "cert": "tqm", "ctry": "country"}}
    out, ledger, _ = map_file(path, mapping, codebook, fmt="spss",
                              read={"value_labels": True})
    assert out["country"].tolist() == ["Ghana", "Ghana", "Peru", "Peru"]
    assert out["tqm"].tolist() == [True, False, True, True]  # labels Yes/No as yes/no codes
    codes = read_panel(path, "spss")  # without value_labels: the codes
    assert codes["cert"].tolist() == [1.0, 2.0, 1.0, 1.0]
    assert check_config(base_config() | {"panels": {"s": {"path": str(path)}}})[
        "panels"]["s"]["format"] == "spss"


def test_spss_labels_reach_the_ingest_record(tmp_path):
    path = write_sav(tmp_path / "panel.sav")
    mapping = {"rename": {"id": "firm_id", "yr": "year", "staff": "employees",
                          "exp": "export_share", "cert": "tqm", "ctry": "country"}}
    summaries = run_chain(tmp_path, {"s": {"path": str(path), "format": "spss",
                                           "read": {"value_labels": True},
                                           "mapping": mapping}})
    info = json.loads((summaries["dir"] / "s.ingested.json").read_text(encoding="utf-8"))
    assert info["labels"]["value_labels"]["ctry"] == {"1": "Ghana", "2": "Peru"}


# --------------------------------------------------------------------------- survey design
def design_cfg(path: Path, **survey) -> dict:
    return wbes_panel_cfg(path, survey={"weights": "wmedian", "alternatives": ["wstrict"],
                                        "strata": ["a6a", "a4a"], **survey})


def test_survey_design_columns_and_summary(tmp_path):
    summaries = run_chain(tmp_path, {"peru": design_cfg(write_wbes(tmp_path / "p.csv"),
                                                        clusters="a2")})
    df = pd.read_parquet(summaries["dir"] / "peru.parquet")
    raw = pd.read_csv(tmp_path / "p.csv", dtype=str)
    assert df["_weight"].dtype == float and (df["_weight"] > 0).all()
    assert df["_weight"].tolist() == raw["wmedian"].astype(float).tolist()
    assert df["_weight_wstrict"].tolist() == raw["wstrict"].astype(float).tolist()
    assert df["_stratum"].tolist() == (raw["a6a"] + "|" + raw["a4a"]).tolist()
    assert df["_cluster"].tolist() == raw["a2"].tolist()
    design = summaries["panels"]["peru"]["survey"]
    assert design == {"weights": "wmedian", "weight_column": "_weight",
                      "alternatives": {"wstrict": "_weight_wstrict"},
                      "strata": ["a6a", "a4a"], "stratum_column": "_stratum",
                      "clusters": "a2", "cluster_column": "_cluster",
                      "single_unit": "certainty"}
    assert summaries["pooled"]["panels"]["peru"]["survey"] == design
    assert set(df["_single_unit"]) == {"certainty"}


def test_the_single_unit_rule_reaches_the_engine(tmp_path):
    from analysis.engine.comparisons import _Columns

    summaries = run_chain(tmp_path, {"peru": design_cfg(write_wbes(tmp_path / "p.csv"),
                                                        single_unit="center")})
    panel = pd.read_parquet(summaries["dir"] / "peru.parquet")
    assert _Columns(panel).single_unit == "center"


def test_a_non_positive_weight_is_an_invalid_value(tmp_path):
    rows = wbes_rows(6)
    rows[2]["wmedian"], rows[5]["wmedian"] = "0", ""
    path = write_wbes(tmp_path / "w.csv", rows)
    with pytest.raises(PipelineInputError) as exc_info:
        run_chain(tmp_path, {"peru": design_cfg(path)})
    assert_message(exc_info, str(path), "row 3 (firm_id=PE0002, year=2017)",
                   "column '_weight' (source column 'wmedian'): value '0' is not a valid "
                   "sampling weight (a weight must be a number > 0)", "row 6")
    summaries = run_chain(tmp_path, {"peru": design_cfg(path, ) | {"on_invalid": "exclude"}})
    ledger = pd.read_csv(summaries["dir"] / "pooled.exclusions.csv")
    assert ledger["row"].tolist() == [3, 6]
    assert ledger["reason"].str.contains("not a valid sampling weight").all()
    assert summaries["pooled"]["reconciles"]


def test_survey_names_a_column_not_in_the_file(tmp_path):
    path = write_wbes(tmp_path / "w.csv", wbes_rows(3))
    with pytest.raises(PipelineInputError) as exc_info:
        run_chain(tmp_path, {"peru": design_cfg(path, weights="wmedain")})
    assert_message(exc_info, "survey weights names column 'wmedain' (did you mean 'wmedian'?)")


def test_survey_schema_did_you_mean():
    cfg = base_config()
    cfg["panels"]["india"]["survey"] = {"weight": "w", "single_unit": "centre"}
    with pytest.raises(PipelineInputError) as exc_info:
        check_config(cfg)
    assert_message(exc_info, "config.panels.india.survey", "unknown key 'weight' (did you mean "
                   "'weights'?)", "'centre' is not one of", "did you mean 'center'?")


def test_pooling_panels_with_and_without_a_design_keeps_the_columns(tmp_path):
    clean = write_text(tmp_path / "clean.csv", CLEAN)
    summaries = run_chain(tmp_path, {
        "peru": design_cfg(write_wbes(tmp_path / "p.csv")), "other": {"path": str(clean)}})
    pooled = pd.read_parquet(summaries["dir"] / "pooled.parquet")
    mine = pooled["panel"] == "peru"
    assert pooled.loc[mine, "_weight"].notna().all()
    assert pooled.loc[~mine, "_weight"].isna().all()
    assert pooled.loc[~mine, "_stratum"].isna().all()
    assert summaries["pooled"]["panels"]["other"]["survey"] is None
    frames = {n: pd.read_parquet(summaries["dir"] / f"{n}.parquet") for n in ("peru", "other")}
    assert list(pool_panels(frames).columns) == list(pooled.columns)

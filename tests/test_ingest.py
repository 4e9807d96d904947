"""Reading panel files and mapping them onto the canonical variables (analysis/ingest.py).

Every fixture is written by the test into tmp_path; expected values are worked out by hand.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import assert_message, map_file, write_text

from analysis.data.derive import doi_band
from analysis.data.ingest import LEDGER_COLUMNS, read_panel
from analysis.data.validate import validate_panel
from analysis.errors import PipelineInputError

NA = pd.NA
LABELS = ["none", "low", "medium", "high"]


def values(series: pd.Series) -> list:
    """Series values as a plain list with missing values as None (for exact comparisons)."""
    return [None if pd.isna(v) else v for v in series.tolist()]


# --------------------------------------------------------------------------- canonical files


def test_canonical_file_needs_no_mapping(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        firm_id,country,year,employees,export_share
        F1,Ghana,2015,25,12.5
        F2,Ghana,2016,300,0
    """)
    out, ledger, info = map_file(path, {}, codebook)
    assert list(out.columns) == ["_row", "panel", "firm_id", "country", "year", "employees",
                                 "export_share"]
    assert values(out["_row"]) == [1, 2]
    assert values(out["panel"]) == ["p", "p"]
    assert values(out["firm_id"]) == ["F1", "F2"]
    assert values(out["year"]) == [2015, 2016]
    assert values(out["employees"]) == [25, 300]
    assert values(out["export_share"]) == [12.5, 0.0]
    assert str(out["year"].dtype) == "Int64" and str(out["employees"].dtype) == "Int64"
    assert out["export_share"].dtype == np.float64
    assert len(ledger) == 0 and list(ledger.columns) == LEDGER_COLUMNS
    assert info["rows_read"] == 2 and info["rows_kept"] == 2 and info["rows_excluded"] == 0
    assert "founded" in info["variables_missing"] and "rota" in info["variables_missing"]
    assert "firm_id" not in info["variables_missing"]


def test_rename_constants_and_ignored_columns(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        id,yr,staff,exp,region
        007,2015,25,12.5,north
        007,2016,31,0,north
    """)
    mapping = {"rename": {"id": "firm_id", "yr": "year", "staff": "employees",
                          "exp": "export_share"},
               "constants": {"country": "Ghana"}}
    out, _, info = map_file(path, mapping, codebook)
    assert values(out["firm_id"]) == ["007", "007"]  # identifiers keep leading zeros
    assert values(out["year"]) == [2015, 2016]
    assert values(out["employees"]) == [25, 31]
    assert values(out["export_share"]) == [12.5, 0.0]
    assert values(out["country"]) == ["Ghana", "Ghana"]
    assert info["ignored_columns"] == ["region"]
    assert info["sources"]["employees"] == "staff"
    assert info["sources"]["country"] == "(constant)"


def test_rename_wins_over_a_column_with_the_canonical_name(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        firm_id,country,year,employees,export_share,employees_fte
        F1,Ghana,2015,25,0,22
    """)
    out, _, info = map_file(path, {"rename": {"employees_fte": "employees"}}, codebook)
    assert values(out["employees"]) == [22]
    assert info["ignored_columns"] == ["employees"]


def test_sum_builds_export_share_from_direct_and_indirect(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        firm_id,year,employees,direct,indirect
        F1,2015,25,30,10.5
        F2,2015,30,0,0
        F3,2015,40,,5
        F4,2015,50,1.1,2.2
    """)
    mapping = {"sum": {"export_share": ["direct", "indirect"]}, "constants": {"country": "Ghana"}}
    out, _, info = map_file(path, mapping, codebook)
    # 30 + 10.5; 0 + 0; missing part -> missing; 1.1 + 2.2 exactly 3.3 (not 3.3000000000000003)
    assert values(out["export_share"]) == [40.5, 0.0, None, 3.3]
    assert info["sources"]["export_share"] == "direct+indirect"
    assert info["ignored_columns"] == []
    # a cut-off at 3.3 puts 1.1 + 2.2 in the band up to 3.3
    bands = doi_band(out["export_share"], [3.3, 40], LABELS)
    assert values(pd.Series(bands.astype(object))) == ["high", "none", None, "low"]


def test_missing_codes_default_and_per_column(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        firm_id,country,year,employees,export_share,founded,net_income,sector
        F1,Ghana,2015,25,10,-9,-8,food
        F2,Ghana,2015,-8,0,1990,-9,n/a
        F3,Ghana,2015,40,5,9999,12,-8
    """)
    mapping = {"missing_codes": {"default": [-9],
                                 "columns": {"founded": [9999], "employees": [-8],
                                             "sector": ["n/a"]}}}
    out, _, _ = map_file(path, mapping, codebook)
    assert values(out["founded"]) == [None, 1990, None]        # -9 (default), 9999 (column)
    assert values(out["employees"]) == [25, None, 40]          # -8 only for employees
    assert values(out["net_income"]) == [-8.0, None, 12.0]     # -8 is a real value here
    assert values(out["sector"]) == ["food", None, "-8"]       # 'n/a' only for sector


def test_missing_codes_match_numeric_values_in_typed_files(tmp_path, codebook):
    frame = pd.DataFrame({"firm_id": ["F1", "F2"], "country": ["Ghana", "Ghana"],
                          "year": [2015, 2015], "employees": [25.0, -9.0],
                          "export_share": [-9.0, 4.0]})
    path = tmp_path / "p.parquet"
    frame.to_parquet(path, index=False)
    out, _, _ = map_file(path, {"missing_codes": {"default": [-9]}}, codebook, fmt="parquet")
    assert values(out["employees"]) == [25, None]
    assert values(out["export_share"]) == [None, 4.0]


# --------------------------------------------------------------------------- yes / no codes


YES_NO_FILE = """
    firm_id,country,year,employees,export_share,tqm,jit,innovation
    F1,Ghana,2015,25,0,1,Y,1
    F2,Ghana,2015,30,0,2,N,2
    F3,Ghana,2015,35,0,,N,-9
"""


def test_default_yes_no_codes(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        firm_id,country,year,employees,export_share,tqm
        F1,Ghana,2015,25,0,1
        F2,Ghana,2015,25,0,0
        F3,Ghana,2015,25,0,yes
        F4,Ghana,2015,25,0,No
        F5,Ghana,2015,25,0,TRUE
        F6,Ghana,2015,25,0,
    """)
    out, _, _ = map_file(path, {}, codebook)
    assert values(out["tqm"]) == [True, False, True, False, True, None]
    assert str(out["tqm"].dtype) == "boolean"


def test_yes_no_codes_one_two_and_per_column(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", YES_NO_FILE)
    mapping = {"missing_codes": {"default": [-9]},
               "yes_no": {"codes": {"yes": [1], "no": [2]},
                          "columns": {"jit": {"yes": ["Y"], "no": ["N"]}}}}
    out, _, _ = map_file(path, mapping, codebook)
    assert values(out["tqm"]) == [True, False, None]
    assert values(out["jit"]) == [True, False, False]
    assert values(out["innovation"]) == [True, False, None]


def test_yaml_yes_no_key_and_value_trap(tmp_path, codebook):
    """Unquoted `yes:`/`no:` (keys and values) are booleans in YAML 1.1; they must still work."""
    mapping = yaml.safe_load(
        "missing_codes: {default: [-9]}\n"
        "yes_no:\n"
        "  codes:\n"
        "    yes: [1]\n"
        "    no: [2]\n"
        "  columns:\n"
        "    jit: {yes: [Y], no: [N]}\n"
        "    tqm: {yes: [yes, si], no: [no]}\n"
    )
    assert set(mapping["yes_no"]["codes"]) == {True, False}           # the trap: keys
    assert mapping["yes_no"]["columns"]["tqm"][True] == [True, "si"]  # the trap: values
    path = write_text(tmp_path / "p.csv", """
        firm_id,country,year,employees,export_share,tqm,jit,innovation
        F1,Ghana,2015,25,0,yes,Y,1
        F2,Ghana,2015,30,0,no,N,2
        F3,Ghana,2015,35,0,si,N,-9
        F4,Ghana,2015,35,0,Yes,Y,2
    """)
    out, _, _ = map_file(path, mapping, codebook)
    assert values(out["tqm"]) == [True, False, True, True]
    assert values(out["jit"]) == [True, False, False, True]
    assert values(out["innovation"]) == [True, False, None, False]


def test_unknown_yes_no_code_is_an_error(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        firm_id,country,year,employees,export_share,tqm
        F1,Ghana,2015,25,0,1
        F2,Ghana,2016,25,0,3
    """)
    with pytest.raises(PipelineInputError) as exc_info:
        map_file(path, {"yes_no": {"codes": {"yes": [1], "no": [2]}}}, codebook)
    assert_message(exc_info, str(path), "panel 'p'", "1 invalid value(s)",
                   "row 2 (firm_id=F2, year=2016)", "column 'tqm'", "value '3'",
                   "is not a known yes/no code (yes: [1], no: [2])",
                   "add it to mapping.yes_no or to mapping.missing_codes",
                   "set `on_invalid: exclude`")


def test_yes_no_columns_must_name_canonical_variables(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        firm_id,country,year,employees,export_share,b8
        F1,Ghana,2015,25,0,1
    """)
    mapping = {"rename": {"b8": "tqm"}, "yes_no": {"columns": {"b8": {"yes": [1], "no": [2]}}}}
    with pytest.raises(PipelineInputError) as exc_info:
        map_file(path, mapping, codebook)
    assert_message(exc_info, "mapping.yes_no.columns names ['b8']",
                   "not canonical yes/no variables", "'b8' is renamed to 'tqm': use that name",
                   "panels.p.mapping")


# --------------------------------------------------------------------------- scaling


def test_scale_share_from_fraction_to_percent(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        firm_id,country,year,employees,share,assets_usd
        F1,Ghana,2015,25,0.29,2500000
        F2,Ghana,2015,25,0.07,1234
        F3,Ghana,2015,25,1,
        F4,Ghana,2015,25,0,0
    """)
    mapping = {"rename": {"share": "export_share", "assets_usd": "total_assets"},
               "scale": {"export_share": 100, "total_assets": 0.001}}
    out, _, _ = map_file(path, mapping, codebook)
    # exact: 0.07 * 100 is 7.000000000000001 and 0.29 * 100 is 28.999999999999996 in floats
    assert values(out["export_share"]) == [29.0, 7.0, 100.0, 0.0]
    assert values(out["total_assets"]) == [2500.0, 1.234, None, 0.0]
    # the cut-offs 7 and 29 are band edges: (0, 7] low, (7, 29] medium
    bands = doi_band(out["export_share"], [7, 29], LABELS)
    assert values(pd.Series(bands.astype(object))) == ["medium", "low", "high", "none"]


# --------------------------------------------------------------------------- formats


def small_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "firm_id": ["A-01", "A-01", "B-02"],
        "country": ["Mexico", "Mexico", "Mexico"],
        "year": [2015, 2016, 2015],
        "employees": [25, 27, 420],
        "export_share": [12.5, 0.0, 55.25],
        "founded": [1990.0, 1990.0, np.nan],
        "sector": ["food", "food", None],
        "tqm": [1, 0, 1],
    })


EXPECTED_SMALL = {
    "firm_id": ["A-01", "A-01", "B-02"],
    "country": ["Mexico", "Mexico", "Mexico"],
    "year": [2015, 2016, 2015],
    "employees": [25, 27, 420],
    "export_share": [12.5, 0.0, 55.25],
    "founded": [1990, 1990, None],
    "sector": ["food", "food", None],
    "tqm": [True, False, True],
}


def write_format(frame: pd.DataFrame, path, fmt: str) -> None:
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt == "stata":
        frame.to_stata(path, write_index=False)
    else:
        frame.to_excel(path, index=False, sheet_name="panel", engine="openpyxl")


@pytest.mark.parametrize(("fmt", "suffix"), [("csv", ".csv"), ("parquet", ".parquet"),
                                             ("stata", ".dta"), ("excel", ".xlsx")])
def test_every_input_format_gives_the_same_canonical_panel(tmp_path, codebook, fmt, suffix):
    path = tmp_path / f"panel{suffix}"
    write_format(small_frame(), path, fmt)
    read = {"sheet": "panel"} if fmt == "excel" else None
    out, ledger, info = map_file(path, {}, codebook, fmt=fmt, read=read)
    for var, expected in EXPECTED_SMALL.items():
        assert values(out[var]) == expected, var
    assert str(out["firm_id"].dtype) == "string" and str(out["founded"].dtype) == "Int64"
    assert len(ledger) == 0 and info["rows_kept"] == 3


def test_csv_reader_options(tmp_path, codebook):
    path = tmp_path / "p.csv"
    path.write_bytes("# exported 2020\nfirm_id;country;year;employees;export_share\n"
                     "F1;México;2015;25;3\n".encode("latin-1"))
    out, _, _ = map_file(path, {}, codebook,
                         read={"sep": ";", "encoding": "latin-1", "comment": "#"})
    assert values(out["country"]) == ["México"]
    assert values(out["_row"]) == [1]  # row 1 is the first data row, comment lines not counted


# --------------------------------------------------------------------------- WBES


WBES_ROWS = [
    # idstd, year, l1, b5, a4a, d3a, d3b, d3c, b8, h1
    (523101, 2019, 45, 2001, 15, 65.0, 10.0, 25.0, 1, 2),
    (523102, 2019, -9, -9, 17, 100.0, 0.0, 0.0, 2, 1),
    (523103, 2019, 250, 1990, 24, 40.0, -9.0, 60.0, -9, -8),
    (523104, 2019, 12, 2015, 15, 96.7, 1.1, 2.2, 1, -7),
    (523105, 2019, 120, 1985, 29, 20.0, 0.0, 80.0, 1, 1),
]
WBES_COLUMNS = ["idstd", "year", "l1", "b5", "a4a", "d3a", "d3b", "d3c", "b8", "h1"]
# worked out by hand from the WBES questionnaire: export share = d3b (indirect) + d3c (direct);
# -9/-8/-7 are missing; b8 and h1 are 1 = yes, 2 = no
WBES_EXPECTED = {
    "firm_id": ["523101", "523102", "523103", "523104", "523105"],
    "country": ["Ghana"] * 5,
    "year": [2019] * 5,
    "employees": [45, None, 250, 12, 120],
    "founded": [2001, None, 1990, 2015, 1985],
    "sector": ["15", "17", "24", "15", "29"],
    "export_share": [35.0, 0.0, None, 3.3, 80.0],
    "tqm": [True, False, None, True, True],
    "innovation": [False, True, None, None, True],
}
WBES_MAPPING = {"preset": "wbes", "constants": {"country": "Ghana"}}


def wbes_frame() -> pd.DataFrame:
    frame = pd.DataFrame(WBES_ROWS, columns=WBES_COLUMNS)
    for col in ("idstd", "year", "l1", "b5", "a4a", "b8", "h1"):
        frame[col] = frame[col].astype("int32")  # Stata 'long', as in the WBES files
    return frame


def check_wbes(out: pd.DataFrame, info: dict) -> None:
    for var, expected in WBES_EXPECTED.items():
        assert values(out[var]) == expected, var
    assert info["ignored_columns"] == ["d3a"]
    for var in ("first_export_year", "total_assets", "net_income", "mgmt_team_size", "jit"):
        assert var in info["variables_missing"]


def test_wbes_extract_in_stata_maps_through_the_preset(tmp_path, codebook):
    path = tmp_path / "ghana_2019.dta"
    wbes_frame().to_stata(path, write_index=False)
    out, ledger, info = map_file(path, WBES_MAPPING, codebook, fmt="stata", panel="ghana")
    check_wbes(out, info)
    assert len(ledger) == 0
    # validation: the firm without an employee count and the one without an export share are
    # excluded and recorded, with the reason
    kept, vledger = validate_panel(out, codebook, panel="ghana", path=str(path))
    assert values(kept["firm_id"]) == ["523101", "523104", "523105"]
    assert values(vledger["row"]) == [2, 3]
    assert values(vledger["firm_id"]) == ["523102", "523103"]
    assert "column 'employees': value is missing" in vledger.loc[0, "reason"]
    assert "column 'export_share': value is missing" in vledger.loc[1, "reason"]


@pytest.mark.parametrize("fmt", ["csv", "excel", "parquet"])
def test_wbes_extract_in_other_formats(tmp_path, codebook, fmt):
    frame = wbes_frame()
    if fmt == "parquet":  # ids stored as floats must not become '523101.0'
        frame["idstd"] = frame["idstd"].astype(float)
    path = tmp_path / f"ghana.{ {'csv': 'csv', 'excel': 'xlsx', 'parquet': 'parquet'}[fmt] }"
    write_format(frame, path, fmt)
    out, _, info = map_file(path, WBES_MAPPING, codebook, fmt=fmt, panel="ghana")
    check_wbes(out, info)


def test_wbes_panel_override_merged_over_the_preset(tmp_path, codebook):
    frame = wbes_frame().drop(columns=["h1"])  # an extract without the innovation question
    frame.loc[0, "b5"] = 9999                  # this country codes an unknown founding year 9999
    frame.loc[1, "b8"] = 3                     # and has a third answer 'in process' for b8
    path = tmp_path / "ghana.csv"
    frame.to_csv(path, index=False)
    mapping = {"preset": "wbes", "constants": {"country": "Ghana"},
               "rename": {"h1": None},
               "missing_codes": {"columns": {"b5": [9999]}},
               "yes_no": {"columns": {"tqm": {"yes": [1], "no": [2, 3]}}}}
    out, _, info = map_file(path, mapping, codebook, panel="ghana")
    assert values(out["founded"]) == [None, None, 1990, 2015, 1985]
    assert values(out["tqm"]) == [True, False, None, True, True]
    assert values(out["export_share"]) == [35.0, 0.0, None, 3.3, 80.0]  # preset's sum kept
    assert "innovation" in info["variables_missing"]


# --------------------------------------------------------------------------- bad inputs


def test_missing_file(tmp_path):
    with pytest.raises(PipelineInputError) as exc_info:
        read_panel(tmp_path / "nope.csv", "csv")
    assert_message(exc_info, "nope.csv: panel file not found", "check `path`")


def test_empty_panel_header_only(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", "firm_id,country,year,employees,export_share")
    with pytest.raises(PipelineInputError) as exc_info:
        map_file(path, {}, codebook)
    assert_message(exc_info, str(path), "the panel is empty (a header but no data rows)",
                   "remove the panel from config/config.yaml")


def test_unreadable_file_names_the_file_and_format(tmp_path, codebook):
    path = tmp_path / "p.parquet"
    path.write_text("not parquet\n", encoding="utf-8")
    with pytest.raises(PipelineInputError) as exc_info:
        map_file(path, {}, codebook, fmt="parquet")
    assert_message(exc_info, str(path), "could not be read as parquet")


def test_missing_required_columns(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        firm_id,year,employees,sales_abroad
        F1,2015,25,10
    """)
    with pytest.raises(PipelineInputError) as exc_info:
        map_file(path, {}, codebook)
    assert_message(exc_info, str(path),
                   "required variables are missing after mapping: ['country', 'export_share']",
                   "mapping.rename or mapping.sum", "mapping.constants",
                   "columns in the file: ['firm_id', 'year', 'employees', 'sales_abroad']")


def test_mapping_names_a_column_that_is_not_in_the_file(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        firm_id,country,year,emp,export_share
        F1,Ghana,2015,25,10
    """)
    with pytest.raises(PipelineInputError) as exc_info:
        map_file(path, {"rename": {"staff": "employees"},
                        "missing_codes": {"columns": {"l1": [-9]}}}, codebook, panel="ghana")
    assert_message(exc_info, str(path), "panel 'ghana'",
                   "the mapping names columns that are not in the file: ['staff', 'l1']",
                   "fix the mapping in config/config.yaml, panels.ghana.mapping",
                   "columns in the file: ['firm_id', 'country', 'year', 'emp', 'export_share']")


def test_mapping_targets_an_unknown_variable(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        firm_id,country,year,emp,export_share
        F1,Ghana,2015,25,10
    """)
    with pytest.raises(PipelineInputError) as exc_info:
        map_file(path, {"rename": {"emp": "employes"}}, codebook)
    assert_message(exc_info, "not canonical variables: ['employes']", "data/codebook.yaml")


def test_non_numeric_value_in_numeric_column(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        # a comment line above the header is not a data row
        firm_id,country,year,employees,export_share
        F1,Ghana,2015,25,10
        F2,Ghana,2015,twelve,10
        F3,Ghana,2015,12.5,10
    """)
    with pytest.raises(PipelineInputError) as exc_info:
        map_file(path, {}, codebook, read={"comment": "#"})
    assert_message(exc_info, str(path), "2 invalid value(s)",
                   "row 2 (firm_id=F2, year=2015), column 'employees': value 'twelve' is not a "
                   "number",
                   "row 3 (firm_id=F3, year=2015), column 'employees': value '12.5' is not a "
                   "whole number",
                   "Correct them in the file", "set `on_invalid: exclude` on the panel")


def test_non_numeric_value_in_a_summed_column(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", """
        idstd,year,l1,b5,a4a,d3b,d3c,b8,h1
        1,2019,30,2000,15,5,n/a,1,2
    """)
    with pytest.raises(PipelineInputError) as exc_info:
        map_file(path, WBES_MAPPING, codebook)
    assert_message(exc_info, "row 1 (firm_id=1, year=2019)",
                   "column 'export_share' (source column 'd3c'): value 'n/a' is not a number "
                   "(needed for the sum d3b + d3c)")


INVALID_FILE = """
    firm_id,country,year,employees,export_share,tqm
    F1,Ghana,2015,25,10,1
    F2,Ghana,2015,twelve,10,1
    F3,Ghana,2016,30,5,7
    F4,Ghana,2015,12.5,abc,1
    F5,Ghana,2015,40,0,0
"""


def test_invalid_values_all_listed_under_error(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", INVALID_FILE)
    with pytest.raises(PipelineInputError) as exc_info:
        map_file(path, {}, codebook)
    msg = assert_message(exc_info, "4 invalid value(s)", "row 2 (firm_id=F2, year=2015)",
                         "row 3 (firm_id=F3, year=2016), column 'tqm': value '7'",
                         "row 4 (firm_id=F4, year=2015), column 'employees': value '12.5'",
                         "row 4 (firm_id=F4, year=2015), column 'export_share': value 'abc'")
    assert msg.count("\n  - ") == 4
    # listed in file order, whichever column the problem is in
    assert (msg.index("row 2 (") < msg.index("row 3 (") < msg.index("column 'employees': value "
                                                                    "'12.5'")
            < msg.index("column 'export_share': value 'abc'"))


def test_on_invalid_exclude_turns_errors_into_ledger_rows(tmp_path, codebook):
    path = write_text(tmp_path / "p.csv", INVALID_FILE)
    out, ledger, info = map_file(path, {}, codebook, on_invalid="exclude")
    assert values(out["firm_id"]) == ["F1", "F5"]
    assert values(out["_row"]) == [1, 5]
    assert (info["rows_read"], info["rows_kept"], info["rows_excluded"]) == (5, 2, 3)
    assert list(ledger.columns) == LEDGER_COLUMNS
    assert values(ledger["row"]) == [2, 3, 4]
    assert values(ledger["firm_id"]) == ["F2", "F3", "F4"]
    assert values(ledger["year"]) == [2015, 2016, 2015]
    assert set(ledger["stage"]) == {"ingest"} and set(ledger["file"]) == {str(path)}
    assert set(ledger["panel"]) == {"p"}
    assert ledger.loc[0, "reason"] == "column 'employees': value 'twelve' is not a number"
    assert ledger.loc[1, "reason"].startswith("column 'tqm': value '7' is not a known yes/no code")
    assert ledger.loc[2, "reason"] == ("column 'employees': value '12.5' is not a whole number; "
                                       "column 'export_share': value 'abc' is not a number")


def test_codebook_on_invalid_exclude_for_one_variable(tmp_path, codebook):
    book = copy.deepcopy(codebook)
    book["variables"]["tqm"]["on_invalid"] = "exclude"
    path = write_text(tmp_path / "p.csv", """
        firm_id,country,year,employees,export_share,tqm
        F1,Ghana,2015,25,10,1
        F2,Ghana,2015,25,10,maybe
    """)
    raw = read_panel(path, "csv")
    from analysis.data.ingest import apply_mapping
    out, ledger, _ = apply_mapping(raw, {}, book, panel="p", path=str(path))
    assert values(out["firm_id"]) == ["F1"]
    assert values(ledger["row"]) == [2]
    # the panel's own setting overrides the codebook
    with pytest.raises(PipelineInputError):
        apply_mapping(raw, {}, book, panel="p", path=str(path), on_invalid="error")


def test_values_in_messages_from_typed_files_are_plain(tmp_path, codebook):
    frame = pd.DataFrame({"firm_id": ["F1", "F2"], "country": ["Ghana", "Ghana"],
                          "year": [2015, 2015], "employees": [12.5, 30.0],
                          "export_share": [3.0, 4.0]})
    path = tmp_path / "p.parquet"
    frame.to_parquet(path, index=False)
    with pytest.raises(PipelineInputError) as exc_info:
        map_file(path, {}, codebook, fmt="parquet")
    msg = assert_message(exc_info, "row 1 (firm_id=F1, year=2015), column 'employees': value "
                                   "12.5 is not a whole number")
    assert "np." not in msg

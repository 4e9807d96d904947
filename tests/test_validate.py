"""Checking canonical panels (analysis/validate.py), the exclusions ledger, and its reconciliation
through the ingest -> validate -> pool stages (analysis/pool.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import assert_message, map_file, read_json, run_chain, write_text

from analysis.data.ingest import LEDGER_COLUMNS, ledger_frame
from analysis.data.pool import pool_panels
from analysis.data.validate import reconcile, validate_panel
from analysis.errors import PipelineInputError


def values(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series.tolist()]


def validate_text(tmp_path, codebook, text, on_invalid=None):
    """Write a CSV, map it (canonical names), validate it; return kept, ledger, path."""
    path = write_text(tmp_path / "panel.csv", text)
    out, _, _ = map_file(path, {}, codebook)
    kept, ledger = validate_panel(out, codebook, panel="p", path=str(path), on_invalid=on_invalid)
    return kept, ledger, path


def validate_error(tmp_path, codebook, text) -> tuple[pytest.ExceptionInfo, str]:
    with pytest.raises(PipelineInputError) as exc_info:
        validate_text(tmp_path, codebook, text)
    return exc_info, str(tmp_path / "panel.csv")


FIX_HINT = "set `on_invalid: exclude` on panels.p in config/config.yaml"


def test_a_clean_panel_passes_unchanged(tmp_path, codebook):
    kept, ledger, _ = validate_text(tmp_path, codebook, """
        firm_id,country,year,employees,export_share,founded,first_export_year
        F1,Ghana,2015,0,0,2015,
        F1,Ghana,2016,5,100,2015,2016
    """)
    # the boundaries are allowed: 0 employees, 0 and 100 % exported, founded in the year itself,
    # first export in the year itself
    assert values(kept["employees"]) == [0, 5] and len(ledger) == 0
    assert list(ledger.columns) == LEDGER_COLUMNS


def test_duplicated_firm_years(tmp_path, codebook):
    text = """
        firm_id,country,year,employees,export_share
        F1,Ghana,2015,25,10
        F2,Ghana,2015,30,0
        F1,Ghana,2015,26,12
        F1,Ghana,2016,27,12
    """
    exc, path = validate_error(tmp_path, codebook, text)
    msg = assert_message(
        exc, path, "panel 'p'", "2 value(s) break the codebook",
        "row 1 (firm_id=F1, year=2015), columns 'firm_id', 'year': firm-year (F1, 2015) appears "
        "in rows [1, 3]; each firm may appear once per year",
        "row 3 (firm_id=F1, year=2015), columns 'firm_id', 'year'", FIX_HINT)
    assert msg.index("row 1 (") < msg.index("row 3 (")
    kept, ledger, _ = validate_text(tmp_path, codebook, text, on_invalid="exclude")
    assert values(kept["_row"]) == [2, 4]
    assert values(ledger["row"]) == [1, 3] and set(ledger["stage"]) == {"validate"}
    assert all("appears in rows [1, 3]" in r for r in ledger["reason"])


@pytest.mark.parametrize(("share", "shown"), [("150", "150.0"), ("-0.5", "-0.5"),
                                              ("100.01", "100.01")])
def test_export_share_outside_0_100(tmp_path, codebook, share, shown):
    exc, path = validate_error(tmp_path, codebook, f"""
        firm_id,country,year,employees,export_share
        F1,Ghana,2015,25,100
        F2,Ghana,2016,30,{share}
    """)
    assert_message(exc, path, "1 value(s) break the codebook", "row 2 (firm_id=F2, year=2016)",
                   f"column 'export_share': value {shown} is out of range "
                   "(allowed: 0 to 100 % of annual sales)", FIX_HINT)


def test_negative_employees(tmp_path, codebook):
    exc, path = validate_error(tmp_path, codebook, """
        firm_id,country,year,employees,export_share
        F1,Ghana,2015,-3,10
    """)
    assert_message(exc, path, "row 1 (firm_id=F1, year=2015)",
                   "column 'employees': value -3 is out of range "
                   "(allowed: at least 0 persons (permanent full-time))", FIX_HINT)


def test_year_out_of_range(tmp_path, codebook):
    exc, path = validate_error(tmp_path, codebook, """
        firm_id,country,year,employees,export_share
        F1,Ghana,15,30,10
    """)
    assert_message(exc, "column 'year': value 15 is out of range (allowed: 1900 to 2100 "
                        "calendar year)")


def test_founding_after_the_observation_year(tmp_path, codebook):
    exc, path = validate_error(tmp_path, codebook, """
        firm_id,country,year,employees,export_share,founded
        F1,Ghana,2015,30,10,2015
        F2,Ghana,2015,30,10,2016
    """)
    assert_message(exc, path, "1 value(s)", "row 2 (firm_id=F2, year=2015)",
                   "column 'founded': value 2016 is after the observation year 2015", FIX_HINT)


def test_first_export_year_after_a_year_with_exports_or_before_founding(tmp_path, codebook):
    exc, path = validate_error(tmp_path, codebook, """
        firm_id,country,year,employees,export_share,founded,first_export_year
        F1,Ghana,2015,30,0,2000,2016
        F1,Ghana,2016,30,10,2000,2016
        F2,Ghana,2015,30,5,2000,2016
        F3,Ghana,2015,30,5,2000,1999
    """)
    msg = assert_message(
        exc, path, "2 value(s)",
        "row 3 (firm_id=F2, year=2015), column 'first_export_year': value 2016 is after the year "
        "2015 in which the firm already exports (export_share = 5.0)",
        "row 4 (firm_id=F3, year=2015), column 'first_export_year': value 1999 is before the "
        "founding year 2000")
    assert "row 1 (" not in msg and "row 2 (" not in msg  # no exports before 2016 is fine


def test_missing_required_values_are_exclusions_not_errors(tmp_path, codebook):
    kept, ledger, path = validate_text(tmp_path, codebook, """
        firm_id,country,year,employees,export_share
        F1,Ghana,2015,25,
        ,Ghana,2015,25,3
        F3,Ghana,2015,,
        F4,Ghana,2015,40,0
    """)
    assert values(kept["firm_id"]) == ["F4"]
    assert values(ledger["row"]) == [1, 2, 3]
    assert values(ledger["firm_id"]) == ["F1", None, "F3"]
    assert set(ledger["stage"]) == {"validate"} and set(ledger["file"]) == {str(path)}
    assert ledger.loc[0, "reason"] == ("column 'export_share': value is missing (Export share "
                                       "(% of sales) is needed for every firm-year)")
    assert ledger.loc[1, "reason"].startswith("column 'firm_id': value is missing")
    assert ledger.loc[2, "reason"] == (
        "column 'employees': value is missing (Employees is needed for every firm-year); "
        "column 'export_share': value is missing (Export share (% of sales) is needed for every "
        "firm-year)")


def test_errors_and_exclusions_together_stop_the_run(tmp_path, codebook):
    exc, _ = validate_error(tmp_path, codebook, """
        firm_id,country,year,employees,export_share
        F1,Ghana,2015,25,
        F2,Ghana,2015,25,101
    """)
    msg = assert_message(exc, "1 value(s) break the codebook", "row 2 (firm_id=F2, year=2015)")
    assert "row 1 (" not in msg  # the missing value is an exclusion, not an error


def test_on_invalid_exclude_records_every_reason(tmp_path, codebook):
    kept, ledger, _ = validate_text(tmp_path, codebook, """
        firm_id,country,year,employees,export_share,founded
        F1,Ghana,2015,-1,150,2016
        F2,Ghana,2015,12,10,2010
        F3,Ghana,2015,12,-2,2010
    """, on_invalid="exclude")
    assert values(kept["firm_id"]) == ["F2"]
    assert values(ledger["row"]) == [1, 3]
    reason = ledger.loc[0, "reason"]
    for part in ("column 'employees': value -1 is out of range",
                 "column 'export_share': value 150.0 is out of range",
                 "column 'founded': value 2016 is after the observation year 2015"):
        assert part in reason
    assert reason.count("; ") == 2
    assert ledger.loc[1, "reason"] == ("column 'export_share': value -2.0 is out of range "
                                       "(allowed: 0 to 100 % of annual sales)")


def test_no_rows_left(tmp_path, codebook):
    with pytest.raises(PipelineInputError) as exc_info:
        validate_text(tmp_path, codebook, """
            firm_id,country,year,employees,export_share
            F1,Ghana,2015,25,
        """)
    assert_message(exc_info, "no rows left after validation; every row was excluded",
                   "column 'export_share': value is missing")


def test_wrong_column_type_is_reported(tmp_path, codebook):
    path = write_text(tmp_path / "panel.csv", """
        firm_id,country,year,employees,export_share
        F1,Ghana,2015,25,10
    """)
    out, _, _ = map_file(path, {}, codebook)
    out["employees"] = out["employees"].astype(str)  # not what apply_mapping produces
    with pytest.raises(PipelineInputError) as exc_info:
        validate_panel(out, codebook, panel="p", path=str(path))
    assert_message(exc_info, "column 'employees' has the wrong type", "the codebook says integer")


# --------------------------------------------------------------------------- reconciliation


def test_reconcile_counts():
    ledger = ledger_frame([
        {"panel": "p", "file": "f", "row": 3, "firm_id": "A", "year": 2015, "stage": "ingest",
         "reason": "r"},
        {"panel": "p", "file": "f", "row": 1, "firm_id": "B", "year": 2015, "stage": "derive",
         "reason": "r"},
        {"panel": "p", "file": "f", "row": 2, "firm_id": "B", "year": 2016, "stage": "derive",
         "reason": "r"},
    ])
    kept = pd.DataFrame({"x": range(4)})
    out = reconcile(7, kept, ledger)
    assert out == {"rows_in": 7, "rows_kept": 4, "rows_excluded": 3,
                   "excluded_by_stage": {"derive": 2, "ingest": 1}, "reconciles": True,
                   "ledger_rows_unique": True}
    with pytest.raises(RuntimeError, match="do not reconcile"):
        reconcile(8, kept, ledger)
    with pytest.raises(RuntimeError, match="do not reconcile"):  # a row excluded twice
        reconcile(8, kept, pd.concat([ledger, ledger.iloc[:1]]))


PANEL_A = """
    firm_id,country,year,employees,export_share,tqm
    A1,Ghana,2015,50,10,1
    A1,Ghana,2016,55,12,0
    A2,Ghana,2015,8,0,1
    A2,Ghana,2016,12,0,1
    A3,Ghana,2015,300,,1
    A3,Ghana,2016,310,45,7
    A4,Ghana,2015,250,50,0
"""
PANEL_B = """
    firm_id,country,year,employees,export_share,tqm
    B1,India,2015,20,0,1
    B1,India,2016,22,5,0
"""


def test_ledger_reconciles_through_ingest_validate_and_pool(tmp_path):
    a = write_text(tmp_path / "a.csv", PANEL_A)
    b = write_text(tmp_path / "b.csv", PANEL_B)
    res = run_chain(tmp_path, {"a": {"path": str(a), "on_invalid": "exclude"},
                               "b": {"path": str(b)}})
    sa = res["panels"]["a"]
    # 7 rows in: row 6 excluded at ingest (tqm code 7), row 5 at validate (no export share),
    # rows 3 and 4 at derive (A2 has 8 employees in its first year, 2015); A1 and A4 kept
    assert (sa["rows_in"], sa["rows_kept"], sa["rows_excluded"]) == (7, 3, 4)
    assert sa["excluded_by_stage"] == {"derive": 2, "ingest": 1, "validate": 1}
    assert sa["reconciles"] is True
    assert sa["firms"] == {"SME": 1, "non-SME": 1, "firms": 2}
    ledger = pd.read_csv(res["dir"] / "a.exclusions.csv")
    assert list(ledger.columns) == LEDGER_COLUMNS
    assert values(ledger["row"]) == [3, 4, 5, 6]
    assert values(ledger["stage"]) == ["derive", "derive", "validate", "ingest"]
    assert values(ledger["firm_id"]) == ["A2", "A2", "A3", "A3"]
    assert "8 employees in first observed year 2015 is below the floor of 11" in ledger.loc[1,
                                                                                           "reason"]
    assert "column 'export_share': value is missing" in ledger.loc[2, "reason"]
    assert "column 'tqm': value '7' is not a known yes/no code" in ledger.loc[3, "reason"]

    pooled = res["pooled"]
    assert (pooled["rows_in"], pooled["rows_kept"], pooled["rows_excluded"]) == (9, 5, 4)
    assert pooled["reconciles"] is True
    assert pooled["firms"] == {"SME": 2, "non-SME": 1, "firms": 3}
    assert pooled["panels"]["b"]["rows_excluded"] == 0
    assert pooled["synthetic"] is False
    assert read_json(res["dir"] / "pooled.summary.json")["rows_in"] == 9
    panel = pd.read_parquet(res["dir"] / "pooled.parquet")
    assert values(panel["firm_id"]) == ["A1", "A1", "A4", "B1", "B1"]
    assert values(panel["panel"]) == ["a", "a", "a", "b", "b"]
    assert len(pd.read_csv(res["dir"] / "pooled.exclusions.csv")) == 4


def test_the_same_firm_id_in_two_panels_is_an_error(tmp_path):
    a = write_text(tmp_path / "a.csv", PANEL_B)
    c = write_text(tmp_path / "c.csv", PANEL_B.replace("India", "Ghana"))
    with pytest.raises(PipelineInputError) as exc_info:
        run_chain(tmp_path, {"india": {"path": str(a)}, "ghana": {"path": str(c)}})
    assert_message(exc_info, "the same firm_id appears in more than one panel",
                   "firm_id 'B1' in panels ['india', 'ghana']", "prefix the country code")


def test_pool_keeps_categories_of_the_bands():
    frames = {}
    for name, ids in (("a", ["A1"]), ("b", ["B1"])):
        frames[name] = pd.DataFrame({
            "firm_id": ids,
            "size_group": pd.Categorical(["SME"], categories=["SME", "non-SME"]),
            "doi_band": pd.Categorical(["low"], categories=["none", "low", "medium", "high"],
                                       ordered=True),
        })
    pooled = pool_panels(frames)
    assert list(pooled["doi_band"].cat.categories) == ["none", "low", "medium", "high"]
    assert pooled["doi_band"].cat.ordered
    assert list(pooled["size_group"].cat.categories) == ["SME", "non-SME"]


def test_rows_without_a_year_are_exclusions_not_duplicates(tmp_path, codebook):
    kept, ledger, _ = validate_text(tmp_path, codebook, """
        firm_id,country,year,employees,export_share
        F1,Ghana,,25,1
        F1,Ghana,,25,2
        F1,Ghana,2015,25,3
    """)
    assert values(kept["_row"]) == [3]
    assert values(ledger["row"]) == [1, 2]
    assert all(r.startswith("column 'year': value is missing") for r in ledger["reason"])
    assert not any("appears in rows" in r for r in ledger["reason"])

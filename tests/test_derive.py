"""Derived variables (analysis/derive.py): size groups at their boundaries, size status,
degree-of-internationalization bands, ROTA, firm age, and the derive-stage ledger."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import PRESETS

from analysis.config import size_definition
from analysis.data.derive import derive_variables, doi_band, firm_counts, size_groups
from analysis.data.ingest import LEDGER_COLUMNS

BANDS = {"cuts": [10, 40], "labels": ["none", "low", "medium", "high"]}


def values(series) -> list:
    return [None if pd.isna(v) else v for v in pd.Series(series).astype(object).tolist()]


def size_def(name: str) -> dict:
    return size_definition({"size_definition": name}, PRESETS)


def panel(rows: list[tuple], **extra: list) -> pd.DataFrame:
    """A validated canonical panel from (firm_id, year, employees, export_share) tuples."""
    firm, year, emp, share = zip(*rows, strict=True)
    df = pd.DataFrame({
        "_row": np.arange(1, len(rows) + 1, dtype=np.int64),
        "panel": "p",
        "firm_id": pd.array(firm, dtype="string"),
        "country": pd.array(["Ghana"] * len(rows), dtype="string"),
        "year": pd.array(year, dtype="Int64"),
        "employees": pd.array(emp, dtype="Int64"),
        "export_share": np.asarray(share, dtype=float),
    })
    for name, vals in extra.items():
        df[name] = pd.array(vals, dtype="Int64" if name == "founded" else "float64")
    return df


def derive(df: pd.DataFrame, name: str = "study", status: str = "first_year", bands=None):
    return derive_variables(df, size_def=size_def(name), size_status=status,
                            doi_bands=bands or BANDS, panel="p", path="p.csv")


# --------------------------------------------------------------------------- size groups


@pytest.mark.parametrize(("name", "employees", "expected"), [
    # the study: SME = more than 10 and fewer than 200; 10 or fewer outside both groups
    ("study", [0, 10, 11, 199, 200, 5000], [None, None, "SME", "SME", "non-SME", "non-SME"]),
    # EU: SME = fewer than 250 (micro firms included, so 1 is an SME; 0 employees is not a firm)
    ("eu", [0, 1, 249, 250], [None, "SME", "SME", "non-SME"]),
    # WBES strata: small 5-19 and medium 20-99 are SMEs, large 100+; fewer than 5 outside
    ("wbes", [4, 5, 19, 20, 99, 100], [None, "SME", "SME", "SME", "SME", "non-SME"]),
])
def test_size_groups_at_the_boundaries(name, employees, expected):
    emp = pd.Series(employees, dtype="Int64")
    assert values(size_groups(emp, size_def(name))) == expected


def test_study_rule_through_derive_with_the_ledger():
    df = panel([("E10", 2015, 10, 0), ("E11", 2015, 11, 5), ("E199", 2015, 199, 20),
                ("E200", 2015, 200, 50), ("E0", 2015, 0, 0)])
    out, ledger = derive(df)
    assert values(out["firm_id"]) == ["E11", "E199", "E200"]
    assert values(out["size_group"]) == ["SME", "SME", "non-SME"]
    assert values(out["sme"]) == [True, True, False]
    assert list(out["size_group"].cat.categories) == ["SME", "non-SME"]
    assert str(out["sme"].dtype) == "boolean"
    # the 10-employee firm (and the empty one) are excluded AND recorded
    assert list(ledger.columns) == LEDGER_COLUMNS
    assert values(ledger["firm_id"]) == ["E10", "E0"]
    assert values(ledger["row"]) == [1, 5]
    assert set(ledger["stage"]) == {"derive"} and set(ledger["file"]) == {"p.csv"}
    assert ledger.loc[0, "reason"] == (
        "column 'employees': 10 employees in first observed year 2015 is below the floor of 11 "
        "of the 'study' size definition (outside both SME and non-SME groups)")


def test_custom_size_definition():
    custom = size_definition({"size_definition": {"min_employees": 20, "sme_max_employees": 499}},
                             PRESETS)
    df = panel([("A", 2015, 19, 0), ("B", 2015, 20, 0), ("C", 2015, 499, 0),
                ("D", 2015, 500, 0)])
    out, ledger = derive_variables(df, size_def=custom, size_status="first_year",
                                   doi_bands=BANDS, panel="p", path="p.csv")
    assert values(out["size_group"]) == ["SME", "SME", "non-SME"]
    assert "below the floor of 20 of the 'custom' size definition" in ledger.loc[0, "reason"]


def test_size_status_first_year_versus_each_year():
    # G grows from 150 to 250 employees; its rows are not in year order in the file
    rows = [("G", 2016, 250, 5), ("G", 2015, 150, 5), ("G", 2017, 260, 5),
            ("S", 2015, 12, 0), ("S", 2016, 9, 0), ("S", 2017, 11, 0)]
    first, ledger_first = derive(panel(rows), status="first_year")
    assert values(first["size_group"]) == ["SME"] * 6          # fixed at 2015: 150 and 12
    assert values(first["size_basis_employees"]) == [150, 150, 150, 12, 12, 12]
    assert len(ledger_first) == 0
    assert firm_counts(first) == {"SME": 2, "non-SME": 0, "firms": 2}

    each, ledger_each = derive(panel(rows), status="each_year")
    assert values(each["year"]) == [2016, 2015, 2017, 2015, 2017]
    assert values(each["size_group"]) == ["non-SME", "SME", "non-SME", "SME", "SME"]
    assert values(each["size_basis_employees"]) == [250, 150, 260, 12, 11]
    # S has 9 employees in 2016: that firm-year is outside both groups
    assert values(ledger_each["row"]) == [5]
    assert "9 employees in year 2016 is below the floor of 11" in ledger_each.loc[0, "reason"]
    # firms are counted in the group of their first observed year
    assert firm_counts(each) == {"SME": 2, "non-SME": 0, "firms": 2}


def test_first_year_exclusion_covers_every_year_of_the_firm():
    out, ledger = derive(panel([("T", 2015, 10, 0), ("T", 2016, 14, 0), ("U", 2015, 60, 0)]))
    assert values(out["firm_id"]) == ["U"]
    assert values(ledger["row"]) == [1, 2]
    assert all("10 employees in first observed year 2015" in r for r in ledger["reason"])


def test_unknown_size_status():
    with pytest.raises(ValueError, match="size_status must be"):
        derive(panel([("A", 2015, 50, 0)]), status="sometimes")


# --------------------------------------------------------------------------- internationalization


def test_doi_bands_at_the_cut_points():
    shares = pd.Series([0.0, 0.1, 10.0, 10.1, 40.0, 40.1, 100.0, np.nan])
    bands = doi_band(shares, [10, 40], ["none", "low", "medium", "high"])
    assert values(bands) == ["none", "low", "low", "medium", "medium", "high", "high", None]
    assert list(bands.categories) == ["none", "low", "medium", "high"] and bands.ordered


def test_doi_bands_with_other_cuts_and_labels():
    bands = doi_band(pd.Series([0.0, 5.0, 5.5, 100.0]), [5], ["domestic", "minor", "major"])
    assert values(bands) == ["domestic", "minor", "major", "major"]


def test_internationalized_and_band_through_derive():
    out, _ = derive(panel([("A", 2015, 50, 0), ("B", 2015, 50, 10), ("C", 2015, 50, 10.1),
                           ("D", 2015, 50, 41)]))
    assert values(out["internationalized"]) == [False, True, True, True]
    assert values(out["doi_band"]) == ["none", "low", "medium", "high"]


# --------------------------------------------------------------------------- ROTA, firm age


def test_rota_derived_from_net_income_and_total_assets_when_missing():
    df = panel([("A", 2015, 50, 0), ("B", 2015, 50, 0), ("C", 2015, 50, 0), ("D", 2015, 50, 0),
                ("E", 2015, 50, 0)],
               net_income=[50, -30, 50, np.nan, 10],
               total_assets=[1000, 600, 1000, 1000, 0],
               rota=[np.nan, np.nan, 7.5, np.nan, np.nan])
    out, _ = derive(df)
    # 100*50/1000 = 5; 100*-30/600 = -5; a given ROTA is kept; no net income or zero assets: none
    assert values(out["rota"]) == [5.0, -5.0, 7.5, None, None]


def test_rota_created_when_the_panel_has_no_rota_column():
    df = panel([("A", 2015, 50, 0), ("B", 2016, 50, 0)], net_income=[12, 1],
               total_assets=[400, 3])
    out, _ = derive(df)
    assert out["rota"].tolist() == pytest.approx([3.0, 100 / 3])


def test_no_rota_without_its_parts():
    out, _ = derive(panel([("A", 2015, 50, 0)]))
    assert "rota" not in out


def test_firm_age():
    df = panel([("A", 2015, 50, 0), ("A", 2016, 50, 0), ("B", 2015, 50, 0), ("C", 2015, 50, 0)],
               founded=[2000, 2000, 2015, None])
    out, _ = derive(df)
    assert values(out["firm_age"]) == [15, 16, 0, None]
    assert str(out["firm_age"].dtype) == "Int64"

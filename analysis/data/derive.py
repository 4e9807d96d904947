"""Derived variables: SME status, internationalization, degree bands, ROTA, firm age."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.data.ingest import ledger_frame, ledger_row

SIZE_GROUPS = ["SME", "non-SME"]


def size_groups(employees: pd.Series, size_def: dict[str, Any]) -> pd.Series:
    """'SME', 'non-SME' or NA (below the SME floor) for each employee count.

    A firm is an SME when ``min_employees <= employees <= sme_max_employees`` and a non-SME when
    ``employees > sme_max_employees``; with the study's definition (11, 199) a firm of 10 is
    outside both groups, 11 and 199 are SMEs, 200 is a non-SME.
    """
    lo, hi = size_def["min_employees"], size_def["sme_max_employees"]
    out = pd.Series(pd.NA, index=employees.index, dtype="string")
    out[(employees >= lo) & (employees <= hi)] = "SME"
    out[employees > hi] = "non-SME"
    return out


def doi_band(export_share: pd.Series, cuts: list[float], labels: list[str]) -> pd.Series:
    """Degree-of-internationalization band: labels[0] for a share of 0, then (0, c1], (c1, c2]...

    Returns an ordered categorical.
    """
    edges = [0.0, *map(float, cuts), 100.0]
    banded = pd.cut(export_share, bins=edges, labels=labels[1:], right=True, include_lowest=False)
    out = banded.astype(object).where(export_share != 0, labels[0])
    out = out.where(export_share.notna())
    return pd.Categorical(out, categories=labels, ordered=True)


def derive_variables(
    df: pd.DataFrame,
    *,
    size_def: dict[str, Any],
    size_status: str,
    doi_bands: dict[str, Any],
    panel: str,
    path: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add derived variables and exclude firms outside both size groups.

    Parameters
    ----------
    df : DataFrame
        Validated canonical panel.
    size_def : dict
        ``min_employees``, ``sme_max_employees``, ``name``/``description``
        (see config/presets/size_definitions.yaml).
    size_status : {"first_year", "each_year"}
        ``first_year``: a firm's group is fixed by its employees in its first observed year, so a
        firm stays in one group; ``each_year``: every firm-year is classified on its own.
    doi_bands : dict
        ``cuts`` and ``labels`` (see :func:`doi_band`).
    panel, path : str
        For the ledger.

    Returns
    -------
    derived, ledger : DataFrame
        ``derived`` adds ``size_group``, ``sme``, ``size_basis_employees``, ``internationalized``,
        ``doi_band``, ``firm_age`` and fills ``rota`` (100 * net_income / total_assets) where it is
        missing and both parts are known; ``ledger`` lists the rows outside both groups
        (stage ``derive``).
    """
    out = df.copy()
    if size_status == "first_year":
        first = out.sort_values(["firm_id", "year"], kind="stable").groupby("firm_id", sort=False)
        first_year = first["year"].transform("first")
        basis = first["employees"].transform("first").reindex(out.index)
        basis_year = first_year.reindex(out.index)
    elif size_status == "each_year":
        basis, basis_year = out["employees"], out["year"]
    else:
        raise ValueError(f"size_status must be 'first_year' or 'each_year', not {size_status!r}")
    out["size_basis_employees"] = basis.astype("Int64")
    out["size_group"] = size_groups(basis, size_def)
    out["sme"] = (out["size_group"] == "SME").astype("boolean")
    out["internationalized"] = (out["export_share"] > 0).astype("boolean")
    out["doi_band"] = doi_band(out["export_share"], doi_bands["cuts"], doi_bands["labels"])
    if "founded" in out:
        out["firm_age"] = (out["year"] - out["founded"]).astype("Int64")
    if {"net_income", "total_assets"} <= set(out.columns):
        computed = 100.0 * out["net_income"] / out["total_assets"].where(out["total_assets"] > 0)
        out["rota"] = out["rota"].fillna(computed) if "rota" in out else computed
    if {"direct_export_share", "indirect_export_share"} & set(out.columns):
        # the WBES exporter definitions (docs/data_contract.md, "The WBES preset")
        total = out["export_share"]
        out["exporter_1pct"] = (total >= 1).astype("boolean").where(total.notna())
        out["exporter_10pct"] = (total >= 10).astype("boolean").where(total.notna())
        if "direct_export_share" in out:
            direct = out["direct_export_share"]
            out["direct_exporter_10pct"] = (direct >= 10).astype("boolean").where(direct.notna())
    excluded = out["size_group"].isna()
    name = size_def.get("name", "custom")
    rows = []
    for idx in out.index[excluded]:
        r = out.loc[idx]
        when = "first observed year" if size_status == "first_year" else "year"
        rows.append(ledger_row(
            r, panel, path, "derive",
            f"column 'employees': {int(basis[idx])} employees in {when} {int(basis_year[idx])} is "
            f"below the floor of {size_def['min_employees']} of the {name!r} size definition "
            "(outside both SME and non-SME groups)"))
    kept = out[~excluded].reset_index(drop=True)
    kept["size_group"] = pd.Categorical(kept["size_group"], categories=SIZE_GROUPS)
    return kept, ledger_frame(rows)


def firm_counts(df: pd.DataFrame) -> dict[str, int]:
    """Firms per size group (a firm counted once, in its group of its first observed year)."""
    first = df.sort_values(["firm_id", "year"], kind="stable").drop_duplicates("firm_id")
    counts = first["size_group"].value_counts().reindex(SIZE_GROUPS, fill_value=0)
    return {k: int(v) for k, v in counts.items()} | {"firms": int(np.int64(len(first)))}

"""The pattern the study reports (Table 2 and its text), judged on one replication's units.

Each component is True when a replication shows that part of the pattern:

* ``H1_all_years``: H1's crosstab significant and negative in every year;
* ``H2_one_of_three`` / ``H3_one_of_three``: significant in exactly one year, the expected
  direction in every year;
* ``H4_high``: H4 Supported (study rule) and its evidence strongest in the high band (no band
  has more significant years than the high band, which has at least one);
* ``H5_not_supported``: H5 Not supported (study rule); ``H5_tqm_high``: TQM significant and
  negative in the high band in at least one year; ``H5_jit_little``: JIT significant in at most
  one (year, band);
* ``S1``: every further difference of S1 Supported (study rule);
* ``metric_not_normal``: the normality pretest rejects normality for every ``auto`` spec (so
  Mann-Whitney is used, as in the study);
* ``table2``: the five verdicts of Table 2 (study rule) as the study reports them.

``pattern`` is all of them at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.believe.simulate import unit_verdicts

COMPONENTS = ("H1_all_years", "H2_one_of_three", "H3_one_of_three", "H4_high",
              "H5_not_supported", "H5_tqm_high", "H5_jit_little", "S1", "metric_not_normal",
              "table2")


def _years(u: pd.DataFrame, spec: str, stratum: str = "") -> pd.DataFrame:
    return u[(u["spec_id"] == spec) & (u["scope"] == "year") & (u["stratum"] == stratum)
             & (u["status"] == "ok")]


def _sig(rows: pd.DataFrame, alpha: float) -> np.ndarray:
    exp = rows["expected_direction"].astype(str).to_numpy()
    good = (rows["observed_direction"].astype(str).to_numpy() == exp) | (exp == "any")
    return (rows["p"].to_numpy(dtype=float) < alpha) & good


def _k_of_n(rows: pd.DataFrame, alpha: float, k: int | str, n: int) -> bool:
    if len(rows) != n:
        return False
    exp = rows["expected_direction"].astype(str).iloc[0]
    direction = bool((rows["observed_direction"].astype(str) == exp).all()) or exp == "any"
    hits = int(_sig(rows, alpha).sum())
    return direction and (hits == n if k == "all" else hits == int(k))


def components(u: pd.DataFrame, specs: dict[str, Any], alpha: float,
               years: int = 3) -> dict[str, bool]:
    """Which components of the study's pattern one replication (its unit table) shows.

    A component whose specs were not run (a restricted replication) is absent from the result.
    """
    out: dict[str, bool] = {}
    ids = set(u["spec_id"])
    ver = unit_verdicts(u, {"study": specs["rules"]["study"]}, alpha)
    verdict = dict(zip(ver["hypothesis"], ver["verdict"], strict=True))
    if "H1_crosstab" in ids:
        out["H1_all_years"] = _k_of_n(_years(u, "H1_crosstab"), alpha, "all", years)
    if "H2_export_share" in ids:
        out["H2_one_of_three"] = _k_of_n(_years(u, "H2_export_share"), alpha, 1, years)
    if "H3_rota" in ids:
        out["H3_one_of_three"] = _k_of_n(_years(u, "H3_rota"), alpha, 1, years)
    if "H4" in verdict:
        h4 = u[(u["hypothesis"] == "H4") & (u["verdict_role"] == "primary")
               & (u["scope"] == "year") & (u["status"] == "ok")]
        hits = h4.assign(s=_sig(h4, alpha)).groupby("stratum")["s"].sum()
        high = int(hits.get("high", 0))
        out["H4_high"] = (verdict["H4"] == "Supported" and high > 0
                          and high >= int(hits.max()))
    if "H5" in verdict:
        out["H5_not_supported"] = verdict["H5"] == "Not supported"
    if "H5_tqm" in ids:
        out["H5_tqm_high"] = bool(_sig(_years(u, "H5_tqm", "high"), alpha).any())
    if "H5_jit" in ids:
        jit = u[(u["spec_id"] == "H5_jit") & (u["scope"] == "year") & (u["status"] == "ok")]
        out["H5_jit_little"] = int(_sig(jit, alpha).sum()) <= 1
    if "S1" in specs["hypotheses"] and "S1" in set(u["hypothesis"]):
        s1 = u[(u["hypothesis"] == "S1") & (u["verdict_role"] == "primary")]
        per = unit_verdicts(s1.assign(hypothesis=s1["spec_id"]),
                            {"study": specs["rules"]["study"]}, alpha)
        out["S1"] = bool((per["verdict"] == "Supported").all())
    autos = [t["id"] for h in specs["hypotheses"].values() for t in h["tests"]
             if t["test"] == "auto" and t["id"] in ids]
    if autos:
        tests = u[u["spec_id"].isin(autos) & (u["scope"] == "year") & (u["status"] == "ok")]
        out["metric_not_normal"] = bool(len(tests)) and bool(
            (tests["test"] != "welch_t").all())
    table2 = [h for h, v in specs["hypotheses"].items()
              if v.get("study_verdict") in ("Supported", "Not supported")]
    if all(h in verdict for h in table2):
        out["table2"] = all(verdict[h] == specs["hypotheses"][h]["study_verdict"]
                            for h in table2)
    return out


def pattern_table(u: pd.DataFrame, specs: dict[str, Any], alpha: float,
                  by: str = "rep") -> pd.DataFrame:
    """Components per replication (``by``) with ``pattern`` = all components met."""
    rows = []
    for key, g in u.groupby(by, sort=True):
        c = components(g, specs, alpha)
        c["pattern"] = all(c.values())
        rows.append({by: key, **c})
    return pd.DataFrame(rows)

"""The pattern the study reports (Table 2 and its text), judged on one replication's units.

Each *component* of the pattern has an outcome space: the values one replication can show,
of which the study reports one.

* ``H1_all_years``, ``H2_one_of_three``, ``H3_one_of_three``: how many years the comparison
  is significant in the expected direction, of the estimable years, and whether the expected
  direction holds in every year (``"1 of 3 years significant, direction held"``); the study
  reports 3 of 3 for H1 and 1 of 3, direction held, for H2 and H3;
* ``H4_high``: H4's verdict (study rule) and, when Supported, whether its evidence is most
  evident in the high band (no band has more significant years than the high band, which
  has at least one); the study: Supported, most evident in the high band;
* ``H5_not_supported``: H5's verdict (study rule); the study: Not supported;
* ``H5_tqm_high``: whether TQM is significant and lower for SMEs in the high band in some year;
  ``H5_jit_little``: whether JIT is significant in at most one (year, band); the study: both;
* ``S1``: how many of the further differences of S1 are Supported (study rule); the study:
  all of them;
* ``metric_not_normal``: whether the normality pretest rejects normality in every ``auto``
  comparison (so Mann-Whitney is used, as in the study).

A replication's *joint outcome* is the tuple of its component values; the study's pattern is
the tuple of the study's values. ``table2`` (the five verdicts of Table 2 as the study reports
them) is derived from the joint outcome and reported beside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.believe.simulate import unit_verdicts

COMPONENTS = ("H1_all_years", "H2_one_of_three", "H3_one_of_three", "H4_high",
              "H5_not_supported", "H5_tqm_high", "H5_jit_little", "S1", "metric_not_normal")
#: What each component describes (headers of the report's tables).
COMPONENT_LABELS = {
    "H1_all_years": "H1", "H2_one_of_three": "H2", "H3_one_of_three": "H3",
    "H4_high": "H4", "H5_not_supported": "H5", "H5_tqm_high": "H5 TQM",
    "H5_jit_little": "H5 JIT", "S1": "S1 further differences",
    "metric_not_normal": "metric variables",
}
HIGH = "Supported, most evident in the high band"
ELSEWHERE = "Supported, most evident in another band"
TQM = ("significant in the high band", "not significant in the high band")
JIT = ("significant in at most one (year, band)", "significant in more than one (year, band)")
NON_NORMAL = ("non-normal in every comparison", "normal in some comparison",
              "no estimable comparison")


def pattern_specs(specs: dict[str, Any]) -> dict[str, Any]:
    """The specs a replication of the pattern needs to run: every component and the study's
    verdict rule judge single years, so the pooled scope is left out (unless the study's rule
    is a pooled one).

    Examples
    --------
    >>> pattern_specs({"scopes": ["year", "pooled"], "rules": {"study": {}}})["scopes"]
    ['year']
    """
    if specs["rules"]["study"].get("scope") == "pooled":
        return specs
    return dict(specs, scopes=[s for s in specs.get("scopes", ["year", "pooled"])
                               if s != "pooled"])


def years_value(k: int, n: int, held: bool) -> str:
    """The value of a per-year component: ``k`` of ``n`` years significant, direction held.

    Examples
    --------
    >>> years_value(1, 3, True)
    '1 of 3 years significant, direction held'
    """
    return f"{k} of {n} years significant, direction {'held' if held else 'broken'}"


def study_values(specs: dict[str, Any], years: int = 3) -> dict[str, str]:
    """The study's value of every component (what the study reports).

    Examples
    --------
    >>> specs = {"hypotheses": {"S1": {"tests": [{"verdict": "primary"}] * 5}}}
    >>> study_values(specs)["S1"], study_values(specs)["H1_all_years"]
    ('5 of 5 Supported', '3 of 3 years significant, direction held')
    """
    s1 = [t for t in specs["hypotheses"].get("S1", {}).get("tests", [])
          if t.get("verdict", "primary") == "primary"]
    return {"H1_all_years": years_value(years, years, True),
            "H2_one_of_three": years_value(1, years, True),
            "H3_one_of_three": years_value(1, years, True),
            "H4_high": HIGH, "H5_not_supported": "Not supported", "H5_tqm_high": TQM[0],
            "H5_jit_little": JIT[0], "S1": f"{len(s1)} of {len(s1)} Supported",
            "metric_not_normal": NON_NORMAL[0]}


class _Units:
    """A unit table's columns as arrays (one conversion per replication)."""

    def __init__(self, u: pd.DataFrame, alpha: float) -> None:
        def col(name: str) -> np.ndarray:
            return u[name].astype(str).to_numpy()

        self.spec, self.scope, self.stratum = col("spec_id"), col("scope"), col("stratum")
        self.hyp, self.role, self.test = col("hypothesis"), col("verdict_role"), col("test")
        self.ok = col("status") == "ok"
        expected, observed = col("expected_direction"), col("observed_direction")
        self.good = (observed == expected) | (expected == "any")
        with np.errstate(invalid="ignore"):
            self.sig = (u["p"].to_numpy(dtype=float) < alpha) & self.good
        self.year = (self.scope == "year") & self.ok

    def rows(self, spec: str, stratum: str = "") -> np.ndarray:
        return self.year & (self.spec == spec) & (self.stratum == stratum)


def outcomes(u: pd.DataFrame, specs: dict[str, Any], alpha: float) -> dict[str, str]:
    """The value of each component that one replication (its unit table) shows.

    A component whose specs were not run (a restricted replication) is absent from the result.
    """
    return evaluate(u, specs, alpha)[0]


def _verdicts(u: pd.DataFrame, specs: dict[str, Any], alpha: float) -> dict[str, str]:
    ver = unit_verdicts(u, {"study": specs["rules"]["study"]}, alpha)
    return dict(zip(ver["hypothesis"], ver["verdict"], strict=True))


def evaluate(u: pd.DataFrame, specs: dict[str, Any], alpha: float
             ) -> tuple[dict[str, str], dict[str, str]]:
    """The component values of one replication (:func:`outcomes`) and its hypotheses'
    verdicts under the study's rule (hypothesis -> verdict)."""
    out: dict[str, str] = {}
    a = _Units(u, alpha)
    ids = set(a.spec)
    study = {"study": specs["rules"]["study"]}
    verdict = _verdicts(u, specs, alpha)
    for name, spec in (("H1_all_years", "H1_crosstab"), ("H2_one_of_three", "H2_export_share"),
                       ("H3_one_of_three", "H3_rota")):
        if spec in ids:
            m = a.rows(spec)
            out[name] = years_value(int(a.sig[m].sum()), int(m.sum()), bool(a.good[m].all()))
    if "H4" in verdict:
        m = (a.hyp == "H4") & (a.role == "primary") & a.year
        bands = a.stratum[m]
        hits = {b: int(a.sig[m][bands == b].sum()) for b in np.unique(bands)}
        high = hits.get("high", 0)
        if verdict["H4"] != "Supported":
            out["H4_high"] = verdict["H4"]
        else:
            out["H4_high"] = HIGH if high > 0 and high >= max(hits.values()) else ELSEWHERE
    if "H5" in verdict:
        out["H5_not_supported"] = verdict["H5"]
    if "H5_tqm" in ids:
        out["H5_tqm_high"] = TQM[0] if a.sig[a.rows("H5_tqm", "high")].any() else TQM[1]
    if "H5_jit" in ids:
        jit = a.year & (a.spec == "H5_jit")
        out["H5_jit_little"] = JIT[0] if int(a.sig[jit].sum()) <= 1 else JIT[1]
    if "S1" in specs["hypotheses"] and "S1" in set(a.hyp):
        s1 = u[(u["hypothesis"] == "S1") & (u["verdict_role"] == "primary")]
        per = unit_verdicts(s1.assign(hypothesis=s1["spec_id"]), study, alpha)
        out["S1"] = f"{int((per['verdict'] == 'Supported').sum())} of {len(per)} Supported"
    autos = [t["id"] for h in specs["hypotheses"].values() for t in h["tests"]
             if t["test"] == "auto" and t["id"] in ids]
    if autos:
        m = a.year & np.isin(a.spec, autos)
        out["metric_not_normal"] = (NON_NORMAL[2] if not m.any() else NON_NORMAL[0]
                                    if (a.test[m] != "welch_t").all() else NON_NORMAL[1])
    return out, verdict


def table2(verdict: dict[str, str], specs: dict[str, Any]) -> bool | None:
    """Whether the five verdicts of Table 2 (study rule; ``verdict``: hypothesis -> verdict)
    are the study's (None when not all of those hypotheses were run).

    Examples
    --------
    >>> specs = {"hypotheses": {"H1": {"study_verdict": "Supported"},
    ...                         "S1": {"study_verdict": "Reported"}}}
    >>> table2({"H1": "Supported"}, specs), table2({}, specs)
    (True, None)
    """
    wanted = [h for h, v in specs["hypotheses"].items()
              if v.get("study_verdict") in ("Supported", "Not supported")]
    if not all(h in verdict for h in wanted):
        return None
    return all(verdict[h] == specs["hypotheses"][h]["study_verdict"] for h in wanted)


def components(u: pd.DataFrame, specs: dict[str, Any], alpha: float,
               years: int = 3) -> dict[str, bool]:
    """Which components of the study's pattern one replication shows (its value is the
    study's), and ``table2``. Components whose specs were not run are absent."""
    study = study_values(specs, years)
    values, verdict = evaluate(u, specs, alpha)
    out = {k: v == study[k] for k, v in values.items()}
    t2 = table2(verdict, specs)
    if t2 is not None:
        out["table2"] = t2
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


def joint_outcomes(values: pd.DataFrame, study: dict[str, str],
                   names: list[str] | None = None) -> pd.DataFrame:
    """Frequency of every joint outcome among replications, most frequent first.

    ``values`` has one row per replication and one column per component (its value);
    ``study`` the study's values. Returns one row per distinct joint outcome: the component
    values, ``count``, ``share``, ``rank`` (1 = most frequent; tied outcomes share the rank)
    and ``is_study`` (the outcome is the study's pattern). Ties in count are ordered by the
    component values, so the table is the same whatever the order of the replications.

    Examples
    --------
    >>> v = pd.DataFrame({"a": ["x", "x", "y", "x"], "b": ["u", "u", "u", "v"]})
    >>> t = joint_outcomes(v, {"a": "x", "b": "u"})
    >>> t[["a", "b", "count", "rank", "is_study"]].values.tolist()
    [['x', 'u', 2, 1, True], ['x', 'v', 1, 2, False], ['y', 'u', 1, 2, False]]
    """
    names = list(names or [c for c in values.columns if c in study])
    if values.empty:
        return pd.DataFrame(columns=[*names, "count", "share", "rank", "is_study"])
    counts = values.groupby(names, sort=True).size().reset_index(name="count")
    counts = counts.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)
    counts["share"] = counts["count"] / len(values)
    counts["rank"] = counts["count"].rank(method="min", ascending=False).astype(int)
    counts["is_study"] = np.all([counts[n] == study[n] for n in names], axis=0)
    return counts


def component_outcomes(values: pd.DataFrame, study: dict[str, str]) -> pd.DataFrame:
    """Per component, the frequency of each of its values, most frequent first, with
    ``is_study`` and ``modal`` (the value is the component's most frequent; ties all modal).

    Examples
    --------
    >>> v = pd.DataFrame({"a": ["x", "x", "y"]})
    >>> component_outcomes(v, {"a": "y"})[["value", "count", "is_study", "modal"]].values.tolist()
    [['x', 2, False, True], ['y', 1, True, False]]
    """
    rows = []
    for name in [c for c in values.columns if c in study]:
        counts = values[name].value_counts(sort=False).sort_index()
        counts = counts.sort_values(ascending=False, kind="stable")
        top = int(counts.max()) if len(counts) else 0
        for value, n in counts.items():
            rows.append({"component": name, "value": str(value), "count": int(n),
                         "share": n / len(values), "is_study": str(value) == study[name],
                         "modal": int(n) == top})
    return pd.DataFrame(rows, columns=["component", "value", "count", "share", "is_study",
                                       "modal"])

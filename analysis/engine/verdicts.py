"""Verdicts: one per (sample, hypothesis, rule), beside the study's Table 2."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.columns import (
    VERDICT_COLUMNS,
)


# --------------------------------------------------------------------------- verdicts
def _unit_verdict(unit: pd.DataFrame, rule: dict[str, Any], alpha: float,
                  expected: str) -> str:
    """'supported', 'not supported' or 'not estimable' for one (spec, stratum) unit."""
    pcol = rule.get("p", "p")
    if rule.get("scope") == "pooled":
        rows = unit[unit["scope"] == "pooled"]
    else:
        rows = unit[unit["scope"] == "year"]
    rows = rows[rows["status"] == "ok"]
    if rows.empty:
        return "not estimable"
    sig = rows[pcol] < alpha
    good_dir = (rows["observed_direction"] == expected) if expected != "any" else \
        pd.Series(True, index=rows.index)
    if rule.get("scope") == "pooled":
        return "supported" if bool((sig & good_dir).any()) else "not supported"
    need = rule.get("min_significant_years", 1)
    n_sig = int((sig & good_dir).sum())
    ok = n_sig == len(rows) if need == "all" else n_sig >= int(need)
    if rule.get("direction_every_year", True) and expected != "any":
        ok = ok and bool(good_dir.all())
    return "supported" if ok else "not supported"


def _unit_summary(unit: pd.DataFrame, alpha: float) -> str:
    years = unit[(unit["scope"] == "year")].sort_values("year")
    ok = years[years["status"] == "ok"]
    spec, stratum = unit["spec_id"].iloc[0], unit["stratum"].iloc[0]
    where = f"{spec}" + (f" [{unit['stratum_var'].iloc[0]} = {stratum}]" if stratum else "")
    if ok.empty:
        return f"{where}: not estimable ({years['reason'].iloc[0] if len(years) else 'no data'})"
    sig_years = [str(y) for y, p in zip(ok["year"], ok["p"], strict=True) if p < alpha]
    dirs = ok["observed_direction"].tolist()
    dir_text = ", ".join(f"{y}: {d or 'n/a'}" for y, d in zip(ok["year"], dirs, strict=True))
    return (f"{where}: significant in {len(sig_years)} of {len(ok)} years"
            + (f" ({', '.join(sig_years)})" if sig_years else "") + f"; direction {dir_text}")


def derive_verdicts(results: pd.DataFrame, specs: dict[str, Any], *,
                    alpha: float = 0.05) -> pd.DataFrame:
    """One row per (sample, hypothesis, rule): this run's verdict beside the study's.

    A unit is one (test spec, stratum) whose ``verdict_role`` is primary; the hypothesis is
    Supported under a rule when at least one unit is, Not estimable when no unit is estimable.

    When the results hold design-based counterparts (a panel with a survey design), the default
    rule is also applied to the counterparts of the primary specs under the main weight (spec
    ids ``<spec>__svy``): an extra row whose rule is ``<default rule>_design``. The study-style
    verdicts themselves stay those of the unweighted tests.
    """
    from analysis.engine.comparisons import survey_spec_id

    test_rows = results[results["role"] == "test"]
    default_rule = specs.get("default_rule") or next(iter(specs["rules"]), "")
    records = []
    for sample in sorted(test_rows["sample"].unique()):
        for hyp, h in specs["hypotheses"].items():
            rows = test_rows[(test_rows["sample"] == sample) & (test_rows["hypothesis"] == hyp)
                             & (test_rows["verdict_role"] == "primary")]
            units = [u for _, u in rows.groupby(["spec_id", "stratum"], sort=False)]
            exp_of = {t["id"]: t.get("expected_direction", "any") for t in h["tests"]}
            summaries = [_unit_summary(u, alpha) for u in units]
            year_ok = rows[(rows["scope"] == "year") & (rows["status"] == "ok")]
            dirs = sorted(set(year_ok["observed_direction"]) - {""})
            direction = dirs[0] if len(dirs) == 1 else ("mixed" if dirs else "")
            todo: list[tuple[str, dict[str, Any], list[pd.DataFrame], list[str], str]] = [
                (rname, rule, units, summaries, direction)
                for rname, rule in specs["rules"].items()]
            design_of = {survey_spec_id(t["id"]): t["id"] for t in h["tests"]
                         if t.get("verdict", "primary") == "primary"}
            svy = test_rows[(test_rows["sample"] == sample) & (test_rows["hypothesis"] == hyp)
                            & test_rows["spec_id"].isin(list(design_of))]
            if len(svy) and default_rule in specs["rules"]:
                rule = dict(specs["rules"][default_rule])
                rule["description"] = (f"{' '.join(str(rule['description']).split())}; applied "
                                       "to the design-based counterparts (main survey weight) "
                                       "of the primary specs")
                s_units = [u for _, u in svy.groupby(["spec_id", "stratum"], sort=False)]
                s_ok = svy[(svy["scope"] == "year") & (svy["status"] == "ok")]
                s_dirs = sorted(set(s_ok["observed_direction"]) - {""})
                exp_of |= {k: exp_of.get(v, "any") for k, v in design_of.items()}
                todo.append((f"{default_rule}_design", rule, s_units,
                             [_unit_summary(u, alpha) for u in s_units],
                             s_dirs[0] if len(s_dirs) == 1 else ("mixed" if s_dirs else "")))
            for rname, rule, units, summaries, direction in todo:
                verdicts = [_unit_verdict(u, rule, alpha, exp_of[u["spec_id"].iloc[0]])
                            for u in units]
                n_sup = verdicts.count("supported")
                n_est = len(verdicts) - verdicts.count("not estimable")
                if n_sup:
                    verdict = "Supported"
                elif n_est == 0:
                    verdict = "Not estimable"
                else:
                    verdict = "Not supported"
                study = h["study_verdict"]
                agree = ("n/a" if study not in ("Supported", "Not supported")
                         or verdict == "Not estimable" else
                         "agree" if verdict == study else "differ")
                records.append({
                    "sample": sample, "hypothesis": hyp, "label": h["label"],
                    "secondary": bool(h.get("secondary", False)), "study_verdict": study,
                    "rule": rname, "rule_description": " ".join(str(rule["description"]).split()),
                    "verdict": verdict, "agree": agree, "units_supported": n_sup,
                    "units_estimable": n_est, "units_total": len(verdicts),
                    "direction_observed": direction,
                    "summary": " | ".join(
                        s for s, v in zip(summaries, verdicts, strict=True)
                        if v == "supported" or len(units) <= 3
                    ) or f"no unit supported ({len(units)} units)",
                    "synthetic": bool(rows["synthetic"].astype(str).eq("True").any())
                    if "synthetic" in rows else False,
                })
    return pd.DataFrame(records, columns=VERDICT_COLUMNS)



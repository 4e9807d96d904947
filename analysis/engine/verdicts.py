"""Verdicts: one per (sample, hypothesis, rule), beside the study's Table 2."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.columns import (
    VERDICT_COLUMNS,
)

# --------------------------------------------------------------------------- verdicts
#: The columns of a test row the verdict rules read.
_COLS = ("sample", "hypothesis", "verdict_role", "spec_id", "stratum", "stratum_var", "scope",
         "year", "status", "reason", "p", "p_holm", "p_bh", "observed_direction", "synthetic")

Row = dict[str, Any]


def _test_records(results: pd.DataFrame) -> list[Row]:
    """The test rows of the results as records (one conversion; the rules then read dicts)."""
    tests = results[results["role"] == "test"]
    cols = [c for c in (*_COLS, *(c for c in tests.columns if c.startswith("p_")))
            if c in tests.columns]
    cols = list(dict.fromkeys(cols))
    return [dict(zip(cols, vals, strict=True))
            for vals in zip(*(tests[c].tolist() for c in cols), strict=True)]


def _units(rows: list[Row]) -> list[list[Row]]:
    """Rows grouped by (spec_id, stratum), groups in order of first appearance."""
    groups: dict[tuple[Any, Any], list[Row]] = {}
    for r in rows:
        key = (r["spec_id"], r["stratum"])
        if not any(isinstance(k, float) and k != k for k in key):  # noqa: PLR0124 (NaN)
            groups.setdefault(key, []).append(r)
    return list(groups.values())


def _lt(p: Any, alpha: float) -> bool:
    return p is not None and p is not pd.NA and float(p) < alpha


def _unit_verdict(unit: list[Row], rule: dict[str, Any], alpha: float,
                  expected: str) -> str:
    """'supported', 'not supported' or 'not estimable' for one (spec, stratum) unit."""
    pcol = rule.get("p", "p")
    scope = "pooled" if rule.get("scope") == "pooled" else "year"
    rows = [r for r in unit if r["scope"] == scope and r["status"] == "ok"]
    if not rows:
        return "not estimable"
    sig = [_lt(r[pcol], alpha) for r in rows]
    good_dir = [expected == "any" or r["observed_direction"] == expected for r in rows]
    hits = sum(s and g for s, g in zip(sig, good_dir, strict=True))
    if scope == "pooled":
        return "supported" if hits else "not supported"
    need = rule.get("min_significant_years", 1)
    ok = hits == len(rows) if need == "all" else hits >= int(need)
    if rule.get("direction_every_year", True) and expected != "any":
        ok = ok and all(good_dir)
    return "supported" if ok else "not supported"


def _year_key(r: Row) -> tuple[bool, float]:
    y = r["year"]
    missing = y is None or y is pd.NA or (isinstance(y, float) and y != y)  # noqa: PLR0124
    return (missing, 0.0 if missing else float(y))


def _unit_summary(unit: list[Row], alpha: float) -> str:
    years = sorted((r for r in unit if r["scope"] == "year"), key=_year_key)
    ok = [r for r in years if r["status"] == "ok"]
    first = unit[0]
    spec, stratum = first["spec_id"], first["stratum"]
    where = f"{spec}" + (f" [{first['stratum_var']} = {stratum}]" if stratum else "")
    if not ok:
        return f"{where}: not estimable ({years[0]['reason'] if years else 'no data'})"
    sig_years = [str(r["year"]) for r in ok if _lt(r["p"], alpha)]
    dir_text = ", ".join(f"{r['year']}: {r['observed_direction'] or 'n/a'}" for r in ok)
    return (f"{where}: significant in {len(sig_years)} of {len(ok)} years"
            + (f" ({', '.join(sig_years)})" if sig_years else "") + f"; direction {dir_text}")


def _direction(rows: list[Row]) -> str:
    dirs = sorted({r["observed_direction"] for r in rows
                   if r["scope"] == "year" and r["status"] == "ok"} - {""})
    return dirs[0] if len(dirs) == 1 else ("mixed" if dirs else "")


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

    test_rows = _test_records(results)
    default_rule = specs.get("default_rule") or next(iter(specs["rules"]), "")
    records = []
    by_sample: dict[Any, list[Row]] = {}
    for r in test_rows:
        by_sample.setdefault(r["sample"], []).append(r)
    for sample in sorted(by_sample):
        sample_rows = by_sample[sample]
        for hyp, h in specs["hypotheses"].items():
            hyp_rows = [r for r in sample_rows if r["hypothesis"] == hyp]
            rows = [r for r in hyp_rows if r["verdict_role"] == "primary"]
            units = _units(rows)
            exp_of = {t["id"]: t.get("expected_direction", "any") for t in h["tests"]}
            summaries = [_unit_summary(u, alpha) for u in units]
            todo: list[tuple[str, dict[str, Any], list[list[Row]], list[str], str]] = [
                (rname, rule, units, summaries, _direction(rows))
                for rname, rule in specs["rules"].items()]
            design_of = {survey_spec_id(t["id"]): t["id"] for t in h["tests"]
                         if t.get("verdict", "primary") == "primary"}
            svy = [r for r in hyp_rows if r["spec_id"] in design_of]
            if svy and default_rule in specs["rules"]:
                rule = dict(specs["rules"][default_rule])
                rule["description"] = (f"{' '.join(str(rule['description']).split())}; applied "
                                       "to the design-based counterparts (main survey weight) "
                                       "of the primary specs")
                s_units = _units(svy)
                exp_of |= {k: exp_of.get(v, "any") for k, v in design_of.items()}
                todo.append((f"{default_rule}_design", rule, s_units,
                             [_unit_summary(u, alpha) for u in s_units], _direction(svy)))
            for rname, rule, units, summaries, direction in todo:
                verdicts = [_unit_verdict(u, rule, alpha, exp_of[u[0]["spec_id"]])
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
                    "synthetic": any(str(r.get("synthetic")) == "True" for r in rows),
                })
    return pd.DataFrame(records, columns=VERDICT_COLUMNS)



"""Stages ``normality`` and ``hypotheses``: read a sample's panel, run, write CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.engine.comparisons import run_hypotheses
from analysis.engine.specs import load_specs
from analysis.engine.verdicts import derive_verdicts
from analysis.stats.normality import normality_report

DECIMALS = 12


def snap_noise(results: pd.DataFrame) -> pd.DataFrame:
    """Round statistics to 12 decimal places, so their written digits do not depend on rounding.

    A coefficient of 1e-17 (and its Wald statistic of 1e-35) is floating-point noise around an
    exact zero, and the last digits of a small statistic (a likelihood-ratio of 1.08e-07) vary
    with the order of floating-point operations; rounding at 1e-12 absolute writes the former as
    0 and keeps the latter's digits stable, so tables stay byte-identical across machines.
    p-values are never rounded.
    """
    out = results.copy()
    for col in ("value", "ci_low", "ci_high"):
        x = out[col].to_numpy(dtype=float, copy=True)
        finite = np.isfinite(x)
        x[finite] = np.round(x[finite], DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0
        out[col] = x
    return out


def run_hypotheses_stage(*, panel_path: str, specs_path: str, sample: str, alpha: float,
              out_results: str, out_verdicts: str) -> None:
    """Stage ``hypotheses``: run every spec on one sample; write results and verdicts."""
    import logging

    from analysis.runlog import write_csv

    log = logging.getLogger(__name__)
    specs = load_specs(specs_path)
    panel = pd.read_parquet(panel_path)
    results = run_hypotheses(panel, specs, sample=sample, alpha=alpha)
    verdicts = derive_verdicts(results, specs, alpha=alpha)
    tests = results[results["role"] == "test"]
    log.info("%d comparisons, %d not estimable", len(tests),
             int((tests["status"] != "ok").sum()))
    for r in verdicts[verdicts["rule"] == specs["default_rule"]].itertuples():
        log.info("%s: %s (study: %s)", r.hypothesis, r.verdict, r.study_verdict)
    write_csv(snap_noise(results), out_results)
    write_csv(verdicts, out_verdicts)


def run_normality(*, panel_path: str, variables: list[str], by: list[list[str]], alpha: float,
                  out_table: str) -> pd.DataFrame:
    """Stage ``normality``: the normality report of one sample, written as CSV."""
    import logging

    from analysis.runlog import write_csv

    log = logging.getLogger(__name__)
    panel = pd.read_parquet(panel_path)
    skipped = [v for v in variables if v not in panel.columns or panel[v].isna().all()]
    if skipped:
        log.info("not available in this panel, not tested: %s", skipped)
    table = normality_report(panel, variables, by, alpha)
    if "synthetic" in panel:
        table["synthetic"] = bool(panel["synthetic"].any())
    ok = table[table["status"] == "ok"]
    log.info("%d tests, %d not normal at alpha = %s", len(ok),
             int((ok["decision"] == "not normal").sum()), alpha)
    write_csv(table, out_table)
    return table

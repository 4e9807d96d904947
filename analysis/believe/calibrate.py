"""Calibration of the synthetic generator: effect sizes under which the study's pattern is the
most likely outcome, chosen by a deterministic coordinate search.

The search never looks at the committed panels or their seed. Every candidate is judged on the
same ``replications`` draws, whose seeds come from the calibration seed and the replication
index (common random numbers), so the comparison between candidates is a comparison of
parameters; the chosen values are then used with the panel seed unchanged.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import pandas as pd

from analysis.believe.pattern import components
from analysis.believe.simulate import (
    child_seed,
    restrict,
    set_parameter,
    synthetic_panel,
    units,
)

log = logging.getLogger(__name__)

#: The hypotheses whose specs decide each component (what a step reruns).
COMPONENT_HYPOTHESES = {
    "H1_all_years": ["H1"], "H2_one_of_three": ["H2"], "H3_one_of_three": ["H3"],
    "H4_high": ["H4"], "H5_not_supported": ["H5"], "H5_tqm_high": ["H5"],
    "H5_jit_little": ["H5"], "S1": ["S1"], "metric_not_normal": ["H2", "H3", "H4", "S1"],
    "table2": ["H1", "H2", "H3", "H4", "H5"],
}
#: The specs each component needs (a step reruns only these).
COMPONENT_SPECS = {
    "H1_all_years": ["H1_crosstab"], "H2_one_of_three": ["H2_export_share"],
    "H3_one_of_three": ["H3_rota"], "H4_high": ["H4_team_size", "H4_training", "H4_planning"],
    "H5_not_supported": ["H5_export_plan"], "H5_tqm_high": ["H5_tqm"], "H5_jit_little": ["H5_jit"],
    "metric_not_normal": ["H2_export_share", "H3_rota", "H4_team_size", "S1_size",
                          "S1_innovation_degree"],
}
#: Salt of the calibration's replication seeds (distinct from the other simulations').
SALT = 3


def _value(params: dict[str, Any], dotted: str) -> Any:
    block, key = dotted.split(",")[0].strip().split(".", 1)
    return params[block].get(key)


def component_rates(params: dict[str, Any], specs: dict[str, Any], *, wanted: list[str],
                    replications: int, seed: int, derive: dict[str, Any],
                    size_def: dict[str, Any], alpha: float) -> dict[str, float]:
    """Share of ``replications`` synthetic draws showing each wanted component (and all)."""
    from analysis.engine.comparisons import run_hypotheses

    hyps = sorted({h for c in wanted for h in COMPONENT_HYPOTHESES[c]})
    ids = None
    if all(c in COMPONENT_SPECS for c in wanted):
        ids = sorted({s for c in wanted for s in COMPONENT_SPECS[c]})
    sub = restrict(specs, hyps, ids)
    hits = dict.fromkeys([*wanted, "all"], 0)
    for rep in range(replications):
        p = dict(params, seed=child_seed(seed, SALT, rep))
        panel = synthetic_panel(p, derive=derive, size_def=size_def)
        c = components(units(run_hypotheses(panel, sub, alpha=alpha)), sub, alpha)
        for name in wanted:
            hits[name] += bool(c.get(name, False))
        hits["all"] += all(bool(c.get(name, False)) for name in wanted)
    return {k: v / replications for k, v in hits.items()}


def calibrate(params: dict[str, Any], specs: dict[str, Any], steps: list[dict[str, Any]], *,
              replications: int, seed: int, derive: dict[str, Any], size_def: dict[str, Any],
              alpha: float) -> tuple[dict[str, Any], pd.DataFrame]:
    """Coordinate search: for each step, in order, keep the candidate value (or combination of
    values) under which the step's components are most often all met (over the step's own
    ``replications`` when it gives them, else ``replications``).

    Ties go to the first candidate listed (list today's value first to keep it unless another
    is better). Returns the calibrated parameters and one row per (step, candidate) with the
    rate of each component and of all of them.

    Examples
    --------
    A search is a pure function of its inputs: see ``tests/test_believe.py``.
    """
    import itertools

    current = copy.deepcopy(params)
    rows = []
    for i, step in enumerate(steps):
        names = list(step["parameters"])
        grid = list(itertools.product(*(step["parameters"][n] for n in names)))
        best, best_rate = None, -1.0
        for cand in grid:
            trial = current
            for n, v in zip(names, cand, strict=True):
                trial = set_parameter(trial, n, v)
            reps = int(step.get("replications", replications))
            rates = component_rates(trial, specs, wanted=list(step["components"]),
                                    replications=reps, seed=seed, derive=derive,
                                    size_def=size_def, alpha=alpha)
            log.info("step %d %s = %s: %s", i + 1, names, list(cand), rates)
            rows.append({"step": i + 1, "parameters": "; ".join(names),
                         "candidate": "; ".join(map(str, cand)),
                         "before": "; ".join(str(_value(current, n)) for n in names),
                         "components": " & ".join(step["components"]),
                         "rate": rates["all"], "replications": reps,
                         **{f"rate_{k}": v for k, v in rates.items() if k != "all"}})
            if rates["all"] > best_rate:
                best, best_rate = cand, rates["all"]
        assert best is not None
        for n, v in zip(names, best, strict=True):
            current = set_parameter(current, n, v)
        for r in rows:
            if r["step"] == i + 1:
                r["chosen"] = r["candidate"] == "; ".join(map(str, best))
    return current, pd.DataFrame(rows)

"""Calibration of the synthetic generator: effect sizes under which the study's pattern is the
most likely (modal) outcome, chosen by a deterministic coordinate search.

The search never looks at the committed panels or their seed. Every candidate is judged on the
same ``replications`` draws, whose seeds come from the calibration seed and the replication
index (common random numbers), so the comparison between candidates is a comparison of
parameters; the chosen values are then used with the panel seed unchanged.

A step's candidates are ranked by how many of the step's components have the study's value as
their most frequent value (:func:`judge`), then by how often all of them show the study's value
at once; ties go to the first candidate listed.
"""

from __future__ import annotations

import copy
import itertools
import logging
from typing import Any

import pandas as pd

from analysis.believe.pattern import COMPONENTS, evaluate, pattern_specs, study_values, table2
from analysis.believe.simulate import (
    child_seed,
    restrict,
    run_units,
    set_parameter,
    synthetic_panel,
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
#: The value of the derived ``table2`` component (Table 2 as the study's, or not).
TABLE2 = ("as the study's", "differs")


def _value(params: dict[str, Any], dotted: str) -> Any:
    block, key = dotted.split(",")[0].strip().split(".", 1)
    return params[block].get(key)


def candidates(parameters: dict[str, list[Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The parameter names of a step and its candidates (one value per name).

    A key names one parameter (``block.key``), several that take the same value
    (``a.x,b.x``), or several that take values in pairs (``a.x; b.y``, each candidate a list
    with one value per parameter). A step with several keys tries every combination.

    Examples
    --------
    >>> candidates({"a.x; a.y": [[1, 2], [3, 4]], "b.z": [0, 5]})
    (['a.x', 'a.y', 'b.z'], [(1, 2, 0), (1, 2, 5), (3, 4, 0), (3, 4, 5)])
    """
    names: list[str] = []
    options: list[list[tuple[Any, ...]]] = []
    for key, values in parameters.items():
        parts = [p.strip() for p in key.split(";")]
        names += parts
        if len(parts) == 1:
            options.append([(v,) for v in values])
        else:
            bad = [v for v in values if not isinstance(v, list | tuple) or len(v) != len(parts)]
            if bad:
                raise ValueError(f"calibration step {key!r}: each candidate needs "
                                 f"{len(parts)} values, not {bad[0]!r}")
            options.append([tuple(v) for v in values])
    combos = [tuple(x for part in combo for x in part) for combo in itertools.product(*options)]
    return names, combos


def component_values(params: dict[str, Any], specs: dict[str, Any], *, wanted: list[str],
                     replications: int, seed: int, derive: dict[str, Any],
                     size_def: dict[str, Any], alpha: float) -> pd.DataFrame:
    """The value of each wanted component in each of ``replications`` synthetic draws.

    Only the specs the components need are run (and only the years: the components and the
    study's verdict rule judge years). Draw ``i`` uses the seed derived from ``seed``, the
    calibration's salt and ``i``, whatever ``params`` are (common random numbers).
    """
    hyps = sorted({h for c in wanted for h in COMPONENT_HYPOTHESES[c]})
    ids = None
    if all(c in COMPONENT_SPECS for c in wanted):
        ids = sorted({s for c in wanted for s in COMPONENT_SPECS[c]})
    sub = pattern_specs(restrict(specs, hyps, ids))
    rows = []
    for rep in range(replications):
        p = dict(params, seed=child_seed(seed, SALT, rep))
        panel = synthetic_panel(p, derive=derive, size_def=size_def)
        u = run_units(panel, sub, alpha=alpha)
        values, verdict = evaluate(u, sub, alpha)
        if "table2" in wanted:
            values["table2"] = TABLE2[0] if table2(verdict, specs) else TABLE2[1]
        rows.append({name: values.get(name, "not run") for name in wanted})
    return pd.DataFrame(rows, columns=wanted)


def judge(values: pd.DataFrame, study: dict[str, str]) -> dict[str, Any]:
    """How well a candidate's draws show the study's values.

    Returns, per component, ``rate_<c>`` (share of draws with the study's value) and
    ``modal_<c>`` (no other value is more frequent); ``modal`` (how many components have the
    study's value as a most frequent value) and ``rate`` (share of draws showing all of the
    study's values at once).

    Examples
    --------
    >>> v = pd.DataFrame({"a": ["x", "x", "y"], "b": ["u", "v", "v"]})
    >>> j = judge(v, {"a": "x", "b": "u"})
    >>> j["modal"], round(j["rate"], 3), j["modal_b"]
    (1, 0.333, False)
    """
    out: dict[str, Any] = {}
    hit = pd.Series(True, index=values.index)
    modal = 0
    for c in values.columns:
        counts = values[c].value_counts()
        mine = int(counts.get(study[c], 0))
        is_modal = bool(len(counts)) and mine >= int(counts.max())
        out[f"rate_{c}"] = mine / len(values) if len(values) else float("nan")
        out[f"modal_{c}"] = is_modal
        modal += is_modal
        hit &= values[c] == study[c]
    out["modal"] = modal
    out["rate"] = float(hit.mean()) if len(values) else float("nan")
    return out


def calibrate(params: dict[str, Any], specs: dict[str, Any], steps: list[dict[str, Any]], *,
              replications: int, seed: int, derive: dict[str, Any], size_def: dict[str, Any],
              alpha: float) -> tuple[dict[str, Any], pd.DataFrame]:
    """Coordinate search: for each step, in order, keep the candidate value (or combination of
    values) under which most of the step's components have the study's value as their most
    frequent value, and among those the one under which the step's components most often all
    show the study's values (over the step's own ``replications`` when it gives them, else
    ``replications``).

    Ties go to the first candidate listed (list the value before calibration first to keep it
    unless another is better). Returns the calibrated parameters and one row per (step,
    candidate) with the rate of each component, whether the study's value is modal, and the
    rate of all of them.

    Examples
    --------
    A search is a pure function of its inputs: see ``tests/test_believe.py``.
    """
    study = dict(study_values(specs), table2=TABLE2[0])
    current = copy.deepcopy(params)
    rows = []
    for i, step in enumerate(steps):
        names, grid = candidates(step["parameters"])
        wanted = [c for c in step["components"] if c in (*COMPONENTS, "table2")]
        reps = int(step.get("replications", replications))
        best, best_key = None, (-1, -1.0)
        for c, cand in enumerate(grid):
            trial = current
            for n, v in zip(names, cand, strict=True):
                trial = set_parameter(trial, n, v)
            values = component_values(trial, specs, wanted=wanted, replications=reps,
                                      seed=seed, derive=derive, size_def=size_def, alpha=alpha)
            res = judge(values, study)
            log.info("step %d/%d, candidate %d/%d (%d replications): %s = %s: the study's "
                     "value modal in %d of %d components, all shown in %.3f", i + 1, len(steps),
                     c + 1, len(grid), reps, names, list(cand), res["modal"], len(wanted),
                     res["rate"])
            rows.append({"step": i + 1, "parameters": "; ".join(names),
                         "candidate": "; ".join(map(str, cand)),
                         "before": "; ".join(str(_value(current, n)) for n in names),
                         "components": " & ".join(wanted), "modal": res["modal"],
                         "of": len(wanted), "rate": res["rate"], "replications": reps,
                         **{k: v for k, v in res.items() if k not in ("modal", "rate")}})
            key = (res["modal"], res["rate"])
            if key > best_key:
                best, best_key = cand, key
        assert best is not None
        for n, v in zip(names, best, strict=True):
            current = set_parameter(current, n, v)
        for r in rows:
            if r["step"] == i + 1:
                r["chosen"] = r["candidate"] == "; ".join(map(str, best))
    return current, pd.DataFrame(rows)

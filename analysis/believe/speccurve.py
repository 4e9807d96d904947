"""Specification curve: each hypothesis over a declared grid of defensible analysis choices.

A *specification* is one combination of the choices that apply to a hypothesis (size
definition, size status, band cut-offs, population, test family, binary test and controls,
verdict rule, alpha). Choices that change the data or the tests are *run* choices: each
combination is one engine run on the re-derived panel; the rule and alpha only re-judge a run.
Each specification records the hypothesis' verdict and an estimate: the headline comparison's
pooled test as a z-score signed so that positive points the expected way (its effect size and
interval beside it). The joint test (Simonsohn, Simmons & Nelson 2020) compares the observed
curve with curves on panels whose group labels were permuted between firms within country.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np
import pandas as pd

from analysis.believe.simulate import (
    adjust_units,
    derived_panel,
    permute_groups,
    restrict,
    unit_verdicts,
    with_family,
)

log = logging.getLogger(__name__)

RUN_CHOICES = ("size_definition", "size_status", "doi_cuts", "exporters_only", "test_family",
               "binary_test")
JUDGE_CHOICES = ("rule", "alpha")
CHOICES = RUN_CHOICES + JUDGE_CHOICES


def applicable(specs: dict[str, Any], hypothesis: str, exporters_only_for: list[str]) -> list[str]:
    """The choices that can change a hypothesis' result.

    Examples
    --------
    >>> specs = {"hypotheses": {"H1": {"tests": [{"id": "a", "test": "crosstab"}]}}}
    >>> applicable(specs, "H1", [])
    ['size_definition', 'size_status', 'binary_test', 'rule', 'alpha']
    """
    tests = [t for t in specs["hypotheses"][hypothesis]["tests"]
             if t.get("verdict", "primary") == "primary"]
    out = ["size_definition", "size_status"]
    uses_bands = any(t.get("strata") == "doi_band" or "doi_band" in (t.get("population") or {})
                     or t.get("outcome") == "doi_band" for t in tests)
    if uses_bands:
        out.append("doi_cuts")
    if hypothesis in exporters_only_for:
        out.append("exporters_only")
    if any(t["test"] == "auto" for t in tests):
        out.append("test_family")
    if any(t["test"] == "crosstab" and not t.get("strata") for t in tests):
        out.append("binary_test")
    return out + list(JUDGE_CHOICES)


def expand_grid(choices: dict[str, list[Any]], names: list[str],
                baseline: dict[str, Any]) -> pd.DataFrame:
    """Every combination of the applicable choices ``names``; the others stay at ``baseline``.

    Returns one row per specification, the columns of :data:`CHOICES` (list values as text,
    e.g. ``"10-40"``) and ``is_baseline``.

    Examples
    --------
    >>> g = expand_grid({"alpha": [0.05, 0.1], "rule": ["study", "pooled"],
    ...                  "size_status": ["first_year"]}, ["alpha", "rule"],
    ...                 {"alpha": 0.05, "rule": "study", "size_status": "first_year"})
    >>> len(g), int(g["is_baseline"].sum())
    (4, 1)
    """
    def text(v: Any) -> Any:
        return "-".join(str(x) for x in v) if isinstance(v, list | tuple) else v

    base = {k: text(v) for k, v in baseline.items()}
    values = [[text(v) for v in choices[n]] for n in names]
    rows = []
    for combo in itertools.product(*values):
        row = dict(base)
        row.update(zip(names, combo, strict=True))
        rows.append(row)
    out = pd.DataFrame(rows, columns=[c for c in CHOICES if c in base or c in names])
    out["is_baseline"] = np.all([out[c] == base.get(c) for c in out.columns], axis=0)
    return out.drop_duplicates().reset_index(drop=True)


def _spec_variant(specs: dict[str, Any], hypothesis: str, run: dict[str, Any],
                  country_ref: str = "") -> dict[str, Any]:
    out = restrict(specs, [hypothesis])
    h = out["hypotheses"][hypothesis]
    h["tests"] = [t for t in h["tests"] if t.get("verdict", "primary") == "primary"]
    if run.get("exporters_only") in (True, "True", "true"):
        for t in h["tests"]:
            t["population"] = {**(t.get("population") or {}), "internationalized": [True]}
    bt = run.get("binary_test", "crosstab")
    if bt != "crosstab":
        for t in h["tests"]:
            if t["test"] == "crosstab" and not t.get("strata"):
                t["test"] = "logit"
                t["controls"] = ["country"] if bt == "logit_country" and country_ref else []
                if t["controls"]:
                    t["categorical"] = {"country": country_ref}
    return with_family(out, str(run.get("test_family", "auto")))


def _z(p: float, observed: str, expected: str) -> float:
    from scipy.stats import norm

    if not np.isfinite(p):
        return float("nan")
    z = float(norm.isf(max(p, 1e-300) / 2))
    if expected == "any":
        return z
    return z if observed == expected else -z


def run_grid(panel: pd.DataFrame, specs: dict[str, Any], hypothesis: str, grid: pd.DataFrame, *,
             sizes: dict[str, Any], derive: dict[str, Any], headline: dict[str, str],
             alpha: float, rng: np.random.Generator | None = None,
             derived: dict[tuple[Any, ...], pd.DataFrame] | None = None) -> pd.DataFrame:
    """Run every specification of ``grid`` for one hypothesis on a panel.

    With ``rng`` the group labels of every re-derived panel are permuted between firms within
    country first (one draw of the joint test's null; every data variant is permuted from the
    same seed). Each test spec runs once per data variant and test (a choice that leaves a spec
    unchanged reuses its result), all the tests of one data variant in one pass of the engine;
    Holm and Benjamini-Hochberg adjustments are then applied within the hypothesis, and every
    specification is judged under each of its rules and alphas in one pass over all runs.
    ``derived`` is a cache of the re-derived panels (before any permutation), to share between
    calls on the same panel. Returns the grid with verdict, estimate (signed z), p and the
    headline effect.
    """
    import json

    from analysis.believe.simulate import run_units

    run_cols = [c for c in RUN_CHOICES if c in grid]
    state = None if rng is None else int(rng.integers(2**63 - 1))
    derived = {} if derived is None else derived
    variants: dict[tuple[Any, ...], pd.DataFrame] = {}
    # 1. every run's data variant and tests
    plan: list[tuple[dict[str, Any], pd.DataFrame, tuple[Any, ...], list[str]]] = []
    needed: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    for run_key, rows in grid.groupby(run_cols, sort=False):
        run = dict(zip(run_cols, run_key, strict=True))
        dkey = (run.get("size_definition"), run.get("size_status"), run.get("doi_cuts"))
        if dkey not in derived:
            cuts = [float(x) for x in str(run.get("doi_cuts", "10-40")).split("-")]
            d = dict(derive, size_status=run.get("size_status", derive["size_status"]),
                     doi_bands=dict(derive["doi_bands"], cuts=cuts))
            size_def = dict(sizes[run.get("size_definition", "study")],
                            name=run.get("size_definition", "study"))
            derived[dkey] = derived_panel(panel, derive=d, size_def=size_def)
        if dkey not in variants:
            p = derived[dkey]
            variants[dkey] = p if state is None else permute_groups(
                p, np.random.default_rng(state))
        panel_v = variants[dkey]
        countries = (sorted(panel_v["country"].dropna().astype(str).unique())
                     if "country" in panel_v else [])
        sp = _spec_variant(specs, hypothesis, run, countries[0] if len(countries) > 1 else "")
        keys = []
        for t in sp["hypotheses"][hypothesis]["tests"]:
            tkey = json.dumps(t, sort_keys=True, default=str)
            needed.setdefault(dkey, {}).setdefault(tkey, t)
            keys.append(tkey)
        plan.append((run, rows, dkey, keys))
    # 2. one engine pass per data variant over its distinct tests (ids made unique for the pass)
    cache: dict[tuple[Any, ...], pd.DataFrame] = {}
    base = restrict(specs, [hypothesis])["hypotheses"][hypothesis]
    for dkey, tests in needed.items():
        tagged = [dict(t, id=f"{t['id']}#{i}") for i, t in enumerate(tests.values())]
        u = run_units(variants[dkey], dict(specs, hypotheses={hypothesis: dict(
            base, tests=tagged)}), alpha=alpha)
        tag = u["spec_id"].astype(str).str.rsplit("#", n=1)
        u["spec_id"] = tag.str[0]
        index = tag.str[1].astype(int).to_numpy()
        for i, tkey in enumerate(tests):
            cache[(dkey, tkey)] = u[index == i].reset_index(drop=True)
    runs: list[tuple[dict[str, Any], pd.DataFrame]] = []
    tables = []
    for k, (run, rows, dkey, keys) in enumerate(plan):
        tables.append(pd.concat([cache[(dkey, t)] for t in keys], ignore_index=True)
                      .assign(_run=k))
        runs.append((run, rows))
    u = adjust_units(pd.concat(tables, ignore_index=True), by=["_run"])
    alphas = sorted({float(a) for a in grid["alpha"]}) if "alpha" in grid else [alpha]
    rules = sorted(set(grid["rule"])) if "rule" in grid else [specs["default_rule"]]
    judged: dict[tuple[int, float, str], str] = {}
    for a in alphas:
        v = unit_verdicts(u, {r: specs["rules"][r] for r in rules}, a, by=["_run"])
        judged |= {(int(k), a, r): x for k, r, x in zip(v["_run"], v["rule"], v["verdict"],
                                                         strict=True)}
    head_all = u[(u["spec_id"] == headline["spec"]) & (u["scope"] == "pooled")
                 & (u["stratum"] == str(headline.get("stratum", "")))]
    heads = dict(tuple(head_all.groupby("_run", sort=False)))
    out = []
    for k, (_run, rows) in enumerate(runs):
        head = heads.get(k)
        h = head.iloc[0] if head is not None and len(head) else None
        ok = h is not None and h["status"] == "ok"
        common = {
            "test": h["test"] if h is not None else "",
            "p": float(h["p"]) if ok else float("nan"),
            "observed_direction": h["observed_direction"] if ok else "",
            "estimate": _z(float(h["p"]), str(h["observed_direction"]),
                           str(h["expected_direction"])) if ok else float("nan"),
            "effect_statistic": h["effect_statistic"] if h is not None else "",
            "effect": float(h["effect"]) if ok else float("nan"),
            "effect_low": float(h["ci_low"]) if ok else float("nan"),
            "effect_high": float(h["ci_high"]) if ok else float("nan"),
        }
        for r in rows.itertuples(index=False):
            r = r._asdict()
            key = (k, float(r.get("alpha", alpha)), r.get("rule", specs["default_rule"]))
            verdict = judged.get(key, "Not estimable")
            r.update({"verdict": verdict, "supported": verdict == "Supported", **common})
            out.append(r)
    res = pd.DataFrame(out)
    res.insert(0, "hypothesis", hypothesis)
    return res


def flips(curve: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Which single choices flip the verdict: each alternative value of each choice, set on the
    baseline specification with everything else kept, and the verdict it gives.

    Returns one row per (choice, value): the baseline verdict, the verdict with that value,
    ``flips``, and the support share among every specification with that value.

    Examples
    --------
    >>> c = pd.DataFrame({"hypothesis": "H", "alpha": [0.05, 0.1], "rule": "study",
    ...                   "is_baseline": [True, False],
    ...                   "verdict": ["Not supported", "Supported"], "supported": [False, True]})
    >>> flips(c, ["alpha", "rule"])[["choice", "value", "flips"]].to_dict("records")
    [{'choice': 'alpha', 'value': '0.1', 'flips': True}]
    """
    base = curve[curve["is_baseline"]]
    if base.empty:
        return pd.DataFrame(columns=["hypothesis", "choice", "value", "baseline_value",
                                     "baseline_verdict", "verdict", "flips", "support_share",
                                     "specifications"])
    b = base.iloc[0]
    rows = []
    for name in names:
        for value in pd.unique(curve[name]):
            if value == b[name]:
                continue
            same = np.ones(len(curve), dtype=bool)
            for other in names:
                same &= (curve[other] == (value if other == name else b[other])).to_numpy()
            hit = curve[same]
            with_value = curve[curve[name] == value]
            verdict = hit["verdict"].iloc[0] if len(hit) else ""
            rows.append({"hypothesis": b["hypothesis"], "choice": name, "value": str(value),
                         "baseline_value": str(b[name]), "baseline_verdict": b["verdict"],
                         "verdict": verdict, "flips": bool(verdict) and verdict != b["verdict"],
                         "support_share": float(with_value["supported"].mean()),
                         "specifications": len(with_value)})
    return pd.DataFrame(rows)


def curve_statistics(curve: pd.DataFrame) -> dict[str, float]:
    """The joint test's statistics of one curve: the share of specifications that support the
    hypothesis, the median signed z of the distinct runs and Stouffer's z of those runs."""
    runs = curve.drop_duplicates([c for c in RUN_CHOICES if c in curve])
    z = runs["estimate"].to_numpy(dtype=float)
    z = z[np.isfinite(z)]
    return {"support_share": float(curve["supported"].mean()),
            "median_z": float(np.median(z)) if z.size else float("nan"),
            "stouffer_z": float(z.sum() / np.sqrt(z.size)) if z.size else float("nan")}


def joint_test(observed: dict[str, float], permuted: pd.DataFrame) -> pd.DataFrame:
    """p of each curve statistic: (1 + permutations at least as large) / (1 + permutations).

    Examples
    --------
    >>> perm = pd.DataFrame({"support_share": [0.0, 0.1, 0.5]})
    >>> joint_test({"support_share": 0.4}, perm)[["statistic", "p"]].to_dict("records")
    [{'statistic': 'support_share', 'p': 0.5}]
    """
    rows = []
    for stat, value in observed.items():
        if stat not in permuted:
            continue
        null = permuted[stat].to_numpy(dtype=float)
        null = null[np.isfinite(null)]
        extreme = int((null >= value - 1e-12).sum()) if np.isfinite(value) else 0
        rows.append({"statistic": stat, "observed": value, "permutations": int(null.size),
                     "null_median": float(np.median(null)) if null.size else float("nan"),
                     "p": (1 + extreme) / (1 + null.size)})
    return pd.DataFrame(rows)

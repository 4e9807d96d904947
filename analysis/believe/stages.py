"""The Snakemake stages of "how much to believe each verdict" (workflow/rules/believe.smk).

Each stage reads its inputs, runs one chunk of replications (or one hypothesis' grid) and writes
CSV. Replication ``i`` of a simulation always draws from the seed derived from the settings'
seed, the simulation's salt and ``i``, so the outputs do not depend on how the replications are
split into chunks or on the number of cores.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.believe.settings import chunk_reps, load_believe
from analysis.believe.simulate import (
    child_seed,
    permute_groups,
    replicate,
    scale_effects,
    synthetic_panel,
    unit_verdicts,
)

log = logging.getLogger(__name__)

#: Seed salts of the simulations (replication i of simulation s uses child_seed(seed, s, i)).
SALTS = {"generator": 1, "panel": 2, "power": 4, "bootstrap": 5, "reproduce": 6,
         "speccurve": 7, "analytic": 8}


def _context(believe_path: str, specs_path: str, derive: dict[str, Any], presets_dir: str
             ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    from analysis.config import size_definition
    from analysis.engine.specs import load_specs

    specs = load_specs(specs_path)
    return load_believe(believe_path, specs), specs, size_definition(derive, presets_dir)


def _synthetic(panel: pd.DataFrame) -> bool:
    return bool(panel["synthetic"].any()) if "synthetic" in panel else False


def _progress(what: str, chunk: int, chunks: int, i: int, n: int,
              unit: str = "replication") -> None:
    """Log "<what>: chunk k/n, replication i/N" after the first replication, then about every
    tenth of the chunk and after the last (chunks and replications counted from 1)."""
    if n and (i == 0 or i + 1 == n or (i + 1) % max(1, n // 10) == 0):
        log.info("%s: chunk %d/%d, %s %d/%d", what, chunk + 1, chunks, unit, i + 1, n)


def run_no_effect(*, source: str, chunk: int, believe_path: str, specs_path: str,
                  synthetic_path: str, panel_path: str, derive: dict[str, Any],
                  presets_dir: str, alpha: float, out_units: str, out_verdicts: str) -> None:
    """One chunk of replications under no effect: ``source`` ``generator`` (the synthetic
    process with every group effect 0) or ``panel`` (the analysed panel, group labels permuted
    between firms within country); every test family of the settings."""
    from analysis.config import load_yaml
    from analysis.runlog import write_csv

    settings, specs, size_def = _context(believe_path, specs_path, derive, presets_dir)
    cfg = settings["no_effect"]
    reps = chunk_reps(cfg["replications"], cfg["chunks"], chunk)
    panel = pd.read_parquet(panel_path)
    synthetic = True if source == "generator" else _synthetic(panel)
    null = scale_effects(load_yaml(synthetic_path), 0.0)
    parts = []
    for i, rep in enumerate(reps):
        seed = child_seed(settings["seed"], SALTS[source], rep)
        if source == "generator":
            p = synthetic_panel(dict(null, seed=seed), derive=derive, size_def=size_def)
        else:
            p = permute_groups(panel, np.random.default_rng(seed))
        parts.append(replicate(p, specs, alpha=alpha, families=tuple(cfg["families"]))
                     .assign(rep=rep))
        _progress(f"no effect ({source})", chunk, cfg["chunks"], i, len(reps))
    u = pd.concat(parts, ignore_index=True).assign(source=source, synthetic=synthetic)
    v = unit_verdicts(u, specs["rules"], alpha, by=["family", "rep"])
    write_csv(u, out_units)
    write_csv(v.assign(source=source, synthetic=synthetic), out_verdicts)


def panel_design(panel: pd.DataFrame) -> dict[str, int]:
    """Firms per size group and number of years of an analysed panel.

    Examples
    --------
    >>> df = pd.DataFrame({"firm_id": ["a", "a", "b"], "year": [1, 2, 1],
    ...                    "size_group": ["SME", "SME", "non-SME"]})
    >>> panel_design(df)
    {'sme_firms': 1, 'non_sme_firms': 1, 'years': 2}
    """
    firms = panel.drop_duplicates("firm_id")
    return {"sme_firms": int((firms["size_group"] == "SME").sum()),
            "non_sme_firms": int((firms["size_group"] == "non-SME").sum()),
            "years": int(panel["year"].nunique())}


def run_power(*, design: str, chunk: int, believe_path: str, specs_path: str,
              synthetic_path: str, panel_path: str, derive: dict[str, Any], presets_dir: str,
              alpha: float, out_units: str, out_verdicts: str) -> None:
    """One chunk of power replications at each effect factor, at the study's n (``design``
    ``study``) or the analysed panel's n (``panel``; nothing to do when both are equal)."""
    from analysis.config import load_yaml
    from analysis.runlog import write_csv

    settings, specs, size_def = _context(believe_path, specs_path, derive, presets_dir)
    cfg = settings["power"]
    n = dict(cfg["study_design"])
    if design == "panel":
        own = panel_design(pd.read_parquet(panel_path))
        if own == n:
            log.info("the panel's n equals the study's (%s): see design 'study'", own)
            write_csv(pd.DataFrame(columns=["design", "factor", "rep"]), out_units)
            write_csv(pd.DataFrame(columns=["design", "factor", "rep", "hypothesis", "rule",
                                            "verdict"]), out_verdicts)
            return
        n = own
    base = load_yaml(synthetic_path)
    base["design"] = dict(base["design"], **n)
    reps = chunk_reps(cfg["replications"], cfg["chunks"], chunk)
    parts = []
    total = len(cfg["factors"]) * len(reps)
    for j, factor in enumerate(cfg["factors"]):
        params = scale_effects(base, factor)
        for i, rep in enumerate(reps):
            seed = child_seed(settings["seed"], SALTS["power"], rep)
            p = synthetic_panel(dict(params, seed=seed), derive=derive, size_def=size_def)
            parts.append(replicate(p, specs, alpha=alpha).assign(factor=factor, rep=rep))
            _progress(f"power ({design} design; effects x{factor})", chunk, cfg["chunks"],
                      j * len(reps) + i, total)
    u = pd.concat(parts, ignore_index=True).assign(design=design, synthetic=True, **n)
    v = unit_verdicts(u, specs["rules"], alpha, by=["factor", "rep"])
    write_csv(u, out_units)
    write_csv(v.assign(design=design, synthetic=True), out_verdicts)


def run_analytic(*, believe_path: str, alpha: float, out: str) -> None:
    """Simulated power of the two-group tests beside pingouin's analytic power, at the study's
    per-year n (57 vs 57 by default)."""
    from analysis.believe.simulate import analytic_power, two_group_power
    from analysis.runlog import write_csv

    settings = load_believe(believe_path)
    cfg, n = settings["power"]["analytic"], settings["power"]["study_design"]
    rows = []
    for j, test in enumerate(("crosstab", "welch_t", "mann_whitney")):
        for k, eff in enumerate(cfg["effects"]):
            seed = child_seed(settings["seed"], SALTS["analytic"], j, k)
            sim = two_group_power(test, n1=n["sme_firms"], n2=n["non_sme_firms"], effect=eff,
                                  alpha=alpha, replications=cfg["replications"], seed=seed)
            ana = analytic_power(test, n1=n["sme_firms"], n2=n["non_sme_firms"], effect=eff,
                                 alpha=alpha)
            se = float(np.sqrt(ana * (1 - ana) / cfg["replications"]))
            rows.append({"test": test, "effect": eff,
                         "effect_measure": "difference in rates" if test == "crosstab"
                         else "Cohen's d", "n_group1": n["sme_firms"],
                         "n_group2": n["non_sme_firms"], "alpha": alpha,
                         "replications": cfg["replications"], "simulated": sim,
                         "analytic": ana, "mc_se": se,
                         "within_3se": bool(abs(sim - ana) <= 3 * se + 1e-12)})
            log.info("%s effect %s (%d/%d): simulated %.3f, analytic %.3f", test, eff,
                     j * len(cfg["effects"]) + k + 1, 3 * len(cfg["effects"]), sim, ana)
    write_csv(pd.DataFrame(rows), out)


def run_calibration(*, believe_path: str, specs_path: str, start_path: str,
                    derive: dict[str, Any], presets_dir: str, alpha: float, out_table: str,
                    out_params: str) -> None:
    """The calibration search from the parameters before calibration (``start_path``,
    ``calibration.start``); writes its table and the calibrated parameters (YAML)."""
    import yaml

    from analysis.believe.calibrate import calibrate
    from analysis.config import load_yaml
    from analysis.runlog import write_csv

    settings, specs, size_def = _context(believe_path, specs_path, derive, presets_dir)
    cfg = settings["calibration"]
    params = load_yaml(start_path)
    chosen, table = calibrate(params, specs, cfg["steps"], replications=cfg["replications"],
                              seed=settings["seed"], derive=derive, size_def=size_def,
                              alpha=alpha)
    write_csv(table.assign(synthetic=True), out_table)
    Path(out_params).write_text(
        f"# Generator parameters chosen by the calibration search from {start_path}\n"
        "# (results/believe/calibration.csv); config/synthetic.yaml should hold the same values.\n"
        + yaml.safe_dump(chosen, sort_keys=False, allow_unicode=True), encoding="utf-8")


def run_reproduce(*, which: str, params_path: str, chunk: int, believe_path: str,
                  specs_path: str, derive: dict[str, Any], presets_dir: str, alpha: float,
                  out: str) -> None:
    """One chunk of draws from a parameter file: the value of every component of the study's
    pattern that each draw shows (its joint outcome), whether each is the study's value, and
    each hypothesis' verdict under the study rule.

    Only the years are run (:func:`analysis.believe.pattern.pattern_specs`): the components
    and the study's rule judge single years.
    """
    from analysis.believe.pattern import evaluate, pattern_specs, study_values, table2
    from analysis.believe.simulate import run_units
    from analysis.config import load_yaml
    from analysis.runlog import write_csv

    settings, specs, size_def = _context(believe_path, specs_path, derive, presets_dir)
    cfg = settings["calibration"]
    params = load_yaml(params_path)
    years = int(params["design"]["years"])
    study = study_values(specs, years)
    run_specs = pattern_specs(specs)
    total = (cfg.get("compare_replications", cfg["reproduce_replications"])
             if which == "reference" else cfg["reproduce_replications"])
    reps = chunk_reps(total, cfg["reproduce_chunks"], chunk)
    rows = []
    for i, rep in enumerate(reps):
        seed = child_seed(settings["seed"], SALTS["reproduce"], rep)
        p = synthetic_panel(dict(params, seed=seed), derive=derive, size_def=size_def)
        values, verdict = evaluate(run_units(p, run_specs, alpha=alpha), specs, alpha)
        met = {c: v == study[c] for c, v in values.items()}
        t2 = table2(verdict, specs)
        rows.append({"parameters": which, "file": params_path, "rep": rep,
                     **{f"value_{c}": v for c, v in values.items()}, **met,
                     **({"table2": t2} if t2 is not None else {}),
                     "pattern": all(met.values()),
                     **{f"verdict_{h}": x for h, x in verdict.items()}})
        _progress(f"reproduce ({which} parameters)", chunk, cfg["reproduce_chunks"], i,
                  len(reps))
    write_csv(pd.DataFrame(rows).assign(synthetic=True), out)


def spec_baseline(config: dict[str, Any], specs: dict[str, Any]) -> dict[str, Any]:
    """The configured analysis as a point of the specification grid."""
    return {"size_definition": config["derive"]["size_definition"],
            "size_status": config["derive"]["size_status"],
            "doi_cuts": list(config["derive"]["doi_bands"]["cuts"]),
            "exporters_only": False, "test_family": "auto", "binary_test": "crosstab",
            "rule": specs["default_rule"], "alpha": config["alpha"]}


def run_speccurve(*, hypothesis: str, config: dict[str, Any], believe_path: str,
                  specs_path: str, panel_path: str, out_curve: str, out_flips: str,
                  out_joint: str) -> None:
    """One hypothesis' specification curve, its flips and its joint permutation test."""
    from analysis.believe.speccurve import (
        applicable,
        curve_statistics,
        expand_grid,
        flips,
        joint_test,
        run_grid,
    )
    from analysis.config import load_yaml
    from analysis.runlog import write_csv

    settings, specs, _ = _context(believe_path, specs_path, config["derive"],
                                  config["presets_dir"])
    sc = settings["spec_curve"]
    sizes = load_yaml(Path(config["presets_dir"]) / "size_definitions.yaml")
    panel = pd.read_parquet(panel_path)
    synthetic = _synthetic(panel)
    names = [n for n in applicable(specs, hypothesis, sc.get("exporters_only_for", []))
             if n in sc["choices"]]
    grid = expand_grid(sc["choices"], names, spec_baseline(config, specs))
    kw = {"sizes": sizes, "derive": config["derive"], "headline": sc["headline"][hypothesis],
          "alpha": config["alpha"], "derived": {}}
    curve = run_grid(panel, specs, hypothesis, grid, **kw)
    log.info("%s: %d specifications, %.1f%% support", hypothesis, len(curve),
             100 * curve["supported"].mean())
    stats = []
    h_index = list(specs["hypotheses"]).index(hypothesis)
    for k in range(sc["permutations"]):
        rng = np.random.default_rng(child_seed(settings["seed"], SALTS["speccurve"], h_index, k))
        stats.append(curve_statistics(run_grid(panel, specs, hypothesis, grid, rng=rng, **kw)))
        _progress(f"{hypothesis} joint test", 0, 1, k, sc["permutations"], "permutation")
    joint = joint_test(curve_statistics(curve), pd.DataFrame(stats))
    write_csv(curve.assign(synthetic=synthetic), out_curve)
    write_csv(flips(curve, names).assign(synthetic=synthetic), out_flips)
    write_csv(joint.assign(hypothesis=hypothesis, synthetic=synthetic), out_joint)


def run_bootstrap(*, chunk: int, believe_path: str, specs_path: str, panel_path: str,
                  alpha: float, out: str) -> None:
    """One chunk of firm-level bootstrap replications of every effect size."""
    from analysis.believe.bootstrap import bootstrap_draws
    from analysis.engine.specs import load_specs
    from analysis.runlog import write_csv

    specs = load_specs(specs_path)
    settings = load_believe(believe_path, specs)
    cfg = settings["bootstrap"]
    panel = pd.read_parquet(panel_path)
    reps = chunk_reps(cfg["replications"], cfg["chunks"], chunk)
    draws = bootstrap_draws(panel, specs, reps=reps, seed=settings["seed"], alpha=alpha,
                            progress=lambda i, n: _progress("bootstrap", chunk, cfg["chunks"],
                                                            i, n))
    write_csv(draws.assign(synthetic=_synthetic(panel)), out)


def _read(paths: list[str]) -> pd.DataFrame:
    frames = [pd.read_csv(p, keep_default_na=False, na_values=[""]) for p in paths]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _key(df: pd.DataFrame) -> pd.DataFrame:
    for c in ("stratum",):
        if c in df:
            df[c] = df[c].fillna("").astype(str)
    return df


UNIT_GROUP = ["hypothesis", "spec_id", "verdict_role", "scope", "year", "stratum"]


def _parametric_share(u: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    ok = u[u["status"] == "ok"].assign(parametric=lambda d: d["test"] == "welch_t")
    return ok.groupby(by, sort=True, dropna=False)["parametric"].mean().reset_index(
        name="share_parametric")


def summarize(*, no_effect_units: list[str], no_effect_verdicts: list[str],
              power_units: list[str], power_verdicts: list[str], analytic: str,
              reproduce: list[str], curves: list[str], flip_files: list[str],
              joint_files: list[str], bootstrap: list[str], results: str, verdicts: str,
              believe_path: str, specs_path: str, alpha: float, outdir: str,
              config: dict[str, Any] | None = None, synthetic_path: str = "",
              calibrated_path: str = "") -> pd.DataFrame:
    """Stage ``believe_summary``: every simulation summarized, and one row per hypothesis
    (``summary.csv``): its verdict, its power, the false-support rate of its rule (generator
    null), its specification-curve support share and the probability that a draw gives the
    study's verdict, with Monte-Carlo intervals; ``details.csv`` adds the permuted-panel null,
    the MDE, the joint test and the probabilities of Table 2 and of the whole pattern.

    The draws of ``reproduce`` are tabulated by joint outcome (``reproduce_joint.csv``: the
    most frequent joint outcomes and the study's pattern, ranked) and by component
    (``reproduce_outcomes.csv``: every value of every component, and whether the study's value
    is the most frequent). ``summary.json`` beside ``summary.csv`` records the fingerprint of
    the inputs (:func:`analysis.believe.publish.fingerprint`, from ``config``), the
    replications, the pattern's probability and rank, and whether ``synthetic_path`` holds the
    calibration's result (``calibrated_path``).
    """
    from analysis.believe.bootstrap import bootstrap_intervals
    from analysis.believe.simulate import mde, rejection_rates, support_rates, units
    from analysis.engine.specs import load_specs
    from analysis.runlog import write_csv, write_json

    specs = load_specs(specs_path)
    settings = load_believe(believe_path, specs)
    out = Path(outdir)
    observed = _key(units(pd.read_csv(results, keep_default_na=False, na_values=[""])
                          .pipe(lambda d: d[d["sample"] == "all"])))
    synthetic = bool(pd.read_csv(verdicts)["synthetic"].astype(str).eq("True").any())

    # 1. no effect
    nu = _key(_read(no_effect_units))
    nv = _read(no_effect_verdicts)
    by = ["source", "family", *UNIT_GROUP]
    rates = rejection_rates(nu, alpha, by).merge(_parametric_share(nu, by), on=by, how="left")
    write_csv(rates.assign(alpha=alpha, synthetic=synthetic), out / "null_rates.csv")
    null_v = support_rates(nv, ["source", "family", "hypothesis", "rule"])
    write_csv(null_v.assign(synthetic=synthetic), out / "null_verdicts.csv")

    # 2. power and minimum detectable effect
    pu = _key(_read(power_units))
    pv = _read(power_verdicts)
    gen0 = nu[(nu["source"] == "generator") & (nu["family"] == "auto")]
    v0 = nv[(nv["source"] == "generator") & (nv["family"] == "auto")]
    pby = ["design", "factor", *UNIT_GROUP]
    zero_u = pd.concat([gen0.assign(design=d, factor=0.0) for d in pu["design"].unique()])
    zero_v = pd.concat([v0.assign(design=d, factor=0.0) for d in pv["design"].unique()])
    allu = pd.concat([zero_u, pu], ignore_index=True)
    power = rejection_rates(allu, alpha, pby).drop(columns=["expected_low", "expected_high",
                                                            "outside"])
    eff = (allu[allu["status"] == "ok"].groupby(pby, sort=True, dropna=False)
           .agg(effect_statistic=("effect_statistic", "first"),
                mean_effect=("effect", "mean")).reset_index())
    power = power.merge(eff, on=pby, how="left")
    write_csv(power.assign(alpha=alpha, synthetic=True), out / "power.csv")
    pver = support_rates(pd.concat([zero_v, pv], ignore_index=True),
                         ["design", "factor", "hypothesis", "rule"])
    write_csv(pver.assign(synthetic=True), out / "power_verdicts.csv")
    target = settings["power"]["target"]
    mrows = []
    for (design, hyp, rule), g in pver.groupby(["design", "hypothesis", "rule"], sort=True):
        mrows.append({"design": design, "level": "hypothesis", "hypothesis": hyp,
                      "rule": rule, "spec_id": "", "scope": "", "year": pd.NA,
                      "stratum": "", "mde_factor": mde(g, "factor", target=target),
                      "effect_statistic": "", "mde_effect": float("nan")})
    for keys, g in power.groupby(["design", *UNIT_GROUP], sort=True, dropna=False):
        rec = dict(zip(["design", *UNIT_GROUP], keys, strict=True))
        k = mde(g, "factor", target=target)
        g = g.sort_values("factor")
        at = (float(np.interp(k, g["factor"], g["mean_effect"])) if np.isfinite(k)
              else float("nan"))
        mrows.append({"design": rec["design"], "level": "comparison",
                      "hypothesis": rec["hypothesis"], "rule": "", "spec_id": rec["spec_id"],
                      "scope": rec["scope"], "year": rec["year"], "stratum": rec["stratum"],
                      "mde_factor": k, "effect_statistic": g["effect_statistic"].iloc[-1],
                      "mde_effect": at})
    write_csv(pd.DataFrame(mrows).assign(target=target, synthetic=True), out / "mde.csv")
    ana = pd.read_csv(analytic)
    write_csv(ana.assign(synthetic=True), out / "analytic_power.csv")

    # 3. probability of reproducing the study; joint and per-component outcomes
    from analysis.believe.pattern import study_values
    from analysis.config import load_yaml

    rep = _read(reproduce)
    years = int(load_yaml(synthetic_path)["design"]["years"]) if synthetic_path else 3
    study = study_values(specs, years)
    repro, outcomes_t, joint_t, pattern = reproduce_tables(rep, specs, study)
    write_csv(repro.assign(synthetic=True), out / "reproduce.csv")
    write_csv(outcomes_t.assign(synthetic=True), out / "reproduce_outcomes.csv")
    write_csv(joint_t.assign(synthetic=True), out / "reproduce_joint.csv")

    # 4. specification curve
    curve = _read(curves)
    write_csv(curve, out / "speccurve.csv")
    write_csv(_read(flip_files), out / "flips.csv")
    joint = _read(joint_files)
    write_csv(joint, out / "joint_tests.csv")

    # 5. bootstrap
    draws = _key(_read(bootstrap))
    boot = bootstrap_intervals(observed, draws, settings["bootstrap"]["level"])
    write_csv(boot.assign(synthetic=synthetic), out / "bootstrap.csv")

    # per hypothesis
    rule = specs["default_rule"]
    ver = pd.read_csv(verdicts, keep_default_na=False)
    ver = ver[(ver["sample"] == "all") & (ver["rule"] == rule)].set_index("hypothesis")
    rows = []
    for h, hv in specs["hypotheses"].items():
        def pick(df: pd.DataFrame, column: str = "rate", **eq: Any) -> float:
            m = np.ones(len(df), dtype=bool)
            for k, v in eq.items():
                m &= (df[k] == v).to_numpy() if k in df else False
            return float(df.loc[m, column].iloc[0]) if m.any() else float("nan")

        cur = repro[repro["parameters"] == "current"] if len(repro) else repro
        hc = curve[curve["hypothesis"] == h] if len(curve) else curve
        hj = joint[(joint["hypothesis"] == h) & (joint["statistic"] == "support_share")] \
            if len(joint) else joint
        rows.append({
            "hypothesis": h, "label": hv["label"], "study_verdict": hv["study_verdict"],
            "rule": rule, "verdict": ver.loc[h, "verdict"] if h in ver.index else "",
            "power": pick(pver, design="study", factor=1.0, hypothesis=h, rule=rule),
            "power_low": pick(pver, "ci_low", design="study", factor=1.0, hypothesis=h,
                              rule=rule),
            "power_high": pick(pver, "ci_high", design="study", factor=1.0, hypothesis=h,
                               rule=rule),
            "false_support_rate": pick(null_v, source="generator", family="auto",
                                       hypothesis=h, rule=rule),
            "false_support_low": pick(null_v, "ci_low", source="generator", family="auto",
                                      hypothesis=h, rule=rule),
            "false_support_high": pick(null_v, "ci_high", source="generator", family="auto",
                                       hypothesis=h, rule=rule),
            "false_support_panel": pick(null_v, source="panel", family="auto", hypothesis=h,
                                        rule=rule),
            "mde_factor": next((r["mde_factor"] for r in mrows if r["level"] == "hypothesis"
                                and r["design"] == "study" and r["hypothesis"] == h
                                and r["rule"] == rule), float("nan")),
            "spec_curve_support": float(hc["supported"].astype(str).eq("True").mean())
            if len(hc) else float("nan"),
            "spec_curve_specifications": len(hc),
            "spec_curve_joint_p": float(hj["p"].iloc[0]) if len(hj) else float("nan"),
            "p_reproduce_study": pick(cur, component=f"{h}_verdict_as_study"),
            "p_reproduce_low": pick(cur, "ci_low", component=f"{h}_verdict_as_study"),
            "p_reproduce_high": pick(cur, "ci_high", component=f"{h}_verdict_as_study"),
        })
    summary = pd.DataFrame(rows)
    summary["p_reproduce_table2"] = pick(cur, component="table2") if len(cur) else np.nan
    summary["p_reproduce_pattern"] = pick(cur, component="pattern") if len(cur) else np.nan
    summary["synthetic"] = synthetic
    write_csv(summary, out / "details.csv")
    # the published summary: Table 2 prints power, false_support_rate, spec_curve_support and
    # p_reproduce_study (analysis.render.journal.BELIEVE_COLUMNS); proportions 0-1
    lean = summary[SUMMARY_COLUMNS]
    write_csv(lean, out / "summary.csv")
    write_json(summary_record(config=config, settings=settings, specs=specs, alpha=alpha,
                              pattern=pattern, table2=pick(cur, component="table2")
                              if len(cur) else float("nan"),
                              synthetic_path=synthetic_path, calibrated_path=calibrated_path,
                              reproduce=repro), out / "summary.json")
    log.info("summary of %d hypotheses written to %s", len(summary), out)
    return summary


#: Labels of the rows of ``reproduce.csv`` that are not components.
REPRODUCE_LABELS = {"table2": "Table 2 (all five verdicts as the study's)",
                    "pattern": "the whole pattern (every component at once)"}
#: Columns of ``summary.csv`` (the file that is published).
SUMMARY_COLUMNS = ["hypothesis", "label", "study_verdict", "rule", "verdict", "power",
                   "power_low", "power_high", "false_support_rate", "false_support_low",
                   "false_support_high", "spec_curve_support", "spec_curve_specifications",
                   "p_reproduce_study", "p_reproduce_low", "p_reproduce_high", "synthetic"]


def reproduce_tables(rep: pd.DataFrame, specs: dict[str, Any], study: dict[str, str]
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The draws of the reproduce stage summarized, per parameter file (``parameters``).

    Returns ``reproduce`` (share of draws showing each component's study value, Table 2, the
    whole pattern and each Table 2 verdict, with Wilson intervals), ``outcomes`` (every value of
    every component: count, share, interval, whether it is the study's and whether it is the
    most frequent), ``joint`` (the ten most frequent joint outcomes and the study's pattern:
    rank, count, share, interval, the values) and ``pattern`` (per parameter file: the
    pattern's share and interval, its rank, whether it is the single most frequent joint
    outcome, the runner-up and whether the difference exceeds twice its Monte-Carlo standard
    error; per component whether the study's value is modal).
    """
    from analysis.believe.pattern import (
        COMPONENT_LABELS,
        COMPONENTS,
        component_outcomes,
        joint_outcomes,
    )
    from analysis.believe.simulate import mc_interval

    names = [c for c in COMPONENTS if f"value_{c}" in rep]
    rrows, orows, jrows, pattern = [], [], [], {}
    for which, g in rep.groupby("parameters", sort=False):
        n = len(g)
        head = {"parameters": which, "file": g["file"].iloc[0]}
        flags = [c for c in [*names, "table2", "pattern"] if c in g]
        for c in flags:
            rrows.append({**head, "component": c, "label": REPRODUCE_LABELS.get(
                c, COMPONENT_LABELS.get(c, c)), "replications": n,
                "hits": int(g[c].astype(str).eq("True").sum())})
        for h, hv in specs["hypotheses"].items():
            col = f"verdict_{h}"
            if col in g and hv.get("study_verdict") in ("Supported", "Not supported"):
                rrows.append({**head, "component": f"{h}_verdict_as_study",
                              "label": f"{h} verdict as the study's", "replications": n,
                              "hits": int((g[col] == hv["study_verdict"]).sum())})
        values = g[[f"value_{c}" for c in names]].astype(str)
        values.columns = names
        co = component_outcomes(values, study)
        orows.append(co.assign(**head, replications=n,
                               label=co["component"].map(COMPONENT_LABELS)))
        jt = joint_outcomes(values, study, names)
        shown = jt[(jt.index < 10) | jt["is_study"]]
        if not jt["is_study"].any():  # the study's pattern in no draw: listed with 0 draws
            shown = pd.concat([shown, pd.DataFrame([{**{c: study[c] for c in names},
                                                     "count": 0, "share": 0.0, "rank": pd.NA,
                                                     "is_study": True}])], ignore_index=True)
        jrows.append(shown.assign(**head, replications=n))
        mine = jt[jt["is_study"]]
        k = int(mine["count"].iloc[0]) if len(mine) else 0
        others = jt[~jt["is_study"]]
        runner = others.iloc[0] if len(others) else None
        k2 = int(runner["count"]) if runner is not None else 0
        p1, p2 = k / n, k2 / n
        se = float(np.sqrt(max(p1 + p2 - (p1 - p2) ** 2, 0.0) / n)) if n else float("nan")
        lo, hi = mc_interval(k, n)
        pattern[str(which)] = {
            "file": str(g["file"].iloc[0]), "replications": n, "count": k, "share": p1,
            "ci_low": float(lo), "ci_high": float(hi),
            "rank": int(mine["rank"].iloc[0]) if len(mine) else None,
            "distinct_outcomes": len(jt),
            "modal": bool(len(mine)) and k > k2,
            "runner_up": None if runner is None else {
                "count": k2, "share": p2,
                "differs_in": [c for c in names if runner[c] != study[c]],
                "values": {c: str(runner[c]) for c in names if runner[c] != study[c]}},
            "difference_beyond_mc_error": bool(se > 0 and abs(p1 - p2) > 2 * se),
            "components": {c: {"study_value": study[c], "label": COMPONENT_LABELS[c],
                               "share": float(co[(co["component"] == c)
                                                 & co["is_study"]]["share"].sum()),
                               "modal": bool(co[(co["component"] == c) & co["is_study"]]
                                             ["modal"].any()),
                               "modal_value": str(co[co["component"] == c]["value"].iloc[0])}
                           for c in names}}
    repro = pd.DataFrame(rrows, columns=["parameters", "file", "component", "label",
                                         "replications", "hits"])
    repro["rate"] = repro["hits"] / repro["replications"]
    repro["ci_low"], repro["ci_high"] = mc_interval(repro["hits"], repro["replications"])
    outcomes = pd.concat(orows, ignore_index=True) if orows else pd.DataFrame()
    if len(outcomes):
        outcomes["ci_low"], outcomes["ci_high"] = mc_interval(outcomes["count"],
                                                              outcomes["replications"])
    joint = pd.concat(jrows, ignore_index=True) if jrows else pd.DataFrame()
    if len(joint):
        joint["ci_low"], joint["ci_high"] = mc_interval(joint["count"], joint["replications"])
        joint = joint[["parameters", "file", "replications", "rank", "count", "share",
                       "ci_low", "ci_high", "is_study", *names]]
    return repro, outcomes, joint, pattern


def summary_record(*, config: dict[str, Any] | None, settings: dict[str, Any],
                   specs: dict[str, Any], alpha: float, pattern: dict[str, Any],
                   table2: float, synthetic_path: str, calibrated_path: str,
                   reproduce: pd.DataFrame) -> dict[str, Any]:
    """The sidecar of ``summary.csv`` (``summary.json``): the fingerprint of the inputs, the
    Monte-Carlo settings, the probability and rank of the study's pattern, and whether the
    generator's parameters are the calibration's result."""
    from analysis.config import load_yaml

    fingerprint: dict[str, Any] = {}
    if config is not None:
        from analysis.believe.publish import fingerprint as inputs

        fingerprint = inputs(config, settings)
    cal = settings["calibration"]
    record: dict[str, Any] = {
        "what": "How much to believe each verdict: the summary of the believe simulations "
                "(workflow/rules/believe.smk)",
        "fingerprint": fingerprint,
        "alpha": alpha, "rule": specs["default_rule"], "seed": settings["seed"],
        "replications": {
            "no_effect": settings["no_effect"]["replications"],
            "power": settings["power"]["replications"],
            "reproduce": cal["reproduce_replications"],
            "reproduce_reference": cal.get("compare_replications",
                                           cal["reproduce_replications"]),
            "calibration": cal["replications"],
            "spec_curve_permutations": settings["spec_curve"]["permutations"],
            "bootstrap": settings["bootstrap"]["replications"]},
        "p_reproduce_table2": table2,
        "pattern": pattern,
    }
    cur = reproduce[(reproduce["parameters"] == "current")
                    & (reproduce["component"] == "table2")]
    if len(cur):
        record["table2_interval"] = [float(cur["ci_low"].iloc[0]),
                                     float(cur["ci_high"].iloc[0])]
    if synthetic_path and calibrated_path:
        mine, chosen = load_yaml(synthetic_path), load_yaml(calibrated_path)
        diff = sorted(f"{b}.{k}" for b in set(mine) | set(chosen)
                      if isinstance(mine.get(b), dict) or isinstance(chosen.get(b), dict)
                      for k in set(mine.get(b) or {}) | set(chosen.get(b) or {})
                      if (mine.get(b) or {}).get(k) != (chosen.get(b) or {}).get(k))
        diff += [b for b in sorted(set(mine) | set(chosen))
                 if not isinstance(mine.get(b), dict) and not isinstance(chosen.get(b), dict)
                 and mine.get(b) != chosen.get(b)]
        record["calibration"] = {"start": cal["start"], "parameters": synthetic_path,
                                 "is_calibration_result": not diff, "differences": diff}
    return record

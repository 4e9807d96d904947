"""Rule believe_summary: every simulation summarized; one row per hypothesis."""

from pathlib import Path

from analysis.believe.stages import summarize
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], summarize, no_effect_units=list(sm.input.no_effect_units),
    no_effect_verdicts=list(sm.input.no_effect_verdicts),
    power_units=list(sm.input.power_units), power_verdicts=list(sm.input.power_verdicts),
    analytic=sm.input.analytic, reproduce=list(sm.input.reproduce),
    curves=list(sm.input.curves), flip_files=list(sm.input.flips),
    joint_files=list(sm.input.joint), bootstrap=list(sm.input.bootstrap),
    results=sm.input.results, verdicts=sm.input.verdicts, believe_path=sm.input.believe,
    specs_path=sm.input.specs, alpha=sm.params.alpha,
    outdir=str(Path(sm.output.summary).parent), config=dict(sm.params.config),
    synthetic_path=sm.input.synthetic, calibrated_path=sm.input.calibrated,
)

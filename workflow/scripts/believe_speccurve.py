"""Rule believe_speccurve: one hypothesis' specification curve and joint test."""

from analysis.believe.stages import run_speccurve
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_speccurve, hypothesis=sm.wildcards.hypothesis, config=dict(sm.params.config),
    believe_path=sm.input.believe, specs_path=sm.input.specs, panel_path=sm.input.panel,
    out_curve=sm.output.curve, out_flips=sm.output.flips, out_joint=sm.output.joint,
)

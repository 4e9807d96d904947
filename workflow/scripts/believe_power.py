"""Rule believe_power: one chunk of power replications over the effect grid."""

from analysis.believe.stages import run_power
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_power, design=sm.wildcards.design, chunk=int(sm.wildcards.chunk),
    believe_path=sm.input.believe, specs_path=sm.input.specs,
    synthetic_path=sm.input.synthetic, panel_path=sm.input.panel, derive=sm.params.derive,
    presets_dir=sm.params.presets_dir, alpha=sm.params.alpha,
    out_units=sm.output.units, out_verdicts=sm.output.verdicts,
)

"""Rule believe_no_effect: one chunk of replications under no effect."""

from analysis.believe.stages import run_no_effect
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_no_effect, source=sm.wildcards.source, chunk=int(sm.wildcards.chunk),
    believe_path=sm.input.believe, specs_path=sm.input.specs,
    synthetic_path=sm.input.synthetic, panel_path=sm.input.panel, derive=sm.params.derive,
    presets_dir=sm.params.presets_dir, alpha=sm.params.alpha,
    out_units=sm.output.units, out_verdicts=sm.output.verdicts,
)

"""Rule believe_reproduce: how often a parameter file reproduces the study's pattern."""

from analysis.believe.stages import run_reproduce
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_reproduce, which=sm.wildcards.which, params_path=sm.input.params,
    chunk=int(sm.wildcards.chunk), believe_path=sm.input.believe, specs_path=sm.input.specs,
    derive=sm.params.derive, presets_dir=sm.params.presets_dir, alpha=sm.params.alpha,
    out=sm.output.table,
)

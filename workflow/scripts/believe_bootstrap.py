"""Rule believe_bootstrap: one chunk of firm-level bootstrap replications."""

from analysis.believe.stages import run_bootstrap
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_bootstrap, chunk=int(sm.wildcards.chunk), believe_path=sm.input.believe,
    specs_path=sm.input.specs, panel_path=sm.input.panel, alpha=sm.params.alpha,
    out=sm.output.draws,
)

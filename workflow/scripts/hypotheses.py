"""Rule hypotheses: run every declared hypothesis spec on one sample."""

from analysis.engine.stages import run_hypotheses_stage as run_hypotheses
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_hypotheses, panel_path=sm.input.panel, specs_path=sm.input.specs,
    sample=sm.wildcards.sample, alpha=sm.params.alpha,
    out_results=sm.output.results, out_verdicts=sm.output.verdicts,
)

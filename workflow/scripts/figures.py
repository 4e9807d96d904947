"""Rule figures: every figure of one sample, PNG and SVG."""

from analysis.render.figures import run_figures
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_figures, panel_path=sm.input.panel,
    results_dir=str(sm.input.results).rsplit("/", 1)[0], codebook=sm.input.codebook,
    outdir=sm.output[0], samples=dict(sm.params.samples),
)

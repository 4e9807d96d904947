"""Rule figures: every figure of one sample, PNG and SVG."""

from analysis.render.figures import run_figures
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_figures, panel=sm.input.panel, results=sm.input.results,
    normality=sm.input.normality, codebook=sm.input.codebook, outdir=sm.output[0],
    samples=list(sm.input.samples), formats=list(sm.params.formats),
    processes=sm.threads,
)

"""Rule tables: every table of one sample (CSV and HTML; journal tables also md, tex, docx)."""

from analysis.render.tables import run_tables
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_tables, results=sm.input.results, verdicts=sm.input.verdicts,
    normality=sm.input.normality, panel=sm.input.panel, codebook=sm.input.codebook,
    outdir=sm.output[0], alpha=sm.params.alpha, samples=list(sm.input.samples),
    believe=list(sm.input.believe),
)

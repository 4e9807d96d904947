"""Rule normality: Kolmogorov-Smirnov (Lilliefors) and Shapiro-Wilk tables for one sample."""

from analysis.engine.stages import run_normality
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_normality, panel_path=sm.input.panel, variables=list(sm.params.variables),
    by=[list(b) for b in sm.params.by], alpha=sm.params.alpha, out_table=sm.output.table,
)

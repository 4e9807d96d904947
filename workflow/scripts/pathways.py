"""Rule pathways: classify the pathways of the panel firms."""

from analysis.qual.pathways import run_pathways
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_pathways, panel_path=sm.input.panel, config_path=sm.input.config,
    out_classified=sm.output.classified, out_mix=sm.output.mix,
    out_crosstab=sm.output.crosstab, out_figure=sm.output.figure,
)

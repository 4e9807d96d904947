"""Rule believe_render: the page "How much to believe each verdict" beside the report."""

from pathlib import Path

from analysis.render.believe import run_believe_render
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_believe_render, indir=str(Path(sm.input.summary).parent),
    specs_path=sm.input.specs, out_html=sm.output.html, figdir=sm.output.figures,
    formats=list(sm.params.formats), synthetic=sm.params.synthetic,
)

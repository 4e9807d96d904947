"""Rule ingest: read one panel file and map it onto the canonical variables."""

from analysis.data.ingest import run_ingest
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_ingest, panel=sm.wildcards.panel, panel_cfg=sm.params.panel,
    codebook=sm.input.codebook, presets_dir=sm.params.presets_dir,
    out_panel=sm.output.panel, out_ledger=sm.output.ledger, out_info=sm.output.info,
)

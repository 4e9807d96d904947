"""Rule validate: check one canonical panel, derive variables, reconcile the counts."""

from analysis.data.validate import run_validate
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_validate, panel=sm.wildcards.panel, panel_cfg=sm.params.panel,
    derive_cfg=sm.params.derive, codebook=sm.input.codebook, presets_dir=sm.params.presets_dir,
    in_panel=sm.input.panel, in_ledger=sm.input.ledger, in_info=sm.input.info,
    out_panel=sm.output.panel, out_ledger=sm.output.ledger, out_summary=sm.output.summary,
)

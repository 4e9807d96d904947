"""Rule panel: read one panel file onto the canonical variables, then validate and derive."""

from analysis.data.ingest import run_ingest
from analysis.data.validate import run_validate
from analysis.runlog import run_stages

sm = snakemake  # noqa: F821 (injected by Snakemake)
out, cfg = sm.output, sm.params.panel
run_stages(
    (sm.log.ingest, run_ingest, dict(
        panel=sm.wildcards.panel, panel_cfg=cfg, codebook=sm.input.codebook,
        presets_dir=sm.params.presets_dir, out_panel=out.ingested,
        out_ledger=out.ingest_ledger, out_info=out.info)),
    (sm.log.validate, run_validate, dict(
        panel=sm.wildcards.panel, panel_cfg=cfg, derive_cfg=sm.params.derive,
        codebook=sm.input.codebook, presets_dir=sm.params.presets_dir,
        in_panel=out.ingested, in_ledger=out.ingest_ledger, in_info=out.info,
        out_panel=out.panel, out_ledger=out.ledger, out_summary=out.summary)),
)

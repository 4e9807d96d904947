"""Rule pool: one panel of all configured countries."""

from analysis.data.pool import run_pool
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_pool, panels=list(sm.params.panels), in_panels=list(sm.input.panels),
    in_ledgers=list(sm.input.ledgers), in_summaries=list(sm.input.summaries),
    out_panel=sm.output.panel, out_ledger=sm.output.ledger, out_summary=sm.output.summary,
)

"""Rule integration: the mixed-methods joint display."""

from analysis.qual.integration import run_integration
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_integration, verdicts_path=sm.input.verdicts, cases_path=sm.input.cases,
    frame_path=sm.input.frame, config_path=sm.input.config, rule=sm.params.rule,
    out_display=sm.output.display,
)

"""Rule believe_published: are the published believe results for this run's inputs?"""

from analysis.believe.publish import run_check_published
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
published = list(sm.input.published)  # the summary and its sidecar; none when switched off
run_stage(
    sm.log[0], run_check_published, config=dict(sm.params.config),
    published=published[0] if published else "", out_csv=sm.output.table,
    out_json=sm.output.record,
)

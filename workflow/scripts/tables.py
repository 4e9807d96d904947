"""Rule tables: every table of every sample, in one job (one start-up for all; the samples
shared out to the job's threads as forked processes)."""

from analysis.render.tables import run_tables
from analysis.runlog import run_stages

sm = snakemake  # noqa: F821 (injected by Snakemake)
inp = sm.input
cross = list(inp.results) if len(sm.params.samples) > 1 else []
run_stages(*(
    (sm.log[i], run_tables, dict(
        results=inp.results[i], verdicts=inp.verdicts[i], normality=inp.normality[i],
        panel=inp.panels[i], codebook=inp.codebook, outdir=sm.output[i],
        alpha=sm.params.alpha, samples=cross if sample == "all" else [],
        believe=[inp.believe] if sample == "all" else [], formats=list(sm.params.formats),
        detail=sample == "all" or sm.params.spss_tables == "every_sample"))
    for i, sample in enumerate(sm.params.samples)
), processes=sm.threads)

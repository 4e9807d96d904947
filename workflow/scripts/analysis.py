"""Rule analysis: the normality tables and every hypothesis spec of each sample (the samples
shared out to the job's threads as forked processes)."""

from analysis.engine.stages import run_hypotheses_stage, run_normality
from analysis.runlog import run_stages

sm = snakemake  # noqa: F821 (injected by Snakemake)
inp, out, par, log = sm.input, sm.output, sm.params, sm.log
run_stages(*(step for i, sample in enumerate(par.samples) for step in (
    (log.normality[i], run_normality, dict(
        panel_path=inp.panels[i], variables=list(par.variables), by=[list(b) for b in par.by],
        alpha=par.alpha, out_table=out.normality[i])),
    (log.hypotheses[i], run_hypotheses_stage, dict(
        panel_path=inp.panels[i], specs_path=inp.specs, sample=sample, alpha=par.alpha,
        out_results=out.results[i], out_verdicts=out.verdicts[i])),
)), processes=sm.threads)

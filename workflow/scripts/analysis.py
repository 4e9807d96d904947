"""Rule analysis: the normality tables and every hypothesis spec of one sample."""

from analysis.engine.stages import run_hypotheses_stage, run_normality
from analysis.runlog import run_stages

sm = snakemake  # noqa: F821 (injected by Snakemake)
inp, out, par = sm.input, sm.output, sm.params
run_stages(
    (sm.log.normality, run_normality, dict(
        panel_path=inp.panel, variables=list(par.variables), by=[list(b) for b in par.by],
        alpha=par.alpha, out_table=out.normality)),
    (sm.log.hypotheses, run_hypotheses_stage, dict(
        panel_path=inp.panel, specs_path=inp.specs, sample=sm.wildcards.sample,
        alpha=par.alpha, out_results=out.results, out_verdicts=out.verdicts)),
)

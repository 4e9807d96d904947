"""Rule believe_analytic: simulated against analytic power of the two-group tests."""

from analysis.believe.stages import run_analytic
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(sm.log[0], run_analytic, believe_path=sm.input.believe, alpha=sm.params.alpha,
          out=sm.output.table)

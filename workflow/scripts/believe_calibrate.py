"""Rule believe_calibrate: the calibration search of the synthetic generator."""

from analysis.believe.stages import run_calibration
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_calibration, believe_path=sm.input.believe, specs_path=sm.input.specs,
    start_path=sm.input.start, derive=sm.params.derive,
    presets_dir=sm.params.presets_dir, alpha=sm.params.alpha,
    out_table=sm.output.table, out_params=sm.output.params,
)

"""Rule cases: code the case firms, derive pathways, list the study's disagreements."""

from analysis.qual.cases import run_cases
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_stage(
    sm.log[0], run_cases, cases_path=sm.input.cases, frame_path=sm.input.frame,
    out_matrix=sm.output.matrix, out_wide=sm.output.wide, out_pathways=sm.output.pathways,
    out_disagreements=sm.output.disagreements, out_claims=sm.output.claims,
)

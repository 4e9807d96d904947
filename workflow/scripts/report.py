"""Rule report: the self-contained HTML report with provenance."""

from analysis.render.report import run_report
from analysis.runlog import run_stage

sm = snakemake  # noqa: F821 (injected by Snakemake)
qualitative = {k: sm.input[k] for k in (
    "matrix_wide", "case_pathways", "disagreements", "claims", "pathway_mix",
    "pathway_crosstab", "joint_display")}
run_stage(
    sm.log[0], run_report, config=dict(sm.params.config), specs_path=sm.input.specs,
    summary_path=sm.input.summary, ledger_path=sm.input.ledger, verdicts_path=sm.input.verdicts,
    results_path=sm.input.results,
    table_manifests=[f"{d}/manifest.json" for d in sm.input.tables],
    figure_manifests=[f"{sm.input.figures}/manifest.json"], qualitative=qualitative,
    pathway_figure=sm.input.pathway_figure, pathway_caption=sm.input.pathway_caption,
    input_files=list(sm.input.provenance_inputs),
    synthetic_config=sm.input.synthetic_config, out_html=sm.output.html,
    out_provenance=sm.output.provenance, out_qual_dir=sm.output.qualitative,
    out_index=sm.output.index, believe_path=sm.input.believe,
)

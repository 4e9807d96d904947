"""The benchmark's baseline: every stage of the default run, in ONE Python process.

Calls the same stage functions the rules call, in DAG order, writing the same files into the
current directory (run it in a scratch copy of the repository). It exists to measure what the
work costs without Snakemake's per-job process start-up; the pipeline itself is the Snakefile.

    python workflow/benchmark/inprocess.py
"""

from __future__ import annotations

import time
from pathlib import Path

from analysis.config import check_config, load_yaml
from analysis.data.ingest import run_ingest
from analysis.data.pool import run_pool
from analysis.data.validate import run_validate
from analysis.engine.stages import run_hypotheses_stage as run_hypotheses
from analysis.engine.stages import run_normality
from analysis.qual.cases import run_cases
from analysis.qual.integration import run_integration
from analysis.qual.pathways import run_pathways
from analysis.render.figures import run_figures
from analysis.render.report import run_report
from analysis.render.tables import run_tables


def run_all(config_path: str = "config/config.yaml") -> dict[str, float]:
    """Run every stage once; return seconds per stage."""
    times: dict[str, float] = {}

    def timed(name: str, func, **kw) -> None:  # noqa: ANN001
        t = time.perf_counter()
        func(**kw)
        times[name] = times.get(name, 0.0) + time.perf_counter() - t

    cfg = check_config(load_yaml(config_path))
    panels = list(cfg["panels"])
    samples = ["all"] + (panels if cfg["per_country"] and len(panels) > 1 else [])
    for d in ("results/ingested", "results/panels", "results/pooled", "results/cases",
              "results/pathways", "results/integration", "reports/figures"):
        Path(d).mkdir(parents=True, exist_ok=True)
    presets = cfg["presets_dir"]
    for p in panels:
        pc = cfg["panels"][p]
        timed("ingest", run_ingest, panel=p, panel_cfg=pc, codebook=cfg["codebook"],
              presets_dir=presets, out_panel=f"results/ingested/{p}.parquet",
              out_ledger=f"results/ingested/{p}.ledger.csv", out_info=f"results/ingested/{p}.json")
        timed("validate", run_validate, panel=p, panel_cfg=pc, derive_cfg=cfg["derive"],
              codebook=cfg["codebook"], presets_dir=presets,
              in_panel=f"results/ingested/{p}.parquet",
              in_ledger=f"results/ingested/{p}.ledger.csv", in_info=f"results/ingested/{p}.json",
              out_panel=f"results/panels/{p}.parquet",
              out_ledger=f"results/panels/{p}.exclusions.csv",
              out_summary=f"results/panels/{p}.summary.json")
    timed("pool", run_pool, panels=panels,
          in_panels=[f"results/panels/{p}.parquet" for p in panels],
          in_ledgers=[f"results/panels/{p}.exclusions.csv" for p in panels],
          in_summaries=[f"results/panels/{p}.summary.json" for p in panels],
          out_panel="results/pooled/panel.parquet", out_ledger="results/pooled/exclusions.csv",
          out_summary="results/pooled/summary.json")

    def panel_of(s: str) -> str:
        return "results/pooled/panel.parquet" if s == "all" else f"results/panels/{s}.parquet"

    for s in samples:
        Path(f"results/analysis/{s}").mkdir(parents=True, exist_ok=True)
        timed("normality", run_normality, panel_path=panel_of(s),
              variables=cfg["normality"]["variables"], by=cfg["normality"]["by"],
              alpha=cfg["alpha"], out_table=f"results/analysis/{s}/normality.csv")
        timed("hypotheses", run_hypotheses, panel_path=panel_of(s), specs_path=cfg["hypotheses"],
              sample=s, alpha=cfg["alpha"], out_results=f"results/analysis/{s}/results.csv",
              out_verdicts=f"results/analysis/{s}/verdicts.csv")
    cross = [f"results/analysis/{s}/results.csv" for s in samples] if len(samples) > 1 else []
    timed("cases", run_cases, cases_path=cfg["cases"]["data"],
          frame_path=cfg["cases"]["coding_frame"], out_matrix="results/cases/matrix.csv",
          out_wide="results/cases/matrix_wide.csv", out_pathways="results/cases/pathways.csv",
          out_disagreements="results/cases/disagreements.csv",
          out_claims="results/cases/claims.csv")
    timed("pathways", run_pathways, panel_path="results/pooled/panel.parquet",
          config_path=cfg["pathways"], out_classified="results/pathways/classified.csv",
          out_mix="results/pathways/mix.csv", out_crosstab="results/pathways/crosstab.csv",
          out_figure="reports/figures/pathways.png")
    specs = load_yaml(cfg["hypotheses"])
    timed("integration", run_integration, verdicts_path="results/analysis/all/verdicts.csv",
          cases_path=cfg["cases"]["data"], frame_path=cfg["cases"]["coding_frame"],
          config_path=cfg["integration"], rule=specs["default_rule"],
          out_display="results/integration/joint_display.csv")
    for s in samples:
        timed("tables", run_tables, results=f"results/analysis/{s}/results.csv",
              verdicts=f"results/analysis/{s}/verdicts.csv",
              normality=f"results/analysis/{s}/normality.csv", panel=panel_of(s),
              codebook=cfg["codebook"], outdir=f"reports/tables/{s}", alpha=cfg["alpha"],
              samples=cross if s == "all" else [], formats=cfg["outputs"]["table_formats"])
    timed("figures", run_figures, panel=panel_of("all"), results="results/analysis/all/results.csv",
          normality="results/analysis/all/normality.csv", codebook=cfg["codebook"],
          outdir="reports/figures/all", samples=cross,
          formats=cfg["outputs"]["figure_formats"])
    inputs = sorted({*(p["path"] for p in cfg["panels"].values()), cfg["codebook"],
                     cfg["hypotheses"], "config/config.yaml"})
    timed("report", run_report, config=cfg, specs_path=cfg["hypotheses"],
          summary_path="results/pooled/summary.json", ledger_path="results/pooled/exclusions.csv",
          verdicts_path="results/analysis/all/verdicts.csv",
          results_path="results/analysis/all/results.csv",
          table_manifests=[f"reports/tables/{s}/manifest.json" for s in samples],
          figure_manifests=["reports/figures/all/manifest.json"],
          qualitative={"matrix_wide": "results/cases/matrix_wide.csv",
                       "case_pathways": "results/cases/pathways.csv",
                       "disagreements": "results/cases/disagreements.csv",
                       "claims": "results/cases/claims.csv",
                       "pathway_mix": "results/pathways/mix.csv",
                       "pathway_crosstab": "results/pathways/crosstab.csv",
                       "joint_display": "results/integration/joint_display.csv"},
          pathway_figure="reports/figures/pathways.png",
          pathway_caption="reports/figures/pathways.caption.txt", input_files=inputs,
          synthetic_config="config/synthetic.yaml", out_html="reports/report.html",
          out_provenance="reports/provenance.json", out_qual_dir="reports/tables/qualitative")
    return times


if __name__ == "__main__":
    start = time.perf_counter()
    stage_times = run_all()
    for name, secs in stage_times.items():
        print(f"{name:12s} {secs:6.2f} s")
    print(f"{'total':12s} {time.perf_counter() - start:6.2f} s (including imports)")

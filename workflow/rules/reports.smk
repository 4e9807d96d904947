# Tables, figures and the report under reports/.


rule tables:
    input:
        results=expand("results/analysis/{sample}/results.csv", sample=SAMPLES),
        verdicts=expand("results/analysis/{sample}/verdicts.csv", sample=SAMPLES),
        normality=expand("results/analysis/{sample}/normality.csv", sample=SAMPLES),
        panels=[panel_of(s) for s in SAMPLES],
        codebook=config["codebook"],
        believe="results/believe/published.csv",
    output:
        table_dirs(),
    log:
        expand("logs/tables/{sample}.log", sample=SAMPLES),
    benchmark:
        "benchmarks/tables/tables.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 2
    resources:
        mem_mb=1000,
    params:
        samples=SAMPLES,
        alpha=config["alpha"],
        formats=config["outputs"]["table_formats"],
        spss_tables=config["outputs"]["spss_tables"],
    script:
        "../scripts/tables.py"


rule figures:
    input:
        results="results/analysis/{sample}/results.csv",
        normality="results/analysis/{sample}/normality.csv",
        panel=sample_panel,
        codebook=config["codebook"],
        samples=cross_sample_results,
    output:
        report(
            directory("reports/figures/{sample}"),
            patterns=["{name}.png"],
            caption="../report/figures.rst",
            category="Figures",
            subcategory="{sample}",
            labels=lambda wildcards: report_labels(
                wildcards.sample, wildcards.name, "figure"
            ),
        ),
    log:
        "logs/figures/{sample}.log",
    benchmark:
        "benchmarks/figures/{sample}.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 2
    resources:
        mem_mb=2000,
    params:
        formats=config["outputs"]["figure_formats"],
    script:
        "../scripts/figures.py"


rule report:
    input:
        specs=config["hypotheses"],
        summary="results/pooled/summary.json",
        ledger="results/pooled/exclusions.csv",
        verdicts="results/analysis/all/verdicts.csv",
        results="results/analysis/all/results.csv",
        tables=expand("reports/tables/{sample}", sample=SAMPLES),
        figures="reports/figures/all",
        matrix_wide="results/cases/matrix_wide.csv",
        case_pathways="results/cases/pathways.csv",
        disagreements="results/cases/disagreements.csv",
        claims="results/cases/claims.csv",
        pathway_mix="results/pathways/mix.csv",
        pathway_crosstab="results/pathways/crosstab.csv",
        pathway_figure="reports/figures/pathways.png",
        pathway_caption="reports/figures/pathways.caption.txt",
        joint_display="results/integration/joint_display.csv",
        provenance_inputs=provenance_inputs(),
        synthetic_config="config/synthetic.yaml",
        believe="results/believe/published.json",
    output:
        html=report(
            "reports/report.html", caption="../report/report.rst", category="Report"
        ),
        provenance="reports/provenance.json",
        index="reports/index.md",
        qualitative=directory("reports/tables/qualitative"),
    log:
        "logs/report/report.log",
    benchmark:
        "benchmarks/report/report.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        config=config,
    script:
        "../scripts/report.py"

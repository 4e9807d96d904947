# Tables, figures and the report under reports/.


rule tables:
    input:
        results="results/analysis/{sample}/results.csv",
        verdicts="results/analysis/{sample}/verdicts.csv",
        normality="results/analysis/{sample}/normality.csv",
        panel=sample_panel,
        codebook=config["codebook"],
        samples=cross_sample_results,
    output:
        directory("reports/tables/{sample}"),
    params:
        alpha=config["alpha"],
        samples=cross_sample_dirs,
    log:
        "logs/tables/{sample}.log",
    benchmark:
        "benchmarks/tables/{sample}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../envs/analysis.yaml"
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
        directory("reports/figures/{sample}"),
    params:
        samples=cross_sample_dirs,
    log:
        "logs/figures/{sample}.log",
    benchmark:
        "benchmarks/figures/{sample}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/figures.py"


rule report:
    input:
        specs=config["hypotheses"],
        summary="results/pooled/summary.json",
        ledger="results/pooled/exclusions.csv",
        verdicts="results/analysis/all/verdicts.csv",
        tables=expand("reports/tables/{sample}", sample=SAMPLES),
        figures="reports/figures/all",
        matrix_wide="results/cases/matrix_wide.csv",
        case_pathways="results/cases/pathways.csv",
        disagreements="results/cases/disagreements.csv",
        claims="results/cases/claims.csv",
        pathway_mix="results/pathways/mix.csv",
        pathway_crosstab="results/pathways/crosstab.csv",
        pathway_figure="reports/figures/pathways.png",
        joint_display="results/integration/joint_display.csv",
        provenance_inputs=provenance_inputs(),
    output:
        html="reports/report.html",
        provenance="reports/provenance.json",
        qualitative=directory("reports/tables/qualitative"),
    params:
        config=config,
        synthetic_config="config/synthetic.yaml",
    log:
        "logs/report/report.log",
    benchmark:
        "benchmarks/report/report.tsv"
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/report.py"

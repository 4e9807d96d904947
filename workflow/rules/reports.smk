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

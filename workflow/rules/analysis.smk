# Normality tables and the hypothesis engine, for the pooled sample ("all") and each country.


rule normality:
    input:
        panel=sample_panel,
    output:
        table="results/analysis/{sample}/normality.csv",
    params:
        variables=config["normality"]["variables"],
        by=config["normality"]["by"],
        alpha=config["alpha"],
    log:
        "logs/normality/{sample}.log",
    benchmark:
        "benchmarks/normality/{sample}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/normality.py"


rule hypotheses:
    input:
        panel=sample_panel,
        specs=config["hypotheses"],
    output:
        results="results/analysis/{sample}/results.csv",
        verdicts="results/analysis/{sample}/verdicts.csv",
    params:
        alpha=config["alpha"],
    log:
        "logs/hypotheses/{sample}.log",
    benchmark:
        "benchmarks/hypotheses/{sample}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../envs/analysis.yaml"
    script:
        "../scripts/hypotheses.py"

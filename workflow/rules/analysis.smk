# Normality tables and the hypothesis engine, for the pooled sample ("all") and each country.


rule normality:
    input:
        panel=sample_panel,
    output:
        table="results/analysis/{sample}/normality.csv",
    log:
        "logs/normality/{sample}.log",
    benchmark:
        "benchmarks/normality/{sample}.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        variables=config["normality"]["variables"],
        by=config["normality"]["by"],
        alpha=config["alpha"],
    script:
        "../scripts/normality.py"


rule hypotheses:
    input:
        panel=sample_panel,
        specs=config["hypotheses"],
    output:
        results="results/analysis/{sample}/results.csv",
        verdicts="results/analysis/{sample}/verdicts.csv",
    log:
        "logs/hypotheses/{sample}.log",
    benchmark:
        "benchmarks/hypotheses/{sample}.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        alpha=config["alpha"],
    script:
        "../scripts/hypotheses.py"

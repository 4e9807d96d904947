# Normality tables and the hypothesis engine, for the pooled sample ("all") and each country.


rule analysis:
    input:
        panel=sample_panel,
        specs=config["hypotheses"],
    output:
        normality="results/analysis/{sample}/normality.csv",
        results="results/analysis/{sample}/results.csv",
        verdicts="results/analysis/{sample}/verdicts.csv",
    log:
        normality="logs/normality/{sample}.log",
        hypotheses="logs/hypotheses/{sample}.log",
    benchmark:
        "benchmarks/analysis/{sample}.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=sample_mem_mb,
    params:
        variables=config["normality"]["variables"],
        by=config["normality"]["by"],
        alpha=config["alpha"],
    script:
        "../scripts/analysis.py"

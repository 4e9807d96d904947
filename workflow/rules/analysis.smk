# Normality tables and the hypothesis engine, for the pooled sample ("all") and each country,
# in one job: the samples share one start-up and one import of the statistics stack, and are
# shared out to the job's threads as forked processes.


rule analysis:
    input:
        panels=[panel_of(s) for s in SAMPLES],
        specs=config["hypotheses"],
    output:
        normality=expand("results/analysis/{sample}/normality.csv", sample=SAMPLES),
        results=expand("results/analysis/{sample}/results.csv", sample=SAMPLES),
        verdicts=expand("results/analysis/{sample}/verdicts.csv", sample=SAMPLES),
    log:
        normality=expand("logs/normality/{sample}.log", sample=SAMPLES),
        hypotheses=expand("logs/hypotheses/{sample}.log", sample=SAMPLES),
    benchmark:
        "benchmarks/analysis/analysis.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 2
    resources:
        mem_mb=analysis_mem_mb,
    params:
        samples=SAMPLES,
        variables=config["normality"]["variables"],
        by=config["normality"]["by"],
        alpha=config["alpha"],
    script:
        "../scripts/analysis.py"

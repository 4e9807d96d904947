# The qualitative arm (case firms), pathways of the panel firms, and the joint display.


rule cases:
    input:
        cases=config["cases"]["data"],
        frame=config["cases"]["coding_frame"],
    output:
        matrix="results/cases/matrix.csv",
        wide="results/cases/matrix_wide.csv",
        pathways="results/cases/pathways.csv",
        disagreements="results/cases/disagreements.csv",
        claims="results/cases/claims.csv",
    log:
        "logs/cases/cases.log",
    benchmark:
        "benchmarks/cases/cases.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../scripts/cases.py"


rule pathways:
    input:
        panel="results/pooled/panel.parquet",
        config=config["pathways"],
    output:
        classified="results/pathways/classified.csv",
        mix="results/pathways/mix.csv",
        crosstab="results/pathways/crosstab.csv",
        figure=report(
            "reports/figures/pathways.png",
            caption="../report/pathways.rst",
            category="Qualitative arm",
        ),
        caption="reports/figures/pathways.caption.txt",
    log:
        "logs/pathways/pathways.log",
    benchmark:
        "benchmarks/pathways/pathways.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../scripts/pathways.py"


rule integration:
    input:
        verdicts="results/analysis/all/verdicts.csv",
        cases=config["cases"]["data"],
        frame=config["cases"]["coding_frame"],
        config=config["integration"],
        specs=config["hypotheses"],
    output:
        display="results/integration/joint_display.csv",
    log:
        "logs/integration/integration.log",
    benchmark:
        "benchmarks/integration/integration.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=500,
    params:
        rule=DEFAULT_RULE,
    script:
        "../scripts/integration.py"

# How much to believe each verdict (analysis/believe/): simulations under no effect and under
# effects, the calibration search, the specification curve, the firm-level bootstrap.
# Replications run in chunks (one job each), so they parallelize and cache; every replication's
# seed derives from config/believe.yaml's seed and its index, whatever the chunking.


rule believe_no_effect:
    input:
        believe=BELIEVE_FILE,
        specs=config["hypotheses"],
        synthetic="config/synthetic.yaml",
        panel="results/pooled/panel.parquet",
    output:
        units="results/believe/no_effect/{source}_{chunk}.units.csv",
        verdicts="results/believe/no_effect/{source}_{chunk}.verdicts.csv",
    log:
        "logs/believe/no_effect/{source}_{chunk}.log",
    benchmark:
        "benchmarks/believe/no_effect/{source}_{chunk}.tsv"
    wildcard_constraints:
        source="generator|panel",
        chunk=r"\d+",
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1500,
    params:
        derive=config["derive"],
        presets_dir=config["presets_dir"],
        alpha=config["alpha"],
    script:
        "../scripts/believe_no_effect.py"


rule believe_power:
    input:
        believe=BELIEVE_FILE,
        specs=config["hypotheses"],
        synthetic="config/synthetic.yaml",
        panel="results/pooled/panel.parquet",
    output:
        units="results/believe/power/{design}_{chunk}.units.csv",
        verdicts="results/believe/power/{design}_{chunk}.verdicts.csv",
    log:
        "logs/believe/power/{design}_{chunk}.log",
    benchmark:
        "benchmarks/believe/power/{design}_{chunk}.tsv"
    wildcard_constraints:
        design="study|panel",
        chunk=r"\d+",
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1500,
    params:
        derive=config["derive"],
        presets_dir=config["presets_dir"],
        alpha=config["alpha"],
    script:
        "../scripts/believe_power.py"


rule believe_analytic:
    input:
        believe=BELIEVE_FILE,
    output:
        table="results/believe/analytic.csv",
    log:
        "logs/believe/analytic.log",
    benchmark:
        "benchmarks/believe/analytic.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=500,
    params:
        alpha=config["alpha"],
    script:
        "../scripts/believe_analytic.py"


rule believe_calibrate:
    input:
        believe=BELIEVE_FILE,
        specs=config["hypotheses"],
        start=BELIEVE["calibration"]["start"] if BELIEVE else [],
    output:
        table="results/believe/calibration.csv",
        params="results/believe/calibrated_synthetic.yaml",
    log:
        "logs/believe/calibrate.log",
    benchmark:
        "benchmarks/believe/calibrate.tsv"
    # the longest job (a serial search): started first
    priority: 10
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1500,
    params:
        derive=config["derive"],
        presets_dir=config["presets_dir"],
        alpha=config["alpha"],
    script:
        "../scripts/believe_calibrate.py"


rule believe_reproduce:
    input:
        believe=BELIEVE_FILE,
        specs=config["hypotheses"],
        params=reproduce_params,
    output:
        table="results/believe/reproduce/{which}_{chunk}.csv",
    log:
        "logs/believe/reproduce/{which}_{chunk}.log",
    benchmark:
        "benchmarks/believe/reproduce/{which}_{chunk}.tsv"
    wildcard_constraints:
        which="current|reference",
        chunk=r"\d+",
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1500,
    params:
        derive=config["derive"],
        presets_dir=config["presets_dir"],
        alpha=config["alpha"],
    script:
        "../scripts/believe_reproduce.py"


rule believe_speccurve:
    input:
        believe=BELIEVE_FILE,
        specs=config["hypotheses"],
        panel="results/pooled/panel.parquet",
        sizes=f"{config['presets_dir']}/size_definitions.yaml",
    output:
        curve="results/believe/speccurve/{hypothesis}.csv",
        flips="results/believe/speccurve/{hypothesis}.flips.csv",
        joint="results/believe/speccurve/{hypothesis}.joint.csv",
    log:
        "logs/believe/speccurve/{hypothesis}.log",
    benchmark:
        "benchmarks/believe/speccurve/{hypothesis}.tsv"
    wildcard_constraints:
        hypothesis=r"[A-Za-z][A-Za-z0-9_]*",
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1500,
    params:
        config=config,
    script:
        "../scripts/believe_speccurve.py"


rule believe_bootstrap:
    input:
        believe=BELIEVE_FILE,
        specs=config["hypotheses"],
        panel="results/pooled/panel.parquet",
    output:
        draws="results/believe/bootstrap/{chunk}.csv",
    log:
        "logs/believe/bootstrap/{chunk}.log",
    benchmark:
        "benchmarks/believe/bootstrap/{chunk}.tsv"
    wildcard_constraints:
        chunk=r"\d+",
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1500,
    params:
        alpha=config["alpha"],
    script:
        "../scripts/believe_bootstrap.py"


rule believe_summary:
    input:
        believe=BELIEVE_FILE,
        specs=config["hypotheses"],
        no_effect_units=expand(
            "results/believe/no_effect/{source}_{chunk}.units.csv",
            source=["generator", "panel"],
            chunk=believe_chunks("no_effect"),
        ),
        no_effect_verdicts=expand(
            "results/believe/no_effect/{source}_{chunk}.verdicts.csv",
            source=["generator", "panel"],
            chunk=believe_chunks("no_effect"),
        ),
        power_units=expand(
            "results/believe/power/{design}_{chunk}.units.csv",
            design=["study", "panel"],
            chunk=believe_chunks("power"),
        ),
        power_verdicts=expand(
            "results/believe/power/{design}_{chunk}.verdicts.csv",
            design=["study", "panel"],
            chunk=believe_chunks("power"),
        ),
        analytic="results/believe/analytic.csv",
        calibration="results/believe/calibration.csv",
        reproduce=expand(
            "results/believe/reproduce/{which}_{chunk}.csv",
            which=REPRODUCE,
            chunk=range(BELIEVE["calibration"]["reproduce_chunks"]) if BELIEVE else [],
        ),
        curves=expand(
            "results/believe/speccurve/{hypothesis}.csv",
            hypothesis=BELIEVE["spec_curve"]["hypotheses"] if BELIEVE else [],
        ),
        flips=expand(
            "results/believe/speccurve/{hypothesis}.flips.csv",
            hypothesis=BELIEVE["spec_curve"]["hypotheses"] if BELIEVE else [],
        ),
        joint=expand(
            "results/believe/speccurve/{hypothesis}.joint.csv",
            hypothesis=BELIEVE["spec_curve"]["hypotheses"] if BELIEVE else [],
        ),
        bootstrap=expand(
            "results/believe/bootstrap/{chunk}.csv", chunk=believe_chunks("bootstrap")
        ),
        results="results/analysis/all/results.csv",
        verdicts="results/analysis/all/verdicts.csv",
        synthetic="config/synthetic.yaml",
        calibrated="results/believe/calibrated_synthetic.yaml",
        # what the results are computed from: summary.json records their checksums
        fingerprint=believe_fingerprint_files(),
    output:
        summary="results/believe/summary.csv",
        record="results/believe/summary.json",
        tables=multiext(
            "results/believe/",
            "details.csv",
            "null_rates.csv",
            "null_verdicts.csv",
            "power.csv",
            "power_verdicts.csv",
            "mde.csv",
            "analytic_power.csv",
            "reproduce.csv",
            "reproduce_outcomes.csv",
            "reproduce_joint.csv",
            "speccurve.csv",
            "flips.csv",
            "joint_tests.csv",
            "bootstrap.csv",
        ),
    log:
        "logs/believe/summary.log",
    benchmark:
        "benchmarks/believe/summary.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        alpha=config["alpha"],
        config=config,
    script:
        "../scripts/believe_summary.py"


rule believe_render:
    input:
        summary="results/believe/summary.csv",
        calibration="results/believe/calibration.csv",
        specs=config["hypotheses"],
    output:
        html="reports/believe.html",
        figures=directory("reports/believe/figures"),
    log:
        "logs/believe/render.log",
    benchmark:
        "benchmarks/believe/render.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        formats=config["outputs"]["figure_formats"],
        synthetic=any(p["synthetic"] for p in config["panels"].values()),
    script:
        "../scripts/believe_render.py"


# The published results (config `believe_results`, committed, written by no rule: publish
# them with `sme-intl believe --publish`) checked against this run's inputs: the report and
# Table 2 show them only when they were computed from the same inputs. Part of the default run.
rule believe_published:
    input:
        published=believe_published_files(),
        fingerprint=believe_fingerprint_files(),
    output:
        table="results/believe/published.csv",
        record="results/believe/published.json",
    log:
        "logs/believe/published.log",
    benchmark:
        "benchmarks/believe/published.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=500,
    params:
        config=config,
    script:
        "../scripts/believe_published.py"


# The simulation target: `snakemake --cores 2 believe` (not part of the default run).
rule believe:
    input:
        "reports/believe.html",
        "results/believe/summary.csv",

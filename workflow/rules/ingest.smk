# Ingestion and validation, one job per panel; pooling of all panels.


rule ingest:
    input:
        unpack(panel_inputs),
    output:
        panel="results/ingested/{panel}.parquet",
        ledger="results/ingested/{panel}.ledger.csv",
        info="results/ingested/{panel}.json",
    log:
        "logs/ingest/{panel}.log",
    benchmark:
        "benchmarks/ingest/{panel}.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        panel=panel_cfg,
        presets_dir=lambda wildcards, input: os.path.dirname(input.get("preset", "")),
    script:
        "../scripts/ingest.py"


rule validate:
    input:
        panel=rules.ingest.output.panel,
        ledger=rules.ingest.output.ledger,
        info=rules.ingest.output.info,
        codebook=config["codebook"],
        sizes=f"{config['presets_dir']}/size_definitions.yaml",
    output:
        panel="results/panels/{panel}.parquet",
        ledger="results/panels/{panel}.exclusions.csv",
        summary="results/panels/{panel}.summary.json",
    log:
        "logs/validate/{panel}.log",
    benchmark:
        "benchmarks/validate/{panel}.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        panel=panel_cfg,
        derive=config["derive"],
        presets_dir=lambda wildcards, input: os.path.dirname(input.sizes),
    script:
        "../scripts/validate.py"


rule pool:
    input:
        panels=expand("results/panels/{panel}.parquet", panel=PANELS),
        ledgers=expand("results/panels/{panel}.exclusions.csv", panel=PANELS),
        summaries=expand("results/panels/{panel}.summary.json", panel=PANELS),
    output:
        panel="results/pooled/panel.parquet",
        ledger="results/pooled/exclusions.csv",
        summary="results/pooled/summary.json",
    log:
        "logs/pool/pool.log",
    benchmark:
        "benchmarks/pool/pool.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        panels=PANELS,
    script:
        "../scripts/pool.py"

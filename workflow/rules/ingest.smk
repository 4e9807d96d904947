# Ingestion and validation, one job per panel; pooling of all panels.


rule panel:
    input:
        unpack(panel_inputs),
    output:
        ingested="results/ingested/{panel}.parquet",
        ingest_ledger="results/ingested/{panel}.ledger.csv",
        info="results/ingested/{panel}.json",
        panel="results/panels/{panel}.parquet",
        ledger="results/panels/{panel}.exclusions.csv",
        summary="results/panels/{panel}.summary.json",
    log:
        ingest="logs/ingest/{panel}.log",
        validate="logs/validate/{panel}.log",
    benchmark:
        "benchmarks/panel/{panel}.tsv"
    conda:
        "../envs/analysis.yaml"
    threads: 1
    resources:
        mem_mb=panel_mem_mb,
    params:
        panel=panel_cfg,
        derive=config["derive"],
        presets_dir=config["presets_dir"],
    script:
        "../scripts/panel.py"


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
        mem_mb=pooled_mem_mb,
    params:
        panels=PANELS,
    script:
        "../scripts/pool.py"

# Ingestion and validation, one job per panel; pooling of all panels.


rule ingest:
    input:
        unpack(panel_inputs),
    output:
        panel="results/ingested/{panel}.parquet",
        ledger="results/ingested/{panel}.ledger.csv",
        info="results/ingested/{panel}.json",
    params:
        panel=panel_cfg,
        presets_dir=config["presets_dir"],
    log:
        "logs/ingest/{panel}.log",
    benchmark:
        "benchmarks/ingest/{panel}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
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
    params:
        panel=panel_cfg,
        derive=config["derive"],
        presets_dir=config["presets_dir"],
    log:
        "logs/validate/{panel}.log",
    benchmark:
        "benchmarks/validate/{panel}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
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
    params:
        panels=PANELS,
    log:
        "logs/pool/pool.log",
    benchmark:
        "benchmarks/pool/pool.tsv"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../scripts/pool.py"

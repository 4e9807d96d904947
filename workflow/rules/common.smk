# Configuration check and helpers shared by the rules.

import os

from analysis.config import check_config

config = check_config(config)
PANELS = list(config["panels"])


wildcard_constraints:
    panel="|".join(PANELS),


def panel_cfg(wildcards):
    return config["panels"][wildcards.panel]


def panel_inputs(wildcards):
    """The panel file, the codebook, and the mapping preset (so a change reruns ingestion)."""
    cfg = config["panels"][wildcards.panel]
    files = {"data": cfg["path"], "codebook": config["codebook"]}
    preset = cfg.get("mapping", {}).get("preset")
    if preset:
        files["preset"] = f"{config['presets_dir']}/{preset}.yaml"
    return files


def all_targets():
    return [
        "results/pooled/panel.parquet",
        "results/pooled/summary.json",
    ]

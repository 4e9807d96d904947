# Configuration check and helpers shared by the rules.

import os

from analysis.config import check_config, check_input_paths, refuse_code
from analysis.believe.settings import load_believe
from analysis.engine.specs import load_specs

# Configuration is data: a file that asks for YTE evaluation (`__use_yte__`) is refused.
refuse_code(workflow.configfiles)
config = check_config(config, config_files=workflow.configfiles)
# Every input file must exist before anything runs (a misspelt path never reuses old results).
check_input_paths(config)

# One BLAS thread per job: jobs run in parallel already, and a fixed thread count keeps
# floating-point results identical from run to run.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
PANELS = list(config["panels"])
# the hypothesis specs are checked against their schema at start-up, before any job runs
SPECS = load_specs(config["hypotheses"])
DEFAULT_RULE = SPECS["default_rule"]


# "all" is the pooled sample of every panel; each panel is also a sample of its own when
# per_country is true and more than one panel is configured.
SAMPLES = ["all"] + (PANELS if config["per_country"] and len(PANELS) > 1 else [])


wildcard_constraints:
    panel="|".join(PANELS),
    sample="|".join(SAMPLES),


def panel_cfg(wildcards):
    return config["panels"][wildcards.panel]


def panel_inputs(wildcards):
    """The panel file, the codebook, the size definitions and the mapping preset (so a change
    to any of them reruns the panel)."""
    cfg = config["panels"][wildcards.panel]
    files = {
        "data": cfg["path"],
        "codebook": config["codebook"],
        "sizes": f"{config['presets_dir']}/size_definitions.yaml",
    }
    preset = cfg.get("mapping", {}).get("preset")
    if preset:
        files["preset"] = f"{config['presets_dir']}/{preset}.yaml"
    return files


# Memory requests grow with the data (a million firm-years need about 1.5 GB in a stage).
def panel_mem_mb(wildcards, input):
    return max(1000, int(30 * input.size_mb))


def pooled_mem_mb(wildcards, input):
    return max(1000, int(12 * input.size_mb))


def analysis_mem_mb(wildcards, input):
    return max(1000, int(12 * input.size_mb))


def panel_of(sample):
    """The analysed panel of a sample: the pooled panel for "all", else the country's."""
    if sample == "all":
        return "results/pooled/panel.parquet"
    return f"results/panels/{sample}.parquet"


def sample_panel(wildcards):
    return panel_of(wildcards.sample)


def report_labels(sample, name, kind):
    """Labels of one table or figure in `snakemake --report`: its sample, the hypothesis it
    belongs to (the prefix of its name, "-" for none) and its name."""
    stem = name.removeprefix("forest_")
    hyp = next(
        (h for h in SPECS["hypotheses"] if stem == h or stem.startswith(f"{h}_")), "-"
    )
    return {"sample": sample, "hypothesis": hyp, kind: name}


def table_dirs():
    """One output directory of tables per sample, each a category of `snakemake --report`."""
    return [_table_dir(s) for s in SAMPLES]


def _table_dir(sample):
    return report(
        directory(f"reports/tables/{sample}"),
        patterns=["{name}.html"],
        caption="../report/tables.rst",
        category="Tables",
        subcategory=sample,
        labels=lambda wildcards, sample=sample: report_labels(
            sample, wildcards.name, "table"
        ),
    )


def cross_sample_results(wildcards):
    """results.csv of every sample, for the pooled sample's cross-country outputs."""
    if wildcards.sample != "all" or len(SAMPLES) < 2:
        return []
    return [f"results/analysis/{s}/results.csv" for s in SAMPLES]


def provenance_inputs():
    """Every input file whose checksum the provenance record lists."""
    files = [p["path"] for p in config["panels"].values()]
    if config.get("panels_file"):
        files.append(config["panels_file"])
    files += [config["codebook"], config["hypotheses"], config["cases"]["data"]]
    files += [
        config["cases"]["coding_frame"],
        config["pathways"],
        config["integration"],
    ]
    files += ["config/synthetic.yaml"]
    # the published believe results and their settings (shown when computed from these inputs)
    files += believe_published_files() + (
        [config["believe"]] if config.get("believe") else []
    )
    # every configuration file of this run (config/config.yaml and any --configfile overlay)
    files += [os.path.relpath(f) for f in workflow.configfiles]
    files += [f"{config['presets_dir']}/{n}.yaml" for n in ("size_definitions",)]
    presets = {p.get("mapping", {}).get("preset") for p in config["panels"].values()}
    files += [
        f"{config['presets_dir']}/{n}.yaml" for n in sorted(filter(None, presets))
    ]
    return sorted(set(files))


def all_targets():
    return [
        "results/pooled/summary.json",
        *expand("results/analysis/{sample}/normality.csv", sample=SAMPLES),
        *expand("results/analysis/{sample}/verdicts.csv", sample=SAMPLES),
        "results/cases/pathways.csv",
        "results/pathways/classified.csv",
        "results/integration/joint_display.csv",
        "reports/report.html",
    ]


# "How much to believe each verdict" (workflow/rules/believe.smk): its settings, checked at
# start-up, and the chunks its replications run in.
BELIEVE_FILE = config.get("believe") or ""
BELIEVE = (
    load_believe(BELIEVE_FILE, load_specs(config["hypotheses"])) if BELIEVE_FILE else {}
)
REPRODUCE = ["current"] + (
    ["reference"] if BELIEVE and BELIEVE["calibration"].get("compare_with") else []
)


def believe_fingerprint_files():
    """The input files whose checksums fingerprint the believe results."""
    from analysis.believe.publish import fingerprint_files

    return fingerprint_files(config, BELIEVE)


def believe_published_files():
    """The published believe summary and its sidecar (none when switched off)."""
    from analysis.believe.publish import sidecar

    path = config.get("believe_results") or ""
    return [path, str(sidecar(path))] if path else []


def believe_chunks(block):
    return range(BELIEVE[block]["chunks"]) if BELIEVE else []


def reproduce_params(wildcards):
    if wildcards.which == "reference":
        return BELIEVE["calibration"]["compare_with"]
    return "config/synthetic.yaml"

"""Loading and checking the configuration; mapping and size-definition presets."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

from analysis.errors import PipelineInputError

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "config.schema.yaml"
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".dta": "stata",
           ".xlsx": "excel", ".xls": "excel", ".sav": "spss", ".zsav": "spss"}
YTE_KEY = "__use_yte__"
BOOL_WORDS = {"true": True, "yes": True, "on": True, "1": True,
              "false": False, "no": False, "off": False, "0": False}


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file with a message naming the file on failure."""
    path = Path(path)
    if not path.exists():
        raise PipelineInputError(f"{path}: file not found")
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise PipelineInputError(f"{path}: not valid YAML: {exc}") from exc


def normalize_yes_no(mapping: dict[str, Any]) -> dict[str, Any]:
    """YAML 1.1 reads the keys ``yes:`` and ``no:`` as booleans; turn them back into strings."""
    yes_no = mapping.get("yes_no")
    if not isinstance(yes_no, dict):
        return mapping

    def fix(codes: Any) -> Any:
        if not isinstance(codes, dict):
            return codes
        return {{True: "yes", False: "no"}.get(k, k): v for k, v in codes.items()}

    if "codes" in yes_no:
        yes_no["codes"] = fix(yes_no["codes"])
    if isinstance(yes_no.get("columns"), dict):
        yes_no["columns"] = {k: fix(v) for k, v in yes_no["columns"].items()}
    return mapping


def did_you_mean(word: str, choices: Any) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, else an empty string."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _describe(error: Any, root: str = "config", schema_name: str = "the schema") -> str:
    where = root
    for part in error.absolute_path:
        where += f"[{part!r}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    where = where or "(top level)"
    msg = error.message
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties") or {})
        unknown = [k for k in error.instance if k not in allowed]
        parts = [f"unknown key {k!r}{did_you_mean(k, allowed)}" for k in unknown]
        msg = "; ".join(parts) + (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
        msg += f" (see {schema_name})"
    elif error.validator == "enum":
        msg = (f"value {error.instance!r} is not one of {error.validator_value}"
               f"{did_you_mean(error.instance, error.validator_value)}")
    elif error.validator == "required":
        msg = error.message.replace("is a required property", "is required but missing")
    elif error.validator == "pattern" and "propertyNames" in error.relative_schema_path:
        msg = (f"{error.instance!r} is not an allowed name: use letters, digits, '_' and '-', "
               f"starting with a letter ({error.validator_value})")
    elif error.validator in ("oneOf", "anyOf"):
        expected = error.schema.get("description", "one of the forms in the schema")
        details = "; ".join(sorted({sub.message for sub in error.context or []}))
        msg = f"{error.instance!r} is not valid here: expected {expected}"
        if details:
            msg += f" ({details})"
    return f"{where}: {msg}"


def schema_errors(obj: Any, schema: dict[str, Any], root: str, schema_name: str) -> list[str]:
    """Every way ``obj`` does not match a JSON schema, as sentences naming where and why."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    return [_describe(e, root, schema_name) for e in errors]


def merge_order(config_files: list[str | Path]) -> list[str]:
    """Snakemake's configuration files in the order they were merged, each once, as paths
    relative to the working directory where possible.

    ``workflow.configfiles`` lists the ``--configfile`` files (absolute paths) before the
    Snakefile's ``configfile:`` (as written), but the Snakefile's file is merged first and the
    command line's over it.
    """
    files = [f for f in config_files if not Path(f).is_absolute()]
    files += [f for f in config_files if Path(f).is_absolute()]
    seen: dict[Path, str] = {}
    for f in files:
        key = Path(f).resolve()
        seen.pop(key, None)
        rel = os.path.relpath(f) if Path(f).is_absolute() else str(f)
        seen[key] = str(f) if rel.startswith("..") else rel
    return list(seen.values())


def refuse_code(config_files: list[str | Path]) -> None:
    """Refuse configuration files that ask Snakemake to evaluate them as YTE templates.

    A file with ``__use_yte__: true`` has its ``?``-expressions run as Python by Snakemake while
    it loads the file (before this check can run); configuration is data, so such a file stops
    the run with a message naming it.
    """
    bad = []
    for f in merge_order(config_files):
        try:
            text = Path(f).read_text(encoding="utf-8")
        except OSError:
            continue
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError:
            raw = None
        if (isinstance(raw, dict) and YTE_KEY in raw) or YTE_KEY in text:
            bad.append(str(f))
    if bad:
        raise PipelineInputError(
            f"configuration files declare `{YTE_KEY}`, which makes Snakemake run their "
            "`?`-expressions as code; nothing in this project's configuration may run as code. "
            f"Remove `{YTE_KEY}` and write plain values (and check what the expressions did: "
            "Snakemake evaluated them while loading the file):", bad)


def panel_sources(config_files: list[str | Path]) -> dict[str, str]:
    """For each panel name, the configuration file that (last) defines it."""
    out: dict[str, str] = {}
    for f in merge_order(config_files):
        try:
            raw = yaml.safe_load(Path(f).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(raw, dict):
            if isinstance(raw.get("panels_file"), str):
                out = {"*": raw["panels_file"]}
            for name in raw.get("panels") or {}:
                out[str(name)] = str(f)
    return out


def _load_panel_sheet(path: str) -> dict[str, Any]:
    """The panel entries of a panel sheet (a YAML file of panel entries, or ``panels:`` of)."""
    sheet = load_yaml(path)
    if isinstance(sheet, dict) and isinstance(sheet.get("panels"), dict) and len(sheet) == 1:
        sheet = sheet["panels"]
    if not isinstance(sheet, dict) or not sheet:
        raise PipelineInputError(
            f"{path}: a panel sheet (config key panels_file) must be a YAML mapping of panel "
            "entries, e.g. `peru: {path: data/peru.dta, mapping: {preset: wbes}}`")
    return sheet


def check_config(config: dict[str, Any], schema_path: str | Path = SCHEMA_PATH,
                 config_files: list[str | Path] | None = None) -> dict[str, Any]:
    """Check a configuration against the schema, then check the files it names.

    ``panels_file`` (a panel sheet) replaces ``panels``; a panel set to null (``panels:
    {india: null}`` in an overlay) is removed. ``config_files`` (the files the configuration was
    merged from) name, in messages, the file each panel entry came from (``config_file``).

    Returns the configuration with schema defaults filled in. Raises
    :class:`PipelineInputError` listing every problem, each with its location in the config.
    """
    config = copy.deepcopy(config)
    sources = panel_sources(config_files or [])
    if isinstance(config.get("per_country"), str):
        word = config["per_country"].strip().lower()
        if word in BOOL_WORDS:
            config["per_country"] = BOOL_WORDS[word]
    if isinstance(config.get("panels_file"), str):
        config["panels"] = _load_panel_sheet(config["panels_file"])
        sources = {name: config["panels_file"] for name in config["panels"]}
    if isinstance(config.get("panels"), dict):
        config["panels"] = {k: v for k, v in config["panels"].items() if v is not None}
    for panel in (config.get("panels") or {}).values():
        if isinstance(panel, dict) and isinstance(panel.get("mapping"), dict):
            normalize_yes_no(panel["mapping"])
    schema = load_yaml(schema_path)
    errors = schema_errors(config, schema, "config", f"analysis/schemas/{Path(schema_path).name}")
    if errors:
        raise PipelineInputError(
            f"the configuration does not match {Path(schema_path).name}:", errors)
    config.setdefault("presets_dir", "config/presets")
    config.setdefault("per_country", True)
    outputs = config.setdefault("outputs", {})
    for key, prop in schema["properties"]["outputs"]["properties"].items():
        outputs.setdefault(key, copy.deepcopy(prop["default"]))
    problems = []
    for name, panel in config["panels"].items():
        panel["config_file"] = sources.get(name, sources.get("*", "config/config.yaml"))
        panel.setdefault("synthetic", False)
        panel.setdefault("read", {})
        panel.setdefault("mapping", {})
        if "format" not in panel:
            fmt = FORMATS.get(Path(panel["path"]).suffix.lower())
            if fmt is None:
                problems.append(
                    f"config.panels.{name}.path: cannot tell the format of {panel['path']!r} from "
                    f"its extension; add `format: csv|parquet|stata|spss|excel`"
                )
            panel["format"] = fmt
    bands = config["derive"]["doi_bands"]
    if len(bands["labels"]) != len(bands["cuts"]) + 2:
        problems.append(
            "config.derive.doi_bands: labels must name the 'none' band (export share 0) and one "
            f"band per interval between the cuts: {len(bands['cuts'])} cuts need "
            f"{len(bands['cuts']) + 2} labels, got {len(bands['labels'])}"
        )
    if list(bands["cuts"]) != sorted(set(bands["cuts"])):
        problems.append("config.derive.doi_bands.cuts must be strictly increasing")
    if len(set(bands["labels"])) != len(bands["labels"]):
        problems.append(f"config.derive.doi_bands.labels must be distinct, got {bands['labels']}")
    problems += _check_presets(config)
    if problems:
        raise PipelineInputError("the configuration has problems:", problems)
    return config


def check_input_paths(config: dict[str, Any]) -> None:
    """Every input file the configuration names must exist (checked at start-up, so that a
    misspelt path never lets a run finish on results of an earlier run)."""
    import glob

    def hint(path: str) -> str:
        parent = Path(path).parent
        names = [str(parent / p.name) for p in parent.glob("*")] if parent.is_dir() else []
        return did_you_mean(path, names) if names else f" (directory {str(parent)!r} not found)"

    problems = []
    for name, panel in config["panels"].items():
        path = panel["path"]
        if not Path(path).is_file():
            problems.append(f"config.panels.{name}.path ({panel.get('config_file')}): file "
                            f"{path!r} not found{hint(path)}")
    keys = [("codebook", config.get("codebook")), ("hypotheses", config.get("hypotheses")),
            ("pathways", config.get("pathways")), ("integration", config.get("integration")),
            ("believe", config.get("believe") or None)]
    keys += [(f"cases.{k}", v) for k, v in (config.get("cases") or {}).items()
             if isinstance(v, str)]
    published = config.get("believe_results") or None
    if published:
        keys += [("believe_results", published),
                 ("believe_results (its sidecar)", str(Path(published).with_suffix(".json")))]
    for key, path in keys:
        if isinstance(path, str) and not glob.glob(path):
            problems.append(f"config.{key}: file {path!r} not found{hint(path)}"
                            + (" (publish it with `sme-intl believe --publish`, or set "
                               "believe_results: null)" if key.startswith("believe_results")
                               else ""))
    if problems:
        raise PipelineInputError(
            "input files named by the configuration are missing (fix the paths; nothing ran):",
            problems)


SIZE_PRESETS = "size_definitions"


def _mapping_presets(presets_dir: str | Path) -> list[str]:
    """Names of the mapping presets in ``presets_dir`` (the size-definition file is not one)."""
    return sorted(p.stem for p in Path(presets_dir).glob("*.yaml") if p.stem != SIZE_PRESETS)


def _check_presets(config: dict[str, Any]) -> list[str]:
    """Problems with the presets the configuration names (mapping presets, size definition)."""
    presets_dir = Path(config["presets_dir"])
    if not presets_dir.is_dir():
        return [f"config.presets_dir: directory {str(presets_dir)!r} not found (it holds the "
                "mapping presets and size_definitions.yaml; the default is config/presets)"]
    problems = []
    for name, panel in config["panels"].items():
        preset = panel["mapping"].get("preset")
        if preset is not None and not (presets_dir / f"{preset}.yaml").is_file():
            problems.append(
                f"config.panels.{name}.mapping.preset: unknown mapping preset {preset!r}: no file "
                f"{presets_dir / f'{preset}.yaml'}; known presets: {_mapping_presets(presets_dir)}"
            )
    spec = config["derive"]["size_definition"]
    if isinstance(spec, dict):
        if spec["min_employees"] > spec["sme_max_employees"]:
            problems.append(
                "config.derive.size_definition: min_employees "
                f"({spec['min_employees']}) is larger than sme_max_employees "
                f"({spec['sme_max_employees']}), so no firm could be an SME"
            )
    else:
        try:
            size_definition(config["derive"], presets_dir)
        except PipelineInputError as exc:
            problems.append(str(exc))
    return problems


def _check_preset_content(preset: Any, path: Path) -> None:
    """A mapping preset must be a mapping that the config schema accepts (typos are errors)."""
    if not isinstance(preset, dict):
        raise PipelineInputError(f"{path}: a mapping preset must be a YAML mapping (rename:, "
                                 f"sum:, missing_codes:, yes_no:, scale:, constants:)")
    schema = load_yaml(SCHEMA_PATH)
    mapping_schema = schema["properties"]["panels"]["additionalProperties"]["properties"]["mapping"]
    errors = schema_errors(preset, mapping_schema, "preset",
                           "panels.*.mapping in analysis/schemas/config.schema.yaml")
    if errors:
        raise PipelineInputError(
            f"{path}: the mapping preset does not match the mapping schema "
            "(panels.*.mapping in analysis/schemas/config.schema.yaml):", errors)


def resolve_mapping(mapping: dict[str, Any], presets_dir: str | Path) -> dict[str, Any]:
    """Merge a panel's mapping over its preset (if any).

    Dictionaries (rename, constants, sum, scale, missing_codes.columns, yes_no.columns) are merged
    key by key, the panel's entries winning; lists and scalars of the panel replace the preset's.
    A panel entry set to null removes the preset's entry (e.g. ``rename: {h1: null}`` for an
    extract without the column h1).
    """
    mapping = copy.deepcopy(mapping or {})
    preset_name = mapping.pop("preset", None)
    if preset_name is None:
        return _merge({}, normalize_yes_no(mapping))
    path = Path(presets_dir) / f"{preset_name}.yaml"
    if preset_name == SIZE_PRESETS or not path.exists():
        raise PipelineInputError(
            f"mapping preset {preset_name!r} not found: no file {path}. "
            f"Known presets: {_mapping_presets(presets_dir)}"
        )
    preset = normalize_yes_no(load_yaml(path) or {})
    _check_preset_content(preset, path)
    return _merge(preset, normalize_yes_no(mapping))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if value is None:  # null removes the preset's entry
            out.pop(key, None)
        elif isinstance(value, dict):
            out[key] = _merge(out[key] if isinstance(out.get(key), dict) else {}, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def size_definition(derive_cfg: dict[str, Any], presets_dir: str | Path) -> dict[str, Any]:
    """Return the size definition (min_employees, sme_max_employees, description)."""
    spec = derive_cfg["size_definition"]
    if isinstance(spec, dict):
        out = dict(spec)
        out.setdefault(
            "description",
            f"SME = {spec['min_employees']}-{spec['sme_max_employees']} employees (custom)",
        )
        out.setdefault("name", "custom")
        return out
    presets = load_yaml(Path(presets_dir) / "size_definitions.yaml")
    if spec not in presets:
        raise PipelineInputError(
            f"config.derive.size_definition: unknown size definition {spec!r}; "
            f"choose one of {sorted(presets)} or give min_employees and sme_max_employees"
        )
    return {"name": spec, **presets[spec]}

"""Loading and checking the configuration; mapping and size-definition presets."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from analysis.errors import PipelineInputError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".dta": "stata",
           ".xlsx": "excel", ".xls": "excel"}


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


def _describe(error: Any) -> str:
    where = "config"
    for part in error.absolute_path:
        where += f"[{part!r}]" if isinstance(part, int) else f".{part}"
    msg = error.message
    if error.validator == "additionalProperties":
        msg += " (check the spelling of the key; the allowed keys are listed in "
        msg += "workflow/schemas/config.schema.yaml)"
    elif error.validator == "enum":
        msg = f"value {error.instance!r} is not one of {error.validator_value}"
    elif error.validator == "pattern" and error.absolute_path == ():
        msg = f"{error.instance!r} is not an allowed name ({error.validator_value})"
    return f"{where}: {msg}"


def check_config(config: dict[str, Any], schema_path: str | Path = SCHEMA_PATH) -> dict[str, Any]:
    """Check a configuration against the schema, then check the files it names.

    Returns the configuration with schema defaults filled in. Raises
    :class:`PipelineInputError` listing every problem, each with its location in the config.
    """
    import jsonschema

    config = copy.deepcopy(config)
    for panel in (config.get("panels") or {}).values():
        if isinstance(panel, dict) and isinstance(panel.get("mapping"), dict):
            normalize_yes_no(panel["mapping"])
    schema = load_yaml(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise PipelineInputError(
            f"the configuration does not match {Path(schema_path).name}:",
            [_describe(e) for e in errors],
        )
    config.setdefault("presets_dir", "config/presets")
    config.setdefault("per_country", True)
    problems = []
    for name, panel in config["panels"].items():
        panel.setdefault("synthetic", False)
        panel.setdefault("read", {})
        panel.setdefault("mapping", {})
        if "format" not in panel:
            fmt = FORMATS.get(Path(panel["path"]).suffix.lower())
            if fmt is None:
                problems.append(
                    f"config.panels.{name}.path: cannot tell the format of {panel['path']!r} from "
                    f"its extension; add `format: csv|parquet|stata|excel`"
                )
            panel["format"] = fmt
    bands = config["derive"]["doi_bands"]
    if len(bands["labels"]) != len(bands["cuts"]) + 2:
        problems.append(
            "config.derive.doi_bands: labels must name the 'none' band (export share 0) and one band "
            f"per interval between the cuts: {len(bands['cuts'])} cuts need "
            f"{len(bands['cuts']) + 2} labels, got {len(bands['labels'])}"
        )
    if list(bands["cuts"]) != sorted(set(bands["cuts"])):
        problems.append("config.derive.doi_bands.cuts must be strictly increasing")
    if problems:
        raise PipelineInputError("the configuration has problems:", problems)
    return config


def resolve_mapping(mapping: dict[str, Any], presets_dir: str | Path) -> dict[str, Any]:
    """Merge a panel's mapping over its preset (if any).

    Dictionaries (rename, constants, sum, scale, missing_codes.columns, yes_no.columns) are merged
    key by key, the panel's entries winning; lists and scalars of the panel replace the preset's.
    """
    mapping = copy.deepcopy(mapping or {})
    preset_name = mapping.pop("preset", None)
    if preset_name is None:
        return normalize_yes_no(mapping)
    path = Path(presets_dir) / f"{preset_name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in Path(presets_dir).glob("*.yaml"))
        raise PipelineInputError(
            f"mapping preset {preset_name!r} not found: no file {path}. Known presets: {known}"
        )
    preset = normalize_yes_no(load_yaml(path) or {})
    return _merge(preset, normalize_yes_no(mapping))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
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

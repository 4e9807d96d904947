"""Loading and checking the configuration; mapping and size-definition presets."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from analysis.errors import PipelineInputError

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "config.schema.yaml"
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


def check_config(config: dict[str, Any], schema_path: str | Path = SCHEMA_PATH) -> dict[str, Any]:
    """Check a configuration against the schema, then check the files it names.

    Returns the configuration with schema defaults filled in. Raises
    :class:`PipelineInputError` listing every problem, each with its location in the config.
    """
    config = copy.deepcopy(config)
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

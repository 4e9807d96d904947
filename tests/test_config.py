"""Configuration checks (analysis/config.py): readable errors, presets, size definitions."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from conftest import PRESETS, REPO, assert_message

from analysis.config import (
    check_config,
    load_yaml,
    normalize_yes_no,
    resolve_mapping,
    size_definition,
)
from analysis.errors import PipelineInputError


def minimal_config() -> dict[str, Any]:
    """The committed configuration with two panels of our own and absolute preset paths.

    Built from config/config.yaml so that keys other stages add to it stay valid here.
    """
    cfg = load_yaml(REPO / "config" / "config.yaml")
    cfg["codebook"] = str(REPO / "data" / "codebook.yaml")
    cfg["presets_dir"] = str(PRESETS)
    cfg["panels"] = {
        "ghana": {"path": "data/ghana.csv",
                  "mapping": {"preset": "wbes", "constants": {"country": "Ghana"}}},
        "india": {"path": "data/india.dta"},
    }
    cfg["derive"] = {
        "size_definition": "study",
        "size_status": "first_year",
        "doi_bands": {"cuts": [10, 40], "labels": ["none", "low", "medium", "high"]},
    }
    return cfg


def check_with(change) -> pytest.ExceptionInfo:
    cfg = minimal_config()
    change(cfg)
    with pytest.raises(PipelineInputError) as exc_info:
        check_config(cfg)
    return exc_info


def test_committed_config_is_valid(monkeypatch):
    monkeypatch.chdir(REPO)  # the committed config names paths relative to the repository
    cfg = check_config(load_yaml(REPO / "config" / "config.yaml"))
    assert list(cfg["panels"]) == ["india", "ghana", "mexico", "venezuela", "malaysia"]
    assert all(p["format"] == "csv" and p["synthetic"] for p in cfg["panels"].values())


def test_defaults_are_filled_and_input_not_modified():
    cfg = minimal_config()
    cfg.pop("per_country", None)
    original = copy.deepcopy(cfg)
    checked = check_config(cfg)
    assert checked["per_country"] is True
    assert checked["panels"]["ghana"]["format"] == "csv"
    assert checked["panels"]["india"]["format"] == "stata"
    assert checked["panels"]["india"]["synthetic"] is False
    assert checked["panels"]["india"]["read"] == {} and checked["panels"]["india"]["mapping"] == {}
    assert "format" not in cfg["panels"]["ghana"]  # the caller's dict is left alone
    assert original == cfg


def test_presets_dir_defaults_to_config_presets(monkeypatch):
    monkeypatch.chdir(REPO)
    cfg = minimal_config()
    del cfg["presets_dir"]
    assert check_config(cfg)["presets_dir"] == "config/presets"


@pytest.mark.parametrize(("suffix", "fmt"), [(".parquet", "parquet"), (".pq", "parquet"),
                                             (".XLSX", "excel"), (".dta", "stata")])
def test_format_from_extension(suffix, fmt):
    cfg = minimal_config()
    cfg["panels"]["india"]["path"] = f"data/india{suffix}"
    assert check_config(cfg)["panels"]["india"]["format"] == fmt


def test_unknown_top_level_key_is_named():
    exc = check_with(lambda c: c.__setitem__("aplha", 0.01))
    assert_message(exc, "config.schema.yaml", "config: unknown key",
                   "unknown key 'aplha' (did you mean 'alpha'?)", "allowed keys:")


def test_unknown_nested_key_is_named_with_its_path():
    exc = check_with(lambda c: c["panels"]["ghana"]["mapping"].__setitem__("renames", {}))
    assert_message(exc, "config.panels.ghana.mapping:",
                   "unknown key 'renames' (did you mean 'rename'?)", "allowed keys:")
    exc = check_with(lambda c: c["panels"]["india"].__setitem__("on_invaild", "exclude"))
    assert_message(exc, "config.panels.india:",
                   "unknown key 'on_invaild' (did you mean 'on_invalid'?)")


def test_wrong_enum_values():
    exc = check_with(lambda c: c["derive"].__setitem__("size_status", "yearly"))
    assert_message(exc, "config.derive.size_status: value 'yearly' is not one of "
                        "['first_year', 'each_year']")
    exc = check_with(lambda c: c["panels"]["india"].__setitem__("on_invalid", "drop"))
    assert_message(exc, "config.panels.india.on_invalid: value 'drop' is not one of "
                        "['error', 'exclude']")
    exc = check_with(lambda c: c["panels"]["india"].__setitem__("format", "xlsx"))
    assert_message(exc, "config.panels.india.format: value 'xlsx' is not one of")


def test_every_schema_problem_is_listed():
    def two(c):
        c["derive"]["size_status"] = "yearly"
        c["alpha"] = 5
    msg = assert_message(check_with(two), "config.alpha:", "config.derive.size_status:")
    assert msg.count("\n  - ") == 2


def test_missing_required_key():
    exc = check_with(lambda c: c.pop("derive"))
    assert_message(exc, "config: 'derive' is required but missing")


def test_bad_panel_name():
    exc = check_with(lambda c: c["panels"].__setitem__("2019 wave", {"path": "x.csv"}))
    assert_message(exc, "config.panels:", "'2019 wave' is not an allowed name",
                   "letters, digits")


def test_size_definition_of_wrong_shape():
    exc = check_with(lambda c: c["derive"].__setitem__("size_definition", {"min_employees": 5}))
    assert_message(exc, "config.derive.size_definition:", "is not valid here",
                   "a name from config/presets/size_definitions.yaml, or an object",
                   "'sme_max_employees' is a required property")


def test_doi_bands_label_count():
    exc = check_with(lambda c: c["derive"]["doi_bands"].__setitem__("labels", ["none", "some",
                                                                               "many"]))
    assert_message(exc, "config.derive.doi_bands:", "2 cuts need 4 labels, got 3",
                   "'none' band (export share 0)")


def test_doi_bands_cuts_increasing_and_labels_distinct():
    exc = check_with(lambda c: c["derive"]["doi_bands"].__setitem__("cuts", [40, 10]))
    assert_message(exc, "config.derive.doi_bands.cuts must be strictly increasing")
    exc = check_with(lambda c: c["derive"]["doi_bands"].__setitem__(
        "labels", ["none", "low", "low", "high"]))
    assert_message(exc, "config.derive.doi_bands.labels must be distinct")
    exc = check_with(lambda c: c["derive"]["doi_bands"].__setitem__("cuts", [10, 140]))
    assert_message(exc, "config.derive.doi_bands.cuts[1]:", "140")


def test_unknown_size_definition():
    exc = check_with(lambda c: c["derive"].__setitem__("size_definition", "oecd"))
    assert_message(exc, "config.derive.size_definition: unknown size definition 'oecd'",
                   "choose one of ['eu', 'study', 'wbes']",
                   "or give min_employees and sme_max_employees")
    with pytest.raises(PipelineInputError) as exc_info:
        size_definition({"size_definition": "oecd"}, PRESETS)
    assert_message(exc_info, "unknown size definition 'oecd'")


def test_custom_size_definition_with_empty_range():
    exc = check_with(lambda c: c["derive"].__setitem__(
        "size_definition", {"min_employees": 50, "sme_max_employees": 20}))
    assert_message(exc, "config.derive.size_definition: min_employees (50) is larger than "
                        "sme_max_employees (20)")


def test_unknown_preset():
    exc = check_with(lambda c: c["panels"]["ghana"]["mapping"].__setitem__("preset", "wbes2"))
    msg = assert_message(exc, "config.panels.ghana.mapping.preset: unknown mapping preset 'wbes2'",
                         "wbes2.yaml", "known presets: ['synthetic', 'wbes']")
    assert "size_definitions" not in msg.split("known presets")[1]
    with pytest.raises(PipelineInputError) as exc_info:
        resolve_mapping({"preset": "wbes2"}, PRESETS)
    assert_message(exc_info, "mapping preset 'wbes2' not found", "Known presets: ['synthetic', "
                   "'wbes']")
    with pytest.raises(PipelineInputError):  # the size-definition file is not a mapping preset
        resolve_mapping({"preset": "size_definitions"}, PRESETS)


def test_missing_presets_dir(tmp_path):
    exc = check_with(lambda c: c.__setitem__("presets_dir", str(tmp_path / "nowhere")))
    assert_message(exc, "config.presets_dir: directory", "nowhere", "not found")


def test_format_not_recognised():
    exc = check_with(lambda c: c["panels"]["india"].__setitem__("path", "data/india.txt"))
    assert_message(exc, "config.panels.india.path: cannot tell the format of 'data/india.txt'",
                   "add `format: csv|parquet|stata|spss|excel`")
    cfg = minimal_config()
    cfg["panels"]["india"] |= {"path": "data/india.txt", "format": "csv"}
    assert check_config(cfg)["panels"]["india"]["format"] == "csv"


def test_yaml_yes_no_boolean_key_trap_in_config():
    # unquoted yes/no keys are booleans in YAML 1.1; the schema check must still pass
    text = """
    path: data/x.csv
    mapping:
      yes_no:
        codes: {yes: [1], no: [2]}
        columns:
          jit: {yes: [Y], no: [N]}
    """
    panel = yaml.safe_load(text.replace("\n    ", "\n"))
    assert set(panel["mapping"]["yes_no"]["codes"]) == {True, False}  # the trap itself
    cfg = minimal_config()
    cfg["panels"]["india"] = panel
    checked = check_config(cfg)
    assert checked["panels"]["india"]["mapping"]["yes_no"] == {
        "codes": {"yes": [1], "no": [2]}, "columns": {"jit": {"yes": ["Y"], "no": ["N"]}}}


def test_normalize_yes_no_leaves_other_keys():
    mapping = {"rename": {"a": "firm_id"}, "yes_no": {"codes": {True: [1], False: [0]}}}
    assert normalize_yes_no(mapping) == {"rename": {"a": "firm_id"},
                                         "yes_no": {"codes": {"yes": [1], "no": [0]}}}
    assert normalize_yes_no({"rename": {}}) == {"rename": {}}


def test_resolve_mapping_merges_panel_over_preset():
    resolved = resolve_mapping({
        "preset": "wbes",
        "constants": {"country": "Ghana"},
        "rename": {"a4b": "sector"},          # added; the preset's a4a -> sector stays
        "missing_codes": {"default": [-9], "columns": {"b5": [9999]}},  # list replaced
        "yes_no": {"columns": {"innovation": {"yes": [1], "no": [2, 3]}}},
    }, PRESETS)
    assert resolved["rename"] == {"idstd": "firm_id", "l1": "employees", "b5": "founded",
                                  "a4a": "sector", "b8": "tqm", "h1": "innovation",
                                  "d3c": "direct_export_share",
                                  "d3b": "indirect_export_share", "a4b": "sector"}
    assert resolved["sum"] == {"export_share": ["d3b", "d3c"]}
    assert resolved["missing_codes"] == {"default": [-9], "columns": {"b5": [9999]}}
    assert resolved["yes_no"] == {"codes": {"yes": [1], "no": [2]},
                                  "columns": {"innovation": {"yes": [1], "no": [2, 3]}}}
    assert resolved["constants"] == {"country": "Ghana"}
    assert "preset" not in resolved


def test_resolve_mapping_null_removes_a_preset_entry():
    resolved = resolve_mapping({"preset": "wbes", "rename": {"h1": None}}, PRESETS)
    assert "h1" not in resolved["rename"] and resolved["rename"]["b8"] == "tqm"
    assert resolve_mapping({"rename": {"x": None, "y": "year"}}, PRESETS) == {
        "rename": {"y": "year"}}


def test_preset_with_a_typo_is_an_error(tmp_path):
    (tmp_path / "mine.yaml").write_text("renam:\n  id: firm_id\n", encoding="utf-8")
    with pytest.raises(PipelineInputError) as exc_info:
        resolve_mapping({"preset": "mine"}, tmp_path)
    assert_message(exc_info, "mine.yaml", "the mapping preset does not match",
                   "unknown key 'renam' (did you mean 'rename'?)")


def test_bad_yaml_names_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(PipelineInputError) as exc_info:
        load_yaml(path)
    assert_message(exc_info, str(path), "not valid YAML")
    with pytest.raises(PipelineInputError) as exc_info:
        load_yaml(tmp_path / "absent.yaml")
    assert_message(exc_info, "absent.yaml: file not found")


@pytest.mark.parametrize(("name", "lo", "hi"), [("study", 11, 199), ("eu", 1, 249),
                                                ("wbes", 5, 99)])
def test_size_definition_presets(name, lo, hi):
    spec = size_definition({"size_definition": name}, PRESETS)
    assert (spec["name"], spec["min_employees"], spec["sme_max_employees"]) == (name, lo, hi)
    assert spec["description"]


def test_custom_size_definition_gets_name_and_description():
    spec = size_definition({"size_definition": {"min_employees": 20, "sme_max_employees": 499}},
                           PRESETS)
    assert spec == {"min_employees": 20, "sme_max_employees": 499, "name": "custom",
                    "description": "SME = 20-499 employees (custom)"}

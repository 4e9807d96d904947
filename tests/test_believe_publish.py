"""Published believe results (analysis/believe/publish.py): the fingerprint of their inputs,
whether the committed summary is current for the repository's inputs, the report section and
Table 2 when the results are current, for other inputs, absent or switched off, and publishing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analysis.believe.publish import (
    check_published,
    differences,
    fingerprint,
    fingerprint_files,
    publish,
    run_check_published,
    sidecar,
)
from analysis.config import check_config, load_yaml

REPO = Path(__file__).resolve().parent.parent


def _config(root: Path) -> dict[str, Any]:
    return check_config(load_yaml(root / "config" / "config.yaml"))


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The files the fingerprint and the configuration check read, in a scratch directory."""
    for d in ("config", "data/synthetic", "data/believe", "data/cases"):
        shutil.copytree(REPO / d, tmp_path / d)
    shutil.copy(REPO / "data" / "codebook.yaml", tmp_path / "data" / "codebook.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- the fingerprint
def test_the_committed_summary_is_current_for_the_repositorys_inputs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails when an input of the believe results changed (panels, hypotheses, settings,
    generator) without recomputing and publishing them: `snakemake --cores 2 believe`, then
    `sme-intl believe --publish`."""
    monkeypatch.chdir(REPO)
    config = _config(REPO)
    record = check_published(config["believe_results"], config)
    assert record["status"] == "current", (
        "data/believe/summary.csv was computed from other inputs ("
        + "; ".join(record.get("differences", [])) + "): run `snakemake --cores 2 believe` "
        "and `sme-intl believe --publish`, then commit data/believe/")
    published = json.loads(sidecar(REPO / config["believe_results"]).read_text())
    # checksums computed here, not by the code under test
    for path, digest in published["fingerprint"]["files"].items():
        assert hashlib.sha256((REPO / path).read_bytes()).hexdigest() == digest, path
    for panel in config["panels"].values():
        assert panel["path"] in published["fingerprint"]["files"]


def test_the_fingerprint_follows_every_input(repo_copy: Path) -> None:
    config = _config(repo_copy)
    base = fingerprint(config)
    files = fingerprint_files(config)
    for must in ("data/synthetic/india.csv", "config/hypotheses.yaml", "config/believe.yaml",
                 "config/synthetic.yaml", "config/presets/size_definitions.yaml"):
        assert must in files
    assert fingerprint(config) == base  # deterministic
    # a panel file changes: one byte
    panel = repo_copy / "data" / "synthetic" / "ghana.csv"
    panel.write_bytes(panel.read_bytes() + b"\n")
    changed = fingerprint(config)
    assert changed["digest"] != base["digest"]
    assert differences(base, changed) == ["data/synthetic/ghana.csv: other contents"]
    # a setting changes
    other = fingerprint(dict(config, alpha=0.1))
    assert "alpha" in differences(changed, other)
    # where an entry came from is not an input
    moved = {**config, "panels": {k: dict(v, config_file="elsewhere.yaml")
                                  for k, v in config["panels"].items()}}
    assert fingerprint(moved)["digest"] == changed["digest"]


# --------------------------------------------------------------------------- the check
def test_current_other_inputs_absent_and_off(repo_copy: Path) -> None:
    config = _config(repo_copy)
    assert check_published(config["believe_results"], config)["status"] == "current"
    assert check_published(None, config)["status"] == "off"
    assert check_published("data/believe/none.csv", config)["status"] == "absent"
    hyp = repo_copy / "config" / "hypotheses.yaml"
    hyp.write_text(hyp.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    record = check_published(config["believe_results"], config)
    assert record["status"] == "other_inputs"
    assert record["differences"] == ["config/hypotheses.yaml: other contents"]


def _report_record(tmp: Path, config: dict[str, Any]) -> tuple[dict[str, Any], pd.DataFrame]:
    out_csv, out_json = tmp / "published.csv", tmp / "published.json"
    run_check_published(config=config, published=config.get("believe_results") or "",
                        out_csv=str(out_csv), out_json=str(out_json))
    return json.loads(out_json.read_text()), pd.read_csv(out_csv)


def _h1_verdicts() -> pd.DataFrame:
    """A one-hypothesis verdicts frame (H1 Supported, as the study), for Table 2."""
    return pd.DataFrame([{"sample": "all", "hypothesis": "H1", "label": "x",
                          "secondary": False, "study_verdict": "Supported",
                          "rule": "study", "rule_description": "d",
                          "verdict": "Supported", "agree": "agree", "units_supported": 1,
                          "units_estimable": 1, "units_total": 1,
                          "direction_observed": "negative", "summary": "s"}])


def test_the_report_section_and_table2_when_current(repo_copy: Path) -> None:
    from analysis.render.believe import report_section
    from analysis.render.journal import verdict_table

    config = _config(repo_copy)
    record, table = _report_record(repo_copy, config)
    summary = pd.read_csv(repo_copy / config["believe_results"])
    text = report_section(record)
    for r in summary.itertuples(index=False):
        assert f"{r.hypothesis} {r.label}" in text
    h1 = summary.set_index("hypothesis").loc["H1"]
    pct = f"{round(100 * h1['power'])}% ({round(100 * h1['power_low'])}%–"
    assert pct in text  # the power with its Monte-Carlo interval
    side = json.loads(sidecar(repo_copy / config["believe_results"]).read_text())
    assert f"{side['pattern']['current']['count']} of " \
           f"{side['pattern']['current']['replications']} draws" in text
    assert 'href="believe.html"' in text
    # Table 2 gets the four columns, the published numbers
    assert table.columns.tolist() == ["hypothesis", "power", "false_support_rate",
                                      "spec_curve_support", "p_reproduce_study"]
    t2 = verdict_table(_h1_verdicts(), believe=table)
    assert t2.display["Power"].iloc[0] == f"{round(100 * h1['power'])}%"


def test_the_report_section_and_table2_for_other_inputs(repo_copy: Path) -> None:
    from analysis.render.believe import report_section
    from analysis.render.journal import verdict_table

    panel = repo_copy / "data" / "synthetic" / "mexico.csv"
    panel.write_bytes(panel.read_bytes().replace(b"MEX-001", b"MEX-901", 1))
    config = _config(repo_copy)
    record, table = _report_record(repo_copy, config)
    text = report_section(record)
    assert record["status"] == "other_inputs"
    assert "computed from other inputs" in text and "data/synthetic/mexico.csv" in text
    assert "sme-intl believe --publish" in text and "snakemake --cores 2 believe" in text
    assert "%" not in text  # no number is shown
    assert table.columns.tolist() == ["hypothesis"] and table.empty
    t2 = verdict_table(_h1_verdicts(), believe=table)
    assert "Power" not in t2.display.columns


def test_the_report_section_when_absent_or_off(repo_copy: Path) -> None:
    from analysis.render.believe import report_section

    config = _config(repo_copy)
    for value, status, words in ((None, "off", "Switched off"),
                                 ("data/believe/elsewhere.csv", "absent", "No believe")):
        record, table = _report_record(repo_copy, dict(config, believe_results=value))
        assert record["status"] == status
        text = report_section(record)
        assert words in text and "%" not in text
        assert table.empty


def test_a_missing_published_file_is_an_error_at_start_up(repo_copy: Path) -> None:
    from analysis.config import check_input_paths
    from analysis.errors import PipelineInputError

    config = _config(repo_copy)
    check_input_paths(config)
    (repo_copy / "data" / "believe" / "summary.json").unlink()
    with pytest.raises(PipelineInputError, match="believe_results"):
        check_input_paths(config)
    check_input_paths(dict(config, believe_results=None))


# --------------------------------------------------------------------------- publishing
def test_publish_copies_current_results_and_refuses_stale_ones(repo_copy: Path) -> None:
    config = _config(repo_copy)
    results = repo_copy / "results" / "believe"
    results.mkdir(parents=True)
    with pytest.raises(ValueError, match="no computed results"):
        publish(config=config)
    # computed results: the published ones, with a new number
    summary = pd.read_csv(repo_copy / "data" / "believe" / "summary.csv")
    summary.loc[0, "power"] = 0.123
    summary.to_csv(results / "summary.csv", index=False)
    shutil.copy(repo_copy / "data" / "believe" / "summary.json", results / "summary.json")
    written = publish(config=config)
    assert [p.as_posix() for p in written] == ["data/believe/summary.csv",
                                               "data/believe/summary.json"]
    assert pd.read_csv(written[0]).loc[0, "power"] == 0.123
    # inputs changed since: refused, nothing written
    spec = repo_copy / "config" / "believe.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    summary.loc[0, "power"] = 0.5
    summary.to_csv(results / "summary.csv", index=False)
    with pytest.raises(ValueError, match="other inputs"):
        publish(config=config)
    assert pd.read_csv(written[0]).loc[0, "power"] == 0.123
    with pytest.raises(ValueError, match="null"):
        publish(config=dict(config, believe_results=None))


def test_the_publish_program_says_why_it_refuses(repo_copy: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from analysis.believe.publish import main

    assert main(["--config", "config/config.yaml"]) == 1
    assert "not published: no computed results" in capsys.readouterr().err
    results = repo_copy / "results" / "believe"
    results.mkdir(parents=True)
    for name in ("summary.csv", "summary.json"):
        shutil.copy(repo_copy / "data" / "believe" / name, results / name)
    assert main(["--config", "config/config.yaml"]) == 0
    assert "published data/believe/summary.csv" in capsys.readouterr().out

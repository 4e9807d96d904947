"""Tests for the mixed-methods joint display (analysis.qual.integration)."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest

from analysis.qual.cases import case_statements, cross_case_matrix, load_cases, load_coding_frame
from analysis.qual.integration import joint_display, load_integration_config

ROOT = Path(__file__).resolve().parents[1]
THEMES = ["financial", "managerial", "organizational_network", "physical_production"]


@pytest.fixture(scope="module")
def inputs() -> tuple[dict, pd.DataFrame, dict]:
    cases = load_cases(ROOT / "data" / "cases" / "case_firms.yaml")
    frame = load_coding_frame(ROOT / "config" / "coding_frame.yaml")
    cfg = load_integration_config(ROOT / "config" / "integration.yaml")
    return cases, cross_case_matrix(cases, frame), cfg


def verdicts(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """(hypothesis, verdict, direction_observed) -> a verdicts frame as the engine makes it."""
    return pd.DataFrame({
        "hypothesis": [r[0] for r in rows],
        "label": [f"label {r[0]}" for r in rows],
        "study_verdict": ["Supported"] * len(rows),
        "verdict": [r[1] for r in rows],
        "direction_observed": [r[2] for r in rows],
        "summary": [f"summary {r[0]}" for r in rows],
    })


STUDY_LIKE = [("H1", "Supported", "negative"), ("H2", "Supported", "negative"),
              ("H3", "Supported", "positive"), ("H4", "Supported", "negative"),
              ("H5", "Not supported", "")]


def test_lists_every_hypothesis_and_theme(inputs: tuple) -> None:
    cases, matrix, cfg = inputs
    v = verdicts([("H10", "Supported", "negative"), *STUDY_LIKE, ("H6", "Not estimable", "")])
    jd = joint_display(v, cases, matrix, cfg)
    hyp = jd[jd["row_type"] == "hypothesis"]
    assert list(hyp["id"]) == ["H1", "H2", "H3", "H4", "H5", "H6", "H10"]
    assert list(jd.loc[jd["row_type"] == "theme", "id"]) == THEMES
    assert len(jd) == 7 + 4


def test_unmapped_hypothesis(inputs: tuple) -> None:
    cases, matrix, cfg = inputs
    jd = joint_display(verdicts([*STUDY_LIKE, ("H6", "Supported", "negative")]), cases,
                       matrix, cfg).set_index("id")
    assert jd.loc["H6", "qualitative_evidence"] == "no qualitative evidence mapped"
    assert jd.loc["H6", "fit"] == "n/a"


def test_fit_rule_outcomes(inputs: tuple) -> None:
    cases, matrix, cfg = inputs
    v = verdicts([
        ("H1", "Supported", "negative"),       # as the cases imply
        ("H2", "Not supported", "negative"),   # cases imply a difference; test finds none
        ("H3", "Not estimable", ""),           # nothing to compare with
        ("H4", "Supported", "positive"),       # opposite direction
        ("H5", "Not supported", ""),           # cases imply no direction
    ])
    fit = joint_display(v, cases, matrix, cfg).set_index("id")["fit"]
    assert fit["H1"] == "converge"
    assert fit["H2"] == "diverge"
    assert fit["H3"] == "complement"
    assert fit["H4"] == "diverge"
    assert fit["H5"] == "complement"
    # themes: financial links H2 (diverge) -> diverge; managerial links H4 -> diverge;
    # physical/production has no quantitative counterpart -> complement
    assert fit["financial"] == "diverge"
    assert fit["managerial"] == "diverge"
    assert fit["physical_production"] == "complement"


def test_study_verdicts_converge_except_h5(inputs: tuple) -> None:
    cases, matrix, cfg = inputs
    fit = joint_display(verdicts(STUDY_LIKE), cases, matrix, cfg).set_index("id")["fit"]
    assert [fit[h] for h in ("H1", "H2", "H3", "H4", "H5")] == [
        "converge", "converge", "converge", "converge", "complement"]
    assert fit["managerial"] == "converge" and fit["organizational_network"] == "converge"


def test_mixed_direction_is_complement(inputs: tuple) -> None:
    cases, matrix, cfg = inputs
    v = verdicts([("H3", "Supported", "mixed")])
    row = joint_display(v, cases, matrix, cfg).set_index("id").loc["H3"]
    assert row["fit"] == "complement" and row["fit_reason"].startswith("direction_mixed")


def test_evidence_comes_from_the_case_data(inputs: tuple) -> None:
    cases, matrix, cfg = inputs
    jd = joint_display(verdicts(STUDY_LIKE), cases, matrix, cfg).set_index("id")
    st = case_statements(cases)
    lag = st[(st["firm"] == "LAGCOM") & (st["dimension"] == "finance")
             & (st["source"] == "Appendix 2")]["text"].iloc[0]
    assert f"LAGCOM: {lag} [Appendix 2]" in jd.loc["H2", "qualitative_evidence"]
    assert "LAGCOM.finance[Appendix 2]" in jd.loc["H2", "evidence_refs"]
    findings = {f["id"]: f["text"] for f in cases["cross_case_findings"]}
    assert findings["F-5.1-pecking-order"] in jd.loc["H2", "qualitative_evidence"]
    # Appendix 1 facts: PIKIT's "<3" years must be carried through, not a number
    assert "PIKIT <3" in jd.loc["H1", "qualitative_evidence"]
    # coded values of the referenced dimension come from the matrix
    n_internal = int(((matrix["dimension"] == "finance")
                      & (matrix["code"] == "traditional")).sum())
    assert f"traditional {n_internal} (" in jd.loc["financial", "coded_values"]


def test_fit_rule_is_data(inputs: tuple) -> None:
    cases, matrix, cfg = inputs
    strict = copy.deepcopy(cfg)
    strict["fit_rule"] = [s for s in strict["fit_rule"] if s["when"] != "qualitative_undirected"]
    fit = joint_display(verdicts([("H5", "Not supported", "")]), cases, matrix,
                        strict).set_index("id")["fit"]
    # without the undirected step, H5's missing implied verdict differs from "Not supported"
    assert fit["H5"] == "diverge"


def test_bad_inputs_rejected(inputs: tuple) -> None:
    cases, matrix, cfg = inputs
    bad = copy.deepcopy(cfg)
    bad["fit_rule"][0]["when"] = "sometimes"
    with pytest.raises(ValueError, match="sometimes"):
        joint_display(verdicts(STUDY_LIKE), cases, matrix, bad)
    with pytest.raises(ValueError, match="summary"):
        joint_display(verdicts(STUDY_LIKE).drop(columns="summary"), cases, matrix, cfg)
    two_rules = pd.concat([verdicts(STUDY_LIKE).assign(rule="default"),
                           verdicts(STUDY_LIKE).assign(rule="strict", verdict="Not supported")])
    with pytest.raises(ValueError, match="several rows"):
        joint_display(two_rules, cases, matrix, cfg)
    strict = joint_display(two_rules, cases, matrix, cfg, rule="strict").set_index("id")
    assert strict.loc["H1", "fit"] == "diverge"
    bad = copy.deepcopy(cfg)
    bad["hypotheses"]["H1"]["evidence"] = [{"finding": "F-nope"}]
    with pytest.raises(ValueError, match="F-nope"):
        joint_display(verdicts(STUDY_LIKE), cases, matrix, bad)

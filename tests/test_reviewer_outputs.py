"""What a reviewer and a journal read: Table 1 in the gtsummary/tableone layout, Word tables,
Table 2 with the "how much to believe" columns, the joint display as a mixed-methods matrix,
the outputs index, stale folders, p-values near the significance levels, provenance dates."""

from __future__ import annotations

import io
import math
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_tables import _panel, _verdicts

from analysis.qual.integration import meta_inference
from analysis.render import format as fmt
from analysis.render import journal, report, table
from analysis.stats.balance import balance_p, standardized_difference

REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- Table 1
def test_table1_has_n_in_the_header_n_percent_cells_smd_and_p() -> None:
    cb = {"variables": {"export_share": {"type": "number", "unit": "% of annual sales",
                                         "label": "Export share"}}}
    t = journal.table1(_panel(), cb)
    d = t.display
    assert d.columns.tolist() == ["Characteristic", "SME, N = 2", "non-SME, N = 2",
                                  "Overall, N = 4", "SMD", "p"]
    # firms in their first observed year: export shares 0, 10 (SME) and 20, 30 (non-SME)
    share = d.iloc[0].tolist()
    assert share[0] == "Export share (% of annual sales), median (Q1, Q3)"
    assert share[1:4] == ["5.0 (0.0, 10.0)", "25.0 (20.0, 30.0)", "15.0 (2.5, 27.5)"]
    assert share[4] == fmt.format_num(standardized_difference(
        np.array([0.0, 10.0]), np.array([20.0, 30.0])), 2) == "-2.83"
    intl = d.iloc[1].tolist()
    assert intl[:4] == ["Internationalized (export share > 0), n (%)", "1 (50%)", "2 (100%)",
                        "3 (75%)"]
    assert intl[5] == fmt.format_p(balance_p(np.array([0, 1]), np.array([1, 1]),
                                             binary=True)["p"])
    assert t.journal and t.synthetic
    raw = t.raw.set_index(["variable", "group"])
    assert raw.loc[("internationalized", "SME"), "n_yes"] == 1
    assert raw.loc[("internationalized", "SME"), "p_test"] == "fisher"  # small expected counts


def test_balance_statistics() -> None:
    assert math.isnan(standardized_difference(np.array([1.0]), np.array([])))
    assert standardized_difference(np.array([1, 1]), np.array([0, 0]), binary=True) == math.inf
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 60), rng.normal(1, 1, 60)
    r = balance_p(a, b)
    assert r["test"] == "mann_whitney" and r["p"] < 0.001
    assert math.isnan(balance_p(np.ones(5), np.ones(5))["p"])  # constant: no test


# --------------------------------------------------------------------------- Word
def test_docx_is_deterministic_and_holds_the_table(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    t = journal.verdict_table(_verdicts())
    a = t.write(tmp_path / "a", ("docx",))
    b = t.write(tmp_path / "b", ("docx",))
    assert a[0].name == "table2_verdicts.docx"
    assert a[0].read_bytes() == b[0].read_bytes()
    with zipfile.ZipFile(a[0]) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    doc = docx.Document(io.BytesIO(a[0].read_bytes()))
    assert doc.paragraphs[0].text == "Table 2"  # APA: number, then the title in italics
    cells = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert cells[0] == t.display.columns.tolist()
    assert cells[1] == t.display.iloc[0].tolist()
    assert any(p.text.startswith("Note. ") for p in doc.paragraphs)


# --------------------------------------------------------------------------- Table 2
def test_table2_takes_the_believe_columns_when_present() -> None:
    believe = pd.DataFrame({"hypothesis": ["H1", "H5"], "power": [0.42, 0.9],
                            "false_support_rate": [0.14, 0.12], "spec_curve_support": [0.3, 0.1],
                            "p_reproduce_study": [0.2, 0.05], "extra_share": [0.5, 0.25]})
    t = journal.verdict_table(_verdicts(), believe=believe)
    d = t.display
    assert d.columns.tolist()[-5:] == ["Power", "False support under no effect",
                                       "Spec-curve support", "P(study's verdict)",
                                       "extra_share"]
    assert d.iloc[0].tolist()[-5:] == ["42%", "14%", "30%", "20%", "50%"]
    assert t.raw["power"].tolist() == [0.42, 0.9]
    assert any("How much to believe" in n for n in t.notes)
    plain = journal.verdict_table(_verdicts())
    assert "Power" not in plain.display.columns


# --------------------------------------------------------------------------- joint display
def _joint() -> pd.DataFrame:
    rows = [{"row_type": "hypothesis", "id": "H1", "label": "Propensity",
             "quantitative_result": "Not supported (negative): H1_crosstab: significant in 0 "
                                    "of 3 years; direction 2015: negative | H1_x: more",
             "verdict": "Not supported", "study_verdict": "Supported",
             "direction_observed": "negative", "implied_verdict": "Supported",
             "implied_direction": "negative",
             "qualitative_evidence": " | ".join(f"Statement {i} " + "word " * 60
                                                for i in range(4)),
             "coded_values": "", "evidence_refs": "", "rationale": "Firms start late.",
             "fit": "diverge", "fit_reason": "verdict_differs: ..."},
            {"row_type": "theme", "id": "physical", "label": "Physical resources",
             "quantitative_result": "no quantitative test (qualitative only)", "verdict": "",
             "study_verdict": "", "direction_observed": "", "implied_verdict": "",
             "implied_direction": "", "qualitative_evidence": "One statement.",
             "coded_values": "", "evidence_refs": "", "rationale": "Production mattered.",
             "fit": "complement", "fit_reason": "no_link: ..."}]
    df = pd.DataFrame(rows)
    df["meta_inference"] = [meta_inference(r) for r in rows]
    return df


def test_joint_display_is_a_mixed_methods_matrix(tmp_path: Path) -> None:
    t = journal.joint_display_table(_joint())
    d = t.display
    assert d.columns.tolist() == ["Hypothesis / theme", "Quantitative result",
                                  "Qualitative theme and evidence", "Fit", "Meta-inference"]
    h1 = d.iloc[0]
    assert h1["Quantitative result"] == ("Not supported (negative). H1_crosstab: significant "
                                         "in 0 of 3 years; H1_x: more")
    assert h1["Qualitative theme and evidence"].startswith("Firms start late. Evidence: • ")
    assert "(+2 more: [[cross-case matrix|#case_matrix]])" in h1["Qualitative theme and evidence"]
    items = h1["Qualitative theme and evidence"].split(" (+2 more")[0].split("• ")[1:]
    assert len(items) == 2 and all(len(i.strip()) <= journal.EVIDENCE_CHARS for i in items)
    assert h1["Fit"] == "diverge" and h1["Meta-inference"].startswith("Divergence: ")
    assert d.iloc[1]["Meta-inference"].startswith("Qualitative only")
    html = table.to_html(t)
    assert '<a href="#case_matrix">cross-case matrix</a>' in html
    assert "[[" not in table.to_markdown(t) and "[[" not in table.to_latex(t)
    assert "fit_reason" in t.raw.columns  # everything stays in the CSV


def test_meta_inference_follows_the_fit() -> None:
    base = {"row_type": "hypothesis", "verdict": "Supported", "direction_observed": "negative"}
    assert meta_inference(base | {"fit": "converge"}).startswith("Convergence")
    assert meta_inference(base | {"fit": "complement"}).startswith("Complementarity")
    assert meta_inference(base | {"fit": "n/a"}).startswith("Nothing to integrate")


# --------------------------------------------------------------------------- p near alpha
@pytest.mark.parametrize(("p", "alpha", "expected"), [
    (0.0495, None, ".0495"), (0.0505, None, ".051"), (0.02496, 0.025, ".02496"),
    (0.0249, None, ".025"), (0.0249, 0.025, ".0249"),
])
def test_p_is_never_rounded_across_a_significance_level(p: float, alpha: float | None,
                                                        expected: str) -> None:
    assert fmt.format_p(p, alpha=alpha) == expected


# --------------------------------------------------------------------------- index, stale
def test_output_index_maps_each_output_to_its_rule_and_program(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    (root / "tables" / "all").mkdir(parents=True)
    for ext in ("csv", "html", "md", "meta.json"):
        (root / "tables" / "all" / f"table1.{ext}").write_text("x")
    (root / "figures").mkdir()
    (root / "figures" / "pathways.png").write_bytes(b"x")
    entries = [{"title": "Table 1. Characteristics", "sample": "all", "program": "tables",
                "path": str(root / "tables" / "all" / "table1.html")},
               {"title": "Pathway mix", "sample": "all", "program": "pathways",
                "path": str(root / "figures" / "pathways.png")}]
    text = report.output_index(entries, synthetic=True, root=root)
    assert "SYNTHETIC DATA" in text
    assert ("| Table 1. Characteristics | all | [csv](tables/all/table1.csv), "
            "[html](tables/all/table1.html), [md](tables/all/table1.md) | `tables` | "
            "`workflow/scripts/tables.py -> analysis.render.tables.run_tables` |") in text
    assert "| `pathways` | `workflow/scripts/pathways.py" in text


def test_prune_stale_removes_sample_folders_no_longer_made(tmp_path: Path) -> None:
    for d in ("tables/all", "tables/peru", "tables/qualitative", "figures/all",
              "figures/peru"):
        (tmp_path / d).mkdir(parents=True)
    (tmp_path / "figures" / "pathways.png").write_bytes(b"x")
    gone = report.prune_stale(tmp_path, ["all", "qualitative"])
    assert sorted(p.relative_to(tmp_path).as_posix() for p in gone) == ["figures/peru",
                                                                         "tables/peru"]
    assert (tmp_path / "figures" / "pathways.png").is_file()
    assert (tmp_path / "tables" / "qualitative").is_dir()


# --------------------------------------------------------------------------- provenance
def test_outputs_are_dated_by_the_code_commit(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    env = {"GIT_AUTHOR_DATE": "2024-03-01T12:00:00+00:00",
           "GIT_COMMITTER_DATE": "2024-03-01T12:00:00+00:00"}
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", "code.py")
    monkeypatch.setenv("GIT_COMMITTER_DATE", env["GIT_COMMITTER_DATE"])
    monkeypatch.setenv("GIT_AUTHOR_DATE", env["GIT_AUTHOR_DATE"])
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "code")
    code = git("rev-parse", "HEAD")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "report.html").write_text("r")
    git("add", "reports")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2024-05-01T12:00:00+00:00")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "reports")
    state = report.git_state(tmp_path)  # committing outputs changes neither commit nor date
    assert state["commit"] == code and state["dirty"] is False
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert report.run_date(state["commit_time"]) == "2024-03-01"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert report.run_date(state["commit_time"]) == "2023-11-14"
    (tmp_path / "reports" / "report.html").write_text("changed")
    assert report.git_state(tmp_path)["dirty"] is False  # outputs do not make a run dirty
    (tmp_path / "code.py").write_text("x = 2\n")
    assert report.git_state(tmp_path)["dirty"] is True

"""The ``sme-intl`` command line: thin over Snakemake, with progress shown."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
import yaml

from analysis import cli

FAKE = r"""
import sys
print("Building DAG of jobs...")
print("rule ingest:")
print("    input: data/x.csv")
print("    wildcards: panel=india")
print("1 of 2 steps (50%) done")
print("localrule report:")
print("    output: reports/report.html")
print("2 of 2 steps (100%) done")
sys.exit(int(next((a[7:] for a in sys.argv if a.startswith("--exit=")), "0")))
"""


@pytest.fixture
def fake_snakemake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    script = tmp_path / "fake_snakemake.py"
    script.write_text(FAKE, encoding="utf-8")
    calls: list[list[str]] = []

    def command(*args: str) -> list[str]:
        calls.append(list(args))
        return [sys.executable, str(script), *args]

    monkeypatch.setattr(cli, "snakemake_command", command)
    monkeypatch.chdir(tmp_path)
    return calls


def test_progress_is_one_line_per_job_and_step(fake_snakemake: list[list[str]],
                                               tmp_path: Path) -> None:
    out = io.StringIO()
    code = cli.run_snakemake(["--cores", "2"], log=tmp_path / "logs" / "x.log", out=out)
    assert code == 0
    lines = out.getvalue().splitlines()
    assert lines == ["+ snakemake --cores 2", "  running ingest (panel=india)",
                     "[  1/2  50%] done", "  running report", "[  2/2 100%] done"]
    assert "Building DAG" in (tmp_path / "logs" / "x.log").read_text(encoding="utf-8")


def test_a_failed_run_prints_the_tail_and_returns_the_code(fake_snakemake: list[list[str]],
                                                           tmp_path: Path) -> None:
    out = io.StringIO()
    assert cli.run_snakemake(["--exit=3"], log=tmp_path / "x.log", out=out) == 3
    assert "Snakemake failed (exit 3)" in out.getvalue()


def test_commands_pass_their_arguments_to_snakemake(fake_snakemake: list[list[str]],
                                                    tmp_path: Path) -> None:
    assert cli.main(["reproduce", "--cores", "1", "--", "-n"]) == 0
    sheet = tmp_path / "mine.yaml"
    sheet.write_text("peru: {path: data/peru.csv}\n", encoding="utf-8")
    assert cli.main(["run", str(sheet)]) == 0
    assert cli.main(["run", "missing.yaml"]) == 2
    assert fake_snakemake == [["--cores", "1", "-n"],
                              ["--cores", "2", "--config", f"panels_file={sheet}"]]


def test_check_builds_a_panel_entry_from_flags_or_a_sheet(tmp_path: Path) -> None:
    ns = cli.parser().parse_args(["check", "data/My File.csv", "--preset", "wbes",
                                  "--country", "Peru", "--comment", "#"])
    name, entry = cli.check_entry(ns)
    assert name == "check_My_File"
    assert entry == {"path": "data/My File.csv", "on_invalid": "exclude",
                     "read": {"comment": "#"},
                     "mapping": {"preset": "wbes", "constants": {"country": "Peru"}}}
    sheet = tmp_path / "s.yaml"
    sheet.write_text(yaml.safe_dump({"a": {"path": "a.csv"}, "b": {"path": "b.csv"}}),
                     encoding="utf-8")
    ns = cli.parser().parse_args(["check", "--sheet", str(sheet), "--panel", "b"])
    assert cli.check_entry(ns) == ("b", {"path": "b.csv"})
    with pytest.raises(SystemExit):
        cli.check_entry(cli.parser().parse_args(["check", "--sheet", str(sheet)]))


def test_open_prints_the_report_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["open", "--print-only"]) == 1  # no report yet
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "report.html").write_text("<html></html>", encoding="utf-8")
    assert cli.main(["open", "--print-only"]) == 0
    assert capsys.readouterr().out.strip().endswith("reports/report.html")


def test_believe_runs_the_simulations_then_publishes(fake_snakemake: list[list[str]],
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    script = tmp_path / "fake_publish.py"
    script.write_text("import sys\nprint('publish', *sys.argv[1:])\n"
                      "sys.exit(1 if 'stale.yaml' in sys.argv[-1] else 0)\n", encoding="utf-8")
    published: list[list[str]] = []

    def command(*args: str) -> list[str]:
        published.append(list(args))
        return [sys.executable, str(script), *args]

    monkeypatch.setattr(cli, "publish_command", command)
    assert cli.main(["believe", "--cores", "1"]) == 0
    assert fake_snakemake == [["--cores", "1", "believe"]] and not published
    assert cli.main(["believe", "--publish"]) == 0
    assert fake_snakemake[-1] == ["--cores", "2", "believe"]
    assert published == [["--config", "config/config.yaml"]]
    runs = len(fake_snakemake)
    assert cli.main(["believe", "--publish", "--no-run", "--config", "config/stale.yaml"]) == 1
    assert len(fake_snakemake) == runs  # --no-run: Snakemake not started
    assert published[-1] == ["--config", "config/stale.yaml"]

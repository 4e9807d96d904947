"""Pipeline-level tests: the whole Snakemake workflow, run in fresh copies of the repository.

The repository's tracked files (``git ls-files``, without ``reports/``) plus the example panel
(``data/examples/``, ``config/examples/``) are copied once into a *snapshot*, so that edits made
while the tests run cannot mix two states of the code. Copies of the snapshot are then run:

* ``fresh``: a git checkout of HEAD with the working-tree files on top (so provenance.json has a
  real commit), the full default run with ``--cores 2``;
* ``cores1``: every target that needs no figure (tables, results, verdicts, normality of every
  sample) with ``--cores 1``, started at the same time as ``fresh`` so that both cores are busy;
* small copies for the cluster profile and for bad input.

Every run sets ``SOURCE_DATE_EPOCH`` and puts the copy first on ``PYTHONPATH`` (the copy's own
``analysis`` package runs, not the one the editable install points at).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from importlib import metadata, util
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
EPOCH = "1700000000"
# not tracked yet when the tests were written; copied into every copy all the same
EXTRA_PATHS = ["data/examples", "config/examples"]
OVERLAY = ["--configfile", "config/config.yaml", "config/examples/add_wbes_panel.yaml"]
REFRESH = ("git commit (the code first), then snakemake --cores 2 --forceall "
           "&& git add -A reports && git commit -m 'Reports: ...'")
RUN_TIMEOUT = 900  # seconds; a run that takes this long is broken


# --------------------------------------------------------------------------- helpers
def _env(cwd: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = EPOCH
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(cwd), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "Agg")
    return env


@dataclass
class Run:
    cwd: Path
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self, lines: int = 60) -> str:
        tail = "\n".join(self.output.splitlines()[-lines:])
        return (f"`snakemake {' '.join(self.args)}` in {self.cwd} exited with {self.returncode}; "
                f"last {lines} lines of its output:\n{tail}")


class Pending:
    """A Snakemake run started in the background; ``wait()`` returns its :class:`Run`."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.cwd, self.args = cwd, list(args)
        self.out_path = cwd.parent / f"{cwd.name}.stdout"
        self.err_path = cwd.parent / f"{cwd.name}.stderr"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "snakemake", *self.args], cwd=cwd, env=_env(cwd),
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)

    def wait(self, timeout: float = RUN_TIMEOUT) -> Run:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the run and the jobs it started
            self.proc.wait()
        return Run(self.cwd, self.args, self.proc.returncode,
                   self.out_path.read_text(encoding="utf-8", errors="replace"),
                   self.err_path.read_text(encoding="utf-8", errors="replace"))


def snakemake(cwd: Path, *args: str, timeout: float = RUN_TIMEOUT) -> Run:
    return Pending(cwd, *args).wait(timeout)


def copy_snapshot(snapshot: Path, dest: Path, *, git: bool = False) -> Path:
    """A copy of the snapshot at ``dest``; with ``git``, a checkout of HEAD underneath it."""
    if git:
        subprocess.run(["git", "clone", "--quiet", "--shared", "--no-checkout", str(REPO),
                        str(dest)], check=True, capture_output=True, text=True)
    shutil.copytree(snapshot, dest, dirs_exist_ok=True)
    if git:  # index = HEAD, so `git status` shows exactly the working-tree changes copied in
        subprocess.run(["git", "read-tree", "HEAD"], cwd=dest, check=True, capture_output=True)
    return dest


def tree_files(root: Path) -> dict[str, Path]:
    """Every file under ``root`` by its path relative to ``root`` (Snakemake markers left out)."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".snakemake_timestamp"}


def data_rows(path: Path) -> int:
    """Data rows of a panel CSV, counted without the pipeline: no header, comments or blanks."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    return len(list(csv.reader(lines))) - 1


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def samples_of(root: Path) -> list[str]:
    config = yaml.safe_load((root / "config" / "config.yaml").read_text(encoding="utf-8"))
    panels = list(config["panels"])
    per_country = config.get("per_country", True) and len(panels) > 1
    return ["all"] + (panels if per_country else [])


def apa_p(p: float) -> str:
    """A p-value as the tables print it (written here independently of analysis.tables)."""
    if p < 0.001:
        return "< .001"
    for digits in range(3, 9):  # more digits when rounding would cross .01, .05 or .10
        text = str(Decimal(repr(p)).quantize(Decimal(10) ** -digits, rounding=ROUND_HALF_UP))
        if all((p < t) == (float(text) < t) for t in (0.01, 0.05, 0.10)):
            break
    return text[1:] if text.startswith("0.") else text


class TableParser(HTMLParser):
    """Every <table> of a page by id: a list of rows, each (tr class, [cell texts])."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[tuple[str, list[str]]]]] = {}
        self._rows: list[tuple[str, list[str]]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._rows = []
            self.tables.setdefault(a.get("id") or "", []).append(self._rows)
        elif tag == "tr" and self._rows is not None:
            self._rows.append((a.get("class") or "", []))
        elif tag in ("td", "th") and self._rows:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1][1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._rows = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tracked files (without reports/) and the example panel, copied once."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True,
                                capture_output=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"the pipeline tests copy the files git tracks; `git ls-files` failed in "
                    f"{REPO}: {exc}")
    files = [f for f in listed if f and not f.startswith("reports/") and (REPO / f).is_file()]
    for extra in EXTRA_PATHS:
        files += [p.relative_to(REPO).as_posix() for p in (REPO / extra).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts]
    dest = tmp_path_factory.mktemp("pipeline") / "snapshot"
    for f in sorted(set(files)):
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / f, dest / f)  # keeps the mode: submit.sh stays executable
    return dest


@pytest.fixture(scope="module")
def runs(snapshot: Path) -> dict[str, Run]:
    """The full run (--cores 2, ``fresh``) and the figure-free run (--cores 1, ``cores1``),
    started together so that the single-core run uses the core the other leaves idle."""
    base = snapshot.parent
    fresh = copy_snapshot(snapshot, base / "fresh", git=True)
    cores1 = copy_snapshot(snapshot, base / "cores1")
    targets = []
    for s in samples_of(snapshot):
        targets += [f"reports/tables/{s}", f"results/analysis/{s}/verdicts.csv",
                    f"results/analysis/{s}/normality.csv"]
    pending = {"fresh": Pending(fresh, "--cores", "2"),
               "cores1": Pending(cores1, "--cores", "1", *targets)}
    return {name: p.wait() for name, p in pending.items()}


@pytest.fixture(scope="module")
def fresh(runs: dict[str, Run]) -> Path:
    """The copy where the full default run finished (fails every test using it otherwise)."""
    run = runs["fresh"]
    if run.returncode != 0:
        pytest.fail("the full default run failed: " + run.describe())
    return run.cwd


@pytest.fixture(scope="module")
def report_html(fresh: Path) -> str:
    return (fresh / "reports" / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def report_tables(report_html: str) -> dict[str, list[list[tuple[str, list[str]]]]]:
    parser = TableParser()
    parser.feed(report_html)
    return parser.tables


# --------------------------------------------------------------------------- 1. in sync
#: Committed outputs that carry the code commit, whether the checkout is dirty and the date:
#: byte-identical on a rerun of a clean checkout of the commit they were made at, compared
#: here only after removing those (a test run copies uncommitted changes and sets
#: SOURCE_DATE_EPOCH).
PROVENANCE_CARRIERS = ("report.html", "provenance.json")


def _without_provenance(name: str, data: bytes) -> bytes:
    if name == "provenance.json":
        rec = json.loads(data)
        rec.pop("date", None)
        rec.pop("git", None)
        return json.dumps(rec, sort_keys=True).encode()
    text = data.decode("utf-8")
    text = re.sub(r'<p class="note">Run .*?</p>', "", text)
    text = re.sub(r"<p>Date .*?commit <code>[^<]*</code>( \(uncommitted changes present\))?",
                  "", text)
    return text.encode("utf-8")


#: Committed outputs of the `believe` target (workflow/rules/believe.smk), not of the default run.
BELIEVE_OUTPUTS = {"reports/believe.html"}


def test_committed_reports_match_a_fresh_run(fresh: Path) -> None:
    """What is committed under reports/ is exactly what a fresh clone produces and does not
    ignore: byte-identical files, nothing produced left uncommitted (unless .gitignore says
    so), nothing committed that is no longer produced. So a default rerun leaves git clean."""
    produced = tree_files(fresh / "reports")
    assert produced, "the fresh run wrote nothing under reports/"
    listed = subprocess.run(["git", "ls-files", "-z", "reports"], cwd=REPO, check=True,
                            capture_output=True).stdout.decode().split("\0")
    # reports/believe.html is made by the simulation target `believe`, not the default run
    committed = {f.removeprefix("reports/") for f in listed
                 if f and not f.endswith(".snakemake_timestamp") and f not in BELIEVE_OUTPUTS}
    if not committed:
        pytest.fail(f"reports/ is not committed. Produce and commit it:\n    {REFRESH}")
    ignored = set(subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin", "-z"], cwd=REPO, capture_output=True,
        input="\0".join(f"reports/{f}" for f in produced).encode()).stdout.decode().split("\0"))
    kept = {f for f in produced if f"reports/{f}" not in ignored}
    both = sorted(committed & kept)
    deleted = [f for f in both if not (REPO / "reports" / f).is_file()]

    def same(f: str) -> bool:
        a, b = (REPO / "reports" / f).read_bytes(), produced[f].read_bytes()
        if f in PROVENANCE_CARRIERS:
            return _without_provenance(f, a) == _without_provenance(f, b)
        return a == b

    differ = [f for f in both if f not in deleted and not same(f)]
    not_committed = sorted(kept - committed)
    stale = sorted(committed - kept)
    problems = [f"  differs from a fresh run: reports/{f}" for f in differ]
    problems += [f"  committed but deleted in the working tree: reports/{f}" for f in deleted]
    problems += [f"  produced, not ignored, not committed: reports/{f}" for f in not_committed]
    problems += [f"  committed but no longer produced (or now ignored): reports/{f}"
                 for f in stale]
    assert not problems, (
        f"{len(problems)} committed report file(s) are out of sync with the code:\n"
        + "\n".join(problems[:60])
        + (f"\n  ... and {len(problems) - 60} more" if len(problems) > 60 else "")
        + f"\nRefresh them (and `git rm` the stale ones):\n    {REFRESH}")


def test_manifest_paths_are_relative(fresh: Path) -> None:
    manifests = sorted((fresh / "reports").rglob("manifest.json"))
    assert manifests
    bad = [(m.relative_to(fresh).as_posix(), e["path"]) for m in manifests
           for e in read_json(m)
           if os.path.isabs(e["path"]) or not e["path"].startswith("reports/")]
    assert not bad, f"manifest paths must be relative to the repository root: {bad[:10]}"


# --------------------------------------------------------------------------- 2. core counts
def test_results_do_not_depend_on_the_core_count(runs: dict[str, Run], fresh: Path) -> None:
    single = runs["cores1"]
    assert single.returncode == 0, single.describe()
    produced = {**{f"results/{k}": v for k, v in tree_files(single.cwd / "results").items()},
                **{f"reports/tables/{k}": v
                   for k, v in tree_files(single.cwd / "reports" / "tables").items()}}
    for s in samples_of(single.cwd):
        for f in ("results.csv", "verdicts.csv", "normality.csv"):
            assert f"results/analysis/{s}/{f}" in produced
        assert f"reports/tables/{s}/manifest.json" in produced
    missing = sorted(f for f in produced if not (fresh / f).is_file())
    differ = sorted(f for f in produced if f not in missing
                    and (fresh / f).read_bytes() != produced[f].read_bytes())
    assert not missing, f"written with --cores 1 but not with --cores 2: {missing}"
    assert not differ, (f"{len(differ)} of {len(produced)} files differ between --cores 1 and "
                        f"--cores 2: {differ[:40]}")


# --------------------------------------------------------------------------- 3. the report
def _manifests(fresh: Path) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    tables = {s: read_json(fresh / "reports" / "tables" / s / "manifest.json")
              for s in samples_of(fresh)}
    figures = read_json(fresh / "reports" / "figures" / "all" / "manifest.json")
    return tables, figures


def test_every_manifest_artifact_exists(fresh: Path) -> None:
    tables, figures = _manifests(fresh)
    entries = [e for m in tables.values() for e in m] + figures
    assert figures and all(tables.values())
    missing = [e["path"] for e in entries if not (fresh / e["path"]).is_file()]
    assert not missing, f"listed in a manifest but not written: {missing}"
    # every file a table's meta.json lists exists beside it
    metas = sorted((fresh / "reports" / "tables").rglob("*.meta.json"))
    assert metas
    missing = [f"{m.parent.name}/{f}" for m in metas for f in read_json(m)["files"]
               if not (m.parent / f).is_file()]
    assert not missing, f"listed in a .meta.json but not written: {missing}"


def test_report_embeds_every_figure_and_table(fresh: Path, report_html: str) -> None:
    tables, figures = _manifests(fresh)
    images = re.findall(r'<img [^>]*src="data:image/png;base64,', report_html)
    # every figure of the pooled sample, and the pathway mix of the qualitative arm
    assert len(images) == len(figures) + 1
    assert 'src="http' not in report_html and "<link " not in report_html  # self-contained
    for e in figures:
        data = base64.b64encode((fresh / e["path"]).read_bytes()).decode("ascii")
        assert data in report_html, f"figure {e['path']} is not embedded"
        assert f"<h3>{html.escape(e['title'])}</h3>" in report_html, e["title"]
    for e in tables["all"]:
        assert f"<h3>{html.escape(e['title'])}</h3>" in report_html, e["title"]
    qualitative = sorted((fresh / "reports" / "tables" / "qualitative").glob("*.meta.json"))
    assert qualitative
    for meta in qualitative:  # rendered by the report stage itself
        title = read_json(meta)["title"]
        assert f"<h3>{html.escape(title)}</h3>" in report_html, title
    for sample in set(tables) - {"all"}:  # each country's Table 2, under "Countries compared"
        t2 = [e for e in tables[sample] if e.get("stem") == "table2_verdicts"]
        assert len(t2) == 1, sample
        assert f"<h3>{html.escape(t2[0]['title'])} ({sample})</h3>" in report_html, sample


def _sections(report_html: str) -> dict[str, str]:
    """Report sections by their <h2> text."""
    parts = re.split(r"<section id=\"[^\"]*\"><h2>", report_html)[1:]
    return {html.unescape(p.split("</h2>", 1)[0]): p.split("</h2>", 1)[1] for p in parts}


def test_report_verdicts_match_verdicts_csv(fresh: Path, report_html: str) -> None:
    specs = yaml.safe_load((fresh / "config" / "hypotheses.yaml").read_text(encoding="utf-8"))
    rule = specs["default_rule"]
    verdicts = pd.read_csv(fresh / "results" / "analysis" / "all" / "verdicts.csv", dtype=str,
                           keep_default_na=False)
    sections = _sections(report_html)
    for hyp in specs["hypotheses"]:
        expected = verdicts[(verdicts["sample"] == "all") & (verdicts["rule"] == rule)
                            & (verdicts["hypothesis"] == hyp)]["verdict"]
        assert len(expected) == 1, (hyp, rule)
        section = [body for head, body in sections.items() if head.startswith(f"{hyp}: ")]
        assert len(section) == 1, f"no report section for {hyp}"
        printed = re.search(r"<b>Verdict</b> \(rule <code>(.*?)</code>\): <b>(.*?)</b>",
                            section[0])
        assert printed, f"the {hyp} section prints no verdict"
        assert html.unescape(printed.group(1)) == rule
        assert html.unescape(printed.group(2)) == expected.iloc[0], hyp


def test_report_p_values_match_results_csv(fresh: Path, report_tables: dict[str, Any]) -> None:
    """p of the deciding test rows of results.csv, as printed in the embedded summary tables."""
    results = pd.read_csv(fresh / "results" / "analysis" / "all" / "results.csv", dtype=str,
                          keep_default_na=False)
    tests = results[(results["role"] == "test") & (results["scope"] == "year")
                    & (results["p"] != "")]
    checked = Counter()
    for stem in sorted({f"{h}_summary" for h in tests["hypothesis"]}):
        summary = pd.read_csv(fresh / "reports" / "tables" / "all" / f"{stem}.csv", dtype=str,
                              keep_default_na=False)
        assert len(report_tables.get(stem, [])) == 1, f"table {stem} is not in the report once"
        rows = report_tables[stem][0]
        header = next(cells for cls, cells in rows if cells and cells[0] == "Year")
        p_col = header.index("p")
        # the summary says which statistic decides (e.g. Fisher instead of Pearson chi-square)
        deciding = summary[summary["scope"] == "year"].merge(
            tests, left_on=["spec_id", "year", "stratum_var", "stratum", "test_statistic"],
            right_on=["spec_id", "year", "stratum_var", "stratum", "statistic"],
            suffixes=("_summary", ""))
        for _, r in deciding.iterrows():
            clause = (re.escape(f"{r['stratum_var']} = {r['stratum']}") + r"(?=[ ;\]])"
                      if r["stratum"] else "")
            panel, printed = None, []
            for cls, cells in rows:
                if "panel-label" in cls:
                    panel = cells[0] if cells else ""
                elif (panel and panel.startswith(f"{r['spec_id']}:")
                      and re.search(clause, panel) and cells and cells[0] == r["year"]):
                    printed.append(cells[p_col])
            assert printed == [apa_p(float(r["p"]))], (stem, r["spec_id"], r["stratum"],
                                                       r["year"], r["p"], printed)
            checked[stem] += 1
    assert sum(checked.values()) >= 10 and len(checked) >= 4, checked


def test_report_shows_the_published_believe_results(fresh: Path, report_html: str) -> None:
    """The default inputs are those the committed believe summary was computed from: the
    section shows its numbers and Table 2 its columns."""
    record = read_json(fresh / "results" / "believe" / "published.json")
    assert record["status"] == "current", record
    section = _sections(report_html)["How much to believe each verdict"]
    assert "Power (57 vs 57)" in section and 'href="believe.html"' in section
    summary = pd.read_csv(fresh / "data" / "believe" / "summary.csv")
    t2 = pd.read_csv(fresh / "reports" / "tables" / "all" / "table2_verdicts.csv")
    merged = t2.merge(summary, on="hypothesis", suffixes=("", "_published"))
    assert len(merged) == len(summary)
    assert (merged["power"] == merged["power_published"]).all()


def test_report_says_synthetic(report_html: str) -> None:
    assert "SYNTHETIC DATA" in report_html
    title = re.search(r"<title>(.*?)</title>", report_html).group(1)
    assert "SYNTHETIC" in title


def test_provenance_record(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from analysis.config import check_config, load_yaml

    prov = read_json(fresh / "reports" / "provenance.json")
    monkeypatch.chdir(fresh)  # config paths are relative to the directory Snakemake runs in
    config = load_yaml("config/config.yaml")
    # every panel file, with a checksum computed here
    for name, panel in config["panels"].items():
        entry = prov["inputs"].get(panel["path"])
        assert entry, f"panel {name}: {panel['path']} not in provenance inputs"
        data = (fresh / panel["path"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), panel["path"]
        assert entry["bytes"] == len(data)
    for path, entry in prov["inputs"].items():
        assert entry["sha256"] == hashlib.sha256((fresh / path).read_bytes()).hexdigest(), path
    assert prov["synthetic"] is True
    assert prov["seed"] == load_yaml("config/synthetic.yaml")["seed"]
    for package in ("numpy", "pandas", "scipy", "statsmodels", "snakemake", "matplotlib"):
        assert prov["packages"].get(package) == metadata.version(package), package
    from analysis.render.report import NOT_CODE

    # the code commit: the last commit that changed what the outputs depend on
    code = subprocess.run(["git", "log", "-1", "--format=%H", "--", ".", *NOT_CODE], cwd=fresh,
                          check=True, capture_output=True, text=True).stdout.strip()
    assert prov["git"]["commit"] == code
    assert isinstance(prov["git"]["dirty"], bool)
    assert prov["date"] == "2023-11-14"  # SOURCE_DATE_EPOCH
    resolved = json.loads(json.dumps(check_config(config), sort_keys=True, default=str))
    assert prov["config"] == resolved


# --------------------------------------------------------------------------- 4. the ledger
def test_exclusions_ledger_reconciles(fresh: Path) -> None:
    summary = read_json(fresh / "results" / "pooled" / "summary.json")
    assert summary["reconciles"] is True
    assert summary["rows_in"] == summary["rows_kept"] + summary["rows_excluded"]
    files = sorted((fresh / "data" / "synthetic").glob("*.csv"))
    assert len(files) == len(summary["panels"])
    assert summary["rows_in"] == sum(data_rows(f) for f in files)
    for name, panel in summary["panels"].items():
        assert panel["rows_in"] == data_rows(fresh / panel["file"]), name
        assert panel["rows_in"] == panel["rows_kept"] + panel["rows_excluded"], name
    ledger = pd.read_csv(fresh / "results" / "pooled" / "exclusions.csv", dtype=str)
    assert len(ledger) == summary["rows_excluded"]
    assert len(pd.read_parquet(fresh / "results" / "pooled" / "panel.parquet")) == \
        summary["rows_kept"]


# --------------------------------------------------------------------------- 5. a new panel
def _dry_run_jobs(run: Run) -> list[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run lists."""
    jobs, rule = [], None
    for line in run.output.splitlines():
        m = re.match(r"^(?:local)?rule (\w+):$", line.strip())
        if m:
            if rule:
                jobs.append((rule, ""))
            rule = m.group(1)
            continue
        m = re.match(r"^wildcards: (.*)$", line.strip())
        if m and rule:
            jobs.append((rule, m.group(1)))
            rule = None
        elif line.strip().startswith("resources:") and rule:
            jobs.append((rule, ""))
            rule = None
    if rule:
        jobs.append((rule, ""))
    return jobs


def _job_stats(run: Run) -> dict[str, int]:
    """The 'Job stats' table of a dry run: rule -> count."""
    lines = run.output.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "Job stats:")
    stats = {}
    for ln in lines[start + 3:]:
        parts = ln.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        stats[parts[0]] = int(parts[1])
    return stats


def _raw_wbes(path: Path) -> list[dict[str, str]]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(lines))


def test_adding_a_wbes_panel_reruns_only_its_jobs_and_the_pooled_ones(fresh: Path) -> None:
    work = fresh.parent / "swap"
    shutil.copytree(fresh, work, symlinks=True)  # keeps modification times and .snakemake/
    overlay = yaml.safe_load((work / "config/examples/add_wbes_panel.yaml").read_text())
    (name,) = overlay["panels"]

    dry = snakemake(work, "-n", *OVERLAY)
    assert dry.returncode == 0, dry.describe()
    # believe_published: the published believe results are checked against the new inputs
    expected = {"panel": 1, "pool": 1, "analysis": 1, "tables": 1, "figures": 1,
                "pathways": 1, "integration": 1, "report": 1, "believe_published": 1, "all": 1}
    assert _job_stats(dry) == expected, dry.describe(120)
    jobs = set(_dry_run_jobs(dry))
    # the other panels are not read again: only the new panel's job and the pooled ones run
    assert jobs == {
        ("panel", f"panel={name}"), ("pool", ""), ("analysis", ""), ("tables", ""),
        ("figures", "sample=all"), ("pathways", ""), ("integration", ""), ("report", ""),
        ("believe_published", ""), ("all", ""),
    }, dry.describe(120)

    # targets go before --configfile, which takes every word after it as a file
    run = snakemake(work, f"results/analysis/{name}/verdicts.csv", "results/pooled/summary.json",
                    "--cores", "2", *OVERLAY)
    assert run.returncode == 0, run.describe()

    raw = _raw_wbes(work / overlay["panels"][name]["path"])
    summary = read_json(work / "results" / "pooled" / "summary.json")
    assert summary["panels"][name]["rows_in"] == len(raw)
    assert summary["reconciles"] is True
    assert summary["rows_in"] == len(raw) + sum(
        data_rows(f) for f in (work / "data" / "synthetic").glob("*.csv"))
    pooled = pd.read_parquet(work / "results" / "pooled" / "panel.parquet")
    mine = pooled[pooled["country"] == "Peru"]
    assert len(mine) == summary["panels"][name]["rows_kept"] > 0
    assert set(pooled["country"]) >= {"India", "Ghana", "Mexico", "Venezuela", "Malaysia", "Peru"}
    ledger = pd.read_csv(work / "results" / "pooled" / "exclusions.csv", dtype=str)
    ledger = ledger[ledger["panel"] == name]
    assert len(mine) + len(ledger) == len(raw)

    by_key = {(str(r["firm_id"]), int(r["year"])): r for _, r in mine.iterrows()}
    codes = {"-9", "-8", "-7"}
    seen_missing = Counter()
    for i, src in enumerate(raw, start=1):
        key = (src["idstd"], int(src["year"]))
        if src["l1"] in codes or src["d3b"] in codes or src["d3c"] in codes:
            # a required variable is missing: the row is in the ledger, not in the panel
            assert key not in by_key
            reason = ledger.loc[ledger["row"] == str(i), "reason"]
            assert len(reason) == 1 and "value is missing" in reason.iloc[0], (i, src)
            seen_missing["required"] += 1
            continue
        if key not in by_key:  # excluded for another reason (micro firm): in the ledger
            assert (ledger["row"] == str(i)).sum() == 1, (i, src)
            continue
        row = by_key[key]
        assert row["export_share"] == float(src["d3b"]) + float(src["d3c"]), (i, src)
        assert row["employees"] == int(src["l1"])
        assert row["sector"] == src["a4a"]
        for column, var in (("b5", "founded"), ("b8", "tqm"), ("h1", "innovation")):
            if src[column] in codes:
                assert pd.isna(row[var]), (i, column, src[column], row[var])
                seen_missing[var] += 1
        if src["b8"] in ("1", "2"):
            assert bool(row["tqm"]) is (src["b8"] == "1")
        if src["b5"] not in codes:
            assert row["founded"] == int(src["b5"])
    # the example plants missing codes in required and optional columns
    assert seen_missing["required"] >= 1 and seen_missing["tqm"] >= 1
    assert seen_missing["founded"] >= 1 and seen_missing["innovation"] >= 1

    verdicts = pd.read_csv(work / "results" / "analysis" / name / "verdicts.csv", dtype=str)
    assert set(verdicts["sample"]) == {name}
    # the WBES does not measure ROTA: H3 cannot be estimated on this panel
    h3 = verdicts[(verdicts["hypothesis"] == "H3")]["verdict"]
    assert len(h3) and h3.str.startswith("Not estimable").all(), h3.tolist()


# --------------------------------------------------------------------------- real panels (issue 10)
def _design_panel(work: Path) -> Path:
    """The WBES-layout fixture with weights and strata, and its panel sheet, in ``work``."""
    sys.path.insert(0, str(REPO / "tests"))
    from wbes_fixture import PANEL_SHEET, write_wbes

    write_wbes(work / "data" / "peru_design.csv")
    sheet = work / "config" / "my_panels.yaml"
    sheet.write_text(PANEL_SHEET, encoding="utf-8")
    return sheet


def test_a_wbes_panel_with_a_design_runs_alone_to_a_report(snapshot: Path) -> None:
    work = copy_snapshot(snapshot, snapshot.parent / "alone")
    _design_panel(work)
    run = snakemake(work, "--cores", "2", "--config", "panels_file=config/my_panels.yaml")
    assert run.returncode == 0, run.describe()
    assert (work / "reports" / "report.html").is_file()
    # the published believe results are for the default panels: not shown, Table 2 without them
    report = (work / "reports" / "report.html").read_text(encoding="utf-8")
    assert "computed from other inputs than this run" in report
    assert "data/peru_design.csv: not an input then" in report
    t2 = pd.read_csv(work / "reports" / "tables" / "all" / "table2_verdicts.csv")
    assert not {"power", "false_support_rate", "p_reproduce_study"} & set(t2.columns)
    summary = read_json(work / "results" / "pooled" / "summary.json")
    assert list(summary["panels"]) == ["peru"]  # the sheet replaced the five default panels
    assert summary["synthetic"] is False and summary["reconciles"] is True
    assert summary["panels"]["peru"]["survey"]["weight_column"] == "_weight"
    panel = pd.read_parquet(work / "results" / "panels" / "peru.parquet")
    assert (panel["_weight"] > 0).all() and panel["_stratum"].str.count("[|]").eq(2).all()
    caption = (work / "reports" / "figures" / "pathways.caption.txt").read_text()
    assert "Not available in this panel: first_export_year" in caption
    log = (work / "logs" / "pathways" / "pathways.log").read_text(encoding="utf-8")
    assert "not available in this panel" in log


def test_a_wbes_panel_with_a_design_runs_beside_the_defaults(fresh: Path) -> None:
    work = fresh.parent / "beside"
    shutil.copytree(fresh, work, symlinks=True)
    _design_panel(work)
    overlay = work / "config" / "beside.yaml"
    sheet = yaml.safe_load((work / "config" / "my_panels.yaml").read_text(encoding="utf-8"))
    overlay.write_text(yaml.safe_dump({"panels": sheet}), encoding="utf-8")
    run = snakemake(work, "results/pooled/summary.json", "results/pathways/classified.csv",
                    "--cores", "2", "--configfile", "config/config.yaml", "config/beside.yaml")
    assert run.returncode == 0, run.describe()
    summary = read_json(work / "results" / "pooled" / "summary.json")
    assert set(summary["panels"]) == {"india", "ghana", "mexico", "venezuela", "malaysia", "peru"}
    assert summary["panels"]["india"]["survey"] is None
    pooled = pd.read_parquet(work / "results" / "pooled" / "panel.parquet")
    peru = pooled["panel"] == "peru"
    assert pooled.loc[peru, "_weight"].notna().all() and pooled.loc[~peru, "_weight"].isna().all()
    classified = pd.read_csv(work / "results" / "pathways" / "classified.csv")
    assert classified["firm_id"].str.startswith("PE").sum() == 40


def test_start_up_refuses_yte_and_misspelt_paths(snapshot: Path) -> None:
    work = copy_snapshot(snapshot, snapshot.parent / "startup")
    (work / "config" / "evil.yaml").write_text(
        "__use_yte__: true\nalpha: ?0.05\n", encoding="utf-8")
    run = snakemake(work, "-n", "--configfile", "config/config.yaml", "config/evil.yaml",
                    timeout=300)
    assert run.returncode != 0, run.describe()
    assert "__use_yte__" in run.output and "config/evil.yaml" in run.output, run.describe()
    (work / "config" / "typo.yaml").write_text(
        "panels:\n  india: {path: data/synthetic/indai.csv}\n", encoding="utf-8")
    run = snakemake(work, "-n", "--configfile", "config/config.yaml", "config/typo.yaml",
                    timeout=300)
    assert run.returncode != 0, run.describe()
    for part in ("config.panels.india.path (config/typo.yaml)", "indai.csv' not found",
                 "did you mean 'data/synthetic/india.csv'?"):
        assert part in run.output, run.describe()


# --------------------------------------------------------------------------- 6. cluster profile
def test_cluster_generic_profile_submits_through_the_stub(snapshot: Path) -> None:
    if util.find_spec("snakemake_executor_plugin_cluster_generic") is None:
        pytest.fail("snakemake-executor-plugin-cluster-generic is not installed; "
                    "install the test extra: pip install -e '.[test]'")
    work = copy_snapshot(snapshot, snapshot.parent / "cluster")
    # --seconds-between-status-checks: the default (10 s) would dominate this small run
    run = snakemake(work, "--workflow-profile", "workflow/profiles/cluster-generic",
                    "--seconds-between-status-checks", "1", "results/ingested/india.parquet",
                    timeout=300)
    assert run.returncode == 0, run.describe()
    assert re.search(r"external jobid '?local-\d+", run.output), run.describe()  # submit.sh
    for suffix in (".parquet", ".ledger.csv", ".json"):
        assert (work / "results" / "ingested" / f"india{suffix}").is_file(), suffix


# --------------------------------------------------------------------------- 7. bad input
def test_bad_value_stops_the_run_naming_file_row_column_value(snapshot: Path) -> None:
    work = copy_snapshot(snapshot, snapshot.parent / "bad")
    lines = (work / "data" / "synthetic" / "india.csv").read_text(encoding="utf-8").splitlines()
    header_at = next(i for i, ln in enumerate(lines) if not ln.startswith("#"))
    header = next(csv.reader([lines[header_at]]))
    row_no = 5  # data rows are numbered from 1
    cells = next(csv.reader([lines[header_at + row_no]]))
    cells[header.index("export_share")] = "150"
    lines[header_at + row_no] = ",".join(cells)
    (work / "data" / "bad_india.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = (work / "config" / "config.yaml").read_text(encoding="utf-8")
    assert "path: data/synthetic/india.csv" in config
    (work / "config" / "config.yaml").write_text(
        config.replace("path: data/synthetic/india.csv", "path: data/bad_india.csv"),
        encoding="utf-8")

    run = snakemake(work, "--cores", "2", "results/panels/india.parquet", timeout=300)
    assert run.returncode != 0, run.describe()
    firm, year = cells[header.index("firm_id")], cells[header.index("year")]
    for part in ("data/bad_india.csv", f"row {row_no} (firm_id={firm}, year={year})",
                 "column 'export_share'", "value 150", "out of range"):
        assert part in run.stderr, f"{part!r} not in stderr:\n{run.stderr[-3000:]}"
    assert not (work / "results" / "panels" / "india.parquet").exists()



def test_misspelt_hypothesis_key_stops_the_run_at_start_up(snapshot: Path) -> None:
    work = copy_snapshot(snapshot, snapshot.parent / "bad_specs")
    path = work / "config" / "hypotheses.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("expected_direction: negative", "expected_directon: negative",
                                 1), encoding="utf-8")
    run = snakemake(work, "-n", timeout=120)
    assert run.returncode != 0, run.describe()
    for part in ("config/hypotheses.yaml", "hypotheses.H1.tests[0]",
                 "unknown key 'expected_directon' (did you mean 'expected_direction'?)"):
        assert part in run.output, f"{part!r} not in output:\n{run.output[-3000:]}"


# --------------------------------------------------------------------------- the example panel
def test_example_panel_is_reproducible(tmp_path: Path) -> None:
    """data/examples/peru_wbes.csv is exactly what data/examples/make_examples.py writes."""
    import runpy

    module = runpy.run_path(str(REPO / "data" / "examples" / "make_examples.py"))
    module["write_csv"](module["make_rows"](), tmp_path / "peru_wbes.csv")
    assert (tmp_path / "peru_wbes.csv").read_bytes() == \
        (REPO / "data" / "examples" / "peru_wbes.csv").read_bytes(), \
        "regenerate it: python data/examples/make_examples.py"

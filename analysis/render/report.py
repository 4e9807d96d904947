"""The reviewer-facing HTML report, its methods section and its provenance record.

The report is one self-contained HTML file (figures embedded as data URIs, no external assets)
assembled from *manifests*: JSON lists written by the tables, figures and cases stages, one entry
per artifact (``section``, ``kind`` = table | figure, ``title``, ``path``, ``caption``). Nothing in
the report is typed by hand: the methods section is generated from the configuration and the
hypothesis specs that ran, the verdicts from verdicts.csv, the counts from the pooled summary.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import os
import platform
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.runlog import sha256

PACKAGES = ["numpy", "pandas", "scipy", "statsmodels", "pingouin", "snakemake", "seaborn",
            "matplotlib", "pandera", "pyarrow", "PyYAML", "openpyxl", "jsonschema"]

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:2px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
h3{margin-top:1.2em;font-size:1.05em}
table{border-collapse:collapse;margin:.8em 0;font-size:.84em;max-width:100%}
th,td{border-top:1px solid #ddd;padding:.25em .5em;text-align:right;vertical-align:top;
overflow-wrap:break-word}td.num{white-space:nowrap}
table#table2_verdicts td:nth-child(2),table#table2_verdicts td:nth-child(3){white-space:nowrap}
th{border-bottom:1px solid #888}td:first-child,th:first-child{text-align:left}
td.txt,th.txt{text-align:left}
.banner{background:#fff3cd;border:1px solid #e0b400;padding:.6em 1em;font-weight:600}
.verdict-agree{color:#11602a;font-weight:600}.verdict-differ{color:#a4161a;font-weight:600}
figure{margin:1em 0}figcaption{font-size:.85em;color:#444;max-width:900px}
img{max-width:100%;height:auto;border:1px solid #eee}
.note,.sme-notes{font-size:.82em;color:#555}code,pre{background:#f6f6f6;font-size:.85em}
pre{padding:.6em;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere}
nav ol{columns:3;font-size:.9em}
details{margin:.6em 0;border-left:3px solid #ddd;padding-left:.8em}
summary{cursor:pointer;color:#0b4f8a;font-weight:600}
.answer{font-size:1.02em}
"""


# --------------------------------------------------------------------------- provenance
def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of the given distributions ('not installed' when absent)."""
    from importlib import metadata

    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _git(args: list[str], cwd: str | Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          timeout=10).stdout.strip()


#: What the outputs do not depend on: the rendered outputs themselves, documentation and
#: tests. Committing them changes neither the code commit the provenance names nor whether the
#: checkout is dirty (so a rerun of a clean checkout reproduces the committed outputs).
NOT_CODE: tuple[str, ...] = (
    ":(exclude)reports", ":(exclude)docs", ":(exclude)tests", ":(exclude).ci",
    ":(exclude,glob)**/*.md", ":(exclude)CITATION.cff", ":(exclude)LICENSE",
    ":(exclude).snakemake-workflow-catalog.yml",
)


def git_state(cwd: str | Path = ".") -> dict[str, Any]:
    """The commit of the code (the last commit that changed anything the outputs depend on,
    i.e. outside :data:`NOT_CODE`), its date, and whether those files differ from it."""
    try:
        commit = _git(["log", "-1", "--format=%H %ct", "--", ".", *NOT_CODE], cwd)
        commit, _, when = commit.partition(" ")
        if not commit:
            commit, when = _git(["rev-parse", "HEAD"], cwd), ""
        dirty = _git(["status", "--porcelain", "--untracked-files=no", "--", ".", *NOT_CODE],
                     cwd)
        return {"commit": commit, "dirty": bool(dirty),
                "commit_time": int(when) if when.isdigit() else None}
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown (not a git checkout)", "dirty": None, "commit_time": None}


def run_date(commit_time: int | None = None) -> str:
    """The date the outputs carry: SOURCE_DATE_EPOCH when set (reproducible builds), else the
    date of the code commit (so that rerunning a commit reproduces its outputs byte for
    byte), else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        when = _dt.datetime.fromtimestamp(int(epoch), _dt.UTC)
    elif commit_time is not None:
        when = _dt.datetime.fromtimestamp(commit_time, _dt.UTC)
    else:
        when = _dt.datetime.now(_dt.UTC)
    return when.strftime("%Y-%m-%d")


def provenance(config: dict[str, Any], input_files: Iterable[str | Path],
               synthetic_params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything needed to say exactly what ran: inputs, config, software, seed, commit, date."""
    files = sorted({str(p) for p in input_files})
    git = git_state()
    return {
        "date": run_date(git.pop("commit_time", None)),
        "git": git,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "inputs": {p: {"sha256": sha256(p), "bytes": Path(p).stat().st_size} for p in files},
        "config": config,
        "synthetic": synthetic_params is not None,
        "seed": (synthetic_params or {}).get("seed"),
    }


# --------------------------------------------------------------------------- methods
def tests_of_specs(specs: dict[str, Any]) -> list[str]:
    """The tests the specs can run: each configured test (``auto``: every test registered for
    metric outcomes) and the pooled test of each, in registry order."""
    from analysis.stats import registry

    named: set[str] = set()
    for h in specs["hypotheses"].values():
        for t in h["tests"]:
            if t["test"] == "auto":  # the design-based tests run only beside a chosen test
                named |= {n for n, e in registry.REGISTRY.items()
                          if "metric" in e.outcomes and e.family != "survey"}
            else:
                named.add(t["test"])
    named |= {registry.REGISTRY[n].pooled_test for n in list(named)
              if n in registry.REGISTRY and registry.REGISTRY[n].pooled_test}
    return [n for n in registry.REGISTRY if n in named]


def methods_text(config: dict[str, Any], specs: dict[str, Any], size_def: dict[str, Any],
                 summary: dict[str, Any], tests: Iterable[str] | None = None) -> str:
    """Methods section (HTML) generated from the configuration and the specs that ran.

    Parameters
    ----------
    config, specs, size_def, summary
        The resolved configuration, the hypothesis specs, the size definition and the pooled
        summary (summary.json).
    tests : iterable of str, optional
        The tests the comparisons used (the ``test`` column of results.csv); default: the tests
        the specs can run (:func:`tests_of_specs`). Their registry entries' ``methods``
        sentences make the "Tests" paragraph, in registry order.
    """
    from analysis.render.format import format_num
    from analysis.stats import registry

    esc = html.escape
    used = set(tests_of_specs(specs) if tests is None else tests)
    entries = [e for name, e in registry.REGISTRY.items() if name in used]
    bands = config["derive"]["doi_bands"]
    cuts = [0, *bands["cuts"], 100]
    band_text = ", ".join(
        [f"{esc(bands['labels'][0])} (0%)"]
        + [f"{esc(lbl)} ({format_num(cuts[i], None)}–{format_num(cuts[i + 1], None)}%]"
           for i, lbl in enumerate(bands["labels"][1:])]
    )
    panels = ", ".join(f"{esc(k)} (<code>{esc(v['path'])}</code>)"
                       for k, v in config["panels"].items())
    status = ("fixed at the firm's first observed year" if config["derive"]["size_status"]
              == "first_year" else "re-evaluated every year")
    parts = [
        "<p><b>Data.</b> Panels: " + panels + f". After validation the pooled sample has "
        f"{summary['rows_kept']} firm-years of {summary['firms']['firms']} firms "
        f"({summary['firms'].get('SME', 0)} SMEs, {summary['firms'].get('non-SME', 0)} non-SMEs); "
        f"{summary['rows_excluded']} of {summary['rows_in']} rows read were excluded (ledger "
        "below).</p>",
        f"<p><b>Definitions.</b> Size: {esc(size_def['description'])}; SME status {status}. "
        "Internationalized: export share &gt; 0. Degree-of-internationalization bands: "
        f"{band_text}. ROTA = 100 × net income / total assets where not given. "
        f"Significance level α = {format_num(config['alpha'], None)}.</p>",
        "<p><b>Normality.</b> Every metric variable ("
        + ", ".join(f"<code>{esc(v)}</code>" for v in config["normality"]["variables"])
        + ") was tested with the Kolmogorov–Smirnov test with the Lilliefors correction and the "
        "Shapiro–Wilk test, overall and by "
        + "; ".join(" × ".join(b) for b in config["normality"]["by"])
        + ". Tests declared <code>auto</code> use Welch's t-test when the outcome is normal in "
        "both groups by both tests, otherwise the Mann–Whitney test; each comparison records "
        "the test it used and why.</p>",
        "<p><b>Tests.</b> " + "".join(f"{esc(e.methods, quote=False)} " for e in entries)
        + "Tests run year by year; the pooled scope fits a logit with year dummies and "
        "firm-clustered standard errors for binary outcomes and compares firm means for metric "
        "ones. Holm-adjusted p within each hypothesis and Benjamini–Hochberg-adjusted p across "
        "all tests are reported beside raw p."
        + (" The design-based tests run beside the unweighted ones as secondary comparisons "
           "(spec ids ending <code>__svy</code>, and <code>__svy_&lt;weight&gt;</code> for each "
           "alternative weight as a sensitivity), adjusted as families of their own; the "
           "verdicts rest on the unweighted tests, with the default rule applied to the "
           "design-based counterparts reported beside them."
           if any(e.family == "survey" for e in entries) else "")
        + "</p>",
        "<p><b>Hypotheses</b> (from <code>" + esc(config["hypotheses"]) + "</code>):</p><ul>",
    ]
    for hyp, h in specs["hypotheses"].items():
        items = []
        for t in h["tests"]:
            g = t["group"]
            lv = " vs ".join(str(x) for x in g.get("labels", g["levels"]))
            extra = []
            if t.get("population"):
                extra.append("population " + ", ".join(f"{k} ∈ {v}"
                                                        for k, v in t["population"].items()))
            if t.get("strata"):
                extra.append(f"within each level of {t['strata']}")
            if t.get("controls"):
                extra.append(f"controls {t['controls']}")
            items.append(
                f"<code>{esc(t['id'])}</code>: {esc(t['test'])} of <code>{esc(t['outcome'])}"
                f"</code> by {esc(g['variable'])} ({esc(lv)})"
                + (f", {esc('; '.join(extra))}" if extra else "")
                + f"; expected direction {esc(t.get('expected_direction', 'any'))}; "
                f"{esc(t.get('verdict', 'primary'))}")
        parts.append(f"<li><b>{esc(hyp)}</b> {esc(h['label'])}: " + "; ".join(items) + "</li>")
    parts.append("</ul><p><b>Verdict rules.</b></p><ul>")
    for name, rule in specs["rules"].items():
        default = " (default)" if name == specs["default_rule"] else ""
        parts.append(f"<li><code>{esc(name)}</code>{default}: "
                     f"{esc(' '.join(str(rule['description']).split()))}</li>")
    parts.append("</ul>")
    return "\n".join(parts)


# --------------------------------------------------------------------------- assembly
def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def table_html(path: str | Path) -> str:
    """The <table> (with any caption/notes) of a rendered HTML table file."""
    text = Path(path).read_text(encoding="utf-8")
    m = re.search(r"<body[^>]*>(.*)</body>", text, flags=re.S | re.I)
    return m.group(1) if m else text


def figure_html(path: str | Path, caption: str) -> str:
    """A <figure> with the PNG embedded as a data URI."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption[:120])}" '
            f'src="data:image/png;base64,{data}"><figcaption>{html.escape(caption)}'
            "</figcaption></figure>")


def frame_html(df: pd.DataFrame, max_rows: int = 200) -> str:
    """A small DataFrame as an HTML table (escaped), at most ``max_rows`` rows."""
    shown = df.head(max_rows)
    note = (f'<p class="note">First {max_rows} of {len(df)} rows; all rows in the CSV.</p>'
            if len(df) > max_rows else "")
    return shown.to_html(index=False, escape=True, na_rep="", border=0) + note


def details(summary: str, inner: str) -> str:
    """Content behind a closed ``<details>`` element with its ``<summary>`` line."""
    return f"<details><summary>{html.escape(summary)}</summary>\n{inner}\n</details>"


def _item_html(item: dict[str, Any]) -> str:
    out = f"<h3>{html.escape(item['title'])}</h3>" if item.get("title") else ""
    if item["kind"] == "table":
        return out + table_html(item["path"])
    if item["kind"] == "figure":
        return out + figure_html(item["path"], item.get("caption", ""))
    return out + item.get("html", "")


def build_report(*, title: str, synthetic: bool, sections: list[dict[str, Any]],
                 provenance_record: dict[str, Any]) -> str:
    """Assemble the HTML report.

    Parameters
    ----------
    sections : list of dict
        ``{"title": str, "html": str (optional), "items": [...], "more": [...],
        "more_title": str, "folded": bool}``. ``items`` show; ``more`` go behind one closed
        ``<details>`` (summary ``more_title``); with ``folded`` the whole body of the section
        is behind ``<details>`` and only its heading shows. An item is a manifest entry
        ``{"kind": "table"|"figure"|"html", "title", "path", "caption"}`` (``html`` for
        ``kind = "html"``).
    """
    esc = html.escape
    body = [f"<h1>{esc(title)}</h1>"]
    if synthetic:
        body.append('<p class="banner">SYNTHETIC DATA. The panels analysed here were generated '
                    "by a seeded process with the study's design (data/synthetic, "
                    "config/synthetic.yaml); they are not the study's microdata, which were "
                    "never published. Every number below describes the synthetic panels.</p>")
    git = provenance_record.get("git", {})
    body.append(f'<p class="note">Run {esc(provenance_record.get("date", ""))}; commit '
                f'<code>{esc(str(git.get("commit", "")))}</code>'
                + (" (with uncommitted changes)" if git.get("dirty") else "") + "</p>")
    body.append("<nav><ol>" + "".join(f'<li><a href="#{_slug(s["title"])}">{esc(s["title"])}'
                                      "</a></li>" for s in sections) + "</ol></nav>")
    for s in sections:
        body.append(f'<section id="{_slug(s["title"])}"><h2>{esc(s["title"])}</h2>')
        inner = [s.get("html", "")] + [_item_html(i) for i in s.get("items", [])]
        more = [_item_html(i) for i in s.get("more", [])]
        if more:
            inner.append(details(s.get("more_title") or "More", "\n".join(more)))
        text = "\n".join(x for x in inner if x)
        body.append(details(s.get("folded_title") or f"Show {s['title'].lower()}", text)
                    if s.get("folded") else text)
        body.append("</section>")
    return html_page(title, "\n".join(body))


def html_page(title: str, body: str) -> str:
    """A self-contained HTML page in the report's style around ``body``."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n"
            + body + "\n</body></html>\n")


def load_manifests(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Concatenate manifest files (JSON lists of artifact entries), keeping their order."""
    out: list[dict[str, Any]] = []
    for p in paths:
        out.extend(json.loads(Path(p).read_text(encoding="utf-8")))
    return out


def write_manifest(entries: list[dict[str, Any]], path: str | Path) -> None:
    """Write a manifest with paths as strings, deterministic formatting."""
    clean = [{k: str(v) if isinstance(v, Path) else v for k, v in e.items()} for e in entries]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(clean, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- the stage
QUALITATIVE_TABLES = [
    # (stem, csv key, report section, title, note); the section is the key the report
    # selects the table by
    ("case_pathways", "case_pathways", "cases",
     "Derived pathway of each case firm beside section 4.5",
     "Derived by the rule declared in config/coding_frame.yaml; `agrees` compares with the "
     "study's section 4.5."),
    ("case_matrix", "matrix_wide", "cases",
     "Cross-case matrix: coded pathway per firm and dimension",
     "Codes from config/coding_frame.yaml (a researcher can recode a cell and rerun); "
     "statements and sources in data/cases/case_firms.yaml."),
    ("case_disagreements", "disagreements", "cases", "Where the study disagrees with itself or "
     "with the derived pathway",
     "origin: recorded (from reading the study) or computed (by the rule)."),
    ("case_claims", "claims", "cases",
     "The study's numeric claims checked against its appendices", ""),
    ("pathway_mix", "pathway_mix", "pathways",
     "Pathways of internationalization of the panel firms",
     "Thresholds in config/pathways.yaml; shares within size group (and country)."),
    ("pathway_crosstab", "pathway_crosstab", "pathways",
     "Pathway by size group: crosstab statistics",
     "analysis.tests.crosstab on one row per firm."),
]

#: The columns the report shows of a wide qualitative table (all columns stay in its CSV).
QUALITATIVE_SHOWN: dict[str, list[str]] = {
    "case_pathways": ["firm", "derived_pathway", "study_4_5_pathway", "agrees",
                      "unwilling_international", "rule", "study_4_5_qualifier"],
    "case_disagreements": ["firm", "dimension", "section_a", "statement_a", "section_b",
                           "statement_b", "kind", "origin"],
    "case_claims": ["claim", "section", "firm", "text", "appendix", "result"],
}

#: The rule, script and function that make each kind of output (reports/index.md).
PROGRAMS: dict[str, tuple[str, str]] = {
    "tables": ("tables", "workflow/scripts/tables.py -> analysis.render.tables.run_tables"),
    "figures": ("figures",
                "workflow/scripts/figures.py -> analysis.render.figures.run_figures"),
    "report": ("report", "workflow/scripts/report.py -> analysis.render.report.run_report"),
    "pathways": ("pathways",
                 "workflow/scripts/pathways.py -> analysis.qual.pathways.run_pathways"),
}


def _entries(manifest: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The manifest entries of one report section: ``section`` is ``key`` or ``"key: label"``."""
    return [e for e in manifest if str(e.get("section", "")).split(":")[0].strip() == key]


def _of_sample(manifest: list[dict[str, Any]], sample: str, what: str) -> list[dict[str, Any]]:
    """The manifest entries of one sample (every entry must say its ``sample``)."""
    bad = [e.get("path", e) for e in manifest if "sample" not in e]
    if bad:
        raise ValueError(f"{what} manifest entries without a 'sample' key: {bad[:5]}; "
                         "rerun the tables and figures stages")
    return [e for e in manifest if e["sample"] == sample]


def _stem(entries: list[dict[str, Any]], stem: str) -> list[dict[str, Any]]:
    return [e for e in entries if e.get("stem") == stem]


def _without(entries: list[dict[str, Any]], taken: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {id(e) for e in taken}
    return [e for e in entries if id(e) not in ids]


def output_index(entries: list[dict[str, Any]], *, synthetic: bool,
                 root: str | Path = "reports") -> str:
    """reports/index.md: every table and figure, its files, and the rule and program that
    make it (``entries``: manifest entries with ``program`` = a key of :data:`PROGRAMS`)."""
    lines = ["# Outputs", "",
             "Every table and figure of this run, the files it is written to, and the "
             "Snakemake rule and program that make it. `reports/report.html` shows them "
             "together; the CSV files hold the raw values.", ""]
    if synthetic:
        lines += ["**SYNTHETIC DATA: every output listed here derives from synthetic panels "
                  "(data/synthetic).**", ""]
    lines += ["| output | sample | files | rule | program |", "|---|---|---|---|---|"]
    for e in entries:
        path = Path(e["path"])
        rel = path.relative_to(root) if path.is_relative_to(root) else path
        stem = rel.with_suffix("")
        exts = sorted(q.suffix.lstrip(".") for q in path.parent.glob(f"{path.stem}.*")
                      if q.suffix != ".json" and q.name.count(".") == 1)
        files = ", ".join(f"[{x}]({stem}.{x})" for x in exts) or f"[{rel.name}]({rel})"
        rule, program = PROGRAMS[e.get("program", "report")]
        title = " ".join(str(e.get("title", "")).split()).replace("|", "\\|")
        lines.append(f"| {title} | {e.get('sample', '')} | {files} | `{rule}` | "
                     f"`{program}` |")
    return "\n".join(lines) + "\n"


def prune_stale(root: str | Path, keep: Iterable[str]) -> list[Path]:
    """Remove sample folders under ``root``/tables and ``root``/figures that this run does not
    make (a panel removed from the configuration leaves none behind); returns them."""
    import shutil

    keep = set(keep)
    gone = []
    for sub in ("tables", "figures"):
        base = Path(root) / sub
        if not base.is_dir():
            continue
        for d in sorted(base.iterdir()):
            if d.is_dir() and d.name not in keep:
                shutil.rmtree(d)
                gone.append(d)
    return gone


def _sample_html(summary: dict[str, Any], esc: Any) -> str:
    rows_text = "".join(
        f"<tr><td>{esc(name)}</td><td>{esc(p['file'])}</td><td>{p['rows_in']}</td>"
        f"<td>{p['rows_kept']}</td><td>{p['rows_excluded']}</td>"
        f"<td>{p['firms'].get('SME', 0)}</td><td>{p['firms'].get('non-SME', 0)}</td></tr>"
        for name, p in summary["panels"].items())
    out = (
        "<table><thead><tr><th>panel</th><th>file</th><th>rows in</th><th>kept</th>"
        "<th>excluded</th><th>SME firms</th><th>non-SME firms</th></tr></thead><tbody>"
        + rows_text + f"<tr><td><b>all</b></td><td></td><td>{summary['rows_in']}</td>"
        f"<td>{summary['rows_kept']}</td><td>{summary['rows_excluded']}</td>"
        f"<td>{summary['firms'].get('SME', 0)}</td><td>{summary['firms'].get('non-SME', 0)}"
        "</td></tr></tbody></table>"
        f"<p>Rows in = kept + excluded: <b>{'yes' if summary['reconciles'] else 'NO'}</b>.</p>")
    if summary.get("warnings"):
        out += ("<p><b>Data warnings</b> (also in the ingest logs):</p><ul>"
                + "".join(f"<li>{esc(w)}</li>" for w in summary["warnings"]) + "</ul>")
    return out


def _answer_html(config: dict[str, Any], specs: dict[str, Any], summary: dict[str, Any],
                 verdicts: pd.DataFrame, years: list[int], esc: Any) -> str:
    """The opening paragraph: what was run on what data, and the answer in one sentence."""
    from analysis.render.format import format_num

    panels = summary["panels"]
    n_syn = sum(1 for p in panels.values() if p.get("synthetic"))
    kind = ("synthetic" if n_syn == len(panels) else "real" if not n_syn
            else f"{n_syn} synthetic and {len(panels) - n_syn} real")
    default = specs["default_rule"]
    v = verdicts[(verdicts["rule"] == default) & (verdicts["sample"] == "all")]
    primary = v[~v["secondary"].astype(str).str.lower().isin(["true", "1"])]
    agree = int((primary["agree"] == "agree").sum())
    comparable = int(primary["agree"].isin(["agree", "differ"]).sum())
    supported = [h for h, x in zip(primary["hypothesis"], primary["verdict"], strict=True)
                 if x == "Supported"]
    return (
        f'<p class="answer">This run tested the study\'s hypotheses '
        f"{esc(', '.join(primary['hypothesis']))} on {len(panels)} {kind} panel(s) "
        f"({esc(', '.join(panels))}): {summary['firms']['firms']} firms "
        f"({summary['firms'].get('SME', 0)} SMEs, {summary['firms'].get('non-SME', 0)} "
        f"non-SMEs), {summary['rows_kept']} firm-years"
        + (f", {years[0]}–{years[-1]}" if years else "")
        + f"; size definition: {esc(summary['size_definition']['description'])}; "
        f"α = {format_num(config['alpha'], None)}. Under the study's own verdict rule "
        f"(<code>{esc(default)}</code>) "
        + (f"{esc(', '.join(supported))} {'is' if len(supported) == 1 else 'are'} supported"
           if supported else "no hypothesis is supported")
        + f", and {agree} of {comparable} verdicts agree with the study's Table 2. Table 2 "
        "below sets them beside the stricter rules; each hypothesis follows with its summary, "
        "one figure and its verdict, the SPSS output behind <i>details</i>.</p>")


def run_report(*, config: dict[str, Any], specs_path: str, summary_path: str,
               ledger_path: str, verdicts_path: str, results_path: str,
               table_manifests: list[str], figure_manifests: list[str],
               qualitative: dict[str, str], pathway_figure: str, pathway_caption: str,
               input_files: list[str], synthetic_config: str, out_html: str,
               out_provenance: str, out_qual_dir: str, out_index: str | None = None,
               believe_path: str | None = None) -> None:
    """Stage ``report``: the self-contained HTML report, provenance.json, qualitative tables,
    and reports/index.md.

    Reads exactly the files the rule declares (a missing one is an error). Tables and figures
    are chosen by their manifest entries' keys (``sample``, ``section``, ``stem``); the
    methods section describes the tests the pooled sample's results used (``results_path``).
    The report opens with the answer (what ran on what data, Table 2), then one compact
    section per hypothesis (summary table, forest plot, verdict; the SPSS tables and further
    figures behind ``<details>``); normality, test choices, the ledger, the countries and the
    provenance are folded. Sample folders of reports/tables and reports/figures that this run
    does not make are removed. ``out_index`` (default: reports/index.md beside ``out_html``)
    maps every table and figure to the rule and program that make it.

    ``believe_path`` is the record of the stage ``believe_published``: whether the published
    believe results (config ``believe_results``, committed) were computed from this run's
    inputs. The section "How much to believe each verdict" after Table 2 shows them when they
    were, and says they are for other inputs (and how to recompute them) when not; it links to
    ``believe.html`` beside the report, the detailed page of the simulation target ``believe``
    (workflow/rules/believe.smk), which the default run does not run.
    """
    import logging

    from analysis.config import load_yaml, size_definition
    from analysis.render.journal import joint_display_table
    from analysis.render.table import DEFAULT_FORMATS, _default_display, write_table
    from analysis.runlog import write_json

    log = logging.getLogger(__name__)
    esc = html.escape
    specs = load_yaml(specs_path)
    summary = json.loads(Path(summary_path).read_text(encoding="utf-8"))
    synthetic = bool(summary.get("synthetic"))
    ledger = pd.read_csv(ledger_path, dtype=str, keep_default_na=False)
    verdicts = pd.read_csv(verdicts_path, dtype=str, keep_default_na=False)
    used = pd.read_csv(results_path, dtype=str, keep_default_na=False,
                       usecols=["test", "year"])
    tests_used = used["test"].unique().tolist()
    years = sorted({int(y) for y in used["year"] if y.isdigit()})
    tables = [dict(e, program="tables") for e in load_manifests(table_manifests)]
    all_tables = _of_sample(tables, "all", "table")
    all_figures = [dict(e, program="figures") for e in load_manifests(figure_manifests)]
    figures = _of_sample(all_figures, "all", "figure")
    size_def = size_definition(config["derive"], config["presets_dir"])
    reports_root = Path(out_html).parent

    # qualitative tables (rendered here, next to the report)
    qual_items: list[dict[str, Any]] = []
    for stem, key, sec, title, note in QUALITATIVE_TABLES:
        df = pd.read_csv(qualitative[key], keep_default_na=False, na_values=[""])
        syn = synthetic if key in ("pathway_mix", "pathway_crosstab") else False
        shown = [c for c in QUALITATIVE_SHOWN.get(stem, list(df.columns)) if c in df.columns]
        # codes and headers with spaces for underscores, so that they read and wrap
        display = _default_display(df[shown]).map(lambda v: str(v).replace("_", " "))
        display.columns = [str(c).replace("_", " ") for c in shown]
        if len(shown) < len(df.columns):
            note = " ".join(filter(None, [note, "Further columns in the CSV."]))
        write_table(df, stem, DEFAULT_FORMATS, title=title, notes=[note] if note else [],
                    outdir=out_qual_dir, synthetic=syn, display=display)
        qual_items.append({"kind": "table", "section": sec, "stem": stem, "title": title,
                           "path": str(Path(out_qual_dir) / f"{stem}.html"),
                           "sample": "qualitative", "program": "report"})
    joint = joint_display_table(
        pd.read_csv(qualitative["joint_display"], keep_default_na=False, na_values=[""]),
        synthetic=synthetic)
    joint.write(out_qual_dir, DEFAULT_FORMATS)
    qual_items.append({"kind": "table", "section": "integration", "stem": joint.stem,
                       "title": joint.title, "sample": "qualitative", "program": "report",
                       "path": str(Path(out_qual_dir) / f"{joint.stem}.html")})

    ledger_html = ("<p>No row was excluded.</p>" if ledger.empty else
                   f"<p>{len(ledger)} excluded rows, each with its reason "
                   "(<code>results/pooled/exclusions.csv</code>):</p>" + frame_html(ledger))
    t2 = _entries(all_tables, "Verdicts")
    believe_note = ('<p class="note">How much to believe each verdict (power, false support '
                    "under no effect, specifications supporting, the chance of reproducing the "
                    "study): the next section, and <a href=\"believe.html\">believe.html</a> "
                    "in detail.</p>")
    sample_tables = _entries(all_tables, "Sample")
    table1 = _stem(sample_tables, "table1")
    sections: list[dict[str, Any]] = [
        {"title": "What was run, on what data",
         "html": _answer_html(config, specs, summary, verdicts, years, esc)
         + _sample_html(summary, esc), "items": table1,
         "more": _without(sample_tables, table1), "more_title": "Sample tables by country "
         "and year, descriptive statistics by firm-year"},
        {"title": "Table 2: the study's verdicts beside this run's", "items": t2,
         "html": believe_note},
    ]
    if believe_path:
        from analysis.render.believe import TITLE, report_section

        record = json.loads(Path(believe_path).read_text(encoding="utf-8"))
        sections.append({"title": TITLE, "html": report_section(record)})
    default = verdicts[(verdicts["rule"] == specs["default_rule"])
                       & (verdicts["sample"] == "all")].set_index("hypothesis")
    for hyp, h in specs["hypotheses"].items():
        v = default.loc[hyp] if hyp in default.index else None
        agree = v["agree"] if v is not None else "n/a"
        head = (f"<p><i>{esc(' '.join(str(h.get('statement', '')).split()))}</i> "
                f"The study reports: {esc(' '.join(str(h.get('study_reports', '')).split()))}"
                f" (Table 2: <b>{esc(h['study_verdict'])}</b>).</p>")
        if v is not None:
            head += (f"<p><b>Verdict</b> (rule <code>{esc(specs['default_rule'])}</code>): <b>"
                     f"{esc(v['verdict'])}</b> <span class=\"verdict-{esc(agree)}\">"
                     f"({esc(agree)})</span>. {esc(v['summary'])}</p>")
        hyp_tables = _entries(all_tables, hyp)
        hyp_figures = _entries(figures, hyp)
        shown = _stem(hyp_tables, f"{hyp}_overview") + _stem(hyp_figures, f"forest_{hyp}")
        sections.append({"title": f"{hyp}: {h['label']}", "html": head, "items": shown,
                         "more": _without(hyp_tables + hyp_figures, shown),
                         "more_title": f"SPSS output and further figures of {hyp}"})
    qual_fig = {"kind": "figure", "section": "pathways", "title": "Pathway mix of the panel firms",
                "path": pathway_figure, "sample": "all", "program": "pathways",
                "caption": Path(pathway_caption).read_text(encoding="utf-8").strip()}
    sections.append({"title": "Integration: joint display",
                     "items": _entries(qual_items, "integration")})
    cases = _entries(qual_items, "cases")
    sections.append({"title": "Qualitative arm: the eight case firms", "items": cases[:1],
                     "more": cases[1:], "more_title": "Cross-case matrix, the study's "
                     "internal disagreements and numeric claims"})
    sections.append({"title": "Pathways of the panel firms", "items": [qual_fig],
                     "more": _entries(qual_items, "pathways"),
                     "more_title": "Pathway tables"})
    across = _entries(all_tables, "Across samples") + _entries(figures, "Across samples")
    for e in tables:
        if e["stem"] == "table2_verdicts" and e["sample"] != "all":
            across.append(dict(e, title=f"{e['title']} ({e['sample']})"))
    if across:
        sections.append({"title": "Countries compared", "items": across, "folded": True,
                         "folded_title": "Show the cross-sample table, forest plots by "
                         "country and each country's Table 2"})
    sections.append({"title": "Normality and the test choices it implies",
                     "items": _entries(all_tables, "Normality") + _entries(figures, "Normality"),
                     "folded": True, "folded_title": "Show the Tests of Normality, the test "
                     "chosen for each metric comparison and why, and the Q-Q plots"})
    sections.append({"title": "Exclusions ledger", "html": ledger_html, "folded": True,
                     "folded_title": f"Show the {len(ledger)} excluded rows"})
    methods = methods_text(config, specs, size_def, summary, tests_used)
    cut = methods.find("<p><b>Hypotheses</b>")
    sections.append({"title": "Methods (generated from the configuration)",
                     "html": methods[:cut] if cut > 0 else methods,
                     "more": [{"kind": "html", "html": methods[cut:]}] if cut > 0 else [],
                     "more_title": "Every test spec and verdict rule"})

    syn_params = load_yaml(synthetic_config) if synthetic else None
    prov = provenance(config, input_files, syn_params)
    prov_rows = "".join(f"<tr><td><code>{esc(p)}</code></td><td><code>{d['sha256']}</code></td>"
                        f"<td>{d['bytes']}</td></tr>" for p, d in prov["inputs"].items())
    pkg_rows = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>"
                       for k, v in prov["packages"].items())
    prov_html = (
        f"<p>Date {esc(prov['date'])}; Python {esc(prov['python'])}; commit "
        f"<code>{esc(str(prov['git']['commit']))}</code>"
        + (" (uncommitted changes present)" if prov["git"]["dirty"] else "")
        + (f"; synthetic data, seed <code>{prov['seed']}</code>" if synthetic else "")
        + ". The full resolved configuration is in <code>reports/provenance.json</code>; every "
        "output with the rule and program that make it in <code>reports/index.md</code>.</p>")
    prov_more = (
        "<table><thead><tr><th>input</th><th>SHA-256</th><th>bytes</th></tr></thead><tbody>"
        + prov_rows + "</tbody></table><table><thead><tr><th>package</th><th>version</th></tr>"
        "</thead><tbody>" + pkg_rows + "</tbody></table>"
        "<pre>" + esc(json.dumps(config, indent=2, sort_keys=True, default=str)) + "</pre>")
    sections.append({"title": "Provenance", "html": prov_html,
                     "more": [{"kind": "html", "html": prov_more}],
                     "more_title": "Input checksums, package versions, configuration"})

    title = "Replication report: internationalization of SMEs in developing countries"
    if synthetic:
        title += " (SYNTHETIC DATA)"
    text = build_report(title=title, synthetic=synthetic, sections=sections,
                        provenance_record=prov)
    Path(out_html).write_text(text, encoding="utf-8")
    write_json(prov, out_provenance)
    samples = sorted({str(e["sample"]) for e in tables} | {"qualitative"})
    for gone in prune_stale(reports_root, samples):
        log.info("removed %s: this run does not make it", gone)
    index = [*all_tables, *figures, qual_fig, *qual_items,
             *[e for e in tables if e["sample"] != "all"],
             *[e for e in all_figures if e["sample"] != "all"]]
    index_path = Path(out_index) if out_index else reports_root / "index.md"
    index_path.write_text(output_index(index, synthetic=synthetic, root=reports_root),
                          encoding="utf-8")
    log.info("report: %d sections, %d bytes", len(sections), len(text))

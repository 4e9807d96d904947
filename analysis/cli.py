"""``sme-intl``: the common jobs in one command, thin over Snakemake, with progress shown.

    sme-intl reproduce [--cores N]            the whole pipeline on the configured panels
    sme-intl run SHEET [--cores N]            the pipeline on your panels (a panel sheet)
    sme-intl check FILE [--preset wbes] ...   ingest and validate one file, print its ledger
    sme-intl believe [--cores N] [--publish]  the believe simulations; --publish copies their
                                              summary to where the report reads it
    sme-intl open                             open reports/report.html in a browser

Every command runs Snakemake in the repository (the current directory) and prints one line
per job and the progress Snakemake reports; the full Snakemake output goes to
``logs/cli/<command>.log`` and its last lines are printed when a run fails. Anything after
``--`` is passed to Snakemake unchanged (``sme-intl reproduce -- -n``).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPORT = Path("reports/report.html")
_PROGRESS = re.compile(r"^(\d+) of (\d+) steps \((\d+%)\) done")
_RULE = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):")
_WILDCARDS = re.compile(r"^\s+wildcards: (.*)")


def snakemake_command(*args: str) -> list[str]:
    """Snakemake of this Python environment (``python -m snakemake``) with ``args``."""
    return [sys.executable, "-m", "snakemake", *args]


def run_snakemake(args: Sequence[str], *, log: Path, out: object = None) -> int:
    """Run Snakemake with ``args``; print one line per job and each progress line.

    Returns Snakemake's exit code. The whole output is written to ``log``.
    """
    out = out or sys.stdout
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = snakemake_command(*args)
    print("+ snakemake " + " ".join(args), file=out, flush=True)
    job: str | None = None
    with log.open("w", encoding="utf-8") as fh, subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:
            fh.write(line)
            lines.append(line)
            text = line.rstrip("\n")
            if m := _RULE.match(text):
                job = m.group(1)
                continue
            if job and (m := _WILDCARDS.match(text)):
                print(f"  running {job} ({m.group(1)})", file=out, flush=True)
                job = None
                continue
            if job and not text.startswith(" "):
                print(f"  running {job}", file=out, flush=True)
                job = None
            if m := _PROGRESS.match(text):
                print(f"[{m.group(1):>3}/{m.group(2)} {m.group(3):>4}] done", file=out,
                      flush=True)
            elif text.startswith(("Nothing to be done", "Error", "MissingInputException",
                                  "WorkflowError")) or "error" in text.lower()[:40]:
                print("  " + text, file=out, flush=True)
        code = proc.wait()
    if code:
        tail = "".join(lines[-40:])
        print(f"Snakemake failed (exit {code}); last lines (all in {log}):\n{tail}",
              file=out, flush=True)
    return code


def _cores(ns: argparse.Namespace) -> list[str]:
    return ["--cores", str(ns.cores)]


def cmd_reproduce(ns: argparse.Namespace) -> int:
    code = run_snakemake([*_cores(ns), *ns.extra], log=Path("logs/cli/reproduce.log"))
    if not code:
        print(f"Report: {REPORT} (sme-intl open); every output: reports/index.md")
    return code


def cmd_run(ns: argparse.Namespace) -> int:
    sheet = Path(ns.sheet)
    if not sheet.is_file():
        print(f"no panel sheet at {sheet} (see config/README.md)", file=sys.stderr)
        return 2
    code = run_snakemake([*_cores(ns), "--config", f"panels_file={sheet}", *ns.extra],
                         log=Path("logs/cli/run.log"))
    if not code:
        print(f"Report: {REPORT} (sme-intl open); every output: reports/index.md")
    return code


def check_entry(ns: argparse.Namespace) -> tuple[str, dict[str, object]]:
    """The panel name and entry that ``check`` runs: from a sheet, or built from the flags."""
    import yaml

    if ns.sheet:
        panels = yaml.safe_load(Path(ns.sheet).read_text(encoding="utf-8")) or {}
        name = ns.panel or (next(iter(panels)) if len(panels) == 1 else None)
        if name not in panels:
            raise SystemExit(f"--panel: choose one of {sorted(panels)} in {ns.sheet}")
        return str(name), dict(panels[name])
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(ns.file).stem).strip("_") or "panel"
    mapping: dict[str, object] = {}
    if ns.preset:
        mapping["preset"] = ns.preset
    if ns.country:
        mapping["constants"] = {"country": ns.country}
    entry: dict[str, object] = {"path": str(ns.file), "on_invalid": "exclude"}
    if ns.comment:
        entry["read"] = {"comment": ns.comment}
    if mapping:
        entry["mapping"] = mapping
    return f"check_{stem}", entry


def cmd_check(ns: argparse.Namespace) -> int:
    import json

    import pandas as pd
    import yaml

    name, entry = check_entry(ns)
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "panel.yaml"
        sheet.write_text(yaml.safe_dump({name: entry}, sort_keys=False), encoding="utf-8")
        targets = [f"results/panels/{name}.exclusions.csv", f"results/panels/{name}.summary.json"]
        code = run_snakemake(["--cores", "1", "--config", f"panels_file={sheet}",
                              "--force", *targets, *ns.extra],
                             log=Path("logs/cli/check.log"))
    if code:
        return code
    summary = json.loads(Path(targets[1]).read_text(encoding="utf-8"))
    ledger = pd.read_csv(targets[0], dtype=str, keep_default_na=False)
    firms = summary.get("firms", {})
    print(f"\n{entry['path']}: {summary['rows_in']} rows read, {summary['rows_kept']} kept, "
          f"{summary['rows_excluded']} excluded (reconciles: "
          f"{'yes' if summary.get('reconciles') else 'NO'}); {firms.get('firms', 0)} firms "
          f"({firms.get('SME', 0)} SMEs, {firms.get('non-SME', 0)} non-SMEs)")
    for w in summary.get("warnings", []):
        print(f"warning: {w}")
    if ledger.empty:
        print("Ledger: no row was excluded.")
        return 0
    reason = next((c for c in ("reason", "message") if c in ledger), ledger.columns[-1])
    print(f"Ledger ({targets[0]}), excluded rows by reason:")
    for text, n in ledger[reason].value_counts().items():
        print(f"  {n:>5}  {text}")
    with pd.option_context("display.max_colwidth", 80, "display.width", 160):
        print(ledger.head(ns.rows).to_string(index=False))
    if len(ledger) > ns.rows:
        print(f"... {len(ledger) - ns.rows} more rows in {targets[0]}")
    return 0


def publish_command(*args: str) -> list[str]:
    """The program that publishes the believe summary (``python -m
    analysis.believe.publish``), with ``args``."""
    return [sys.executable, "-m", "analysis.believe.publish", *args]


def cmd_believe(ns: argparse.Namespace) -> int:
    """Run the believe simulations (target ``believe``); with ``--publish`` copy their summary
    to the configuration's ``believe_results`` (data/believe/summary.csv), where the report
    reads it, once it was computed from the configuration's inputs."""
    if not ns.no_run:
        code = run_snakemake([*_cores(ns), "believe", *ns.extra],
                             log=Path("logs/cli/believe.log"))
        if code:
            return code
    if not ns.publish:
        print("Results: results/believe/ and reports/believe.html; `sme-intl believe "
              "--publish` makes the report show them")
        return 0
    return subprocess.run(publish_command("--config", ns.config), check=False).returncode


def cmd_open(ns: argparse.Namespace) -> int:
    import webbrowser

    path = REPORT.resolve()
    if not path.is_file():
        print(f"{REPORT} does not exist yet: run `sme-intl reproduce`", file=sys.stderr)
        return 1
    print(path.as_uri())
    if not ns.print_only and not webbrowser.open(path.as_uri()):
        print("no browser found: open the address above", file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sme-intl", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="run the whole pipeline on the configured panels")
    rep.add_argument("--cores", type=int, default=2)
    rep.set_defaults(func=cmd_reproduce)
    run = sub.add_parser("run", help="run the pipeline on your panels (a panel sheet)")
    run.add_argument("sheet", help="panel sheet (YAML; see config/README.md)")
    run.add_argument("--cores", type=int, default=2)
    run.set_defaults(func=cmd_run)
    chk = sub.add_parser("check", help="ingest and validate one file; print its ledger")
    chk.add_argument("file", nargs="?", help="the panel file (CSV, Parquet, .dta, .sav, .xlsx)")
    chk.add_argument("--preset", help="mapping preset, e.g. wbes (config/presets/)")
    chk.add_argument("--country", help="country of every row (when the file has none)")
    chk.add_argument("--comment", help="skip whole lines starting with this character")
    chk.add_argument("--sheet", help="take the panel entry from this panel sheet instead")
    chk.add_argument("--panel", help="which panel of --sheet (when it has several)")
    chk.add_argument("--rows", type=int, default=20, help="ledger rows to print")
    chk.set_defaults(func=cmd_check)
    bel = sub.add_parser("believe", help="run the believe simulations; --publish copies "
                         "their summary to where the report reads it")
    bel.add_argument("--cores", type=int, default=2)
    bel.add_argument("--publish", action="store_true",
                     help="copy results/believe/summary.csv and summary.json to the "
                     "configuration's believe_results")
    bel.add_argument("--no-run", action="store_true",
                     help="do not run Snakemake first (publish what results/believe holds)")
    bel.add_argument("--config", default="config/config.yaml",
                     help="the configuration whose inputs and believe_results count")
    bel.set_defaults(func=cmd_believe)
    opn = sub.add_parser("open", help="open reports/report.html in a browser")
    opn.add_argument("--print-only", action="store_true", help="only print its address")
    opn.set_defaults(func=cmd_open)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ns = parser().parse_args(argv)
    ns.extra = extra
    if ns.command == "check" and not (ns.file or ns.sheet):
        parser().error("check: give a FILE or --sheet")
    return int(ns.func(ns))


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: cold default run, the same work in one process, and scaling to large panels.

    python workflow/benchmark/benchmark.py                 # cold run + in-process baseline
    python workflow/benchmark/benchmark.py --scale 10 100 1000 2924   # + large panels

Reports (stdout, and JSON with --json FILE):

* cold run: wall time of ``snakemake --cores N`` in a fresh copy of the repository (no results,
  no .snakemake), peak memory of the largest job, number of jobs, and per-job overhead =
  (cold wall time x cores used - in-process time) / jobs, an upper bound;
* baseline: wall time of ONE Python process that imports the libraries and computes the same
  tables and figures once (every stage function called in turn, no Snakemake);
* ratio = cold wall / baseline wall (the target is <= 2);
* with --scale: ingest + validate + hypotheses on a synthetic panel of 114 x S firms x 3 years,
  in one process, time and rows per second (near-linear scaling keeps rows/s roughly flat).

This is a measurement tool, not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def fresh_copy(dest: Path) -> Path:
    """Copy the tracked files of the repository (as a clean clone would have them)."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split("\n")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def cold_run(cores: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = fresh_copy(Path(tmp) / "repo")
        shutil.rmtree(work / "reports", ignore_errors=True)
        env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores),
                               "--quiet", "all"], cwd=work, capture_output=True, text=True,
                              env=env)
        wall = time.perf_counter() - start
        if proc.returncode:
            raise SystemExit(f"snakemake failed:\n{proc.stderr[-3000:]}")
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        jobs = sorted((work / "benchmarks").rglob("*.tsv"))
        job_s = []
        for j in jobs:
            lines = j.read_text().splitlines()
            job_s.append(float(lines[1].split("\t")[0]))
        return {"wall_s": wall, "peak_rss_mb": peak_kb / 1024, "jobs": len(jobs),
                "sum_job_s": sum(job_s), "cores": cores}


def in_process(workdir: Path) -> float:
    """Wall time of workflow/benchmark/inprocess.py (every stage in one process), imports
    included."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "workflow/benchmark/inprocess.py"], cwd=workdir,
                          capture_output=True, text=True,
                          env=dict(os.environ, SOURCE_DATE_EPOCH="1700000000"))
    if proc.returncode:
        raise SystemExit(f"in-process baseline failed:\n{proc.stderr[-3000:]}")
    print(proc.stdout, end="")
    return time.perf_counter() - start


def scaling(scales: list[int]) -> list[dict]:
    code = r"""
import sys, time, json
import pandas as pd
from analysis.config import load_yaml
from analysis.data.synthetic import generate
from analysis.data.ingest import apply_mapping
from analysis.data.validate import validate_panel
from analysis.data.derive import derive_variables
from analysis.engine.comparisons import run_hypotheses
from analysis.engine.specs import load_specs
scale = int(sys.argv[1])
params = load_yaml("config/synthetic.yaml")
cb = load_yaml("data/codebook.yaml")
t0 = time.perf_counter()
raw = generate(params, scale=scale)
t1 = time.perf_counter()
raw.insert(0, "_row", range(1, len(raw) + 1))
canon, _, _ = apply_mapping(raw, {"yes_no": {"codes": {"yes": [1], "no": [0]}}}, cb,
                            panel="bench", path="generated")
kept, _ = validate_panel(canon, cb, panel="bench", path="generated")
derived, _ = derive_variables(kept, size_def={"min_employees": 11, "sme_max_employees": 199},
                              size_status="first_year",
                              doi_bands={"cuts": [10, 40],
                                         "labels": ["none", "low", "medium", "high"]},
                              panel="bench", path="generated")
t2 = time.perf_counter()
specs = load_specs("config/hypotheses.yaml")
specs["hypotheses"] = {k: v for k, v in specs["hypotheses"].items() if k in ("H1", "H2", "H3")}
run_hypotheses(derived, specs)
t3 = time.perf_counter()
print(json.dumps({"scale": scale, "rows": len(raw), "generate_s": t1 - t0,
                  "ingest_validate_s": t2 - t1, "hypotheses_H1_H3_s": t3 - t2}))
"""
    out = []
    for s in scales:
        proc = subprocess.run([sys.executable, "-c", code, str(s)], cwd=ROOT,
                              capture_output=True, text=True)
        if proc.returncode:
            raise SystemExit(proc.stderr[-3000:])
        rec = json.loads(proc.stdout.strip().splitlines()[-1])
        total = rec["ingest_validate_s"] + rec["hypotheses_H1_H3_s"]
        rec["rows_per_s"] = rec["rows"] / total
        out.append(rec)
        print(f"scale {s:>5}: {rec['rows']:>9} firm-years  generate {rec['generate_s']:.2f} s  "
              f"ingest+validate {rec['ingest_validate_s']:.2f} s  H1-H3 "
              f"{rec['hypotheses_H1_H3_s']:.2f} s  ({rec['rows_per_s']:.0f} rows/s)", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="Benchmark the pipeline")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--scale", type=int, nargs="*", default=[])
    ap.add_argument("--skip-cold", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    report: dict = {}
    if not args.skip_cold:
        cold = cold_run(args.cores)
        with tempfile.TemporaryDirectory() as tmp:
            work = fresh_copy(Path(tmp) / "repo")
            base = in_process(work)
        cold["baseline_s"] = base
        cold["ratio"] = cold["wall_s"] / base
        cold["overhead_per_job_s"] = max(cold["wall_s"] * args.cores - base, 0) / cold["jobs"]
        report["cold"] = cold
        print(f"cold run ({args.cores} cores): {cold['wall_s']:.1f} s wall, {cold['jobs']} jobs, "
              f"peak job memory {cold['peak_rss_mb']:.0f} MB")
        print(f"one process, same work: {base:.1f} s  -> ratio {cold['ratio']:.2f}")
        print(f"per-job overhead (upper bound): {cold['overhead_per_job_s']:.2f} s")
    if args.scale:
        report["scaling"] = scaling(args.scale)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Benchmark of the whole pipeline through Snakemake, side by side with the import floor.

    python workflow/benchmark/benchmark.py                      # cold run, reruns, floor
    python workflow/benchmark/benchmark.py --scale 29 292 2924  # + the scale ladder
    python workflow/benchmark/benchmark.py --skip-cold --scale 2924 --json out.json

Every measure runs ``snakemake --cores N`` in a fresh copy of the repository's tracked files
(no results, no .snakemake, no reports), exactly as a new user would:

* floor: one Python process that only imports pandas, scipy.stats, statsmodels.api, pyarrow,
  matplotlib.pyplot and seaborn: what any single analysis process pays before doing anything;
* cold: the default run from nothing;
* rerun_hypothesis: after the cold run, one hypothesis's label in config/hypotheses.yaml is
  edited and Snakemake reruns what depends on it;
* rerun_panel: after that, one more panel (a copy of a synthetic country under a new name) is
  added through a config overlay and Snakemake reruns what depends on it;
* scale S: one synthetic panel of 114 x S firms x 3 years (S = 29, 292, 2924 give about 10^4,
  10^5 and 10^6 firm-years) as a CSV, run end to end (ingest to report) as the only panel.

The floor and each run alternate (floor, run, floor, run, ...) ``--repeat`` times and the
medians are reported, so a busy machine slows both sides of each ratio alike. Per-job wall
time and peak memory come from Snakemake's benchmark files (``benchmarks/``); a stage's growth
exponent between two scales is log(time ratio) / log(size ratio) (1 is linear; n log n is a
little above 1 at these sizes).

This is a measurement tool, not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLOOR = "import pandas, scipy.stats, statsmodels.api, pyarrow, matplotlib.pyplot, seaborn"
ENV = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")


def fresh_copy(dest: Path) -> Path:
    """The tracked files of the repository (as a clean clone has them), without outputs."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    for rel in files:
        src = ROOT / rel
        if src.is_file() and not rel.startswith("reports/"):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def floor() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", FLOOR], check=True)
    return time.perf_counter() - start


def snakemake(work: Path, cores: int, *extra: str) -> dict:
    """Run snakemake in ``work``; wall time and the jobs it ran (from benchmarks/)."""
    shutil.rmtree(work / "benchmarks", ignore_errors=True)
    start = time.perf_counter()
    # the default target; `--quiet all` silences every kind of message
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores), "--quiet",
                           "all", *extra], cwd=work, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"snakemake failed in {work}:\n{(proc.stdout + proc.stderr)[-4000:]}")
    jobs = {}
    for tsv in sorted((work / "benchmarks").rglob("*.tsv")):
        head, row = tsv.read_text().splitlines()[:2]
        rec = dict(zip(head.split("\t"), row.split("\t"), strict=False))
        jobs[str(tsv.relative_to(work / "benchmarks").with_suffix(""))] = {
            "s": float(rec["s"]), "max_rss_mb": float(rec.get("max_rss", "nan") or "nan")}
    return {"wall_s": wall, "jobs": jobs}


def _edit_hypothesis(work: Path) -> None:
    path = work / "config" / "hypotheses.yaml"
    text = path.read_text(encoding="utf-8")
    marker = "label: "
    i = text.index(marker) + len(marker)
    path.write_text(text[:i] + "Edited " + text[i:], encoding="utf-8")


def _add_panel(work: Path) -> list[str]:
    src = work / "data" / "synthetic" / "india.csv"
    # firm ids are unique across panels: the copy's firms get ids of their own
    (work / "data" / "synthetic" / "extra.csv").write_text(
        src.read_text(encoding="utf-8").replace("IND-", "XTR-"), encoding="utf-8")
    overlay = work / "config" / "bench_extra_panel.yaml"
    overlay.write_text(
        "panels:\n  extra:\n    path: data/synthetic/extra.csv\n    synthetic: true\n"
        "    read: {comment: '#'}\n    mapping: {preset: synthetic}\n", encoding="utf-8")
    return ["--configfile", "config/config.yaml", str(overlay.relative_to(work))]


def default_runs(cores: int, repeat: int) -> dict:
    """Cold run, the two reruns and the floor, alternating, ``repeat`` times; medians."""
    out: dict[str, list] = {"floor_s": [], "cold_s": [], "rerun_hypothesis_s": [],
                            "rerun_panel_s": [], "cold_jobs": []}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            work = fresh_copy(Path(tmp) / "repo")
            out["floor_s"].append(floor())
            cold = snakemake(work, cores)
            out["cold_s"].append(cold["wall_s"])
            out["cold_jobs"].append(cold["jobs"])
            out["floor_s"].append(floor())
            _edit_hypothesis(work)
            out["rerun_hypothesis_s"].append(snakemake(work, cores)["wall_s"])
            out["floor_s"].append(floor())
            extra = _add_panel(work)
            out["rerun_panel_s"].append(snakemake(work, cores, *extra)["wall_s"])
    med = {k: statistics.median(v) for k, v in out.items() if k.endswith("_s")}
    res = {"cores": cores, "repeat": repeat, **med, "runs": out}
    for k in ("cold_s", "rerun_hypothesis_s", "rerun_panel_s"):
        res[k.replace("_s", "_ratio")] = med[k] / med["floor_s"]
    last = out["cold_jobs"][-1]
    res["cold_job_count"] = len(last)
    res["cold_peak_job_rss_mb"] = max((j["max_rss_mb"] for j in last.values()), default=0)
    return res


def scale_run(scale: int, cores: int) -> dict:
    """One synthetic panel of 114 x ``scale`` firms x 3 years, end to end."""
    sys.path.insert(0, str(ROOT))
    from analysis.config import load_yaml
    from analysis.data.synthetic import generate, to_csv_text

    with tempfile.TemporaryDirectory() as tmp:
        work = fresh_copy(Path(tmp) / "repo")
        params = load_yaml(work / "config" / "synthetic.yaml")
        panel = generate(params, scale=scale)
        data = work / "data" / "bench.csv"
        data.write_text(to_csv_text(panel, params.get("seed", 0)), encoding="utf-8")
        sheet = work / "config" / "bench_panels.yaml"
        sheet.write_text("bench:\n  path: data/bench.csv\n  synthetic: true\n"
                         "  read: {comment: '#'}\n  mapping: {preset: synthetic}\n",
                         encoding="utf-8")
        fl = floor()
        run = snakemake(work, cores, "--config", f"panels_file={sheet.relative_to(work)}")
    stages: dict[str, float] = {}
    for name, job in run["jobs"].items():
        stage = name.split("/")[0]
        stages[stage] = stages.get(stage, 0.0) + job["s"]
    return {"scale": scale, "firm_years": len(panel), "wall_s": run["wall_s"], "floor_s": fl,
            "peak_job_rss_mb": max(j["max_rss_mb"] for j in run["jobs"].values()),
            "stages_s": stages}


def growth(ladder: list[dict]) -> list[dict]:
    """Per stage, the exponent of time growth between consecutive scales."""
    out = []
    for a, b in zip(ladder, ladder[1:], strict=False):
        size = b["firm_years"] / a["firm_years"]
        exps = {st: math.log(max(b["stages_s"][st], 1e-3) / max(a["stages_s"].get(st, 1e-3),
                                                                   1e-3)) / math.log(size)
                for st in b["stages_s"]}
        out.append({"from": a["firm_years"], "to": b["firm_years"], "exponents": exps})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="default-data runs (medians)")
    ap.add_argument("--scale", type=int, nargs="*", default=[],
                    help="generator scales for the ladder (29 292 2924 = 10^4 10^5 10^6)")
    ap.add_argument("--skip-cold", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    report: dict = {}
    if not args.skip_cold:
        d = default_runs(args.cores, args.repeat)
        report["default"] = d
        print(f"floor (imports only)      {d['floor_s']:6.1f} s")
        print(f"cold run                  {d['cold_s']:6.1f} s  = {d['cold_ratio']:.1f} x floor"
              f"  ({d['cold_job_count']} jobs, peak job {d['cold_peak_job_rss_mb']:.0f} MB)")
        print(f"rerun, one hypothesis     {d['rerun_hypothesis_s']:6.1f} s  = "
              f"{d['rerun_hypothesis_ratio']:.1f} x floor")
        print(f"rerun, one more panel     {d['rerun_panel_s']:6.1f} s  = "
              f"{d['rerun_panel_ratio']:.1f} x floor")
        print("cold run per job (s):", json.dumps(
            {k: round(v["s"], 2) for k, v in d["runs"]["cold_jobs"][-1].items()}))
    if args.scale:
        ladder = []
        for s in args.scale:
            r = scale_run(s, args.cores)
            ladder.append(r)
            print(f"{r['firm_years']:>9} firm-years: {r['wall_s']:7.1f} s end to end, peak job "
                  f"{r['peak_job_rss_mb']:.0f} MB; stages "
                  + ", ".join(f"{k} {v:.1f}" for k, v in r["stages_s"].items()), flush=True)
        report["scale"] = ladder
        report["growth"] = growth(ladder)
        for g in report["growth"]:
            worst = max(g["exponents"].items(), key=lambda kv: kv[1])
            print(f"growth {g['from']} -> {g['to']}: largest exponent {worst[1]:.2f} "
                  f"({worst[0]})")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Engine benchmark: the cost of one comparison and of every hypothesis of one sample.

Builds the default pooled panel in this process (the synthetic generator at scale 1, mapped,
validated and derived exactly as the pipeline does), then, after imports and one warm-up run,
times ``run_hypotheses`` over all of H1-H5 and S1 (``--repeat`` runs, median) and every single
comparison inside it (median and 90th percentile over all comparisons of all runs).

    python workflow/benchmark/engine.py            # the default panel (342 firm-years)
    python workflow/benchmark/engine.py --scale 10 # a panel 10 times larger

Targets (issue "statistics engine"): one comparison at most 1 ms median; all of H1-H5 and S1
for one sample at most 0.25 s in one process after imports.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def default_panel(scale: int = 1):
    """The pooled synthetic panel as the pipeline derives it."""
    from analysis.config import load_yaml, size_definition
    from analysis.data.derive import derive_variables
    from analysis.data.ingest import apply_mapping
    from analysis.data.synthetic import generate
    from analysis.data.validate import validate_panel

    cfg = load_yaml(ROOT / "config/config.yaml")
    params = load_yaml(ROOT / "config/synthetic.yaml")
    cb = load_yaml(ROOT / "data/codebook.yaml")
    raw = generate(params, scale=scale)
    raw.insert(0, "_row", range(1, len(raw) + 1))
    canon, _, _ = apply_mapping(raw, {"yes_no": {"codes": {"yes": [1], "no": [0]}}}, cb,
                                panel="bench", path="generated")
    kept, _ = validate_panel(canon, cb, panel="bench", path="generated")
    derived, _ = derive_variables(
        kept, size_def=size_definition(cfg["derive"], ROOT / "config/presets"),
        size_status=cfg["derive"]["size_status"], doi_bands=cfg["derive"]["doi_bands"],
        panel="bench", path="generated")
    derived["synthetic"] = True
    return derived


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    import analysis.engine.comparisons as engine
    from analysis.engine.specs import load_specs

    panel = default_panel(args.scale)
    specs = load_specs(ROOT / "config/hypotheses.yaml")
    engine.run_hypotheses(panel, specs)  # warm-up: imports inside functions, caches

    timings: list[float] = []
    inner = engine.run_comparison

    def timed(*a, **k):
        t = time.perf_counter()
        try:
            return inner(*a, **k)
        finally:
            timings.append(time.perf_counter() - t)

    totals = []
    engine.run_comparison = timed
    try:
        for _ in range(args.repeat):
            t = time.perf_counter()
            res = engine.run_hypotheses(panel, specs)
            totals.append(time.perf_counter() - t)
    finally:
        engine.run_comparison = inner
    n = int((res["role"] == "test").sum())
    timings.sort()
    out = {"firm_years": len(panel), "comparisons": n,
           "comparison_median_ms": 1000 * statistics.median(timings),
           "comparison_p90_ms": 1000 * timings[int(0.9 * (len(timings) - 1))],
           "sample_total_s": statistics.median(totals)}
    print(f"{out['firm_years']} firm-years, {n} comparisons (H1-H5, S1): one comparison "
          f"{out['comparison_median_ms']:.2f} ms median ({out['comparison_p90_ms']:.2f} ms p90), "
          f"all of one sample {out['sample_total_s']:.3f} s (median of {args.repeat})")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()

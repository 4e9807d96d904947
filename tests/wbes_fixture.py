"""A small panel in the WBES layout with a survey design, written by the tests (not committed).

Two survey waves of ``n_firms`` establishments: the WBES questions the preset maps (idstd, year,
l1, b5, a4a, d3b, d3c, b8, h1), the stratification variables (a6a size stratum, a4a sector,
a2 region) and three sampling weights (wmedian, and the alternatives wstrict and wweak).
Deterministic (a seeded ``random.Random``), so a run on it is reproducible.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

COLUMNS = ["idstd", "year", "a2", "a4a", "a6a", "l1", "b5", "d3b", "d3c", "b8", "h1",
           "wmedian", "wstrict", "wweak"]


def wbes_rows(n_firms: int = 40, seed: int = 7, years: tuple[int, ...] = (2017, 2019),
              prefix: str = "PE") -> list[dict[str, str]]:
    rnd = random.Random(seed)
    rows = []
    for i in range(1, n_firms + 1):
        large = i % 2 == 0
        base = rnd.randint(120, 600) if large else rnd.randint(12, 90)
        founded = rnd.randint(1960, 2010)
        exporter = rnd.random() < (0.7 if large else 0.35)
        sector = rnd.choice(["Food", "Garments", "Other manufacturing"])
        region = rnd.choice(["Lima", "Arequipa", "Trujillo"])
        weight = round(rnd.uniform(1.5, 40.0), 3)
        for year in years:
            direct = rnd.choice([0, 5, 12, 30, 55]) if exporter else 0
            indirect = rnd.choice([0, 0, 3, 10]) if exporter else 0
            rows.append({
                "idstd": f"{prefix}{i:04d}", "year": str(year), "a2": region, "a4a": sector,
                "a6a": "Large" if base >= 100 else ("Medium" if base >= 20 else "Small"),
                "l1": str(max(11, base + rnd.randint(-5, 5))), "b5": str(founded),
                "d3b": str(indirect), "d3c": str(direct),
                "b8": rnd.choice(["1", "2", "2"]), "h1": rnd.choice(["1", "2", "-9"]),
                "wmedian": f"{weight:.3f}", "wstrict": f"{weight * 1.1:.3f}",
                "wweak": f"{weight * 0.9:.3f}",
            })
    return rows


def write_wbes(path: Path, rows: list[dict[str, str]] | None = None) -> Path:
    rows = wbes_rows() if rows is None else rows
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


PANEL_SHEET = """\
# Panel sheet: replaces the default panels (README, "Use your own panels").
peru:
  path: data/peru_design.csv
  mapping:
    preset: wbes
    constants: {country: Peru}
  survey:
    weights: wmedian
    alternatives: [wstrict, wweak]
    strata: [a6a, a4a, a2]
    single_unit: certainty
"""

"""Test choice: normality pretests decide between Welch's t and Mann-Whitney for ``auto`` specs."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.engine.specs import group_labels
from analysis.stats.normality import lilliefors, shapiro_wilk


def normality_choice(values: pd.Series, groups: pd.Series, labels: list[str],
                     alpha: float) -> tuple[bool, str]:
    """Is the outcome normal in both groups? Returns (normal, explanation).

    Normal means: in each group both K-S (Lilliefors) and Shapiro-Wilk have p >= alpha. A group
    too small for a test counts as not normal (normality cannot be assumed). The explanation
    names the groups and tests that reject normality, not their p-values (those are in the
    normality table, formatted by the render layer).
    """
    failing = []
    for label in labels:
        x = values[groups == label].dropna().to_numpy(dtype=float)
        notes = []
        for name, res in (("K-S", lilliefors(x)), ("S-W", shapiro_wilk(x))):
            if res["status"] != "ok":
                notes.append(f"{name} not assessable, n = {x.size}")
            elif res["p"] < alpha:
                notes.append(f"{name} p < {alpha:g}")
        if notes:
            failing.append(f"{label} ({', '.join(dict.fromkeys(notes))})")
    if not failing:
        return True, (f"normal in both groups (K-S Lilliefors and Shapiro-Wilk, "
                      f"alpha = {alpha})")
    return False, "not normal: " + "; ".join(failing)


def auto_choice(by_year: dict[int, pd.DataFrame], spec: dict[str, Any],
                alpha: float) -> tuple[str, str]:
    """One test for every year of an ``auto`` spec (within one stratum).

    ``by_year`` maps each year to its rows (both groups, with their ``_group`` label). Welch's
    t-test when the outcome is normal in both groups in every year (K-S Lilliefors and
    Shapiro-Wilk at ``alpha``), otherwise Mann-Whitney for every year and the pooled scope, so
    that effect sizes are comparable across years (the study tested normality first and then
    used one family of tests).
    """
    labels = group_labels(spec["group"])
    outcome = spec["outcome"]
    failures = []
    for y, sub in by_year.items():
        if outcome not in sub.columns:
            return "mann_whitney", "auto: outcome not available"
        normal, note = normality_choice(sub[outcome], sub["_group"], labels, alpha)
        if not normal:
            parts = note.removeprefix("not normal: ").split("; ")
            bad = [part.split(" (", 1)[0] for part in parts]
            failures.append(f"{y} [{', '.join(bad)}]")
    if not failures:
        return "welch_t", ("auto: normal in both groups in every year -> welch_t for every "
                           "year")
    return "mann_whitney", ("auto: not normal in " + ", ".join(failures)
                            + " -> mann_whitney for every year")

"""Test choice: normality pretests decide between Welch's t and Mann-Whitney for ``auto`` specs."""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.stats import registry
from analysis.stats.normality import lilliefors, shapiro_wilk


def normality_choice(groups: list[np.ndarray], labels: list[str], alpha: float, *,
                     memo: dict[bytes, Any] | None = None) -> tuple[bool, str]:
    """Is the outcome normal in both groups? Returns (normal, explanation).

    ``groups`` holds each group's non-missing values. Normal means: in each group both K-S
    (Lilliefors) and Shapiro-Wilk have p >= alpha. A group too small for a test counts as not
    normal (normality cannot be assumed). The explanation names the groups and tests that
    reject normality, not their p-values (those are in the normality table, formatted by the
    render layer). ``memo`` keeps the tests of samples already tested (by their bytes).
    """
    failing = []
    for label, x in zip(labels, groups, strict=True):
        notes = []
        key = np.ascontiguousarray(x, dtype=float).tobytes()
        tests = memo.get(key) if memo is not None else None
        if tests is None:
            tests = (lilliefors(x), shapiro_wilk(x))
            if memo is not None:
                memo[key] = tests
        for name, res in zip(("K-S", "S-W"), tests, strict=True):
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


def auto_choice(by_year: dict[int, tuple[np.ndarray, np.ndarray]], labels: list[str],
                alpha: float, *, memo: dict[bytes, Any] | None = None) -> tuple[str, str]:
    """One test for every year of an ``auto`` spec (within one stratum).

    ``by_year`` maps each year to the two groups' non-missing values. The registry's test for
    normal outcomes (``auto_when = "normal"``: Welch's t-test) when the outcome is normal in
    both groups in every year (K-S Lilliefors and Shapiro-Wilk at ``alpha``), otherwise its
    test for non-normal outcomes (Mann-Whitney) for every year and the pooled scope, so that
    effect sizes are comparable across years (the study tested normality first and then used
    one family of tests).
    """
    failures = []
    for y, groups in by_year.items():
        normal, note = normality_choice(list(groups), labels, alpha, memo=memo)
        if not normal:
            parts = note.removeprefix("not normal: ").split("; ")
            bad = [part.split(" (", 1)[0] for part in parts]
            failures.append(f"{y} [{', '.join(bad)}]")
    if not failures:
        test = registry.auto_test(normal=True)
        return test, f"auto: normal in both groups in every year -> {test} for every year"
    test = registry.auto_test(normal=False)
    return test, ("auto: not normal in " + ", ".join(failures)
                  + f" -> {test} for every year")

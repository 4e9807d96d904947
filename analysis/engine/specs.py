"""Hypothesis specs (config/hypotheses.yaml): loading and checking."""

from __future__ import annotations

from typing import Any

import numpy as np

DIRECTIONS = ("negative", "positive", "any")


# --------------------------------------------------------------------------- specs
def load_specs(path: str) -> dict[str, Any]:
    """Read and check the hypothesis specs (config/hypotheses.yaml)."""
    from analysis.config import load_yaml

    specs = load_yaml(path)
    check_specs(specs, source=str(path))
    return specs


def check_specs(specs: dict[str, Any], source: str = "hypotheses") -> None:
    """Check hypothesis specs; raise :class:`PipelineInputError` listing every problem."""
    from analysis.errors import PipelineInputError

    problems: list[str] = []
    rules = specs.get("rules") or {}
    if specs.get("default_rule") not in rules:
        problems.append(f"default_rule {specs.get('default_rule')!r} is not one of the rules "
                        f"{sorted(rules)}")
    for name, rule in rules.items():
        if rule.get("p", "p") not in ("p", "p_holm", "p_bh"):
            problems.append(f"rules.{name}.p must be p, p_holm or p_bh")
    seen: set[str] = set()
    for hyp, h in (specs.get("hypotheses") or {}).items():
        for key in ("label", "study_verdict", "tests"):
            if key not in h:
                problems.append(f"hypotheses.{hyp}: missing `{key}`")
        for i, t in enumerate(h.get("tests") or []):
            where = f"hypotheses.{hyp}.tests[{i}]"
            tid = t.get("id")
            if not tid:
                problems.append(f"{where}: missing `id`")
            elif tid in seen:
                problems.append(f"{where}: id {tid!r} is used twice")
            seen.add(tid)
            if t.get("test") not in ("crosstab", "mann_whitney", "logit", "auto", "welch_t"):
                problems.append(f"{where} ({tid}): test {t.get('test')!r} is not one of crosstab, "
                                "mann_whitney, welch_t, logit, auto")
            if "outcome" not in t:
                problems.append(f"{where} ({tid}): missing `outcome`")
            g = t.get("group") or {}
            if "variable" not in g or len(g.get("levels") or []) != 2:
                problems.append(f"{where} ({tid}): `group` needs `variable` and exactly two "
                                "`levels` (first, second)")
            if t.get("expected_direction", "any") not in DIRECTIONS:
                problems.append(f"{where} ({tid}): expected_direction must be one of {DIRECTIONS}")
            if t.get("verdict", "primary") not in ("primary", "secondary"):
                problems.append(f"{where} ({tid}): verdict must be primary or secondary")
    if problems:
        raise PipelineInputError(f"{source}: the hypothesis specs have problems:", problems)


def _label(level: Any) -> str:
    if isinstance(level, bool | np.bool_):
        return "yes" if level else "no"
    return str(level)

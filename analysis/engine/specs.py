"""Hypothesis specs (config/hypotheses.yaml): loading and checking.

The specs are checked against ``analysis/schemas/hypotheses.schema.yaml`` (shipped inside the
package), whose list of test names is filled in from the test registry, so a registered test is
a valid ``test:`` without editing the schema. An unknown or misspelt key is an error with a
"did you mean"; checks a schema cannot express (the default rule names a rule, spec ids are
unique) follow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

DIRECTIONS = ("negative", "positive", "any")
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "hypotheses.schema.yaml"


def load_specs(path: str | Path) -> dict[str, Any]:
    """Read and check the hypothesis specs (config/hypotheses.yaml)."""
    from analysis.config import load_yaml

    specs = load_yaml(path)
    check_specs(specs, source=str(path))
    return specs


def spec_schema() -> dict[str, Any]:
    """The specs' JSON schema with the registered test names (and ``auto``) as the test enum."""
    from analysis.config import load_yaml
    from analysis.stats.registry import REGISTRY

    schema = load_yaml(SCHEMA_PATH)
    schema["$defs"]["test_name"]["enum"] = ["auto", *REGISTRY]
    return schema


def check_specs(specs: Any, source: str = "hypotheses") -> None:
    """Check hypothesis specs; raise :class:`PipelineInputError` listing every problem.

    Examples
    --------
    >>> from analysis.errors import PipelineInputError
    >>> bad = {"default_rule": "study", "rules": {"study": {"description": "d"}},
    ...        "hypotheses": {"H1": {"label": "l", "study_verdict": "Supported", "tests": [
    ...            {"id": "a", "test": "crosstab", "outcome": "y", "expected_directon": "negative",
    ...             "group": {"variable": "g", "levels": [1, 2]}}]}}}
    >>> try:
    ...     check_specs(bad)
    ... except PipelineInputError as err:
    ...     print("did you mean 'expected_direction'?" in str(err))
    True
    """
    from analysis.config import did_you_mean, schema_errors
    from analysis.errors import PipelineInputError

    problems = schema_errors(specs, spec_schema(), "",
                             "analysis/schemas/hypotheses.schema.yaml")
    if not isinstance(specs, dict):
        raise PipelineInputError(f"{source}: the hypothesis specs have problems:", problems)
    rules = specs.get("rules") if isinstance(specs.get("rules"), dict) else {}
    default = specs.get("default_rule")
    if rules and default is not None and default not in rules:
        problems.append(f"default_rule: {default!r} is not one of the rules "
                        f"{sorted(rules)}{did_you_mean(default, rules)}")
    seen: set[str] = set()
    hyps = specs.get("hypotheses") if isinstance(specs.get("hypotheses"), dict) else {}
    for hyp, h in hyps.items():
        tests = h.get("tests") if isinstance(h, dict) else None
        for i, t in enumerate(tests if isinstance(tests, list) else []):
            if not isinstance(t, dict):
                continue
            if t.get("id") in seen:
                problems.append(f"hypotheses.{hyp}.tests[{i}]: id {t['id']!r} is used twice")
            seen.add(t.get("id"))
            if t.get("categorical") and set(t["categorical"]) - set(t.get("controls") or []):
                extra = sorted(set(t["categorical"]) - set(t.get("controls") or []))
                problems.append(f"hypotheses.{hyp}.tests[{i}] ({t['id']}): categorical names "
                                f"{extra}, which are not among its controls")
    if problems:
        raise PipelineInputError(f"{source}: the hypothesis specs have problems:", problems)


def group_labels(group: dict[str, Any]) -> list[str]:
    """The two group labels of a spec: its ``labels`` or its levels as text (True -> yes)."""
    return [str(x) for x in group.get("labels", [_label(v) for v in group["levels"]])]


def _label(level: Any) -> str:
    if isinstance(level, bool | np.bool_):
        return "yes" if level else "no"
    return str(level)

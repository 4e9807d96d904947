"""config/believe.yaml: loading and checking against analysis/schemas/believe.schema.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "believe.schema.yaml"


def check_believe(settings: Any, specs: dict[str, Any] | None = None,
                  source: str = "config/believe.yaml") -> None:
    """Check the settings; raise :class:`PipelineInputError` listing every problem.

    Unknown keys get a "did you mean"; hypotheses, rules and headline specs of the
    specification curve must exist in the hypothesis specs (when given).

    Examples
    --------
    >>> from analysis.errors import PipelineInputError
    >>> s = {"seed": 1, "no_effect": {"replicatons": 5, "chunks": 1, "families": ["auto"]}}
    >>> try:
    ...     check_believe(s)
    ... except PipelineInputError as err:
    ...     print("did you mean 'replications'?" in str(err))
    True
    """
    from analysis.config import did_you_mean, load_yaml, schema_errors
    from analysis.errors import PipelineInputError

    problems = schema_errors(settings, load_yaml(SCHEMA_PATH), "",
                             "analysis/schemas/believe.schema.yaml")
    if not problems and specs is not None:
        sc = settings["spec_curve"]
        hyps = list(specs["hypotheses"])
        for h in sc["hypotheses"]:
            if h not in specs["hypotheses"]:
                problems.append(f"spec_curve.hypotheses: unknown hypothesis {h!r}"
                                f"{did_you_mean(h, hyps)}")
            elif h not in sc["headline"]:
                problems.append(f"spec_curve.headline: no headline comparison for {h!r}")
            else:
                ids = [t["id"] for t in specs["hypotheses"][h]["tests"]]
                spec = sc["headline"][h]["spec"]
                if spec not in ids:
                    problems.append(f"spec_curve.headline.{h}.spec: {spec!r} is not a spec of "
                                    f"{h}{did_you_mean(spec, ids)}")
        for r in sc["choices"].get("rule", []):
            if r not in specs["rules"]:
                problems.append(f"spec_curve.choices.rule: unknown rule {r!r}"
                                f"{did_you_mean(r, list(specs['rules']))}")
    if problems:
        raise PipelineInputError(f"{source}: the settings have problems:", problems)


def load_believe(path: str | Path, specs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read and check config/believe.yaml."""
    from analysis.config import load_yaml

    settings = load_yaml(path)
    check_believe(settings, specs, source=str(path))
    return settings


def chunk_reps(total: int, chunks: int, chunk: int) -> list[int]:
    """The replication indices of one chunk (contiguous, as even as possible).

    Examples
    --------
    >>> [chunk_reps(10, 3, c) for c in range(3)]
    [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    """
    base, extra = divmod(total, chunks)
    start = chunk * base + min(chunk, extra)
    return list(range(start, start + base + (chunk < extra)))

"""Running a stage from a Snakemake script: log to the rule's log file, clear errors."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis.errors import PipelineInputError

log = logging.getLogger("analysis")


def run_stage(log_path: str | Path, func: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Call ``func(**kwargs)`` with logging to ``log_path``.

    Input errors (:class:`PipelineInputError`) are written to the log and to the terminal without
    a traceback, and end the job with exit status 1, so a researcher sees what to fix.
    """
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    start = time.perf_counter()
    try:
        result = func(**kwargs)
    except PipelineInputError as exc:
        log.error("%s", exc)
        handler.flush()
        print(f"\nERROR in {getattr(func, '__name__', 'stage')}: {exc}\n", file=sys.stderr)
        sys.exit(1)
    except Exception:
        log.exception("stage failed")
        raise
    log.info("done in %.2f s", time.perf_counter() - start)
    return result


def run_stages(*steps: tuple[str | Path, Callable[..., Any], dict[str, Any]]) -> list[Any]:
    """Run several stages in one job, in order, each with its own log file.

    A job that runs several stages pays the interpreter start-up and the imports once; every
    stage still leaves its own artifacts and log. Each step is ``(log_path, func, kwargs)``.
    """
    return [run_stage(log_path, func, **kwargs) for log_path, func, kwargs in steps]


def write_json(obj: Any, path: str | Path) -> None:
    """Deterministic JSON (sorted keys, 2-space indent, trailing newline)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n",
                          encoding="utf-8")


def write_csv(df: Any, path: str | Path) -> None:
    """Deterministic CSV: no index, '\\n' line ends, floats with up to 10 significant digits."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")

"""Running a stage from a Snakemake script: log to the rule's log file, clear errors."""

from __future__ import annotations

import hashlib
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


def run_stages(*steps: tuple[str | Path, Callable[..., Any], dict[str, Any]],
               processes: int = 1) -> list[Any]:
    """Run several stages in one job, each with its own log file.

    A job that runs several stages pays the interpreter start-up and the imports once; every
    stage still leaves its own artifacts and log. Each step is ``(log_path, func, kwargs)``.
    With ``processes`` above 1 the steps must be independent of each other: they are shared
    out, in order, to that many forked worker processes (each step runs whole in one worker,
    so every file it writes is the same for any number of processes). An input error in any
    step ends the job with exit status 1 once the running steps have finished.
    """
    if processes <= 1 or len(steps) < 2:
        return [run_stage(log_path, func, **kwargs) for log_path, func, kwargs in steps]
    import multiprocessing

    global _STEPS
    _STEPS = list(steps)
    try:
        with multiprocessing.get_context("fork").Pool(min(processes, len(steps))) as pool:
            outcomes = list(pool.imap(_run_step, range(len(steps)), chunksize=1))
    finally:
        _STEPS = []
    if any(failed for failed, _ in outcomes):
        sys.exit(1)
    return [result for _, result in outcomes]


#: The steps of the running :func:`run_stages`, inherited by its forked workers.
_STEPS: list[tuple[str | Path, Callable[..., Any], dict[str, Any]]] = []


def _run_step(i: int) -> tuple[bool, Any]:
    """One step in a worker: ``(True, None)`` when it ended with an input error (already
    logged and printed), so that the worker survives and the parent exits."""
    log_path, func, kwargs = _STEPS[i]
    try:
        return False, run_stage(log_path, func, **kwargs)
    except SystemExit:
        return True, None


def sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (a panel of any size)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_json(obj: Any, path: str | Path) -> None:
    """Deterministic JSON (sorted keys, 2-space indent, trailing newline)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n",
                          encoding="utf-8")


def write_csv(df: Any, path: str | Path) -> None:
    """Deterministic CSV: no index, '\\n' line ends, floats with up to 10 significant digits."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")

"""Stages run by a job: one log per stage, in order or shared out to forked workers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analysis.errors import PipelineInputError
from analysis.runlog import run_stages


def _square(x: int, out: str) -> int:
    Path(out).write_text(f"{x * x}\n", encoding="utf-8")
    return x * x


def _pid(out: str) -> int:
    Path(out).write_text("ran\n", encoding="utf-8")
    return os.getpid()


def _bad_input(out: str) -> None:
    raise PipelineInputError(f"{out}: column 'year' has the value 'x' (fix: a four-digit year)")


def _broken(out: str) -> None:
    raise RuntimeError("a bug, not an input error")


def _steps(tmp: Path, func, n: int) -> list:  # noqa: ANN001
    return [(tmp / f"s{i}.log", func, {"x": i, "out": str(tmp / f"s{i}.txt")}) if func is _square
            else (tmp / f"s{i}.log", func, {"out": str(tmp / f"s{i}.txt")}) for i in range(n)]


@pytest.mark.parametrize("processes", [1, 2])
def test_every_step_runs_once_with_its_own_log_and_results_in_order(tmp_path, processes):
    results = run_stages(*_steps(tmp_path, _square, 5), processes=processes)
    assert results == [0, 1, 4, 9, 16]
    for i in range(5):
        assert (tmp_path / f"s{i}.txt").read_text() == f"{i * i}\n"
        assert "done in" in (tmp_path / f"s{i}.log").read_text()


def test_two_processes_share_the_steps_out(tmp_path):
    pids = run_stages(*_steps(tmp_path, _pid, 6), processes=2)
    assert os.getpid() not in pids and 1 <= len(set(pids)) <= 2


def test_an_input_error_in_a_worker_ends_the_job_with_status_1_after_the_others(tmp_path):
    steps = _steps(tmp_path, _square, 4)
    steps[1] = (tmp_path / "bad.log", _bad_input, {"out": "panel.csv"})
    with pytest.raises(SystemExit) as err:
        run_stages(*steps, processes=2)
    assert err.value.code == 1
    assert "column 'year' has the value 'x'" in (tmp_path / "bad.log").read_text()
    for i in (0, 2, 3):  # the other steps still finished, each with its log
        assert (tmp_path / f"s{i}.txt").read_text() == f"{i * i}\n"


def test_a_bug_in_a_worker_is_raised_in_the_job_with_its_traceback_in_the_log(tmp_path):
    steps = [*_steps(tmp_path, _square, 2), (tmp_path / "bug.log", _broken, {"out": "x"})]
    with pytest.raises(RuntimeError, match="a bug"):
        run_stages(*steps, processes=2)
    assert "Traceback" in (tmp_path / "bug.log").read_text()

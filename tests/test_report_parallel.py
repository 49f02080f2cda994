"""run_many: the folder runner's parallel notebook executions (no kernels here; test_report_index runs real ones)."""
from __future__ import annotations

import os
import threading
import time

import pytest

from toolkit.reports._run import _OPTIONS, default_workers, report_options, run_many


def test_results_keep_the_job_order_and_failures_are_returned_not_raised():
    def run(x):
        if x == 3:
            raise ValueError("three")
        time.sleep(0.01 * (5 - x))
        return x * 10

    out = run_many([1, 2, 3, 4], run, workers=2)
    assert out[:2] == [10, 20] and out[3] == 40
    assert isinstance(out[2], ValueError) and str(out[2]) == "three"


def test_at_most_workers_run_at_once_and_the_longest_start_first():
    running, peak, started = [0], [0], []
    lock = threading.Lock()

    def run(x):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return x

    run_many(list("abcdef"), run, workers=2, expected={4: 9.0, 1: 5.0},
             on_start=lambda i, job: started.append(job))
    assert peak[0] == 2
    assert started[:2] == ["e", "b"]  # by expected seconds, then in order
    assert sorted(started) == list("abcdef")


def test_callbacks_never_overlap_and_each_thread_sees_the_callers_options():
    inside, overlaps, seen = [0], [0], []

    def on_done(i, job, result, error, seconds):
        inside[0] += 1
        overlaps[0] += inside[0] > 1
        time.sleep(0.005)
        inside[0] -= 1

    def run(x):
        seen.append(_OPTIONS.get().get("unknown_parameters"))
        return x

    with report_options(unknown_parameters="drop"):
        run_many(list(range(8)), run, workers=2, on_done=on_done)
    assert overlaps[0] == 0
    assert seen == ["drop"] * 8


def test_default_workers_is_bounded_by_cores_jobs_and_the_environment(monkeypatch):
    monkeypatch.delenv("TOOLKIT_REPORT_JOBS", raising=False)
    assert default_workers(1) == 1
    assert 1 <= default_workers(100) <= (os.cpu_count() or 1)
    monkeypatch.setenv("TOOLKIT_REPORT_JOBS", "3")
    assert default_workers(10) == 3 and default_workers(2) == 2
    monkeypatch.setenv("TOOLKIT_REPORT_JOBS", "many")
    with pytest.raises(ValueError, match="TOOLKIT_REPORT_JOBS must be a whole number"):
        default_workers(4)


def test_jobs_marked_later_start_after_the_others_whatever_their_length():
    started = []
    run_many(list("abcd"), lambda x: x, workers=2, expected={0: 9.0, 1: 1.0, 2: 5.0},
             on_start=lambda i, job: started.append(job), later=[0, 2])
    assert started[:2] == ["b", "d"]   # the jobs not marked, longest first
    assert sorted(started[2:]) == ["a", "c"]


def test_templates_calling_health_are_recognised():
    from pathlib import Path

    from toolkit.reports._index import _calls_health

    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    calls = {p.stem: _calls_health(p) for p in sorted(notebooks.glob("0[0-5]_*.ipynb")) if p.stem != "00_smoke"}
    assert calls["00_model_health"] and calls["01_compare_baseline"] and calls["03_estimate_degradation"]
    assert not calls["05_retrain_decision"] and not calls["02_inspect_drifted_features"]


def test_jobs_are_announced_in_the_order_they_were_scheduled():
    # threads freed at the same moment used to reach on_start in either order, so the CLI's "[k/n]" lines
    # (and a CI test reading them) came out of order now and then; a turn per job fixes the order
    import random

    delays = random.Random(0)

    class SlowToRead:   # each job's thread reads the progress settings before its announcement: jitter there
        stream = None

        @property
        def every(self):
            time.sleep(delays.random() * 0.01)
            return 5.0

    for attempt in range(10):
        started = []
        with report_options(progress=SlowToRead()):
            run_many(list(range(8)), lambda x: time.sleep(0.02), workers=4, expected={5: 3.0},
                     on_start=lambda i, job: started.append(i))
        assert started == [5, 0, 1, 2, 3, 4, 6, 7], attempt


def test_an_announcement_that_fails_does_not_stall_the_others():
    def on_start(i, job):
        if i == 0:
            raise RuntimeError("log line failed")

    seen = []
    with pytest.raises(RuntimeError, match="log line failed"):   # raised, as before, once every job has run
        run_many([0, 1, 2], seen.append, workers=2, on_start=on_start)
    assert sorted(seen) == [1, 2]

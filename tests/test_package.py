"""The package imports cleanly and quickly; the public names resolve."""
from __future__ import annotations

import subprocess
import sys

import toolkit


def test_import_is_fast_and_lazy():
    code = (
        "import sys, time; t = time.perf_counter(); import toolkit; dt = time.perf_counter() - t; "
        "heavy = [m for m in ('scipy', 'sklearn', 'altair', 'pandas') if m in sys.modules]; "
        "print(dt, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert float(out[0]) < 1.0
    assert out[1].strip() == "[]"


def test_unknown_attribute_is_a_clear_error():
    try:
        toolkit.no_such_thing
    except AttributeError as err:
        assert "no_such_thing" in str(err)
    else:
        raise AssertionError("expected AttributeError")


def test_functions_named_like_their_module_are_not_shadowed_by_imports():
    code = (
        "import toolkit.outcomes.realized, toolkit.profiles, toolkit as tk; "
        "print(callable(tk.performance), callable(tk.profile))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True"]


def test_single_thread_covers_the_openmp_runtime_even_when_nothing_loaded_it_yet():
    """threadpoolctl only limits runtimes already loaded; the first gradient-boosting fit in a fresh kernel
    must not start one spinning OpenMP thread per core."""
    import subprocess
    import sys

    code = ("from toolkit.outcomes.features import single_thread\n"
            "from threadpoolctl import threadpool_info\n"
            "with single_thread():\n"
            "    info = [i for i in threadpool_info() if i['user_api'] == 'openmp']\n"
            "    print(len(info), max(i['num_threads'] for i in info))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) >= 1 and out[1] == "1"

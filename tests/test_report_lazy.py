"""The report kernels defer the "iri" grammar jsonschema would build at import (toolkit.reports._lazy)."""
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("rfc3987_syntax")

CHECK = textwrap.dedent("""
    import sys
    import toolkit.reports                       # installs the stand-in before anything imports jsonschema
    import altair, jsonschema                    # Altair validates charts with jsonschema's format checker
    altair.Chart({"values": [{"a": 1}]}).mark_point().encode(x="a:Q").to_dict()   # validates against Vega-Lite
    print("grammar built at import:", "rfc3987_syntax.syntax_helpers" in sys.modules)
    v = jsonschema.Draft7Validator({"format": "iri"}, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    print("bad iri rejected:", bool(list(v.iter_errors("http://a b"))))
    print("good iri accepted:", not list(v.iter_errors("http://example.com/caf\\u00e9")))
    import rfc3987_syntax
    print("real package on use:", rfc3987_syntax.is_valid_syntax("iri", "x:y"), len(rfc3987_syntax.RFC3987_SYNTAX_TERMS) > 5)
""")


def _run(code: str, report_kernel: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TOOLKIT_REPORT_KERNEL"}
    if report_kernel:
        env["TOOLKIT_REPORT_KERNEL"] = "1"   # as run_report's kernels and the `toolkit report` command have it
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout


def test_iri_grammar_is_deferred_and_checks_unchanged():
    out = _run(CHECK, report_kernel=True)
    assert "grammar built at import: False" in out
    # the same checks as without the stand-in: jsonschema still registered them, and they answer correctly
    assert "bad iri rejected: True" in out
    assert "good iri accepted: True" in out
    assert "real package on use: True True" in out


def test_an_analysts_own_session_keeps_the_real_package():
    # the stand-in changes sys.modules: only processes a report run starts opt into it
    out = _run("import sys, toolkit.reports, altair, jsonschema\n"
               "print(not (sys.modules['rfc3987_syntax'].__doc__ or '').startswith('Stand-in'),"
               " 'rfc3987_syntax.syntax_helpers' in sys.modules)", report_kernel=False)
    assert out.strip() == "True True"


def test_defer_is_a_no_op_once_jsonschema_is_imported():
    code = "import jsonschema, sys\nfrom toolkit.reports._lazy import defer_iri_grammar\nprint(defer_iri_grammar())"
    assert _run(code, report_kernel=True).strip() == "False"

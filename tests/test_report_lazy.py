"""The report kernels defer the "iri" grammar jsonschema would build at import (toolkit.reports._lazy)."""
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


def test_iri_grammar_is_deferred_and_checks_unchanged():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True).stdout
    assert "grammar built at import: False" in out
    # the same checks as without the stand-in: jsonschema still registered them, and they answer correctly
    assert "bad iri rejected: True" in out
    assert "good iri accepted: True" in out
    assert "real package on use: True True" in out


def test_defer_is_a_no_op_once_jsonschema_is_imported():
    code = "import jsonschema, sys\nfrom toolkit.reports._lazy import defer_iri_grammar\nprint(defer_iri_grammar())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

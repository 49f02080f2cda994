"""toolkit: investigate machine-learning models in production from JupyterLab.

Four questions, one package: did the inputs drift (:func:`compare`, :func:`drift_over_time`),
did an upstream change break the schema (:func:`infer_contract`, :func:`guard`), did the
outcome degrade (:func:`join_labels`, :func:`performance`, :func:`estimate_performance`), and
where should the model abstain (:func:`risk_coverage`, :func:`abstain_threshold`).

Heavy libraries (scipy, scikit-learn, altair) load lazily, on first use of a name that needs them.

>>> import toolkit as tk
>>> tk.ModelSpec.__name__
'ModelSpec'
"""
from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

# public name -> module that defines it; resolved on first attribute access
_EXPORTS = {
    # roles, kinds, input
    "ModelSpec": "toolkit.spec",
    "Kind": "toolkit.kinds",
    "read": "toolkit.io",
    "read_batches": "toolkit.io",
    "read_production": "toolkit.io",
    "InputError": "toolkit._checks",
    "ConfigError": "toolkit._checks",
    "FileReadError": "toolkit._checks",
    # drift
    "compare": "toolkit.drift",
    "DriftReport": "toolkit.drift",
    "drift_over_time": "toolkit.drift",
    "DriftOverTime": "toolkit.drift",
    "Profile": "toolkit.profile",
    "profile": "toolkit.profile",
    # schema
    "infer_contract": "toolkit.schema",
    "Contract": "toolkit.schema",
    "ValidationResult": "toolkit.schema",
    "SchemaError": "toolkit.schema",
    "guard": "toolkit.schema",
    # outcomes
    "join_labels": "toolkit.feedback",
    "FeedbackReport": "toolkit.feedback",
    "performance": "toolkit.performance",
    "PerformanceReport": "toolkit.performance",
    "estimate_performance": "toolkit.performance",
    "PerformanceEstimate": "toolkit.performance",
    "labels_needed": "toolkit.performance",
    "detectable_drop": "toolkit.performance",
    "attribute_drop": "toolkit.performance",
    # graceful degradation
    "risk_coverage": "toolkit.fallback",
    "RiskCoverage": "toolkit.fallback",
    "abstain_threshold": "toolkit.fallback",
    "AbstainDecision": "toolkit.fallback",
    # the verdict across causes
    "health": "toolkit.model_health",
    "HealthReport": "toolkit.model_health",
    # retraining
    "retraining_plan": "toolkit.retraining",
    "RetrainPlan": "toolkit.retraining",
    "retraining_set": "toolkit.retraining",
    "RetrainingSet": "toolkit.retraining",
    # reports
    "run_report": "toolkit.reports",
    "new_model": "toolkit.reports",
    "ModelConfig": "toolkit.config",
    "outcome_plan": "toolkit.outcome_setup",
    # windows
    "WindowSpec": "toolkit.windows",
}
_SUBMODULES = ("charts", "widgets", "reports", "engines", "schema", "drift", "feedback", "fallback", "config",
               "relationships", "narrative", "windows")

__all__ = sorted(_EXPORTS) + list(_SUBMODULES)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"toolkit.{name}")
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


class _Package(types.ModuleType):
    """Keeps exported functions that share a submodule's name (``performance``, ``profile``).

    Importing ``toolkit.performance`` makes Python set ``toolkit.performance = <module>``, which would
    shadow the function ``tk.performance``; this package ignores that one assignment.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and name in _EXPORTS and _EXPORTS[name] == value.__name__:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

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
    "DriftComparator": "toolkit.drift",
    "DriftReport": "toolkit.drift",
    "drift_over_time": "toolkit.drift",
    "DriftOverTime": "toolkit.drift",
    "Profile": "toolkit.profiles",
    "profile": "toolkit.profiles",
    # schema
    "infer_contract": "toolkit.schema",
    "Contract": "toolkit.schema",
    "ValidationResult": "toolkit.schema",
    "SchemaError": "toolkit.schema",
    "guard": "toolkit.schema",
    # outcomes
    "join_labels": "toolkit.outcomes.labels",
    "FeedbackReport": "toolkit.outcomes.labels",
    "performance": "toolkit.outcomes.realized",
    "PerformanceReport": "toolkit.outcomes.realized",
    "estimate_performance": "toolkit.outcomes.estimate",
    "PerformanceEstimate": "toolkit.outcomes.estimate",
    "labels_needed": "toolkit.outcomes.planning",
    "detectable_drop": "toolkit.outcomes.planning",
    "attribute_drop": "toolkit.outcomes.attribution",
    # graceful degradation
    "risk_coverage": "toolkit.outcomes.fallback",
    "RiskCoverage": "toolkit.outcomes.fallback",
    "abstain_threshold": "toolkit.outcomes.fallback",
    "AbstainDecision": "toolkit.outcomes.fallback",
    "abstain_on_uncertainty": "toolkit.outcomes.fallback",
    "UncertaintyAbstain": "toolkit.outcomes.fallback",
    # the verdict across causes
    "health": "toolkit.model_health",
    "HealthReport": "toolkit.model_health",
    # retraining
    "retraining_plan": "toolkit.outcomes.retraining",
    "RetrainPlan": "toolkit.outcomes.retraining",
    "retraining_set": "toolkit.outcomes.retraining",
    "RetrainingSet": "toolkit.outcomes.retraining",
    # reports
    "run_report": "toolkit.reports",
    "new_model": "toolkit.reports",
    "ModelConfig": "toolkit.config",
    "outcome_plan": "toolkit.outcomes.setup",
    # windows
    "WindowSpec": "toolkit.windows",
}
_SUBMODULES = ("charts", "widgets", "reports", "engines", "schema", "drift", "outcomes", "config",
               "relationships", "narrative", "windows", "profiles", "results")
# old module names -> where they live now (deprecated for one release: ``tk.feedback`` still works, with a warning)
_MOVED = {"feedback": "toolkit.outcomes.labels", "fallback": "toolkit.outcomes.fallback"}
# old import paths kept for one release. Not ``toolkit.performance``/``toolkit.profile``/``toolkit.schema.guard``:
# those names are functions, and a module there would shadow them again.
_OLD_PATHS = {
    "toolkit.feedback": "toolkit.outcomes.labels", "toolkit.fallback": "toolkit.outcomes.fallback",
    "toolkit.outcome_setup": "toolkit.outcomes.setup", "toolkit.retraining": "toolkit.outcomes.retraining",
    "toolkit.retrain_data": "toolkit.outcomes.retrain_data", "toolkit.drift.engine": "toolkit.drift.comparator",
}


class _OldPathFinder:
    """``import toolkit.feedback`` (an old path) gives ``toolkit.outcomes.labels``, with a DeprecationWarning."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name not in _OLD_PATHS:
            return None
        import importlib.util
        import warnings

        warnings.warn(f"{name} moved to {_OLD_PATHS[name]}; the old path goes in the next release",
                      DeprecationWarning, stacklevel=2)
        return importlib.util.spec_from_loader(name, _OldPathFinder)

    @staticmethod
    def create_module(spec):
        return importlib.import_module(_OLD_PATHS[spec.name])

    @staticmethod
    def exec_module(module):
        pass


if not any(isinstance(f, type) and f.__name__ == "_OldPathFinder" for f in sys.meta_path):
    sys.meta_path.insert(0, _OldPathFinder)  # before any editable-install finder that maps old paths elsewhere

__all__ = sorted(_EXPORTS) + list(_SUBMODULES)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"toolkit.{name}")
    if name in _MOVED:
        import warnings

        warnings.warn(f"toolkit.{name} moved to {_MOVED[name]}; the old name goes in the next release",
                      DeprecationWarning, stacklevel=2)
        return importlib.import_module(_MOVED[name])
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


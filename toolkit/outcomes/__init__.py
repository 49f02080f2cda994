"""Outcomes: did what the model predicts still come true, and what to do when it does not.

One package owns the outcome side, one module per idea:

- :mod:`.labels` -- :func:`join_labels` -> :class:`FeedbackReport`: the label join and its accounting.
- :mod:`.measure` -- the measurement helpers every outcome function shares (roles, windows, weights, checks).
- :mod:`.realized` -- :func:`performance` -> :class:`PerformanceReport`: realized metrics per window with intervals.
- :mod:`.estimate` -- :func:`estimate_performance` -> :class:`PerformanceEstimate`: label-free estimates.
- :mod:`.planning` -- :func:`labels_needed`, :func:`detectable_drop`: sample-size planning.
- :mod:`.attribution` -- :func:`attribute_drop` -> :class:`DropAttribution`: which segments explain a drop.
- :mod:`.intervals`, :mod:`.metrics` -- interval procedures and metric kernels.
- :mod:`.fallback` -- :func:`risk_coverage`, :func:`abstain_threshold`: where the model should abstain.
- :mod:`.setup` -- :func:`outcome_plan`: which outcome analyses a model's label setup allows.
- :mod:`.retraining`, :mod:`.retrain_data` -- :func:`retraining_plan`, :func:`retraining_set`.

No module shares a public function's name, so ``import toolkit.outcomes.realized`` and
``tk.performance`` (the function) both work. Names load lazily, so importing a helper module stays cheap.

>>> import toolkit.outcomes.attribution as attribution
>>> attribution.attribute_drop.__name__
'attribute_drop'
"""
from __future__ import annotations

import importlib as _importlib

_EXPORTS = {
    "join_labels": "labels", "FeedbackReport": "labels",
    "performance": "realized", "PerformanceReport": "realized",
    "estimate_performance": "estimate", "PerformanceEstimate": "estimate",
    "labels_needed": "planning", "detectable_drop": "planning",
    "attribute_drop": "attribution", "DropAttribution": "attribution",
    "risk_coverage": "fallback", "RiskCoverage": "fallback",
    "abstain_threshold": "fallback", "AbstainDecision": "fallback",
    "abstain_on_uncertainty": "fallback", "UncertaintyAbstain": "fallback", "find_uncertainty": "fallback",
    "outcome_plan": "setup",
    "retraining_plan": "retraining", "RetrainPlan": "retraining",
    "retraining_set": "retraining", "RetrainingSet": "retraining",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(_importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | {"labels", "measure", "realized", "estimate", "planning", "attribution",
                                  "metrics", "intervals", "fallback", "setup", "retraining", "retrain_data",
                                  "features"})

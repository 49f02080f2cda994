"""Drift: did the inputs of the model change?

* :class:`DriftComparator` -- fitted on a reference once (columns, kinds, edges, profiles), then
  applied to any window: ``DriftComparator().fit(reference).compare(current)``
* :func:`compare` -- one reference vs one current window -> :class:`DriftReport`
* :func:`drift_over_time` -- production split into windows -> :class:`DriftOverTime`
* :mod:`.statistics` -- the statistics, each a small function returning a named result
* :mod:`.thresholds` -- thresholds calibrated to the baseline's sampling noise; Benjamini-Hochberg
* :mod:`.multivariate` -- domain classifier and PCA reconstruction error
* :mod:`.ranking` -- severity x importance

Examples
--------
>>> import toolkit as tk
>>> import numpy as np, pandas as pd
>>> ref = pd.DataFrame({"x": np.random.default_rng(1).normal(size=3000)})
>>> tk.compare(ref, ref.assign(x=ref["x"] + 0.3)).drifted
['x']
"""
from .comparator import DriftComparator, compare
from .over_time import DriftOverTime, drift_over_time
from .report import ColumnDrift, DriftReport

__all__ = ["compare", "DriftComparator", "DriftReport", "ColumnDrift", "drift_over_time", "DriftOverTime"]

"""Numbers for people: the one formatter every report table goes through.

Shares as percentages, other numbers with 3 significant digits (counts with thousands separators),
p-values floored at "< 1e-10", and window tables that never hide their latest windows.

>>> share(0.1234), number(0.012345), number(12345.6), number(7), p_value(3e-17), p_value(0.0412)
('12.3%', '0.0123', '12,346', '7', '< 1e-10', '0.0412')
>>> frame = pd.DataFrame({"window": ["w1", "w2"], "routed_share": [0.1, 0.25], "p_value": [0.5, 0.0]})
>>> format_frame(frame).to_dict("list")
{'window': ['w1', 'w2'], 'routed_share': ['10.0%', '25.0%'], 'p_value': ['0.5', '< 1e-10']}
"""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

__all__ = ["share", "number", "p_value", "value", "is_share_column", "is_p_column", "format_frame", "latest_rows",
           "P_FLOOR"]

#: p-values below this print as "< 1e-10": beyond it the tail approximations are not worth more digits
P_FLOOR = 1e-10
# a column holds shares (0..1) when its name says so; "coverage" of labels, "*_rate", "*_share", "*_pct"
_SHARE = re.compile(r"(^|_)(share|rate|coverage|pct|fraction|prevalence)(_|$)|share_", re.I)
_P = re.compile(r"(^|_)(p|p_value|pvalue|p_adj|q_value)$", re.I)


def _missing(v) -> bool:
    try:
        return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))
    except (TypeError, ValueError):
        return False


def share(v, digits: int = 1) -> str:
    """A share (0..1) as a percentage: ``0.1234 -> '12.3%'``; missing -> ''."""
    if _missing(v):
        return ""
    return f"{float(v):.{digits}%}"


def number(v) -> str:
    """3 significant digits; integers and numbers >= 1000 with thousands separators; missing -> ''."""
    if _missing(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    x = float(v)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) < 1e-4:
        return f"{x:.2e}"
    text = f"{x:.3g}"
    return text


def p_value(v) -> str:
    """A p-value with 3 significant digits, floored at ``'< 1e-10'``."""
    if _missing(v):
        return ""
    x = float(v)
    if x < P_FLOOR:
        return "< 1e-10"
    return f"{x:.3g}"


def is_share_column(name) -> bool:
    """Whether a column's name says it holds shares (0..1): ``routed_share``, ``coverage``, ``missing_rate``."""
    return bool(_SHARE.search(str(name)))


def is_p_column(name) -> bool:
    """Whether a column's name says it holds p-values: ``p_value``, ``p``, ``p_adj``."""
    return bool(_P.search(str(name)))


def value(column, v) -> str:
    """One cell of ``column`` formatted for people (shares, p-values, numbers; other values as text)."""
    if _missing(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, float, np.integer, np.floating)):
        if is_p_column(column):
            return p_value(v)
        if is_share_column(column) and isinstance(v, (float, np.floating)) and -1.0 <= float(v) <= 1.0:
            return share(v)
        return number(v)
    if isinstance(v, (list, tuple, set)):
        return ", ".join(str(x) for x in v)
    return str(v)


def format_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every cell as text formatted for people (see :func:`value`)."""
    out = pd.DataFrame(index=frame.index)
    for i, column in enumerate(frame.columns):
        col = frame.iloc[:, i]
        is_share = is_share_column(column) and pd.api.types.is_float_dtype(col.dtype) and \
            bool(col.dropna().between(-1, 1).all())
        if is_share:
            out[column] = [share(v) for v in col]
        else:
            out[column] = [value(column, v) for v in col]
    return out


def latest_rows(frame: pd.DataFrame, max_rows: int, window: str = "window") -> tuple[pd.DataFrame, str]:
    """At most ``max_rows`` rows of ``frame``, never hiding its latest windows.

    With a ``window`` column, whole windows are dropped from the earliest on (in the order they
    appear) until the rest fits; otherwise the first rows are kept. Returns the rows shown and a
    sentence saying what was elided ('' when nothing was).

    >>> f = pd.DataFrame({"window": [f"w{i}" for i in range(10)], "x": range(10)})
    >>> shown, note = latest_rows(f, 4)
    >>> shown["window"].tolist(), note
    (['w6', 'w7', 'w8', 'w9'], 'the 6 earlier windows (w0 .. w5) are not shown: use .to_frame()')
    """
    if len(frame) <= max_rows:
        return frame, ""
    if window in frame.columns:
        labels = frame[window].astype(str)
        order = list(dict.fromkeys(labels))
        counts = labels.value_counts()
        kept, total = [], 0
        for w in reversed(order):
            if kept and total + counts[w] > max_rows:
                break
            kept.append(w)
            total += counts[w]
        dropped = [w for w in order if w not in set(kept)]
        if dropped:
            span = dropped[0] if len(dropped) == 1 else f"{dropped[0]} .. {dropped[-1]}"
            return (frame[labels.isin(kept).to_numpy()],
                    f"the {len(dropped)} earlier window{'s' if len(dropped) > 1 else ''} ({span}) "
                    f"{'are' if len(dropped) > 1 else 'is'} not shown: use .to_frame()")
        return frame, ""
    return frame.head(max_rows), f"{len(frame) - max_rows} more rows not shown: use .to_frame()"

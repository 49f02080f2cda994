"""Old argument names kept for one release (see the vocabulary table in README.md).

Analysts copy notebooks that call the public API, so a renamed argument keeps working for one release and
says what to write instead. The mapping lives on the function (``__renamed_arguments__``) so that tests and
the README table can be checked against it.
"""
from __future__ import annotations

import functools
import inspect
import warnings


def renamed_arguments(**renames: str):
    """Accept the old keyword names ``renames`` (``old="new"``) with a DeprecationWarning.

    Examples
    --------
    >>> @renamed_arguments(n_boot="n_resamples")
    ... def interval(values, *, n_resamples=1000):
    ...     return n_resamples
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     interval([1], n_boot=50)
    50
    >>> "use 'n_resamples'" in str(caught[0].message)
    True
    """
    def decorate(func):
        parameters = inspect.signature(func).parameters
        for old, new in renames.items():
            if new not in parameters:  # a typo here would silently swallow the argument
                raise TypeError(f"{func.__qualname__} has no argument {new!r} to rename {old!r} to")

        # how the message names the call: "risk_coverage()", "RiskCoverage.at()", "Rules()" (a class's __init__)
        shown = func.__qualname__.removesuffix(".__init__")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise TypeError(f"{shown}() got both {old!r} (its old name) and {new!r}: "
                                    f"pass only {new!r}")
                warnings.warn(f"{shown}(): {old!r} is deprecated and will be removed in the next "
                              f"release; use {new!r}", DeprecationWarning, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        wrapper.__renamed_arguments__ = {**getattr(func, "__renamed_arguments__", {}), **renames}
        return wrapper

    return decorate

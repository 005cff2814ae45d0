"""Validate parameters at a model's entry, with messages that name the parameter and its allowed range."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

__all__ = ["check_axes", "check_bool", "check_choice", "check_figure", "check_int", "check_number", "check_size",
           "check_type"]


def check_type(name: str, value, types, what: str | None = None):
    """Raise TypeError unless *value* is an instance of *types*; return *value*.

    Numpy scalars count as the Python type they stand for: ``np.True_`` is a bool (returned as ``True``),
    ``np.int64(3)`` an int (returned as ``3``); a bool is never an int here unless bool is among *types*.
    """
    wanted = types if isinstance(types, tuple) else (types,)
    if isinstance(value, np.bool_) and bool in wanted:
        return bool(value)
    if isinstance(value, np.integer) and int in wanted:
        return int(value)
    if isinstance(value, (bool, np.bool_)) and bool not in wanted and any(t in (int, float) for t in wanted):
        wanted_text = what or " or ".join(t.__name__ for t in wanted)
        raise TypeError(f"{name} must be {wanted_text}, not True or False, got {type(value).__name__} {value!r}")
    if not isinstance(value, types):
        wanted = what or (" or ".join(t.__name__ for t in types) if isinstance(types, tuple) else types.__name__)
        raise TypeError(f"{name} must be {wanted}, got {type(value).__name__} {_short(value)}")
    return value


def _range_text(lo, hi, lo_open, hi_open) -> str:
    if lo is not None and hi is not None:
        return f"{'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {lo}"
    if hi is not None:
        return f"{'<' if hi_open else '<='} {hi}"
    return "a finite number"


def check_number(name: str, value, *, lo=None, hi=None, lo_open: bool = False, hi_open: bool = False) -> float:
    """Return *value* as a float, or raise if it is not a finite real number in the given range."""
    # The exact-type test first: models call this in inner loops, and isinstance on an ABC is slow.
    if type(value) not in (float, int) and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    too_low = lo is not None and (value <= lo if lo_open else value < lo)
    too_high = hi is not None and (value >= hi if hi_open else value > hi)
    if too_low or too_high or not math.isfinite(value):
        bounded = lo is not None or hi is not None
        allowed = ("in " if lo is not None and hi is not None else "") + _range_text(lo, hi, lo_open, hi_open)
        if math.isfinite(value):
            raise ValueError(f"{name} must be {allowed}, got {value:g}")
        raise ValueError(f"{name} must be a finite number{' ' + allowed if bounded else ''}, got {value}")
    return value


def check_int(name: str, value, *, lo=None, hi=None) -> int:
    """Return *value* as an int, or raise if it is not an integer in [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        allowed = _range_text(lo, hi, False, False)
        where = "in " if lo is not None and hi is not None else ""
        raise ValueError(f"{name} must be an integer {where}{allowed}, got {value}")
    return value


def check_choice(name: str, value, choices: Iterable):
    """Return *value* if it is one of *choices*, else raise ValueError listing them.

    A value that cannot be compared with the choices (an array, a list, a dict) is a TypeError naming
    *name*, not numpy's "truth value of an array is ambiguous".
    """
    choices = list(choices)
    try:
        hash(value)
        found = any(value is c or bool(value == c) for c in choices)
        if isinstance(value, (bool, np.bool_)) and not any(isinstance(c, bool) for c in choices):
            found = False  # True == 1, but True is not the choice 1
    except (TypeError, ValueError):
        listed = ", ".join(repr(c) for c in choices)
        raise TypeError(f"{name} must be one of: {listed}; got {type(value).__name__} {_short(value)}") from None
    if not found:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"unknown {name} {value!r}; choose one of: {listed}")
    return value


def _short(value, width: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not hide the real message
        text = f"<{type(value).__name__}>"
    return text if len(text) <= width else text[: width - 1] + "…"


def check_bool(name: str, value) -> bool:
    """Return *value* as a bool; numpy booleans are accepted, numbers and everything else are a TypeError."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {type(value).__name__} {_short(value)}")


def check_size(name: str, value, *, hi: int, lo: int = 1) -> int:
    """Return *value* as an int in [lo, hi]: a count, horizon, window or budget, always with an upper bound.

    The bound is required: a size without one lets a typo (``10**9`` samples) exhaust time or memory.
    """
    return check_int(name, value, lo=lo, hi=hi)


def check_axes(name: str, value):
    """Return *value* if it is a matplotlib Axes, else raise TypeError naming *name*."""
    from matplotlib.axes import Axes

    if not isinstance(value, Axes):
        raise TypeError(f"{name} must be a matplotlib Axes (e.g. from fig.add_subplot()), got "
                        f"{type(value).__name__} {_short(value)}")
    return value


def check_figure(name: str, value):
    """Return *value* if it is a matplotlib Figure (or SubFigure), else raise TypeError naming *name*."""
    from matplotlib.figure import FigureBase

    if not isinstance(value, FigureBase):
        raise TypeError(f"{name} must be a matplotlib Figure, got {type(value).__name__} {_short(value)}")
    return value

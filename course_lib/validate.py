"""Validate parameters at a model's entry, with messages that name the parameter and its allowed range."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

__all__ = ["check_choice", "check_int", "check_number", "check_type"]


def check_type(name: str, value, types, what: str | None = None):
    """Raise TypeError unless *value* is an instance of *types*; return *value*."""
    if not isinstance(value, types):
        wanted = what or (" or ".join(t.__name__ for t in types) if isinstance(types, tuple) else types.__name__)
        raise TypeError(f"{name} must be {wanted}, got {type(value).__name__} {value!r}")
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
    """Return *value* if it is one of *choices*, else raise ValueError listing them."""
    choices = list(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"unknown {name} {value!r}; choose one of: {listed}")
    return value

"""Model parameters declared once: range, default, label and step feed both validation and widget controls.

A model module declares its parameters as a :class:`Spec` (a tuple of :class:`Param`); its entry function
calls ``SPEC.check(name, value)`` (or ``SPEC.validate(values)``) and its widget builder calls
``course_lib.widgets.control(SPEC[name])``.  The allowed range therefore lives in one place: a slider
can never offer a value the model refuses, and a model never accepts a value its slider would not name.

A widget may show a narrower window of a wide range (``view=(lo, hi)``): the model still accepts the
whole range, the slider shows the part worth exploring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .validate import check_choice, check_int, check_number, check_type

__all__ = ["Param", "Spec"]

KINDS = ("float", "int", "choice", "bool")


@dataclass(frozen=True)
class Param:
    """One parameter: its kind, default, allowed range (or choices), widget label, step and view window."""

    name: str
    default: object
    kind: str = "float"
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple = ()
    label: str = ""
    step: float | None = None
    view: tuple[float, float] | None = None  # the slider's window, inside [lo, hi]
    unit: str = ""
    help: str = ""

    def __post_init__(self):
        check_type("name", self.name, str)
        check_choice("kind", self.kind, KINDS)
        for key in ("lo", "hi", "step"):
            if getattr(self, key) is not None:
                check_number(key, getattr(self, key))
        if self.lo is not None and self.hi is not None and self.lo > self.hi:
            raise ValueError(f"hi must be >= lo ({self.lo:g}), got {self.hi:g}")
        for key in ("lo_open", "hi_open"):
            if type(getattr(self, key)).__name__ not in ("bool", "bool_"):
                raise TypeError(f"{key} must be True or False, got {type(getattr(self, key)).__name__}")
            object.__setattr__(self, key, bool(getattr(self, key)))  # a numpy bool is stored as a bool
        if self.step is not None and self.step <= 0:
            raise ValueError(f"step must be > 0, got {self.step:g}")
        if self.view is not None:
            if not isinstance(self.view, tuple) or len(self.view) != 2:
                raise TypeError(f"view must be a (lo, hi) pair, got {self.view!r:.40}")
            lo, hi = (check_number("view", v) for v in self.view)
            if lo >= hi:
                raise ValueError(f"view must be (lo, hi) with lo < hi, got {self.view}")
        for key in ("label", "unit", "help"):
            check_type(key, getattr(self, key), str)
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"parameter {self.name!r}: a choice needs its choices")
        try:
            self.check(self.default)  # a default outside its own range is a bug in the declaration
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"default of parameter {self.name!r} must be in its own range (lo={self.lo}, "
                            f"hi={self.hi}): {exc}") from None
        if self.kind in ("int", "float") and self.step and (self.view or (self.lo is not None and self.hi is not None)):
            # A slider snaps to lo + k * step: a default off that grid cannot be reached again after one move,
            # so "move a control and back" would not restore the picture.
            lo, _ = self.window
            k = (self.default - lo) / self.step
            if abs(k - round(k)) > 1e-9:
                raise ValueError(f"parameter {self.name!r}: default {self.default:g} is not on its slider's grid "
                                 f"{lo:g} + k * {self.step:g}")

    def check(self, value):
        """Return *value* validated (as int, float, bool or one of the choices); raise naming the parameter."""
        if self.kind == "float":
            return check_number(self.name, value, lo=self.lo, hi=self.hi, lo_open=self.lo_open,
                                hi_open=self.hi_open)
        if self.kind == "int":
            return check_int(self.name, value, lo=self.lo, hi=self.hi)
        if self.kind == "bool":
            if type(value).__name__ in ("bool_", "bool"):  # numpy's bool (named "bool" since numpy 2) is a fine answer
                value = bool(value)
            return check_type(self.name, value, bool, "True or False")
        return check_choice(self.name, value, self.choices)

    @property
    def window(self) -> tuple[float, float]:
        """Return the (lo, hi) a slider shows: the view window, or the whole range."""
        if self.view is not None:
            return self.view
        if self.lo is None or self.hi is None:
            raise ValueError(f"parameter {self.name!r} needs a view=(lo, hi) to become a slider")
        return (self.lo, self.hi)

    @property
    def text(self) -> str:
        """Return the label a control shows (the name when no label was given), with its unit."""
        label = self.label or self.name
        return f"{label} ({self.unit})" if self.unit else label


@dataclass(frozen=True)
class Spec:
    """The parameters of one model, by name."""

    params: tuple[Param, ...]
    _by_name: dict = field(init=False, repr=False, compare=False)

    def __init__(self, params: Iterable[Param]):
        if isinstance(params, (str, bytes, Param)) or not isinstance(params, Iterable):
            raise TypeError(f"params must be an iterable of params.Param, got {type(params).__name__}")
        params = tuple(params)
        if not params or not all(isinstance(p, Param) for p in params):
            raise TypeError("params must be a non-empty iterable of params.Param")
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names in {names}")
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "_by_name", {p.name: p for p in params})

    def __getitem__(self, name: str) -> Param:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self):
        return iter(self.params)

    @property
    def defaults(self) -> dict:
        """Return every parameter's default, by name."""
        return {p.name: p.default for p in self.params}

    def check(self, name: str, value):
        """Validate one value against its declaration."""
        return self._by_name[name].check(value)

    def validate(self, values: Mapping, *, partial: bool = False) -> dict:
        """Return *values* validated and completed with defaults; unknown names are refused."""
        check_type("parameters", values, Mapping, "a mapping of parameter names to values")
        unknown = sorted(set(values) - set(self._by_name))
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; choose from {sorted(self._by_name)}")
        base = {} if partial else self.defaults
        return {**base, **{name: self._by_name[name].check(v) for name, v in values.items()}}

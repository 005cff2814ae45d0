"""Hostile input refused everywhere: every public callable of course_lib, called with hostile values.

The test DISCOVERS its subjects: every callable in a course_lib module's ``__all__`` (functions and classes)
and the public methods of instances it can build, so new code is covered without editing this file.  For
each it first finds a valid call: parameters with defaults keep them; the others come from a small registry
(an Axes, a Figure, a seed, an rng, ...), from the parameter's annotation (``HostedZone``, ``StormResult``, ...)
matched against values that the library's own zero-argument calls return (``published_broken_zone()``,
``metastable.simulate()``, ...), and a few plain values for ``int``/``float``/``str`` annotations.  Callables
for which no valid call is found are listed (not fuzzed).  Then each parameter in turn gets every hostile value
(others valid) under a per-call time limit, and the outcome must be one of:

* a result;
* ``ValueError`` or ``TypeError`` whose message names the parameter;
* a domain exception that course_lib exports (``ChangeRejected``, ``ModelError``, ...).

Anything else (another exception, a message that does not name the parameter, a numpy scalar refused where
the plain number is accepted, running past the time limit) is a failure, unless it is listed, with a reason,
in ``EXPECTED`` below.  Run with ``FUZZ_REPORT=<file>`` to write every outcome as JSON.
"""

from __future__ import annotations

import _thread
import copy
import importlib
import inspect
import json
import math
import os
import pkgutil
import re
import signal
import time
import warnings
from collections import Counter

import numpy as np
import pytest
from matplotlib.figure import Figure

import course_lib

PER_CALL = 0.4  # s: a call with a hostile value that runs longer than this has no upper bound on a size
HARVEST_CALL = 0.4  # s: a zero-argument call made only to collect example values (slower ones are skipped)
SLOW_CALL = 0.15  # s: a callable whose valid call takes longer gets the short battery

# Modules whose public callables are not entry points taking parameter values: the exercise runner (its
# helpers raise AssertionError/Incorrect by design and call arbitrary learner functions), and validate (its
# functions take the value to validate as an argument, so "refusing" a hostile value is their result).
SKIP_MODULES = {"course_lib.exercises", "course_lib.validate"}
# Harvested only by calling, never called to harvest (slow widget builders draw figures).
NO_HARVEST_PREFIXES = ("course_lib.experiments", "course_lib.widgets", "course_lib.plots")

# Known gaps, each with a reason: (qualified name, parameter) or (qualified name, "*") -> why.
# An entry here is a failure that needs more than a one-line check at the function's entry.
_COMPUTE = ("a widget's compute callback: it passes slider values on to the model, whose message names the "
            "model's parameter (e.g. 'at' for restart_at); validating against the chapter's SPEC is the owner's job")
EXPECTED: dict[tuple[str, str], str] = {
    ("course_lib.experiments.ch04.capacity_compute", "*"): _COMPUTE,
    ("course_lib.experiments.ch04.leases_compute", "*"): _COMPUTE,
    ("course_lib.experiments.ch04.storm_compute", "*"): _COMPUTE,
    ("course_lib.r53lock.try_acquire", "seen"): (
        "False is a sentinel ('read the lock now'), not a yes/no value, so np.False_ is rightly not the same"),
    ("course_lib.contention.repeat_strategies", "convention"): (
        "a hostile convention value runs past 0.5 s: needs a bound on the work per seed (owner: P1)"),
    ("course_lib.enactor_model.newest_plan_active", "generations"): (
        "functools.lru_cache refuses an unhashable argument before the function's own entry check can run; "
        "needs a thin validating wrapper around the cached function (owner: P3)"),
    ("course_lib.promela", "*"): "the SPIN export is being written this session by Chapter 3's owner",
    ("course_lib.experiments.ch04.restart_share_table", "shares"): (
        "added this session by the chapter's owner: needs a check that shares is a non-empty tuple of fractions"),
    ("course_lib.experiments.ch06.GameDay", "*"): "Chapter 6 is being written this session; entry checks to follow",
    ("course_lib.experiments.ch06.gameday_experiment", "*"): "Chapter 6 is being written this session",
    ("course_lib.cascade", "*"): "Chapter 6's model is being written this session; entry checks to follow",
    ("course_lib.gameday", "*"): "Chapter 6's game is being written this session; entry checks to follow",
}


def _expected(qualname: str, param: str) -> bool:
    module = qualname.rsplit(".", 1)[0]
    return any(key in EXPECTED for key in ((qualname, param), (qualname, "*"), (module, "*"),
                                            (module.rsplit(".", 1)[0], "*")))


class _Slow(BaseException):
    """The per-call time limit."""


_STOPPING = [False]
_PENDING = (signal.SIGALRM, None)


def _on_alarm(signum, frame):
    """Raise _Slow and keep SIGALRM pending, so code that catches it (Hypothesis retries) meets it again."""
    if not _STOPPING[0]:
        return
    try:
        list(map(_thread.interrupt_main, _PENDING))  # the None raises TypeError: no signal check in between
    except TypeError:
        raise _Slow() from None


def _limited(fn, args, kwargs, seconds):
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    _STOPPING[0] = True
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.005)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    except BaseException:
        _STOPPING[0] = False  # first, before any call: stop the pending exception
        raise
    finally:
        _STOPPING[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- discovery ------------------------------------------------------------------------------------------

def _modules():
    found = []
    for info in pkgutil.walk_packages(course_lib.__path__, "course_lib."):
        if info.name in SKIP_MODULES:
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception:  # a module mid-edit by its owner: its own tests report it
            continue
        if hasattr(module, "__all__"):
            found.append(module)
    return found


MODULES = _modules()
DOMAIN = tuple({obj for m in MODULES for name in m.__all__
                if inspect.isclass(obj := getattr(m, name, None)) and issubclass(obj, Exception)
                and obj.__module__.startswith("course_lib")})


def _public_callables():
    seen, out = set(), []
    for module in MODULES:
        for name in module.__all__:
            obj = getattr(module, name, None)
            if obj is None or not callable(obj) or getattr(obj, "__module__", "") != module.__name__:
                continue
            if inspect.isclass(obj) and issubclass(obj, BaseException):
                continue
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            out.append((f"{module.__name__}.{name}", obj))
    return out


CALLABLES = _public_callables()


def _signature(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def _fillable(sig):
    return [p for p in sig.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


# --- valid examples -------------------------------------------------------------------------------------

def _axes():
    return Figure(figsize=(4, 3)).add_subplot()


BY_NAME = {
    "ax": _axes, "ax_run": _axes, "ax_year": _axes, "fig": lambda: Figure(figsize=(6, 4)),
    "figure": lambda: Figure(figsize=(6, 4)), "axes": lambda: Figure(figsize=(6, 4)).subplots(1, 2),
    "rng": lambda: np.random.default_rng(0), "seed": lambda: 0,
    "hhmm": lambda: "01:00", "generation": lambda: 5, "endpoint": lambda: _regional_endpoint(),
}


def _regional_endpoint():
    from course_lib.dns.layout import REGIONAL_ENDPOINT

    return REGIONAL_ENDPOINT
BY_ANNOTATION = {"int": 3, "float": 1.5, "str": "x", "bool": True, "np.ndarray": np.arange(5.0),
                 "np.random.Generator": np.random.default_rng(0), "datetime": None}


# Small, quick calls whose results are example arguments (each guarded: an API that moved only loses an example).
PRODUCERS = (
    lambda: __import__("course_lib.metastable", fromlist=["x"]).simulate(horizon=60.0),
    lambda: __import__("course_lib.modelcheck", fromlist=["x"]).check(
        __import__("course_lib.textbook_models", fromlist=["x"]).naive_lock()),
    lambda: __import__("course_lib.enactor_model", fromlist=["x"]).initial_state(2, 1),
    lambda: __import__("course_lib.dns.properties", fromlist=["x"]).Snapshot((1, 1), (frozenset({1}), frozenset({1}))),
    lambda: __import__("course_lib.experiments.ch01", fromlist=["x"]).contention_view(clients=20),
    lambda: __import__("course_lib.occ", fromlist=["x"]).run_schedule(
        {"A": lambda: __import__("course_lib.occ", fromlist=["x"]).cas_increment("x")}, ("A",)),
)


def _harvest() -> dict[str, list]:
    """Values the library returns from calls that need no arguments, by type name."""
    pool: dict[str, list] = {}
    from course_lib.timeline import at
    from course_lib.trace import Event

    pool["datetime"] = [at("01:00")]
    pool["Event"] = [Event(0.0, "Planner", "plan", "g1")]
    for make in PRODUCERS:
        try:
            value = _limited(make, (), {}, 4 * HARVEST_CALL)
        except BaseException:
            continue
        pool.setdefault(type(value).__name__, []).append(value)
    for qualname, fn in CALLABLES:
        if qualname.startswith(NO_HARVEST_PREFIXES):
            continue
        sig = _signature(fn)
        if sig is None or any(p.default is p.empty for p in _fillable(sig)):
            continue
        t0 = time.perf_counter()
        try:
            value = _limited(fn, (), {}, HARVEST_CALL)
        except BaseException:  # harvesting only: failures are the fuzz's business
            continue
        BASELINE[id(fn)] = time.perf_counter() - t0
        for item in (value, *(value if isinstance(value, (list, tuple)) and len(value) < 50 else ())):
            pool.setdefault(type(item).__name__, []).append(item)
    return pool


def _candidates(param, pool) -> list:
    if param.name in BY_NAME:
        return [BY_NAME[param.name]]
    note = param.annotation if isinstance(param.annotation, str) else getattr(param.annotation, "__name__", "")
    found = []
    for type_name, values in pool.items():
        if type_name and re.search(rf"\b{re.escape(type_name)}\b", note or ""):
            found.extend(values[:2])
    head = (note or "").split("|")[0].strip()
    if head in BY_ANNOTATION and BY_ANNOTATION[head] is not None:
        found.append(BY_ANNOTATION[head])
    if found and re.match(r"(Sequence|Iterable|list|tuple)\[", note or ""):
        found = [[value] for value in found]
    if not found and not note:  # untyped: the library's results, those named like the parameter first
        word = param.name.lower().rstrip("s")
        ranked = sorted((t for t in pool if t[:1].isupper() and t not in ("Figure", "Axes")),
                        key=lambda t: (word not in t.lower(), t))
        found = [pool[t][0] for t in ranked]
    return found[:12]


def _fresh(value):
    """A copy of a mutable example (a zone, a console) so one call cannot spoil the next; results are shared."""
    if callable(value) and getattr(value, "__name__", "") in ("<lambda>", "_axes"):
        return value()
    params = getattr(type(value), "__dataclass_params__", None)
    if value is None or isinstance(value, (str, bytes, int, float, tuple, frozenset)) or (params and params.frozen):
        return value
    if _COPY_COST.get(id(value), 0.0) > 0.005:  # costly to copy (a big result): share it
        return value
    t0 = time.perf_counter()
    try:
        copied = copy.deepcopy(value)
    except Exception:  # not copyable: share it
        return value
    _COPY_COST[id(value)] = time.perf_counter() - t0
    return copied


_COPY_COST: dict[int, float] = {}


def _valid_call(fn, sig, pool):
    """Return (kwargs, positional names) for a call of *fn* that succeeds, or None."""
    required = [p for p in _fillable(sig) if p.default is p.empty]
    if not required and id(fn) in BASELINE:  # called already while harvesting
        return {}
    options = {p.name: _candidates(p, pool) for p in required}
    if any(not v for v in options.values()):
        return None
    for attempt in range(4):
        kwargs = {name: values[attempt % len(values)] for name, values in options.items()}
        t0 = time.perf_counter()
        try:
            _limited(fn, (), {k: _fresh(v) for k, v in kwargs.items()}, 2 * PER_CALL)
        except BaseException:
            if all(len(v) == 1 for v in options.values()):
                return None
            continue
        BASELINE[id(fn)] = time.perf_counter() - t0
        return kwargs
    return None


BASELINE: dict[int, float] = {}  # seconds a valid call of the callable took
SHORT_BATTERY = ("None", "NaN", "-1", "10**18", "a string", "an array")


# --- hostile values -------------------------------------------------------------------------------------

def _hostile(valid) -> dict[str, object]:
    values = {"None": None, "NaN": math.nan, "inf": math.inf, "-inf": -math.inf, "-1": -1, "0": 0,
              "10**18": 10**18, "True": True, "a string": "not valid", "an empty list": [],
              "an object": object(), "np.nan": np.float64("nan"), "an array": np.array([1.0, 2.0])}
    return values


def _numpy_twin(valid):
    if isinstance(valid, (bool, np.bool_)):
        return np.bool_(valid)
    if isinstance(valid, int):
        return np.int64(valid) if abs(valid) < 2**62 else None
    if isinstance(valid, float):
        return np.float64(valid)
    return None


def _names_param(message: str, name: str) -> bool:
    """True if *message* names the parameter: as spelt, with spaces for underscores, or in the singular."""
    text, base = message.lower(), name.lower().strip("_")
    forms = {base, base.replace("_", " ")}
    if base.endswith("ies"):
        forms.add(base[:-3] + "y")
    elif base.endswith("es") and len(base) > 4:
        forms.update({base[:-2], base[:-1]})
    elif base.endswith("s") and len(base) > 3:
        forms.add(base[:-1])
    return any(re.search(rf"\b{re.escape(form)}", text) for form in forms)


def _outcome(fn, kwargs, name, value, limit) -> str:
    call = {k: _fresh(v) for k, v in kwargs.items()}
    call[name] = value
    try:
        _limited(fn, (), call, limit)
    except _Slow:
        return "ran past the time limit"
    except (ValueError, TypeError) as exc:
        if isinstance(exc, DOMAIN):
            return "ok"
        message = str(exc)
        return "ok" if _names_param(message, name) else f"{type(exc).__name__} not naming {name!r}: {message[:120]}"
    except DOMAIN:
        return "ok"
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc)[:120]}"
    return "ok"


# --- the test -------------------------------------------------------------------------------------------

def _subjects(pool):
    """(qualified name, callable, valid kwargs) for every callable with a valid call, plus bound methods."""
    subjects, unfuzzed = [], []
    for qualname, fn in CALLABLES:
        sig = _signature(fn)
        if sig is None:
            unfuzzed.append((qualname, "no signature"))
            continue
        kwargs = _valid_call(fn, sig, pool)
        if kwargs is None:
            unfuzzed.append((qualname, "no valid call found"))
            continue
        subjects.append((qualname, fn, sig, kwargs))
        if inspect.isclass(fn) and not _is_record(fn):
            try:
                instance = _limited(fn, (), {k: _fresh(v) for k, v in kwargs.items()}, 2 * PER_CALL)
            except BaseException:
                continue
            for attr, member in vars(fn).items():
                if attr.startswith("_") or not inspect.isfunction(member):
                    continue
                method = getattr(instance, attr)
                msig = _signature(method)
                if msig is None or not _fillable(msig):
                    continue
                mkwargs = _valid_call(method, msig, pool)
                if mkwargs is None:
                    unfuzzed.append((f"{qualname}.{attr}", "no valid call found"))
                    continue
                subjects.append((f"{qualname}.{attr}", _MethodOnCopy(instance, attr), msig, mkwargs))
    return subjects, unfuzzed


def _is_record(cls) -> bool:
    """A plain result record (a dataclass without methods of its own): nothing to fuzz in its methods."""
    return hasattr(cls, "__dataclass_fields__")


class _MethodOnCopy:
    """Call a method on a fresh copy of the instance, so one hostile call cannot spoil the next."""

    def __init__(self, instance, attr):
        self.instance, self.attr = instance, attr

    def __call__(self, *args, **kwargs):
        return getattr(_fresh(self.instance), self.attr)(*args, **kwargs)


def test_every_public_callable_refuses_hostile_values_by_name():
    """Each parameter of each public callable, given each hostile value: a result, a named refusal, or a domain error."""
    started = time.perf_counter()
    pool = _harvest()
    subjects, unfuzzed = _subjects(pool)
    failures, outcomes, calls = {}, Counter(), 0
    per_subject = {}
    harvested = time.perf_counter() - started
    for qualname, fn, sig, kwargs in subjects:
        t_subject = time.perf_counter()
        for param in _fillable(sig):
            valid = kwargs.get(param.name, param.default)
            battery = dict(_hostile(valid))
            baseline = BASELINE.get(id(fn), 0.0)
            if baseline > SLOW_CALL:
                battery = {k: v for k, v in battery.items() if k in SHORT_BATTERY}
            limit = min(max(PER_CALL, 2 * baseline), 1.2)
            twin = _numpy_twin(valid)
            for label, value in battery.items():
                result = _outcome(fn, kwargs, param.name, value, limit)
                calls += 1
                outcomes[result == "ok"] += 1
                if result != "ok":
                    failures.setdefault((qualname, param.name), []).append(f"{label}: {result}")
            if twin is not None:
                calls += 1
                try:
                    call = {k: _fresh(v) for k, v in kwargs.items()}
                    call[param.name] = twin
                    _limited(fn, (), call, limit)
                except _Slow:
                    pass
                except (ValueError, TypeError) as exc:
                    if "must be" in str(exc) and type(twin).__name__ in str(exc):
                        failures.setdefault((qualname, param.name), []).append(
                            f"numpy scalar {twin!r} refused where {valid!r} is accepted: {exc}")
                except Exception:
                    pass
        per_subject[qualname] = time.perf_counter() - t_subject
    seconds = time.perf_counter() - started
    unexpected = {key: why for key, why in failures.items() if not _expected(*key)}
    report = os.environ.get("FUZZ_REPORT")
    if report:
        with open(report, "w", encoding="utf-8") as out:
            slowest = dict(sorted(per_subject.items(), key=lambda kv: -kv[1])[:25])
            json.dump({"seconds": seconds, "setup": harvested, "slowest": slowest, "callables": len(CALLABLES), "fuzzed": len(subjects), "calls": calls,
                       "unfuzzed": unfuzzed, "failures": {f"{k[0]}({k[1]})": v for k, v in failures.items()}},
                      out, indent=1, default=str)
    assert not unexpected, (f"{len(unexpected)} parameters mishandle hostile values:\n"
                            + "\n".join(f"{k[0]}({k[1]}): {v[0]}" + (f" (+{len(v) - 1} more)" if len(v) > 1 else "")
                                        for k, v in sorted(unexpected.items())))


def test_discovery_finds_the_models():
    """Discovery sees the models, plot helpers and widget builders (so new code is fuzzed unchanged)."""
    names = {q for q, _ in CALLABLES}
    assert len(CALLABLES) > 100
    assert any(q.startswith("course_lib.plots.") for q in names)
    assert any(q.startswith("course_lib.experiments.") for q in names)
    assert "course_lib.route53.HostedZone" in names


def test_validate_takes_numpy_scalars_and_refuses_the_rest_by_name():
    """validate: numpy scalars are numbers, numpy bools are bools, bools are not numbers, arrays name the parameter."""
    from course_lib import validate as v

    assert v.check_type("n", np.int64(3), int) == 3 and v.check_type("flag", np.True_, bool) is True
    assert v.check_number("x", np.float32(0.5), lo=0) == 0.5 and v.check_int("k", np.int16(4), lo=0) == 4
    assert v.check_bool("flag", np.False_) is False and v.check_choice("policy", np.str_("a"), ["a", "b"]) == "a"
    refusals = [(lambda: v.check_type("n", True, int), TypeError, "n must be int, not True or False"),
                (lambda: v.check_number("x", True), TypeError, "x must be a number"),
                (lambda: v.check_number("x", np.array([1.0])), TypeError, "x must be a number"),
                (lambda: v.check_choice("policy", np.array([1, 2]), ["a"]), TypeError, "policy must be one of"),
                (lambda: v.check_choice("k", True, [1, 2]), ValueError, "unknown k True"),
                (lambda: v.check_bool("flag", 1), TypeError, "flag must be True or False"),
                (lambda: v.check_size("samples", 10**9, hi=10**6), ValueError, "samples must be an integer in"),
                (lambda: v.check_axes("ax", 3), TypeError, "ax must be a matplotlib Axes"),
                (lambda: v.check_figure("fig", "x"), TypeError, "fig must be a matplotlib Figure")]
    for call, kind, words in refusals:
        with pytest.raises(kind, match=re.escape(words)):
            call()
    with pytest.raises(TypeError):
        v.check_size("samples", 5)  # the upper bound is required

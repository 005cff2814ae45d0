"""Hostile input refused everywhere: every public callable of course_lib, called with hostile values.

The test DISCOVERS its subjects: every callable in a course_lib module's ``__all__`` (functions and classes)
and the public methods of instances it can build, so new code is covered without editing this file.  For
each it first finds a valid call: parameters with defaults keep them; the others come from a small registry
(an Axes, a Figure, a seed, an rng, ...), from the parameter's annotation (``HostedZone``, ``StormResult``, ...)
matched against values that the library's own zero-argument calls return (``published_broken_zone()``,
``metastable.simulate()``, ...), and a few plain values for ``int``/``float``/``str`` annotations; where that
is not enough, ``RECIPES`` gives the callable's valid arguments (factories, called afresh for every call; a
record class is rebuilt from the fields of an instance the library made) and ``INSTANCES`` the instance whose
methods are fuzzed.  Every callable must get a valid call: the test fails on one that gets none and is not in
``EXEMPT`` (each entry with its reason).  A generator result is run to its end, so a lazy entry check counts.
Then each parameter in turn gets every hostile value (others valid) under a per-call time limit (a call that
reaches it is tried once more at 3x, so a busy machine is not taken for a missing bound), and the outcome must
be one of:

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
import dataclasses
import functools
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
EXPECTED: dict[tuple[str, str], str] = {
    ("course_lib.r53lock.try_acquire", "seen"): (
        "False is a sentinel ('read the lock now'), not a yes/no value, so np.False_ is rightly not the same"),
}


# Hostile values NOT run at all, because running them harms the test process itself (an unbounded allocation
# interrupted by the time limit has left the heap corrupted, aborting pytest later): (qualname, param) -> labels.
# (Empty now: enactor_model.Compact bounds enactors/generations/endpoints before sizing its tables.)
NOT_RUN: dict[tuple[str, str], tuple[str, ...]] = {}
_NOT_RUN_WHY = "running this value harms the test process (an unbounded allocation)"
for _key in NOT_RUN:
    EXPECTED[_key] = _NOT_RUN_WHY


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


# --- recipes: a valid call for each callable the generic search cannot build ----------------------------
# qualified name -> {parameter: zero-argument factory}.  Each factory is called afresh for every call, so a
# mutable value (a zone, a generator, a queue) is never shared between calls.  Parameters not listed come
# from the generic search (defaults, BY_NAME, annotations).

def _lib(name: str):
    return importlib.import_module(f"course_lib.{name}")


def _race():
    return _lib("dns_race").run_published()


def _tree(generation: int = 44):
    layout = _lib("dns.layout")
    return layout.tree_name(generation, layout.REGIONAL_ENDPOINT)


def _repair_batch():
    """A batch that repairs Chapter 5's broken zone: point the regional alias at a tree that exists."""
    console = _lib("console")
    tree = console.Console().trees()[-1].name
    return [console.alias_change("UPSERT", _lib("dns.layout").REGIONAL_ENDPOINT, tree)]


def _stopped_console():
    """Chapter 5's console with the automation stopped (the state in which an operator applies a repair)."""
    console = _lib("console").Console()
    console.stop_automation()
    return console


def _audit_entry():
    console = _stopped_console()
    batch = _repair_batch()
    console.preview(batch)
    console.apply(batch)
    return console.audit[-1]


@functools.cache
def _counterexample_steps():
    """The model checker's recoverability counterexample (a replayable list of steps, Chapter 3)."""
    em = _lib("enactor_model")
    return tuple(_lib("modelcheck").check_each(em.enactor_model(2, 4, 1, 2, ()))["recoverability"].actions)


def _first_check_index():
    return next(i for i, e in enumerate(_race().trace) if e.kind == "check")


def _one_attempt(sleep):
    """An attempt process for backoff.retry: lose the first try (so the strategy is asked), win the retry."""
    yield 1.0 if sleep is None else 1.0 + sleep
    return sleep is not None


def _process():
    yield 1.0


def _lease():
    return _lib("dwfm").simulate()


def _propagation():
    return _lib("network_manager").simulate(_lease())


def _capacity():
    return _lib("nlb").simulate(_propagation(), failover_disabled_at=None, failover_enabled_at=None)


def _storm():
    return _lib("metastable").simulate(horizon=60.0)


def _record(cls_name: str, make):
    """The fields of an instance made by *make*, to rebuild the record class from."""
    value = make()
    return {f.name: _v(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}


@functools.cache
def _small_spread():
    """A spread with enough fitted draws (at least 10) for its median interval."""
    return _lib("held_out").spread(20, seed=0)


@functools.cache
def _aws_record():
    return _lib("gameday").play(_lib("gameday").aws_policy)


def _game():
    return _lib("gameday").Game(0)


def _lock_record():
    r53lock = _lib("r53lock")
    route53 = _lib("route53")
    return route53.Record(_lib("dns.layout").LOCK_NAME if hasattr(_lib("dns.layout"), "LOCK_NAME") else "lock.example",
                          "TXT", (r53lock.lock_value("Enactor 1", 10.0),))


def _new_a_record():
    return _lib("route53").Record("fuzz.example.com", "A", ("192.0.2.1",))


def _new_change():
    return _lib("route53").Change("CREATE", _new_a_record())


def _param():
    return _lib("params").Param("x", 1.0, lo=0.0, hi=2.0, label="x", step=0.1)


def _ticks(n=2, classes=1):
    return np.ones((n, classes), dtype=np.int64)


def _obs():
    return {"dt": 0.1, "tick": 3, "capacity": np.full(2, 300.0), "queue": np.array([5, 0], dtype=np.int64)}


def _started(name):
    """A policy class *name* started on two scenarios (what metastable does before its first tick)."""
    policy = getattr(_lib("policies"), name)()
    policy.start(2, 0.1, np.full(2, 300.0), 1.0)
    return policy


@functools.cache
def _mc_result():
    em = _lib("enactor_model")
    return _lib("modelcheck").check(em.enactor_model(2, 3, 1, 1))


def _explosion_rows():
    return _lib("enactor_model").state_explosion(2, 2, 1, 1)


def _explosion_figure():
    """A figure drawn by draw_explosion_figure (what restyle_explosion_figure updates in place)."""
    fig = Figure(figsize=(6, 3))
    _lib("plots.modelcheck").draw_explosion_figure(fig, _explosion_rows())
    return fig


def _v(value):
    """A factory for a fixed immutable value (numbers, strings, tuples, functions)."""
    return lambda: value


RECIPES: dict[str, dict] = {
    "course_lib.backoff.check_args": {"attempt": _v(0), "previous": _v(1.0), "base": _v(1.0), "cap": _v(10.0)},
    "course_lib.backoff.check_sleep": {"name": _v("full jitter"), "sleep": _v(1.0)},
    "course_lib.backoff.retry": {"attempt": _v(_one_attempt), "strategy": lambda: _lib("backoff").full_jitter,
                                 "base": _v(1.0), "cap": _v(10.0)},
    "course_lib.backoff.strategy_named": {"name": _v("full jitter")},
    "course_lib.cascade.Action": {"at": _v(60.0), "kind": _v("rpz override")},
    "course_lib.cascade.NightResult": lambda: _record("NightResult", lambda: _lib("cascade").run()),
    "course_lib.cascade.clock": {"minute": _v(60.0)},
    "course_lib.cascade.published_minute": {"name": _v("dns restored")},
    "course_lib.checks.ch02.timeline_around": {"result": _race, "index": _v(5)},
    "course_lib.console.Console.preview": {"batch": _repair_batch},
    "course_lib.console.Console.apply": {"batch": _repair_batch},
    "course_lib.console.Console.was_previewed": {"entry": _audit_entry},
    "course_lib.console.alias_change": {"action": _v("UPSERT"), "endpoint": lambda: _lib("dns.layout").REGIONAL_ENDPOINT,
                                        "target": _tree},
    "course_lib.console.parse_batch": {"batch": lambda: [{"action": "CREATE", "name": "fuzz.example.com",
                                                          "type": "A", "values": ["192.0.2.1"]}]},
    "course_lib.contention.mean_ci": {"values": lambda: [1.0, 2.0, 4.0]},
    "course_lib.contention.sweep_clients": {"counts": _v((2, 3))},
    "course_lib.dns.layout.tree_endpoint": {"name": _tree},
    "course_lib.dns.layout.tree_generation": {"name": _tree},
    "course_lib.dns.properties.Snapshot": {"aliases": _v((1, 1)), "trees": _v((frozenset({1}), frozenset({1})))},
    "course_lib.dns.properties.explain": {"name": _v("record never empty"), "before": _v(None),
                                          "after": lambda: _lib("dns.properties").Snapshot((1,), (frozenset({1}),)),
                                          "endpoints": _v(("dynamodb.us-east-1.amazonaws.com",))},
    "course_lib.dns.properties.holds": {"name": _v("record never empty"), "before": _v(None),
                                        "after": lambda: _lib("dns.properties").Snapshot((1,), (frozenset({1}),))},
    "course_lib.dns.rules.check_fixes": {"fixes": _v(("protect_active",))},
    "course_lib.dns_race.fenced_delete": {
        "zone": lambda: _race().zone, "endpoints": lambda: _lib("dns.layout").ENDPOINTS[:3],
        "generation": lambda: _lib("dns.layout").tree_generations(_race().zone, _lib("dns.layout").REGIONAL_ENDPOINT)[0]},
    "course_lib.dns_race.replay": {"steps": _counterexample_steps, "enactors": _v(2), "endpoints": _v(1), "K": _v(2)},
    "course_lib.dns_race_montecarlo.p_at_least_one": {"p_run": _v(1e-6), "runs": _v(1000.0)},
    "course_lib.dns_race_montecarlo.race_curve": {"sigmas": _v((0.5, 1.0))},
    "course_lib.dns_race_properties.became_stale_index": {"result": _race, "check_index": _first_check_index},
    "course_lib.dwfm.mitigation_actions": {"mitigation": _v("throttle")},
    "course_lib.enactor_model.Compact": {"enactors": _v(2), "generations": _v(3), "endpoints": _v(1), "K": _v(1),
                                         "fixes": _v(frozenset()), "protect": lambda: _lib("enactor_model").is_active,
                                         "operator": _v(True)},
    "course_lib.enactor_model.enactor_moves": {"z": lambda: _lib("enactor_model").initial_state(2, 1),
                                               "e": lambda: _lib("enactor_model").initial_state(2, 1).enactors[0],
                                               "fixes": _v(frozenset()), "K": _v(1)},
    "course_lib.enactor_model.race_events": {"result": _mc_result},
    "course_lib.enactor_model.successors": {"z": lambda: _lib("enactor_model").initial_state(2, 1),
                                            "generations": _v(3), "K": _v(1), "fixes": _v(frozenset())},
    "course_lib.events.Scheduler.process": {"proc": _process},
    "course_lib.experiments.ch03.explosion_summary": {"rows": _explosion_rows},
    "course_lib.experiments.ch04.capacity_summary": {"run": _capacity},
    "course_lib.experiments.ch04.how_set": {"stage": _v("dwfm"), "name": _v("rate")},
    "course_lib.experiments.ch04.leases_summary": {"run": _lease},
    "course_lib.experiments.ch04.storm_summary": {"result": _storm},
    "course_lib.experiments.ch05.describe_repairs": {"result": lambda: _lib("experiments.ch05").explore_repairs()},
    "course_lib.experiments.ch06.GameDay.turn": {"action": lambda: _game().available()[0]},
    "course_lib.experiments.ch06.whatif_summary": {"night": lambda: _lib("cascade").run()},
    "course_lib.held_out.spread": {"draws": _v(3)},
    "course_lib.held_out.Spread": lambda: _record("Spread", _small_spread),
    "course_lib.held_out.Refit": lambda: _record("Refit", lambda: _small_spread().reruns[0]),
    "course_lib.gameday.Game.refusal": {"action": lambda: _game().available()[0]},
    "course_lib.gameday.Game.cost": {"action": lambda: _game().available()[0]},
    "course_lib.gameday.Game.act": {"action": lambda: _game().available()[0]},
    "course_lib.gameday.View": lambda: _record("View", lambda: _game().view()),
    "course_lib.gameday.compare_teams": {"records": lambda: {"AWS": _aws_record()}},
    "course_lib.gameday.play": {"policy": lambda: _lib("gameday").aws_policy},
    "course_lib.lock_contention.fenced_batch": {"lock_seen": _lock_record, "changes": lambda: [_new_change()]},
    "course_lib.lock_contention.loss_tail": {"rho": _v(0.5), "k": _v(2)},
    "course_lib.lock_contention.losses_for_tail": {"rho": _v(0.5), "policy": _v("exponential")},
    "course_lib.lock_contention.losses_pmf": {"rho": _v(0.5)},
    "course_lib.lock_contention.tail_closed_form": {"rho": _v(0.5), "policy": _v("exponential")},
    "course_lib.lock_contention.tail_estimate": {"runs": lambda: _lib("lock_contention").lock_runs(seeds=(0, 1))},
    "course_lib.lock_contention.tail_table": {"contenders": _v((2, 3)), "seeds": _v((0, 1))},
    "course_lib.lock_contention.wait_after_losses": {"n": _v(2), "policy": _v("exponential"), "base": _v(0.5),
                                                     "cap": _v(60.0)},
    "course_lib.metastable.DeadlineQueue": {"n": _v(2), "window": _v(3), "classes": _v(1)},
    "course_lib.metastable.DeadlineQueue.push": {"counts": _ticks},
    "course_lib.metastable.DeadlineQueue.serve": {"capacity": lambda: np.array([1, 1], dtype=np.int64)},
    "course_lib.metastable.DeadlineQueue.clear_rows": {"rows": lambda: np.array([True, False])},
    "course_lib.metastable.simulate_batch": {"load": lambda: np.array([250.0, 280.0]), "horizon": _v(60.0)},
    "course_lib.mitigations.compare": {"horizon": _v(60.0)},
    "course_lib.contention.repeat_strategies": {"clients": _v(20), "seeds": _v(range(3))},
    "course_lib.modelcheck.Model": {"name": _v("counter"), "initial": _v(0),
                                    "successors": _v(lambda s: [("step", s + 1)] if s < 3 else [])},
    "course_lib.modelcheck.can_reach": {"edges": lambda: {0: [1], 1: [2], 2: []}, "goals": _v((2,))},
    "course_lib.modelcheck.trace_events": {"result": _mc_result},
    "course_lib.nlb.CapacityRun": lambda: _record("CapacityRun", _capacity),
    "course_lib.nlb.simulate": {"propagation": _propagation, "failover_disabled_at": _v(None),
                                "failover_enabled_at": _v(None)},
    "course_lib.occ.RunResult": lambda: _record("RunResult", lambda: _lib("occ").run_schedule(
        {"A": _lib("occ").cas_increment}, ("A", "A"))),
    "course_lib.occ.VersionedStore.write": {"key": _v("x"), "value": _v(1)},
    "course_lib.occ.VersionedStore.cas": {"key": _v("x"), "version": _v(0), "value": _v(1)},
    "course_lib.occ.VersionedStore.apply": {"op": lambda: _lib("occ").read("x")},
    "course_lib.occ.all_interleavings": {"steps": lambda: {"A": 2, "B": 1}},
    "course_lib.enactor_model.Compact.on_route53": {"fn": lambda: _lib("enactor_model").record_never_empty},
    "course_lib.enactor_model.Compact.on_view": {"fn": lambda: _lib("enactor_model").record_never_empty},
    "course_lib.occ.cas": {"key": _v("x"), "version": _v(0), "value": _v(1)},
    "course_lib.occ.write": {"key": _v("x"), "value": _v(1)},
    "course_lib.occ.run_schedule": {"clients": lambda: {"A": _lib("occ").cas_increment, "B": _lib("occ").blind_increment},
                                    "schedule": _v(("A", "B", "A", "B"))},
    "course_lib.params.Param": {"name": _v("x"), "default": _v(1.0), "lo": _v(0.0), "hi": _v(2.0)},
    "course_lib.params.Spec": {"params": lambda: [_param()]},
    "course_lib.phase.largest_surviving_load": {"horizon": _v(60.0), "step": _v(20.0)},
    "course_lib.phase.phase_diagram": {"loads": lambda: np.array([200.0, 290.0]), "values": lambda: np.array([0.0, 10.0]),
                                       "horizon": _v(60.0), "dt": _v(0.2)},
    "course_lib.plots.automation.draw_coverage_sweep": {"coverages": _v((0.5, 0.9)),
                                                        "curves": lambda: {0: [30.0, 20.0], 4: [20.0, 10.0]}},
    "course_lib.plots.automation.draw_explorer": {"result": lambda: _lib("experiments.ch05").explore_repairs()},
    "course_lib.plots.automation.draw_proficiency": {
        "day": lambda: np.arange(10.0), "prof": lambda: np.linspace(1.0, 0.5, 10),
        "incident_days": lambda: np.array([3.0]), "drill_days": lambda: np.array([6.0])},
    "course_lib.plots.automation.restyle_explorer": {"result": lambda: _lib("experiments.ch05").explore_repairs()},
    "course_lib.plots.backdrop.backdrop": {"moving": lambda: [], "key": _v("fuzz")},
    "course_lib.plots.cascade.draw_dashboard": {"view": lambda: _game().view()},
    "course_lib.plots.cascade.draw_night": {"night": lambda: _lib("cascade").run()},
    "course_lib.plots.cascade.draw_table": {"rows": lambda: _lib("cascade").compare()},
    "course_lib.plots.cascade.draw_timelines": {
        "records": lambda: {"AWS": _aws_record()},
        "aws_steps": lambda: _lib("gameday").aws_decisions()},
    "course_lib.plots.cascade.restyle_dashboard": {"view": lambda: _game().view()},
    "course_lib.plots.cascade.restyle_night": {"night": lambda: _lib("cascade").run()},
    "course_lib.plots.dns_race.draw_race": {"axes": lambda: _lib("plots.dns_race").race_axes(Figure(figsize=(8, 5))),
                                            "result": _race},
    "course_lib.plots.dns_race.draw_race_curve": {
        "estimates": lambda: _lib("dns_race_montecarlo").race_curve((0.5, 1.0), n_runs=2000),
        "runs": _v(1e6), "p_year": _v([0.1, 0.2])},
    "course_lib.plots.dns_race.draw_race_widget": {"result": _race},
    "course_lib.plots.dns_race.draw_swimlanes_fast": {"events": lambda: _race().trace},
    "course_lib.plots.dns_race.restyle_race_widget": {"result": _race},
    "course_lib.plots.dns_race.step_labels": {"steps": lambda: _lib("dns_race_properties").pes_steps(_race())},
    "course_lib.plots.metastable.draw_capacity": {"run": _capacity},
    "course_lib.plots.metastable.draw_leases": {"run": _lease},
    "course_lib.plots.metastable.draw_phase": {"phase": lambda: _lib("phase").phase_diagram(
        np.array([100.0, 200.0]), np.array([0.0, 10.0]), horizon=60.0, dt=0.2)},
    "course_lib.plots.metastable.draw_storm": {"result": _storm},
    "course_lib.plots.metastable.restyle_storm": {"result": _storm},
    "course_lib.plots.metastable.restyle_capacity": {"run": _capacity},
    "course_lib.plots.metastable.restyle_leases": {"run": _lease},
    "course_lib.plots.metastable.trailing_mean": {"values": lambda: np.arange(20.0), "k": _v(3)},
    "course_lib.plots.modelcheck.draw_explosion": {"rows": _explosion_rows},
    "course_lib.plots.modelcheck.draw_explosion_figure": {"rows": _explosion_rows},
    "course_lib.plots.modelcheck.restyle_explosion_figure": {"fig": lambda: _explosion_figure(),
                                                               "rows": _explosion_rows},
    "course_lib.policies.policy_named": {"name": _v("retry budget")},
    "course_lib.r53lock.parse_lock": {"record": _lock_record},
    "course_lib.route53.Change": {"action": _v("CREATE"), "record": _new_a_record},
    "course_lib.route53.HostedZone.validate": {"batch": lambda: [_new_change()]},
    "course_lib.route53.HostedZone.change": {"batch": lambda: [_new_change()]},
    "course_lib.route53.HostedZone.try_change": {"batch": lambda: [_new_change()]},
    "course_lib.route53.Record": {"name": _v("fuzz.example.com"), "type": _v("A"), "values": _v(("192.0.2.1",))},
    "course_lib.signals.Signals": lambda: _record("Signals", lambda: _lib("signals").first_hour()),
    "course_lib.signals.onset": {"t": lambda: np.arange(100.0),
                                 "values": lambda: np.r_[np.random.default_rng(0).normal(0, 1, 60), np.full(40, 50.0)],
                                 "baseline_until": _v(50.0)},
    "course_lib.skills.repair_minutes": {"prof": lambda: np.array([0.2, 0.9])},
    "course_lib.textbook_models.mutual_exclusion": {"state": lambda: _lib("textbook_models").naive_lock().initial},
    "course_lib.textbook_models.naive_lock_successors": {"state": lambda: _lib("textbook_models").naive_lock().initial},
    "course_lib.timeline.describe": {"snap": lambda: _lib("timeline").snapshot(100)},
    "course_lib.timeline.event": {"hhmm": lambda: _lib("timeline").EVENTS[0].clock},
    "course_lib.timeline.published": {"name": _v("dns restored")},
    "course_lib.widgets.Experiment": {
        "controls": lambda: {"x": _lib("widgets").int_slider("x", 1, 0, 3)},
        "compute": _v(lambda x: x), "draw": _v(lambda fig, result: fig.add_subplot().plot([0, result]))},
    "course_lib.widgets.control": {"param": _param},
    "course_lib.widgets.dropdown": {"description": _v("choice"), "options": _v(("a", "b"))},
}
for _name in ("Backoff", "BudgetPolicy", "CircuitBreaker", "LoadShedding", "QueueDelayDetector"):
    RECIPES[f"course_lib.policies.{_name}.start"] = {"n": _v(2), "dt": _v(0.1), "capacity": lambda: np.full(2, 300.0),
                                                    "timeout": _v(1.0)}
for _prop in ("active_plan_never_deleted", "check_all", "generation_never_decreases", "pes_steps",
              "record_never_empty", "slow_run_finished", "summarize"):
    RECIPES[f"course_lib.dns_race_properties.{_prop}"] = {"result": _race}

_POLICY_CLASSES = ("Backoff", "BudgetPolicy", "CircuitBreaker", "Lifo", "LoadShedding", "QueueDelayDetector")
_POLICY_ARGS = {"wanted": lambda: np.array([[3, 1], [0, 0]], dtype=np.int64), "obs": _obs,
                "ok": lambda: np.array([2, 0], dtype=np.int64), "failed": lambda: np.array([1, 0], dtype=np.int64),
                "first": lambda: np.array([4, 1], dtype=np.int64), "retries": lambda: np.array([[1, 0], [0, 0]], dtype=np.int64),
                "arriving": lambda: np.array([4, 1], dtype=np.int64)}
for _name in _POLICY_CLASSES:
    for _method in ("retries", "observe", "send", "lifo", "admit"):
        _sig = inspect.signature(getattr(_lib("policies"), _name).__dict__.get(_method, lambda self: None))
        RECIPES[f"course_lib.policies.{_name}.{_method}"] = {
            p: _POLICY_ARGS[p] for p in _sig.parameters if p in _POLICY_ARGS}

# The instance whose methods are fuzzed, where the class's own valid call gives one not ready for them.
INSTANCES: dict[str, object] = {f"course_lib.policies.{n}": (lambda n=n: _started(n)) for n in _POLICY_CLASSES}
INSTANCES["course_lib.console.Console"] = _stopped_console

# Callables not fuzzed at all, each with the reason.  The test fails if any other callable gets no valid call.
EXEMPT: dict[str, str] = {
    "course_lib.promela.spin_or_stored": (
        "takes no required argument but runs the Spin model checker in a subprocess when it is installed, which "
        "takes longer than the per-call limit; its one parameter is fuzzed through promela.verify(trail=...)"),
}


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
        if inspect.isgenerator(value):
            HARVESTED[id(fn)] = value
            continue
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


class _Make:
    """A recipe's factory: called afresh for each call that takes the value."""

    def __init__(self, make):
        self.make = make

    def __call__(self):
        return self.make()


def _fresh(value):
    """A copy of a mutable example (a zone, a console) so one call cannot spoil the next; results are shared."""
    if isinstance(value, _Make) or (callable(value) and getattr(value, "__name__", "") in ("<lambda>", "_axes")):
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


def _recipe(qualname: str) -> dict:
    recipe = RECIPES.get(qualname, {})
    if callable(recipe):  # a record class: the fields of an instance the library made
        recipe = recipe()
    return {name: _Make(make) for name, make in recipe.items()}


def _valid_call(fn, sig, pool, qualname=""):
    """Return kwargs for a call of *fn* that succeeds (recipe values first, then the generic search), or None."""
    recipe = _recipe(qualname)
    unknown = set(recipe) - {p.name for p in _fillable(sig)}
    if unknown:
        raise AssertionError(f"RECIPES[{qualname!r}] names parameters it does not have: {sorted(unknown)}")
    required = [p for p in _fillable(sig) if p.default is p.empty and p.name not in recipe]
    if not required and not recipe and id(fn) in BASELINE:  # called already while harvesting
        _check_drains(fn, HARVESTED.get(id(fn)))
        return {}
    options = {p.name: _candidates(p, pool) for p in required}
    options.update({name: [make] for name, make in recipe.items()})
    if any(not v for v in options.values()):
        return None
    for attempt in range(4):
        kwargs = {name: values[attempt % len(values)] for name, values in options.items()}
        t0 = time.perf_counter()
        try:
            result = _limited(fn, (), {k: _fresh(v) for k, v in kwargs.items()}, (2 if options else 6) * PER_CALL)
        except BaseException:
            if all(len(v) == 1 for v in options.values()):
                return None
            continue
        BASELINE[id(fn)] = time.perf_counter() - t0
        _check_drains(fn, result)
        return kwargs
    return None


def _check_drains(fn, result):
    """Mark *fn* undrainable if its valid call's generator does not run to its end on next() alone."""
    if not inspect.isgenerator(result):
        return
    try:
        _limited(lambda: [None for _ in zip(range(10_000), result, strict=False)], (), {}, 2 * PER_CALL)
    except BaseException:
        _UNDRAINABLE.add(id(fn))


_UNDRAINABLE: set[int] = set()  # callables whose valid call returns a generator that needs values sent in


def _drained(fn):
    """*fn*, with a generator result run to its end (at most 10,000 steps), so a lazy entry check is met."""
    def call(*args, **kwargs):
        result = fn(*args, **kwargs)
        if inspect.isgenerator(result) and id(fn) not in _UNDRAINABLE:
            for _ in zip(range(10_000), result, strict=False):
                pass
        return result
    return call


HARVESTED: dict[int, object] = {}  # generators returned by zero-argument calls while harvesting
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


KINDS: Counter = Counter()  # outcomes of the hostile calls, by kind (for the report)


def _outcome(fn, kwargs, name, value, limit) -> str:
    """One hostile call's verdict.  A call that reaches the time limit (or fails only after reaching it) is
    tried once more with 3x the limit, so a busy machine (CI shares its cores) is not taken for a missing bound."""
    kind, verdict, elapsed = _attempt(fn, kwargs, name, value, limit)
    if elapsed >= limit and verdict != "ok":
        kind, verdict, _ = _attempt(fn, kwargs, name, value, 3 * limit)
    KINDS[kind] += 1
    return verdict


def _attempt(fn, kwargs, name, value, limit) -> tuple[str, str, float]:
    call = {k: _fresh(v) for k, v in kwargs.items()}
    call[name] = value
    t0 = time.perf_counter()
    try:
        _limited(_drained(fn), (), call, limit)
    except _Slow:
        return "ran past the time limit", "ran past the time limit", time.perf_counter() - t0
    except (ValueError, TypeError) as exc:
        elapsed = time.perf_counter() - t0
        if isinstance(exc, DOMAIN):
            return f"domain {type(exc).__name__}", "ok", elapsed
        message = str(exc)
        named = _names_param(message, name)
        kind = f"{type(exc).__name__} {'naming' if named else 'NOT naming'} the parameter"
        return kind, ("ok" if named else f"{type(exc).__name__} not naming {name!r}: {message[:120]}"), elapsed
    except DOMAIN as exc:
        return f"domain {type(exc).__name__}", "ok", time.perf_counter() - t0
    except Exception as exc:
        return f"other {type(exc).__name__}", f"{type(exc).__name__}: {str(exc)[:120]}", time.perf_counter() - t0
    return "a result", "ok", time.perf_counter() - t0


# --- the test -------------------------------------------------------------------------------------------

def _subjects(pool):
    """(qualified name, callable, valid kwargs) for every callable with a valid call, plus bound methods."""
    subjects, unfuzzed = [], []
    for qualname, fn in CALLABLES:
        if qualname in EXEMPT:
            continue
        sig = _signature(fn)
        if sig is None:
            unfuzzed.append((qualname, "no signature"))
            continue
        kwargs = _valid_call(fn, sig, pool, qualname)
        if kwargs is None:
            unfuzzed.append((qualname, "no valid call found"))
            continue
        subjects.append((qualname, fn, sig, kwargs))
        if inspect.isclass(fn) and not _is_record(fn):
            make = INSTANCES.get(qualname, functools.partial(_build, fn, kwargs))
            try:
                instance = _limited(make, (), {}, 2 * PER_CALL)
            except BaseException as exc:
                unfuzzed.append((qualname + ".*", f"no instance for its methods: {type(exc).__name__}"))
                continue
            for attr, member in vars(fn).items():
                if attr.startswith("_") or not inspect.isfunction(member):
                    continue
                method = getattr(instance, attr)
                msig = _signature(method)
                if msig is None or not _fillable(msig):
                    continue
                mkwargs = _valid_call(method, msig, pool, f"{qualname}.{attr}")
                if mkwargs is None:
                    unfuzzed.append((f"{qualname}.{attr}", "no valid call found"))
                    continue
                subjects.append((f"{qualname}.{attr}", _MethodOnCopy(instance, attr), msig, mkwargs))
    return subjects, unfuzzed


def _build(cls, kwargs):
    return cls(**{k: _fresh(v) for k, v in kwargs.items()})


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
    only = os.environ.get("FUZZ_ONLY")  # a prefix of qualified names, to fuzz a few callables while debugging
    for qualname, fn, sig, kwargs in subjects:
        if only and not qualname.startswith(only):
            continue
        t_subject = time.perf_counter()
        for param in _fillable(sig):
            valid = kwargs.get(param.name, param.default)
            valid = valid() if isinstance(valid, _Make) else valid
            battery = dict(_hostile(valid))
            baseline = BASELINE.get(id(fn), 0.0)
            if baseline > SLOW_CALL:
                battery = {k: v for k, v in battery.items() if k in SHORT_BATTERY}
            limit = min(max(PER_CALL, 2 * baseline), 1.2)
            twin = _numpy_twin(valid)
            for label, value in battery.items():
                if label in NOT_RUN.get((qualname, param.name), ()):
                    failures.setdefault((qualname, param.name), []).append(f"{label}: not run ({_NOT_RUN_WHY})")
                    continue
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
                    _limited(_drained(fn), (), call, limit)
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
    unbuildable = {q: why for q, why in unfuzzed if q not in EXEMPT}
    stale = sorted(set(EXEMPT) - {q for q, _ in CALLABLES})
    report = os.environ.get("FUZZ_REPORT")
    if report:
        with open(report, "w", encoding="utf-8") as out:
            slowest = dict(sorted(per_subject.items(), key=lambda kv: -kv[1])[:25])
            json.dump({"seconds": seconds, "setup": harvested, "slowest": slowest, "callables": len(CALLABLES), "fuzzed": len(subjects), "calls": calls,
                       "outcomes": dict(KINDS), "exempt": EXEMPT,
                       "unfuzzed": unfuzzed, "failures": {f"{k[0]}({k[1]})": v for k, v in failures.items()}},
                      out, indent=1, default=str)
    assert not unbuildable, (f"{len(unbuildable)} public callables get no valid call, so they are never fuzzed: "
                             "add a recipe to RECIPES (or, with a reason, an EXEMPT entry):\n"
                             + "\n".join(f"{q}: {why}" for q, why in sorted(unbuildable.items())))
    assert not stale, f"EXEMPT lists callables that no longer exist (remove them): {stale}"
    if not os.environ.get("FUZZ_ONLY"):  # an excuse nothing needs any more would hide the next regression
        unused = sorted(k for k in EXPECTED if k not in NOT_RUN and not any(
            k in ((q, p), (q, "*"), (q.rsplit(".", 1)[0], "*")) for q, p in failures))
        assert not unused, f"EXPECTED excuses failures that no longer happen (remove them): {unused}"
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


def test_backoff_fast_paths_refuse_nan_and_out_of_range_floats():
    """capped_doubling's float fast path and retry's entry refuse NaN/inf/negative bases and caps (issue 12)."""
    from course_lib.backoff import capped_doubling, full_jitter, retry

    assert capped_doubling(3, 1.0, 10.0) == 8.0 and capped_doubling(10, 1.0, 10.0) == 10.0
    for base, cap, name in ((math.nan, 10.0, "base"), (1.0, math.nan, "cap"), (math.inf, 10.0, "base"),
                            (-1.0, 10.0, "base"), (20.0, 10.0, "cap")):
        with pytest.raises(ValueError, match=name):
            capped_doubling(1, base, cap)
        with pytest.raises(ValueError, match=name):
            retry(lambda sleep: iter(()), full_jitter, base, cap, np.random.default_rng(0))
    with pytest.raises(TypeError, match="strategy"):
        retry(lambda sleep: iter(()), "full jitter", 1.0, 10.0, np.random.default_rng(0))

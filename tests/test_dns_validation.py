"""Hostile input to every public callable of the DNS modules: a result, or an error naming the parameter.

The callables are discovered from each module's ``__all__`` (a new public function fails this test until it
has a valid call below), then called with one parameter at a time replaced by a hostile value, the others
valid, under a time limit.  Allowed outcomes: a result, a ``TypeError``/``ValueError`` whose message names
the parameter, or a documented domain exception (``ChangeRejected``, ``ReplayMismatch``).
"""

from __future__ import annotations

import inspect
import math
import signal
from contextlib import contextmanager

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib import dns_race, dns_race_montecarlo, dns_race_properties, r53lock, route53
from course_lib.dns import layout, properties, rules
from course_lib.dns.properties import Snapshot
from course_lib.experiments import ch02 as experiments
from course_lib.plots import dns_race as plots

EP = layout.REGIONAL_ENDPOINT
IPS = ("10.0.0.1",)
RESULT = dns_race.run_published()
CURVE = dns_race_montecarlo.race_curve([1.0, 1.2], n_runs=100)
S0, S1 = Snapshot.uniform((2,), {1, 2}), Snapshot.uniform((1,), {1})
STEPS = [("Planner", "publish", "plan 2"), ("Enactor 1", "take", "plan 2"), ("Enactor 1", "apply", "plan 2 to regional")]


def zone():
    return route53.HostedZone([layout.tree_record(1, EP, IPS), layout.alias_record(EP, 1)])


def ax():
    return plt.figure().add_subplot()


def fig():
    return plt.figure()


# One valid call per public callable: name -> (function, {parameter: valid-value factory}).
# Result records (dataclasses a model returns) and exceptions are not entry points and are left out.
NOT_ENTRY_POINTS = {"RaceResult", "RaceEstimate", "Plan", "PropertyVerdict", "ChangeRejected", "ReplayMismatch",
                    "Snapshot.of_zone"}
rec = lambda: route53.Record(EP, "A", IPS)  # noqa: E731
VALID = {
    "layout.endpoint_index": dict(endpoint=lambda: EP),
    "layout.label": dict(endpoint=lambda: EP),
    "layout.tree_name": dict(generation=lambda: 3, endpoint=lambda: EP),
    "layout.is_tree_name": dict(name=lambda: "plan-3." + EP),
    "layout.tree_generation": dict(name=lambda: "plan-3." + EP),
    "layout.tree_endpoint": dict(name=lambda: "plan-3." + EP),
    "layout.tree_record": dict(generation=lambda: 3, endpoint=lambda: EP, ips=lambda: IPS),
    "layout.alias_record": dict(endpoint=lambda: EP, generation=lambda: 3),
    "layout.alias_generation": dict(zone=zone, endpoint=lambda: EP),
    "layout.tree_generations": dict(zone=zone, endpoint=lambda: EP),
    "layout.rollback_trees": dict(zone=zone, endpoint=lambda: EP),
    "layout.lock_name": dict(endpoint=lambda: EP),
    "rules.check_fixes": dict(fixes=lambda: ("protect_active",)),
    "rules.take_rule": dict(plan=lambda: 3, applied=lambda: 2),
    "rules.write_rule": dict(plan=lambda: 3, current=lambda: 2, fixes=lambda: ()),
    "rules.is_old": dict(generation=lambda: 1, applied=lambda: 5, K=lambda: 2),
    "rules.delete_rule": dict(generation=lambda: 1, applied=lambda: 5, K=lambda: 2, active=lambda: False,
                              fixes=lambda: ()),
    "rules.freeze_rule": dict(fixes=lambda: (), deleting_active=lambda: False, dangling=lambda: False),
    "rules.cleanup_action": dict(generation=lambda: 1, applied=lambda: 5, K=lambda: 2, active=lambda: True,
                                 fixes=lambda: ()),
    "rules.start_action": dict(dangling=lambda: False, fixes=lambda: ()),
    "properties.Snapshot": dict(aliases=lambda: (1,), trees=lambda: (frozenset({1}),)),
    "route53.HostedZone.copy": dict(self=zone),
    "route53.HostedZone.records": dict(self=zone),
    "route53.HostedZone.names": dict(self=zone),
    "dns_race.RaceResult.verdicts": dict(self=lambda: RESULT),
    "properties.Snapshot.uniform": dict(aliases=lambda: (1,), stored=lambda: {1}),
    "properties.empty_endpoints": dict(s=lambda: S0),
    "properties.regressed": dict(before=lambda: S0, after=lambda: S1),
    "properties.deleted_active": dict(before=lambda: S0, after=lambda: S1),
    "properties.record_never_empty": dict(s=lambda: S0),
    "properties.generation_never_decreases": dict(before=lambda: S0, after=lambda: S1),
    "properties.active_plan_never_deleted": dict(before=lambda: S0, after=lambda: S1),
    "properties.holds": dict(name=lambda: "record never empty", before=lambda: S0, after=lambda: S1),
    "properties.violations": dict(before=lambda: S0, after=lambda: S1),
    "properties.first_violations": dict(snapshots=lambda: [S0, S1]),
    "properties.explain": dict(name=lambda: "record never empty", before=lambda: S0, after=lambda: S1,
                               endpoints=lambda: (EP,)),
    "route53.Record": dict(name=lambda: EP, type=lambda: "A", values=lambda: IPS, ttl=lambda: 60),
    "route53.Change": dict(action=lambda: "CREATE", record=rec),
    "route53.HostedZone": dict(records=lambda: [rec()]),
    "route53.HostedZone.get": dict(self=zone, name=lambda: EP, type_=lambda: "ALIAS"),
    "route53.HostedZone.validate": dict(self=zone, batch=lambda: [route53.Change("CREATE", route53.Record("x", "A", IPS))]),
    "route53.HostedZone.change": dict(self=zone, batch=lambda: [route53.Change("CREATE", route53.Record("x", "A", IPS))]),
    "route53.HostedZone.try_change": dict(self=zone, batch=lambda: [route53.Change("CREATE", route53.Record("x", "A", IPS))]),
    "route53.HostedZone.resolve": dict(self=zone, name=lambda: EP, type_=lambda: "A"),
    "r53lock.lock_value": dict(holder=lambda: "Enactor 1", expires_at=lambda: 10.0),
    "r53lock.parse_lock": dict(record=lambda: route53.Record("lock", "TXT", ("A 10",))),
    "r53lock.holder_of": dict(zone=zone, name=lambda: "lock", now=lambda: 1.0),
    "r53lock.try_acquire": dict(zone=zone, name=lambda: "lock", holder=lambda: "A", now=lambda: 1.0,
                                lease=lambda: 5.0, seen=lambda: False),
    "r53lock.release": dict(zone=zone, name=lambda: "lock", holder=lambda: "A"),
    "dns_race.Planner": dict(n_lbs=lambda: 4, seed=lambda: 0),
    "dns_race.Planner.plan": dict(self=lambda: dns_race.Planner(), generation=lambda: 2, now=lambda: 1.0),
    "dns_race.apply_as_published": dict(zone=zone, endpoint=lambda: EP, generation=lambda: 2, ips=lambda: IPS),
    "dns_race.apply_fenced": dict(zone=zone, endpoint=lambda: EP, generation=lambda: 2, ips=lambda: IPS),
    "dns_race.delete_if_old": dict(zone=zone, endpoint=lambda: EP, generation=lambda: 1, applied=lambda: 5, K=lambda: 2),
    "dns_race.delete_if_old_and_inactive": dict(zone=zone, endpoint=lambda: EP, generation=lambda: 1,
                                                applied=lambda: 5, K=lambda: 2),
    "dns_race.fenced_delete": dict(zone=zone, generation=lambda: 1, endpoints=lambda: [EP]),
    "dns_race.run_scenario": dict(fixes=lambda: (), apply=lambda: None, cleanup=lambda: None,
                                  starts=lambda: (1.05, 8.3, 11.0), K=lambda: 5, horizon=lambda: 15.0),
    "dns_race.run_published": dict(fixes=lambda: (), apply=lambda: None, cleanup=lambda: None),
    "dns_race.run_random": dict(seed=lambda: 1, fixes=lambda: (), apply=lambda: None, cleanup=lambda: None,
                                sigma=lambda: 1.0, horizon=lambda: 10.0),
    "dns_race.replay": dict(steps=lambda: STEPS, enactors=lambda: 2, endpoints=lambda: 1, K=lambda: 2,
                            fixes=lambda: (), apply=lambda: None, cleanup=lambda: None),
    "dns_race_properties.record_never_empty": dict(result=lambda: RESULT),
    "dns_race_properties.generation_never_decreases": dict(result=lambda: RESULT),
    "dns_race_properties.active_plan_never_deleted": dict(result=lambda: RESULT),
    "dns_race_properties.check_all": dict(result=lambda: RESULT),
    "dns_race_properties.pes_steps": dict(result=lambda: RESULT),
    "dns_race_properties.became_stale_index": dict(result=lambda: RESULT, check_index=lambda: 1),
    "dns_race_properties.slow_run_finished": dict(result=lambda: RESULT),
    "dns_race_properties.summarize": dict(result=lambda: RESULT),
    "dns_race_montecarlo.race_probability": dict(sigma=lambda: 1.0, n_runs=lambda: 100, seed=lambda: 0,
                                                 median=lambda: 0.05, n_endpoints=lambda: 3, period=lambda: 1.0,
                                                 K=lambda: 5, run_interval=lambda: 60.0, cleanup_step=lambda: 0.15,
                                                 enactors=lambda: 3),
    "dns_race_montecarlo.plain_stale_probability": dict(sigma=lambda: 2.0, n_runs=lambda: 1000, seed=lambda: 0,
                                                        median=lambda: 0.05, n_endpoints=lambda: 3,
                                                        period=lambda: 1.0, K=lambda: 5),
    "dns_race_montecarlo.race_curve": dict(sigmas=lambda: [1.0, 1.2], n_runs=lambda: 100),
    "dns_race_montecarlo.runs_per_year": dict(run_interval=lambda: 60.0, enactors=lambda: 3),
    "dns_race_montecarlo.p_at_least_one": dict(p_run=lambda: 1e-6, runs=lambda: 1e6),
    "plots.draw_swimlanes_fast": dict(ax=ax, events=lambda: RESULT.trace, actors=lambda: dns_race.ACTORS,
                                      highlight=lambda: {1: "check"}),
    "plots.race_axes": dict(fig=fig),
    "plots.draw_race": dict(axes=lambda: plots.race_axes(fig()), result=lambda: RESULT, highlight=lambda: (),
                            title=lambda: "t"),
    "plots.draw_race_widget": dict(fig=fig, result=lambda: RESULT),
    "plots.restyle_race_widget": dict(fig=fig, result=lambda: RESULT),
    "plots.draw_marker_key": dict(ax=ax),
    "plots.draw_generation_key": dict(ax=ax),
    "plots.step_labels": dict(steps=lambda: dns_race.pes_steps(RESULT)),
    "plots.draw_answer_strip": dict(ax=ax, answers=lambda: RESULT.answers, horizon=lambda: 15.0, y=lambda: 0.0),
    "plots.draw_generations": dict(ax=ax, result=lambda: RESULT, horizon=lambda: 15.0),
    "plots.draw_race_curve": dict(ax_run=ax, ax_year=ax, estimates=lambda: CURVE, runs=lambda: 1e6,
                                  p_year=lambda: [0.1, 0.2]),
    "plots.draw_architecture": dict(ax=ax),
    "experiments.experiment": dict(slow_delay=lambda: 1.5, lock_losses=lambda: 2, period=lambda: 1.0, K=lambda: 5,
                                   n_endpoints=lambda: 3, endpoint_time=lambda: 0.1, recheck_at_write=lambda: False,
                                   protect_active=lambda: False, freeze_on_inconsistency=lambda: False),
    "experiments.widget_horizon": dict(slow_delay=lambda: 1.5, lock_losses=lambda: 2, n_endpoints=lambda: 3,
                                       endpoint_time=lambda: 0.1),
    "experiments.race_experiment": {},
}
MODULES = {"layout": layout, "rules": rules, "properties": properties, "route53": route53, "r53lock": r53lock,
           "dns_race": dns_race, "dns_race_properties": dns_race_properties,
           "dns_race_montecarlo": dns_race_montecarlo, "plots": plots, "experiments": experiments}
DOMAIN = (route53.ChangeRejected, dns_race.ReplayMismatch)


def discover() -> list[str]:
    """Return 'module.callable' (and 'module.Class.method') for every public callable defined in the module."""
    found = []
    for short, mod in MODULES.items():
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name)
            if getattr(obj, "__module__", mod.__name__) != mod.__name__ or not callable(obj):
                continue  # a re-export: tested where it is defined
            found.append(f"{short}.{name}")
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                for meth, fn in vars(obj).items():
                    if not meth.startswith("_") and (inspect.isfunction(fn) or isinstance(fn, classmethod)):
                        found.append(f"{short}.{name}.{meth}")
    return [f for f in found if f not in NOT_ENTRY_POINTS and f.split(".", 1)[1] not in NOT_ENTRY_POINTS]


def resolve(path: str):
    short, *names = path.split(".")
    obj = MODULES[short]
    for n in names:
        obj = getattr(obj, n)
    return obj


HOSTILE = {
    "None": None, "str": "x", "empty str": "", "negative": -1, "zero": 0, "nan": math.nan, "inf": math.inf,
    "-inf": -math.inf, "bool": True, "huge": 10**12, "float": 2.5, "empty list": [], "object": object(),
    "numpy nan": np.float64("nan"), "numpy array": np.array([1, 2]), "dict": {"a": 1},
}


@contextmanager
def limit(seconds: float):
    def stop(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")
    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_every_public_callable_has_a_valid_call():
    """Discovery: each public callable of these modules is listed with one valid call, and that call works."""
    missing = [p for p in discover() if p not in VALID]
    assert not missing, f"add a valid call for {missing}"
    for path in discover():
        fn, params = resolve(path), VALID[path]
        kwargs = {k: v() for k, v in params.items()}
        me = kwargs.pop("self", None)
        with limit(20):
            (getattr(me, path.rsplit(".", 1)[1]) if me is not None else fn)(**kwargs)
        plt.close("all")


CASES = [(path, param, label) for path in discover() if path in VALID
         for param in VALID[path] if param != "self" for label in HOSTILE]


@pytest.mark.parametrize("path, param, label", CASES)
def test_hostile_value_gets_a_result_or_an_error_naming_the_parameter(path, param, label):
    """One hostile value at a time: the callable returns, or refuses naming the parameter."""
    kwargs = {k: v() for k, v in VALID[path].items()}
    me = kwargs.pop("self", None)
    kwargs[param] = HOSTILE[label]
    fn = getattr(me, path.rsplit(".", 1)[1]) if me is not None else resolve(path)
    try:
        with limit(10):
            fn(**kwargs)
    except DOMAIN:
        pass
    except (TypeError, ValueError) as exc:
        words = str(exc).lower()
        aliases = {param.lower(), param.lower().rstrip("s"), param.lower().replace("_", " ")}
        assert any(a in words for a in aliases), f"{path}({param}={label}): {type(exc).__name__}: {exc}"
    finally:
        plt.close("all")

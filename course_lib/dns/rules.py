"""The Enactors' decisions as pure rules on plain values, shared by every model of the automation.

As published [S1a][S1c][S1d]: an Enactor checks **once**, when it takes a plan, that it is newer than the
plan applied; it then writes every endpoint whatever the alias holds by then; clean-up deletes plans
"significantly older" (K or more generations, K a model choice) than the one just applied.  Chapter 2's
three fixes change those decisions:

* ``recheck_at_write``: the write is conditional on the alias's current generation (write only a newer plan);
* ``protect_active``: clean-up never deletes a tree an alias points at;
* ``freeze_on_inconsistency``: clean-up about to delete an active plan, or an Enactor finding an alias that
  points at a deleted tree, freezes the automation and raises an alarm instead of acting.

A simulator acting on a Route 53 ``HostedZone`` and a model checker acting on a tuple state call the same
functions with the values they read (generations, whether a tree is active, K, the fixes switched on).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..validate import check_int

__all__ = ["CLEANUP_ACTIONS", "FIXES", "check_fixes", "cleanup_action", "delete_rule", "freeze_rule", "is_old",
           "start_action", "take_rule", "write_rule"]

FIXES = ("recheck_at_write", "protect_active", "freeze_on_inconsistency")
CLEANUP_ACTIONS = ("young", "keep", "freeze", "delete")  # what clean-up does with one old generation


_CHECKED: dict = {}  # fix collections already validated -> their tuple (the checker asks per transition)


def _fixes(fixes) -> tuple[str, ...]:
    try:
        return _CHECKED[fixes]
    except (KeyError, TypeError):  # new, or unhashable (a list): validate
        pass
    checked = check_fixes(fixes)
    if isinstance(fixes, (tuple, frozenset, str)) and len(_CHECKED) < 256:
        _CHECKED[fixes] = checked
    return checked


def _flag(name: str, value) -> bool:
    if value is True or value is False:
        return value
    if type(value).__name__ in ("bool_", "bool"):  # numpy's bool (named "bool" since numpy 2)
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r:.60}")


def check_fixes(fixes) -> tuple[str, ...]:
    """Return *fixes* as a tuple in FIXES order; a single name is accepted; unknown names are refused."""
    if isinstance(fixes, str):
        fixes = (fixes,)
    if not isinstance(fixes, Iterable) or isinstance(fixes, (bytes, dict, np.ndarray)):
        raise TypeError(f"fixes must be a tuple of fix names from {FIXES}, got {type(fixes).__name__} {fixes!r}")
    fixes = tuple(fixes)
    for name in fixes:
        if not isinstance(name, str) or name not in FIXES:
            raise (ValueError if isinstance(name, str) else TypeError)(
                f"fixes must hold fix names from {FIXES}; got {type(name).__name__} {name!r:.60}")
    return tuple(f for f in FIXES if f in fixes)


def _gen(name: str, value, allow_none: bool = False):
    if type(value) is int and value >= 0:  # fast path: a model checker calls these rules per transition
        return value
    if value is None and allow_none:
        return None
    return check_int(name, value, lo=0)


def take_rule(plan: int, applied: int | None) -> bool:
    """Return True if the one-time freshness check passes: the plan is newer than the plan applied."""
    plan, applied = _gen("plan", plan), _gen("applied", applied, allow_none=True)
    return applied is None or plan > applied


def write_rule(plan: int, current: int | None, fixes=()) -> bool:
    """Return True if an Enactor holding *plan* writes it over an alias now at *current*."""
    plan, current = _gen("plan", plan), _gen("current", current, allow_none=True)
    if "recheck_at_write" not in _fixes(fixes):
        return True  # as published: the check was made once, at the start, and never again
    return current is None or plan > current


def is_old(generation: int, applied: int, K: int) -> bool:
    """Return True if *generation* is K or more generations older than the plan just applied."""
    generation, applied = _gen("generation", generation), _gen("applied", applied)
    if type(K) is not int or K < 1:
        K = check_int("K", K, lo=1)
    return applied - generation >= K


def delete_rule(generation: int, applied: int, K: int, active: bool, fixes=()) -> bool:
    """Return True if clean-up deletes *generation*'s tree (*active*: an alias points at it)."""
    active = _flag("active", active)
    return is_old(generation, applied, K) and not ("protect_active" in _fixes(fixes) and active)


def freeze_rule(fixes=(), *, deleting_active: bool = False, dangling: bool = False) -> bool:
    """Return True if the automation freezes: about to delete an active tree, or an alias points nowhere."""
    deleting_active, dangling = _flag("deleting_active", deleting_active), _flag("dangling", dangling)
    return "freeze_on_inconsistency" in _fixes(fixes) and (deleting_active or dangling)


def cleanup_action(generation: int, applied: int, K: int, active: bool, fixes=()) -> str:
    """Return what clean-up does with one generation: 'young', 'keep', 'freeze' or 'delete'."""
    if not is_old(generation, applied, K):
        return "young"
    if not delete_rule(generation, applied, K, active, fixes):
        return "keep"
    return "freeze" if freeze_rule(fixes, deleting_active=active) else "delete"


def start_action(dangling: bool, fixes=()) -> str:
    """Return what an Enactor starting a run does: 'go', or with a dangling alias 'freeze' or 'blocked'."""
    if not _flag("dangling", dangling):
        _fixes(fixes)
        return "go"
    return "freeze" if freeze_rule(fixes, dangling=True) else "blocked"

"""Which mitigation breaks the retry storm's loop, and which only delays it (``course_lib.metastable``).

Each policy (``course_lib.policies``) changes one thing in the loop "queue grows -> queries time out -> clients
retry -> queue grows".  Some break the loop: the retry budget (retries are paid for by successes, so they stop
when nothing succeeds), the circuit breaker, LIFO (the newest query is served while its client still waits),
load shedding (a short queue cannot hold a query past its timeout), queue-delay-based overload detection
(CoDel-like: a persistent minimum queueing delay switches the server to LIFO and shedding) and the server-side
deadline check (each query carries its client's deadline, and the server drops, unserved, a query whose client
has already given up, so no capacity goes to wasted work).  Backoff with jitter only moves each retry later:
with one retry per request the offered load still doubles, so it delays the storm but does not end it.  These
are the policies HotOS '21 lists [S8] plus the deadline check; ``compare`` lets the model say which is which.
Parameters (token ratio, breaker threshold, shedding point, CoDel target) are model choices.
"""

from __future__ import annotations

from .metastable import HOTOS_TRIGGER, StormResult, Trigger, classify_runs, simulate_batch, time_to_recovery
from .policies import (
    POLICIES,
    Backoff,
    BudgetPolicy,
    CircuitBreaker,
    DeadlineDrop,
    Lifo,
    LoadShedding,
    Policy,
    QueueDelayDetector,
    RetryBudget,
    policy_named,
    token_bucket,
)

__all__ = ["POLICIES", "Backoff", "BudgetPolicy", "CircuitBreaker", "DeadlineDrop", "Lifo", "LoadShedding",
           "Policy", "QueueDelayDetector", "RetryBudget", "compare", "policy_named", "recovery_time", "token_bucket"]


def compare(load: float = 280.0, trigger: Trigger = HOTOS_TRIGGER, horizon: float = 300.0,
            seed: int = 0) -> list[tuple[str, str, float]]:
    """Run every policy on one trigger; return (policy, state, seconds from the trigger's end to recovery).

    The state is 'recovered', 'recovering', 'metastable' or 'overloaded' (``metastable.classify_runs``); the time
    is inf when goodput did not come back within the run.
    """
    rows = []
    for name in POLICIES:
        res = simulate_batch(load, trigger=trigger, policy=name, horizon=horizon, seed=seed)
        rows.append((name, str(classify_runs(res)[0]), float(time_to_recovery(res)[0])))
    return rows


def recovery_time(result: StormResult, threshold: float = 0.9) -> float:
    """Return the first scenario's seconds from the trigger's end to recovery (inf if never); see
    ``metastable.time_to_recovery``."""
    return float(time_to_recovery(result, threshold)[0])

"""Game day: the learner is on call from 23:48, with dashboards, a console and the night's cascade (Chapter 6).

The responder is paged at 23:52 (read from the timeline): before the page only the waits are available, and any
other action is refused with a message saying so.  Each turn the responder takes one action from the same set AWS's responders had
(each once, except the waits, chasing the packet loss and the alias repair until it holds); it costs minutes (a
**model choice** for each, listed in :data:`ACTIONS`, set so that AWS's own sequence lands near the published
times), and the clock moves on.  Actions that change the system become the cascade's action script at the
minute they complete, so the dashboards the next turn shows come from :func:`course_lib.cascade.run` — the
same model the chapter replays.  The DNS repair goes through Chapter 5's operator console over the broken
zone Chapter 2's race leaves: repaired while the automation still runs, the alias is written back and the
endpoint is empty again.

Dashboards are SYNTHETIC (levels, noise: model choices, as in Chapter 5): the border packet loss in use1-az1
(the red herring [S2]; when it cleared is not in the record, so here it clears after two hours, a model
choice), DynamoDB's error rate, the regional endpoint's DNS answer size, DWFM's leases, EC2 launches admitted,
Network Manager's delay and NLB connection errors.  A minute's dashboard value never changes once a view has
shown it (the DNS repair starts the DWFM model from 23:48; the past on screen stays as it was seen).

Score: customer-impact minutes of the learner's night against AWS's at the same seed (``cascade.run(seed=...)``
with the published actions).  Guardrails a good responder keeps (course design, not AWS policy) are listed in
:data:`GUARDRAILS`; breaking one is recorded.  One is a game rule standing in for what the model cannot show
(relaxing the throttles before Network Manager propagates normally would flood its backlog).  ``play(policy)`` drives a whole game from a function, which
tests, exercises and instructors use; nothing a policy does can raise out of ``play`` or corrupt a game.  The
policy runs under the exercise runner's time limit (:mod:`course_lib.exercises`: a bare ``except:`` loop cannot
swallow it, Ctrl-C still interrupts): :data:`TURN_LIMIT` seconds a turn and :data:`GAME_LIMIT` for the whole
game; a policy that runs past either is stopped, and the game stops there, as it was left.  A stopped game is
scored as the night it left (nothing done after the stop), and its summary says so first.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import cascade, dwfm, signals, timeline
from .exercises import Exercise, LearnerError, NotAttempted, learner_call
from .validate import check_choice, check_int, check_number, check_type

__all__ = ["ACTIONS", "GAME_LIMIT", "GUARDRAILS", "TURN_LIMIT", "Decision", "Game", "GameRecord", "View",
           "aws_decisions", "compare_teams", "play"]

# name: (minutes it takes, what it does).  Costs are model choices.
ACTIONS = {
    "wait 5 min": (5, "watch the dashboards"),
    "wait 15 min": (15, "watch the dashboards"),
    "wait 1 h": (60, "watch the dashboards for an hour"),
    "investigate packet loss": (30, "chase the border packet loss in use1-az1 with the networking team"),
    "split the call": (2, "run a DynamoDB call beside the networking call"),
    "page the DynamoDB team": (10, "page the DynamoDB engineers who built the DNS automation"),
    "dig the record": (5, "resolve DynamoDB's regional endpoint and look at the answer"),
    "prepare rpz override": (25, "prepare a resolver override for internal resolvers"),
    "apply rpz override": (12, "apply the override: internal services reach DynamoDB again"),
    "stop automation": (5, "stop the DNS Planner and Enactors so they cannot interfere"),
    "repair the alias": (50, "point the regional alias at a rollback tree through the console"),
    "throttle dwfm": (5, "throttle incoming work to DWFM"),
    "restart dwfm hosts": (10, "restart DWFM hosts, dropping their queues"),
    "disable nlb failover": (5, "switch off NLB's automatic health-check failover"),
    "relax throttles": (5, "start relaxing the EC2 throttles"),
    "enable nlb failover": (5, "switch NLB's automatic failover back on"),
}
SLOW = 2.0  # before the call is split, work on DynamoDB takes twice as long (one call, two problems)
NO_TEAM = 2.0  # the alias repair without the DynamoDB engineers takes twice as long
# minutes from the alias repair to all DNS information restored (as reported, 02:15 -> 02:25)
RESTORE_LAG = timeline.published("dns restored") - timeline.published("alias repaired")
PACKET_LOSS_CLEARS = 120  # minutes: when the synthetic packet loss clears (model choice; not in the record)
_DYNAMO_TRACK = {"dig the record", "prepare rpz override", "apply rpz override", "stop automation",
                 "repair the alias", "page the DynamoDB team"}
_TO_SCRIPT = {"apply rpz override": "rpz override", "throttle dwfm": "throttle dwfm",
              "restart dwfm hosts": "restart dwfm", "disable nlb failover": "disable nlb failover",
              "relax throttles": "relax throttles", "enable nlb failover": "enable nlb failover"}
GUARDRAILS = {
    "alias repaired while the automation runs": "stop the automation before changing what it manages",
    "DWFM hosts restarted without a throttle": "shed load before dropping queues, or the work comes back at once",
    "throttles relaxed before every lease was held": "relax only once DWFM holds every lease",
    # A game rule, not something the model shows: relaxing early would flood Network Manager's backlog in
    # reality, but the model's relaxing takes a fixed time set from the record (relax_minutes) whatever the
    # backlog, so an early relax looks harmless (or even good) there.  The guardrail keeps the game honest.
    "throttles relaxed before Network Manager's propagation was normal":
        "relax only once network state propagates normally (game rule: the model cannot show the flood)",
    "NLB failover re-enabled while checks still flap": "re-enable only once network state propagates normally",
}
SIGNALS = ("border_packet_loss", "dynamodb_errors", "dns_answer_size", "leases_held", "launches_admitted",
           "nm_delay", "nlb_errors")
_WAITS = ("wait 5 min", "wait 15 min", "wait 1 h")
# Repeatable: the waits, chasing the packet loss, and the alias repair until it holds; every other action once.
REPEATABLE = (*_WAITS, "investigate packet loss", "repair the alias")
MAX_TURNS = 400  # a game ends after this many turns whatever happens (an explicit bound)
TURN_LIMIT = 3.0  # s a policy may take on one turn in play() (a sensible policy needs well under a millisecond)
GAME_LIMIT = 20.0  # s a policy may take over a whole game in play() (the q3 check's own limit is 20 s too)
_LIMIT_RANGE = (0.05, 600.0)  # s: the limits play() accepts


@dataclass(frozen=True)
class Decision:
    """One turn: when it started, the action, how it went, and the minutes it took."""

    at: float
    action: str
    outcome: str
    minutes: float
    ok: bool = True

    @property
    def clock(self) -> str:
        return cascade.clock(self.at)

    def __str__(self) -> str:
        return f"{self.clock} {self.action}: {self.outcome}"


@dataclass(frozen=True)
class View:
    """What the responder sees at the start of a turn: the clock, the latest dashboard values, the history."""

    now: float
    latest: dict
    history: dict  # signal -> per-minute values up to now (numpy arrays, read-only copies)
    known: frozenset
    available: tuple
    decisions: tuple
    alerts: tuple = ()  # (minute, text) messages from paging and automated triage so far

    @property
    def clock(self) -> str:
        return cascade.clock(self.now)


@lru_cache(maxsize=1)
def _broken_zone():
    from .console import published_broken_zone

    return published_broken_zone()


# The dashboard signals in plain words (for alerts and labels).
_PLAIN = {"border_packet_loss": "the border network (packet loss in use1-az1)",
          "dynamodb_errors": "DynamoDB's API errors", "dns_answer_size": "DynamoDB's DNS answer"}


def paged_at() -> float:
    """Return the minute the responders were paged (read from the timeline): no action before it but waiting."""
    paged = next(e for e in timeline.EVENTS if e.service == "Response" and "pages" in e.what)
    return float(timeline.duration(timeline.EVENT_START, paged.time))


@lru_cache(maxsize=8)
def _alerts(seed: int) -> tuple[tuple[float, str], ...]:
    """The pages and Chapter 5's automated bottom-up triage of the first hour, at their published minutes."""
    paged = next(e for e in timeline.EVENTS if e.service == "Response" and "pages" in e.what)
    triaged = next(e for e in timeline.EVENTS if e.service == "Response" and "triage" in e.what)
    verdict = signals.triage(signals.first_hour(seed)).suspect
    return ((float(timeline.duration(timeline.EVENT_START, paged.time)), "paged: DynamoDB API errors in us-east-1"),
            (float(timeline.duration(timeline.EVENT_START, triaged.time)),
             f"automated metric triage: suspect {_PLAIN.get(verdict, verdict.replace('_', ' '))} "
             "(the lowest layer that moved with the errors)"))


@lru_cache(maxsize=8)
def _noise(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.lognormal(0.0, 0.15, cascade.HORIZON + 1), rng.normal(0.0, 0.6, cascade.HORIZON + 1)


class Game:
    """One responder's night.  ``act(action)`` takes a turn; ``view()`` is the dashboard; ``night()`` the model."""

    def __init__(self, seed: int = 0):
        self.seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
        self.reset()

    def reset(self) -> None:
        from .console import Console

        self.now = 0.0
        self.known: set[str] = set()
        self.decisions: list[Decision] = []
        self.script: list[tuple[float, str]] = []
        self.violations: list[tuple[float, str]] = []
        self.violation_notes: list[str] = []  # for each violation, what the responder should have waited for
        self.console = Console(_broken_zone())
        self._night = None
        self._shown: dict[str, np.ndarray] = {}  # the dashboard values already shown: never rewritten
        self._shown_upto = 0  # how many minutes (from 23:48) have been shown

    # ---- the model -------------------------------------------------------------------------------------
    def action_script(self) -> cascade.ActionScript:
        steps = sorted(self.script)
        return cascade.ActionScript(tuple(cascade.Action(t, kind) for t, kind in steps))

    def night(self) -> cascade.NightResult:
        if self._night is None:
            self._night = cascade.run(self.action_script(), seed=self.seed)
        return self._night

    @property
    def finished(self) -> bool:
        night = self.night()
        return self.now >= min(night.end, cascade.HORIZON) or len(self.decisions) >= MAX_TURNS

    # ---- what can be done now ---------------------------------------------------------------------------
    def _done(self, kind: str) -> bool:
        return any(k == kind for _, k in self.script)

    def refusal(self, action) -> str | None:
        """Return why *action* cannot be taken now (None if it can)."""
        if not isinstance(action, str):
            return f"an action must be one of the names in ACTIONS (a string), got {type(action).__name__} {action!r}"
        if action not in ACTIONS:
            return f"unknown action {action!r}; choose from {', '.join(ACTIONS)}"
        if self.finished:
            return "the night is over"
        if action not in _WAITS and self.now < paged_at():
            return (f"you have not been paged yet: the page comes at {cascade.clock(paged_at())}; until then you "
                    "can only wait")
        needs = {"prepare rpz override": ("identified", "dig the record first: what is wrong with DNS?"),
                 "apply rpz override": ("rpz prepared", "prepare the override first"),
                 "repair the alias": ("identified", "dig the record first: what is wrong with DNS?")}
        if action in needs and needs[action][0] not in self.known:
            return needs[action][1]
        once = {"split the call": "call split", "page the DynamoDB team": "team paged",
                "prepare rpz override": "rpz prepared", "stop automation": "automation stopped",
                "dig the record": "identified"}
        if action in once and once[action] in self.known:
            return f"already done: {action}"
        if action == "repair the alias" and "dns repaired" in self.known:
            return "the alias is repaired already"
        kind = _TO_SCRIPT.get(action)
        if kind is not None and self._done(kind):
            return (f"already done: {action} (each action happens once tonight, except the waits, chasing the "
                    "packet loss and the alias repair until it holds)")
        if action == "enable nlb failover" and not self._done("disable nlb failover"):
            return "NLB failover is on already"
        if action == "relax throttles" and not self._done("throttle dwfm"):
            return "nothing to relax: DWFM is not throttled"
        return None

    def available(self) -> tuple[str, ...]:
        return tuple(a for a in ACTIONS if self.refusal(a) is None)

    def cost(self, action: str) -> float:
        """Return the minutes *action* would take now (the DynamoDB work is slower before the call is split)."""
        check_type("action", action, str)
        check_choice("action", action, tuple(ACTIONS))
        minutes = float(ACTIONS[action][0])
        if action in _DYNAMO_TRACK and "call split" not in self.known:
            minutes *= SLOW
        if action == "repair the alias" and "team paged" not in self.known:
            minutes *= NO_TEAM
        return minutes

    # ---- a turn ---------------------------------------------------------------------------------------------
    def act(self, action) -> Decision:
        """Take *action* now.  Refused actions cost nothing and change nothing; the Decision says why."""
        why = self.refusal(action)
        if why is not None:
            return Decision(self.now, str(action)[:60], why, 0.0, ok=False)
        minutes = self.cost(action)
        done = min(self.now + minutes, float(cascade.HORIZON))
        saved = (set(self.known), list(self.script), list(self.violations), list(self.violation_notes),
                 self.console.snapshot(), self.console.automation_running)
        try:
            outcome = self._effect(action, done)
            self._night = None
            self.night()  # the new script must run; if the model refuses it, nothing happened
        except (ValueError, TypeError) as exc:
            self._restore(saved)
            return Decision(self.now, action, f"the model refused it: {exc}", 0.0, ok=False)
        decision = Decision(self.now, action, outcome, minutes)
        self.decisions.append(decision)
        self.now = done
        self._night = None
        return decision

    def _restore(self, saved) -> None:
        from .console import Console

        known, script, violations, notes, zone, running = saved
        self.known, self.script, self.violations, self.violation_notes = known, script, violations, notes
        self.console = Console(zone, automation_running=running)
        self._night = None

    def _emit(self, at: float, kind: str) -> None:
        self.script.append((at, kind))

    def _break(self, at: float, guardrail: str, note: str = "") -> None:
        """Record that *guardrail* was broken at *at*, with what the responder should have waited for."""
        self.violations.append((at, guardrail))
        self.violation_notes.append(note)

    def _too_early(self, night: cascade.NightResult) -> str:
        """Say, in the night's own minutes, why relaxing now is before Network Manager propagates normally."""
        t = night.times
        held, begins, normal = t["all leases held"], t["nm backlog begins"], t["propagation normal"]
        shown = float(self.series()["nm_delay"][int(min(self.now, cascade.HORIZON))])
        limit = night.propagation.params["normal_delay"] if night.propagation is not None else 1.0
        normal_text = (f"normal again only at {cascade.clock(normal)}" if math.isfinite(normal)
                       else "not normal again before the end of the run")
        if math.isfinite(begins) and self.now < begins:
            return (f"the delay read {shown:.2f} min at {cascade.clock(self.now)} because the backlog had not "
                    f"begun: it began at {cascade.clock(begins)}, after the last lease was held "
                    f"({cascade.clock(held)}), and propagation was {normal_text}; wait for the delay to rise "
                    f"above {limit:g} min and come back below it")
        return (f"the delay read {shown:.2f} min at {cascade.clock(self.now)}; propagation was {normal_text}; "
                f"wait until the delay stays below {limit:g} min")

    def _effect(self, action: str, done: float) -> str:
        night = self.night()
        if action.startswith("wait"):
            return "watched"
        if action == "investigate packet loss":
            return "the packet loss is real, but it cannot empty a DNS answer; DynamoDB is still failing"
        if action == "split the call":
            self.known.add("call split")
            return "two calls: DynamoDB and networking"
        if action == "page the DynamoDB team":
            self.known.add("team paged")
            return "the engineers who built the DNS automation join"
        if action == "dig the record":
            answer = self.console.dig()
            self.known.add("identified")
            return f"the regional endpoint answers {len(answer)} addresses: the record is EMPTY" if not answer \
                else f"the endpoint answers {len(answer)} addresses"
        if action == "prepare rpz override":
            self.known.add("rpz prepared")
            return "override ready for the internal resolvers"
        if action == "stop automation":
            self.console.stop_automation()
            self.known.add("automation stopped")
            return "Planner and Enactors stopped"
        if action == "repair the alias":
            return self._repair(done)
        kind = _TO_SCRIPT[action]
        if kind == "restart dwfm" and not self._done("throttle dwfm"):
            self._break(done, "DWFM hosts restarted without a throttle",
                        "throttle DWFM first (the throttle and the restart can be taken one after the other)")
        if kind == "relax throttles":
            held = night.times["all leases held"]
            if not held <= done:
                self._break(done, "throttles relaxed before every lease was held",
                            f"DWFM held every lease only at {cascade.clock(held)}" if math.isfinite(held)
                            else "DWFM did not hold every lease yet")
            if not night.times["propagation normal"] <= done:
                self._break(done, "throttles relaxed before Network Manager's propagation was normal",
                            self._too_early(night))
        if kind == "enable nlb failover" and night.propagation is not None:
            i = min(int(done), night.propagation.delay.size - 1)
            if night.propagation.delay[i] > night.propagation.params["normal_delay"]:
                self._break(done, "NLB failover re-enabled while checks still flap",
                            f"Network Manager's delay was still {night.propagation.delay[i]:.1f} min at "
                            f"{cascade.clock(done)}; its propagation was normal again at "
                            f"{cascade.clock(night.times['propagation normal'])}")
        self._emit(done, kind)
        return ACTIONS[action][1]

    def _repair(self, done: float) -> str:
        from .console import alias_change

        rollback = next((tr for tr in self.console.trees() if not tr.active), None)
        if rollback is None:  # pragma: no cover - the broken zone always keeps rollback trees
            return "no rollback tree to point at"
        batch = [alias_change("UPSERT", self.console.endpoint, rollback.name)]
        preview = self.console.preview(batch)
        if not preview.ok:  # pragma: no cover
            return f"the console refused the change: {preview.refused}"
        self.console.apply(batch)
        if not self.console.dig():
            self._break(done, "alias repaired while the automation runs", "stop the automation first")
            return "repaired, but the running automation wrote its stale plan back: the endpoint is EMPTY again"
        self.known.add("dns repaired")
        self._emit(min(done + RESTORE_LAG, float(cascade.HORIZON)), "dns repair")
        return f"alias -> {rollback.name.split('.')[0]}; all DNS information restored {RESTORE_LAG:g} min later"

    # ---- the dashboards -----------------------------------------------------------------------------------
    def series(self) -> dict:
        """Return every dashboard signal per minute over the whole run (the view cuts it at now).

        Minutes already shown keep the values they were shown with: a later action (the DNS repair starts
        the DWFM model from 23:48) never rewrites the dashboard's past.
        """
        out = self._model_series()
        k = self._shown_upto
        for name, values in out.items():
            if k and name in self._shown:
                values[:k] = self._shown[name][:k]
        return out

    def _model_series(self) -> dict:
        night = self.night()
        lognorm, normal = _noise(self.seed)
        t = night.t
        loss = np.where(t < PACKET_LOSS_CLEARS, signals.LOSS_LEVEL_PCT, 0.02) * lognorm
        avail = night.availability
        reach = np.zeros(t.size) if avail is None else ((t < avail.unreachable_from) | (t >= avail.reachable_at))
        errors = np.clip(np.where(reach, 0.05, signals.ERROR_LEVEL_PCT) + normal, 0.0, 100.0)
        repaired = night.script.at("dns repair")
        size = np.where(t < (math.inf if repaired is None else repaired), 0, signals.ANSWER_SIZE).astype(float)
        held = night._series("leases", "held", 0.0) / (night.leases.fleet if night.leases is not None else 1.0)
        launches = night.launch_capacity
        if night.leases is None:
            lost = dwfm.SPEC["lease_loss_minutes"].default  # leases time out while DNS stays broken
            held = 1.0 - np.minimum(t, lost) / lost
            launches = held  # no lease, no launch: EC2 admits launches only on droplets DWFM holds
        return {"border_packet_loss": loss, "dynamodb_errors": errors, "dns_answer_size": size,
                "leases_held": held * 100, "launches_admitted": launches * 100,
                "nm_delay": night.nm_delay, "nlb_errors": night.nlb_error_rate * 100}

    def view(self) -> View:
        k = int(min(self.now, cascade.HORIZON)) + 1
        hist = {}
        series = self.series()
        if k > self._shown_upto:
            self._shown = {name: np.array(values) for name, values in series.items()}
            self._shown_upto = k
        for name, values in series.items():
            v = np.array(values[:k])
            v.setflags(write=False)
            hist[name] = v
        latest = {name: float(v[-1]) for name, v in hist.items()}
        alerts = tuple(a for a in _alerts(self.seed) if a[0] <= self.now)
        return View(self.now, latest, hist, frozenset(self.known), self.available(), tuple(self.decisions), alerts)

    # ---- the score ----------------------------------------------------------------------------------------------
    def record(self, team: str = "", problem: str = "") -> GameRecord:
        """Return the game as it stands; with a *problem* (why it stopped early) it is stopped at ``now``."""
        check_type("team", team, str)
        check_type("problem", problem, str)
        night = self.night()
        return GameRecord(team, self.seed, tuple(self.decisions), night.script, night,
                          aws_night(self.seed).total_impact,
                          tuple(self.violations), problem, self.now if problem else None,
                          tuple(self.violation_notes))


@lru_cache(maxsize=8)
def aws_night(seed: int = 0) -> cascade.NightResult:
    """Return AWS's night (the published actions) at *seed*: the night a game at that seed is scored against."""
    return cascade.run(seed=check_int("seed", seed, lo=0, hi=2**32 - 1))


@dataclass(frozen=True)
class GameRecord:
    """A finished (or stopped) game: decisions, the script they made, the night, the score, guardrails broken."""

    team: str
    seed: int
    decisions: tuple
    script: cascade.ActionScript
    night: cascade.NightResult
    aws_impact: float
    violations: tuple
    problem: str = ""  # why the game stopped early (a policy that raised, looped or returned garbage), else ""
    stopped_at: float | None = None  # the minute the game stopped early (None: played to its end)
    violation_notes: tuple = ()  # for each violation, what the responder should have waited for

    @property
    def impact(self) -> float:
        return self.night.total_impact

    @property
    def saved(self) -> float:
        """Customer-impact minutes saved against AWS's night (negative: worse)."""
        return self.aws_impact - self.impact

    @property
    def beats_aws(self) -> bool:
        return not self.problem and self.impact < self.aws_impact

    @property
    def stopped(self) -> str:
        """'stopped at HH:MM: why' for a game stopped early, else ''."""
        if not self.problem:
            return ""
        at = cascade.clock(self.stopped_at) if self.stopped_at is not None else "an unknown minute"
        return f"stopped at {at}: {self.problem}"

    def versus_aws(self) -> str:
        """The impact against AWS's night in words: 'N min saved', 'N min worse' or 'the same'."""
        return _versus(self.saved)

    def timeline(self) -> str:
        lines = [str(d) for d in self.decisions if d.ok]
        notes = self.violation_notes if len(self.violation_notes) == len(self.violations) else ("",) * len(
            self.violations)
        lines += [f"GUARDRAIL {cascade.clock(t)}: {what}" + (f" ({note})" if note else "")
                  for (t, what), note in zip(self.violations, notes, strict=True)]
        if self.problem:
            lines.append(f"STOPPED: {self.stopped}")
        return "\n".join(lines)

    def summary(self) -> str:
        who = f"{self.team}: " if self.team else ""
        broken = f"{len(self.violations)} guardrail{'' if len(self.violations) == 1 else 's'} broken"
        if self.problem:
            at = cascade.clock(self.stopped_at) if self.stopped_at is not None else "the stop"
            stop = self.stopped if self.stopped.endswith((".", "?", "!")) else self.stopped + "."
            return (f"{who}{stop} Scored as the night was left, with nothing done after {at}: end "
                    f"{cascade.clock(self.night.end)}, impact {self.impact:.0f} min (AWS's night: "
                    f"{self.aws_impact:.0f}); {broken}.")
        versus = self.versus_aws()
        than = "as" if versus == "the same" else ("than" if versus.endswith("worse") else "against")
        return (f"{who}end {cascade.clock(self.night.end)}, impact {self.impact:.0f} min ({versus} {than} "
                f"AWS's {self.aws_impact:.0f}); {broken}")


def _versus(saved: float) -> str:
    """Impact minutes saved against AWS's night in words (negative saved: worse)."""
    n = round(saved)
    if n == 0:
        return "the same"
    return f"{abs(n):.0f} min {'saved' if n > 0 else 'worse'}"


def aws_decisions() -> tuple[tuple[float, str], ...]:
    """Return AWS's published response steps and actions as (minute, what), read from the timeline."""
    steps = [(float(timeline.duration(timeline.EVENT_START, e.time)), e.what) for e in timeline.EVENTS
             if e.service == "Response"]
    steps += [(a.at, a.kind) for a in cascade.ActionScript.published().actions]
    return tuple(sorted(steps))


def play(policy: Callable, seed: int = 0, team: str = "", turn_limit: float | None = TURN_LIMIT,
         game_limit: float | None = GAME_LIMIT) -> GameRecord:
    """Play a whole night with *policy(view) -> action name*; never raises because of the policy.

    The game stops early, with ``record.problem`` saying why and ``record.stopped_at`` when, if the policy
    raises, returns something that is not an action name, keeps asking for actions that are refused (20 in a
    row), or does not return within *turn_limit* seconds on a turn or *game_limit* seconds over the game.  The
    limits are the exercise runner's (``course_lib.exercises``): a bare ``except:`` loop cannot swallow them and
    Ctrl-C still interrupts (it reaches the caller as KeyboardInterrupt).  They work in the main thread on POSIX
    (where a notebook runs); elsewhere the policy runs without them.  ``None`` turns a limit off: for a caller
    that already runs the policy under a limit of its own, as an exercise check does.  The game is never
    changed by a stopped turn: the record is the night as it was left.
    """
    if not callable(policy):
        raise TypeError(f"policy must be a function view -> action name, got {type(policy).__name__}")
    check_type("team", team, str)
    limits = {}
    for name, value in (("turn_limit", turn_limit), ("game_limit", game_limit)):
        limits[name] = None if value is None else check_number(name, value, lo=_LIMIT_RANGE[0],
                                                                hi=_LIMIT_RANGE[1])
    game = Game(seed)
    refused = 0
    used = 0.0  # seconds the policy has taken so far
    while not game.finished:
        view = game.view()
        seconds, which = limits["turn_limit"], "turn"
        if limits["game_limit"] is not None:
            left = limits["game_limit"] - used
            if left <= 0:
                return game.record(team, f"your policy used up its {limits['game_limit']:g} s for the whole game, "
                                         "so the game stopped there (does it take long on every turn?)")
            if seconds is None or left < seconds:
                seconds, which = max(left, 1e-3), "game"
        started = time.perf_counter()
        outcome, value = _ask(policy, view, seconds)
        used += time.perf_counter() - started
        if outcome == "timeout":
            if which == "turn":
                return game.record(team, f"your policy did not return within {seconds:g} s on this turn, so "
                                         "the game stopped there (is there a loop that never ends?)")
            return game.record(team, f"your policy used up its {limits['game_limit']:g} s for the whole game, "
                                     "so the game stopped there (does it take long on every turn?)")
        if outcome == "stub":
            return game.record(team, "your policy still raises NotImplementedError: replace the stub with your "
                                     "policy")
        if outcome == "raised":
            return game.record(team, value)
        action = value
        if type(action) in (tuple, list) and len(action) == 1:
            action = action[0]
        if action is None:
            return game.record(team, "your policy returned nothing — did you forget `return`?")
        if not issubclass(type(action), str):
            return game.record(team, f"your policy returned {_kind(action)}; return an action name (a string "
                                     "from ACTIONS)")
        action = str.__str__(action)  # a plain str: a subclass's own methods never run inside the game
        decision = game.act(action)
        if not decision.ok:
            refused += 1
            if refused >= 20:
                return game.record(team, f"20 refused actions in a row (last: {action[:60]!r}: {decision.outcome})")
        else:
            refused = 0
    return game.record(team)


def _kind(value) -> str:
    """Name a returned value for the record without running any of its own code (a hostile __repr__)."""
    kind = type(value)
    if kind in (int, float, bool, complex):
        return f"{kind.__name__} {value!r}"
    return f"{'an' if kind.__name__[:1].lower() in 'aeiou' else 'a'} {kind.__name__}"


def _ask(policy: Callable, view: View, seconds: float | None) -> tuple[str, object]:
    """Call ``policy(view)`` under the exercise runner's time limit (an Exercise verdict with a *seconds* limit).

    Returns ("returned", value), ("raised", words), ("stub", None) or ("timeout", None).
    """
    box: list = []

    def turn(fn) -> None:
        try:
            box.append(("returned", learner_call(fn, view)))
        except NotAttempted:
            box.append(("stub", None))
        except LearnerError as exc:
            box.append(("raised", f"{exc.words().rstrip('.')}"))
        except Exception as exc:  # raised in code outside the learner's files (a library policy, say)
            box.append(("raised", f"your policy raised {_exc_words(exc)}"))

    if seconds is None:
        turn(policy)
        return box[0]
    verdict = Exercise("policy", "policy", turn, [], chapter="06", time_limit=seconds,
                       check_limit=seconds + 1.0).verdict(policy)
    if box:
        return box[0]
    if verdict.check_error is not None:  # a BaseException that is not an Exception (GeneratorExit, say)
        return "raised", f"your policy raised {type(verdict.check_error).__name__}"
    return "timeout", None


def _exc_words(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:
        text = ""
    text = text if len(text) <= 200 else text[:199] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _response(words: str) -> float:
    """Return the minute of the response step in the timeline whose description contains *words*."""
    for e in timeline.EVENTS:
        if e.service == "Response" and words in e.what:
            return float(timeline.duration(timeline.EVENT_START, e.time))
    raise LookupError(f"no response step mentions {words!r}")  # pragma: no cover - a timeline edit


def _aws_plan() -> tuple[tuple[float, str], ...]:
    """AWS's sequence as (minute to start, game action), each timed to finish at its published moment."""
    acts = {a.kind: a.at for a in cascade.ActionScript.published().actions}
    finish = [(_response("triage points to networking"), "investigate packet loss", True),
              (_response("call splits"), "split the call", False),
              (_response("`dig`"), "dig the record", False),
              (timeline.published("identified"), "page the DynamoDB team", False),
              (_response("RPZ override"), "prepare rpz override", False),
              (timeline.published("rpz override"), "apply rpz override", False),
              (timeline.published("alias repaired"), "repair the alias", False)]
    steps = []
    for at, action, starts in finish:
        steps.append((at if starts else at - ACTIONS[action][0], action))
    # the automation is stopped just before the repair starts [S2]
    steps.insert(-1, (steps[-1][0] - ACTIONS["stop automation"][0], "stop automation"))
    for kind, action in (("throttle dwfm", "throttle dwfm"), ("restart dwfm", "restart dwfm hosts"),
                         ("disable nlb failover", "disable nlb failover"), ("relax throttles", "relax throttles"),
                         ("enable nlb failover", "enable nlb failover")):
        start = acts[kind] - ACTIONS[action][0] if kind != "restart dwfm" else acts[kind]
        steps.append((start, action))
    return tuple(steps)


def aws_policy(view: View) -> str:
    """A policy that follows AWS's published sequence as closely as the game's costs allow (for comparison)."""
    check_type("view", view, View, "a gameday.View")
    done = {d.action for d in view.decisions}
    for at, action in _aws_plan():
        if action in done:
            continue
        if view.now >= at - 1e-9:
            return action if action in view.available else "wait 5 min"
        return "wait 15 min" if at - view.now >= 15 else "wait 5 min"
    return "wait 1 h"


def compare_teams(records: Mapping) -> str:
    """Workshop mode: one line per team (and AWS's night), best first, then each team's decision timeline."""
    check_type("records", records, Mapping, "a mapping of team name -> GameRecord")
    if not records:
        raise ValueError("records must name at least one team")
    for name, rec in records.items():
        if not isinstance(rec, GameRecord):
            raise TypeError(f"records[{name!r}] must be a GameRecord (the result of play), got {type(rec).__name__}")
    aws = aws_night()
    rows = sorted(records.items(), key=lambda kv: kv[1].impact)
    lines = [f"{'team':16s} {'end':>5s} {'impact':>8s}  {'vs AWS':14s} guardrails"]
    lines.append(f"{'AWS (published)':16s} {cascade.clock(aws.end):>5s} {aws.total_impact:8.0f}  {'-':14s} -")
    for name, rec in rows:
        versus = rec.versus_aws() if not rec.problem else "stopped early"
        lines.append(f"{str(name)[:16]:16s} {cascade.clock(rec.night.end):>5s} {rec.impact:8.0f}  {versus:14s} "
                     f"{len(rec.violations)}" + (f" ({rec.stopped})" if rec.problem else ""))
    for name, rec in rows:
        lines += ["", f"-- {name}", rec.timeline()]
    return "\n".join(lines)



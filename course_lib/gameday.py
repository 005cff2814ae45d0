"""Game day: the learner is on call from 23:48, with dashboards, a console and the night's cascade (Chapter 6).

The responder is paged at 23:52 (read from the timeline): before the page only the waits are available, and any
other action is refused with a message saying so.  Each turn the responder takes one action from the same set AWS's responders had; it costs minutes (a
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
tests, exercises and instructors use; nothing a policy does can raise out of ``play`` or corrupt a game.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import cascade, dwfm, signals, timeline
from .validate import check_choice, check_int, check_type

__all__ = ["ACTIONS", "GUARDRAILS", "Decision", "Game", "GameRecord", "View", "aws_decisions", "compare_teams",
           "play"]

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
MAX_TURNS = 400  # a game ends after this many turns whatever happens (an explicit bound)


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
            return f"already done: {action} (each happens once tonight)"
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
        saved = (set(self.known), list(self.script), list(self.violations), self.console.snapshot(),
                 self.console.automation_running)
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

        known, script, violations, zone, running = saved
        self.known, self.script, self.violations = known, script, violations
        self.console = Console(zone, automation_running=running)
        self._night = None

    def _emit(self, at: float, kind: str) -> None:
        self.script.append((at, kind))

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
            self.violations.append((done, "DWFM hosts restarted without a throttle"))
        if kind == "relax throttles":
            held = night.times["all leases held"]
            if not held <= done:
                self.violations.append((done, "throttles relaxed before every lease was held"))
            if not night.times["propagation normal"] <= done:
                self.violations.append((done, "throttles relaxed before Network Manager's propagation was normal"))
        if kind == "enable nlb failover" and night.propagation is not None:
            i = min(int(done), night.propagation.delay.size - 1)
            if night.propagation.delay[i] > night.propagation.params["normal_delay"]:
                self.violations.append((done, "NLB failover re-enabled while checks still flap"))
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
            self.violations.append((done, "alias repaired while the automation runs"))
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
        check_type("team", team, str)
        check_type("problem", problem, str)
        night = self.night()
        return GameRecord(team, self.seed, tuple(self.decisions), night.script, night,
                          aws_night(self.seed).total_impact,
                          tuple(self.violations), problem)


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
    problem: str = ""  # why the game stopped early (a policy that raised or returned garbage), else ""

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

    def timeline(self) -> str:
        lines = [str(d) for d in self.decisions if d.ok]
        lines += [f"GUARDRAIL {cascade.clock(t)}: {what}" for t, what in self.violations]
        if self.problem:
            lines.append(f"STOPPED: {self.problem}")
        return "\n".join(lines)

    def summary(self) -> str:
        who = f"{self.team}: " if self.team else ""
        return (f"{who}end {cascade.clock(self.night.end)}, impact {self.impact:.0f} min vs AWS's "
                f"{self.aws_impact:.0f} ({self.saved:+.0f}); {len(self.violations)} guardrail(s) broken"
                + (f"; stopped: {self.problem}" if self.problem else ""))


def aws_decisions() -> tuple[tuple[float, str], ...]:
    """Return AWS's published response steps and actions as (minute, what), read from the timeline."""
    steps = [(float(timeline.duration(timeline.EVENT_START, e.time)), e.what) for e in timeline.EVENTS
             if e.service == "Response"]
    steps += [(a.at, a.kind) for a in cascade.ActionScript.published().actions]
    return tuple(sorted(steps))


def play(policy: Callable, seed: int = 0, team: str = "") -> GameRecord:
    """Play a whole night with *policy(view) -> action name*; never raises because of the policy.

    The game stops early, with ``record.problem`` naming what happened, if the policy raises, returns
    something that is not an action name, or keeps asking for actions that are refused (20 in a row).
    """
    if not callable(policy):
        raise TypeError(f"policy must be a function view -> action name, got {type(policy).__name__}")
    check_type("team", team, str)
    game = Game(seed)
    refused = 0
    while not game.finished:
        view = game.view()
        try:
            action = policy(view)
        except Exception as exc:  # the learner's policy: any error becomes the record's problem
            return game.record(team, f"the policy raised {type(exc).__name__}: {exc} at {view.clock}")
        if isinstance(action, (tuple, list)) and len(action) == 1:
            action = action[0]
        if action is None:
            return game.record(team, f"the policy returned nothing at {view.clock} — did you forget `return`?")
        if not isinstance(action, str):
            return game.record(team, f"the policy returned {type(action).__name__} {action!r} at {view.clock}; "
                                     "return an action name (a string from ACTIONS)")
        decision = game.act(action)
        if not decision.ok:
            refused += 1
            if refused >= 20:
                return game.record(team, f"20 refused actions in a row (last: {action!r}: {decision.outcome})")
        else:
            refused = 0
    return game.record(team)


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
    lines = [f"{'team':16s} {'end':>5s} {'impact':>8s} {'vs AWS':>7s} guardrails"]
    lines.append(f"{'AWS (published)':16s} {cascade.clock(aws.end):>5s} {aws.total_impact:8.0f} {0:+7.0f} -")
    for name, rec in rows:
        lines.append(f"{str(name)[:16]:16s} {cascade.clock(rec.night.end):>5s} {rec.impact:8.0f} "
                     f"{-rec.saved:+7.0f} {len(rec.violations)}" + (" (stopped)" if rec.problem else ""))
    for name, rec in rows:
        lines += ["", f"-- {name}", rec.timeline()]
    return "\n".join(lines)



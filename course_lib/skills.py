"""Skill decay and game-day drills: why reliable automation makes the rare manual repair slow.

The mechanism is Bainbridge's "Ironies of Automation" ([S25]): automation takes the routine work, so
the people left to take over when it fails get little practice, and unpractised skills fade.  At AWS
the team "had never had to manually overwrite the DNS zone files before" ([S2]).

The model, literally (every constant below is a **model choice**; AWS published none of them):

1. Incidents that need a hand on the zone arrive at ``incidents_per_year`` (a Poisson process).
   Automation handles a fraction ``coverage`` of them; the rest are handled by people, which is practice.
2. Game-day drills happen ``drills_per_year`` times, evenly spaced.  A drill is practice too, but not
   quite the real thing: it restores proficiency to ``DRILL_RESTORE`` instead of 1.
3. Between practice events proficiency halves every ``half_life_days``.
4. Each simulated year the automation itself fails once, at a random moment; the people repair it by
   hand.  Repair time grows as proficiency falls: ``BASE_REPAIR_MIN`` when fully practised, up to
   ``SLOWDOWN`` times that when skills have gone, times a log-normal spread for everything else.

The simulation is vectorised over years: one row per simulated year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validate import check_int, check_number

__all__ = [
    "BASE_REPAIR_MIN",
    "DRILL_RESTORE",
    "INCIDENTS_PER_YEAR",
    "NO_PRACTICE_DAYS",
    "SLOWDOWN",
    "SPREAD_SIGMA",
    "RepairExplorer",
    "RepairStudy",
    "describe_repairs",
    "explore_repairs",
    "p95_for_drills",
    "proficiency",
    "proficiency_trace",
    "repair_minutes",
    "simulate_repairs",
    "sweep_coverage",
]

INCIDENTS_PER_YEAR = 12.0  # model choice: incidents that need a hand on the zone, about one a month
DRILL_RESTORE = 0.9  # model choice: a drill restores 90% of full proficiency; a real incident restores all
BASE_REPAIR_MIN = 20.0  # model choice: minutes for a practised team to repair the zone by hand
SLOWDOWN = 8.0  # model choice: an unpractised team takes up to 8x as long (package, review, deploy by hand)
SPREAD_SIGMA = 0.35  # model choice: log-normal spread of everything the model leaves out
NO_PRACTICE_DAYS = 3650.0  # model choice: "never practised" is treated as ten years since the last practice
YEAR_DAYS = 365.0


@dataclass(frozen=True)
class RepairStudy:
    """Simulated years: days since last practice, proficiency and repair minutes, one entry per year."""

    coverage: float
    drills_per_year: float
    half_life_days: float
    days_since_practice: np.ndarray
    proficiency: np.ndarray
    minutes: np.ndarray

    @property
    def years(self) -> int:
        return int(self.minutes.size)

    def percentile(self, q: float) -> float:
        """Return the q-th percentile of repair time, in minutes."""
        return float(np.percentile(self.minutes, check_number("q", q, lo=0, hi=100)))

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)


def _check_skill_params(coverage, drills_per_year, half_life_days, incidents_per_year):
    coverage = check_number("coverage (fraction of incidents automation handles)", coverage, lo=0, hi=1)
    drills = check_number("drills_per_year", drills_per_year, lo=0, hi=365)
    half_life = check_number("half_life_days (skill half-life)", half_life_days, lo=0, lo_open=True)
    rate = check_number("incidents_per_year", incidents_per_year, lo=0)
    return coverage, drills, half_life, rate


def proficiency(days_since: np.ndarray | float, half_life_days: float, restored_to: float = 1.0):
    """Return proficiency after *days_since* days without practice (halves every *half_life_days*)."""
    half_life = check_number("half_life_days (skill half-life)", half_life_days, lo=0, lo_open=True)
    restored_to = check_number("restored_to", restored_to, lo=0, hi=1)
    days = np.asarray(days_since, dtype=float)
    if np.any(days < 0):
        raise ValueError("days_since must be >= 0 (time since the last practice cannot be negative)")
    return restored_to * np.exp2(-days / half_life)


def repair_minutes(prof: np.ndarray, spread: np.ndarray | float = 1.0) -> np.ndarray:
    """Return repair minutes for proficiency *prof*: BASE when practised, up to SLOWDOWN x BASE when not."""
    prof = np.asarray(prof, dtype=float)
    if np.any((prof < 0) | (prof > 1)):
        raise ValueError("proficiency must be in [0, 1]")
    return BASE_REPAIR_MIN * (1.0 + (SLOWDOWN - 1.0) * (1.0 - prof)) * spread


def simulate_repairs(coverage: float, drills_per_year: float, half_life_days: float, *, years: int = 4000,
                     incidents_per_year: float = INCIDENTS_PER_YEAR, seed: int = 0) -> RepairStudy:
    """Simulate *years* years, each with one failure of the automation, and return the repair times."""
    coverage, drills, half_life, rate = _check_skill_params(coverage, drills_per_year, half_life_days,
                                                            incidents_per_year)
    n = check_int("years", years, lo=1, hi=10_000_000)
    rng = np.random.default_rng(check_int("seed", seed, lo=0))
    manual_rate = rate * (1.0 - coverage) / YEAR_DAYS  # manual incidents per day
    # Time back to the last manual incident: exponential for a Poisson process seen at a random moment.
    # Draw every stream whatever the parameters (common random numbers): more drills never hurt a year.
    exp_draw, uni_draw = rng.standard_exponential(n), rng.random(n)
    since_incident = exp_draw / manual_rate if manual_rate > 0 else np.full(n, np.inf)
    # Evenly spaced drills seen at a random moment: the last one was uniformly within one interval.
    since_drill = uni_draw * (YEAR_DAYS / drills) if drills > 0 else np.full(n, np.inf)
    since_incident = np.minimum(since_incident, NO_PRACTICE_DAYS)
    since_drill = np.minimum(since_drill, NO_PRACTICE_DAYS)
    prof = np.maximum(proficiency(since_incident, half_life),
                      proficiency(since_drill, half_life, DRILL_RESTORE))
    spread = rng.lognormal(0.0, SPREAD_SIGMA, n)
    return RepairStudy(coverage, drills, half_life, np.minimum(since_incident, since_drill), prof,
                       repair_minutes(prof, spread))


def sweep_coverage(coverages, drills_per_year: float, half_life_days: float, *, years: int = 2000,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (coverages, median, p95) of repair minutes across automation coverages."""
    cov = np.asarray(coverages, dtype=float)
    if cov.ndim != 1 or cov.size == 0:
        raise ValueError("coverages must be a non-empty 1-D sequence")
    studies = [simulate_repairs(float(c), drills_per_year, half_life_days, years=years, seed=seed) for c in cov]
    return cov, np.array([s.p50 for s in studies]), np.array([s.p95 for s in studies])


def p95_for_drills(drills_per_year: float, *, coverage: float = 0.98, half_life_days: float = 60.0,
                   years: int = 20_000, seed: int = 5) -> float:
    """Return the 95th-percentile repair minutes with *drills_per_year* drills (fixed seed, for checks)."""
    return simulate_repairs(coverage, drills_per_year, half_life_days, years=years, seed=seed).p95


@dataclass(frozen=True)
class RepairExplorer:
    """What the widget shows: the study at the chosen settings and the same team without drills."""

    study: RepairStudy
    undrilled: RepairStudy


def explore_repairs(coverage: float, drills_per_year: float, half_life_days: float, *, years: int = 4000,
                    seed: int = 0) -> RepairExplorer:
    """Return the study at the chosen settings and the no-drill baseline (the widget's model)."""
    study = simulate_repairs(coverage, drills_per_year, half_life_days, years=years, seed=seed)
    return RepairExplorer(study, simulate_repairs(coverage, 0, half_life_days, years=years, seed=seed))


def describe_repairs(result: RepairExplorer) -> str:
    """Return the widget's one-line readout."""
    s, u = result.study, result.undrilled
    drills = f"{s.drills_per_year:g} drill{'' if s.drills_per_year == 1 else 's'} a year"
    return (f"Model: coverage {s.coverage:.0%}, {drills}, half-life {s.half_life_days:g} d: "
            f"median repair {s.p50:.0f} min, p95 {s.p95:.0f} min (without drills: p95 {u.p95:.0f} min); "
            f"{s.years} simulated years.")


def proficiency_trace(coverage: float, drills_per_year: float, half_life_days: float, *, days: int = 730,
                      incidents_per_year: float = INCIDENTS_PER_YEAR, seed: int = 0):
    """Return (day, proficiency, incident_days, drill_days) for one team over *days* days."""
    coverage, drills, half_life, rate = _check_skill_params(coverage, drills_per_year, half_life_days,
                                                            incidents_per_year)
    n_days = check_int("days", days, lo=1, hi=100_000)
    rng = np.random.default_rng(check_int("seed", seed, lo=0))
    manual = rng.random(n_days) < rate * (1.0 - coverage) / YEAR_DAYS
    incident_days = np.flatnonzero(manual).astype(float)
    drill_days = np.arange(YEAR_DAYS / drills / 2, n_days, YEAR_DAYS / drills) if drills > 0 else np.array([])
    day = np.arange(n_days, dtype=float)
    # Practice at day 0 (the team was trained when the automation arrived): a model choice.
    last_incident = _last_at_or_before(day, np.concatenate([[0.0], incident_days]))
    last_drill = _last_at_or_before(day, drill_days)
    prof = np.maximum(proficiency(day - last_incident, half_life),
                      np.where(np.isfinite(last_drill),
                               proficiency(np.nan_to_num(day - last_drill, nan=0.0, posinf=0.0), half_life,
                                           DRILL_RESTORE), 0.0))
    return day, prof, incident_days, drill_days


def _last_at_or_before(day: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Return, for each day, the latest event time <= day (-inf if none)."""
    if events.size == 0:
        return np.full(day.shape, -np.inf)
    events = np.sort(events)
    idx = np.searchsorted(events, day, side="right") - 1
    return np.where(idx >= 0, events[np.clip(idx, 0, None)], -np.inf)

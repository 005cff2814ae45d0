"""Skill decay and game-day drills: why reliable automation makes the rare manual repair slow.

The mechanism is Bainbridge's "Ironies of Automation" ([S25]): automation takes the routine work, so
the people left to take over when it fails get little practice, and unpractised skills fade.  At AWS,
as reported, the team "had never had to manually overwrite the DNS zone files before" ([S2]).

The model, literally (every constant below is a **model choice**; AWS published none of them):

1. The team was trained by hand when the automation went live, ``automation_age_years`` ago.  That is
   their last practice unless something later replaced it.  (The default, 3 years, follows the report
   that the Enactor was built about three years before the outage [S2]; as reported, not verified.)
2. Incidents that need a hand on the zone arrive at ``incidents_per_year`` (a Poisson process).
   Automation handles a fraction ``coverage`` of them; the rest are handled by people, which is practice.
3. Game-day drills happen ``drills_per_year`` times, evenly spaced.  A drill is practice too, but not
   quite the real thing: it restores proficiency to ``DRILL_RESTORE`` instead of 1.
4. Between practice events proficiency halves every ``half_life_days``.
5. The automation itself fails once, at a random moment; the people repair it by hand.  Repair time grows
   as proficiency falls: ``BASE_REPAIR_MIN`` when fully practised, up to ``SLOWDOWN`` times that when
   skills have gone, times a log-normal spread for everything else.

One simulated failure is one sample; the simulation is vectorised over samples ("years").  With full
coverage and no drills the last practice is the training itself: once that is many half-lives ago, skills
are gone whatever the half-life, which is why the half-life matters there only when it is long compared
with the automation's age.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .params import Param, Spec
from .validate import check_int, check_number

__all__ = [
    "AUTOMATION_AGE_YEARS",
    "BASE_REPAIR_MIN",
    "DRILL_RESTORE",
    "INCIDENTS_PER_YEAR",
    "MAX_YEARS",
    "SLOWDOWN",
    "SPEC",
    "SPREAD_SIGMA",
    "STUDY_SEED",
    "STUDY_YEARS",
    "RepairStudy",
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
AUTOMATION_AGE_YEARS = 3.0  # model choice after the report that the Enactor was built ~3 years before [S2]
YEAR_DAYS = 365.0
MAX_YEARS = 2_000_000  # samples per study: about 100 MB of arrays; more buys no precision worth the memory
STUDY_YEARS, STUDY_SEED = 20_000, 0  # the chapter's and the exercise's studies: one size, one seed
MAX_SWEEP = 200  # coverage values per sweep

# Each parameter's range, default and label, declared once: the model validates with it, the widget is built
# from it.  ``view`` is the slider's window inside the range the model accepts.
SPEC = Spec((
    Param("coverage", 0.9, lo=0.0, hi=1.0, step=0.05, label="automation coverage",
          help="fraction of the zone incidents the automation handles"),
    Param("drills_per_year", 2, kind="int", lo=0, hi=365, view=(0, 24), label="drills per year",
          help="game-day drills a year, evenly spaced"),
    Param("half_life_days", 60.0, lo=0.0, lo_open=True, hi=3650.0, step=5.0, view=(5.0, 365.0),
          label="skill half-life", unit="days", help="days for proficiency to halve without practice"),
    Param("automation_age_years", AUTOMATION_AGE_YEARS, lo=0.0, hi=30.0, step=0.5, view=(0.0, 10.0),
          label="automation age", unit="years", help="years since the team was trained by hand"),
    Param("incidents_per_year", INCIDENTS_PER_YEAR, lo=0.0, hi=3650.0, label="incidents per year",
          help="incidents that need a hand on the zone"),
))


@dataclass(frozen=True)
class RepairStudy:
    """Simulated failures: days since last practice, proficiency and repair minutes, one entry each."""

    coverage: float
    drills_per_year: int
    half_life_days: float
    days_since_practice: np.ndarray
    proficiency: np.ndarray
    minutes: np.ndarray
    automation_age_years: float = AUTOMATION_AGE_YEARS

    @property
    def years(self) -> int:
        return int(self.minutes.size)

    def percentile(self, q: float) -> float:
        """Return the q-th percentile of repair time, in minutes."""
        return float(np.percentile(self.minutes, check_number("q", q, lo=0, hi=100)))

    def percentile_interval(self, q: float, level: float = 0.95) -> tuple[float, float]:
        """Return a distribution-free confidence interval for the q-th percentile (order statistics)."""
        q = check_number("q", q, lo=0, hi=100, lo_open=True, hi_open=True) / 100
        level = check_number("level", level, lo=0, hi=1, lo_open=True, hi_open=True)
        n = self.years
        z = math.sqrt(2) * _erfinv(level)
        half = z * math.sqrt(n * q * (1 - q))
        lo, hi = max(0, math.floor(n * q - half) - 1), min(n - 1, math.ceil(n * q + half))
        ordered = np.partition(self.minutes, (lo, hi))
        return float(ordered[lo]), float(ordered[hi])

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)


def _erfinv(y: float) -> float:
    """Return erfinv(y) by bisection on math.erf (no scipy needed for one number)."""
    lo, hi = 0.0, 6.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.erf(mid) < y else (lo, mid)
    return (lo + hi) / 2


def _check_skill_params(coverage, drills_per_year, half_life_days, automation_age_years, incidents_per_year):
    return (SPEC.check("coverage", coverage), SPEC.check("drills_per_year", drills_per_year),
            SPEC.check("half_life_days", half_life_days), SPEC.check("automation_age_years", automation_age_years),
            SPEC.check("incidents_per_year", incidents_per_year))


def _days(name: str, days) -> np.ndarray:
    """Return *days* as a float array of finite values >= 0, or raise naming *name*."""
    if isinstance(days, (bool, np.bool_, str, bytes)):
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(days).__name__} {days!r}")
    try:
        arr = np.asarray(days, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(days).__name__}") from None
    if arr.dtype == object or arr.size > 10 * MAX_YEARS:
        raise ValueError(f"{name} must be an array of at most {10 * MAX_YEARS} numbers")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must be finite and >= 0 (time since the last practice), got {days!r:.60}")
    return arr


def proficiency(days_since: float, half_life_days: float, restored_to: float = 1.0):
    """Return proficiency after *days_since* days without practice (halves every *half_life_days*)."""
    half_life = SPEC.check("half_life_days", half_life_days)
    restored_to = check_number("restored_to", restored_to, lo=0, hi=1)
    return restored_to * np.exp2(-_days("days_since", days_since) / half_life)


def repair_minutes(prof, spread=1.0) -> np.ndarray:
    """Return repair minutes for proficiency *prof*: BASE when practised, up to SLOWDOWN x BASE when not."""
    prof = _days("prof (proficiency)", prof)
    if np.any(prof > 1):
        raise ValueError("prof (proficiency) must be in [0, 1]")
    spread = _days("spread", spread)
    if spread.ndim > 1 or spread.size not in (1, prof.size):
        raise ValueError(f"spread must be one factor or one per proficiency ({prof.size}), got shape {spread.shape}")
    if np.any(spread == 0):
        raise ValueError("spread must be > 0 (a factor on the repair time)")
    return BASE_REPAIR_MIN * (1.0 + (SLOWDOWN - 1.0) * (1.0 - prof)) * spread


def simulate_repairs(coverage: float = SPEC["coverage"].default, drills_per_year: int = SPEC["drills_per_year"].default,
                     half_life_days: float = SPEC["half_life_days"].default, *, years: int = 4000,
                     automation_age_years: float = AUTOMATION_AGE_YEARS,
                     incidents_per_year: float = INCIDENTS_PER_YEAR, seed: int = 0) -> RepairStudy:
    """Simulate *years* failures of the automation, each at a random moment, and return the repair times."""
    coverage, drills, half_life, age, rate = _check_skill_params(coverage, drills_per_year, half_life_days,
                                                                 automation_age_years, incidents_per_year)
    n = check_int("years", years, lo=1, hi=MAX_YEARS)
    rng = np.random.default_rng(check_int("seed", seed, lo=0, hi=2**63 - 1))
    age_days = age * YEAR_DAYS
    manual_rate = rate * (1.0 - coverage) / YEAR_DAYS  # manual incidents per day
    # Time back to the last manual incident: exponential for a Poisson process seen at a random moment.
    # Draw every stream whatever the parameters (common random numbers): more drills never hurt a year.
    exp_draw, uni_draw = rng.standard_exponential(n), rng.random(n)
    since_incident = exp_draw / manual_rate if manual_rate > 0 else np.full(n, np.inf)
    # No manual incident since go-live: the last full practice was the training itself.
    since_incident = np.minimum(since_incident, age_days)
    # Evenly spaced drills seen at a random moment: the last one was uniformly within one interval.
    since_drill = uni_draw * (YEAR_DAYS / drills) if drills > 0 else np.full(n, np.inf)
    drilled = since_drill <= age_days  # a "drill" before go-live would be older than the training
    prof = np.maximum(proficiency(since_incident, half_life),
                      np.where(drilled, DRILL_RESTORE * np.exp2(-np.where(drilled, since_drill, 0) / half_life),
                               0.0))
    spread = rng.lognormal(0.0, SPREAD_SIGMA, n)
    return RepairStudy(coverage, drills, half_life, np.minimum(since_incident, since_drill), prof,
                       repair_minutes(prof, spread), age)


def sweep_coverage(coverages=(0.0, 0.5, 0.9, 1.0), drills_per_year: int = 0,
                   half_life_days: float = SPEC["half_life_days"].default, *, years: int = 2000,
                   automation_age_years: float = AUTOMATION_AGE_YEARS,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (coverages, median, p95) of repair minutes across automation coverages."""
    if isinstance(coverages, (str, bytes)) or np.ndim(coverages) != 1:
        raise TypeError(f"coverages must be a 1-D sequence of fractions in [0, 1], got {coverages!r:.60}")
    if not 1 <= len(coverages) <= MAX_SWEEP:
        raise ValueError(f"coverages must hold 1 to {MAX_SWEEP} values, got {len(coverages)}")
    cov = np.array([SPEC.check("coverage", c) for c in coverages])
    studies = [simulate_repairs(float(c), drills_per_year, half_life_days, years=years,
                                automation_age_years=automation_age_years, seed=seed) for c in cov]
    return cov, np.array([s.p50 for s in studies]), np.array([s.p95 for s in studies])


def p95_for_drills(drills_per_year: int, *, coverage: float = 0.98, half_life_days: float = 60.0,
                   years: int = STUDY_YEARS, seed: int = STUDY_SEED) -> float:
    """Return the 95th-percentile repair minutes with *drills_per_year* drills (the chapter's study size)."""
    return simulate_repairs(coverage, drills_per_year, half_life_days, years=years, seed=seed).p95


def proficiency_trace(coverage: float = SPEC["coverage"].default, drills_per_year: int = SPEC["drills_per_year"].default,
                      half_life_days: float = SPEC["half_life_days"].default, *, days: int = 730,
                      incidents_per_year: float = INCIDENTS_PER_YEAR, seed: int = 0):
    """Return (day, proficiency, incident_days, drill_days) for one team over *days* days after training."""
    coverage, drills, half_life, _, rate = _check_skill_params(coverage, drills_per_year, half_life_days,
                                                               AUTOMATION_AGE_YEARS, incidents_per_year)
    n_days = check_int("days", days, lo=1, hi=100_000)
    rng = np.random.default_rng(check_int("seed", seed, lo=0, hi=2**63 - 1))
    manual = rng.random(n_days) < rate * (1.0 - coverage) / YEAR_DAYS
    incident_days = np.flatnonzero(manual).astype(float)
    drill_days = np.arange(YEAR_DAYS / drills / 2, n_days, YEAR_DAYS / drills) if drills > 0 else np.array([])
    day = np.arange(n_days, dtype=float)
    # Practice at day 0: the team was trained when the automation went live (point 1 of the model).
    last_incident = _last_at_or_before(day, np.concatenate([[0.0], incident_days]))
    last_drill = _last_at_or_before(day, drill_days)
    drilled = np.isfinite(last_drill)
    prof = np.maximum(proficiency(day - last_incident, half_life),
                      np.where(drilled, DRILL_RESTORE * np.exp2(-np.where(drilled, day - last_drill, 0) / half_life),
                               0.0))
    return day, prof, incident_days, drill_days


def _last_at_or_before(day: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Return, for each day, the latest event time <= day (-inf if none)."""
    if events.size == 0:
        return np.full(day.shape, -np.inf)
    events = np.sort(events)
    idx = np.searchsorted(events, day, side="right") - 1
    return np.where(idx >= 0, events[np.clip(idx, 0, None)], -np.inf)

"""Two signals at once: SYNTHETIC metric series for the first hour of the outage.

What is sourced ([S2]): at 23:48 PDT two problems began together, a packet-loss
event in the border network of use1-az1 and DynamoDB degrading; the packet loss started a few seconds
earlier and is lower in the stack, so automated metric triage (23:54) pointed at networking; at 00:26
someone asked why DynamoDB was not resolving in DNS, since packet loss would not explain that.  The
regional endpoint's DNS record was empty [S1c][S1d].

What is **synthetic** (every level, noise and delay below is a model choice; no metric data was
published): the series themselves.  They have the right shape, not real values.

The canary always gets an answer from the resolver once the record is empty, unless its probe is lost on the
lossy border: the answer is *empty*.  So ``canary_success`` (probes answered **with addresses**) falls to
zero while ``canary_empty`` (probes answered with **no** addresses) rises to most of them; the rest are
timeouts, about ``CANARY_TIMEOUT_FACTOR`` times the border loss.  Both are expected shares under the same
timeout model as :func:`canary_probes`; :func:`canary_shares` averages them over the empty-record period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from .timeline import EVENT_START
from .validate import check_choice, check_int, check_number, check_type

__all__ = [
    "CAUSE_SIGNALS",
    "LAYERS",
    "MILESTONES",
    "SIGNAL_NAMES",
    "Signals",
    "TriageResult",
    "canary_probes",
    "canary_shares",
    "clock",
    "first_hour",
    "onset",
    "triage",
]

STEP_S = 10  # model choice: one sample every 10 s
START_S, END_S = -8 * 60, 60 * 60  # 23:40 to 00:48, seconds relative to 23:48:00 PDT
PACKET_LOSS_LEAD_S = 5  # model choice for "a few seconds earlier" [S2]
LOSS_LEVEL_PCT = 3.0  # model choice: border packet loss during the event, percent
ERROR_LEVEL_PCT = 97.0  # model choice: DynamoDB API error rate once cached answers expire
CACHE_TTL_S = 60  # model choice: clients' cached DNS answers expire within a minute
ANSWER_SIZE = 8  # model choice: addresses in a healthy answer for the regional endpoint
CORRELATION_THRESHOLD = 0.8  # model choice: triage blames a layer whose metric correlates this well
CANARY_TIMEOUT_FACTOR = 4  # model choice: a probe crosses the lossy border a few times, so it times out ~4x as often
MAX_SAMPLES = 1_000_000  # longest series onset() accepts
MAX_CLOCK_S = 10 * 86_400  # clock() covers ten days either side of 23:48 PDT

# The signals, their stack layer for bottom-up triage ([S2]: network, then SDN/load balancing, then DNS
# and auth, then core services), and units.
SIGNAL_NAMES = ("border_packet_loss", "dynamodb_errors", "dns_answer_size", "canary_success", "canary_empty")
LAYERS = {"border_packet_loss": 1, "dns_answer_size": 3, "canary_success": 3, "canary_empty": 3,
          "dynamodb_errors": 4}
UNITS = {"border_packet_loss": "% packets lost (use1-az1 border)", "dynamodb_errors": "% API calls failing",
         "dns_answer_size": "addresses in answer",
         "canary_success": "% canary probes answered with addresses",
         "canary_empty": "% canary probes answered with NO addresses (empty answer)"}
# Series that point straight at DNS.  Not canary_success: a timeout and an empty answer both lower it.
CAUSE_SIGNALS = ("dns_answer_size", "canary_empty")

# The first hour, minutes after 23:48 PDT, and what happened ([S2]; 00:38 also [S1e][S1f]).
MILESTONES = (
    (0, "23:48 both problems start", "[S1b][S2]"),
    (4, "23:52 impact detected, responders paged", "[S2]"),
    (6, "23:54 metric triage points to networking", "[S2]"),
    (38, "00:26 'why is DynamoDB not resolving?'", "[S2]"),
    (39, "00:27 call split: DynamoDB / networking", "[S2]"),
    (43, "00:31 dig shows wrong DNS records", "[S2]"),
    (50, "00:38 DNS state identified as the cause", "[S1e][S1f]"),
)


@dataclass(frozen=True)
class Signals:
    """Synthetic series on a common clock (seconds after 23:48:00 PDT); ``onsets`` are the true starts."""

    t: np.ndarray
    series: dict
    onsets: dict

    def __post_init__(self):
        t = np.asarray(self.t)
        if t.ndim != 1 or t.size < 2 or not np.all(np.isfinite(t)):
            raise ValueError("Signals.t must be a 1-D array of at least two finite times")
        check_type("Signals.series", self.series, dict)
        check_type("Signals.onsets", self.onsets, dict)
        for name, values in self.series.items():
            check_choice("signal", name, SIGNAL_NAMES)
            if np.shape(values) != t.shape:
                raise ValueError(f"series {name!r} must have one value per time ({t.size}), got {np.shape(values)}")

    def __getitem__(self, name: str) -> np.ndarray:
        check_choice("signal", name, SIGNAL_NAMES)
        if name not in self.series:
            raise ValueError(f"signal {name!r} is not in these Signals; they hold {', '.join(self.series)}")
        return self.series[name]


@dataclass(frozen=True)
class TriageResult:
    """Bottom-up metric triage: the suspect, and per candidate its layer, onset and correlation."""

    suspect: str
    rows: tuple[tuple[str, int, float, float], ...]

    def __str__(self) -> str:
        lines = [f"{'candidate':20s} layer  onset      r with errors"]
        lines += [f"{n:20s} {layer:5d}  {clock(o):9s}  {r:+.2f}" for n, layer, o, r in self.rows]
        lines.append(f"suspect: {self.suspect}")
        return "\n".join(lines)


def clock(seconds: float) -> str:
    """Return seconds after 23:48:00 PDT as a wall-clock 'HH:MM:SS' string."""
    seconds = check_number("seconds", seconds, lo=-MAX_CLOCK_S, hi=MAX_CLOCK_S)
    return (EVENT_START + timedelta(seconds=round(seconds))).strftime("%H:%M:%S")


def first_hour(seed: int = 0) -> Signals:
    """Return the synthetic first hour: packet loss and DynamoDB errors start together at 23:48."""
    rng = np.random.default_rng(check_int("seed", seed, lo=0, hi=2**63 - 1))
    t = np.arange(START_S, END_S + 1, STEP_S, dtype=float)
    dns_onset = float(PACKET_LOSS_LEAD_S)  # the race empties the record a few seconds after the loss starts
    after_loss, after_dns = t >= 0, t >= dns_onset
    # Clients keep cached answers for up to a TTL, so errors ramp up instead of jumping.
    expired = np.clip((t - dns_onset) / CACHE_TTL_S, 0.0, 1.0)
    loss = np.where(after_loss, LOSS_LEVEL_PCT, 0.02) * rng.lognormal(0.0, 0.15, t.size)
    errors = np.clip(0.05 + ERROR_LEVEL_PCT * expired + rng.normal(0.0, 0.6, t.size), 0.0, 100.0)
    size = np.where(after_dns, 0, ANSWER_SIZE).astype(float)
    answered = 100.0 * (1.0 - _timeout_chance(loss))  # % of canary probes that get any answer back
    series = {"border_packet_loss": loss, "dynamodb_errors": errors, "dns_answer_size": size,
              "canary_success": np.where(after_dns, 0.0, answered),
              "canary_empty": np.where(after_dns, answered, 0.0)}
    return Signals(t, series, {"border_packet_loss": 0.0, "dynamodb_errors": dns_onset,
                               "dns_answer_size": dns_onset, "canary_success": dns_onset,
                               "canary_empty": dns_onset})


def _timeout_chance(loss_pct: np.ndarray) -> np.ndarray:
    """Return the chance a canary probe times out at the given border loss (percent)."""
    return np.clip(CANARY_TIMEOUT_FACTOR * np.asarray(loss_pct) / 100.0, 0.0, 1.0)


def onset(t: np.ndarray, values: np.ndarray, *, baseline_until: float = 0.0, sigmas: float = 6.0) -> float:
    """Return the first time *values* leave their baseline band (mean +- sigmas*sd before baseline_until)."""
    t, values = _series("t", t), _series("values", values)
    if t.shape != values.shape:
        raise ValueError(f"t and values must have the same length, got {t.size} and {values.size}")
    baseline_until = check_number("baseline_until", baseline_until)
    sigmas = check_number("sigmas", sigmas, lo=0, lo_open=True, hi=1000)
    base = values[t < baseline_until]
    if base.size < 2:
        raise ValueError("need at least two samples before baseline_until to set a baseline")
    band = sigmas * max(float(base.std()), 1e-3 * max(abs(float(base.mean())), 1.0))
    moved = np.flatnonzero((np.abs(values - base.mean()) > band) & (t >= baseline_until - STEP_S))
    return float(t[moved[0]]) if moved.size else float("nan")


def _series(name: str, values) -> np.ndarray:
    """Return *values* as a 1-D float array of finite numbers, or raise naming *name*."""
    if isinstance(values, (str, bytes, bool, np.bool_)) or np.ndim(values) != 1:
        raise TypeError(f"{name} must be a 1-D array of numbers, got {type(values).__name__}")
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D array of numbers") from None
    if not 1 <= arr.size <= MAX_SAMPLES:
        raise ValueError(f"{name} must hold 1 to {MAX_SAMPLES} samples, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite numbers only (no NaN or inf)")
    return arr


def triage(signals: Signals, candidates=("border_packet_loss", "dns_answer_size"),
           symptom: str = "dynamodb_errors") -> TriageResult:
    """Blame the lowest layer whose metric moved with the symptom (bottom-up metric triage, model)."""
    check_type("symptom signal", symptom, str)
    check_choice("symptom signal", symptom, SIGNAL_NAMES)
    check_type("signals", signals, Signals, "a Signals result (signals.first_hour())")
    if isinstance(candidates, str) or not isinstance(candidates, (tuple, list)):
        raise TypeError(f"candidates must be a tuple of signal names, got {type(candidates).__name__}")
    if not candidates:
        raise ValueError("candidates must name at least one signal")
    for name in (*candidates, symptom):
        check_choice("signal", name, SIGNAL_NAMES)
    y = signals[symptom]
    rows = []
    for name in candidates:
        x = signals[name]
        r = float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else 0.0
        rows.append((name, LAYERS[name], _onset_true(signals, name), r))
    # Bottom-up: the lowest layer first, earlier onset breaks ties; blame the first that correlates.
    rows.sort(key=lambda row: (row[1], row[2]))
    suspect = next((row[0] for row in rows if abs(row[3]) >= CORRELATION_THRESHOLD), "none")
    return TriageResult(suspect, tuple(rows))


def _onset_true(signals: Signals, name: str) -> float:
    """Return the onset the sub-sample clock knows (the 10 s samples cannot separate 0 s from 5 s)."""
    return float(signals.onsets[name])


def canary_probes(signals: Signals, seed: int = 0) -> list:
    """Return one synthetic canary probe per sample: addresses, () for an empty answer, None if timed out."""
    check_type("signals", signals, Signals, "a Signals result (signals.first_hour())")
    rng = np.random.default_rng(check_int("seed", seed, lo=0, hi=2**63 - 1))
    timeout = _timeout_chance(signals["border_packet_loss"])
    probes = []
    for lost, size in zip(rng.random(timeout.size) < timeout, signals["dns_answer_size"], strict=True):
        probes.append(None if lost else tuple(f"10.0.0.{i}" for i in range(1, int(size) + 1)))
    return probes


def canary_shares(signals: Signals) -> dict[str, float]:
    """Return the mean shares (percent) once the record is empty: probes answered EMPTY, timed out, packets lost.

    Keys ``"empty"``, ``"timeout"`` (the two add up to 100) and ``"border_loss"``, averaged over the samples
    from the empty record's onset on.
    """
    check_type("signals", signals, Signals, "a Signals result (signals.first_hour())")
    after = np.asarray(signals.t) >= signals.onsets["canary_empty"]
    empty = float(np.mean(signals["canary_empty"][after]))
    return {"empty": empty, "timeout": 100.0 - empty,
            "border_loss": float(np.mean(signals["border_packet_loss"][after]))}

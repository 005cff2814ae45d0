"""The Enactor model in Promela, checked by Spin: the same steps, the same properties, an industrial checker.

:func:`promela` writes the model of :mod:`course_lib.enactor_model` for one configuration and fix set as a
Promela program; :func:`verify` runs Spin on it (``spin -a``, ``gcc``, ``./pan``) in a temporary directory
and returns each property's verdict, the number of states Spin stored and, for a violation, Spin's trail
translated back into the course's steps.  Nothing is left on disk.

**Same granularity.**  Each step of the course model (publish, take, apply, skip, abandon, keep, delete,
freeze, repair) is one ``d_step`` in Promela: Spin stores no state inside it, so without partial-order
reduction (``-DNOREDUCE``) and with every Enactor's job in global arrays, Spin's stored states are exactly
the course's reachable states.  With reduction Spin stores fewer (that count is reported separately).

**Properties.** The three safety properties are assertions at the end of every step (a marker named
after the property makes Spin's message say which one broke).  Recoverability ("from every reachable
state the goal stays reachable", AG EF) is not expressible in Spin's LTL; because the model's state graph
is finite and acyclic (a test checks it), it is equivalent to "every state with no successor is a goal
state", which a monitor process checks with Spin's ``timeout`` (true exactly when nothing else can move).

Unsupported: a protection rule other than the default (``protect=``), symmetry reduction (Spin explores
the full space), more generations than the model allows.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .dns.rules import FIXES, check_fixes
from .enactor_model import ENDPOINT_NAMES, SPEC, Step
from .modelcheck import RECOVERABILITY
from .validate import check_int, check_number, check_type

__all__ = ["PROPERTIES", "STORED", "SpinError", "SpinResult", "SpinUnavailable", "UnsupportedModel", "promela",
           "spin_missing", "spin_or_stored", "verify"]

SAFETY = ("record never empty", "applied generation never decreases", "active plan never deleted")
PROPERTIES = (*SAFETY, RECOVERABILITY)
MARKERS = {"record never empty": "P_record_never_empty", "applied generation never decreases":
           "P_generation_never_decreases", "active plan never deleted": "P_active_never_deleted",
           RECOVERABILITY: "P_recoverability"}
_BY_MARKER = {v: k for k, v in MARKERS.items()}
MAX_MEMORY_MB = 4096  # the largest memory limit accepted for one pan run
MAX_TIMEOUT = 600.0  # seconds: the longest one Spin run may take


class UnsupportedModel(ValueError):
    """The configuration cannot be written in Promela by this generator (the message says why)."""


class SpinUnavailable(RuntimeError):
    """Spin or a C compiler is not installed (the message names which and how to install it)."""


class SpinError(RuntimeError):
    """A Spin, gcc or pan run failed, ran out of memory or out of time (the message says which)."""


@dataclass(frozen=True)
class SpinResult:
    """What Spin found: per-property verdicts, its state count and, for a violation, the translated trail."""

    config: str
    holds: dict  # property name -> True (no violation) / False
    states: int  # states stored by pan
    transitions: int
    depth: int
    seconds: float  # wall time of spin -a + gcc + pan
    reduction: bool  # partial-order reduction on (then the state count is smaller than the course's)
    trail: tuple = ()  # Steps of the first counterexample, when asked for one
    trail_property: str | None = None
    output: str = field(default="", repr=False)  # pan's report, for the curious
    source: str = field(default="", repr=False)  # the Promela program

    def __str__(self) -> str:
        broken = [p for p, ok in self.holds.items() if not ok]
        verdict = "all properties hold" if not broken else "VIOLATED: " + ", ".join(broken)
        por = "with" if self.reduction else "without"
        return f"Spin, {self.config}: {verdict} ({self.states:,} states stored, {por} partial-order reduction)"


def _configuration(enactors, generations, endpoints, K, fixes, properties, operator, protect):
    """Validate a configuration; return it normalised, or raise naming what is wrong or unsupported."""
    from .enactor_model import is_active

    n, g = SPEC.check("enactors", enactors), SPEC.check("generations", generations)
    m, k = SPEC.check("endpoints", endpoints), SPEC.check("K", K)
    fixes = check_fixes(fixes)
    check_type("operator", operator, bool)
    if protect is not is_active:
        raise UnsupportedModel("Promela generation supports only the default protection rule (an alias points "
                               "at the plan); a custom protect= function has no Promela translation")
    if isinstance(properties, str):
        properties = (properties,)
    try:
        properties = tuple(properties)
    except TypeError:
        raise TypeError(f"properties must be a tuple of names from {PROPERTIES}, got "
                        f"{type(properties).__name__}") from None
    for p in properties:
        check_type("property", p, str, f"a property name from {PROPERTIES}")
        if p not in PROPERTIES:
            raise ValueError(f"unknown property {p!r}; choose from {PROPERTIES}")
    return n, g, m, k, fixes, tuple(p for p in PROPERTIES if p in properties), operator


def promela(enactors: int = 3, generations: int = 4, endpoints: int = 2, K: int = 2, fixes=(),
            properties=PROPERTIES, operator: bool = True, protect=None) -> str:
    """Return the Promela program of the Enactor model with these sizes, fixes and properties."""
    from .enactor_model import is_active

    n, g, m, k, fixes, props, operator = _configuration(enactors, generations, endpoints, K, fixes, properties,
                                                        operator, is_active if protect is None else protect)
    stored = " || ".join(f"!STORED(alias[{i}])" for i in range(m))
    active = " || ".join(f"alias[{i}] == (x)" for i in range(m))
    checks = [f"assert({MARKERS[p]} && {_SAFETY_EXPR[p]})" for p in props if p in SAFETY]
    asserts = "check_properties()"
    label = "+".join(fixes) or "no fixes"
    out = [f"/* Enactor model: Enactors={n} generations={g} endpoints={m} K={k} [{label}].",
           "   Generated by course_lib.promela from the course's model; one d_step = one step of the course. */",
           f"#define N {n}", f"#define G {g}", f"#define M {m}", f"#define K {k}",
           "#define IDLE 0", "#define APPLY 1", "#define CLEANUP 2",
           "#define STORED(x) ((stored >> (x)) & 1)",
           f"#define ACTIVE(x) ({active})",
           f"#define DANGLING ({stored})",
           "#define GOAL (alias[0] == G && !frozen && !DANGLING)",
           "#define me (_pid - 1)  /* Enactor i runs as process i + 1; the Planner is process 0 */",
           "",
           "byte latest = 1;                  /* newest generation the Planner has published */",
           "short stored = 2;                 /* bit g set: plan g's record tree exists (plan 1 at the start) */",
           "byte alias[M] = 1;                /* per endpoint: the generation its alias points at */",
           "bool frozen, regressed, deleted_active;  /* fix 3's alarm; history of the two change properties */",
           "byte pc[N], plan[N], ep[N];       /* each Enactor's job (global: the operator resets them) */",
           "short todel[N];                   /* bit g set: clean-up still has plan g to delete */",
           "byte g;                           /* scratch inside a d_step; always 0 between steps */",
           *[f"bit {MARKERS[p]} = 1;  /* a constant: names '{p}' in Spin's message */" for p in props],
           "",
           "inline check_properties() {  /* after every step: the safety properties as assertions */",
           *([f"  {c};" for c in checks] or ["  skip"]),
           "}",
           "",
           "active proctype Planner() {",
           "end: do",
           "  :: d_step { latest < G -> latest++; stored = stored | (1 << latest);",
           f'       printf("@ Planner publish %d\\n", latest); {asserts} }}',
           "  od",
           "}",
           "",
           "active [N] proctype Enactor() {",
           "end: do",
           "  :: d_step { !frozen && pc[me] == CLEANUP ->  /* clean-up: the oldest plan left on its list */",
           "       g = 1; do :: (todel[me] >> g) & 1 -> break :: else -> g++ od;",
           "       if",
           *(["       :: ACTIVE(g) -> printf(\"@ Enactor %d keep %d\\n\", me + 1, g); todel[me] = todel[me] & ~(1 << g);",
              "            if :: todel[me] == 0 -> pc[me] = IDLE; plan[me] = 0 :: else -> skip fi"]
             if "protect_active" in fixes else []),
           *(["       :: ACTIVE(g) -> printf(\"@ Enactor %d freeze-old %d\\n\", me + 1, g); frozen = 1"]
             if "freeze_on_inconsistency" in fixes and "protect_active" not in fixes else []),
           "       :: else -> printf(\"@ Enactor %d delete %d\\n\", me + 1, g);",
           "            deleted_active = deleted_active || ACTIVE(g); stored = stored & ~(1 << g);",
           "            todel[me] = todel[me] & ~(1 << g);",
           "            if :: todel[me] == 0 -> pc[me] = IDLE; plan[me] = 0 :: else -> skip fi",
           f"       fi; g = 0; {asserts} }}",
           *(["  :: d_step { !frozen && pc[me] != CLEANUP && DANGLING ->  /* an alias points nowhere: alarm */",
              f'       printf("@ Enactor %d freeze-dangling\\n", me + 1); frozen = 1; {asserts} }}']
             if "freeze_on_inconsistency" in fixes else []),
           "  :: d_step { !frozen && pc[me] == IDLE && !DANGLING && latest > alias[0] ->  /* the one-time check */",
           f'       printf("@ Enactor %d take %d %d\\n", me + 1, latest, alias[0]); pc[me] = APPLY; plan[me] = latest; {asserts} }}',
           "  :: d_step { !frozen && pc[me] == APPLY && !DANGLING ->",
           "       if",
           "       :: !STORED(plan[me]) -> printf(\"@ Enactor %d abandon %d\\n\", me + 1, plan[me]);",
           "            pc[me] = IDLE; plan[me] = 0; ep[me] = 0",
           "       :: else ->",
           "            if",
           *(["            :: alias[ep[me]] >= plan[me] -> printf(\"@ Enactor %d skip %d %d\\n\", me + 1, ep[me], alias[ep[me]])"]
             if "recheck_at_write" in fixes else []),
           "            :: else -> printf(\"@ Enactor %d apply %d %d\\n\", me + 1, plan[me], ep[me]);",
           "                 regressed = regressed || plan[me] < alias[ep[me]]; alias[ep[me]] = plan[me]",
           "            fi;",
           "            if",
           "            :: ep[me] == M - 1 ->  /* last endpoint: list the plans K or more generations older */",
           "                 g = 1;",
           "                 do",
           "                 :: g <= G -> if :: STORED(g) && plan[me] - g >= K -> todel[me] = todel[me] | (1 << g)",
           "                                 :: else -> skip fi; g++",
           "                 :: else -> break",
           "                 od;",
           "                 g = 0; ep[me] = 0;",
           "                 if :: todel[me] == 0 -> pc[me] = IDLE; plan[me] = 0 :: else -> pc[me] = CLEANUP fi",
           "            :: else -> ep[me]++",
           "            fi",
           f"       fi; {asserts} }}",
           "  od",
           "}"]
    if operator and "freeze_on_inconsistency" in fixes:  # only a frozen zone pages the operator
        out += ["",
                "active proctype Operator() {  /* the alarm pages a human: stop the automation, re-point aliases */",
                "end: do",
                "  :: d_step { frozen ->",
                "       g = G; do :: STORED(g) -> break :: else -> g-- od;  /* the newest surviving tree */",
                *[f"       if :: !STORED(alias[{i}]) -> regressed = regressed || g < alias[{i}]; alias[{i}] = g "
                  ":: else -> skip fi;" for i in range(m)],
                "       frozen = 0;",
                *[f"       pc[{j}] = IDLE; plan[{j}] = 0; ep[{j}] = 0; todel[{j}] = 0;" for j in range(n)],
                f'       printf("@ Operator repair %d\\n", g); g = 0; {asserts} }}',
                "  od",
                "}"]
    if RECOVERABILITY in props:
        out += ["",
                "/* AG EF goal on a finite acyclic graph = every state without successors is a goal state */",
                "active proctype Monitor() {",
                f"end: do :: d_step {{ timeout -> assert({MARKERS[RECOVERABILITY]} && GOAL) }} od  /* back to the same state */",
                "}"]
    return "\n".join(out) + "\n"


_SAFETY_EXPR = {"record never empty": "!DANGLING", "applied generation never decreases": "!regressed",
                "active plan never deleted": "!deleted_active"}


def spin_missing() -> str | None:
    """Return why Spin cannot run here (missing spin or gcc), or None if both are installed."""
    missing = [tool for tool in ("spin", "gcc") if shutil.which(tool) is None]
    if not missing:
        return None
    return (f"{' and '.join(missing)} not installed: install with `sudo apt-get install -y "
            f"{' '.join('spin' if t == 'spin' else 'gcc' for t in missing)}` to run the Spin cross-check")


def _run(cmd: list[str], cwd: Path, timeout: float, what: str) -> str:
    """Run *cmd* in *cwd*; return its output, or raise SpinError saying what failed."""
    try:
        # A session of its own: spin runs the C preprocessor as a child, and a timeout must stop both, or the
        # child goes on writing into the temporary directory while it is being removed.
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
    except OSError as exc:
        raise SpinError(f"{what} could not start: {exc}") from None
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise SpinError(f"{what} ran for more than {timeout:g} s and was stopped; try a smaller configuration "
                        "or a larger timeout") from None
    done = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    output = done.stdout + done.stderr
    if "out of memory" in output or "-DMEMLIM bound" in output:
        raise SpinError(f"{what} ran out of memory (the limit is set by max_memory_mb); try a smaller "
                        "configuration or a larger limit")
    if done.returncode != 0:
        raise SpinError(f"{what} failed (exit code {done.returncode}): {output.strip()[-400:]}")
    return output


def verify(enactors: int = 3, generations: int = 4, endpoints: int = 2, K: int = 2, fixes=(),
           properties=PROPERTIES, operator: bool = True, reduction: bool = False, trail: str | None = None,
           max_memory_mb: int = 512, timeout: float = 120.0) -> SpinResult:
    """Generate the Promela model, verify it with Spin, and return the verdicts and state count.

    Breadth-first search (``-DBFS``) over the full space, continuing past errors (``-c0``) so that every
    property gets its verdict in one run; *reduction* switches partial-order reduction on.  With *trail*
    set to a property name, a second run stops at that property's first (shortest) violation and its
    trail comes back as course Steps.
    """
    if trail is not None:
        check_type("trail", trail, str, "a property name (str) or None")
    config = _configuration(enactors, generations, endpoints, K, fixes, properties, operator, _default_protect())
    check_type("reduction", reduction, bool)
    max_memory_mb = check_int("max_memory_mb", max_memory_mb, lo=16, hi=MAX_MEMORY_MB)
    timeout = check_number("timeout", timeout, lo=0, lo_open=True, hi=MAX_TIMEOUT)
    if trail is not None and trail not in config[5]:
        raise ValueError(f"trail must be one of the checked properties {config[5]}, got {trail!r}")
    reason = spin_missing()
    if reason:
        raise SpinUnavailable(reason)
    n, g, m, k, fixes, props, operator = config
    source = promela(n, g, m, k, fixes, props, operator)
    name = f"Enactors={n} generations={g} endpoints={m} K={k} [{'+'.join(fixes) or 'no fixes'}]"
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="course-spin-") as tmp:
        work = Path(tmp)
        output = _pan(work, source, reduction, max_memory_mb, timeout, stop_at_first=False)
        states, transitions, depth = _stats(output)
        broken = {_BY_MARKER[mk] for mk in re.findall(r"assertion violated \(\(?(P_\w+)", output)}
        steps: tuple = ()
        if trail is not None and trail in broken:
            only = promela(n, g, m, k, fixes, (trail,), operator)
            _pan(work, only, reduction, max_memory_mb, timeout, stop_at_first=True)
            replay = _run(["spin", "-T", "-t", "model.pml"], work, timeout, "spin -t (trail replay)")
            steps = tuple(_step(line, m) for line in replay.splitlines() if line.startswith("@ "))
    seconds = time.perf_counter() - start
    return SpinResult(name, {p: p not in broken for p in props}, states, transitions, depth, seconds, reduction,
                      steps, trail if steps else None, output, source)


def _default_protect():
    from .enactor_model import is_active
    return is_active


def _pan(work: Path, source: str, reduction: bool, max_memory_mb: int, timeout: float, stop_at_first: bool) -> str:
    """Write *source*, run spin -a, compile pan and run it; return pan's output."""
    for old in work.glob("model.pml*.trail"):
        old.unlink()
    (work / "model.pml").write_text(source)
    _run(["spin", "-a", "model.pml"], work, timeout, "spin -a (Promela to C)")
    flags = ["-DBFS", "-DSAFETY", f"-DMEMLIM={max_memory_mb}", *([] if reduction else ["-DNOREDUCE"])]
    _run(["gcc", "-O0", *flags, "-o", "pan", "pan.c"], work, timeout, "gcc (compiling pan)")
    return _run(["./pan", "-m100000", "-w20", "-c1" if stop_at_first else "-c0"], work, timeout, "pan (the verifier)")


def _stats(output: str) -> tuple[int, int, int]:
    """Return (states stored, transitions, depth reached) from pan's report."""
    stored = re.search(r"(\d+) states, stored", output)
    trans = re.search(r"(\d+) transitions", output)
    depth = re.search(r"depth reached (\d+)", output)
    if not (stored and trans and depth):
        raise SpinError(f"could not read pan's report: {output.strip()[-300:]}")
    return int(stored.group(1)), int(trans.group(1)), int(depth.group(1))


def _step(line: str, endpoints: int) -> Step:
    """Translate one '@ ...' line that the Promela model prints into the course's Step vocabulary."""
    words = line[2:].split()
    actor = "Planner" if words[0] == "Planner" else "Operator" if words[0] == "Operator" else f"Enactor {words[1]}"
    rest = words[1:] if actor in ("Planner", "Operator") else words[2:]
    kind, args = rest[0], [int(a) for a in rest[1:]]
    if kind == "publish":
        return Step(actor, "publish", f"plan {args[0]}")
    if kind == "take":
        return Step(actor, "take", f"plan {args[0]} (check {args[0]} > {args[1]})")
    if kind == "apply":
        return Step(actor, "apply", f"plan {args[0]} to {ENDPOINT_NAMES[args[1]]}")
    if kind == "skip":
        return Step(actor, "skip", f"{ENDPOINT_NAMES[args[0]]}: has plan {args[1]}")
    if kind == "abandon":
        return Step(actor, "abandon", f"plan {args[0]} (deleted)")
    if kind == "keep":
        return Step(actor, "keep", f"plan {args[0]} (active)")
    if kind == "delete":
        return Step(actor, "delete", f"plan {args[0]}")
    if kind == "freeze-old":
        return Step(actor, "freeze", f"alarm: old plan {args[0]} is active")
    if kind == "freeze-dangling":
        return Step(actor, "freeze", "alarm: alias points at a deleted plan")
    if kind == "repair":
        return Step(actor, "repair", f"re-point aliases at plan {args[0]}")
    raise SpinError(f"unexpected step in Spin's trail: {line!r}")


# Spin 6.5.2's result for the chapter's default buggy model (3 Enactors, 4 generations, 2 endpoints, K = 2,
# no fixes), trail for 'record never empty', recorded from a live run.  Chapter 3 shows it, clearly marked,
# on a machine without Spin; a test checks that a live run still gives exactly this.
STORED_CONFIG = (3, 4, 2, 2, ())
STORED = {
    "holds": {"record never empty": False, "applied generation never decreases": False,
              "active plan never deleted": False, RECOVERABILITY: False},
    "states": 9418, "transitions": 26773, "depth": 19,
    "trail": (("Planner", "publish", "plan 2"), ("Enactor 3", "take", "plan 2 (check 2 > 1)"),
              ("Planner", "publish", "plan 3"), ("Planner", "publish", "plan 4"),
              ("Enactor 2", "take", "plan 4 (check 4 > 1)"), ("Enactor 2", "apply", "plan 4 to regional"),
              ("Enactor 3", "apply", "plan 2 to regional"), ("Enactor 2", "apply", "plan 4 to ipv6"),
              ("Enactor 2", "delete", "plan 1"), ("Enactor 2", "delete", "plan 2")),
}


def spin_or_stored(trail: str = "record never empty") -> tuple[SpinResult, bool]:
    """Return Spin's result for the chapter's default buggy model: live if Spin is installed, else stored.

    The second value says which: True for a live run on this machine, False for the stored copy.
    """
    check_type("trail", trail, str, "a property name (str)")
    if trail not in PROPERTIES:
        raise ValueError(f"trail must be one of {PROPERTIES}, got {trail!r}")
    n, g, m, k, fixes = STORED_CONFIG
    if spin_missing() is None:
        return verify(n, g, m, k, fixes, trail=trail), True
    if trail != "record never empty":
        raise SpinUnavailable(f"only the trail for 'record never empty' is stored: {spin_missing()}")
    name = f"Enactors={n} generations={g} endpoints={m} K={k} [no fixes]"
    return SpinResult(name, dict(STORED["holds"]), STORED["states"], STORED["transitions"], STORED["depth"],
                      0.0, False, tuple(Step(*t) for t in STORED["trail"]), trail, "", promela(n, g, m, k, fixes)), False


if FIXES != ("recheck_at_write", "protect_active", "freeze_on_inconsistency"):  # pragma: no cover
    raise ImportError("course_lib.promela translates exactly the three fixes of course_lib.dns.rules")

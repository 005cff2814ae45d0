"""Chapter 3: exactly what is proved — a size sweep, the atomicity assumption, and an inductive invariant."""

from __future__ import annotations

import itertools

import pytest

from course_lib.enactor_model import (
    FIXES,
    PROPERTIES,
    SPEC,
    SWEEP_RANGES,
    _encoding_size,
    check_inductive,
    describe,
    enactor_model,
    encoding_states,
    fix_invariant,
    initial_state,
    race_possible,
    regression_possible,
    state_explosion,
    sweep_sizes,
)
from course_lib.modelcheck import RECOVERABILITY, check_each

SIZES = sweep_sizes()  # Enactors 1-3 x generations 1-5 x endpoints 1-2 x K 1-4, K < generations
RACE_SIZES = sweep_sizes(race_only=True)
RACE = ("record never empty", "active plan never deleted", RECOVERABILITY)
ALL = (*PROPERTIES, RECOVERABILITY)
# What each fix alone guarantees (Chapter 2's claims, plus recoverability, which Chapter 3 adds).
CLAIMS = {
    ("recheck_at_write",): set(ALL),
    ("protect_active",): set(RACE),
    ("freeze_on_inconsistency",): set(RACE),
    FIXES: set(ALL),
}


@pytest.fixture(scope="module")
def sweep():
    """check_each verdicts for the buggy model, each fix alone and all fixes together, at every meaningful size."""
    out = {}
    for size in SIZES:
        for fixes in [(), *CLAIMS]:
            out[size, fixes] = {p: r.holds for p, r in check_each(enactor_model(*size, fixes, symmetry=True)).items()}
    return out


def test_the_sweep_is_the_one_the_chapter_states():
    """60 meaningful sizes (K < generations), of which 24 can show the race: the numbers the chapter prints."""
    grid = list(itertools.product(*(range(lo, hi + 1) for lo, hi in SWEEP_RANGES.values())))
    assert len(grid) == 120 and len(SIZES) == 60 and len(RACE_SIZES) == 24
    assert [s for s in grid if s[3] < s[1]] == SIZES
    assert [s for s in grid if s[0] >= 2 and s[1] >= s[3] + 2] == RACE_SIZES
    import nbformat

    nb = nbformat.read("notebooks/03_model_checking.ipynb", 4)
    text = "\n".join(c.source for c in nb.cells)
    assert "24 race-capable sizes (of 60 meaningful ones), each fix alone and all together" in text
    assert "120 sizes" not in text


@pytest.mark.parametrize("fixes", list(CLAIMS), ids=lambda f: "+".join(f) if len(f) < 3 else "all")
def test_each_fix_alone_and_all_together_hold_their_claims_where_the_race_can_happen(sweep, fixes):
    """At each of the 24 race-capable sizes each fix alone holds exactly the properties it claims (and all
    four together); without it those same sizes break the race properties, so the check is not vacuous."""
    for size in RACE_SIZES:
        verdicts = sweep[size, fixes]
        assert {p for p, ok in verdicts.items() if ok} == CLAIMS[fixes], size
        assert not any(sweep[size, ()][p] for p in RACE), size


@pytest.mark.parametrize("fixes", list(CLAIMS), ids=lambda f: "+".join(f) if len(f) < 3 else "all")
def test_each_fix_holds_its_claims_at_every_meaningful_size(sweep, fixes):
    """At all 60 meaningful sizes a fix never breaks what it claims; all fixes on, all four properties hold."""
    for size in SIZES:
        assert all(sweep[size, fixes][p] for p in CLAIMS[fixes]), size


def test_buggy_model_fails_exactly_where_the_race_is_possible(sweep):
    """Without fixes the record empties (and the active plan goes, and the zone sticks) iff 2+ Enactors and
    generations >= K + 2; a stale overwrite needs only 2+ Enactors and 3+ generations."""
    for size in SIZES:
        n, g, _, k = size
        verdicts = sweep[size, ()]
        for prop in RACE:
            assert verdicts[prop] == (not race_possible(n, g, k)), (size, prop)
        assert verdicts["applied generation never decreases"] == (not regression_possible(n, g)), size


def test_k_at_or_above_generations_is_accepted_by_the_model_and_refused_by_the_widget():
    """enactor_model accepts K >= generations (clean-up never deletes: the race cannot happen, and the checker
    agrees); state_explosion, behind the widget, refuses it as meaningless."""
    degenerate = check_each(enactor_model(2, 3, 1, 3))
    assert all(degenerate[p].holds for p in RACE) and not race_possible(2, 3, 3)
    with pytest.raises(ValueError, match="below the number of generations"):
        state_explosion(2, 3, 1, K=3)


def test_sizes_that_cannot_show_the_race_are_named():
    """One Enactor, or too few generations for the threshold, 'verifies' the bug: race_possible says so."""
    assert not race_possible(1, 8, 1) and not race_possible(3, 3, 2) and race_possible(2, 4, 2)
    assert all(check_each(enactor_model(3, 3, 2, 2))[p].holds for p in RACE)  # K = 2 needs 4 generations
    with pytest.raises(ValueError, match="generations"):
        race_possible(2, 0, 1)


def test_recheck_needs_its_check_in_the_same_batch_as_the_write():
    """With the read and the write as two steps, recheck_at_write fails: two Enactors both read, then write."""
    apart = check_each(enactor_model(fixes=("recheck_at_write",), atomic_recheck=False))
    assert not any(r.holds for r in apart.values())
    stale = apart["applied generation never decreases"]
    kinds = [(s.actor, s.kind) for s in stale.actions]
    assert kinds[-1] == ("Enactor 1", "apply") and ("Enactor 1", "read") in kinds and ("Enactor 2", "apply") in kinds
    assert kinds.index(("Enactor 1", "read")) < kinds.index(("Enactor 2", "apply"))  # read, then overtaken
    assert len(apart["record never empty"].actions) == 12
    together = check_each(enactor_model(fixes=("recheck_at_write",)))
    assert all(r.holds for r in together.values())
    assert "read and write apart" in enactor_model(fixes=("recheck_at_write",), atomic_recheck=False).name


INDUCTIVE_SIZES = [(2, 3, 2, 1), (2, 4, 1, 2), (3, 3, 1, 1), (2, 4, 1, 1)]  # the sizes the chapter shows


@pytest.mark.parametrize("size", INDUCTIVE_SIZES)
@pytest.mark.parametrize("fixes", [FIXES, ("recheck_at_write",), ("recheck_at_write", "protect_active")],
                         ids=lambda f: "+".join(f))
def test_fix_invariant_is_inductive_over_the_whole_encoding(size, fixes):
    """Every encoded state satisfying the invariant steps only to states that satisfy it; it implies the properties."""
    result = check_inductive(*size, fixes)
    assert result.inductive, str(result)
    assert result.states == _encoding_size(*size) and 0 < result.satisfying < result.states


@pytest.mark.parametrize("fixes", [(), ("protect_active",), ("freeze_on_inconsistency",)], ids=lambda f: "+".join(f) or "none")
@pytest.mark.parametrize("size", INDUCTIVE_SIZES)
def test_without_recheck_the_invariant_has_a_counterexample_to_induction(fixes, size):
    """Without recheck_at_write a stale write leaves the invariant: check_inductive shows the step."""
    result = check_inductive(*size, fixes)
    assert not result.inductive and result.counterexample is not None
    state, step, after = result.counterexample
    k = size[3]
    assert fix_invariant(state, k) and not fix_invariant(after, k) and step.kind == "apply"
    assert "NOT inductive" in str(result) and describe(state)


def test_chapter_demonstrates_the_invariant_with_recheck_alone():
    """Regression: the chapter's induction cell uses recheck_at_write alone, at the tested sizes, and shows a
    counterexample to induction without it."""
    import nbformat

    nb = nbformat.read("notebooks/03_model_checking.ipynb", 4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "check_inductive(" in c.source)
    assert "FIXES" not in cell.source and '("recheck_at_write",)' in cell.source
    out = "".join(o.get("text", "") for o in cell.outputs)
    for size in INDUCTIVE_SIZES:
        n, g, m, k = size
        assert f"Enactors={n} generations={g} endpoints={m} K={k} [recheck_at_write]:" in out, size
    assert out.count("it holds initially, every step keeps it") == len(INDUCTIVE_SIZES)
    assert "[no fixes]" in out and "NOT inductive" in out and "counterexample to induction" in out


def test_encoding_enumerates_every_state_once():
    """The encoding yields as many distinct zones as its closed-form size, the initial state among them."""
    zones = list(encoding_states(2, 2, 1, 1))
    assert len(zones) == len(set(zones)) == _encoding_size(2, 2, 1, 1)
    assert initial_state(2, 1) in set(zones)


def test_proof_scope_functions_validate_their_input():
    """Sizes outside the declared range, huge encodings and non-callable invariants are refused."""
    with pytest.raises(ValueError, match="more than"):
        check_inductive(4, 8, 4, 1)
    with pytest.raises(TypeError, match="invariant"):
        check_inductive(invariant=42)
    with pytest.raises(TypeError, match="atomic_recheck"):
        enactor_model(atomic_recheck="no")
    with pytest.raises(ValueError, match="enactors"):
        race_possible(SPEC["enactors"].hi + 1, 4, 2)
    with pytest.raises(TypeError, match="race_only"):
        sweep_sizes(race_only=1)

"""Chapter 3: exactly what is proved — a size sweep, the atomicity assumption, and an inductive invariant."""

from __future__ import annotations

import itertools

import pytest

from course_lib.enactor_model import (
    FIXES,
    SPEC,
    _encoding_size,
    check_inductive,
    describe,
    enactor_model,
    encoding_states,
    fix_invariant,
    initial_state,
    race_possible,
    regression_possible,
)
from course_lib.modelcheck import RECOVERABILITY, check_each

SIZES = list(itertools.product((1, 2, 3), (1, 2, 3, 4, 5), (1, 2), (1, 2, 3, 4)))  # Enactors, gens, endpoints, K
RACE = ("record never empty", "active plan never deleted", RECOVERABILITY)


@pytest.fixture(scope="module")
def sweep():
    """check_each verdicts for the buggy and the fixed model at every size of the stated range."""
    out = {}
    for size in SIZES:
        out[size, "buggy"] = {p: r.holds for p, r in check_each(enactor_model(*size, symmetry=True)).items()}
        out[size, "fixed"] = {p: r.holds for p, r in check_each(enactor_model(*size, FIXES, symmetry=True)).items()}
    return out


def test_fixed_model_holds_every_property_at_every_size(sweep):
    """1-3 Enactors x 1-5 generations x 1-2 endpoints x K 1-4 (120 sizes): all fixes on, all four properties hold."""
    assert len(SIZES) == 120
    for size in SIZES:
        assert all(sweep[size, "fixed"].values()), size


def test_buggy_model_fails_exactly_where_the_race_is_possible(sweep):
    """Without fixes the record empties (and the active plan goes, and the zone sticks) iff 2+ Enactors and
    generations >= K + 2; a stale overwrite needs only 2+ Enactors and 3+ generations."""
    for size in SIZES:
        n, g, _, k = size
        verdicts = sweep[size, "buggy"]
        for prop in RACE:
            assert verdicts[prop] == (not race_possible(n, g, k)), (size, prop)
        assert verdicts["applied generation never decreases"] == (not regression_possible(n, g)), size


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


@pytest.mark.parametrize("size", [(2, 3, 2, 1), (2, 4, 1, 2), (3, 3, 1, 1)])
@pytest.mark.parametrize("fixes", [FIXES, ("recheck_at_write",), ("recheck_at_write", "protect_active")],
                         ids=lambda f: "+".join(f))
def test_fix_invariant_is_inductive_over_the_whole_encoding(size, fixes):
    """Every encoded state satisfying the invariant steps only to states that satisfy it; it implies the properties."""
    result = check_inductive(*size, fixes)
    assert result.inductive, str(result)
    assert result.states == _encoding_size(*size) and 0 < result.satisfying < result.states


@pytest.mark.parametrize("fixes", [(), ("protect_active",), ("freeze_on_inconsistency",)], ids=lambda f: "+".join(f) or "none")
def test_without_recheck_the_invariant_has_a_counterexample_to_induction(fixes):
    """Without recheck_at_write a stale write leaves the invariant: check_inductive shows the step."""
    result = check_inductive(2, 3, 2, 1, fixes)
    assert not result.inductive and result.counterexample is not None
    state, step, after = result.counterexample
    assert fix_invariant(state, 1) and not fix_invariant(after, 1) and step.kind == "apply"
    assert "NOT inductive" in str(result) and describe(state)


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

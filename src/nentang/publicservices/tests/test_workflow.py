"""The workflow engine: the state is a fold of the action log; actions outside the
workflow are refused; a random walk never leaves it (hypothesis)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nentang.publicservices.catalogue import (
    PROCEDURES,
    WORKFLOWS,
    CatalogueError,
    catalogue_load,
    workflows_load,
)
from nentang.publicservices.workflow import (
    ALL_ACTIONS,
    DRAFT,
    HAND_OFF,
    REFUSE_PART,
    WITHDRAWN,
    ActionRefused,
    AgencySpec,
    Step,
    allowed_actions,
    apply,
    replay,
)

ROLES = ["reception", "processing", "approval"]
KINDS = ["peoples_committee", "department", "police", "social_insurance", "other"]
CATALOGUE = catalogue_load(
    PROCEDURES, workflows_directory=WORKFLOWS, roles=ROLES, agency_kinds=KINDS
)
_DETOURS = {"reject", "request_supplement"}
LIEN_THONG = CATALOGUE.require("lien-thong-khai-sinh-thuong-tru-bhyt").workflow
WITH_FEE = CATALOGUE.require("cap-phieu-ly-lich-tu-phap").workflow
FREE = CATALOGUE.require("dang-ky-khai-sinh").workflow


def test_a_dossier_with_a_fee_waits_for_it_after_reception() -> None:
    log = [Step("submit", {}), Step("receive", {"fee": 200_000})]

    assert replay(WITH_FEE, log) == "fee_due"
    assert replay(WITH_FEE, [*log, Step("fee_paid", {})]) == "processing"


def test_a_fee_of_nothing_is_not_waited_for() -> None:
    assert replay(WITH_FEE, [Step("submit", {}), Step("receive", {"fee": 0})]) == "processing"


def test_a_result_by_post_waits_for_delivery_and_an_online_one_does_not() -> None:
    base = [Step("submit", {}), Step("receive", {}), Step("process", {}), Step("approve", {})]

    assert replay(FREE, [*base, Step("issue_result", {"delivery": "post"})]) == "delivery"
    assert replay(FREE, [*base, Step("issue_result", {"delivery": "online"})]) == "completed"
    assert (
        replay(FREE, [*base, Step("issue_result", {"delivery": "post"}), Step("deliver", {})])
        == "completed"
    )


def test_supplementation_goes_back_to_reception() -> None:
    log = [Step("submit", {}), Step("request_supplement", {}), Step("resubmit", {})]

    assert replay(FREE, log) == "reception"


def test_withdrawal_is_refused_after_approval() -> None:
    approved = replay(
        FREE, [Step("submit", {}), Step("receive", {}), Step("process", {}), Step("approve", {})]
    )

    assert approved == "issuing"
    with pytest.raises(ActionRefused):
        apply(FREE, approved, Step("withdraw", {}))
    assert apply(FREE, "processing", Step("withdraw", {})) == WITHDRAWN


def test_an_action_of_another_step_is_refused() -> None:
    with pytest.raises(ActionRefused):
        apply(FREE, "reception", Step("approve", {}))
    with pytest.raises(ActionRefused):
        apply(FREE, "completed", Step("receive", {}))


def test_the_interconnected_group_is_handed_off_to_the_police_then_social_insurance() -> None:
    registered = replay(
        LIEN_THONG,
        [Step("submit", {}), Step("receive", {}), Step("process", {}), Step("approve", {})],
    )
    assert registered == "birth_registered"
    residence = apply(LIEN_THONG, registered, Step(HAND_OFF, {}))
    insurance = apply(LIEN_THONG, residence, Step(HAND_OFF, {}))

    assert LIEN_THONG.holder(residence) == AgencySpec("police", "commune")
    assert LIEN_THONG.holder(insurance) == AgencySpec("social_insurance", "province")
    assert LIEN_THONG.holder(apply(LIEN_THONG, insurance, Step(HAND_OFF, {}))) is None
    with pytest.raises(ActionRefused):
        apply(LIEN_THONG, residence, Step("process", {}))


def _refused_workflow(tmp_path: Path, change: Any) -> CatalogueError:
    raw = json.loads((WORKFLOWS / "lien-thong.json").read_text(encoding="utf-8"))
    changed = copy.deepcopy(raw)
    change(changed["states"])
    (tmp_path / "lien-thong.json").write_text(json.dumps(changed), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        workflows_load(tmp_path, roles=ROLES, agency_kinds=KINDS)
    assert caught.value.source == "lien-thong.json"
    return caught.value


def test_a_hand_off_to_an_agency_kind_identity_does_not_know(tmp_path: Path) -> None:
    def hospital(states: dict[str, Any]) -> None:
        states["health_insurance"]["agency"]["kind"] = "hospital"

    error = _refused_workflow(tmp_path, hospital)

    assert error.where == "states.health_insurance.agency.kind"
    assert "'hospital' is not a kind of agency" in error.message


def test_another_agency_s_step_is_entered_only_by_a_hand_off(tmp_path: Path) -> None:
    def processed(states: dict[str, Any]) -> None:
        states["birth_registered"]["actions"] = {"process": "residence"}

    error = _refused_workflow(tmp_path, processed)

    assert error.where == "states.birth_registered.actions.process"
    assert "only hand_off leads there" in error.message


def test_a_hand_off_within_the_same_agency_and_a_bad_level(tmp_path: Path) -> None:
    def inward(states: dict[str, Any]) -> None:
        states["civil_status"]["actions"]["hand_off"] = "approval"

    assert _refused_workflow(tmp_path, inward).where == "states.civil_status.actions.hand_off"

    def district(states: dict[str, Any]) -> None:
        states["residence"]["agency"]["level"] = "district"

    assert _refused_workflow(tmp_path, district).where == "states.residence.agency.level"

    def home_result(states: dict[str, Any]) -> None:  # only a partner's step issues one
        states["civil_status"]["result"] = {"vi": "Kết quả", "en": "Result"}

    assert _refused_workflow(tmp_path, home_result).where == "states.civil_status.result"


def test_only_a_partner_refuses_its_part_and_the_rest_goes_on(tmp_path: Path) -> None:
    residence = replay(
        LIEN_THONG,
        [
            Step("submit", {}),
            Step("receive", {}),
            Step("process", {}),
            Step("approve", {}),
            Step(HAND_OFF, {}),
        ],
    )
    assert "refuse_part" in allowed_actions(LIEN_THONG, residence)
    assert "reject" not in allowed_actions(LIEN_THONG, residence)
    insurance = apply(LIEN_THONG, residence, Step("refuse_part", {}))
    assert LIEN_THONG.holder(insurance) == AgencySpec("social_insurance", "province")
    assert apply(LIEN_THONG, insurance, Step("refuse_part", {})) == "issuing"

    def at_home(states: dict[str, Any]) -> None:  # the receiving agency rejects instead
        states["civil_status"]["actions"]["refuse_part"] = "approval"

    assert _refused_workflow(tmp_path, at_home).where == "states.civil_status.actions.refuse_part"

    def inward(states: dict[str, Any]) -> None:  # it passes the dossier on, like hand_off
        states["residence"]["actions"]["refuse_part"] = "residence_supplementing"

    assert _refused_workflow(tmp_path, inward).where == "states.residence.actions.refuse_part"


def test_a_hand_off_that_never_comes_back_to_an_end(tmp_path: Path) -> None:
    def stuck(states: dict[str, Any]) -> None:
        states["health_insurance"]["actions"] = {"hand_off": "residence"}
        states["residence"]["actions"] = {"hand_off": "health_insurance"}
        del states["residence_supplementing"], states["health_insurance_supplementing"]
        states["birth_registered"]["actions"]["issue_result"] = "issuing"

    error = _refused_workflow(tmp_path, stuck)

    assert error.where == "states.residence"
    assert error.message == "no terminal state can be reached from here"


# The interconnected group's whole path, with refused moves between the hand-offs.
_LIEN_THONG_WALK: list[tuple[int | str, int, str]] = [
    (move, 0, "online")
    for move in (0, 0, 0, "hand_off", 0, 0, "process", 0, "approve", 0, "reject", 0, 0)
]


@settings(max_examples=300, deadline=None)
@example(procedure=("lien-thong-khai-sinh-thuong-tru-bhyt", 1), actions=_LIEN_THONG_WALK)
@given(
    procedure=st.sampled_from(sorted(CATALOGUE.versions)),
    actions=st.lists(
        st.tuples(
            # Most moves go forward along the workflow (a number picks one of the state's
            # transitions), so walks get deep — to the interconnected group's hand-offs;
            # the others are any action at all, allowed or not.
            st.one_of(st.integers(0, 5), st.integers(0, 5), st.sampled_from(sorted(ALL_ACTIONS))),
            st.sampled_from([0, 5000]),
            st.sampled_from(["online", "post", "counter"]),
        ),
        max_size=25,
    ),
)
def test_a_random_walk_stays_in_the_workflow(
    procedure: tuple[str, int], actions: list[tuple[int | str, int, str]]
) -> None:
    workflow = CATALOGUE.versions[procedure].workflow
    state = DRAFT
    accepted: list[Step] = []
    for move, fee, delivery in actions:
        allowed = allowed_actions(workflow, state)
        # Forward: the state's transitions, the happy path's first (refusals end walks).
        forward = (
            ["submit"]
            if state == DRAFT
            else sorted(workflow.state(state).transitions, key=lambda a: (a in _DETOURS, a))
        )
        action = (
            move if isinstance(move, str) else (forward or ["comment"])[move % len(forward or [0])]
        )
        step = Step(action, {"fee": fee, "delivery": delivery})
        if action in allowed:
            before = state
            state = apply(workflow, state, step)
            accepted.append(step)
            if action in (HAND_OFF, REFUSE_PART):
                # A hand-off, and a partner refusing its part, land at another agency's
                # step (the next partner, or the receiving agency to finish the rest).
                assert workflow.holder(state) != workflow.holder(before)
            elif workflow.is_open(state) and state != DRAFT and before != DRAFT:
                assert workflow.holder(state) == workflow.holder(before)
        else:
            with pytest.raises(ActionRefused):
                apply(workflow, state, step)
        assert state in (DRAFT, WITHDRAWN) or state in workflow.states
        assert replay(workflow, accepted) == state
    if actions is _LIEN_THONG_WALK:  # the explicit example went all the way round
        assert state == "completed"
        assert [s.action for s in accepted].count(HAND_OFF) == 3

"""The workflow engine: the state is a fold of the action log; actions outside the
workflow are refused; a random walk never leaves it (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nentang.publicservices.catalogue import PROCEDURES, WORKFLOWS, catalogue_load
from nentang.publicservices.workflow import (
    ALL_ACTIONS,
    DRAFT,
    WITHDRAWN,
    ActionRefused,
    Step,
    allowed_actions,
    apply,
    replay,
)

ROLES = ["reception", "processing", "approval"]
CATALOGUE = catalogue_load(PROCEDURES, workflows_directory=WORKFLOWS, roles=ROLES)
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


@settings(max_examples=300, deadline=None)
@given(
    procedure=st.sampled_from(sorted(CATALOGUE.versions)),
    actions=st.lists(
        st.tuples(
            st.sampled_from(sorted(ALL_ACTIONS)),
            st.sampled_from([0, 5000]),
            st.sampled_from(["online", "post", "counter"]),
        ),
        max_size=25,
    ),
)
def test_a_random_walk_stays_in_the_workflow(
    procedure: tuple[str, int], actions: list[tuple[str, int, str]]
) -> None:
    workflow = CATALOGUE.versions[procedure].workflow
    state = DRAFT
    accepted: list[Step] = []
    for action, fee, delivery in actions:
        step = Step(action, {"fee": fee, "delivery": delivery})
        if action in allowed_actions(workflow, state):
            state = apply(workflow, state, step)
            accepted.append(step)
        else:
            with pytest.raises(ActionRefused):
                apply(workflow, state, step)
        assert state in (DRAFT, WITHDRAWN) or state in workflow.states
        assert replay(workflow, accepted) == state

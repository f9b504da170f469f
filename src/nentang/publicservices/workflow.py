"""The workflow engine: one interpreter for every procedure's declarative state machine.

A workflow file names its states. An *officer step* has the identity role that acts
there, its SLA in working days and the actions allowed, each with its target state; a
*wait* is the dossier waiting for someone outside the agency — the applicant
(``resubmit`` after a request for supplementation), the fee (``fee_paid``, from the
payments context) or the hand-over of the result (``deliver`` by post, ``return_result``
at the counter); a *terminal* state ends the dossier.

An officer step may be performed by **another agency** (liên thông, Decree 63/2024/NĐ-CP):
its ``agency`` names the kind and level of that agency (``{"kind": "police", "level":
"commune"}``), resolved for the dossier's place when the dossier gets there. Only the
``hand_off`` action moves a dossier from one agency to another (and back: a step with no
``agency`` is the receiving one-stop shop's); every other action stays with the agency
that holds the dossier. Which agency holds the dossier in each state is fixed by the
graph (:attr:`Workflow.holders`) and checked on load. A partner's step may refuse
(``reject``), ask the applicant for more (``request_supplement`` to a wait it holds,
``resubmit`` back to it) and names the ``result`` it issues when it hands off. In an
interconnected group a partner may also refuse **its own part** (``refuse_part``): the
dossier is passed on, like a hand-off, to the step that follows (without that part's
result), so one part refused does not end the parts that can still go on.

A dossier is an append-only log of actions (OpenCRVS). Its state is never written on its
own: :func:`replay` folds the log through :func:`apply`, and the row caches the result.
The same :func:`apply` decides whether a new action is allowed, so the log can only
ever hold a path through the workflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DRAFT = "draft"
WITHDRAWN = "withdrawn"

# Actions an officer takes at a step (the workflow says which, and where they lead).
OFFICER_ACTIONS = frozenset(
    {
        "receive",
        "request_supplement",
        "process",
        "approve",
        "reject",
        "issue_result",
        "hand_off",
        "refuse_part",
    }
)
HAND_OFF = "hand_off"
# A partner agency refuses its part of an interconnected group: the dossier goes on.
REFUSE_PART = "refuse_part"
# The actions that pass a dossier from one agency to another.
PASSES = frozenset({HAND_OFF, REFUSE_PART})
AGENCY_LEVELS = ("commune", "province")
# The receiving agency (the one-stop shop that received the dossier).
HOME = None
# What ends each kind of wait, and who does it.
WAIT_ACTIONS: Mapping[str, frozenset[str]] = {
    "applicant": frozenset({"resubmit"}),
    "payment": frozenset({"fee_paid"}),
    "result": frozenset({"deliver", "return_result"}),
}
# Actions allowed in any state before the end, changing nothing but the log.
ANYTIME_ACTIONS = frozenset({"comment", "assign", "apologise"})
# Revoking the signed result: once it exists (approval made it), to the very end.
REVOKE = "revoke_result"
ALL_ACTIONS = (
    OFFICER_ACTIONS
    | frozenset().union(*WAIT_ACTIONS.values())
    | ANYTIME_ACTIONS
    | {"save_draft", "submit", "withdraw", REVOKE}
)


class WorkflowError(ValueError):
    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


class ActionRefused(ValueError):
    """The action is not allowed in this state (the caller turns it into a 409)."""

    def __init__(self, action: str, state: str) -> None:
        self.action = action
        self.state = state
        super().__init__(f"{action} is not allowed in state {state}")


@dataclass(frozen=True)
class AgencySpec:
    """Which agency performs a step: its kind (identity's ``Agency.Kind``) and level,
    found for the dossier's place (the receiving agency's commune or province)."""

    kind: str
    level: str


@dataclass(frozen=True)
class State:
    name: str
    role: str = ""
    waits: str = ""
    terminal: bool = False
    sla_days: int = 0
    actions: Mapping[str, str] | None = None
    agency: AgencySpec | None = None
    # A partner agency's step may issue its own result when it ends its part
    # (``hand_off``): the document's name in Vietnamese and English.
    result: tuple[str, str] | None = None

    @property
    def transitions(self) -> Mapping[str, str]:
        return self.actions or {}


@dataclass(frozen=True)
class Workflow:
    name: str
    start: str
    states: Mapping[str, State]
    # The agency holding the dossier in each open state (None: the receiving agency).
    holders: Mapping[str, AgencySpec | None] | None = None

    def holder(self, state: str) -> AgencySpec | None:
        return (self.holders or {}).get(state)

    @property
    def asks_for_payment(self) -> bool:
        return any(state.waits == "payment" for state in self.states.values())

    def state(self, name: str) -> State:
        if name in (DRAFT, WITHDRAWN):
            return State(name=name, terminal=name == WITHDRAWN)
        return self.states[name]

    def awaits_applicant(self, state: str) -> bool:
        """Is the dossier waiting for the applicant's supplementation in ``state``?"""
        found = self.states.get(state)
        return found is not None and found.waits == "applicant"

    def is_open(self, state: str) -> bool:
        return not self.state(state).terminal

    def officer_states(self) -> list[State]:
        return [s for s in self.states.values() if s.role]


def workflow_from(
    raw: Any, *, roles: Iterable[str], agency_kinds: Iterable[str] | None = None
) -> Workflow:
    """Validate a workflow file's content: shape, actions, targets, roles, the agencies
    of hand-offs (``agency_kinds``: identity's kinds; None skips that check), and a
    graph in which every state is reachable from the start and can reach an end."""
    if not isinstance(raw, dict):
        raise WorkflowError("", "a workflow is a JSON object")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise WorkflowError("name", "give the workflow a name")
    states_raw = raw.get("states")
    if not isinstance(states_raw, dict) or not states_raw:
        raise WorkflowError("states", "give the workflow its states")
    known_roles = set(roles)
    states: dict[str, State] = {}
    for key, spec in states_raw.items():
        where = f"states.{key}"
        if key in (DRAFT, WITHDRAWN):
            raise WorkflowError(where, f"{key!r} is a reserved state name")
        if not isinstance(spec, dict):
            raise WorkflowError(where, "a state is a JSON object")
        kinds = [k for k in ("role", "waits", "terminal") if spec.get(k)]
        if len(kinds) != 1:
            raise WorkflowError(where, "a state has exactly one of role, waits or terminal")
        unknown = set(spec) - {
            "role",
            "waits",
            "terminal",
            "sla_days",
            "actions",
            "agency",
            "result",
        }
        if unknown:
            raise WorkflowError(f"{where}.{sorted(unknown)[0]}", "unknown key")
        actions = spec.get("actions", {})
        if not isinstance(actions, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in actions.items()
        ):
            raise WorkflowError(f"{where}.actions", "actions map an action to a state")
        sla = spec.get("sla_days", 0)
        if not isinstance(sla, int) or isinstance(sla, bool) or not 0 <= sla <= 90:
            raise WorkflowError(f"{where}.sla_days", "a whole number of working days, 0 to 90")
        if spec.get("terminal"):
            if actions:
                raise WorkflowError(f"{where}.actions", "a terminal state has no actions")
            states[key] = State(name=key, terminal=True)
            continue
        if not actions:
            raise WorkflowError(f"{where}.actions", "an open state needs at least one action")
        agency = _agency_spec(spec, where, agency_kinds)
        if spec.get("role"):
            role = spec["role"]
            if role not in known_roles:
                raise WorkflowError(f"{where}.role", f"the role {role!r} does not exist")
            allowed = OFFICER_ACTIONS
        else:
            waits = spec["waits"]
            if waits not in WAIT_ACTIONS:
                raise WorkflowError(f"{where}.waits", f"one of {sorted(WAIT_ACTIONS)}")
            allowed = WAIT_ACTIONS[waits]
        for action in actions:
            if action not in allowed:
                raise WorkflowError(
                    f"{where}.actions.{action}", f"not an action of this state ({sorted(allowed)})"
                )
        if REFUSE_PART in actions and agency is HOME:
            raise WorkflowError(
                f"{where}.actions.{REFUSE_PART}",
                "only a partner agency's step refuses its part (the receiving agency rejects)",
            )
        if spec.get("waits") == "payment" and set(actions) != {"fee_paid"}:
            raise WorkflowError(f"{where}.actions", "a payment wait ends only with fee_paid")
        states[key] = State(
            name=key,
            role=spec.get("role", ""),
            waits=spec.get("waits", ""),
            sla_days=sla,
            actions=dict(actions),
            agency=agency,
            result=_result_name(spec, where, agency),
        )
    start = raw.get("start")
    if start not in states:
        raise WorkflowError("start", f"{start!r} is not a state")
    if not states[start].role:
        raise WorkflowError("start", "the first step is an officer's")
    for state in states.values():
        for action, target in state.transitions.items():
            if target not in states:
                raise WorkflowError(
                    f"states.{state.name}.actions.{action}", f"{target!r} is not a state"
                )
        if state.waits in ("result",) and len(set(state.transitions.values())) != 1:
            raise WorkflowError(f"states.{state.name}.actions", "a result wait has one target")
    reachable = _closure(start, states)
    for key in states:
        if key not in reachable:
            raise WorkflowError(f"states.{key}", f"cannot be reached from {start!r}")
    ends = {key for key, state in states.items() if state.terminal}
    if not ends:
        raise WorkflowError("states", "no terminal state: a dossier would never end")
    for key in states:
        if not (_closure(key, states) & ends):
            raise WorkflowError(f"states.{key}", "no terminal state can be reached from here")
    return Workflow(name=name, start=start, states=states, holders=_holders(start, states))


def _agency_spec(
    spec: Mapping[str, Any], where: str, kinds: Iterable[str] | None
) -> AgencySpec | None:
    raw = spec.get("agency")
    if raw is None:
        return HOME
    if not spec.get("role"):
        raise WorkflowError(f"{where}.agency", "only an officer step names another agency")
    if not isinstance(raw, dict) or set(raw) != {"kind", "level"}:
        raise WorkflowError(f"{where}.agency", 'give {"kind": …, "level": …}')
    known = None if kinds is None else set(kinds)
    kind = raw["kind"]
    if not isinstance(kind, str) or (known is not None and kind not in known):
        raise WorkflowError(
            f"{where}.agency.kind", f"{kind!r} is not a kind of agency ({sorted(known or [])})"
        )
    if raw["level"] not in AGENCY_LEVELS:
        raise WorkflowError(f"{where}.agency.level", f"one of {list(AGENCY_LEVELS)}")
    return AgencySpec(kind=kind, level=raw["level"])


def _result_name(
    spec: Mapping[str, Any], where: str, agency: AgencySpec | None
) -> tuple[str, str] | None:
    raw = spec.get("result")
    if raw is None:
        return None
    if agency is None or HAND_OFF not in spec.get("actions", {}):
        raise WorkflowError(
            f"{where}.result", "only a partner agency's step that hands off issues a result"
        )
    if (
        not isinstance(raw, dict)
        or set(raw) != {"vi", "en"}
        or not all(isinstance(v, str) and 3 <= len(v) <= 120 for v in raw.values())
    ):
        raise WorkflowError(f"{where}.result", 'give {"vi": …, "en": …}, 3 to 120 characters')
    return (raw["vi"], raw["en"])


def _holders(start: str, states: Mapping[str, State]) -> dict[str, AgencySpec | None]:
    """Walk the graph from the start (held by the receiving agency): ``hand_off`` (and
    ``refuse_part``) must lead to an officer step of another agency, every other action
    keeps the holder, and an officer step is only ever held by the agency it names."""
    if states[start].agency is not HOME:
        raise WorkflowError(f"states.{start}.agency", "the first step is the receiving agency's")
    holders: dict[str, AgencySpec | None] = {start: HOME}
    frontier = [start]
    while frontier:
        name = frontier.pop()
        holder = holders[name]
        for action, target in states[name].transitions.items():
            where = f"states.{name}.actions.{action}"
            entered = states[target]
            if entered.terminal:
                continue
            if action in PASSES:
                if not entered.role or entered.agency == holder:
                    raise WorkflowError(
                        where, f"{target!r} is not a step of another agency: nothing to hand off"
                    )
                new = entered.agency
            else:
                if entered.role and entered.agency != holder:
                    raise WorkflowError(
                        where, f"{target!r} is another agency's step: only hand_off leads there"
                    )
                new = holder
            if target in holders:
                if holders[target] != new:
                    raise WorkflowError(
                        f"states.{target}", "held by different agencies depending on the path"
                    )
                continue
            holders[target] = new
            frontier.append(target)
    return holders


def _closure(origin: str, states: Mapping[str, State]) -> set[str]:
    seen = {origin}
    frontier = [origin]
    while frontier:
        for target in states[frontier.pop()].transitions.values():
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


@dataclass(frozen=True)
class Step:
    """One action of the log as the engine reads it."""

    action: str
    payload: Mapping[str, Any]


def _settle(workflow: Workflow, target: str, payload: Mapping[str, Any]) -> str:
    """Entering a wait that has nothing to wait for moves straight on: no fee to pay
    (``fee`` is 0), or a result delivered online (``delivery`` is ``online``)."""
    state = workflow.states[target]
    if state.waits == "payment" and not payload.get("fee"):
        return _settle(workflow, state.transitions["fee_paid"], payload)
    if state.waits == "result" and payload.get("delivery", "online") == "online":
        return _settle(workflow, next(iter(state.transitions.values())), payload)
    return target


def allowed_actions(workflow: Workflow, state: str) -> frozenset[str]:
    """Every action the engine accepts in ``state`` (permissions aside)."""
    if state == DRAFT:
        return frozenset({"save_draft", "submit", "withdraw", "comment"})
    current = workflow.state(state)
    approved = state in _after_approval(workflow)
    revoke = {REVOKE} if approved else set()
    if current.terminal:
        return frozenset({"comment", *revoke})
    extra = set(ANYTIME_ACTIONS) | revoke
    if not approved:
        extra.add("withdraw")
    return frozenset(current.transitions) | extra


def _after_approval(workflow: Workflow) -> set[str]:
    after: set[str] = set()
    for state in workflow.states.values():
        if "approve" in state.transitions:
            after |= _closure(state.transitions["approve"], workflow.states)
    return after


def apply(workflow: Workflow, state: str, step: Step) -> str:
    """The state after ``step``, or :class:`ActionRefused`."""
    if step.action not in allowed_actions(workflow, state):
        raise ActionRefused(step.action, state)
    if step.action in ("save_draft", "comment", "assign", "apologise", REVOKE):
        return state
    if step.action == "withdraw":
        return WITHDRAWN
    if step.action == "submit":
        return workflow.start
    return _settle(workflow, workflow.state(state).transitions[step.action], step.payload)


def replay(workflow: Workflow, steps: Sequence[Step]) -> str:
    """The state a log of actions leads to (raises if the log leaves the workflow)."""
    state = DRAFT
    for step in steps:
        state = apply(workflow, state, step)
    return state

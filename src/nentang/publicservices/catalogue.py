"""The catalogue of procedures: versioned data files, never code.

Each procedure version is one JSON file in ``data/procedures/`` (``<slug>.v<N>.json``),
checked against ``data/procedure.schema.json``; its workflow is a file of
``data/workflows/``. Loading validates everything a dossier will rely on — the file's
shape, the e-form's JSON Schema and its one-question pages, the fee rules, the workflow
graph (every state reachable from the start, a terminal state reachable from every
state, roles that identity knows) — and refuses a bad file with a
:class:`CatalogueError` naming the file and the field. A dossier keeps the
``(slug, version)`` it was submitted under, so old versions stay loadable.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from nentang.kernel.errors import FieldError
from nentang.kernel.text import fold
from nentang.publicservices.workflow import Workflow, WorkflowError, workflow_from

DATA = Path(__file__).resolve().parent / "data"
PROCEDURES = DATA / "procedures"
WORKFLOWS = DATA / "workflows"


class CatalogueError(ValueError):
    """A catalogue file is malformed: ``str()`` names the file and the field."""

    def __init__(self, source: str, where: str, message: str) -> None:
        self.source = source
        self.where = where
        self.message = message
        super().__init__(f"{source}: {where or '(file)'}: {message}")


@dataclass(frozen=True)
class Text:
    vi: str
    en: str

    def __str__(self) -> str:
        return self.en if (get_language() or "vi").startswith("en") else self.vi


@dataclass(frozen=True)
class Document:
    """A document the procedure asks for (thành phần hồ sơ). ``reuse``, when the
    catalogue sets it, names a kind of paper that the applicant may reuse from one of
    their earlier dossiers instead of uploading it again (Decree 45/2020/NĐ-CP, Art. 16:
    digitised papers already held by the platform are not asked for twice); documents
    of two procedures with the same ``reuse`` key are the same paper."""

    name: Text
    required: bool
    reuse: str = ""


@dataclass(frozen=True)
class Page:
    """One question of the e-form (GOV.UK Forms: one question per page)."""

    field: str
    label: Text
    help: Text | None
    kind: str  # text, date, integer, choice
    choices: tuple[tuple[str, Text], ...] = ()
    prefill: str = ""
    required: bool = True
    max_length: int | None = None


@dataclass(frozen=True)
class Procedure:
    slug: str
    version: int
    effective_from: datetime.date
    code: str
    code_verified: bool
    name: Text
    sector: Text  # lĩnh vực
    agency_level: str
    applicants: tuple[str, ...]
    online_level: str
    legal_basis: tuple[str, ...]
    documents: tuple[Document, ...]
    fee: Mapping[str, Any]
    processing_days: int
    max_supplements: int
    eid_level: int
    result: str
    issues_child_id: bool
    form_schema: Mapping[str, Any]
    pages: tuple[Page, ...]
    workflow: Workflow
    source: str
    name_folded: str = ""
    _validator: Any = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.slug}@v{self.version}"

    @property
    def display_code(self) -> str:
        """The national procedure database's code, marked when not yet checked."""
        return self.code if self.code_verified else f"{self.code} (verify)"

    @property
    def has_fee(self) -> bool:
        rules = self.fee.get("rules", [])
        return bool(self.fee["base"] or self.fee.get("per_unit") or any(r["amount"] for r in rules))

    def page(self, name: str) -> Page | None:
        return next((p for p in self.pages if p.field == name), None)

    def fee_for(self, answers: Mapping[str, Any]) -> int:
        """The fee in đồng for these (valid) answers: the first matching rule's amount,
        else the base, plus the per-unit charge beyond the free units."""
        amount = int(self.fee["base"])
        for rule in self.fee.get("rules", []):
            if answers.get(rule["field"]) in rule["in"]:
                amount = int(rule["amount"])
                break
        per_unit = self.fee.get("per_unit")
        if per_unit:
            units = answers.get(per_unit["field"], 0)
            if isinstance(units, int) and not isinstance(units, bool):
                amount += max(0, units - int(per_unit.get("free_units", 0))) * int(
                    per_unit["amount"]
                )
        return amount

    def validate_answers(
        self, answers: Any, *, only: Iterable[str] | None = None
    ) -> list[FieldError]:
        """Field-level errors of the answers against the e-form's JSON Schema, in the
        order of the pages; ``only`` limits them to some fields (a page of a draft)."""
        if not isinstance(answers, dict):
            return [FieldError("data", _("The answers must be an object of fields."), "invalid")]
        wanted = set(only) if only is not None else None
        errors: dict[str, FieldError] = {}
        for error in self._validator.iter_errors(answers):
            name, problem = _field_error(error)
            if wanted is not None and name not in wanted:
                continue
            errors.setdefault(name, problem)
        order = {page.field: index for index, page in enumerate(self.pages)}
        return sorted(errors.values(), key=lambda e: (order.get(e.field, len(order)), e.field))


def _field_error(error: Any) -> tuple[str, FieldError]:
    kind = error.kind
    name = type(kind).__name__
    path = [str(part) for part in error.instance_path]
    if name == "Required":
        field_name = ".".join([*path, str(kind.property)])
        return field_name, FieldError(field_name, _("Answer this question."), "required")
    field_name = ".".join(path) or "data"
    if name == "AdditionalProperties":
        unexpected = ", ".join(str(u) for u in kind.unexpected)
        field_name = ".".join([*path, str(kind.unexpected[0])])
        return field_name, FieldError(
            field_name, _("This form has no field %(name)s.") % {"name": unexpected}, "unknown"
        )
    messages = {
        "Enum": (_("Choose one of the options."), "invalid_choice"),
        "Type": (_("This answer has the wrong type."), "invalid_type"),
        "MinLength": (_("This answer is too short."), "too_short"),
        "MaxLength": (_("This answer is too long."), "too_long"),
        "Pattern": (_("This answer is not in the expected format."), "invalid_format"),
        "Format": (_("Give a real date, e.g. 27/03/2026."), "invalid_date"),
        "Minimum": (_("This number is too small."), "too_small"),
        "Maximum": (_("This number is too large."), "too_large"),
    }
    message, code = messages.get(name, (_("This answer is not valid."), "invalid"))
    if name == "Minimum":
        message = _("Give a number of at least %(n)s.") % {"n": kind.limit}
    elif name == "Maximum":
        message = _("Give a number of at most %(n)s.") % {"n": kind.limit}
    elif name == "Pattern" and (field_name.endswith("id_number") or field_name == "licence_number"):
        message = _("Give the 12 digits, without spaces.")
    return field_name, FieldError(field_name, str(message), code)


# --- loading and validation -------------------------------------------------------------


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CatalogueError(path.name, "", "the file is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise CatalogueError(
            path.name, f"line {error.lineno}", f"not valid JSON: {error.msg}"
        ) from None


def _text(value: Mapping[str, str]) -> Text:
    return Text(vi=value["vi"], en=value["en"])


_SCHEMA_VALIDATOR: Any = None


def _file_validator() -> Any:
    global _SCHEMA_VALIDATOR
    if _SCHEMA_VALIDATOR is None:
        _SCHEMA_VALIDATOR = jsonschema_rs.Draft202012Validator(
            _read(DATA / "procedure.schema.json"), validate_formats=True
        )
    return _SCHEMA_VALIDATOR


def _page_kind(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return "choice"
    if schema.get("type") == "integer":
        return "integer"
    if schema.get("format") == "date":
        return "date"
    return "text"


def procedure_from(
    raw: Any, *, source: str, workflows: Mapping[str, Workflow], roles: Iterable[str]
) -> Procedure:
    """Validate one procedure file's content and build the :class:`Procedure`."""
    for error in _file_validator().iter_errors(raw):
        where = ".".join(str(p) for p in error.instance_path)
        raise CatalogueError(source, where, error.message)
    expected = f"{raw['slug']}.v{raw['version']}.json"
    if source.endswith(".json") and Path(source).name != expected:
        raise CatalogueError(source, "slug", f"the file of this version must be named {expected}")
    schema = raw["form"]["schema"]
    try:
        jsonschema_rs.meta.validate(schema)
    except jsonschema_rs.ValidationError as error:
        where = ".".join(["form.schema", *(str(p) for p in error.instance_path)])
        raise CatalogueError(source, where, error.message.splitlines()[0]) from None
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        raise CatalogueError(source, "form.schema", "an e-form is an object with properties")
    properties: dict[str, Any] = schema["properties"]
    required = set(schema.get("required", []))
    for name in required - set(properties):
        raise CatalogueError(source, "form.schema.required", f"{name!r} is not a property")
    pages: list[Page] = []
    seen: set[str] = set()
    for index, page in enumerate(raw["form"]["pages"]):
        name = page["field"]
        where = f"form.pages.{index}.field"
        if name not in properties:
            raise CatalogueError(source, where, f"{name!r} is not a property of form.schema")
        if name in seen:
            raise CatalogueError(source, where, f"{name!r} has two pages")
        seen.add(name)
        prop = properties[name]
        choices: tuple[tuple[str, Text], ...] = ()
        if "enum" in prop:
            labels = page.get("choices") or {}
            if sorted(labels) != sorted(str(v) for v in prop["enum"]):
                raise CatalogueError(
                    source,
                    f"form.pages.{index}.choices",
                    f"label every option of {name!r} and nothing else: {prop['enum']}",
                )
            choices = tuple((str(value), _text(labels[str(value)])) for value in prop["enum"])
        pages.append(
            Page(
                field=name,
                label=_text(page["label"]),
                help=_text(page["help"]) if "help" in page else None,
                kind=_page_kind(prop),
                choices=choices,
                prefill=page.get("prefill", ""),
                required=name in required,
                max_length=prop.get("maxLength"),
            )
        )
    for name in set(properties) - seen:
        raise CatalogueError(source, "form.pages", f"the property {name!r} has no page")
    if "result_delivery" in properties:
        offered = set(properties["result_delivery"].get("enum", []))
        allowed = {"digital": {"online"}, "paper": {"post", "counter"}}.get(
            raw["result"], {"online", "post", "counter"}
        )
        if not offered <= allowed:
            raise CatalogueError(
                source,
                "form.schema.properties.result_delivery",
                f"a {raw['result']} result cannot be delivered {sorted(offered - allowed)}",
            )
    fee = raw["fee"]
    for index, rule in enumerate(fee.get("rules", [])):
        if rule["field"] not in properties:
            raise CatalogueError(source, f"fee.rules.{index}.field", "not a field of the e-form")
    if "per_unit" in fee and properties.get(fee["per_unit"]["field"], {}).get("type") != "integer":
        raise CatalogueError(source, "fee.per_unit.field", "must name an integer field")
    workflow = workflows.get(raw["workflow"])
    if workflow is None:
        raise CatalogueError(source, "workflow", f"no workflow file {raw['workflow']}.json")
    known_roles = set(roles)
    for state in workflow.states.values():
        if state.role and state.role not in known_roles:
            raise CatalogueError(
                source, "workflow", f"{workflow.name}: the role {state.role!r} does not exist"
            )
    procedure = Procedure(
        slug=raw["slug"],
        version=raw["version"],
        effective_from=datetime.date.fromisoformat(raw["effective_from"]),
        code=raw["code"],
        code_verified=raw["code_verified"],
        name=_text(raw["name"]),
        sector=_text(raw["field"]),
        agency_level=raw["agency_level"],
        applicants=tuple(raw["applicants"]),
        online_level=raw["online_level"],
        legal_basis=tuple(raw["legal_basis"]),
        documents=tuple(
            Document(_text(d["name"]), d["required"], d.get("reuse", "")) for d in raw["documents"]
        ),
        fee=fee,
        processing_days=raw["processing_days"],
        max_supplements=raw.get("max_supplements", 1),
        eid_level=raw["eid_level"],
        result=raw["result"],
        issues_child_id=raw.get("issues_child_id", False),
        form_schema=schema,
        pages=tuple(pages),
        workflow=workflow,
        source=source,
        name_folded=fold(f"{raw['name']['vi']} {raw['name']['en']} {raw['code']}"),
        _validator=jsonschema_rs.Draft202012Validator(schema, validate_formats=True),
    )
    if procedure.has_fee and not workflow.asks_for_payment:
        raise CatalogueError(
            source, "workflow", f"{workflow.name} never waits for the fee this procedure charges"
        )
    return procedure


def workflows_load(
    directory: Path = WORKFLOWS,
    *,
    roles: Iterable[str],
    agency_kinds: Iterable[str] | None = None,
) -> dict[str, Workflow]:
    loaded: dict[str, Workflow] = {}
    kinds = list(agency_kinds) if agency_kinds is not None else identity_agency_kinds()
    for path in sorted(directory.glob("*.json")):
        raw = _read(path)
        try:
            workflow = workflow_from(raw, roles=roles, agency_kinds=kinds)
        except WorkflowError as error:
            raise CatalogueError(path.name, error.where, error.message) from None
        if workflow.name != path.stem:
            raise CatalogueError(path.name, "name", f"must be {path.stem!r}, the file's name")
        loaded[workflow.name] = workflow
    return loaded


@dataclass(frozen=True)
class Catalogue:
    versions: Mapping[tuple[str, int], Procedure]

    def get(self, slug: str, version: int) -> Procedure | None:
        return self.versions.get((slug, version))

    def current(self, slug: str, *, today: datetime.date | None = None) -> Procedure | None:
        """The version in force today: the highest whose effective date has come."""
        day = today or timezone.localdate()
        best = None
        for (name, _version), procedure in self.versions.items():
            if (
                name == slug
                and procedure.effective_from <= day
                and (best is None or procedure.version > best.version)
            ):
                best = procedure
        return best

    def require(self, slug: str) -> Procedure:
        """The version in force, or ``LookupError`` (callers raise their 404)."""
        procedure = self.current(slug)
        if procedure is None:
            raise LookupError(slug)
        return procedure

    def in_force(self, *, today: datetime.date | None = None) -> list[Procedure]:
        slugs = sorted({slug for slug, _ in self.versions})
        found = (self.current(slug, today=today) for slug in slugs)
        return sorted((p for p in found if p is not None), key=lambda p: p.name_folded)


def identity_roles() -> list[str]:
    """The officer roles identity defines (read at run time: no import of its models)."""
    from django.apps import apps

    officer = apps.get_model("identity", "Officer")
    return [str(value) for value in officer.Role.values]


def identity_agency_kinds() -> list[str]:
    """The kinds of agency identity defines (the targets a hand-off may name)."""
    from django.apps import apps

    agency = apps.get_model("identity", "Agency")
    return [str(value) for value in agency.Kind.values]


def catalogue_load(
    directory: Path = PROCEDURES,
    *,
    workflows_directory: Path = WORKFLOWS,
    roles: Iterable[str] | None = None,
    agency_kinds: Iterable[str] | None = None,
) -> Catalogue:
    """Load and validate every procedure file (raises :class:`CatalogueError`)."""
    known = list(roles) if roles is not None else identity_roles()
    workflows = workflows_load(workflows_directory, roles=known, agency_kinds=agency_kinds)
    versions: dict[tuple[str, int], Procedure] = {}
    for path in sorted(directory.glob("*.json")):
        procedure = procedure_from(_read(path), source=path.name, workflows=workflows, roles=known)
        versions[(procedure.slug, procedure.version)] = procedure
    return Catalogue(versions=versions)


_lock = threading.Lock()
_loaded: Catalogue | None = None


def catalogue() -> Catalogue:
    """The installation's catalogue, loaded once per process."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = catalogue_load()
        return _loaded

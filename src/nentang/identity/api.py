"""API of the identity context (/api/v1/identity/…): the caller's own e-ID data, and what
a holder registers from their level-2 e-ID (a child under 14, an organisation).

Authenticated by the OpenID Connect provider's bearer tokens (with scopes) or the
browser session (``api_auth.AUTHENTICATORS``). A person reads only their own data
here; officers' reads of other people go through the services, which log them, and a
client's token read of a person's profile is written to the person's data-usage log
like a userinfo answer.
"""

from __future__ import annotations

import datetime
import uuid

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.decorators import decorate_view

from nentang.identity import selectors, services
from nentang.identity.api_auth import AUTHENTICATORS, Principal, principal, require_scope
from nentang.identity.models import Account, DataUsage, Officer, Organisation, Person
from nentang.identity.problems import HOLDER_SESSION_REQUIRED
from nentang.kernel.api import Problem
from nentang.kernel.errors import Forbidden
from nentang.kernel.idempotency import IDEMPOTENCY_OPENAPI, idempotent
from nentang.kernel.observability.context import current_request_id
from nentang.kernel.pagination import CursorQuery, LimitQuery, PageOut, paginate

router = Router(tags=["identity"], auth=AUTHENTICATORS)


class PlaceOut(Schema):
    province_code: str
    commune_code: str
    street: str


class MeAccountOut(Schema):
    id: uuid.UUID | None  # internal id: for the holder's session only, never for a token
    kind: str
    username: str
    locked: bool
    second_factor: bool


class MePersonOut(Schema):
    id: uuid.UUID | None  # internal id: for the holder's session only, never for a token
    id_number: str | None
    full_name: str
    date_of_birth: datetime.date
    sex: str
    nationality: str
    phone: str | None
    email: str | None
    level: int
    residence: PlaceOut | None
    has_portrait: bool


class MeOrganisationOut(Schema):
    id: uuid.UUID | None  # internal id: for the holder's session only, never for a token
    tax_code: str
    name: str
    english_name: str
    short_name: str
    established_on: datetime.date
    head_office: PlaceOut


class MeAgencyOut(Schema):
    code: str
    name: str


class MeOfficerOut(Schema):
    full_name: str
    title: str
    roles: list[str]
    agency: MeAgencyOut


class MeOut(Schema):
    """The caller's own profile: ``person`` for a citizen, ``organisation`` for an
    organisation, ``officer`` for staff acting for an agency."""

    account: MeAccountOut
    person: MePersonOut | None = None
    organisation: MeOrganisationOut | None = None
    officer: MeOfficerOut | None = None


def _person_out(person: Person, caller: Principal) -> MePersonOut:
    # A token sees what its scopes release; the holder's session sees everything.
    return MePersonOut(
        id=person.id if caller.via == "session" else None,
        id_number=person.id_number if caller.allows("vn_id") else None,
        full_name=person.full_name,
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        nationality=person.nationality,
        phone=(person.phone or None) if caller.allows("phone") else None,
        email=(person.email or None) if caller.allows("email") else None,
        level=person.level,
        residence=PlaceOut(
            province_code=person.province_code,
            commune_code=person.commune_code,
            street=person.street,
        )
        if caller.allows("address")
        else None,
        has_portrait=bool(person.portrait),
    )


def _release_record(person: Person, caller: Principal) -> None:
    """A client read the person's profile with a token: log what it received."""
    fields = ["full_name", "date_of_birth", "sex", "level"]
    fields += [
        field
        for scope, field in (
            ("vn_id", "id_number"),
            ("phone", "phone"),
            ("email", "email"),
            ("address", "address"),
        )
        if caller.allows(scope)
    ]
    services.data_usage_record(
        person=person,
        person_id=person.pk,
        client_id=caller.client_id[:100],
        client_name=caller.client_name,
        fields=fields,
        purpose=caller.purpose or caller.client_name,
        request_id=current_request_id() or "",
    )


def _organisation_out(organisation: Organisation, caller: Principal) -> MeOrganisationOut:
    return MeOrganisationOut(
        id=organisation.id if caller.via == "session" else None,
        tax_code=organisation.tax_code,
        name=organisation.name,
        english_name=organisation.english_name,
        short_name=organisation.short_name,
        established_on=organisation.established_on,
        head_office=PlaceOut(
            province_code=organisation.province_code,
            commune_code=organisation.commune_code,
            street=organisation.street,
        ),
    )


def _officer_out(officer: Officer) -> MeOfficerOut:
    return MeOfficerOut(
        full_name=officer.full_name,
        title=officer.title,
        roles=list(officer.roles),
        agency=MeAgencyOut(code=officer.agency.code, name=officer.agency.name),
    )


@router.get(
    "/me",
    response={200: MeOut, 401: Problem, 403: Problem},
    summary="The caller's own e-ID profile",
)
def me(request: HttpRequest) -> MeOut:
    """Level, account state and the person's (or organisation's, or officer's) data.
    Tokens need the ``profile`` scope; ``vn_id``, ``phone``, ``email`` and ``address``
    release the matching fields."""
    caller = require_scope(request, "profile")
    account: Account = caller.account
    person = selectors.person_for_account(account=account)
    organisation = selectors.organisation_for_account(account=account) if person is None else None
    officer = selectors.officer_for_account(account=account)
    if person is not None and caller.via == "token":
        _release_record(person, caller)
    return MeOut(
        account=MeAccountOut(
            id=account.id if caller.via == "session" else None,
            kind=account.kind,
            username=account.username if caller.allows("vn_id") else "",
            locked=account.is_locked,
            second_factor=services.requires_second_factor(account),
        ),
        person=_person_out(person, caller) if person else None,
        organisation=_organisation_out(organisation, caller) if organisation else None,
        officer=_officer_out(officer) if officer else None,
    )


class DataUsageAgencyOut(Schema):
    code: str
    name: str


class DataUsageItemOut(Schema):
    occurred_at: datetime.datetime
    kind: DataUsage.Kind
    kind_name: str
    fields: list[str]
    purpose: str
    agency: DataUsageAgencyOut | None
    officer_name: str | None
    client_id: str | None
    client_name: str | None

    @staticmethod
    def resolve_kind_name(obj: DataUsage) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_agency(obj: DataUsage) -> DataUsageAgencyOut | None:
        if obj.agency is None:
            return None
        return DataUsageAgencyOut(code=obj.agency.code, name=obj.agency.name)

    @staticmethod
    def resolve_officer_name(obj: DataUsage) -> str | None:
        return obj.officer.full_name if obj.officer else None

    @staticmethod
    def resolve_client_id(obj: DataUsage) -> str | None:
        return obj.client_id or None

    @staticmethod
    def resolve_client_name(obj: DataUsage) -> str | None:
        return obj.client_name or None


@router.get(
    "/me/data-usage",
    response={
        200: PageOut[DataUsageItemOut],
        400: Problem,
        401: Problem,
        403: Problem,
        404: Problem,
        422: Problem,
    },
    summary="Who used my personal data (officers' reads, releases to services)",
)
def my_data_usage(
    request: HttpRequest, cursor: CursorQuery = None, limit: LimitQuery = None
) -> object:
    """Newest first, cursor-paginated (Law 91/2025/QH15: the person sees every use).
    For the holder only (their browser session): the log names the other services and
    agencies that used the data, which no relying party may learn, so a token gets 403
    ``holder_session_required``. 404 ``no_personal_profile`` for accounts that are not a
    person's."""
    caller = principal(request)
    if caller.via != "session":
        raise Forbidden(
            _(
                "Only the holder, signed in on this platform, can read their data-usage log; "
                "a service's access token cannot."
            ),
            code=HOLDER_SESSION_REQUIRED,
        )
    person = selectors.person_own(actor=caller.account)
    usage = selectors.data_usage_for(person=person)
    return paginate(usage, order=selectors.DATA_USAGE_ORDER, cursor=cursor, limit=limit)


# --- acting from one's own level-2 e-ID ---------------------------------------------


def _holder_session(request: HttpRequest) -> Principal:
    """Registering on someone's behalf is done by the holder signed in here, never by a
    service holding a token."""
    caller = principal(request)
    if caller.via != "session":
        raise Forbidden(
            _("Only the holder, signed in on this platform, can do this; a token cannot."),
            code=HOLDER_SESSION_REQUIRED,
        )
    return caller


class PlaceIn(Schema):
    province_code: str
    commune_code: str
    street: str


class ChildIn(Schema):
    id_number: str
    full_name: str
    date_of_birth: datetime.date | None = None
    sex: str
    relationship: str = Field("", description="mother, father or guardian")
    evidence_number: str = Field(
        "", description="Number of the birth certificate (parents) or guardianship record"
    )
    evidence_date: datetime.date | None = Field(None, description="Its registration date")
    residence: PlaceIn | None = None  # default: the guardian's


class ChildOut(Schema):
    id: uuid.UUID
    id_number: str
    full_name: str
    date_of_birth: datetime.date
    sex: str
    level: int
    residence: PlaceOut


@router.post(
    "/me/children",
    response={201: ChildOut, 400: Problem, 401: Problem, 403: Problem, 409: Problem, 422: Problem},
    summary="Register my child under 14 (attached to me as guardian)",
    openapi_extra=IDEMPOTENCY_OPENAPI,
)
@decorate_view(idempotent)
def my_child_register(request: HttpRequest, payload: ChildIn) -> Status[ChildOut]:
    """Decree 69/2024/NĐ-CP: a Vietnamese child under 14 has no account of their own and
    is attached to a parent or guardian, who registers them from a level-2 e-ID (403
    ``level2_required`` otherwise; ``guardian_not_adult`` under 18) with the evidence of
    the tie: the birth certificate that names the mother or father, or the guardianship
    record (number and registration date). Field mistakes are one 422 naming each field; 409
    ``id_number_taken`` when the child is registered already. A retry with the same
    ``Idempotency-Key`` gets the first answer again."""
    caller = _holder_session(request)
    place = payload.residence
    child = services.child_register(
        actor=caller.account,
        id_number=payload.id_number,
        full_name=payload.full_name,
        date_of_birth=payload.date_of_birth,
        sex=payload.sex,
        relationship=payload.relationship,
        evidence_number=payload.evidence_number,
        evidence_date=payload.evidence_date,
        residence=services.Residence(place.province_code, place.commune_code, place.street)
        if place
        else None,
    )
    return Status(
        201,
        ChildOut(
            id=child.id,
            id_number=child.id_number or "",
            full_name=child.full_name,
            date_of_birth=child.date_of_birth,
            sex=child.sex,
            level=child.level,
            residence=PlaceOut(
                province_code=child.province_code,
                commune_code=child.commune_code,
                street=child.street,
            ),
        ),
    )


class OrganisationIn(Schema):
    tax_code: str
    name: str
    english_name: str = ""
    short_name: str = ""
    established_on: datetime.date | None = None
    head_office: PlaceIn
    password: str


@router.post(
    "/organisations",
    response={
        201: MeOrganisationOut,
        400: Problem,
        401: Problem,
        403: Problem,
        409: Problem,
        422: Problem,
    },
    summary="Register an organisation's e-ID, as its legal representative",
    openapi_extra=IDEMPOTENCY_OPENAPI,
)
@decorate_view(idempotent)
def organisations_create(
    request: HttpRequest, payload: OrganisationIn
) -> Status[MeOrganisationOut]:
    """The caller becomes the legal representative and must hold a level-2 personal
    e-ID (403 ``level2_required``). The organisation logs in with its tax code (checked
    with its check digit) and the password given here; one account per tax code (409
    ``tax_code_taken``). A retry with the same ``Idempotency-Key`` gets the first answer
    again (the password is never stored with it: only a digest of the request)."""
    caller = _holder_session(request)
    organisation = services.organisation_register(
        actor=caller.account,
        tax_code=payload.tax_code,
        name=payload.name,
        english_name=payload.english_name,
        short_name=payload.short_name,
        established_on=payload.established_on,
        province_code=payload.head_office.province_code,
        commune_code=payload.head_office.commune_code,
        street=payload.head_office.street,
        password=payload.password,
    )
    return Status(201, _organisation_out(organisation, caller))

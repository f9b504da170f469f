"""Organisation e-ID accounts (Decree 69/2024/NĐ-CP, Art. 11): identification (tax)
code, names, establishment date, head office and a level-2 legal representative."""

from __future__ import annotations

import datetime

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity.models import Account, Organisation, Person
from nentang.identity.problems import LEVEL2_REQUIRED, TAX_CODE_TAKEN
from nentang.identity.services import inputs
from nentang.identity.services.common import Errors, actor_for, denied
from nentang.identity.validators import IdentifierError, normalise_tax_code
from nentang.kernel import auditing
from nentang.kernel.errors import Conflict, Forbidden
from nentang.kernel.text import clean, fold


def _taken() -> Conflict:
    return Conflict(
        _("An organisation account already exists for this tax code."), code=TAX_CODE_TAKEN
    )


def _text(errors: Errors, field: str, value: str, *, limit: int, required: bool) -> str:
    text = clean(value or "")
    if required and not text:
        errors.add(field, _("This field is required."), "required")
    elif len(text) > limit:
        errors.add(field, _("At most %(n)s characters.") % {"n": limit}, "too_long")
    return text


def organisation_register(
    *,
    actor: Account,
    tax_code: str,
    name: str,
    established_on: datetime.date | None,
    province_code: str,
    commune_code: str,
    street: str,
    password: str,
    english_name: str = "",
    short_name: str = "",
) -> Organisation:
    """Register an organisation's e-ID account, by its legal representative.

    The representative acts from their own account, which must be a level-2 personal
    e-ID (Decree 69/2024/NĐ-CP). The login is the tax code (mã số thuế), checked with
    its check digit; a branch keeps its ``-NNN`` suffix. One account per tax code
    (409 ``tax_code_taken``). The head office is a place of the administrative-unit
    reference; the establishment date is not in the future.
    """
    representative = Person.objects.filter(account=actor).first()
    if representative is None or representative.level < 2 or actor.is_locked or not actor.is_active:
        denied(actor, what="identity.organisation.register", detail={"reason": "level2_required"})
        raise Forbidden(
            _("The legal representative needs a level-2 electronic identification."),
            code=LEVEL2_REQUIRED,
        )
    today = timezone.localdate()
    errors = Errors()
    try:
        code = normalise_tax_code(tax_code)
    except IdentifierError as error:
        code = (tax_code or "").strip()
        errors.add(
            "tax_code",
            _("The check digit of this tax code is wrong.")
            if error.code == "invalid_check_digit"
            else _("A tax code is 10 digits, then -NNN for a branch."),
            error.code,
        )
    legal_name = _text(errors, "name", name, limit=300, required=True)
    english = _text(errors, "english_name", english_name, limit=300, required=False)
    short = _text(errors, "short_name", short_name, limit=100, required=False)
    if established_on is None:
        errors.add("established_on", _("Enter the date of establishment."), "required")
    elif established_on > today:
        errors.add(
            "established_on", _("The date of establishment cannot be in the future."), "in_future"
        )
    province, commune, line = inputs.residence_address(
        errors, province_code=province_code, commune_code=commune_code, street=street, today=today
    )
    inputs.password_check(errors, password, username=code)
    errors.raise_if_any()
    assert established_on is not None
    if (
        Organisation.objects.filter(tax_code=code).exists()
        or Account.objects.filter(username=code).exists()
    ):
        raise _taken()
    account = Account(
        username=code, kind=Account.Kind.ORGANISATION, password=make_password(password)
    )
    try:
        with transaction.atomic():
            account.save(force_insert=True)
            organisation = Organisation.objects.create(
                account=account,
                tax_code=code,
                name=legal_name,
                name_folded=fold(legal_name),
                english_name=english,
                short_name=short,
                established_on=established_on,
                province_code=province,
                commune_code=commune,
                street=line,
                legal_representative=representative,
                created_at=timezone.now(),
            )
            auditing.record(
                actor=actor_for(actor),
                action="identity.organisation.register",
                subject_type="identity.organisation",
                subject=str(organisation.pk),
                summary={"branch": "-" in code},
            )
    except IntegrityError:
        if Organisation.objects.filter(tax_code=code).exists():
            raise _taken() from None
        raise
    return organisation

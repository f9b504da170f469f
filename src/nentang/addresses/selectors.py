"""Reads of the administrative units: by official code, per province, by folded name.

Codes keep their legal format (Decision 19/2025/QĐ-TTg): a province code is exactly two
ASCII digits, a commune code exactly five. A code of the wrong shape is invalid input
(422), a well-formed code that names no unit is "not found" (404).

Name queries are folded (:func:`nentang.kernel.text.fold`) and split into words; a unit
matches when its folded name contains every word, so "phuong sai gon", "Sài Gòn" and
"SAI GON" all find Phường Sài Gòn. Folding merges names that differ only by their marks
(Xã Tân Thành and Xã Tân Thạnh in Tây Ninh): a query returns every candidate.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.addresses.models import Commune, Province
from nentang.addresses.problems import PROVINCE_NOT_FOUND, WARD_NOT_FOUND
from nentang.kernel.errors import FieldError, NotFound, ValidationFailed
from nentang.kernel.text import fold

# Keyset order of every commune listing: folded name, then the unique code.
COMMUNE_ORDER = ("name_folded", "code")
MAX_QUERY_WORDS = 8

_PROVINCE_CODE = re.compile(r"[0-9]{2}")
_COMMUNE_CODE = re.compile(r"[0-9]{5}")


def _require_code(value: str, pattern: re.Pattern[str], *, field: str, message: str) -> str:
    # fullmatch with an explicit [0-9]: \d would also accept Arabic-Indic and other digits.
    if not pattern.fullmatch(value):
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[FieldError(field=field, message=message, code="invalid_format")],
        )
    return value


def validate_province_code(code: str, *, field: str = "code") -> str:
    """A province code is two digits, e.g. ``01`` (Decision 19/2025/QĐ-TTg)."""
    return _require_code(
        code,
        _PROVINCE_CODE,
        field=field,
        message=_("A province code is exactly 2 digits, e.g. 01."),
    )


def validate_commune_code(code: str, *, field: str = "code") -> str:
    """A commune-level code is five digits, e.g. ``26740`` (Decision 19/2025/QĐ-TTg)."""
    return _require_code(
        code,
        _COMMUNE_CODE,
        field=field,
        message=_("A ward or commune code is exactly 5 digits, e.g. 26740."),
    )


def _in_force(on: datetime.date | None) -> Q:
    day = on or timezone.localdate()
    return Q(effective_from__lte=day) & (Q(effective_to__isnull=True) | Q(effective_to__gt=day))


def _name_filter(q: str | None) -> Q:
    """Every folded word of ``q`` must appear in the folded name; no words, no filter."""
    text = q or ""
    # PostgreSQL refuses NUL in text, and no name holds a control character: say so.
    if any(unicodedata.category(ch) == "Cc" and not ch.isspace() for ch in text):
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[
                FieldError(
                    field="q",
                    message=_("Must not contain control characters."),
                    code="invalid_characters",
                )
            ],
        )
    condition = Q()
    for word in fold(text).split()[:MAX_QUERY_WORDS]:
        condition &= Q(name_folded__contains=word)
    return condition


def province_list(*, on: datetime.date | None = None) -> QuerySet[Province]:
    """The provincial units in force on ``on`` (default: today in Vietnam), by code."""
    return Province.objects.filter(_in_force(on)).order_by("code")


def province_get(*, code: str) -> Province:
    """The province with this code, in force or not: codes are never reused."""
    validate_province_code(code)
    try:
        return Province.objects.get(code=code)
    except Province.DoesNotExist:
        raise NotFound(
            _("No province-level unit has code %(code)s.") % {"code": code},
            code=PROVINCE_NOT_FOUND,
        ) from None


def province_commune_count(*, province: Province, on: datetime.date | None = None) -> int:
    """How many commune-level units of ``province`` are in force on ``on``."""
    return Commune.objects.filter(_in_force(on), province=province).count()


def commune_list(
    *, province_code: str, q: str | None = None, on: datetime.date | None = None
) -> QuerySet[Commune]:
    """The communes of one province in force on ``on``, optionally matching ``q``.

    An unknown province is a 404, not an empty list: the caller named something that
    does not exist.
    """
    province = province_get(code=province_code)
    return (
        Commune.objects.filter(_in_force(on), _name_filter(q), province=province)
        .select_related("province")
        .order_by(*COMMUNE_ORDER)
    )


def commune_search(*, q: str | None = None, on: datetime.date | None = None) -> QuerySet[Commune]:
    """Communes of the whole country in force on ``on`` whose folded name matches ``q``."""
    return (
        Commune.objects.filter(_in_force(on), _name_filter(q))
        .select_related("province")
        .order_by(*COMMUNE_ORDER)
    )


def commune_get(*, code: str) -> Commune:
    """The commune-level unit with this code, in force or not: codes are never reused."""
    validate_commune_code(code)
    try:
        return Commune.objects.select_related("province").get(code=code)
    except Commune.DoesNotExist:
        raise NotFound(
            _("No ward or commune has code %(code)s.") % {"code": code},
            code=WARD_NOT_FOUND,
        ) from None


# --- address normalisation and digital address codes ----------------------------------
# Pure reads of the in-memory index (addresses.normaliser): no query per call.

from nentang.addresses import digitalcode  # noqa: E402 - grouped with what uses it
from nentang.addresses.digitalcode import Cell as Cell  # noqa: E402
from nentang.addresses.digitalcode import InvalidDigitalCode as InvalidDigitalCode  # noqa: E402
from nentang.addresses.normaliser import AMBIGUOUS as AMBIGUOUS  # noqa: E402
from nentang.addresses.normaliser import RESOLVED as RESOLVED  # noqa: E402
from nentang.addresses.normaliser import UNRESOLVED as UNRESOLVED  # noqa: E402
from nentang.addresses.normaliser import Candidate as Candidate  # noqa: E402
from nentang.addresses.normaliser import Normalised as Normalised  # noqa: E402
from nentang.addresses.normaliser import normalise  # noqa: E402


def address_normalize(*, text: str) -> Normalised:
    """Normalise one address written in any form (see ``addresses.normaliser``)."""
    return normalise(text)


def address_normalize_many(*, texts: list[str]) -> list[Normalised]:
    return [normalise(text) for text in texts]


def digital_code_encode(*, latitude: float, longitude: float) -> digitalcode.Cell:
    """The digital address code of the ~3 m cell containing a point in Vietnam."""
    return digitalcode.encode(latitude, longitude)


def digital_code_decode(*, code: str) -> digitalcode.Cell:
    """The cell named by a digital address code (``InvalidDigitalCode`` if malformed)."""
    return digitalcode.decode(code)


def ward_postal_code(*, ward_code: str) -> str:
    """The 5-digit postal code of a ward in force (empty for an unknown code)."""
    from nentang.addresses.normaliser.index import get_index

    return get_index().postal_codes.get(ward_code, "")

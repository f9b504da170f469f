"""Demo data of electronic identity: two citizens, an agency with its officer, an
administrator, and a few hundred generated citizens.

Idempotent: everything is looked up first and created only when missing, and the
generated citizens come from a seeded generator (the same people every time), so
running ``nentang demo`` twice changes nothing. Everything goes through the services,
with their checks and audit entries.
"""

from __future__ import annotations

import datetime
import random
import struct
import zlib

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from nentang.addresses import selectors as addresses
from nentang.identity import selectors, services
from nentang.identity.demo_names import (
    FAMILY_NAMES,
    GIVEN_NAMES,
    MIDDLE_NAMES,
    MOBILE_PREFIXES,
    STREETS,
)
from nentang.identity.models import Account, Organisation, Person, TotpDevice
from nentang.identity.services import PersonRecord, Residence
from nentang.identity.validators import BIRTH_PROVINCES
from nentang.kernel import auditing, demodata
from nentang.kernel.auditing import Actor

CITIZEN_PASSWORD = "demo-citizen-2026"  # noqa: S105 - documented demo accounts
ORGANISATION_TAX_CODE = "0300588569"
ORGANISATION_PASSWORD = "demo-organisation-2026"  # noqa: S105 - documented demo account
CHILD_ID = "079322001235"  # Nguyễn Ngọc Hân, born 2022 (digit 3: female, 2000s)
OFFICER_LOGIN = "canbo.saigon"
OFFICER_PASSWORD = "demo-officer-2026"  # noqa: S105
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "demo-admin-2026"  # noqa: S105
AN_ID = "079090001234"
BINH_ID = "001195004321"
AGENCY_CODE = "ubnd-phuong-sai-gon"
# The authenticator secret of every demo staff account (RFC 6238, base32), printed by
# ``nentang demo`` and in the README: staff always log in with a second factor.
DEMO_STAFF_TOTP_SECRET = "NENTANGDEMOSTAFFTOTPSECRET222222"  # noqa: S105 - demo only
GENERATED = 300
BATCH = 50
SEED = 20260701

ACCOUNTS = (
    demodata.DemoAccount(
        role="citizen, e-ID level 2 (Nguyễn Văn An)",
        login=AN_ID,
        password=CITIZEN_PASSWORD,
    ),
    demodata.DemoAccount(
        role="citizen, e-ID level 1 (Trần Thị Bình)",
        login=BINH_ID,
        password=CITIZEN_PASSWORD,
    ),
    demodata.DemoAccount(
        role="officer of UBND phường Sài Gòn (enrolment, identity admin, one-stop shop)",
        login=OFFICER_LOGIN,
        password=OFFICER_PASSWORD,
    ),
    demodata.DemoAccount(
        role="organisation (Công ty TNHH Bánh mì Sài Gòn), legal representative Nguyễn Văn An",
        login=ORGANISATION_TAX_CODE,
        password=ORGANISATION_PASSWORD,
    ),
    demodata.DemoAccount(
        role="administrator",
        login=ADMIN_LOGIN,
        password=ADMIN_PASSWORD,
        note="/admin/",
    ),
)


def portrait_png(shade: int = 180) -> bytes:
    """A tiny grey PNG standing in for a portrait photo (the demo has no real faces)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    pixels = zlib.compress(bytes([0, shade]))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _administrator() -> Account:
    account = Account.objects.filter(username=ADMIN_LOGIN).first()
    if account is None:
        account = services.administrator_create(
            created_by=Actor.system("demo"), username=ADMIN_LOGIN, password=ADMIN_PASSWORD
        )
    return account


def _agency_and_officer(admin: Account) -> Account:
    if not selectors.agency_list().filter(code=AGENCY_CODE).exists():
        services.agency_create(
            actor=admin,
            code=AGENCY_CODE,
            name="UBND phường Sài Gòn",
            kind="peoples_committee",
            province_code="79",
            commune_code="26740",
            address="86 Lê Thánh Tôn, phường Sài Gòn, Thành phố Hồ Chí Minh",
        )
    account = Account.objects.filter(username=OFFICER_LOGIN).first()
    if account is None:
        officer = services.officer_create(
            actor=admin,
            agency_code=AGENCY_CODE,
            username=OFFICER_LOGIN,
            password=OFFICER_PASSWORD,
            full_name="Lê Thị Hoa",
            title="Công chức tư pháp – hộ tịch",
            roles=["enrolment", "identity_admin", "reception", "processing", "approval"],
        )
        account = officer.account
    return account


def _citizens(officer: Account) -> None:
    if not Person.objects.filter(id_number=AN_ID).exists():
        services.person_register(
            id_number=AN_ID,
            full_name="Nguyễn Văn An",
            date_of_birth=datetime.date(1990, 5, 15),
            sex="male",
            phone="0903 123 456",
            email="an.nguyen@example.vn",
            password=CITIZEN_PASSWORD,
            residence=Residence("79", "26740", "12 Lê Lợi"),
            portrait=portrait_png(170),
        )
    an = Person.objects.get(id_number=AN_ID)
    if an.level < 2:
        services.person_verify_level2(
            actor=officer,
            person_id=an.id,
            place="Bộ phận một cửa, UBND phường Sài Gòn, TP Hồ Chí Minh",
            document_type="citizen_id_card",
            document_number=AN_ID,
            fingerprint_attested=True,
        )
    if not Person.objects.filter(id_number=BINH_ID).exists():
        services.person_register(
            id_number=BINH_ID,
            full_name="Trần Thị Bình",
            date_of_birth=datetime.date(1995, 8, 20),
            sex="female",
            phone="0987 654 321",
            password=CITIZEN_PASSWORD,
            residence=Residence("01", "00070", "25 Hàng Bài"),
            portrait=portrait_png(200),
        )


def _family_and_company() -> None:
    """An's daughter under 14 (attached to him) and the company he represents."""
    an = Person.objects.get(id_number=AN_ID)
    assert an.account is not None
    if not Person.objects.filter(id_number=CHILD_ID).exists():
        services.child_register(
            actor=an.account,
            id_number=CHILD_ID,
            full_name="Nguyễn Ngọc Hân",
            date_of_birth=datetime.date(2022, 6, 1),
            sex="female",
            relationship="father",
            evidence_number="123/2022",
            evidence_date=datetime.date(2022, 6, 10),
        )
    if not Organisation.objects.filter(tax_code=ORGANISATION_TAX_CODE).exists():
        services.organisation_register(
            actor=an.account,
            tax_code=ORGANISATION_TAX_CODE,
            name="Công ty TNHH Bánh mì Sài Gòn",
            short_name="Bánh mì SG",
            established_on=datetime.date(2015, 3, 2),
            province_code="79",
            commune_code="26740",
            street="45 Lê Thánh Tôn",
            password=ORGANISATION_PASSWORD,
        )


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    names = [name for name, _weight in table]
    weights = [weight for _name, weight in table]
    return rng.choices(names, weights=weights)[0]


def generated_citizens(communes: list[tuple[str, str]]) -> list[PersonRecord]:
    """The same ``GENERATED`` citizens every time: names by real frequency, ID numbers
    that agree with their birth dates and sex, places from the reference data."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    places = sorted(BIRTH_PROVINCES)
    records = []
    for index in range(demodata.scaled(GENERATED)):
        sex = rng.choice(("male", "female"))
        name = " ".join(
            (
                _weighted(rng, FAMILY_NAMES),
                rng.choice(MIDDLE_NAMES[sex]),
                rng.choice(GIVEN_NAMES[sex]),
            )
        )
        born = datetime.date(rng.randint(1950, 2008), rng.randint(1, 12), rng.randint(1, 28))
        century = (born.year - 1900) // 100 * 2 + (1 if sex == "female" else 0)
        # Serials from 500000 keep clear of the named demo citizens' numbers.
        number = f"{rng.choice(places)}{century}{born.year % 100:02d}{500000 + index:06d}"
        province, commune = rng.choice(communes)
        phone = f"0{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"
        street = f"{rng.randint(1, 400)} {rng.choice(STREETS)}"
        records.append(
            PersonRecord(
                id_number=number,
                full_name=name,
                date_of_birth=born,
                sex=sex,
                phone=phone,
                province_code=province,
                commune_code=commune,
                street=street,
            )
        )
    return records


def _generated(progress: demodata.Progress) -> None:
    communes = list(addresses.commune_search().order_by("code").values_list("code", "province_id"))
    records = generated_citizens([(province, code) for code, province in communes])
    numbers = [record.id_number for record in records]
    if Person.objects.filter(id_number__in=numbers).count() == len(numbers):
        progress.advance(len(records))
        return
    # Argon2 is slow on purpose: one hash for every generated citizen (they never log in).
    password_hash = make_password(CITIZEN_PASSWORD)
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        services.persons_import(
            created_by=Actor.system("demo"), records=batch, password_hash=password_hash
        )
        progress.advance(len(batch))


@demodata.loader("identity", accounts=ACCOUNTS)
def load(progress: demodata.Progress) -> None:
    progress.start("citizens, agency, officer, administrator", 3 + demodata.scaled(GENERATED))
    admin = _administrator()
    progress.advance()
    officer = _agency_and_officer(admin)
    progress.advance()
    _citizens(officer)
    _family_and_company()
    progress.advance()
    _generated(progress)


def demo_staff_second_factors() -> list[str]:
    """Give every demo staff account without a second factor — and every demo account
    registered with ``second_factor=True`` (a merchant's, an agent's operator) — the
    documented demo authenticator secret (confirmed, as if its first code had been entered). Returns
    the logins concerned. Demo only: nothing else installs a known secret."""
    asked = {
        account.login: account.second_factor
        for item in demodata.registered([])
        for account in item.accounts
    }
    done: list[str] = []
    for account in Account.objects.filter(username__in=list(asked)).order_by("username"):
        if not (services.second_factor_mandatory(account) or asked[account.username]):
            continue
        done.append(account.username)
        if TotpDevice.objects.filter(account=account, confirmed_at__isnull=False).exists():
            continue
        with transaction.atomic():
            now = timezone.now()
            TotpDevice.objects.update_or_create(
                account=account,
                defaults={"secret": DEMO_STAFF_TOTP_SECRET, "confirmed_at": now, "last_step": 0},
                create_defaults={
                    "secret": DEMO_STAFF_TOTP_SECRET,
                    "confirmed_at": now,
                    "last_step": 0,
                    "created_at": now,
                },
            )
            auditing.record(
                actor=Actor.system("demo"),
                action="identity.totp.confirm",
                subject_type="identity.account",
                subject=str(account.pk),
                summary={"demo": True},
            )
    return done


def _second_factor_summary() -> list[str]:
    logins = ", ".join(
        Account.objects.filter(totp__secret=DEMO_STAFF_TOTP_SECRET)
        .order_by("username")
        .values_list("username", flat=True)
    )
    secret = DEMO_STAFF_TOTP_SECRET
    return [
        f"Staff, merchant and agent accounts ({logins}) ask for an authenticator code "
        "after the password.",
        f"  Their demo authenticator secret: {secret}. A current code:",
        f"  oathtool --totp -b {secret}",
        f"  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{secret}').now())\"",
    ]


# Named to run after every context's loader (unknown names come last): the staff
# accounts of the SOC and the post office exist by then.
@demodata.loader("identity_second_factors", summary=_second_factor_summary)
def load_second_factors(progress: demodata.Progress) -> None:
    progress.start("second factor of the demo staff accounts", 1)
    demo_staff_second_factors()
    progress.advance()

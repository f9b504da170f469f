"""Demo data of the publicservices context for ``nentang demo``.

* one-stop-shop units for UBND phường Sài Gòn (000.31.29.H29), UBND phường Hoàn Kiếm,
  Hà Nội (000.20.01.H26) and Sở Tư pháp TP Hồ Chí Minh (000.00.31.H29, judicial records);
  officers for each role (``canbo.saigon`` of identity's demo does all three in Sài Gòn);
* 240 dossiers (scaled by ``NENTANG_DEMO_PERCENT``) in every state, from a seeded
  generator, through the services: Nguyễn Văn An's civil-status and judicial-record
  dossiers, and temporary-residence dossiers of identity's generated level-1 citizens;
* Nguyễn Văn An's birth registration of his newborn son, processed and waiting for the
  head's approval (``canbo.saigon``, /officer/dossiers/);
* the interconnected birth + residence + health-insurance group: Công an phường Sài Gòn
  (``congan.saigon``) and Bảo hiểm xã hội TP Hồ Chí Minh (``canbo.bhxh``) take their
  steps by hand-off; An's dossier for his daughter waits at the police; his niece's
  (Nguyễn Khánh An, registered by him as her guardian) is completed with its residence
  part refused by the police and its health-insurance card issued by the
  social-insurance office — a partner result that verifies by its code
  (``/results/verify?code=<receipt code>&issuer=bhxh-tp-hcm``, printed by ``nentang demo``);
* 3,000 dossiers (scaled) received over the last six months, written straight into the
  tables by ``demo_history`` (early, on time, late, refused, still open), so queues,
  statistics and charts look real.

Idempotent: nothing is created when the units already exist. The dossiers made through
the services are today's (the services date what they record); the past is
``demo_history``'s.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from nentang.identity import selectors as identity_selectors
from nentang.identity import services as identity
from nentang.kernel import demodata
from nentang.kernel.auditing import Actor
from nentang.publicservices import services
from nentang.publicservices.catalogue import catalogue
from nentang.publicservices.demo_history import Kind, history_load
from nentang.publicservices.models import Dossier, ReceivingUnit

SEED = 20261207
DEFAULT_DOSSIERS = 240
DEFAULT_HISTORY = 3000
OFFICER_PASSWORD = "demo-officer-2026"  # noqa: S105 - documented demo credential
AN_ID = "079090001234"
PAYMENTS = Actor.system("demo-payments")
POST = Actor.system("demo-post")

AGENCIES = (
    # code, name, kind, province, commune, unit
    ("ubnd-phuong-sai-gon", "", "", "79", "26740", "000.31.29.H29"),
    ("ubnd-phuong-hoan-kiem", "UBND phường Hoàn Kiếm", "peoples_committee", "01", "00070",
     "000.20.01.H26"),
    ("so-tu-phap-tp-hcm", "Sở Tư pháp TP Hồ Chí Minh", "department", "79", "", "000.00.31.H29"),
)  # fmt: skip
# Agencies that take steps of interconnected procedures by hand-off (no one-stop shop).
PARTNERS = (
    ("cong-an-phuong-sai-gon", "Công an phường Sài Gòn", "police", "79", "26740"),
    ("bhxh-tp-hcm", "Bảo hiểm xã hội TP Hồ Chí Minh", "social_insurance", "79", ""),
)
OFFICERS = (
    ("motcua.hoankiem", "Ngô Thị Thu", "ubnd-phuong-hoan-kiem", ["reception"]),
    ("chuyenvien.hoankiem", "Đinh Văn Hùng", "ubnd-phuong-hoan-kiem", ["processing"]),
    ("lanhdao.hoankiem", "Trịnh Minh Châu", "ubnd-phuong-hoan-kiem", ["approval"]),
    ("motcua.sotuphap", "Đỗ Thu Hà", "so-tu-phap-tp-hcm", ["reception", "processing", "approval"]),
    ("congan.saigon", "Trương Văn Đức", "cong-an-phuong-sai-gon", ["processing"]),
    ("canbo.bhxh", "Lý Thị Lan", "bhxh-tp-hcm", ["processing"]),
)
ACCOUNTS = tuple(
    demodata.DemoAccount(
        role=f"officer of {agency}: {', '.join(roles)} (/officer/dossiers/)",
        login=login,
        password=OFFICER_PASSWORD,
    )
    for login, _name, agency, roles in OFFICERS
)
CHILDREN = ["Nguyễn Minh Khôi", "Nguyễn Gia Bảo", "Nguyễn Bảo Ngọc", "Nguyễn Khánh An"]


def _count() -> int:
    return demodata.scaled(DEFAULT_DOSSIERS)


def _summary() -> list[str]:
    return [
        "Public services: /services/ (citizens), /officer/dossiers/ (officers), "
        "/dossiers/status (look-up by receipt code), /api/v1/services (API).",
        *_partner_result_line(),
    ]


# A one-page PDF standing for the applicant's scanned papers.
SCAN = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _papers(slug: str) -> list[services.DocumentUpload]:
    """A scan for each document the procedure requires."""
    return [
        services.DocumentUpload(document=index, name=f"ban-scan-{index + 1}.pdf", content=SCAN)
        for index, document in enumerate(catalogue().require(slug).documents)
        if document.required
    ]


def _birth(child: str, sex: str, day: str, delivery: str = "online") -> dict[str, Any]:
    return {
        "applicant_full_name": "Nguyễn Văn An",
        "applicant_id_number": AN_ID,
        "child_full_name": child,
        "child_sex": sex,
        "child_date_of_birth": day,
        "place_of_birth": "Bệnh viện Từ Dũ, TP Hồ Chí Minh",
        "mother_full_name": "Trần Thị Mai",
        "relationship": "father",
        "result_delivery": delivery,
    }


def _judicial(copies: int, group: str, delivery: str) -> dict[str, Any]:
    return {
        "applicant_full_name": "Nguyễn Văn An",
        "applicant_id_number": AN_ID,
        "form_type": "1",
        "purpose": "Bổ sung hồ sơ xin việc",
        "applicant_group": group,
        "copies": copies,
        "result_delivery": delivery,
    }


def _interconnected(child: str, sex: str, day: str) -> dict[str, Any]:
    return {
        **_birth(child, sex, day),
        "residence_address": "12 Lê Lợi, Phường Sài Gòn, TP Hồ Chí Minh",
        "health_insurance_facility": "Bệnh viện Nhi đồng 2",
    }


def _residence(person: Any, months: int) -> dict[str, Any]:
    return {
        "applicant_full_name": person.full_name,
        "applicant_id_number": person.id_number,
        "address": f"{person.street}, Phường Sài Gòn, TP Hồ Chí Minh",
        "from_date": "2026-12-01",
        "months": months,
        "basis": "rented",
    }


def _walk(dossier: Dossier, *, officer: Any, steps: int, rng: random.Random) -> None:
    """Move a submitted dossier ``steps`` actions down its happy path (with a fee paid
    through the payments seam, and a postal delivery through the post seam)."""
    plan: list[Callable[[], Any]] = [
        lambda: services.dossier_receive(actor=officer, dossier_id=dossier.pk),
        lambda: _pay(dossier),
        lambda: services.dossier_process(actor=officer, dossier_id=dossier.pk),
        lambda: services.dossier_approve(actor=officer, dossier_id=dossier.pk),
        lambda: services.dossier_issue_result(actor=officer, dossier_id=dossier.pk),
        lambda: _deliver(dossier),
    ]
    for action in plan[:steps]:
        action()
        dossier.refresh_from_db()
        if dossier.state in ("completed", "rejected"):
            return
    if dossier.state == "processing" and rng.random() < 0.2:
        services.dossier_reject(
            actor=officer, dossier_id=dossier.pk, reason="Giấy tờ chứng minh chỗ ở không hợp lệ"
        )


def _pay(dossier: Dossier) -> None:
    dossier.refresh_from_db()
    if dossier.state == "fee_due":
        services.dossier_fee_paid(
            actor=PAYMENTS,
            dossier_reference=dossier.receipt_code or "",
            payment_reference=f"DEMO-{dossier.receipt_code}",
            amount=dossier.fee_amount,
        )


def _deliver(dossier: Dossier) -> None:
    from django.utils import timezone

    dossier.refresh_from_db()
    if dossier.state == "delivery" and dossier.result_delivery == "post":
        services.dossier_result_delivered(
            actor=POST, dossier_reference=dossier.receipt_code or "", at=timezone.now()
        )


@demodata.loader("publicservices", accounts=ACCOUNTS, summary=_summary)
def load(progress: demodata.Progress) -> None:
    total = _count()
    progress.start("Online public services", total + 2)
    if ReceivingUnit.objects.filter(agency_id="so-tu-phap-tp-hcm").exists():
        progress.advance(total + 2)
        return
    account_model = get_user_model()
    admin = account_model.objects.get(username="admin")
    for code, name, kind, province, commune, unit in AGENCIES:
        if not identity_selectors.agency_list().filter(code=code).exists():
            identity.agency_create(
                actor=admin,
                code=code,
                name=name,
                kind=kind,
                province_code=province,
                commune_code=commune,
            )
        services.receiving_unit_configure(actor=admin, agency_code=code, unit_code=unit)
    for code, name, kind, province, commune in PARTNERS:
        if not identity_selectors.agency_list().filter(code=code).exists():
            identity.agency_create(
                actor=admin,
                code=code,
                name=name,
                kind=kind,
                province_code=province,
                commune_code=commune,
            )
    for login, name, agency, roles in OFFICERS:
        identity.officer_create(
            actor=admin,
            agency_code=agency,
            username=login,
            password=OFFICER_PASSWORD,
            full_name=name,
            roles=roles,
        )
    progress.advance()
    an = account_model.objects.get(username=AN_ID)
    saigon = account_model.objects.get(username="canbo.saigon")
    justice = account_model.objects.get(username="motcua.sotuphap")
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets

    # Nguyễn Văn An's newborn son: processed, waiting for the head's approval.
    with transaction.atomic():
        newborn = services.dossier_submit(
            actor=an,
            procedure_slug="dang-ky-khai-sinh",
            agency_code="ubnd-phuong-sai-gon",
            data=_birth("Nguyễn Minh Khôi", "male", "2026-12-01"),
            documents=_papers("dang-ky-khai-sinh"),
        )
        services.dossier_receive(actor=saigon, dossier_id=newborn.pk)
        services.dossier_process(actor=saigon, dossier_id=newborn.pk)
        # His daughter's interconnected dossier: registered, handed off to the police.
        daughter = services.dossier_submit(
            actor=an,
            procedure_slug="lien-thong-khai-sinh-thuong-tru-bhyt",
            agency_code="ubnd-phuong-sai-gon",
            data=_interconnected("Nguyễn Bảo Ngọc", "female", "2026-11-28"),
            documents=_papers("lien-thong-khai-sinh-thuong-tru-bhyt"),
        )
        for step in (services.dossier_receive, services.dossier_process, services.dossier_approve):
            step(actor=saigon, dossier_id=daughter.pk)
        services.dossier_hand_off(
            actor=saigon, dossier_id=daughter.pk, reason="Đăng ký thường trú cho trẻ"
        )
        _refused_part_journey(an=an, saigon=saigon)
    progress.advance()

    citizens = [
        person
        for person in (
            identity_selectors.person_for_account(account=account)
            for account in account_model.objects.filter(kind="person")
            .exclude(username=AN_ID)
            .order_by("username")[:200]
        )
        if person is not None
    ]
    for number in range(total):
        steps = rng.choice([0, 1, 1, 2, 3, 4, 5, 6, 6, 6])
        variant = number % 3
        with transaction.atomic():
            if variant == 0 or not citizens:
                dossier = services.dossier_submit(
                    actor=an,
                    procedure_slug="cap-phieu-ly-lich-tu-phap",
                    agency_code="so-tu-phap-tp-hcm",
                    data=_judicial(
                        rng.randint(1, 4),
                        rng.choice(["general", "general", "student"]),
                        rng.choice(["online", "post", "counter"]),
                    ),
                    documents=_papers("cap-phieu-ly-lich-tu-phap"),
                )
                _walk(dossier, officer=justice, steps=steps, rng=rng)
            elif variant == 1:
                dossier = services.dossier_submit(
                    actor=an,
                    procedure_slug="dang-ky-khai-sinh",
                    agency_code="ubnd-phuong-sai-gon",
                    data=_birth(
                        rng.choice(CHILDREN),
                        rng.choice(["male", "female"]),
                        "2026-11-2" + str(rng.randint(0, 9)),
                        rng.choice(["online", "post"]),
                    ),
                    documents=_papers("dang-ky-khai-sinh"),
                )
                _walk(dossier, officer=saigon, steps=steps, rng=rng)
            else:
                person = citizens[number % len(citizens)]
                dossier = services.dossier_submit(
                    actor=person.account,
                    procedure_slug="dang-ky-tam-tru",
                    agency_code="ubnd-phuong-sai-gon",
                    data=_residence(person, rng.randint(3, 24)),
                    documents=_papers("dang-ky-tam-tru"),
                )
                _walk(dossier, officer=saigon, steps=steps, rng=rng)
        progress.advance()
    _history(rng, an=an, citizens=citizens)


# The interconnected dossier whose residence part the police refused.
REFUSED_CHILD = "Nguyễn Khánh An"


def _refused_part_journey(*, an: Any, saigon: Any) -> Dossier:
    """An interconnected dossier walked to the end: the ward registers the birth, the
    police refuse the permanent residence (the address is not a lawful residence), the
    social-insurance office issues the health-insurance card (its own signed result,
    verifiable by code), and the ward completes it."""
    account_model = get_user_model()
    police = account_model.objects.get(username="congan.saigon")
    insurance = account_model.objects.get(username="canbo.bhxh")
    dossier = services.dossier_submit(
        actor=an,
        procedure_slug="lien-thong-khai-sinh-thuong-tru-bhyt",
        agency_code="ubnd-phuong-sai-gon",
        data=_interconnected(REFUSED_CHILD, "female", "2026-11-20"),
        documents=_papers("lien-thong-khai-sinh-thuong-tru-bhyt"),
    )
    for step in (services.dossier_receive, services.dossier_process, services.dossier_approve):
        step(actor=saigon, dossier_id=dossier.pk)
    services.dossier_hand_off(actor=saigon, dossier_id=dossier.pk, reason="Đăng ký thường trú")
    services.dossier_refuse_part(
        actor=police,
        dossier_id=dossier.pk,
        reason="Địa chỉ khai báo không phải chỗ ở hợp pháp của cha hoặc mẹ",
    )
    services.dossier_hand_off(actor=insurance, dossier_id=dossier.pk, reason="Đã cấp thẻ BHYT")
    services.dossier_issue_result(actor=saigon, dossier_id=dossier.pk)
    return dossier


def _partner_result_line() -> list[str]:
    """Where to verify the demo's partner result by its code (once loaded)."""
    dossier = (
        Dossier.objects.filter(parts_refused__gt=0, state="completed")
        .exclude(receipt_code=None)
        .order_by("created_at")
        .first()
    )
    if dossier is None:
        return []
    return [
        "Public services: a dossier with a refused part and a partner's result — verify "
        f"it at /results/verify?code={dossier.receipt_code}&issuer=bhxh-tp-hcm "
        f"(API: /api/v1/result-status/{dossier.receipt_code}?issuer=bhxh-tp-hcm).",
    ]


def _history(rng: random.Random, *, an: Any, citizens: list[Any]) -> None:
    """The past months' dossiers (``demo_history``), acted on by the demo's officers."""
    account_model = get_user_model()
    every = ("reception", "processing", "approval")
    role_of = {
        "ubnd-phuong-sai-gon": dict.fromkeys(every, "canbo.saigon"),
        "ubnd-phuong-hoan-kiem": {
            "reception": "motcua.hoankiem",
            "processing": "chuyenvien.hoankiem",
            "approval": "lanhdao.hoankiem",
        },
        "so-tu-phap-tp-hcm": dict.fromkeys(every, "motcua.sotuphap"),
        "cong-an-phuong-sai-gon": dict.fromkeys(("reception", "processing"), "congan.saigon"),
        "bhxh-tp-hcm": dict.fromkeys(("reception", "processing"), "canbo.bhxh"),
    }
    officers = {
        agency: {
            role: identity_selectors.officer_for_account(
                account=account_model.objects.get(username=login)
            )
            for role, login in roles.items()
        }
        for agency, roles in role_of.items()
    }
    agencies = {a.code: a for a in identity_selectors.agency_list().filter(code__in=role_of)}
    an_person = identity_selectors.person_for_account(account=an)
    kinds = [
        Kind(
            "cap-phieu-ly-lich-tu-phap",
            "so-tu-phap-tp-hcm",
            lambda r, p: _judicial(
                r.randint(1, 4),
                r.choice(["general", "general", "student"]),
                r.choice(["online", "post", "counter"]),
            ),
            4,
        ),
        Kind(
            "dang-ky-khai-sinh",
            "ubnd-phuong-sai-gon",
            lambda r, p: _birth(
                r.choice(CHILDREN), r.choice(["male", "female"]), "2026-06-1" + str(r.randint(0, 9))
            ),
            2,
        ),
        Kind(
            "dang-ky-khai-sinh",
            "ubnd-phuong-hoan-kiem",
            lambda r, p: _birth(r.choice(CHILDREN), r.choice(["male", "female"]), "2026-07-02"),
            2,
        ),
        Kind("dang-ky-tam-tru", "ubnd-phuong-sai-gon", lambda r, p: _residence(p, 12), 3),
        Kind("dang-ky-tam-tru", "ubnd-phuong-hoan-kiem", lambda r, p: _residence(p, 6), 2),
        Kind(
            "lien-thong-khai-sinh-thuong-tru-bhyt",
            "ubnd-phuong-sai-gon",
            lambda r, p: _interconnected(
                r.choice(CHILDREN), r.choice(["male", "female"]), "2026-08-01"
            ),
            1,
        ),
    ]
    history_load(
        total=demodata.scaled(DEFAULT_HISTORY),
        kinds=kinds,
        officers=officers,
        applicants=[an_person, *citizens] if an_person is not None else citizens,
        agencies=agencies,
        rng=rng,
    )

"""The public-services section of a person's "Your data" copy: the dossiers they filed,
with their answers and every step taken on them."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nentang.kernel import personaldata


def dossier_rows(subject: personaldata.Subject) -> personaldata.Rows:
    from nentang.publicservices.models import Dossier

    rows: list[dict[str, Any]] = []
    for dossier in (
        Dossier.objects.filter(applicant_id=subject.person_id)
        .prefetch_related("actions")
        .order_by("created_at", "id")
    ):
        rows.append(
            {
                "procedure": dossier.procedure_slug,
                "receipt_code": dossier.receipt_code,
                "state": dossier.state,
                "answers": dossier.data,
                "fee_vnd": dossier.fee_amount,
                "created_at": timezone.localtime(dossier.created_at).isoformat(timespec="seconds"),
                "steps": [
                    {
                        "at": timezone.localtime(a.at).isoformat(timespec="seconds"),
                        "action": a.action,
                        "state": a.to_state,
                    }
                    for a in dossier.actions.all()
                ],
            }
        )
    return rows


def install() -> None:
    personaldata.register(
        personaldata.Section(
            key="publicservices.dossiers", title=_("Your dossiers"), collect=dossier_rows
        )
    )

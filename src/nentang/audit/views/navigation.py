"""audit's entries on the operators' page (registered when the app is ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from nentang.web import home


def install() -> None:
    home.register(
        home.HomeEntry(
            "soc",
            _("Security monitoring"),
            _(
                "For security operators: alerts raised by the detection rules, security "
                "events, the audit log and the register of information systems."
            ),
            "soc:alerts",
            audience="operator",
            order=20,
        ),
        home.HomeEntry(
            "tlog",
            _("Tamper-evident audit log"),
            _(
                "Every change on the platform is an entry in a public Merkle-tree log with "
                "signed checkpoints: anyone can check that history was not rewritten."
            ),
            "audit:checkpoint",
            audience="developer",
            order=40,
            links=(home.HomeLink(_("Tree head and proofs (JSON API)"), "/api/v1/audit/tree"),),
        ),
    )

"""The web shell's own pages: home, problem types, design system.

Read-only and database-free, except the design-system example form, which validates
and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.middleware import HtmxDetails

from nentang.kernel.errors import NotFound
from nentang.web.components import (
    Badge,
    Cell,
    Column,
    Link,
    SummaryRow,
    Text,
    TimelineEvent,
)
from nentang.web.forms import ExampleLookupForm
from nentang.web.problems import problem_type_for_code, problem_types

# Set by the administrative-units context; linked by path so the home page does not
# depend on that router being mounted.
PROVINCES_API_PATH = "/api/v1/addresses/provinces"
# Set by the audit context (transparency log and security operations centre).
AUDIT_CHECKPOINT_PATH = "/audit/checkpoint"
AUDIT_TREE_API_PATH = "/api/v1/audit/tree"
SOC_PATH = "/soc/"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass(frozen=True)
class Area:
    """An area of the platform that exists today, shown as a card on the home page."""

    title: Text
    text: Text
    url: str
    meta: str
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class ComingArea:
    title: Text
    text: Text


def available_areas() -> list[Area]:
    return [
        Area(
            title=_("Electronic identity (e-ID)"),
            text=_(
                "Register online with your citizen identity card, log in once to every "
                "public service, and see who used your personal data."
            ),
            url=reverse("identity_web:login"),
            meta=f"{reverse('identity_web:login')} · {reverse('identity_web:register')}",
            links=(
                Link(_("Register an e-ID"), reverse("identity_web:register")),
                Link(_("Log in"), reverse("identity_web:login")),
            ),
        ),
        Area(
            title=_("API documentation"),
            text=_(
                "Interactive reference of every JSON API: operations, schemas, examples "
                "and error codes (OpenAPI 3.1)."
            ),
            url=reverse("api-v1:openapi-view"),
            meta=reverse("api-v1:openapi-view"),
            links=(Link(_("OpenAPI document (JSON)"), reverse("api-v1:openapi-json")),),
        ),
        Area(
            title=_("Administrative units"),
            text=_(
                "The provinces, cities, communes and wards in force since 1 July 2025, "
                "as open JSON data."
            ),
            url=PROVINCES_API_PATH,
            meta=PROVINCES_API_PATH,
        ),
        Area(
            title=_("System status"),
            text=_(
                "For operators: is the service running, and is its database reachable "
                "and up to date?"
            ),
            url=reverse("readyz"),
            meta=f"{reverse('healthz')} · {reverse('readyz')}",
            links=(
                Link(_("Health check (the process answers)"), reverse("healthz")),
                Link(_("Readiness check (database and migrations)"), reverse("readyz")),
            ),
        ),
        Area(
            title=_("Tamper-evident audit log"),
            text=_(
                "Every change on the platform is an entry in a public Merkle-tree log with "
                "signed checkpoints: anyone can check that history was not rewritten."
            ),
            url=AUDIT_CHECKPOINT_PATH,
            meta=AUDIT_CHECKPOINT_PATH,
            links=(Link(_("Tree head and proofs (JSON API)"), AUDIT_TREE_API_PATH),),
        ),
        Area(
            title=_("Security monitoring"),
            text=_(
                "For security operators: alerts raised by the detection rules, security "
                "events, the audit log and the register of information systems."
            ),
            url=SOC_PATH,
            meta=SOC_PATH,
        ),
        Area(
            title=_("Administration"),
            text=_("Sign-in for the staff who run this installation."),
            url=reverse("admin:index"),
            meta=reverse("admin:index"),
        ),
        Area(
            title=_("Problem types"),
            text=_("What each error code of the platform means, and what to do about it."),
            url=reverse("web:problems"),
            meta=reverse("web:problems"),
        ),
    ]


def coming_areas() -> list[ComingArea]:
    return [
        ComingArea(
            _("Online public services"),
            _("Find a service, fill in its form online and follow your dossier step by step."),
        ),
        ComingArea(
            _("Payments"),
            _("Pay fees from a mobile-money wallet or by scanning a VietQR code."),
        ),
        ComingArea(
            _("Digital post"),
            _("Receive paper results by post and track the parcel until it reaches you."),
        ),
    ]


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/home.html",
        {
            "areas": available_areas(),
            "coming": coming_areas(),
            "coming_badge": Badge(_("Coming later"), "neutral"),
        },
    )


@require_safe
def problem_list(request: HttpRequest) -> HttpResponse:
    columns = [Column(_("Code"), row_header=True), Column(_("HTTP status")), Column(_("Title"))]
    rows = [
        [
            Cell(problem.code, url=reverse("web:problem", args=[problem.code]), mono=True),
            Cell(str(problem.status)),
            Cell(problem.title),
        ]
        for problem in problem_types()
    ]
    return render(
        request,
        "web/problems/list.html",
        {
            "columns": columns,
            "rows": rows,
            "coming_badge": Badge(_("Coming later"), "neutral"),
            "breadcrumbs": [Link(_("Home"), reverse("web:home"))],
        },
    )


@require_safe
def problem_detail(request: HttpRequest, code: str) -> HttpResponse:
    problem = problem_type_for_code(code)
    if problem is None:
        raise NotFound(_("There is no problem type with this code."))
    facts = [
        SummaryRow(_("Code"), problem.code, mono=True),
        SummaryRow(_("HTTP status"), str(problem.status)),
        SummaryRow(_("Type URI"), problem.type_uri, mono=True),
    ]
    return render(
        request,
        "web/problems/detail.html",
        {
            "problem": problem,
            "facts": facts,
            "breadcrumbs": [
                Link(_("Home"), reverse("web:home")),
                Link(_("Problem types"), reverse("web:problems")),
            ],
        },
    )


def _example_timeline() -> list[TimelineEvent]:
    return [
        TimelineEvent(
            title=_("Dossier submitted"),
            state="done",
            time=datetime(2025, 7, 1, 1, 12, tzinfo=UTC),
            text=_("Online, with 3 attached documents."),
        ),
        TimelineEvent(
            title=_("Received by the ward"),
            state="done",
            time=datetime(2025, 7, 1, 2, 40, tzinfo=UTC),
            text=_("Receipt code H29.48-250701-0001."),
        ),
        TimelineEvent(
            title=_("Being processed"),
            state="current",
            time=datetime(2025, 7, 2, 3, 5, tzinfo=UTC),
            text=_("Due by 4 July 2025."),
        ),
        TimelineEvent(title=_("Result issued"), state="upcoming"),
    ]


@require_http_methods(["GET", "HEAD", "POST"])
def design_system(request: HtmxHttpRequest) -> HttpResponse:
    """Every component with an example. The form validates, then discards the input."""
    form = ExampleLookupForm(request.POST if request.method == "POST" else None)
    submitted = form.is_valid()
    if submitted:
        form = ExampleLookupForm()  # accepted and discarded: start again empty
    form_context = {"form": form, "submitted": submitted}
    if request.htmx:
        return render(request, "web/design/lookup_form.html", form_context)
    columns = [
        Column(_("Receipt code"), row_header=True),
        Column(_("Service")),
        Column(_("Fee"), numeric=True),
        Column(_("Status")),
    ]
    rows = [
        [
            Cell("H29.48-250701-0001", mono=True),
            Cell(_("Birth registration")),
            Cell("0 ₫"),
            Cell(badge=Badge(_("Being processed"), "info")),
        ],
        [
            Cell("H29.48-250628-0417", mono=True),
            Cell(_("Copy of a civil status record")),
            Cell("8.000 ₫"),
            Cell(badge=Badge(_("Approved"), "success")),
        ],
        [
            Cell("H29.48-250620-0032", mono=True),
            Cell(_("Marriage registration")),
            Cell("0 ₫"),
            Cell(badge=Badge(_("Needs more documents"), "warning")),
        ],
    ]
    return render(
        request,
        "web/design_system.html",
        {
            **form_context,
            "columns": columns,
            "rows": rows,
            "timeline": _example_timeline(),
            "facts": [
                SummaryRow(_("Receipt code"), "H29.48-250701-0001", mono=True),
                SummaryRow(_("Service"), _("Birth registration")),
                SummaryRow(_("Agency"), "UBND phường Sài Gòn"),
            ],
            "badges": [
                Badge(_("Draft"), "neutral"),
                Badge(_("Being processed"), "info"),
                Badge(_("Approved"), "success"),
                Badge(_("Needs more documents"), "warning"),
                Badge(_("Rejected"), "error"),
            ],
            "coming_badge": Badge(_("Coming later"), "neutral"),
            "breadcrumbs": [Link(_("Home"), reverse("web:home"))],
        },
    )

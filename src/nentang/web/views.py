"""The web shell's own pages: home, problem types, design system.

Read-only and database-free, except the design-system example form, which validates
and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.middleware import HtmxDetails

from nentang.kernel.errors import NotFound
from nentang.web import home as home_page
from nentang.web.components import (
    Badge,
    Cell,
    Column,
    Link,
    SummaryRow,
    TimelineEvent,
)
from nentang.web.forms import ExampleLookupForm
from nentang.web.problems import problem_type_for_code, problem_types
from nentang.web.selectors import installation


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The citizen's front door: log in, find a service, what can be done here. What is
    listed comes from the contexts (``web.home``), so only what exists is offered."""
    user = getattr(request, "user", None)
    return render(
        request,
        "web/home.html",
        {
            "search": home_page.search(),
            "citizen_entries": home_page.entries("citizen", user),
            "business_entries": home_page.entries("business", user),
            "login_url": reverse("identity_web:login"),
            "register_url": reverse("identity_web:register"),
            "account_url": reverse("identity_web:account"),
        },
    )


@require_safe
def operators(request: HttpRequest) -> HttpResponse:
    """Links for the people who run the installation and integrate with it."""
    user = getattr(request, "user", None)
    return render(
        request,
        "web/pages/operators.html",
        {
            "operator_entries": home_page.entries("operator", user),
            "developer_entries": home_page.entries("developer", user),
            "breadcrumbs": [Link(_("Home"), reverse("web:home"))],
        },
    )


def _page(template: str) -> Callable[[HttpRequest], HttpResponse]:
    @require_safe
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, template, {"breadcrumbs": [Link(_("Home"), reverse("web:home"))]})

    return view


about = _page("web/pages/about.html")
terms = _page("web/pages/terms.html")
privacy = _page("web/pages/privacy.html")
accessibility = _page("web/pages/accessibility.html")


@require_safe
def emblem(request: HttpRequest) -> HttpResponse:
    """The installation's emblem as uploaded in the admin (public: it is in every header)."""
    row = installation()
    if not row.emblem:
        raise Http404
    name = row.emblem.name.lower()
    content_type = "image/svg+xml" if name.endswith(".svg") else "image/png"
    with row.emblem.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type=content_type)
    # An SVG may carry script: served as an image only, never as a document.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["Cache-Control"] = "public, max-age=300"
    return response


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

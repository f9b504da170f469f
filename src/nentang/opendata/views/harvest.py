"""The publishers' harvest pages: their organisations' harvest sources with the last
run of each (when, what it did, its errors), one source with its recent runs, and
"harvest now" (queued for the worker)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nentang.kernel.errors import ProblemError
from nentang.opendata import selectors, services
from nentang.opendata.models import HarvestSource

RECENT_RUNS = 20


def _kind(source: HarvestSource) -> str:
    return {"ckan": _("CKAN Action API"), "dcat": _("DCAT file")}.get(source.kind, source.kind)


def _frequency(source: HarvestSource) -> str:
    return {
        "manual": _("Only when asked"), "daily": _("Daily"), "weekly": _("Weekly"),
        "monthly": _("Monthly"),
    }.get(source.frequency, source.frequency)  # fmt: skip


@require_http_methods(["GET"])
def harvest_sources(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    sources = list(selectors.harvest_sources(account=request.user))
    last = selectors.harvest_last_runs(sources=sources)
    rows = [
        {"source": s, "kind": _kind(s), "frequency": _frequency(s), "last": last.get(s.pk)}
        for s in sources
    ]
    return render(request, "opendata/harvest_sources.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
def harvest_source(request: HttpRequest, name: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    source = selectors.harvest_source_get(account=request.user, ref=name)
    if request.method == "POST":
        try:
            services.harvest_queue(account=request.user, source=source)
        except ProblemError as error:
            messages.error(request, str(error.detail))
        else:
            messages.success(request, _("The harvest is queued; the worker runs it shortly."))
        return HttpResponseRedirect(reverse("opendata:harvest_source", args=[source.name]))
    runs = list(selectors.harvest_runs(source=source)[:RECENT_RUNS])
    context = {"source": source, "kind": _kind(source), "frequency": _frequency(source),
               "runs": runs}  # fmt: skip
    return render(request, "opendata/harvest_source.html", context)

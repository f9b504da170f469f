"""The Django floor: a Django project with no middleware and one async view.

It answers like the bare ASGI app (same status, body and headers, from the same
environment variables), so a benchmark can tell what Django's request handling costs
by itself, apart from nentang's middleware, ninja and observability.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.asgi import get_asgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

from bench._bare_asgi import BODY, HEADERS, STATUS

os.environ.pop("DJANGO_SETTINGS_MODULE", None)
settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-django-floor-" + "x" * 40,  # serves a fixed body, signs nothing
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_TZ=True,
    USE_I18N=False,
)

_HEADERS = {name.decode("latin-1"): value.decode("latin-1") for name, value in HEADERS}


async def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, status=STATUS, headers=_HEADERS)


urlpatterns = [path("api/v1/ping", ping)]

application = get_asgi_application()

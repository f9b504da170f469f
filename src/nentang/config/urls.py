"""Root URLconf: probes, admin, i18n, then every context of ``settings.NENTANG_APPS``.

A context is wired by convention, so adding one touches no file here:

* ``<context>/api.py`` defines ``router`` (a ninja ``Router``), mounted on the one API at
  ``/api/v1/<label>/`` — or at ``/api/v1/<API_PREFIX>`` when the module sets
  ``API_PREFIX`` (public services speak GovStack's ``/api/v1/services``);
* ``<context>/urls.py`` defines ``urlpatterns`` with full paths, included at the root.

The web shell (home page) comes last; the order of ``NENTANG_APPS`` is the order here.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from nentang.identity.views.login import admin_login_redirect
from nentang.kernel import health
from nentang.kernel.api import create_api
from nentang.web.apidocs import api_reference


def _module(app: str, name: str) -> ModuleType | None:
    return import_module(f"{app}.{name}") if find_spec(f"{app}.{name}") else None


def _contexts() -> list[str]:
    """The contexts in NENTANG_APPS order, the web shell (catch-all home page) last."""
    return sorted(settings.NENTANG_APPS, key=lambda app: app == "nentang.web")


api = create_api()
context_urls: list[URLPattern | URLResolver] = []
_labels = {config.name: config.label for config in apps.get_app_configs()}
for _app in _contexts():
    _label = _labels[_app]
    if (_api := _module(_app, "api")) is not None and hasattr(_api, "router"):
        api.add_router(getattr(_api, "API_PREFIX", f"/{_label}/"), _api.router)
    if _module(_app, "urls") is not None:
        context_urls.append(path("", include(f"{_app}.urls")))

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
    path("api/v1/docs", api_reference(api.get_openapi_schema), name="api_docs"),
    path("api/v1/", api.urls),
    # One login for everyone, the administration included (password, then second factor).
    path("admin/login/", admin_login_redirect, name="admin_login_redirect"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *context_urls,
]

handler400 = "nentang.kernel.errors.pages.handler400"
handler403 = "nentang.kernel.errors.pages.handler403"
handler404 = "nentang.kernel.errors.pages.handler404"
handler500 = "nentang.kernel.errors.pages.handler500"

"""Root URLconf: probes, the API (every context's router), admin, i18n and the web UI."""

from django.contrib import admin
from django.urls import include, path

from nentang.addresses.api import router as addresses_router
from nentang.audit.api import router as audit_router
from nentang.identity.api import router as identity_router
from nentang.kernel import health
from nentang.kernel.api import create_api

api = create_api()
api.add_router("/addresses/", addresses_router)
api.add_router("/audit/", audit_router)
api.add_router("/identity/", identity_router)

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
    path("api/v1/", api.urls),
    path("audit/", include("nentang.audit.urls")),
    path("admin/", admin.site.urls),
    path("soc/", include("nentang.audit.soc.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # OpenID Connect provider: /.well-known/openid-configuration, /oidc/…, /demo/
    path("", include("nentang.identity.oidc.urls")),
    # e-ID pages: /register, /login (LOGIN_URL), /logout, /account/…, /officer/…
    path("", include("nentang.identity.web.urls")),
    path("", include("nentang.web.urls")),
]

handler400 = "nentang.kernel.errors.pages.handler400"
handler403 = "nentang.kernel.errors.pages.handler403"
handler404 = "nentang.kernel.errors.pages.handler404"
handler500 = "nentang.kernel.errors.pages.handler500"

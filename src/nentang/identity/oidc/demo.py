"""Demo clients of the OpenID provider (loaded after the identity demo):

* ``demo-portal`` — a public client (PKCE, no secret) whose relying-party page is
  ``/demo/``: log in there as a demo citizen and walk the whole OIDC flow;
* ``demo-machine`` — a confidential machine client (``client_credentials``) with a
  documented demo secret, allowed to introspect tokens.

Idempotent: an existing client is left as it is, but for the demo portal's redirect
URIs, which follow the address the demo is served at.
"""

from __future__ import annotations

from django.conf import settings

from nentang.kernel import demodata
from nentang.kernel.auditing import Actor

PORTAL_ID = "demo-portal"
MACHINE_ID = "demo-machine"
MACHINE_SECRET = "demo-machine-secret-2026"  # noqa: S105 - documented demo credential  # documented demo credential, like the passwords


def _summary() -> list[str]:
    base = settings.BASE_URL
    return [
        "",
        "[bold]OpenID Connect[/]: discovery at " + f"{base}/.well-known/openid-configuration",
        f"  public client [bold]{PORTAL_ID}[/] (PKCE) → try it at {base}/demo/",
        f"  machine client [bold]{MACHINE_ID}[/] / secret {MACHINE_SECRET} "
        "(client_credentials, scope introspection)",
    ]


@demodata.loader("identity_oidc", summary=_summary)
def load(progress: demodata.Progress) -> None:
    from oauth2_provider.models import Application

    from nentang.identity.oidc.services import client_redirect_uris_set, client_register

    progress.start("OpenID Connect demo clients", total=2)
    actor = Actor.system("demo")
    base = settings.BASE_URL
    portal = Application.objects.filter(client_id=PORTAL_ID).first()
    callback, home = f"{base}/demo/callback", f"{base}/demo/"
    if portal is not None and (portal.redirect_uris, portal.post_logout_redirect_uris) != (
        callback,
        home,
    ):
        # Served at another address since (nentang demo --port 8080): the portal follows.
        client_redirect_uris_set(
            actor=actor,
            client_id=PORTAL_ID,
            redirect_uris=[callback],
            post_logout_redirect_uris=[home],
        )
    if portal is None:
        client_register(
            actor=actor,
            client_id=PORTAL_ID,
            name="Cổng dịch vụ công (demo)",
            redirect_uris=[callback],
            post_logout_redirect_uris=[home],
            public=True,
            purpose="Đăng nhập để nộp hồ sơ dịch vụ công trực tuyến và theo dõi kết quả",
            scopes=["openid", "profile", "email", "phone", "address", "vn_id"],
        )
    progress.advance()
    if not Application.objects.filter(client_id=MACHINE_ID).exists():
        client_register(
            actor=actor,
            client_id=MACHINE_ID,
            name="Hệ thống liên thông (demo)",
            grant="client_credentials",
            client_secret=MACHINE_SECRET,
            purpose="Kiểm tra mã truy cập do các dịch vụ xuất trình",
            scopes=["introspection"],
        )
    progress.advance()

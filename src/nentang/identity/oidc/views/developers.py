"""The integrators' portal (/developers/): how to connect a service to the e-ID (the
code + PKCE flow with examples in curl, Python and JavaScript, and the sandbox's test
persons), and — for an organisation logged in with its organisation e-ID — its own
clients: register one, see its settings and usage, rotate its secret."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nentang.identity.models import Account
from nentang.identity.oidc.scopes import SCOPES
from nentang.identity.oidc.services import (
    organisation_client_register,
    organisation_client_secret_rotate,
)
from nentang.identity.oidc.services.integrators import PORTAL_SCOPES
from nentang.identity.selectors.integrators import (
    client_usage,
    organisation_client,
    organisation_clients,
)
from nentang.identity.views.access import IdentityRequest, account_of, account_page
from nentang.identity.views.forms import submit
from nentang.web.components import Link, SummaryRow
from nentang.web.forms import Form


class ClientForm(Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What kind of application is it?"),
        choices=[
            ("web", gettext_lazy("A website with a server (it can keep a secret)")),
            ("spa", gettext_lazy("A mobile app or a browser-only application (PKCE, no secret)")),
            ("machine", gettext_lazy("A server calling the platform's APIs, no person involved")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose what kind of application this is.")},
    )
    name = forms.CharField(
        label=gettext_lazy("Name people will see"),
        max_length=255,
        error_messages={"required": gettext_lazy("Enter the application's name.")},
    )
    purpose = forms.CharField(
        label=gettext_lazy("Why it needs people's data"),
        help_text=gettext_lazy("Shown to each person before they agree to share their data."),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    redirect_uris = forms.CharField(
        label=gettext_lazy("Redirect URIs, one per line"),
        help_text=gettext_lazy("https addresses (http only for localhost), matched exactly."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Data it asks for"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    jwks_uri = forms.CharField(
        label=gettext_lazy("JWKS URI (optional, websites only)"),
        help_text=gettext_lazy(
            "Where your server publishes its public keys: it then signs a JWT to log in "
            "(private_key_jwt) instead of using a secret."
        ),
        required=False,
        max_length=500,
    )
    require_level = forms.TypedChoiceField(
        label=gettext_lazy("e-ID level people need"),
        choices=[(1, gettext_lazy("Level 1")), (2, gettext_lazy("Level 2"))],
        coerce=int,
        initial=1,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["scopes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (name, f"{SCOPES[name].description} ({name})")
            for name in PORTAL_SCOPES
            if name != "openid"
        ]


def _sandbox_persons() -> list[Any]:
    """The demo's test citizens, when this installation has loaded the demo (a sandbox):
    an installation without demo data shows none."""
    from nentang.identity import demo

    citizens = [account for account in demo.ACCOUNTS if account.role.startswith("citizen")]
    present = set(
        Account.objects.filter(username__in=[a.login for a in citizens]).values_list(
            "username", flat=True
        )
    )
    return [account for account in citizens if account.login in present]


def _crumbs(*, deeper: bool) -> list[Link]:
    links = [Link(_("Home"), reverse("web:home"))]
    if deeper:
        links.append(Link(_("For integrators"), reverse("identity_oidc:developers")))
    return links


def _is_organisation(request: IdentityRequest) -> bool:
    return request.user.is_authenticated and account_of(request).kind == Account.Kind.ORGANISATION


@require_safe
def developers(request: IdentityRequest) -> HttpResponse:
    base = str(settings.BASE_URL)
    context: dict[str, Any] = {
        "breadcrumbs": _crumbs(deeper=False),
        "base": base,
        "organisation": _is_organisation(request),
        "logged_in": request.user.is_authenticated,
        "login_url": f"{reverse('identity_web:login')}?next={reverse('identity_oidc:developers')}",
        "sandbox": _sandbox_persons(),
    }
    if context["organisation"]:
        context["clients"] = list(organisation_clients(actor=account_of(request)))
    return render(request, "identity_oidc/developers/index.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@account_page
def client_new(request: IdentityRequest) -> HttpResponse:
    actor = account_of(request)
    if not _is_organisation(request):
        return render(
            request,
            "identity_oidc/developers/organisation_needed.html",
            {"breadcrumbs": _crumbs(deeper=True)},
            status=403,
        )
    form = ClientForm(request.POST or None, initial={"require_level": 1})
    status = 200
    if request.method == "POST":

        def register(data: dict[str, Any]) -> Any:
            return organisation_client_register(
                actor=actor,
                kind=data["kind"],
                name=data["name"],
                purpose=data["purpose"],
                redirect_uris=data["redirect_uris"].split(),
                scopes=["openid", *data["scopes"]] if data["kind"] != "machine" else [],
                jwks_uri=data["jwks_uri"],
                require_level=data["require_level"],
            )

        registered, status = submit(form, register)
        if registered is not None:
            return render(
                request,
                "identity_oidc/developers/client_created.html",
                {
                    "breadcrumbs": _crumbs(deeper=True),
                    "client_id": registered.application.client_id,
                    "client_secret": registered.client_secret,
                    "detail_url": reverse(
                        "identity_oidc:developer_client", args=[registered.application.client_id]
                    ),
                },
                status=201,
            )
    return render(
        request,
        "identity_oidc/developers/client_new.html",
        {"breadcrumbs": _crumbs(deeper=True), "form": form},
        status=status,
    )


def _client_rows(policy: Any) -> list[SummaryRow]:
    application = policy.application
    return [
        SummaryRow(_("Client id"), application.client_id, mono=True),
        SummaryRow(_("Name"), application.name),
        SummaryRow(_("Purpose"), policy.purpose),
        SummaryRow(_("How it authenticates"), policy.auth_method, mono=True),
        SummaryRow(_("Redirect URIs"), " ".join(application.redirect_uris.split()) or "—"),
        SummaryRow(_("Scopes"), " ".join(policy.scopes) or "—", mono=True),
        SummaryRow(_("e-ID level people need"), str(policy.require_level)),
        SummaryRow(_("JWKS URI"), policy.jwks_uri or "—", mono=bool(policy.jwks_uri)),
    ]


@never_cache
@require_safe
@account_page
def client_detail(request: IdentityRequest, client_id: str) -> HttpResponse:
    actor = account_of(request)
    policy = organisation_client(actor=actor, client_id=client_id)
    return render(
        request,
        "identity_oidc/developers/client.html",
        {
            "breadcrumbs": _crumbs(deeper=True),
            "policy": policy,
            "rows": _client_rows(policy),
            "usage": client_usage(actor=actor, client_id=client_id),
            "has_secret": policy.auth_method in ("client_secret_basic", "client_secret_post"),
        },
    )


@never_cache
@require_POST
@account_page
def client_rotate_secret(request: IdentityRequest, client_id: str) -> HttpResponse:
    secret = organisation_client_secret_rotate(actor=account_of(request), client_id=client_id)
    return render(
        request,
        "identity_oidc/developers/client_created.html",
        {
            "breadcrumbs": _crumbs(deeper=True),
            "client_id": client_id,
            "client_secret": secret,
            "rotated": True,
            "detail_url": reverse("identity_oidc:developer_client", args=[client_id]),
        },
    )

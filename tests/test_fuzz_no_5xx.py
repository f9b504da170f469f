"""Fuzzing beyond the OpenAPI document (which ``test_openapi_contract`` covers): the
OAuth 2 / OpenID Connect endpoints and every HTML form, fed generated parameters —
NUL and control characters, lone invalid UTF-8, dates out of range, huge numbers,
malformed JSON, very long strings — as an anonymous visitor, a citizen, an officer and a
SOC operator. Nothing may answer 5xx, on SQLite or PostgreSQL.

Requests go through Django's test client (the whole middleware stack, in process); each
test draws its requests with hypothesis (``NENTANG_FUZZ_EXAMPLES`` per test, default
150), so a failure prints the smallest request that produced the 5xx."""

from __future__ import annotations

import base64
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.support.staff import log_in_as

EXAMPLES = int(os.environ.get("NENTANG_FUZZ_EXAMPLES", "150"))
FUZZ = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CSRF_SECRET = "k" * 32
CALLBACK = "http://127.0.0.1:9/callback"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuIJSstw-cM"

pytestmark = pytest.mark.django_db

# Values that broke, or could break, a parser somewhere.
SPECIAL = [
    "",
    " ",
    "0",
    "-1",
    "1e400",
    "NaN",
    "99999999999999999999999999",
    str(2**63),
    "0001-01-01",
    "0001-01-01T00:00",
    "9999-12-31",
    "9999-12-31T23:59",
    "2026-02-30",
    "00000000-0000-0000-0000-000000000000",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\u202e",
    "\ufeff",
    "{",
    "[]",
    '{"id_token": {"acr": {"essential": true, "values": 5}}}',
    "null",
    "%",
    "%ff",
    "../../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "a" * 5000,
    "openid " * 300,
    "S256",
    "plain",
    "none",
    "login",
    "consent",
    CALLBACK,
    CHALLENGE,
]
text = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300),
)


def csrf_client(*, remote: str = "198.51.100.7") -> Client:
    client = Client(enforce_csrf_checks=True, raise_request_exception=True, REMOTE_ADDR=remote)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return client


def assert_no_5xx(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{response.status_code} for {what}"


# --- the cast -----------------------------------------------------------------------------


@dataclass
class Cast:
    clients: dict[str, Client]
    public_id: str
    confidential_id: str
    confidential_secret: str
    machine_id: str
    machine_secret: str


@pytest.fixture
def cast(db: None) -> Cast:
    from nentang.audit.services import security_defaults_install
    from nentang.audit.tests.security_support import soc_operator
    from nentang.identity import services as identity
    from nentang.identity.oidc.services import client_register, consent_grant
    from nentang.identity.tests import support
    from nentang.kernel.auditing import Actor

    security_defaults_install()
    admin = support.administrator()
    support.agency(admin)
    officer = support.officer(admin)
    an = identity.person_register(**support.an_form())
    support.verify(an, officer)
    an.refresh_from_db()
    actor = Actor.system("fuzz")
    public = client_register(
        actor=actor, name="Cổng thử", public=True, redirect_uris=[CALLBACK], purpose="Thử"
    )
    confidential = client_register(
        actor=actor, name="Dịch vụ thử", redirect_uris=[CALLBACK], purpose="Thử"
    )
    machine = client_register(
        actor=actor,
        name="Máy thử",
        grant="client_credentials",
        scopes=["introspection"],
        purpose="Thử",
    )
    assert an.account is not None
    for registered in (public, confidential):
        consent_grant(
            account=an.account,
            application=registered.application,
            scopes=["openid", "profile", "vn_id", "address", "phone", "email"],
            purpose=registered.policy.purpose,
        )
    clients: dict[str, Client] = {"anonymous": csrf_client()}
    for name, account in (
        ("citizen", an.account),
        ("officer", officer),
        ("soc", soc_operator()),
    ):
        client = csrf_client()
        log_in_as(client, account)
        clients[name] = client
    return Cast(
        clients=clients,
        public_id=public.application.client_id,
        confidential_id=confidential.application.client_id,
        confidential_secret=confidential.client_secret or "",
        machine_id=machine.application.client_id,
        machine_secret=machine.client_secret or "",
    )


# --- the OAuth 2 / OpenID Connect endpoints ---------------------------------------------

AUTHORIZE_PARAMS = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "ui_locales",
    "claims",
    "id_token_hint",
    "acr_values",
    "login_hint",
    "request",
    "request_uri",
    "response_mode",
    "resource",
]
TOKEN_PARAMS = [
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "client_id",
    "client_secret",
    "refresh_token",
    "scope",
    "client_assertion",
    "client_assertion_type",
    "resource",
    "token",
    "token_type_hint",
    "access_token",
]
GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials", "password", "x"]


def overlay(base: dict[str, str], names: list[str]) -> st.SearchStrategy[dict[str, str]]:
    changes = st.dictionaries(st.one_of(st.sampled_from(names), text), text, max_size=6)
    dropped = st.sets(st.sampled_from(sorted(base)), max_size=3)
    return st.builds(
        lambda change, drop: {
            **{k: v for k, v in base.items() if k not in drop},
            **change,
        },
        changes,
        dropped,
    )


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{quote(client_id)}:{quote(secret)}".encode()).decode()


@st.composite
def authorization_header(draw: st.DrawFn, cast: Cast) -> str | None:
    return draw(
        st.sampled_from(
            [
                None,
                _basic(cast.confidential_id, cast.confidential_secret),
                _basic(cast.machine_id, cast.machine_secret),
                _basic(cast.machine_id, "wrong"),
                "Basic %%%",
                "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode(),
                "Bearer x",
                "Basic",
            ]
        )
        | text.map(lambda value: "Basic " + value)
    )


def test_the_authorization_endpoint_never_answers_5xx(cast: Cast) -> None:
    base = {
        "response_type": "code",
        "client_id": cast.public_id,
        "redirect_uri": CALLBACK,
        "scope": "openid profile",
        "state": "s",
        "nonce": "n",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }

    @FUZZ
    @given(
        who=st.sampled_from(["anonymous", "citizen", "officer"]),
        params=overlay(base, AUTHORIZE_PARAMS),
        confidential=st.booleans(),
        decision=st.one_of(st.none(), st.sampled_from(["allow", "deny"]), text),
    )
    def run(who: str, params: dict[str, str], confidential: bool, decision: str | None) -> None:
        if confidential and params.get("client_id") == cast.public_id:
            params["client_id"] = cast.confidential_id
        url = "/oidc/authorize?" + urlencode(params)
        client = cast.clients[who]
        if decision is None:
            response = client.get(url)
        else:
            response = client.post(
                url, {"decision": decision}, headers={"X-CSRFToken": CSRF_SECRET}
            )
        assert_no_5xx(response, f"{who} {'GET' if decision is None else 'POST'} {url}")

    run()


def test_the_token_revocation_and_introspection_endpoints_never_answer_5xx(cast: Cast) -> None:
    base = {"grant_type": "authorization_code", "code": "c", "redirect_uri": CALLBACK}

    @FUZZ
    @given(
        path=st.sampled_from(["/oidc/token", "/oidc/revoke", "/oidc/introspect"]),
        form=overlay(base, TOKEN_PARAMS),
        grant=st.sampled_from(GRANT_TYPES),
        auth=authorization_header(cast),
        raw=st.one_of(st.none(), st.binary(max_size=200)),
        content_type=st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                "application/json",
                "text/plain",
            ]
        ),
    )
    def run(
        path: str,
        form: dict[str, str],
        grant: str,
        auth: str | None,
        raw: bytes | None,
        content_type: str,
    ) -> None:
        form.setdefault("grant_type", grant)
        headers = {"Authorization": auth} if auth is not None else {}
        client = cast.clients["anonymous"]
        if raw is None:
            response = client.post(
                path, urlencode(form), content_type=content_type, headers=headers
            )
        else:
            response = client.generic("POST", path, raw, content_type=content_type, headers=headers)
        assert_no_5xx(response, f"POST {path} {form if raw is None else raw!r} {auth!r}")

    run()


def test_userinfo_logout_and_discovery_never_answer_5xx(cast: Cast) -> None:
    @FUZZ
    @given(
        who=st.sampled_from(["anonymous", "citizen"]),
        path=st.sampled_from(
            ["/oidc/userinfo", "/oidc/logout", "/oidc/jwks", "/.well-known/openid-configuration"]
        ),
        params=st.dictionaries(
            st.one_of(
                st.sampled_from(
                    [
                        "id_token_hint",
                        "client_id",
                        "post_logout_redirect_uri",
                        "state",
                        "ui_locales",
                        "access_token",
                        "logout_hint",
                    ]
                ),
                text,
            ),
            text,
            max_size=5,
        ),
        bearer=st.one_of(st.none(), text),
        post=st.booleans(),
    )
    def run(who: str, path: str, params: dict[str, str], bearer: str | None, post: bool) -> None:
        headers = {"X-CSRFToken": CSRF_SECRET}
        if bearer is not None and "\n" not in bearer and "\r" not in bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        client = cast.clients[who]
        if post:
            response = client.post(path, params, headers=headers)
        else:
            response = client.get(path + "?" + urlencode(params), headers=headers)
        assert_no_5xx(response, f"{who} {'POST' if post else 'GET'} {path} {params}")

    run()


# --- every HTML form --------------------------------------------------------------------

# Machine endpoints (above), the JSON API (test_openapi_contract), Django's own admin,
# and operational endpoints are not HTML forms of ours.
_NOT_FORMS = re.compile(r"^(api/|admin/|oidc/|\.well-known/|healthz|readyz|metrics|i18n/)")
_NAME = re.compile(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"')
_CONVERTERS: dict[str, Callable[[], str]] = {
    "uuid": lambda: str(uuid.uuid4()),
    "int": lambda: "1",
    "slug": lambda: "khong-co",
    "path": lambda: "x/y",
    "str": lambda: "x",
}


def html_routes() -> list[str]:
    """Every HTML route of ours, with converters filled in (ids of nothing: 404s)."""

    def walk(resolver: URLResolver, prefix: str) -> Iterator[str]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    routes = []
    for route in walk(get_resolver(), ""):
        if _NOT_FORMS.match(route) or route.startswith("^") or "(?P" in route:
            continue
        filled = re.sub(
            r"<(?:(\w+):)?\w+>", lambda m: _CONVERTERS[str(m.group(1) or "str")](), route
        )
        routes.append("/" + filled)
    return sorted(set(routes))


def test_the_route_list_covers_the_forms() -> None:
    routes = html_routes()
    for expected in ("/login", "/register", "/account/", "/officer/people", "/soc/events/"):
        assert expected in routes


def test_no_html_form_answers_5xx(cast: Cast) -> None:
    routes = html_routes()
    fields: dict[tuple[str, str], list[str]] = {}

    def names_of(who: str, route: str) -> list[str]:
        if (who, route) not in fields:
            page = cast.clients[who].get(route)
            found = _NAME.findall(page.content.decode(errors="replace"))
            fields[(who, route)] = sorted(set(found) - {"csrfmiddlewaretoken"}) or ["q"]
        return fields[(who, route)]

    @FUZZ
    @given(
        who=st.sampled_from(["anonymous", "citizen", "officer", "soc"]),
        route=st.sampled_from(routes),
        post=st.booleans(),
        data=st.data(),
    )
    def run(who: str, route: str, post: bool, data: st.DataObject) -> None:
        names = names_of(who, route)
        form = data.draw(
            st.dictionaries(st.one_of(st.sampled_from(names), text), text, max_size=8),
            label="form",
        )
        client = cast.clients[who]
        htmx = data.draw(st.booleans(), label="htmx")
        headers = {"X-CSRFToken": CSRF_SECRET, **({"HX-Request": "true"} if htmx else {})}
        if post:
            response = client.post(route, form, headers=headers)
        else:
            response = client.get(route + "?" + urlencode(form), headers=headers)
        assert_no_5xx(response, f"{who} {'POST' if post else 'GET'} {route} {form}")

    run()


@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("value", ["0001-01-01", "0001-01-01T00:00", "9999-12-31T23:59"])
def test_soc_event_filters_out_of_range_are_a_form_error(cast: Cast, name: str, value: str) -> None:
    """Regression (issue 8, item 9): 0001-01-01 in Vietnam time is before year 1 in UTC."""
    from nentang.audit.tests.security_support import seed

    seed()
    response = cast.clients["soc"].get("/soc/events/", {name: value})

    assert response.status_code in (200, 400), response.status_code


def nul_routes(per_group: int = 4) -> list[str]:
    """A few routes per first path segment (per context under ``api/v1/``) whose text
    parameters (``str``, ``path``) take a NUL byte (``%00``, and inside a word)."""

    def walk(resolver: URLResolver, prefix: str) -> Iterator[str]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    groups: dict[str, list[str]] = {}
    for route in sorted(set(walk(get_resolver(), ""))):
        if route.startswith(("admin/", "^")) or "(?P" in route:
            continue
        if not re.search(r"<(?:(?:str|path):)?\w+>", route):
            continue
        parts = route.split("/")
        group = "/".join(parts[:3]) if route.startswith("api/v1/") else parts[0]
        groups.setdefault(group, []).append(route)
    chosen = [route for routes in groups.values() for route in routes[:per_group]]
    urls = []
    for route in chosen:
        for nul in ("%00", "a%00b"):

            def fill(match: re.Match[str], nul: str = nul) -> str:
                kind = str(match.group(1) or "str")
                return nul if kind in ("str", "path") else _CONVERTERS[kind]()

            filled = re.sub(r"<(?:(\w+):)?\w+>", fill, route)
            urls.append("/" + filled)
    return urls


def test_a_nul_byte_in_a_path_parameter_never_answers_5xx(cast: Cast) -> None:
    urls = nul_routes()
    assert len(urls) > 10
    for who in ("anonymous", "citizen"):
        for url in urls:
            assert_no_5xx(cast.clients[who].get(url), f"{who} GET {url}")

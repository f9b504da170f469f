"""What the OIDC tests share: a browser that logs a person in and consents, relying
parties built with Authlib's OAuth 2 client (a library we did not write), and ID-token
verification against the provider's published JWKS."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

CALLBACK = "http://127.0.0.1:9/callback"  # never contacted: the browser stops at the redirect
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Browser:
    """A person's browser: cookies, and redirects followed only within the provider."""

    base: str
    session: requests.Session = field(default_factory=requests.Session)

    def get(self, url: str) -> requests.Response:
        return self.session.get(url, allow_redirects=False, timeout=10)

    def post_form(self, url: str, page: str, data: dict[str, str]) -> requests.Response:
        token = _CSRF.search(page)
        assert token is not None, "no CSRF token on the page"
        return self.session.post(
            url,
            data={"csrfmiddlewaretoken": token.group(1), **data},
            headers={"Referer": url},
            allow_redirects=False,
            timeout=10,
        )

    def follow(self, response: requests.Response) -> requests.Response:
        """Follow redirects while they stay on the provider."""
        while response.status_code in (301, 302, 303) and self.local(response.headers["Location"]):
            response = self.get(self.absolute(response.headers["Location"]))
        return response

    def local(self, location: str) -> bool:
        return location.startswith("/") or location.startswith(self.base)

    def absolute(self, location: str) -> str:
        return location if location.startswith("http") else self.base + location

    def log_in(self, login: str, password: str, next_url: str = "/") -> requests.Response:
        page = self.get(f"{self.base}/login?next={next_url}")
        return self.post_form(
            f"{self.base}/login",
            page.text,
            {"login": login, "password": password, "next": next_url},
        )

    def authorize(
        self, url: str, *, login: tuple[str, str] | None = None, consent: str | None = "allow"
    ) -> requests.Response:
        """Open an authorization URL as the person would; log in and answer the consent
        page when asked. Returns the first response that leaves the provider (or the
        page where the walk stopped)."""
        response = self.follow(self.get(url))
        if response.status_code == 200 and 'name="password"' in response.text:
            assert login is not None, "the provider asked to log in"
            form_url = response.url
            next_value = parse_qs(urlsplit(form_url).query).get("next", ["/"])[0]
            response = self.follow(
                self.post_form(
                    form_url,
                    response.text,
                    {"login": login[0], "password": login[1], "next": next_value},
                )
            )
        if response.status_code == 200 and 'name="decision"' in response.text and consent:
            response = self.follow(
                self.post_form(response.url, response.text, {"decision": consent})
            )
        return response


def callback_params(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, (response.status_code, response.text[:300])
    location = response.headers["Location"]
    assert location.startswith(CALLBACK), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


@dataclass
class RelyingParty:
    """A relying party written with Authlib's OAuth2Session (PKCE S256, nonce)."""

    base: str
    client_id: str
    client_secret: str | None = None
    scope: str = "openid profile"
    auth_method: Any = None
    redirect_uri: str = CALLBACK
    nonce: str = ""
    verifier: str = ""
    state: str = ""

    def session(self) -> OAuth2Session:
        kwargs: dict[str, Any] = {}
        if self.auth_method is not None:
            kwargs["token_endpoint_auth_method"] = self.auth_method
        elif self.client_secret is None:
            kwargs["token_endpoint_auth_method"] = "none"
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=self.scope,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            **kwargs,
        )

    def authorization_url(self, **extra: str) -> str:
        self.nonce = secrets.token_urlsafe(16)
        self.verifier = secrets.token_urlsafe(48)
        url, self.state = self.session().create_authorization_url(
            f"{self.base}/oidc/authorize",
            code_verifier=self.verifier,
            nonce=self.nonce,
            **extra,
        )
        return str(url)

    def exchange(self, params: dict[str, str], **extra: Any) -> dict[str, Any]:
        assert params.get("state") == self.state
        assert params.get("iss") == self.base
        token = self.session().fetch_token(
            f"{self.base}/oidc/token",
            code=params["code"],
            code_verifier=self.verifier,
            **extra,
        )
        return dict(token)


def jwks(base: str) -> Any:
    return JsonWebKey.import_key_set(requests.get(f"{base}/oidc/jwks", timeout=10).json())


def verify_id_token(
    base: str, id_token: str, *, client_id: str, nonce: str | None, access_token: str | None
) -> dict[str, Any]:
    """Verify signature (from the published JWKS) and claims as a relying party does."""
    claims = jwt.decode(
        id_token,
        jwks(base),
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": base}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": access_token},
    )
    claims.validate(leeway=5)
    return dict(claims)


def header_of(id_token: str) -> dict[str, Any]:
    import base64
    import json

    first = id_token.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4))))

"""The provider's oauthlib server, built from oauthlib's public constructors with only
what the provider offers (nothing is removed afterwards):

* response type ``code`` only (no implicit or hybrid flows), OAuth 2 or OpenID Connect
  by the ``openid`` scope (oauthlib's dispatchers);
* grants ``authorization_code``, ``refresh_token`` and ``client_credentials`` (no
  password or device grant);
* PKCE with ``S256`` only: ``plain``, and a challenge without a method (which RFC 7636
  defaults to ``plain``), are refused up front, and so is a challenge that cannot be an
  S256 value (RFC 7636, section 4.2: 43 base64url characters) — an empty one included;
* an authorization code is claimed once every token-request check has passed
  (``Validator.claim_authorization``, a post-token validator).

Validators are given through the grants' ``pre_auth``/``post_token`` arguments, the
extension points oauthlib documents. DOT builds the server as
``Server(validator, **oauth2_settings.server_kwargs)``; of those keyword arguments only
the token lifetimes and generators apply here.
"""

from __future__ import annotations

import re
from typing import Any

from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.endpoints import (
    AuthorizationEndpoint,
    IntrospectEndpoint,
    ResourceEndpoint,
    RevocationEndpoint,
    TokenEndpoint,
)
from oauthlib.oauth2.rfc6749.grant_types import AuthorizationCodeGrant as OAuth2CodeGrant
from oauthlib.oauth2.rfc6749.grant_types import ClientCredentialsGrant
from oauthlib.oauth2.rfc6749.tokens import BearerToken
from oauthlib.openid.connect.core.endpoints.userinfo import UserInfoEndpoint
from oauthlib.openid.connect.core.grant_types import AuthorizationCodeGrant as OpenIDCodeGrant
from oauthlib.openid.connect.core.grant_types import RefreshTokenGrant
from oauthlib.openid.connect.core.grant_types.dispatchers import (
    AuthorizationCodeGrantDispatcher,
    AuthorizationTokenGrantDispatcher,
)

PKCE_METHOD = "S256"
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
RESPONSE_TYPES = ("code",)
# BASE64URL(SHA-256(verifier)) without padding: 32 bytes → 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


def pkce_s256_only(request: Any) -> dict[str, Any]:
    """Pre-authorization check: a ``code_challenge`` (empty included) must be an S256
    value sent with ``code_challenge_method=S256``. Whether one is required at all is
    the validator's ``is_pkce_required`` (public clients)."""
    challenge = request.code_challenge
    if challenge is None:
        return {}
    if request.code_challenge_method != PKCE_METHOD:
        raise errors.UnsupportedCodeChallengeMethodError(request=request)
    if not isinstance(challenge, str) or not _S256_CHALLENGE.fullmatch(challenge):
        raise errors.InvalidRequestError(
            description="code_challenge must be the S256 challenge: 43 base64url characters.",
            request=request,
        )
    return {}


class Server(
    AuthorizationEndpoint,
    IntrospectEndpoint,
    TokenEndpoint,
    ResourceEndpoint,
    RevocationEndpoint,
    UserInfoEndpoint,
):
    def __init__(
        self,
        request_validator: Any,
        token_expires_in: Any = None,
        token_generator: Any = None,
        refresh_token_generator: Any = None,
        **_ignored: Any,  # DOT's device-flow settings: no device grant here
    ) -> None:
        def checks() -> dict[str, Any]:  # fresh lists: oauthlib appends to them per grant
            return {
                "pre_auth": [pkce_s256_only],
                "post_token": [request_validator.claim_authorization],
            }

        self.auth_grant = OAuth2CodeGrant(request_validator, **checks())
        self.openid_connect_auth = OpenIDCodeGrant(request_validator, **checks())
        self.credentials_grant = ClientCredentialsGrant(request_validator)
        self.refresh_grant = RefreshTokenGrant(request_validator)
        self.bearer = BearerToken(
            request_validator, token_generator, token_expires_in, refresh_token_generator
        )
        AuthorizationEndpoint.__init__(
            self,
            default_response_type="code",
            response_types={
                "code": AuthorizationCodeGrantDispatcher(
                    default_grant=self.auth_grant, oidc_grant=self.openid_connect_auth
                )
            },
            default_token_type=self.bearer,
        )
        TokenEndpoint.__init__(
            self,
            default_grant_type="authorization_code",
            grant_types={
                "authorization_code": AuthorizationTokenGrantDispatcher(
                    request_validator,
                    default_grant=self.auth_grant,
                    oidc_grant=self.openid_connect_auth,
                ),
                "refresh_token": self.refresh_grant,
                "client_credentials": self.credentials_grant,
            },
            default_token_type=self.bearer,
        )
        ResourceEndpoint.__init__(
            self,
            default_token="Bearer",  # noqa: S106 - the token type's name, not a secret
            token_types={"Bearer": self.bearer},
        )
        RevocationEndpoint.__init__(self, request_validator)
        IntrospectEndpoint.__init__(self, request_validator)
        UserInfoEndpoint.__init__(self, request_validator)

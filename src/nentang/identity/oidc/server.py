"""oauthlib's OpenID Connect server, narrowed to what the provider offers: the code flow
(no implicit or hybrid response types), the authorization-code, refresh-token and
client-credentials grants (no password or device grant), PKCE with ``S256`` only
(``plain``, and a missing method, which RFC 7636 defaults to ``plain``, are refused);
and an authorization code is claimed once every token-request check has passed."""

from __future__ import annotations

from typing import Any

from oauthlib.openid import Server as OpenIDServer


class Server(OpenIDServer):
    def __init__(self, request_validator: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(request_validator, *args, **kwargs)
        for grant in (self.auth_grant, self.openid_connect_auth.proxy_target):
            grant._code_challenge_methods = {"S256": grant._code_challenge_methods["S256"]}
            grant.custom_validators.post_token.append(request_validator.claim_authorization)
        for grant_type in ("password", "urn:ietf:params:oauth:grant-type:device_code"):
            self._grant_types.pop(grant_type, None)
        endpoint: Any = self
        endpoint._response_types = {"code": endpoint._response_types["code"]}

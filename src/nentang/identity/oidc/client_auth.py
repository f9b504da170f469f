"""Client authentication at the token, revocation and introspection endpoints.

The part of the provider's validator (validator.py) that decides who the client is:
``private_key_jwt`` (RFC 7523, see assertions.py), the client's registered method
enforced, one method per request (RFC 6749 2.3), secrets compared as SHA-256 digests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from typing import Any

from oauth2_provider.models import Application
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors

from nentang.identity.oidc import assertions
from nentang.identity.oidc.common import cached_client, issuer, policy_of, token_endpoint
from nentang.identity.oidc.services import SECRET_PREFIX
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor

logger = logging.getLogger("nentang.identity.oidc")


def security_event(what: str, client_id: str, **detail: Any) -> None:
    try:
        auditing.security_event(
            kind="token.misuse",
            outcome="refused",
            severity="high",
            actor=Actor.client(client_id),
            subject=client_id[:128],
            detail={"what": what, **detail},
        )
    except Exception:  # monitoring must never break the token endpoint
        logger.exception("could not record a token.misuse security event")


def _well_formed_basic(value: str | None) -> bool:
    """RFC 7617: base64 (ASCII) of ``user-id ":" password`` in UTF-8."""
    if not value or not value.isascii():
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in decoded and "\x00" not in decoded


class ClientAuthValidator(OAuth2Validator):
    # --- clients ---------------------------------------------------------------------

    def _load_application(self, client_id: str, request: Any) -> Application | None:
        """The client (with its policy), from the short-lived cache of the token,
        revocation and introspection endpoints (common.cached_client)."""
        current = request.client
        if isinstance(current, Application) and current.client_id == client_id:
            return current
        request.client = None
        if not client_id or not isinstance(client_id, str) or "\x00" in client_id:
            return None
        client = cached_client(client_id)
        request.client = client
        return client

    def validate_client_id(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> bool:
        # The authorization endpoint reads the client fresh: a changed purpose or level
        # requirement applies to the very next login (the cache is for machine calls).
        request.client = None
        if not client_id or not isinstance(client_id, str) or "\x00" in client_id:
            return False
        request.client = (
            Application.objects.select_related("nentang_policy")
            .filter(client_id=client_id[:255])
            .first()
        )
        return request.client is not None

    def _check_secret(self, provided_secret: str, stored_secret: str) -> bool:
        if stored_secret.startswith(SECRET_PREFIX):
            digest = hashlib.sha256(provided_secret.encode()).hexdigest()
            return hmac.compare_digest(digest, stored_secret[len(SECRET_PREFIX) :])
        if not stored_secret:
            return False
        return bool(super()._check_secret(provided_secret, stored_secret))

    @staticmethod
    def _assertion(request: Any) -> tuple[str | None, str | None]:
        return (
            getattr(request, "client_assertion", None),
            getattr(request, "client_assertion_type", None),
        )

    def _presented_methods(self, request: Any) -> set[str]:
        """Which client authentication methods the request carries (RFC 6749 2.3:
        "The client MUST NOT use more than one authentication method in each request")."""
        presented = set()
        if self._extract_basic_auth(request):
            presented.add("client_secret_basic")
        if getattr(request, "client_secret", None):
            presented.add("client_secret_post")
        assertion, assertion_type = self._assertion(request)
        if assertion is not None or assertion_type is not None:
            presented.add("private_key_jwt")
        return presented

    def client_authentication_required(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        if self._presented_methods(request):
            return True
        return bool(super().client_authentication_required(request, *args, **kwargs))

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        """Authenticate by the one method the request carries, which must be the one the
        client registered (``token_endpoint_auth_method``): a Basic client may not post
        its secret, a post client may not use Basic, and a request carrying two kinds
        of credentials (an assertion with someone's Basic header) is refused."""
        presented = self._presented_methods(request)
        if len(presented) > 1:
            raise errors.InvalidClientError(
                description="Use one client authentication method per request, not "
                + " and ".join(sorted(presented))
                + ".",
                request=request,
            )
        if presented == {"private_key_jwt"}:
            assertion, assertion_type = self._assertion(request)
            return self._authenticate_assertion(request, assertion, assertion_type)
        if presented == {"client_secret_basic"} and not _well_formed_basic(
            self._extract_basic_auth(request)
        ):
            raise errors.InvalidClientError(
                description="The Basic credentials are not base64 of client_id:client_secret.",
                request=request,
            )
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        method = policy_of(request.client).auth_method
        used = next(iter(presented), "none")
        if method != used:
            raise errors.InvalidClientError(
                description=f"This client is registered for {method}; "
                f"it authenticated with {used}.",
                request=request,
            )
        return True

    def _authenticate_assertion(
        self, request: Any, assertion: str | None, assertion_type: str | None
    ) -> bool:
        def refuse(reason: str) -> bool:
            raise errors.InvalidClientError(description=reason, request=request)

        if assertion_type != assertions.ASSERTION_TYPE:
            return refuse(f"client_assertion_type must be {assertions.ASSERTION_TYPE}.")
        if not assertion:
            return refuse("client_assertion is missing.")
        try:
            claimed = assertions.peek(assertion)
        except assertions.AssertionRefused as error:
            return refuse(str(error))
        if request.client_id and request.client_id != claimed.client_id:
            return refuse("client_id does not match the client assertion's iss.")
        client = self._load_application(claimed.client_id, request)
        if client is None:
            return refuse("No client has the id named by the client assertion.")
        policy = policy_of(client)
        if policy.auth_method != "private_key_jwt":
            return refuse(
                f"This client is registered for {policy.auth_method}, not private_key_jwt."
            )
        audiences = {issuer(), token_endpoint(), request.uri.split("?", 1)[0]}
        try:
            expires, jti = assertions.verify(
                assertion=assertion, policy=policy, audiences=audiences
            )
            assertions.consume_jti(policy=policy, jti=jti, expires=expires)
        except assertions.AssertionRefused as error:
            if "already used" in str(error):
                security_event("client_assertion_replay", client.client_id)
            return refuse(str(error))
        request.client_id = client.client_id
        return True

    def authenticate_client_id(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        client = self._load_application(client_id, request)
        if client is None:
            return False
        return policy_of(client).auth_method == "none" and (
            client.client_type == Application.CLIENT_PUBLIC
        )

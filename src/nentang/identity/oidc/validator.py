"""django-oauth-toolkit's request validator, completed for a national e-ID provider.

What this adds to ``oauth2_provider.oauth2_validators.OAuth2Validator``:

* client authentication by ``private_key_jwt`` (RFC 7523), and a client's registered
  method enforced; secrets compared as SHA-256 digests (client_auth.py);
* exact redirect-URI matching (string equality with a registered URI);
* PKCE required of public clients, and only ``S256`` (server.py drops ``plain``);
* ID tokens signed with the provider's rotating ES256/RS256 keys (``kid`` in the
  header), with ``iss`` = ``BASE_URL``, pairwise ``sub``, ``auth_time``, ``acr`` and the
  claims of the granted scopes;
* a reused authorization code revokes every token issued from it; a code is claimed
  atomically once all checks passed (``claim_authorization``);
* locked accounts, withdrawn consents and refresh-scope escalation refused;
* every release of a person's data written to their data-usage log;
* RFC 7662 introspection answers for the client's own tokens.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from jwcrypto import jws, jwt
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from nentang.identity.models import Account, Authorization, Consent, Person
from nentang.identity.oidc import keys
from nentang.identity.oidc.claims import person_claims, subject
from nentang.identity.oidc.client_auth import ClientAuthValidator, security_event
from nentang.identity.oidc.common import (
    checksum,
    issuer,
    policy_of,
)
from nentang.identity.oidc.joined import Joined
from nentang.identity.oidc.scopes import allowed_scopes
from nentang.identity.oidc.usage import release_record
from nentang.kernel.prepared import fixed_cursor
from nentang.kernel.rowinserts import insert_linked, insert_statement, mark_saved

# An authorization code's two rows: nentang's authorization (with the consent it was
# given under) and django-oauth-toolkit's grant (with the person), found by the code's
# digest and by the code. The authorization outlives the grant (a redeemed code's grant
# is deleted; reuse is detected on the authorization).
_CODE = Joined(
    [
        (Authorization, "z", ""),
        (Consent, "c", "LEFT JOIN {table} c ON c.{consent_pk} = z.{consent}"),
        (Grant, "g", "LEFT JOIN {table} g ON g.{code} = %s"),
        (Account, "u", "LEFT JOIN {table} u ON u.{account_pk} = g.{user}"),
        (Person, "pe", "LEFT JOIN {table} pe ON pe.{person_account} = u.{account_pk}"),
    ],
    where="z.{code_checksum} = %s",
    names=lambda column: {
        "consent_pk": column(Consent, "id"),
        "consent": column(Authorization, "consent"),
        "code": column(Grant, "code"),
        "account_pk": column(Account, "id"),
        "user": column(Grant, "user"),
        "person_account": column(Person, "account"),
        "code_checksum": column(Authorization, "code_checksum"),
    },
)


_CLAIM: dict[str, str] = {}


def _claim_sql() -> str:
    """PostgreSQL: claim the authorization (if unredeemed) and delete the code's grant
    when it was claimed, in one statement; answers how many were claimed (0 or 1)."""
    if "sql" not in _CLAIM:
        quote = connection.ops.quote_name

        def column(model: Any, name: str) -> str:
            return str(quote(model._meta.get_field(name).column))

        z, g = quote(Authorization._meta.db_table), quote(Grant._meta.db_table)
        _CLAIM["sql"] = (
            f"WITH claimed AS (UPDATE {z} SET {column(Authorization, 'redeemed_at')} = %s"  # noqa: S608 - metadata only
            f" WHERE {column(Authorization, 'id')} = %s"
            f" AND {column(Authorization, 'redeemed_at')} IS NULL RETURNING 1),"
            f" forgotten AS (DELETE FROM {g} WHERE {column(Grant, 'code')} = %s"
            f" AND {column(Grant, 'application')} = %s AND EXISTS (SELECT 1 FROM claimed))"
            " SELECT count(*) FROM claimed"
        )
    return _CLAIM["sql"]


class Validator(ClientAuthValidator):
    # --- authorization requests -------------------------------------------------------

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        registered = request.client.redirect_uris.split()
        return isinstance(redirect_uri, str) and redirect_uri in registered

    def get_default_redirect_uri(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> str | None:
        return None  # OpenID Connect: redirect_uri is required, never implied

    def is_pkce_required(self, client_id: str, request: Any) -> bool:
        client = request.client
        return client is None or client.client_type == Application.CLIENT_PUBLIC

    def validate_silent_login(self, request: Any) -> bool:
        return True  # the authorization view decides login_required (it sees the session)

    def validate_silent_authorization(self, request: Any) -> bool:
        return True  # the authorization view decides consent_required

    def validate_user_match(
        self, id_token_hint: Any, scopes: Any, claims: Any, request: Any
    ) -> bool:
        # The person logged in is known to the authorization view, not to oauthlib's
        # request: the view compares the hint's subject with them (views/authorize.py,
        # OpenID Connect Core 3.1.2.1) for every prompt, not only "none".
        return True

    def save_authorization_code(
        self, client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> None:
        super().save_authorization_code(client_id, code, request, *args, **kwargs)
        Authorization.objects.create(
            code_checksum=checksum(code["code"]),
            application=request.client,
            account=request.user,
            consent_id=getattr(request, "nentang_consent_id", None),
            scope=" ".join(request.scopes),
            auth_time=request.nentang_auth_time,
            acr=request.nentang_acr,
            created_at=timezone.now(),
        )

    # --- token requests: authorization code --------------------------------------------

    def _grant(self, code: str, request: Any) -> Grant | None:
        return self._code(code, request)[0]

    def _code(self, code: str, request: Any) -> tuple[Grant | None, Authorization | None]:
        """The code's grant (with the person) and its authorization (with the consent),
        read once per token request in one statement. By code only: the grant
        dispatcher asks for the scopes before the client is authenticated; validate_code
        checks that both belong to the client."""
        cached = getattr(request, "nentang_code", None)
        if cached is not None and cached[0] == code:
            return cached[1], cached[2]
        if not isinstance(code, str) or not code or "\x00" in code:
            return None, None
        row = _CODE.fetch([code, checksum(code)])
        grant: Grant | None = None
        authorization: Authorization | None = None
        if row is not None:  # no authorization: a grant made outside the provider is refused
            found, consent, found_grant, account, person = row
            assert isinstance(found, Authorization)  # the FROM table
            authorization = found
            Authorization.consent.field.set_cached_value(authorization, consent)
            if isinstance(found_grant, Grant):
                grant = found_grant
                Grant.user.field.set_cached_value(grant, account)
                if account is not None:
                    Account.person.related.set_cached_value(account, person)
                    if person is not None:
                        Person.account.field.set_cached_value(person, account)
        request.nentang_code = (code, grant, authorization)
        return grant, authorization

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        if not isinstance(code, str) or not code or "\x00" in code:
            return False
        grant, authorization = self._code(code, request)
        if authorization is not None and authorization.application_id != client.pk:
            return False  # another client's code: its owner's tokens are none of our business
        if authorization is not None and authorization.redeemed_at is not None:
            self._revoke_reused(authorization, request)
            raise errors.InvalidGrantError(
                description="This authorization code was already used; the tokens issued "
                "from it have been revoked.",
                request=request,
            )
        if grant is None or authorization is None or grant.is_expired():
            return False
        if authorization.application_id != client.pk or grant.application_id != client.pk:
            return False
        account = grant.user
        if account.is_locked or not account.is_active:
            raise errors.InvalidGrantError(
                description="The account is locked: no tokens are issued for it.",
                request=request,
            )
        consent = authorization.consent
        if consent is None or consent.ended_at is not None:
            raise errors.InvalidGrantError(
                description="The person's consent for this client was withdrawn.",
                request=request,
            )
        request.scopes = grant.scope.split(" ")
        request.user = account
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        request.nentang_authorization = authorization
        return True

    def _revoke_reused(self, authorization: Authorization, request: Any) -> None:
        """RFC 6749, section 4.1.2: a code used twice revokes what it was exchanged for."""
        RefreshToken.revoke_family(authorization.id)
        security_event(
            "authorization_code_reuse",
            request.client.client_id if request.client else "-",
            authorization=str(authorization.id),
        )

    def claim_authorization(self, request: Any) -> None:
        """Post-token check: mark the code redeemed once, atomically; a concurrent
        exchange of the same code loses here and gets ``invalid_grant``."""
        authorization = getattr(request, "nentang_authorization", None)
        if authorization is None:
            return
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # With the code's grant deleted in the same statement (what
            # invalidate_authorization_code does after the tokens are saved; the token
            # endpoint's transaction makes the order invisible to anyone else).
            with fixed_cursor() as cursor:
                cursor.execute(
                    _claim_sql(),
                    [timezone.now(), authorization.pk, request.code, request.client.pk],
                )
                claimed = cursor.fetchone()[0]
            request.nentang_grant_deleted = request.code
        else:
            claimed = Authorization.objects.filter(
                pk=authorization.pk, redeemed_at__isnull=True
            ).update(redeemed_at=timezone.now())
        if not claimed:
            self._revoke_reused(authorization, request)
            raise errors.InvalidGrantError(
                description="This authorization code was already used.", request=request
            )

    def get_code_challenge(self, code: str, request: Any) -> str | None:
        grant = self._grant(code, request)
        return (grant.code_challenge or None) if grant else None

    def get_code_challenge_method(self, code: str, request: Any) -> str | None:
        grant = self._grant(code, request)
        return (grant.code_challenge_method or None) if grant else None

    def confirm_redirect_uri(
        self, client_id: str, code: str, redirect_uri: str, client: Any, *args: Any, **kwargs: Any
    ) -> bool:
        request = kwargs.get("request") or (args[0] if args else None)
        grant = self._grant(code, request) if request is not None else None
        return grant is not None and redirect_uri == grant.redirect_uri

    def get_authorization_code_nonce(
        self, client_id: str, code: str, redirect_uri: str, request: Any
    ) -> str | None:
        grant = self._grant(code, request)
        return (grant.nonce or None) if grant else None

    def get_authorization_code_scopes(
        self, client_id: str, code: str, redirect_uri: str, request: Any
    ) -> list[str]:
        grant = self._grant(code, request)
        return grant.scope.split() if grant else []

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        if getattr(request, "nentang_grant_deleted", None) == code:
            return  # deleted with the claim (claim_authorization)
        Grant.objects.filter(code=code, application=request.client).delete()

    # --- token requests: refresh -------------------------------------------------------

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        if not isinstance(refresh_token, str) or "\x00" in refresh_token:
            return False
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            reused = RefreshToken.objects.filter(
                token_checksum=checksum(refresh_token), revoked__isnull=False
            ).exists()
            if reused:
                security_event("refresh_token_reuse", client.client_id if client else "-")
            return False
        rt = request.refresh_token_instance
        account = rt.user
        if account.is_locked or not account.is_active:
            raise errors.InvalidGrantError(
                description="The account is locked: no tokens are issued for it.",
                request=request,
            )
        consent = Consent.objects.filter(
            account=account, application=client, ended_at__isnull=True
        ).first()
        original = self.get_original_scopes(refresh_token, request)
        if isinstance(original, str):
            original = original.split()
        original = set(original)
        if consent is None or not original <= set(consent.scopes):
            raise errors.InvalidGrantError(
                description="The person's consent for this client was withdrawn.",
                request=request,
            )
        request.nentang_authorization = Authorization.objects.filter(pk=rt.token_family).first()
        return True

    def _create_refresh_token(
        self, request: Any, refresh_token_code: str, access_token: Any, previous_refresh_token: Any
    ) -> Any:
        if previous_refresh_token is None:
            authorization = getattr(request, "nentang_authorization", None)
            family = authorization.id if authorization is not None else uuid.uuid4()
        else:
            family = previous_refresh_token.token_family
        refresh_token = RefreshToken(
            user=request.user,
            application=request.client,
            access_token=access_token,
            token_family=family,
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(refresh_token, refresh_token_code)
        pending = getattr(request, "nentang_pending", None)
        if pending is not None and access_token in [row for row, _links in pending]:
            position = [row for row, _links in pending].index(access_token)
            pending.append((refresh_token, {"access_token_id": position}))
        else:
            refresh_token.save()
        return refresh_token

    def _create_access_token(
        self, expires: Any, request: Any, token: Any, source_refresh_token: Any = None
    ) -> Any:
        access_token = AccessToken(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=getattr(request, "id_token", None),
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(access_token, token["access_token"])
        pending = getattr(request, "nentang_pending", None)
        if pending is not None:  # a code exchange: written with the ID token (_write_pending)
            links = {"id_token_id": 0} if pending and access_token.id_token is pending[0][0] else {}
            pending.append((access_token, links))
        elif transaction.get_connection().in_atomic_block:
            access_token.save()
        else:
            # A client-credentials grant's only write: one INSERT, atomic by itself.
            sql, params = insert_statement(access_token)
            with fixed_cursor() as cursor:
                cursor.execute(sql, params)
                mark_saved(access_token, cursor.fetchone()[0])
        return access_token

    def save_bearer_token(self, token: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        # Inside the token endpoint's transaction (code and refresh grants) the writes
        # are atomic already: no savepoint round trips. Client credentials: DOT's own.
        if transaction.get_connection().in_atomic_block:
            return self._save_bearer_token(token, request, *args, **kwargs)
        if request.grant_type == "client_credentials" and "refresh_token" not in token:
            # One row (the access token), one INSERT: no transaction round trips.
            return self._save_bearer_token(token, request, *args, **kwargs)
        return super().save_bearer_token(token, request, *args, **kwargs)

    def _check_and_set_request_resource(self, request: Any) -> None:
        # RFC 8707 resource indicators are refused at both endpoints (views), so no
        # grant carries one: nothing to look up (DOT reads the code's grant again here).
        request.resource = []

    def _save_bearer_token(self, token: Any, request: Any, *args: Any, **kwargs: Any) -> None:
        super()._save_bearer_token(token, request, *args, **kwargs)
        pending = getattr(request, "nentang_pending", None)
        if pending:
            # A code exchange's ID, access and refresh tokens: one statement (PostgreSQL).
            insert_linked(pending)
            request.nentang_pending = None
        released = getattr(request, "nentang_released", None)
        if released and request.user is not None:
            release_record(
                account=request.user,
                application=request.client,
                claims=released,
                purpose=policy_of(request.client).purpose,
            )

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        if grant_type not in ("authorization_code", "client_credentials", "refresh_token"):
            return False
        if grant_type == "refresh_token":
            return bool(client.allows_grant_type(Application.GRANT_AUTHORIZATION_CODE))
        return bool(
            super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)
        )

    def rotate_refresh_token(self, request: Any) -> bool:
        return True

    # --- ID tokens ---------------------------------------------------------------------

    def get_oidc_issuer_endpoint(self, request: Any) -> str:
        return issuer()

    def finalize_id_token(
        self, id_token: dict[str, Any], token: Any, token_handler: Any, request: Any
    ) -> str:
        client = request.client
        policy = policy_of(client)
        account = request.user
        authorization = getattr(request, "nentang_authorization", None)
        now = timezone.now()
        expires = now + timedelta(seconds=int(oauth2_settings.ID_TOKEN_EXPIRE_SECONDS))
        auth_time = authorization.auth_time if authorization else (account.last_login or now)
        acr = authorization.acr if authorization else ""
        scopes = list(request.scopes)
        claims = person_claims(account, scopes)
        id_token.update(claims)
        id_token.update(
            {
                "iss": issuer(),
                "sub": subject(
                    account_id=account.pk,
                    client_id=client.client_id,
                    internal=policy.internal,
                    sector=policy.sector,
                ),
                "aud": client.client_id,
                "exp": int(expires.timestamp()),
                "iat": int(now.timestamp()),
                "auth_time": int(auth_time.timestamp()),
                "jti": str(uuid.uuid4()),
            }
        )
        if acr:
            id_token["acr"] = acr
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        key = keys.active_key(policy.id_token_alg)
        signed = key.sign_jwt(json.dumps(id_token, default=str))
        request.id_token = IDToken(
            user=account,
            scope=" ".join(scopes),
            expires=expires,
            jti=id_token["jti"],
            application=client,
        )
        if request.grant_type == "authorization_code" and connection.in_atomic_block:
            # Written with the access and refresh tokens, in the token endpoint's
            # transaction, by _save_bearer_token (kernel.rowinserts.insert_linked).
            request.nentang_pending = [(request.id_token, {})]
        else:
            request.id_token.save()
        request.access_token = request.id_token
        request.nentang_released = [*claims, *(["acr"] if acr else [])]
        return signed

    def _get_key_for_token(self, token: str) -> Any:
        """The provider key that signed ``token`` (by ``kid``), for id_token_hint checks."""
        unverified = jws.JWS()
        unverified.deserialize(token)
        kid = unverified.jose_header.get("kid")
        found = keys.key_for_kid(kid) if isinstance(kid, str) else None
        return found.key if found is not None else None

    def _load_id_token(self, token: str) -> Any:
        key = self._get_key_for_token(token)
        if key is None:
            return None
        try:
            claims = json.loads(jwt.JWT(key=key, jwt=token).claims)
            return IDToken.objects.get(jti=claims["jti"])
        except Exception:  # any malformed or unknown token is simply not ours
            return None

    # --- resources ---------------------------------------------------------------------

    def _load_access_token(self, token: str) -> Any:
        return (
            AccessToken.objects.select_related("application__nentang_policy", "user")
            .filter(token_checksum=checksum(token))
            .first()
        )

    def validate_bearer_token(self, token: str, scopes: Any, request: Any) -> bool:
        if not super().validate_bearer_token(token, scopes, request):
            return False
        account = request.user
        return account is None or (not account.is_locked and account.is_active)

    def introspect_token(
        self, token: str, token_type_hint: str | None, request: Any, *args: Any, **kwargs: Any
    ) -> dict[str, Any] | None:
        client = request.client
        if not isinstance(token, str) or client is None or "\x00" in token:
            return None
        if client.client_type == Application.CLIENT_PUBLIC:
            return None
        everything = "introspection" in allowed_scopes(client)
        digest = checksum(token)
        access = (
            AccessToken.objects.select_related("application__nentang_policy", "user")
            .filter(token_checksum=digest)
            .first()
        )
        if access is not None:
            if access.is_expired() or access.application is None:
                return None
            if not everything and access.application_id != client.pk:
                return None
            return self._introspection(access, "Bearer", access.expires, access.scope)
        refresh = (
            RefreshToken.objects.select_related("application__nentang_policy", "user")
            .filter(token_checksum=digest, revoked__isnull=True)
            .order_by(F("revoked").desc(nulls_first=True))
            .first()
        )
        if refresh is None or (not everything and refresh.application_id != client.pk):
            return None
        linked = refresh.access_token
        scope = linked.scope if linked is not None else ""
        return self._introspection(refresh, "refresh_token", None, scope)

    def _introspection(
        self, token: Any, kind: str, expires: Any, scope: str
    ) -> dict[str, Any] | None:
        application = token.application
        account = token.user
        if account is not None and (account.is_locked or not account.is_active):
            return None
        data: dict[str, Any] = {
            "scope": scope,
            "client_id": application.client_id,
            "token_type": kind,
            "iat": int(token.created.timestamp()),
            "iss": issuer(),
            "aud": application.client_id,
        }
        if expires is not None:
            data["exp"] = int(expires.timestamp())
        if account is not None:
            policy = policy_of(application)
            data["sub"] = subject(
                account_id=account.pk,
                client_id=application.client_id,
                internal=policy.internal,
                sector=policy.sector,
            )
        return data

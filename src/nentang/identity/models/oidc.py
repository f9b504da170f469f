"""Tables of the OpenID Connect provider, next to django-oauth-toolkit's own
(``oauth2_provider.Application``, grants, access, refresh and ID tokens).

* ``ClientPolicy`` — what DOT's application lacks: how the client authenticates
  (``private_key_jwt`` with its JWKS), the e-ID level it requires, whether it is one of
  ours (public subject identifiers), its stated purpose and allowed scopes;
* ``Consent`` — a person's consent to release named data to a client for its purpose;
  ended by withdrawal (or superseded by a wider consent), never deleted;
* ``Authorization`` — one authorization-code grant and the session facts it carries
  (auth_time, acr), kept after the code is redeemed so that a reused code can revoke
  what it was exchanged for; its id is the refresh-token family;
* ``ClientAssertionUse`` — ``jti`` of the client assertions seen, until they expire
  (RFC 7523 replay protection).
"""

from __future__ import annotations

from django.db import models

from nentang.kernel.ids import new_id

APPLICATION_MODEL = "oauth2_provider.Application"


class ClientPolicy(models.Model):
    """Registration facts of one OIDC/OAuth client beyond DOT's application row."""

    class AuthMethod(models.TextChoices):
        CLIENT_SECRET_BASIC = "client_secret_basic", "client_secret_basic"
        CLIENT_SECRET_POST = "client_secret_post", "client_secret_post"
        PRIVATE_KEY_JWT = "private_key_jwt", "private_key_jwt"
        NONE = "none", "none (public client)"

    class SigningAlg(models.TextChoices):
        ES256 = "ES256", "ES256"
        RS256 = "RS256", "RS256"

    application = models.OneToOneField(
        APPLICATION_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="nentang_policy",
    )
    auth_method = models.CharField(max_length=24, choices=AuthMethod.choices)
    jwks = models.JSONField(
        null=True,
        blank=True,
        help_text="The client's public keys (a JWK Set), for private_key_jwt.",
    )
    jwks_uri = models.URLField(
        max_length=500, blank=True, default="", help_text="Where the client publishes its JWKS."
    )
    require_level = models.PositiveSmallIntegerField(
        default=1, help_text="The e-ID level (1 or 2) a person needs to log in to this client."
    )
    internal = models.BooleanField(
        default=False,
        help_text="A service of this platform: receives the public subject identifier.",
    )
    purpose = models.CharField(
        max_length=300, help_text="Why the client processes the data: shown on the consent page."
    )
    scopes = models.JSONField(default=list, help_text="Scopes the client may ask for.")
    id_token_alg = models.CharField(
        max_length=5, choices=SigningAlg.choices, default=SigningAlg.ES256
    )
    sector = models.CharField(
        max_length=255,
        blank=True,
        default="",
        help_text="Pairwise sector (clients of one organisation may share it); "
        "empty means the client's own id.",
    )
    owner = models.ForeignKey(
        "identity.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clients",
        help_text="The organisation that registered the client in the integrators' portal.",
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "client policy"
        verbose_name_plural = "client policies"

    def __str__(self) -> str:
        return f"policy of {self.application_id}"


class Consent(models.Model):
    """A person agreed that ``application`` receives the data of ``scopes`` for
    ``purpose`` (Law 91/2025/QH15 on personal data protection: consent is explicit,
    specific, recorded and withdrawable)."""

    class EndReason(models.TextChoices):
        WITHDRAWN = "withdrawn", "Withdrawn by the person"
        SUPERSEDED = "superseded", "Replaced by a wider consent"

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    account = models.ForeignKey(
        "identity.Account", on_delete=models.CASCADE, related_name="oidc_consents"
    )
    application = models.ForeignKey(
        APPLICATION_MODEL, on_delete=models.CASCADE, related_name="nentang_consents"
    )
    scopes = models.JSONField(default=list)
    purpose = models.CharField(max_length=300)
    granted_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "application"],
                condition=models.Q(ended_at__isnull=True),
                name="identity_consent_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"consent {self.id}"

    @property
    def active(self) -> bool:
        return self.ended_at is None


class Authorization(models.Model):
    """One authorization-code grant: who, which client, when the person authenticated
    and at which level. ``redeemed_at`` is set once, when the code is exchanged; a second
    exchange finds it set and revokes the token family ``id``."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    code_checksum = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(
        APPLICATION_MODEL, on_delete=models.CASCADE, related_name="nentang_authorizations"
    )
    account = models.ForeignKey(
        "identity.Account", on_delete=models.CASCADE, related_name="oidc_authorizations"
    )
    consent = models.ForeignKey(Consent, null=True, on_delete=models.SET_NULL, related_name="+")
    scope = models.TextField()
    auth_time = models.DateTimeField()
    acr = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"authorization {self.id}"


class ClientAssertionUse(models.Model):
    """A client assertion's ``jti``, kept until the assertion expires: a second use of
    the same ``jti`` by the same client is a replay (RFC 7523, section 3)."""

    application = models.ForeignKey(APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "jti"], name="identity_assertion_jti_once"
            )
        ]

    def __str__(self) -> str:
        return f"assertion {self.jti}"

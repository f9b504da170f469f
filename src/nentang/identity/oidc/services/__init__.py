"""Write operations of the OpenID Connect provider, by topic: clients (registration),
consents (grant, withdraw), tokens (revocation), keys (signing-key rotation).

Each is the transaction boundary of its change and writes its audit entry inside it.
"""

from nentang.identity.oidc.services.clients import (
    GRANTS,
    SECRET_PREFIX,
    RegisteredClient,
    client_redirect_uris_set,
    client_register,
    client_rules_check,
    secret_digest,
)
from nentang.identity.oidc.services.consents import consent_grant, consent_withdraw
from nentang.identity.oidc.services.integrators import (
    organisation_client_register,
    organisation_client_secret_rotate,
)
from nentang.identity.oidc.services.keys import signing_keys_rotate
from nentang.identity.oidc.services.tokens import logout_by_client, tokens_revoke

__all__ = [
    "GRANTS",
    "SECRET_PREFIX",
    "RegisteredClient",
    "client_redirect_uris_set",
    "client_register",
    "client_rules_check",
    "consent_grant",
    "consent_withdraw",
    "logout_by_client",
    "organisation_client_register",
    "organisation_client_secret_rotate",
    "secret_digest",
    "signing_keys_rotate",
    "tokens_revoke",
]

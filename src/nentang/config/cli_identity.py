"""`nentang keys` and `nentang clients`: the OpenID provider's signing keys and clients."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from nentang.config import cli as base


@click.group()
def keys() -> None:
    """Signing keys of the OpenID provider (ID tokens): list and rotate."""


@keys.command("rotate")
@click.option(
    "--alg",
    "algorithms",
    type=click.Choice(["ES256", "RS256"]),
    multiple=True,
    help="Only this algorithm (repeatable; default: both).",
)
def keys_rotate(algorithms: tuple[str, ...]) -> None:
    """Add a new signing key per algorithm; it signs from now on. The old public keys
    stay in the JWKS until the tokens they signed have expired."""
    base._setup()
    from nentang.identity.oidc import keys as signing
    from nentang.identity.oidc.services import signing_keys_rotate

    kids = signing_keys_rotate(actor=base._cli_actor(), algorithms=algorithms or signing.ALGORITHMS)
    for kid in kids:
        key = signing.key_for_kid(kid)
        base.console.print(f"nentang: new {key.alg if key else '?'} signing key {kid}")


@keys.command("list")
def keys_list() -> None:
    """Show the signing keys: active, retired (still published) and since when."""
    base._setup()
    from nentang.identity.oidc import keys as signing

    published = {key.kid for key in signing.published_keys()}
    table = Table(title="OpenID provider signing keys")
    for column in ("kid", "alg", "created", "state"):
        table.add_column(column)
    for key in signing.all_keys():
        if key.active:
            state = "active"
        elif key.kid in published:
            state = f"retired {key.retired_at:%Y-%m-%d %H:%M}, still published"
        else:
            state = "retired, no longer published"
        table.add_row(key.kid, key.alg, f"{key.created_at:%Y-%m-%d %H:%M}", state)
    base.console.print(table)


@click.group()
def clients() -> None:
    """OAuth 2 / OpenID Connect clients (relying parties and machine clients)."""


@clients.command("create")
@click.option("--name", required=True, help="Name shown to people on the consent page.")
@click.option(
    "--redirect-uri", "redirect_uris", multiple=True, help="Exact redirect URI (repeatable)."
)
@click.option("--post-logout-redirect-uri", "logout_uris", multiple=True, help="Repeatable.")
@click.option(
    "--public", is_flag=True, help="A public client (browser or mobile app): PKCE, no secret."
)
@click.option(
    "--grant",
    type=click.Choice(["authorization_code", "client_credentials"]),
    default="authorization_code",
    show_default=True,
)
@click.option(
    "--auth-method",
    type=click.Choice(["client_secret_basic", "client_secret_post", "private_key_jwt"]),
    default=None,
    help="How a confidential client authenticates (default client_secret_basic).",
)
@click.option("--jwks-uri", default="", help="Where the client publishes its public keys.")
@click.option("--jwks-file", type=click.File("r"), default=None, help="The client's public JWKS.")
@click.option("--require-level", type=click.IntRange(1, 2), default=1, show_default=True)
@click.option("--internal", is_flag=True, help="A service of this platform: public subject ids.")
@click.option("--purpose", default="", help="Why the client processes the data (consent page).")
@click.option(
    "--scope", "scopes", multiple=True, help="A scope the client may ask for (repeatable)."
)
@click.option(
    "--id-token-alg", type=click.Choice(["ES256", "RS256"]), default="ES256", show_default=True
)
def clients_create(
    name: str,
    redirect_uris: tuple[str, ...],
    logout_uris: tuple[str, ...],
    public: bool,
    grant: str,
    auth_method: str | None,
    jwks_uri: str,
    jwks_file: Any,
    require_level: int,
    internal: bool,
    purpose: str,
    scopes: tuple[str, ...],
    id_token_alg: str,
) -> None:
    """Register a client and print it as JSON; a secret is shown this once only."""
    base._setup()
    import json

    from nentang.identity.oidc.services import client_register
    from nentang.kernel.errors import ProblemError

    jwks = None
    if jwks_file is not None:
        try:
            jwks = json.load(jwks_file)
        except ValueError:
            base._fail("--jwks-file is not JSON.")
    try:
        registered = client_register(
            actor=base._cli_actor(),
            name=name,
            redirect_uris=redirect_uris,
            post_logout_redirect_uris=logout_uris,
            public=public,
            grant=grant,
            auth_method=auth_method,
            jwks=jwks,
            jwks_uri=jwks_uri,
            require_level=require_level,
            internal=internal,
            purpose=purpose or name,
            scopes=scopes or None,
            id_token_alg=id_token_alg,
        )
    except ProblemError as error:
        reasons = "; ".join(f"{e.field}: {e.message}" for e in error.errors)
        base._fail(f"client not registered: {reasons or error.detail}")
    click.echo(json.dumps(registered.as_dict(), ensure_ascii=False, indent=2))
    if registered.client_secret:
        click.echo("nentang: the client secret is shown once; store it now.", err=True)

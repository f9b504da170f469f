from django.apps import AppConfig


class OidcConfig(AppConfig):
    """The OpenID Connect provider of the identity context. Its tables belong to the
    ``identity`` app (identity/models/oidc.py); this app brings its admin, templates,
    demo loader and problem codes."""

    name = "nentang.identity.oidc"
    label = "identity_oidc"
    verbose_name = "OpenID Connect provider"

    def ready(self) -> None:
        from nentang.identity.oidc import problems, revocation  # noqa: F401 - codes, hooks

        revocation.install()

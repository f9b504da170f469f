from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "nentang.identity"
    label = "identity"
    verbose_name = "Electronic identity"

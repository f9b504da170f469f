from django.apps import AppConfig


class AddressesConfig(AppConfig):
    name = "nentang.addresses"
    label = "addresses"
    verbose_name = "Administrative units and addresses"

    def ready(self) -> None:
        from nentang.addresses import (
            problems,  # noqa: F401 - registers the problem codes
            views,  # its entry on the developers' page
        )

        views.install()

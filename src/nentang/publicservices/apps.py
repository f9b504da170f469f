from typing import Any

from django.apps import AppConfig
from django.core import checks


class PublicservicesConfig(AppConfig):
    name = "nentang.publicservices"
    label = "publicservices"
    verbose_name = "Online public services"

    def ready(self) -> None:
        from nentang.publicservices import (
            personaldata,
            problems,  # noqa: F401 - registers the problem codes
        )

        personaldata.install()
        from nentang.publicservices.views import navigation

        navigation.install()
        checks.register(catalogue_check)


def catalogue_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``manage check`` (and every start) refuses a malformed catalogue file, naming it."""
    from nentang.publicservices.catalogue import CatalogueError, catalogue_load

    try:
        catalogue_load()
    except CatalogueError as error:
        return [checks.Error(str(error), id="publicservices.E001")]
    return []

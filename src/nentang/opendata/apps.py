from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "nentang.opendata"
    label = "opendata"
    verbose_name = "Open data"

    def ready(self) -> None:
        from nentang.kernel.errors import register_foreign_api
        from nentang.opendata import problems  # noqa: F401 - registers the problem codes
        from nentang.opendata.views import navigation

        navigation.install()

        # CKAN's Action API answers CKAN's error shapes, not problem+json.
        register_foreign_api("/api/3/")
        register_foreign_api("/api/action/")

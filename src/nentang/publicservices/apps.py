from django.apps import AppConfig


class PublicservicesConfig(AppConfig):
    name = "nentang.publicservices"
    label = "publicservices"
    verbose_name = "Online public services"

    def ready(self) -> None:
        from nentang.publicservices import problems  # noqa: F401 - registers the problem codes

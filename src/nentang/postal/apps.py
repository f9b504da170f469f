from django.apps import AppConfig


class PostalConfig(AppConfig):
    name = "nentang.postal"
    label = "postal"
    verbose_name = "Digital post"

    def ready(self) -> None:
        from nentang.postal import problems  # noqa: F401 - registers the problem codes
        from nentang.postal.views import navigation  # its entries in the primary nav

        navigation.install()

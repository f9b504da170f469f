from django.apps import AppConfig


class SmartcityConfig(AppConfig):
    name = "nentang.smartcity"
    label = "smartcity"
    verbose_name = "Smart city"

    def ready(self) -> None:
        from nentang.smartcity import problems  # noqa: F401 - registers the problem codes

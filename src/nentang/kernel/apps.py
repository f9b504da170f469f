from django.apps import AppConfig


class KernelConfig(AppConfig):
    name = "nentang.kernel"
    label = "kernel"
    verbose_name = "Kernel"

    def ready(self) -> None:
        from nentang.kernel import checks  # noqa: F401 - registers the system checks

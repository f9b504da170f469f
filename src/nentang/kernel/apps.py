from django.apps import AppConfig


class KernelConfig(AppConfig):
    name = "nentang.kernel"
    label = "kernel"
    verbose_name = "Kernel"

    def ready(self) -> None:
        from nentang.kernel import checks, problems  # noqa: F401 - register checks and codes

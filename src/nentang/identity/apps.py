from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "nentang.identity"
    label = "identity"
    verbose_name = "Electronic identity"

    def ready(self) -> None:
        from nentang.identity import (
            problems,  # noqa: F401 - registers the problem codes
            receivers,  # Django's login/logout → tracked sessions
        )

        receivers.connect()
        from nentang.identity.views import navigation  # its entries in the primary nav

        navigation.install()
        from nentang.identity.services.portraits import portraits_sweep
        from nentang.kernel import worker

        # Portraits left by a crashed or rolled-back registration (issue 8, item 16).
        worker.on_worker_start(portraits_sweep)

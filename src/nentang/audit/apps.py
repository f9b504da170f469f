from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "nentang.audit"
    label = "audit"
    verbose_name = "Audit log and security monitoring"

    def ready(self) -> None:
        from nentang.audit import problems, sinks  # noqa: F401 - codes, kernel hooks

        sinks.install()

        from nentang.audit import receivers  # Django's login and admin → security events

        receivers.connect()
        from nentang.audit.views import navigation  # its entries on the operators' page

        navigation.install()

        from nentang.audit.services.tlog import integration_resume, pending_oldest
        from nentang.kernel import health, worker

        worker.on_worker_start(integration_resume)
        health.register_backlog("audit entries", pending_oldest)

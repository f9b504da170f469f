from django.apps import AppConfig


class KernelConfig(AppConfig):
    name = "nentang.kernel"
    label = "kernel"
    verbose_name = "Kernel"

    def ready(self) -> None:
        from nentang.kernel import checks, events, health, problems, worker  # noqa: F401 - register checks and codes

        worker.on_worker_start(events.outbox_resume)
        health.register_backlog("tasks", health.oldest_due_task)
        health.register_backlog("outbox events", events.outbox_oldest_waiting)

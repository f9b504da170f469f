from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate, pre_migrate


class PaymentsConfig(AppConfig):
    name = "nentang.payments"
    label = "payments"
    verbose_name = "Mobile money and payments"

    def ready(self) -> None:
        from nentang.payments import (
            personaldata,
            problems,  # noqa: F401 - registers the problem codes
        )
        from nentang.payments.models import entries_view
        from nentang.payments.views import navigation  # header entry and home card

        # The legs are a view over the transfers, out of the migrations' way.
        pre_migrate.connect(entries_view.drop_before_migrate, sender=self)
        post_migrate.connect(entries_view.create_after_migrate, sender=self)

        personaldata.install()
        navigation.install()
        checks.register(fee_schedule_check)
        # A request accepted just before its connection (or the worker) went away waits
        # with no task: every worker start queues one for each pending request.
        from nentang.kernel import worker
        from nentang.payments.services import requests_resume

        worker.on_worker_start(requests_resume)


def fee_schedule_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``nentang check`` (and every start) refuses a malformed fee schedule, naming the
    file and the field: a bad tariff stops the start-up, never a payment."""
    from nentang.payments.services.fee_schedule import FeeScheduleError, schedules

    try:
        schedules()
    except FeeScheduleError as error:
        return [checks.Error(str(error), id="payments.E001")]
    return []

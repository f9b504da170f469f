from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "nentang.payments"
    label = "payments"
    verbose_name = "Mobile money and payments"

    def ready(self) -> None:
        from nentang.payments import (
            personaldata,
            problems,  # noqa: F401 - registers the problem codes
        )
        from nentang.payments.views import navigation  # header entry and home card

        personaldata.install()
        navigation.install()

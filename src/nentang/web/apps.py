from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "nentang.web"
    label = "web"
    verbose_name = "Web shell"

from django.apps import AppConfig


class AddressesConfig(AppConfig):
    name = "nentang.addresses"
    label = "addresses"
    verbose_name = "Administrative units and addresses"

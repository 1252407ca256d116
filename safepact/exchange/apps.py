from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "safepact.exchange"
    label = "exchange"
    verbose_name = _("Information exchange")

    def ready(self):
        from safepact.exchange.hooks import register

        register()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "safepact.agreements"
    label = "agreements"
    verbose_name = _("Agreements")

    def ready(self):
        from safepact.agreements.services import register
        from safepact.agreements.tasks import agreement_reminders
        from safepact.lib.scheduler import register_periodic

        register()
        register_periodic("agreements.reminders", agreement_reminders)

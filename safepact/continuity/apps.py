from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContinuityConfig(AppConfig):
    name = "safepact.continuity"
    label = "continuity"
    verbose_name = _("Continuity")

    def ready(self):
        from safepact.continuity.services import register

        register()

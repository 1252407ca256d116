from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "safepact.registry"
    label = "registry"
    verbose_name = _("Registry of stolen objects")

    def ready(self):
        from safepact.registry.hooks import register

        register()

from django.apps import AppConfig


class TlpDemoConfig(AppConfig):
    name = "safepact.lib.tests.tlpdemo"
    label = "tlpdemo"
    verbose_name = "TLP demo (tests only)"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "safepact.meetings"
    label = "meetings"
    verbose_name = _("Meetings")

    def ready(self):
        from safepact.meetings.services import register

        register()

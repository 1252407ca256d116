from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "safepact.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from safepact.lib.scheduler import register_periodic
        from safepact.notifications.services import register
        from safepact.notifications.tasks import send_digests

        register()
        register_periodic("notifications.digest", send_digests)

from safepact.notifications.views import urlpatterns

app_name = "notifications"

__all__ = ["app_name", "urlpatterns"]

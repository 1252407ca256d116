from safepact.continuity.views import urlpatterns

app_name = "continuity"

__all__ = ["app_name", "urlpatterns"]

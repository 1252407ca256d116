from safepact.agreements.views import urlpatterns

app_name = "agreements"

__all__ = ["app_name", "urlpatterns"]

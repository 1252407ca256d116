from django.contrib import admin
from django.urls import include, path

from safepact.accounts import views as accounts_views
from safepact.api import api
from safepact.lib import views as lib_views
from safepact.lib.urls import tree

urlpatterns = [
    path("healthz", lib_views.healthz, name="healthz"),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("api/v1/", (tree(api.urls[0]), *api.urls[1:])),  # nested by path segment: resolves in a few steps
    path("account/", include("safepact.accounts.urls")),
    path("audit/", include("safepact.audit.urls")),
    path("admin/", admin.site.urls),
    path("", include("safepact.formation.urls")),
    path("", include("safepact.agreements.urls")),
    path("", include("safepact.meetings.urls")),
    path("", include("safepact.exchange.urls")),
    path("", include("safepact.registry.urls")),
    path("", include("safepact.continuity.urls")),
    path("", include("safepact.notifications.urls")),
    path("", include("safepact.partnerships.urls")),
]

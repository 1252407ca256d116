from django.urls import path

from safepact.registry import views_alerts as le
from safepact.registry import views_checks as partner

app_name = "registry"
P = "p/<uuid:code>/registry/"

urlpatterns = [
    # --- PAGES-PARTNER (home, checks, batches): keep your lines in this block ---
    path(P, partner.home, name="home"),
    path(P + "check/", partner.check, name="check"),
    path(P + "checks/", partner.checks, name="checks"),
    path(P + "batches/", partner.batches, name="batches"),
    path(P + "batches/new/", partner.batch_new, name="batch_new"),
    path(P + "batches/<uuid:batch>/", partner.batch, name="batch"),
    path(P + "batches/<uuid:batch>/results.csv", partner.batch_results, name="batch_results"),
    # --- end PAGES-PARTNER ---
    # --- PAGES-LE (alerts, identifiers, hits, overlaps, search, import, export, settings): your lines here ---
    path(P + "alerts/", le.alerts, name="alerts"),
    path(P + "alerts/new/", le.alert_new, name="alert_new"),
    path(P + "alerts/<uuid:alert>/", le.alert, name="alert"),
    path(P + "alerts/<uuid:alert>/edit/", le.alert_edit, name="alert_edit"),
    path(P + "alerts/<uuid:alert>/status/", le.alert_status, name="alert_status"),
    path(P + "alerts/<uuid:alert>/identifiers/new/", le.identifier_new, name="identifier_new"),
    path(P + "identifiers/<uuid:identifier>/delete/", le.identifier_delete, name="identifier_delete"),
    path(P + "hits/", le.hits, name="hits"),
    path(P + "hits/<uuid:hit>/", le.hit, name="hit"),
    path(P + "hits/<uuid:hit>/decide/", le.hit_decide, name="hit_decide"),
    path(P + "overlaps/", le.overlaps, name="overlaps"),
    path(P + "overlaps/<uuid:overlap>/resolve/", le.overlap_resolve, name="overlap_resolve"),
    path(P + "search/", le.search, name="search"),
    path(P + "import/", le.import_alerts, name="import"),
    path(P + "export.json", le.export, name="export"),
    path(P + "settings/", le.registry_settings, name="settings"),
    # --- end PAGES-LE ---
]

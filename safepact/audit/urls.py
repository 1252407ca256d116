from django.urls import path

from safepact.audit import views

app_name = "audit"
urlpatterns = [
    path("<uuid:code>/", views.trail, name="trail"),
    path("<uuid:code>/export/<str:fmt>/", views.export, name="export"),
]

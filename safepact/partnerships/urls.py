from django.urls import path

from safepact.partnerships import views

app_name = "partnerships"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("p/<uuid:code>/", views.overview, name="overview"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]

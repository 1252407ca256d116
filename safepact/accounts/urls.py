from django.urls import path

from safepact.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("2fa/setup/", views.two_factor_setup, name="2fa_setup"),
    path("confirm/", views.sudo_view, name="sudo"),
]

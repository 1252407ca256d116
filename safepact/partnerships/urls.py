from django.urls import path

from safepact.partnerships import views

app_name = "partnerships"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("p/new/", views.create, name="create"),
    path("p/<uuid:code>/", views.overview, name="overview"),
    path("p/<uuid:code>/edit/", views.edit, name="edit"),
    path("p/<uuid:code>/invite/", views.invite, name="invite"),
    path(
        "p/<uuid:code>/invitations/<uuid:inv_code>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("p/<uuid:code>/members/<uuid:m_code>/role/", views.member_role, name="member_role"),
    path("p/<uuid:code>/members/<uuid:m_code>/status/", views.member_status, name="member_status"),
    path("p/<uuid:code>/members/<uuid:m_code>/signatory/", views.member_signatory, name="member_signatory"),
    path("p/<uuid:code>/partners/<uuid:p_code>/status/", views.partner_status, name="partner_status"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]

from django.urls import path

from safepact.exchange import views_posts as posts
from safepact.exchange import views_requests as requests

app_name = "exchange"
P = "p/<uuid:code>/exchange/"

urlpatterns = [
    # --- PAGES-1 (posts, documents, files, access log, search, settings): keep your lines in this block ---
    path(P, posts.home, name="home"),
    path(P + "posts/", posts.post_list, name="posts"),
    path(P + "posts/new/", posts.post_create, name="post_new"),
    path(P + "posts/export.csv", posts.posts_export, name="posts_export"),
    path(P + "posts/<uuid:post>/", posts.post_detail, name="post"),
    path(P + "posts/<uuid:post>/edit/", posts.post_update, name="post_edit"),
    path(P + "posts/<uuid:post>/label/", posts.post_label, name="post_label"),
    path(P + "posts/<uuid:post>/forward/", posts.post_forward, name="post_forward"),
    path(P + "posts/<uuid:post>/delete/", posts.post_delete, name="post_delete"),
    path(P + "posts/<uuid:post>/files/new/", posts.post_attachment_create, name="post_attachment_new"),
    path(P + "files/<uuid:attachment>/view/", posts.attachment_view, name="attachment_view"),
    path(P + "files/<uuid:attachment>/download/", posts.attachment_download, name="attachment_download"),
    path(P + "documents/", posts.document_list, name="documents"),
    path(P + "documents/new/", posts.document_create, name="document_new"),
    path(P + "documents/<uuid:document>/", posts.document_detail, name="document"),
    path(P + "documents/<uuid:document>/edit/", posts.document_update, name="document_edit"),
    path(P + "documents/<uuid:document>/label/", posts.document_label, name="document_label"),
    path(
        P + "documents/<uuid:document>/versions/new/",
        posts.document_version_create,
        name="document_version_new",
    ),
    path(P + "versions/<uuid:version>/view/", posts.version_view, name="version_view"),
    path(P + "versions/<uuid:version>/download/", posts.version_download, name="version_download"),
    path(P + "access/<str:kind>/<uuid:item>/", posts.access_log, name="access_log"),
    path(P + "search/", posts.search_page, name="search"),
    path(P + "settings/", posts.exchange_settings, name="settings"),
    # --- end PAGES-1 ---
    # --- PAGES-2 (requests, assessments, register, subject access, legal holds): keep your lines here ---
    path(P + "requests/", requests.request_list, name="requests"),
    path(P + "requests/new/", requests.request_new, name="request_new"),
    path(P + "requests/<uuid:request>/", requests.request_detail, name="request"),
    path(P + "requests/<uuid:request>/edit/", requests.request_edit, name="request_edit"),
    path(P + "requests/<uuid:request>/submit/", requests.request_submit, name="request_submit"),
    path(P + "requests/<uuid:request>/answer/", requests.request_answer, name="request_answer"),
    path(P + "requests/<uuid:request>/decline/", requests.request_decline, name="request_decline"),
    path(P + "requests/<uuid:request>/close/", requests.request_close, name="request_close"),
    path(P + "requests/<uuid:request>/label/", requests.request_label, name="request_label"),
    path(P + "assessments/", requests.assessment_list, name="assessments"),
    path(P + "assessments/new/", requests.assessment_new, name="assessment_new"),
    path(P + "assessments/<uuid:assessment>/", requests.assessment_detail, name="assessment"),
    path(P + "assessments/<uuid:assessment>/submit/", requests.assessment_submit, name="assessment_submit"),
    path(P + "assessments/<uuid:assessment>/decide/", requests.assessment_decide, name="assessment_decide"),
    path(P + "register/", requests.register, name="register"),
    path(P + "register/new/", requests.flow_new, name="flow_new"),
    path(P + "register/art30/", requests.art30, name="art30"),
    path(P + "register/<uuid:flow>/", requests.flow_detail, name="flow"),
    path(P + "register/<uuid:flow>/edit/", requests.flow_edit, name="flow_edit"),
    path(P + "register/<uuid:flow>/end/", requests.flow_end, name="flow_end"),
    path(P + "subject-access/", requests.subject_access, name="subject_access"),
    path(P + "hold/<str:kind>/<uuid:item>/", requests.legal_hold, name="legal_hold"),
    # --- end PAGES-2 ---
]

from django.urls import path

from safepact.exchange import views_posts as posts
from safepact.exchange import views_requests as requests

app_name = "exchange"
P = "p/<uuid:code>/exchange/"

urlpatterns = [
    # --- PAGES-1 (posts, documents, files, access log, search, settings): keep your lines in this block ---
    path(P, posts.home, name="home"),
    # --- end PAGES-1 ---
    # --- PAGES-2 (requests, assessments, register, subject access, legal holds): keep your lines here ---
    path(P + "requests/", requests.request_list, name="requests"),
    # --- end PAGES-2 ---
]

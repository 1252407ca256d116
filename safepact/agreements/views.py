"""Pages for agreements (being written)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from safepact.agreements.selectors import agreement_list, get_agreement_for_user
from safepact.partnerships.selectors import get_partnership_for_user


@login_required
def agreement_list_view(request, code):
    partnership = get_partnership_for_user(request.user, code)
    agreements = agreement_list(user=request.user, partnership=partnership)
    return render(request, "agreements/list.html", {"partnership": partnership, "agreements": agreements})


@login_required
def agreement_detail(request, code, agreement_code):
    agreement = get_agreement_for_user(request.user, code, agreement_code)
    return render(request, "agreements/detail.html", {"partnership": agreement.partnership, "agreement": agreement})


urlpatterns = [
    path("p/<uuid:code>/agreements/", agreement_list_view, name="list"),
    path("p/<uuid:code>/agreements/<uuid:agreement_code>/", agreement_detail, name="detail"),
]

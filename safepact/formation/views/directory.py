"""Pages of the partner directory: search, a profile, and my organisations' profiles.

Any logged-in person searches the published profiles; an unpublished profile is 404 for everyone but
the people of its organisation, who edit, publish and unpublish it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from safepact.formation.forms.directory import DirectoryProfileForm, DirectorySearchForm, PublishForm
from safepact.formation.models import Capability
from safepact.formation.selectors.directory import (
    coordinated_partnerships,
    directory_page,
    directory_profile_of,
    get_directory_profile_for_user,
    get_own_organisation_for_user,
    my_directory_organisations,
)
from safepact.formation.services import directory as services
from safepact.partnerships.forms import apply_service_errors
from safepact.partnerships.models import CrimeArea

PER_PAGE = 25


@login_required
@require_safe
def search(request):
    form = DirectorySearchForm(request.GET or None)
    page = None  # invalid filters: show the errors, not an unfiltered list that looks filtered
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else {}
        page = directory_page(user=request.user, number=request.GET.get("page"), per_page=PER_PAGE, **filters)
    context = {
        "form": form,
        "page": page,
        "filtered": form.is_bound and any(request.GET.get(name) for name in form.fields),
    }
    fragment = bool(request.htmx) and not request.htmx.boosted
    template = "formation/directory/_results.html" if fragment else "formation/directory/search.html"
    return render(request, template, context)


@login_required
@require_safe
def profile(request, org_code):
    profile = get_directory_profile_for_user(request.user, org_code)
    areas, capabilities = dict(CrimeArea.choices), dict(Capability.choices)
    context = {
        "profile": profile,
        "organisation": profile.organisation,
        "crime_area_labels": [areas[a] for a in profile.crime_areas if a in areas],
        "capability_labels": [capabilities[c] for c in profile.capabilities if c in capabilities],
        "partnerships": coordinated_partnerships(user=request.user) if profile.published else [],
    }
    return render(request, "formation/directory/profile.html", context)


@login_required
@require_safe
def mine(request):
    organisations = my_directory_organisations(user=request.user)
    return render(request, "formation/directory/mine.html", {"organisations": organisations})


def _initial(profile) -> dict:
    if profile is None:
        return {}
    return {name: getattr(profile, name) for name in services.PROFILE_FIELDS}


@login_required
def edit(request, org_code):
    organisation = get_own_organisation_for_user(request.user, org_code)
    profile = directory_profile_of(organisation=organisation)
    form = DirectoryProfileForm(request.POST if request.method == "POST" else None, initial=_initial(profile))
    if request.method == "POST" and form.is_valid():
        try:
            profile = services.directory_profile_save(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("The directory profile of %(name)s is saved.") % {"name": organisation}
            )
            return redirect(reverse("formation:directory_edit", kwargs={"org_code": organisation.code}))
    context = {"organisation": organisation, "profile": profile, "form": form}
    return render(request, "formation/directory/edit.html", context)


@login_required
@require_POST
def publish(request, org_code):
    organisation = get_own_organisation_for_user(request.user, org_code)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Published: choose publish or unpublish."))
    else:
        published = form.cleaned_data["published"]
        try:
            services.directory_profile_set_published(
                actor=request.user, organisation=organisation, published=published
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if published:
                messages.success(request, _("The profile of %(name)s is published.") % {"name": organisation})
            else:
                messages.success(
                    request, _("The profile of %(name)s is no longer published.") % {"name": organisation}
                )
    return redirect(reverse("formation:directory_edit", kwargs={"org_code": organisation.code}))


urlpatterns: list = [
    path("directory/", search, name="directory"),
    path("directory/mine/", mine, name="directory_mine"),
    path("directory/mine/<uuid:org_code>/", edit, name="directory_edit"),
    path("directory/mine/<uuid:org_code>/publish/", publish, name="directory_publish"),
    path("directory/<uuid:org_code>/", profile, name="directory_profile"),
]

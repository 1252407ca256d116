"""Writes for the directory area of formation: an organisation's profile in the partner directory.

The people of an organisation (``OrganisationMembership``) create, edit, publish and unpublish its
profile. ``search_text`` is kept up to date here, so a search is one LIKE per word on one column.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.accounts.models import Organisation, OrganisationMembership
from safepact.audit.services import audit_record
from safepact.formation.models import Capability, DirectoryProfile
from safepact.lib import clock
from safepact.partnerships.models import CrimeArea

PROFILE_FIELDS = ("summary", "regions", "crime_areas", "capabilities", "offers", "contact_role")
LIMITS = {"summary": 5000, "regions": 300, "offers": 5000, "contact_role": 200}
SEARCH_LANGUAGES = ("en", "nl")


def register() -> None:
    from safepact.audit.selectors import register_action_labels
    from safepact.partnerships import hooks

    register_action_labels(
        {
            "formation.directory_profile.saved": gettext_lazy("Directory profile saved"),
            "formation.directory_profile.published": gettext_lazy("Directory profile published"),
            "formation.directory_profile.unpublished": gettext_lazy("Directory profile unpublished"),
        },
        {
            "formation": gettext_lazy("Forming the partnership"),
            "formation.directory_profile": gettext_lazy("Partner directory"),
        },
    )
    hooks.register_organisation_source(published_directory_organisation_ids)


def published_directory_organisation_ids(user):
    """Organisations any logged-in person may find in the directory (and so add as a candidate)."""
    return DirectoryProfile.objects.filter(published=True).values("organisation_id")


def _labels(choices, values) -> list[str]:
    names = dict(choices.choices)
    out = []
    for language in SEARCH_LANGUAGES:
        with translation.override(language):
            out += [str(names[value]) for value in values if value in names]
    return out


def build_search_text(*, organisation: Organisation, profile: DirectoryProfile) -> str:
    """Lower-cased name, summary, regions, offers, capability and crime-area labels (English and Dutch)."""
    parts = [
        organisation.name,
        profile.summary,
        profile.regions,
        profile.offers,
        *_labels(Capability, profile.capabilities),
        *_labels(CrimeArea, profile.crime_areas),
    ]
    return " ".join(" ".join(part.split()) for part in parts if part).lower()


def _clean_choices(field: str, values, choices) -> list[str]:
    values = list(dict.fromkeys(values or []))
    unknown = [str(v) for v in values if v not in choices.values]
    if unknown:
        raise ValidationError({field: _("Unknown value: %(values)s.") % {"values": ", ".join(unknown)}})
    return values


def ensure_person_of(actor, organisation: Organisation) -> None:
    if not OrganisationMembership.objects.filter(user=actor, organisation=organisation).exists():
        raise PermissionDenied(_("Only the people of this organisation can change its directory profile."))


def _snapshot(profile: DirectoryProfile) -> dict:
    return {name: getattr(profile, name) for name in (*PROFILE_FIELDS, "published")}


@transaction.atomic
def directory_profile_save(
    *,
    actor,
    organisation: Organisation,
    summary: str = "",
    regions: str = "",
    crime_areas: list[str] | None = None,
    capabilities: list[str] | None = None,
    offers: str = "",
    contact_role: str = "",
) -> DirectoryProfile:
    """Create or update the profile of ``organisation`` (the actor must be one of its people)."""
    ensure_person_of(actor, organisation)
    values = {
        "summary": (summary or "").strip(),
        "regions": (regions or "").strip(),
        "offers": (offers or "").strip(),
        "contact_role": (contact_role or "").strip(),
    }
    errors = {}
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            errors[name] = _("At most %(limit)s characters.") % {"limit": limit}
    try:
        values["crime_areas"] = _clean_choices("crime_areas", crime_areas, CrimeArea)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        values["capabilities"] = _clean_choices("capabilities", capabilities, Capability)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    profile = DirectoryProfile.objects.select_for_update().filter(organisation=organisation).first()
    created = profile is None
    if created:
        profile = DirectoryProfile(organisation=organisation)
    before = None if created else _snapshot(profile)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.search_text = build_search_text(organisation=organisation, profile=profile)
    profile.updated_at = clock.now()
    profile.updated_by = actor
    profile.full_clean()
    profile.save()
    after = _snapshot(profile)
    if before != after:
        changed = [k for k in after if before is None or before[k] != after[k]]
        audit_record(
            actor=actor,
            action="formation.directory_profile.saved",
            target=profile,
            before={k: before[k] for k in changed} if before else None,
            after={k: after[k] for k in changed},
        )
    return profile


@transaction.atomic
def directory_profile_set_published(
    *, actor, organisation: Organisation, published: bool
) -> DirectoryProfile:
    """Publish or unpublish the profile. Publishing an empty profile is refused."""
    ensure_person_of(actor, organisation)
    profile = DirectoryProfile.objects.select_for_update().filter(organisation=organisation).first()
    if profile is None:
        raise ValidationError({"published": _("Write the profile before publishing it.")})
    if published and not profile.summary.strip():
        raise ValidationError({"summary": _("Say who you are before publishing the profile.")})
    if profile.published == published:
        return profile
    profile.published = published
    profile.updated_at = clock.now()
    profile.updated_by = actor
    profile.save(update_fields=["published", "updated_at", "updated_by"])
    audit_record(
        actor=actor,
        action="formation.directory_profile.published"
        if published
        else "formation.directory_profile.unpublished",
        target=profile,
        before={"published": not published},
        after={"published": published},
    )
    return profile


def directory_profile_publish(*, actor, organisation: Organisation) -> DirectoryProfile:
    return directory_profile_set_published(actor=actor, organisation=organisation, published=True)


def directory_profile_unpublish(*, actor, organisation: Organisation) -> DirectoryProfile:
    return directory_profile_set_published(actor=actor, organisation=organisation, published=False)


@transaction.atomic
def directory_search_text_refresh(*, organisation: Organisation) -> None:
    """Rebuild ``search_text`` (e.g. after the organisation's name changed). No audit: derived data."""
    profile = DirectoryProfile.objects.select_for_update().filter(organisation=organisation).first()
    if profile is not None:
        profile.search_text = build_search_text(organisation=organisation, profile=profile)
        profile.save(update_fields=["search_text"])

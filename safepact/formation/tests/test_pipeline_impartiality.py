"""Impartiality warnings: a trade association exists, a sole company of its sector; dismissing them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from safepact.audit.models import AuditEvent
from safepact.formation.models import ImpartialityDismissal
from safepact.formation.selectors import diligence
from safepact.formation.selectors.pipeline import impartiality_split, impartiality_warnings
from safepact.formation.services.pipeline import candidate_add, candidate_move, impartiality_dismiss
from safepact.formation.tests.directory_helpers import profiled_org
from safepact.partnerships.services import partner_add

UMBRELLA, SOLE = "umbrella_exists", "sole_company"


@pytest.fixture(autouse=True)
def admitted(monkeypatch):
    monkeypatch.setattr(diligence, "candidate_admission", lambda candidate: "admitted", raising=False)


def warnings(world, partnership=None, user=None):
    return impartiality_warnings(
        user=user or world.coordinator, partnership=partnership or world.partnership_a
    )


def pairs(world, partnership=None, user=None):
    return {(w.rule, w.organisation.name) for w in warnings(world, partnership, user) if w.dismissal is None}


def partner(world, org, status="active", partnership=None, actor=None):
    return partner_add(
        actor=actor or world.coordinator,
        partnership=partnership or world.partnership_a,
        organisation=org,
        status=status,
    )


def candidate(world, org, partnership=None, actor=None):
    return candidate_add(
        actor=actor or world.coordinator, partnership=partnership or world.partnership_a, organisation=org
    )


def test_the_personas_world_has_no_warnings(world):
    # The viewer's business (sector "other") says nothing about competitors.
    assert warnings(world) == []


# Trade association ---------------------------------------------------------------------------------


def test_a_business_with_a_published_trade_association_of_its_sector_gets_a_warning(world):
    ica = profiled_org("Ica Malmö", sector="retail")
    handel = profiled_org("Svensk Handel", kind="umbrella", sector="retail")
    candidate(world, ica)
    [warning] = [w for w in warnings(world) if w.rule == UMBRELLA]
    assert warning.organisation == ica and warning.alternative == handel
    assert "Svensk Handel" in warning.message and "instead of one company" in warning.message


def test_a_trade_association_of_another_sector_gives_no_warning(world):
    candidate(world, profiled_org("Ica Malmö", sector="retail"))
    profiled_org("Visita", kind="umbrella", sector="hospitality")
    assert (UMBRELLA, "Ica Malmö") not in pairs(world)


def test_an_unpublished_trade_association_gives_no_warning(world):
    candidate(world, profiled_org("Ica Malmö", sector="retail"))
    profiled_org("Svensk Handel", kind="umbrella", sector="retail", published=False)
    assert (UMBRELLA, "Ica Malmö") not in pairs(world)


def test_the_own_association_then_the_same_country_is_preferred(world):
    profiled_org("Detailhandel Nederland", kind="umbrella", sector="retail", country="NL")
    swedish = profiled_org("Svensk Handel", kind="umbrella", sector="retail", country="SE")
    ica = profiled_org("Ica Malmö", sector="retail")
    candidate(world, ica)
    [warning] = [w for w in warnings(world) if w.rule == UMBRELLA]
    assert warning.alternative == swedish
    own = profiled_org("Aaa Retail Europe", kind="umbrella", sector="retail", country="BE")
    coop = profiled_org("Coop Malmö", sector="retail", member_of=own)
    candidate(world, coop)
    alternatives = {w.organisation.name: w.alternative for w in warnings(world) if w.rule == UMBRELLA}
    assert alternatives == {"Coop Malmö": own, "Ica Malmö": swedish}


def test_a_trade_association_abroad_is_no_alternative(world):
    candidate(world, profiled_org("Ica Malmö", sector="retail", country="SE"))
    profiled_org("Detailhandel Nederland", kind="umbrella", sector="retail", country="NL")
    assert (UMBRELLA, "Ica Malmö") not in pairs(world)


def test_a_sole_company_is_not_warned_when_its_trade_association_takes_part(world):
    candidate(world, profiled_org("Ica Malmö", sector="retail"))
    assert (SOLE, "Ica Malmö") in pairs(world)
    handel = profiled_org("Svensk Handel", kind="umbrella", sector="retail")
    partner(world, handel, status="active")
    assert (SOLE, "Ica Malmö") not in pairs(world)


def test_no_umbrella_warning_once_the_association_takes_part(world):
    candidate(world, profiled_org("Ica Malmö", sector="retail"))
    handel = profiled_org("Svensk Handel", kind="umbrella", sector="retail")
    candidate(world, handel)
    assert (UMBRELLA, "Ica Malmö") not in pairs(world)


def test_a_business_partner_is_checked_like_a_candidate(world):
    ica = profiled_org("Ica Malmö", sector="retail")
    profiled_org("Svensk Handel", kind="umbrella", sector="retail")
    partner(world, ica, status="active")
    assert (UMBRELLA, "Ica Malmö") in pairs(world)


# Sole company ------------------------------------------------------------------------------------


def test_one_business_of_a_sector_is_warned_two_are_not(world):
    partner(world, profiled_org("Ica Malmö", sector="retail"), status="active")
    assert pairs(world) == {(SOLE, "Ica Malmö")}
    partner(world, profiled_org("Coop Malmö", sector="retail"), status="invited")
    assert pairs(world) == set()


def test_a_new_candidate_that_would_be_the_only_company_of_its_sector_is_warned(world):
    candidate(world, profiled_org("Ica Malmö", sector="retail"))
    assert pairs(world) == {(SOLE, "Ica Malmö")}


def test_counted_are_active_and_invited_partners_and_invited_candidates(world):
    partner(world, profiled_org("Ica Malmö", sector="retail"), status="active")
    coop = candidate(world, profiled_org("Coop Malmö", sector="retail"))
    # Coop is only identified: Ica is still the only counted company; Coop would be the second.
    assert pairs(world) == {(SOLE, "Ica Malmö")}
    coop = candidate_move(actor=world.coordinator, candidate=coop, to_stage="assessing")
    candidate_move(actor=world.coordinator, candidate=coop, to_stage="invited")
    assert pairs(world) == set()


def test_non_business_kinds_are_ignored(world):
    partner(world, profiled_org("Svensk Handel", kind="umbrella", sector="retail"), status="active")
    partner(world, profiled_org("Hyresgästföreningen", kind="ngo", sector="real_estate"), status="active")
    partner(world, profiled_org("Skåne Region", kind="public_authority", sector="public_administration"))
    assert pairs(world) == set()


# Dismissing -----------------------------------------------------------------------------------------


def test_dismissing_needs_a_reason_and_is_audited(world):
    ica = profiled_org("Ica Malmö", sector="retail")
    partner(world, ica)
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as exc:
            impartiality_dismiss(
                actor=world.coordinator,
                partnership=world.partnership_a,
                organisation=ica,
                rule=SOLE,
                reason=reason,
            )
        assert "reason" in exc.value.message_dict
    assert not ImpartialityDismissal.objects.exists()
    impartiality_dismiss(
        actor=world.coordinator,
        partnership=world.partnership_a,
        organisation=ica,
        rule=SOLE,
        reason="The only supermarket in the area.",
    )
    open_, dismissed = impartiality_split(warnings(world))
    assert open_ == [] and [w.organisation for w in dismissed] == [ica]
    assert dismissed[0].dismissal.reason == "The only supermarket in the area."
    event = AuditEvent.objects.get(action="formation.impartiality.dismissed")
    assert event.reason == "The only supermarket in the area."
    assert event.partnership_code == str(world.partnership_a.code)


def test_a_dismissal_is_per_partnership_organisation_and_rule(world):
    ica = profiled_org("Ica Malmö", sector="retail")
    profiled_org("Svensk Handel", kind="umbrella", sector="retail")
    candidate(world, ica)
    candidate(world, ica, partnership=world.partnership_b, actor=world.coordinator_b)
    impartiality_dismiss(
        actor=world.coordinator,
        partnership=world.partnership_a,
        organisation=ica,
        rule=UMBRELLA,
        reason="Asked them",
    )
    assert pairs(world) == {(SOLE, "Ica Malmö")}
    assert pairs(world, world.partnership_b, world.coordinator_b) == {
        (SOLE, "Ica Malmö"),
        (UMBRELLA, "Ica Malmö"),
    }
    with pytest.raises(ValidationError) as exc:
        impartiality_dismiss(
            actor=world.coordinator,
            partnership=world.partnership_a,
            organisation=ica,
            rule=UMBRELLA,
            reason="Again",
        )
    assert "already" in exc.value.message_dict["rule"][0]


def test_dismissing_a_warning_that_does_not_exist_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        impartiality_dismiss(
            actor=world.coordinator,
            partnership=world.partnership_a,
            organisation=world.org_city_a,
            rule=SOLE,
            reason="Because",
        )
    assert "organisation" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        impartiality_dismiss(
            actor=world.coordinator,
            partnership=world.partnership_a,
            organisation=world.org_city_a,
            rule="x",
            reason="y",
        )
    assert "rule" in exc.value.message_dict


def test_only_coordinators_see_and_dismiss_warnings(world):
    ica = profiled_org("Ica Malmö", sector="retail")
    partner(world, ica)
    for persona in ("member", "viewer"):
        with pytest.raises(PermissionDenied):
            warnings(world, user=getattr(world, persona))
        with pytest.raises(PermissionDenied):
            impartiality_dismiss(
                actor=getattr(world, persona),
                partnership=world.partnership_a,
                organisation=ica,
                rule=SOLE,
                reason="x",
            )
    assert not ImpartialityDismissal.objects.exists()


def test_warnings_use_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for i in range(6):
        candidate(world, profiled_org(f"Shop {i}", sector=["retail", "hospitality", "security"][i % 3]))
    profiled_org("Svensk Handel", kind="umbrella", sector="retail")
    with django_assert_max_num_queries(5):
        found = warnings(world)
    assert {w.rule for w in found} == {UMBRELLA, SOLE}
    assert len(found) == 2 + 6  # the umbrella for the two retail shops; each shop alone would be the only one

"""Objectives services: focus limit, ranking, validation, motives and commitments rules, audit."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.audit.selectors import action_label
from safepact.formation.models import Commitment, FormationSettings, Objective, PartnerMotivation
from safepact.formation.selectors.objectives import focus_limit_for
from safepact.formation.services.objectives import (
    commitment_add,
    commitment_remove,
    commitments_set,
    formation_settings_set,
    motivation_set,
    objective_create,
    objective_delete,
    objective_move,
    objective_set_status,
    objective_update,
)
from safepact.formation.tests.objectives_support import add_objectives
from safepact.partnerships.models import Partner
from safepact.partnerships.services import partner_set_status


def ranks(world):
    return list(
        Objective.objects.filter(partnership=world.partnership_a)
        .order_by("priority")
        .values_list("title", "priority", "status")
    )


def titles(world):
    return [t for t, _p, _s in ranks(world)]


def partner_of(world, organisation):
    return Partner.objects.get(partnership=world.partnership_a, organisation=organisation)


# Focus limit --------------------------------------------------------------------------------------


def test_default_focus_limit_is_five_without_a_settings_row(world):
    assert not FormationSettings.objects.exists()
    assert focus_limit_for(partnership=world.partnership_a) == 5


def test_five_objectives_fit_the_default_limit_the_sixth_is_added_with_a_warning(world):
    five = add_objectives(world, 5)
    assert all(o.warnings == [] for o in five)
    sixth = objective_create(
        actor=world.coordinator, partnership=world.partnership_a, title="Sixth", indicator="count"
    )
    assert sixth.pk and sixth.status == "active", "going beyond the limit is allowed"
    [warning] = sixth.warnings
    assert warning.kind == "over_focus_limit"
    assert "6" in warning.message and "5" in warning.message


def test_raising_the_limit_removes_the_warning(world):
    add_objectives(world, 5)
    formation_settings_set(actor=world.coordinator, partnership=world.partnership_a, focus_limit=6)
    sixth = objective_create(
        actor=world.coordinator, partnership=world.partnership_a, title="6", indicator="i"
    )
    assert sixth.warnings == []
    seventh = objective_create(
        actor=world.coordinator, partnership=world.partnership_a, title="7", indicator="i"
    )
    assert [w.kind for w in seventh.warnings] == ["over_focus_limit"]


def test_reactivating_beyond_the_limit_warns(world):
    objectives = add_objectives(world, 5)
    objective_set_status(actor=world.coordinator, objective=objectives[0], status="achieved")
    add_objectives(world, 1, start=6)  # five active again
    again = objective_set_status(actor=world.coordinator, objective=objectives[0], status="active")
    assert [w.kind for w in again.warnings] == ["over_focus_limit"]
    # marking one dropped brings it back within the limit: no warning on that change
    dropped = objective_set_status(actor=world.coordinator, objective=objectives[1], status="dropped")
    assert dropped.warnings == []


def test_lowering_the_limit_is_audited_and_bounded(world):
    formation_settings_set(actor=world.coordinator, partnership=world.partnership_a, focus_limit=3)
    assert focus_limit_for(partnership=world.partnership_a) == 3
    event = AuditEvent.objects.get(action="formation.settings.changed")
    assert event.before == {"focus_limit": 5} and event.after == {"focus_limit": 3}
    assert event.partnership_code == str(world.partnership_a.code)
    for bad in (0, 21, -1):
        with pytest.raises(ValidationError) as exc:
            formation_settings_set(actor=world.coordinator, partnership=world.partnership_a, focus_limit=bad)
        assert "focus_limit" in exc.value.message_dict
    assert focus_limit_for(partnership=world.partnership_a) == 3


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_only_coordinators_set_the_focus_limit(world, persona):
    with pytest.raises(PermissionDenied):
        formation_settings_set(actor=getattr(world, persona), partnership=world.partnership_a, focus_limit=7)
    with pytest.raises(Http404):
        formation_settings_set(actor=world.outsider, partnership=world.partnership_a, focus_limit=7)
    assert not FormationSettings.objects.exists()


# Ranking ------------------------------------------------------------------------------------------


def test_new_objectives_go_after_the_active_ones_or_at_the_given_rank(world):
    add_objectives(world, 3)
    objective_create(
        actor=world.coordinator, partnership=world.partnership_a, title="Urgent", indicator="i", priority=1
    )
    objective_create(
        actor=world.coordinator, partnership=world.partnership_a, title="Far", indicator="i", priority=99
    )
    assert titles(world) == ["Urgent", "Objective 1", "Objective 2", "Objective 3", "Far"]
    assert [p for _t, p, _s in ranks(world)] == [1, 2, 3, 4, 5]


def test_move_reranks_and_keeps_priorities_contiguous(world):
    *_, four = add_objectives(world, 4)
    objective_move(actor=world.coordinator, objective=four, priority=1)
    assert titles(world) == ["Objective 4", "Objective 1", "Objective 2", "Objective 3"]
    assert four.priority == 1
    objective_move(actor=world.coordinator, objective=four, priority=3)
    assert titles(world) == ["Objective 1", "Objective 2", "Objective 4", "Objective 3"]
    event = AuditEvent.objects.filter(action="formation.objective.reranked").latest("seq")
    assert event.before == {"priority": 1} and event.after == {"priority": 3}


def test_move_out_of_range_is_refused_naming_priority(world):
    one, _two = add_objectives(world, 2)
    for bad in (0, 3):
        with pytest.raises(ValidationError) as exc:
            objective_move(actor=world.coordinator, objective=one, priority=bad)
        assert "priority" in exc.value.message_dict
    assert titles(world) == ["Objective 1", "Objective 2"]


def test_achieved_and_dropped_leave_the_ranking_and_delete_closes_the_gap(world):
    _one, two, three, _four = add_objectives(world, 4)
    objective_set_status(actor=world.coordinator, objective=two, status="achieved")
    assert ranks(world) == [
        ("Objective 1", 1, "active"),
        ("Objective 3", 2, "active"),
        ("Objective 4", 3, "active"),
        ("Objective 2", 4, "achieved"),
    ]
    with pytest.raises(ValidationError):
        objective_move(actor=world.coordinator, objective=two, priority=1)
    objective_set_status(actor=world.coordinator, objective=two, status="active")
    assert titles(world) == ["Objective 1", "Objective 3", "Objective 4", "Objective 2"]
    objective_delete(actor=world.coordinator, objective=three)
    assert [p for _t, p, _s in ranks(world)] == [1, 2, 3]
    assert AuditEvent.objects.filter(action="formation.objective.deleted").count() == 1


# Validation and audit -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("title", {"title": "   ", "indicator": "i"}),
        ("indicator", {"title": "t", "indicator": ""}),
        ("title", {"title": "x" * 201, "indicator": "i"}),
        ("priority", {"title": "t", "indicator": "i", "priority": 0}),
    ],
)
def test_bad_objectives_are_refused_naming_the_field(world, field, values):
    with pytest.raises(ValidationError) as exc:
        objective_create(actor=world.coordinator, partnership=world.partnership_a, **values)
    assert field in exc.value.message_dict
    assert not Objective.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="formation.").exists()


def test_objective_create_and_update_are_audited(world):
    objective = objective_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        title="Fewer burglaries",
        indicator="Reported burglaries per quarter",
        target_date=date(2027, 6, 30),
    )
    created = AuditEvent.objects.get(action="formation.objective.created")
    assert created.after["title"] == "Fewer burglaries" and created.after["target_date"] == "2027-06-30"
    assert created.target_code == str(objective.code)
    objective_update(actor=world.coordinator, objective=objective, indicator="Burglaries per month")
    updated = AuditEvent.objects.get(action="formation.objective.updated")
    assert updated.before == {"indicator": "Reported burglaries per quarter"}
    assert updated.after == {"indicator": "Burglaries per month"}
    assert action_label("formation.objective.created") == "Objective added"


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_only_coordinators_manage_objectives(world, persona):
    with pytest.raises(PermissionDenied):
        objective_create(
            actor=getattr(world, persona), partnership=world.partnership_a, title="t", indicator="i"
        )
    [objective] = add_objectives(world, 1)
    with pytest.raises(PermissionDenied):
        objective_set_status(actor=getattr(world, persona), objective=objective, status="dropped")


# Motives ------------------------------------------------------------------------------------------


def test_member_states_own_organisations_motives(world):
    city = partner_of(world, world.org_city_a)
    motivation = motivation_set(
        actor=world.member,
        partner=city,
        societal="  A safe Sofielund for residents. ",
        benefits=["safer", "reputation", "safer"],
    )
    assert motivation.societal == "A safe Sofielund for residents."
    assert motivation.benefits == ["reputation", "safer"]
    event = AuditEvent.objects.get(action="formation.motivation.updated")
    assert event.before is None and event.after["benefits"] == ["reputation", "safer"]


def test_member_of_one_organisation_cannot_state_anothers_motives(world):
    shop = partner_of(world, world.org_shop_a)
    with pytest.raises(PermissionDenied):
        motivation_set(actor=world.member, partner=shop, economic="not mine")
    assert not PartnerMotivation.objects.exists()


def test_viewer_cannot_state_even_own_motives_and_outsider_is_not_found(world):
    shop = partner_of(world, world.org_shop_a)
    with pytest.raises(PermissionDenied):
        motivation_set(actor=world.viewer, partner=shop, economic="fewer thefts")
    with pytest.raises(Http404):
        motivation_set(actor=world.outsider, partner=shop, economic="fewer thefts")
    assert not PartnerMotivation.objects.exists()


def test_coordinator_states_any_partners_motives(world):
    shop = partner_of(world, world.org_shop_a)
    motivation_set(actor=world.coordinator, partner=shop, economic="Lower insurance premiums")
    assert PartnerMotivation.objects.get(partner=shop).economic == "Lower insurance premiums"


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("benefits_other", {"benefits": ["other"]}),
        ("benefits_other", {"benefits": ["tax"], "benefits_other": "free parking"}),
        ("benefits", {"benefits": ["free lunch"]}),
        ("benefits_other", {"benefits": ["other"], "benefits_other": "y" * 201}),
    ],
)
def test_bad_motives_are_refused_naming_the_field(world, field, values):
    city = partner_of(world, world.org_city_a)
    with pytest.raises(ValidationError) as exc:
        motivation_set(actor=world.member, partner=city, **values)
    assert field in exc.value.message_dict
    assert not PartnerMotivation.objects.exists()


def test_other_benefit_with_text_is_stored(world):
    city = partner_of(world, world.org_city_a)
    motivation = motivation_set(
        actor=world.member, partner=city, benefits=["other"], benefits_other="Tourism"
    )
    assert motivation.benefits == ["other"] and motivation.benefits_other == "Tourism"


# Commitments --------------------------------------------------------------------------------------


def test_member_commits_own_organisation_and_withdraws(world):
    [objective] = add_objectives(world, 1)
    city = partner_of(world, world.org_city_a)
    commitment_add(actor=world.member, objective=objective, partner=city, note="Street lighting")
    commitment_add(actor=world.member, objective=objective, partner=city, note="Street lighting and CCTV")
    assert Commitment.objects.get().note == "Street lighting and CCTV"
    assert AuditEvent.objects.filter(action="formation.commitment.added").count() == 1
    assert AuditEvent.objects.filter(action="formation.commitment.updated").count() == 1
    assert commitment_remove(actor=world.member, objective=objective, partner=city) is True
    assert commitment_remove(actor=world.member, objective=objective, partner=city) is False
    assert AuditEvent.objects.filter(action="formation.commitment.removed").count() == 1


def test_commitment_permission_rule(world):
    [objective] = add_objectives(world, 1)
    shop = partner_of(world, world.org_shop_a)
    with pytest.raises(PermissionDenied):
        commitment_add(actor=world.member, objective=objective, partner=shop)
    with pytest.raises(PermissionDenied):
        commitment_add(actor=world.viewer, objective=objective, partner=shop)
    with pytest.raises(Http404):
        commitment_add(actor=world.outsider, objective=objective, partner=shop)
    assert not Commitment.objects.exists()
    commitment_add(actor=world.coordinator, objective=objective, partner=shop)
    assert Commitment.objects.count() == 1


def test_commitments_only_to_active_objectives_by_active_partners(world):
    one, two = add_objectives(world, 2)
    city = partner_of(world, world.org_city_a)
    objective_set_status(actor=world.coordinator, objective=two, status="dropped")
    with pytest.raises(ValidationError) as exc:
        commitment_add(actor=world.coordinator, objective=two, partner=city)
    assert "objective" in exc.value.message_dict
    partner_set_status(actor=world.coordinator, partner=city, status="suspended", reason="dues")
    with pytest.raises(ValidationError) as exc:
        commitment_add(actor=world.coordinator, objective=one, partner=city)
    assert "partner" in exc.value.message_dict
    assert not Commitment.objects.exists()


def test_commitment_across_partnerships_is_refused(world):
    theirs = objective_create(
        actor=world.coordinator_b, partnership=world.partnership_b, title="B", indicator="i"
    )
    city = partner_of(world, world.org_city_a)
    with pytest.raises(ValidationError):
        commitment_add(actor=world.coordinator, objective=theirs, partner=city)
    assert not Commitment.objects.exists()


def test_commitments_set_adds_and_removes(world):
    one, two, three = add_objectives(world, 3)
    city = partner_of(world, world.org_city_a)
    commitments_set(actor=world.member, partner=city, commitments={one: "", two: "Data"})
    assert set(Commitment.objects.values_list("objective__title", flat=True)) == {
        "Objective 1",
        "Objective 2",
    }
    commitments_set(actor=world.member, partner=city, commitments={three: ""})
    assert list(Commitment.objects.values_list("objective__title", flat=True)) == ["Objective 3"]
    assert AuditEvent.objects.filter(action="formation.commitment.removed").count() == 2


def test_clearing_the_description_with_null_stores_an_empty_text(world):
    from safepact.formation.services.objectives import objective_create, objective_update

    objective = objective_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        title="Fewer burglaries",
        indicator="Reported burglaries",
        description="Some text",
    )
    objective_update(actor=world.coordinator, objective=objective, description=None)
    objective.refresh_from_db()
    assert objective.description == ""

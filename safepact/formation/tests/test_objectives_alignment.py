"""The alignment matrix: rows and columns, each warning, the picture's nodes, a fixed number of queries."""

import pytest

from safepact.formation.selectors.objectives import alignment_matrix
from safepact.formation.services.objectives import (
    formation_settings_set,
    motivation_set,
    objective_set_status,
)
from safepact.formation.tests.objectives_support import NS, add_objectives, add_partners, commit
from safepact.formation.views.objectives import alignment_picture
from safepact.partnerships.models import Partner
from safepact.partnerships.selectors import get_partnership_for_user


def matrix(world, user=None):
    user = user or world.coordinator
    return alignment_matrix(user=user, partnership=get_partnership_for_user(user, world.partnership_a.code))


def partners_of_a(world):
    return {
        p.organisation_id: p
        for p in Partner.objects.filter(partnership=world.partnership_a).select_related("organisation")
    }


def kinds(alignment):
    return sorted(w.kind for w in alignment.warnings)


@pytest.fixture
def aligned(world):
    """Two objectives; every partner of A commits to one and has stated motives: no warnings."""
    one, two = add_objectives(world, 2)
    partners = partners_of_a(world)
    police, city, shop = (partners[o.pk] for o in (world.org_police_a, world.org_city_a, world.org_shop_a))
    commit(world, one, police)
    commit(world, one, city, note="Lighting")
    commit(world, two, shop)
    for partner in (police, city, shop):
        motivation_set(actor=world.coordinator, partner=partner, societal="A safer Sofielund")
    return {"one": one, "two": two, "police": police, "city": city, "shop": shop}


def test_matrix_rows_are_active_partners_and_columns_active_objectives_by_priority(world, aligned):
    objective_set_status(actor=world.coordinator, objective=aligned["one"], status="achieved")
    add_objectives(world, 1, start=3)
    alignment = matrix(world)
    assert [o.title for o in alignment.objectives] == ["Objective 2", "Objective 3"]
    assert [r.partner.organisation.name for r in alignment.rows] == [
        "Malmö stad",
        "Polisen Malmö",
        "Sofielund Fastighetsägare",
    ]
    shop_row = alignment.rows[2]
    assert [c.committed for c in shop_row.cells] == [True, False]


def test_no_warnings_when_aligned(world, aligned):
    alignment = matrix(world)
    assert alignment.warnings == []
    assert alignment.rows[0].cells[0].note == "Lighting"


def test_warning_objective_no_partner_commits_to(world, aligned):
    [lonely] = add_objectives(world, 1, start=3)
    alignment = matrix(world)
    assert kinds(alignment) == ["objective_uncommitted"]
    assert alignment.warnings[0].objective_code == lonely.code
    assert "Objective 3" in alignment.warnings[0].message


def test_warning_partner_committed_to_nothing(world, aligned):
    from safepact.formation.services.objectives import commitment_remove

    commitment_remove(actor=world.coordinator, objective=aligned["two"], partner=aligned["shop"])
    alignment = matrix(world)
    assert kinds(alignment) == ["objective_uncommitted", "partner_uncommitted"]
    partner_warning = next(w for w in alignment.warnings if w.kind == "partner_uncommitted")
    assert partner_warning.partner_code == aligned["shop"].code
    assert "Sofielund Fastighetsägare" in partner_warning.message


def test_no_partner_warning_without_objectives(world):
    for partner in partners_of_a(world).values():
        motivation_set(actor=world.coordinator, partner=partner, economic="x")
    assert matrix(world).warnings == []


def test_warning_more_active_objectives_than_the_focus_limit(world, aligned):
    formation_settings_set(actor=world.coordinator, partnership=world.partnership_a, focus_limit=2)
    assert matrix(world).warnings == []
    formation_settings_set(actor=world.coordinator, partnership=world.partnership_a, focus_limit=1)
    alignment = matrix(world)
    assert kinds(alignment) == ["over_focus_limit"]
    assert alignment.focus_limit == 1


def test_warning_partner_without_motives(world, aligned):
    [extra] = add_partners(world, 1)
    commit(world, aligned["one"], extra)
    alignment = matrix(world)
    assert kinds(alignment) == ["motives_missing"]
    assert alignment.warnings[0].partner_code == extra.code


def test_a_viewer_reads_the_same_matrix(world, aligned):
    assert kinds(matrix(world, world.viewer)) == kinds(matrix(world))
    assert len(matrix(world, world.viewer).rows) == 3


def test_picture_has_a_cell_per_partner_and_objective_with_data_attributes(world, aligned):
    import xml.etree.ElementTree as ET

    alignment = matrix(world)
    root = ET.fromstring(str(alignment_picture(alignment)))
    assert root.get("role") == "img" and root.find("svg:title", NS).text
    cells = root.findall(".//svg:g[@data-committed]", NS)
    assert len(cells) == 3 * 2
    by_key = {(c.get("data-partner"), c.get("data-objective")): c for c in cells}
    city_one = by_key[(str(aligned["city"].code), str(aligned["one"].code))]
    assert city_one.get("data-committed") == "true"
    assert "✓" in "".join(city_one.itertext()), "committed is shown by a symbol, not colour only"
    city_two = by_key[(str(aligned["city"].code), str(aligned["two"].code))]
    assert city_two.get("data-committed") == "false"
    assert city_two.find("svg:title", NS).text.startswith("Malmö stad does not commit")
    row_labels = {t.get("data-partner"): t.text for t in root.findall("svg:text[@data-partner]", NS)}
    assert row_labels[str(aligned["shop"].code)] == "Sofielund Fastighetsägare"
    column_labels = [t.text for t in root.findall("svg:text[@data-objective]", NS)]
    assert column_labels == ["1. Objective 1", "2. Objective 2"]


def _fill(world, partners, objectives):
    """``partners`` active partners (2: the shop is suspended; more: extra ones), ``objectives`` objectives."""
    from safepact.partnerships.services import partner_set_status

    shop = partners_of_a(world)[world.org_shop_a.pk]
    partner_set_status(actor=world.coordinator, partner=shop, status="suspended", reason="test")
    add_partners(world, partners - 2)
    made = add_objectives(world, objectives)
    active = [p for p in partners_of_a(world).values() if p.status == "active"]
    for i, partner in enumerate(active):
        commit(world, made[i % len(made)], partner)
        motivation_set(actor=world.coordinator, partner=partner, economic="e")


@pytest.mark.parametrize(("partners", "objectives"), [(2, 2), (12, 8)])
def test_matrix_uses_the_same_number_of_queries_for_2x2_and_12x8(
    world, django_assert_num_queries, partners, objectives
):
    _fill(world, partners, objectives)
    partnership = get_partnership_for_user(world.coordinator, world.partnership_a.code)
    # partners, objectives, commitments, motives, focus limit: whatever the size
    with django_assert_num_queries(5):
        alignment = alignment_matrix(user=world.coordinator, partnership=partnership)
        alignment_picture(alignment)
    assert len(alignment.rows) == partners and len(alignment.objectives) == objectives

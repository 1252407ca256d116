"""Query counts of the list and detail pages: the same for a handful of rows as for many agreements,
versions, parties, comments and signatures (no query per row)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_org
from safepact.agreements import services
from safepact.agreements.models import Kind
from safepact.agreements.selectors import get_agreement_for_user
from safepact.agreements.tests import support
from safepact.partnerships.services import partner_add


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def detail_url(world, agreement) -> str:
    return reverse("agreements:detail", args=[world.partnership_a.code, agreement.code])


def add_partners(world, n):
    return [
        partner_add(
            actor=world.coordinator,
            partnership=world.partnership_a,
            organisation=make_org(world.coordinator, f"Extra partner {i:02d}", "business", "SE"),
            status="active",
        )
        for i in range(n)
    ]


def save_versions(world, agreement, n):
    body = agreement.versions.order_by("-number").first().body
    for i in range(n):
        body += f"\nClause {i}.\n"
        services.version_save(
            actor=world.coordinator, agreement=support.reload(agreement), body=body, note=f"v{i}"
        )


def comment(world, agreement, n, section="Parties"):
    for i in range(n):
        services.comment_add(
            actor=world.member,
            agreement=get_agreement_for_user(
                world.member, world.partnership_a.code, agreement.code, write=True
            ),
            section=section if i % 2 else "",
            body=f"Remark {i}",
        )


def test_list_queries_do_not_grow_with_the_agreements(client, world, django_assert_max_num_queries):
    support.signatories(world)
    support.draft(world)
    client.force_login(world.coordinator)
    url = reverse("agreements:list", args=[world.partnership_a.code])
    few = queries(client, url)
    add_partners(world, 3)
    for kind in (Kind.MOU, Kind.CODE_OF_CONDUCT, Kind.CONFIDENTIALITY):
        support.in_force(world, kind)
    for _i in range(3):
        support.sign(world.coordinator, support.to_signing(world, support.draft(world)))
    many = queries(client, url)
    assert many == few
    with django_assert_max_num_queries(12):
        client.get(url)


def test_detail_queries_do_not_grow_in_review(client, world, django_assert_max_num_queries):
    """Coordinator's view of an agreement in review: versions, parties, comments and the party form."""
    small = support.draft(world)
    services.agreement_submit_for_review(actor=world.coordinator, agreement=support.reload(small))
    comment(world, small, 1)

    add_partners(world, 4)
    big = support.draft(world)
    save_versions(world, big, 6)
    services.agreement_submit_for_review(actor=world.coordinator, agreement=support.reload(big))
    comment(world, big, 8)
    services.party_remove(
        actor=world.coordinator,
        party=support.reload(big).parties.select_related("agreement__partnership").first(),
    )  # so the “add a party” form has a choice on the big one, as on the small one (after the new partners)

    client.force_login(world.coordinator)
    assert queries(client, detail_url(world, big)) == queries(client, detail_url(world, small))
    with django_assert_max_num_queries(25):
        client.get(detail_url(world, big))


def test_detail_queries_do_not_grow_while_signing(client, world):
    """A member's view of agreements open for signature, with one and with many signatures and parties."""
    support.signatories(world)
    small = support.to_signing(world, support.draft(world))
    support.sign(world.coordinator, small)

    partners = add_partners(world, 4)
    big = support.draft(world)
    save_versions(world, big, 5)
    codes = [p.code for p in partners] + [
        support.reload(big).parties.get(partner__organisation=o).partner.code
        for o in (world.org_police_a, world.org_city_a)
    ]
    big = support.to_signing(world, big, required_codes=codes)  # stays open: the new partners must sign too
    support.sign(world.coordinator, big)
    support.sign(world.member, big)

    client.force_login(world.viewer)
    small_count = queries(client, detail_url(world, small))
    assert queries(client, detail_url(world, big)) == small_count
    client.force_login(world.member)
    assert queries(client, detail_url(world, big)) == queries(client, detail_url(world, small))

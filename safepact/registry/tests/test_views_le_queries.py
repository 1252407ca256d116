"""Query counts of the law-enforcement lists stay constant: the alerts, hits and overlaps lists (and the alert
page) answer in the same number of queries for a few rows as for many."""

from django.urls import reverse

from safepact.registry import services
from safepact.registry.tests.conftest import boat_alert


def url(reg, name, *args):
    return reverse(f"registry:{name}", args=[reg.partnership.code, *args])


def _count(client, address, django_assert_max_num_queries, limit=40) -> int:
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured.captured_queries)


def phone(reg, n, *, by=None):
    return boat_alert(
        reg,
        by=by,
        category="phone",
        case_reference=f"CASE-{n}",
        identifiers=[
            {"kind": "imei", "value": f"3520990017{n:04d}"},
            {"kind": "serial", "manufacturer": "Apple", "value": f"F2LX{n:06d}"},
        ],
    )


def check(reg, value, *, user=None, membership=None, context="offered_for_sale"):
    return services.check_identifier(
        user=user or reg.marina,
        membership=membership or reg.m_marina,
        kind="imei",
        value=value,
        context=context,
    )


def test_the_alerts_list_queries_do_not_grow(client, reg, django_assert_max_num_queries):
    phone(reg, 0)
    client.force_login(reg.police)
    few = _count(client, url(reg, "alerts"), django_assert_max_num_queries)
    few_filtered = _count(
        client, url(reg, "alerts") + "?category=phone&mine=on&q=CASE", django_assert_max_num_queries
    )
    for n in range(1, 20):
        alert = phone(reg, n, by=reg.customs if n % 2 else reg.police)
        if n % 3 == 0:
            check(reg, f"3520990017{n:04d}")
        if n % 5 == 0:
            services.alert_set_status(user=alert.created_by, alert=alert, status="located")
    with django_assert_max_num_queries(few):
        page = client.get(url(reg, "alerts"))
    assert len(page.context["page"].object_list) == 20
    with django_assert_max_num_queries(few_filtered):
        client.get(url(reg, "alerts") + "?category=phone&mine=on&q=CASE")


def test_the_hits_list_queries_do_not_grow(client, reg, django_assert_max_num_queries):
    phone(reg, 0)
    check(reg, "35209900170000")
    client.force_login(reg.police)
    few = _count(client, url(reg, "hits"), django_assert_max_num_queries)
    for n in range(1, 16):
        phone(reg, n, by=reg.customs if n % 2 else reg.police)
        checker = (reg.city, reg.m_city) if n % 2 else (reg.marina, reg.m_marina)
        check(reg, f"3520990017{n:04d}", user=checker[0], membership=checker[1], context="repair")
    with django_assert_max_num_queries(few):
        page = client.get(url(reg, "hits"))
    assert len(page.context["page"].object_list) == 16


def test_the_overlaps_list_and_the_alert_page_queries_do_not_grow(client, reg, django_assert_max_num_queries):
    first = phone(reg, 0)
    phone(reg, 0, by=reg.customs)  # the same identifiers: an overlap per identifier
    client.force_login(reg.police)
    few_overlaps = _count(client, url(reg, "overlaps"), django_assert_max_num_queries)
    few_alert = _count(client, url(reg, "alert", first.code), django_assert_max_num_queries)
    for _n in range(6):
        phone(reg, 0, by=reg.customs)
    for n in range(4):
        check(reg, "35209900170000", context=("repair", "storage", "purchase", "found")[n])
    with django_assert_max_num_queries(few_overlaps):
        page = client.get(url(reg, "overlaps"))
    assert len(page.context["page"].object_list) >= 14
    with django_assert_max_num_queries(few_alert):
        page = client.get(url(reg, "alert", first.code))
    assert len(page.context["overlaps"]) >= 14 and page.context["hits"]

"""Continuity (issue 5): the dashboard of a coordinator of many partnerships, the continuity signals of
all of them, and one partnership's continuity overview.

    uv run python bench/continuity.py [--partnerships 50] [--partners 20] [--repeat 30]

World: one coordinator coordinates ``--partnerships`` partnerships of ``--partners`` active partners each
(one member per partner), each with a year of monthly meetings (every partner invited, attendance
recorded), two action items a meeting, ten activities, four quarterly progress reports with a section per
partner, an hours commitment per partner with twelve months of actuals, two funding commitments and an
agreement in force. Everything is bulk-inserted (the signals only read).

Measured (p50/p95 over ``--repeat`` runs, after a warm-up):
1. GET ``partnerships:dashboard`` through the test client (with the continuity panel, which loads its
   table by HTMX, and the attention items the continuity app registers), and GET ``continuity:mine`` as
   the panel asks for it: the side-by-side continuity of all 50 partnerships; baseline: the dashboard with
   the continuity hooks unregistered.
2. ``continuity.selectors.dashboard_health`` alone, and its query count.
3. GET ``continuity:overview`` of one partnership; baseline: ``continuity_overview`` alone.
Target (issue 5): p95 < 300 ms for the side-by-side table; the pages of 1 and 3 as well.
"""

import argparse
import gc
import os
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

from _setup import percentile, setup_django

ON = date(2026, 6, 15)


def measure(fn, repeat: int) -> tuple[float, float, int]:
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return percentile(samples, 50), percentile(samples, 95), len(samples)


def row(label: str, figures, base=None) -> str:
    ratio = f" ({figures[1] / base[1]:.1f}x baseline p95)" if base else ""
    return f"  {label:<52} p50 {figures[0]:8.1f} ms  p95 {figures[1]:8.1f} ms  n={figures[2]:<3}{ratio}"


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def build(n_partnerships: int, n_partners: int):
    from dateutil.relativedelta import relativedelta

    from safepact.accounts.models import Organisation, User
    from safepact.agreements.models import Agreement, Formality, Kind
    from safepact.agreements.models import Status as AgreementStatus
    from safepact.continuity.models import (
        Activity,
        Actual,
        Commitment,
        ProgressReport,
        ReportSection,
        ReportStatus,
        ResourceKind,
    )
    from safepact.meetings.models import ActionItem, ActionStatus, Attendance, Meeting, Participant, Status
    from safepact.partnerships.models import Membership, Partner, Partnership, PartnerStatus, Role

    coordinator = User(email="cora@bench.example", full_name="Cora Coordinator")
    coordinator.set_unusable_password()
    coordinator.save()
    joined = at(date(2025, 1, 1))
    partnerships = Partnership.objects.bulk_create(
        Partnership(name=f"Partnership {n:03d}", purpose="Safety.") for n in range(n_partnerships)
    )
    orgs = Organisation.objects.bulk_create(
        Organisation(name=f"Organisation {k:03d}", kind="business") for k in range(n_partners)
    )
    people = User.objects.bulk_create(
        User(email=f"p{n}-{k}@bench.example", full_name=f"Person {n}-{k}", password="!")
        for n in range(n_partnerships)
        for k in range(1, n_partners)
    )
    partners = Partner.objects.bulk_create(
        Partner(partnership=p, organisation=org, status=PartnerStatus.ACTIVE, joined_at=joined)
        for p in partnerships
        for org in orgs
    )
    by_partnership = {
        p.pk: partners[i * n_partners : (i + 1) * n_partners] for i, p in enumerate(partnerships)
    }
    memberships = []
    person = iter(people)
    for p in partnerships:
        for k, partner in enumerate(by_partnership[p.pk]):
            user = coordinator if k == 0 else next(person)
            role = Role.COORDINATOR if k == 0 else Role.MEMBER
            memberships.append(Membership(partner=partner, user=user, role=role))
    memberships = Membership.objects.bulk_create(memberships)
    users_of = {}
    for m in memberships:
        users_of.setdefault(m.partner_id, m.user_id)

    first_month = date(2025, 7, 1)
    meetings = Meeting.objects.bulk_create(
        Meeting(
            partnership=p,
            title=f"Plenary {month}",
            starts_at=at(first_month + relativedelta(months=month, days=9)),
            ends_at=at(first_month + relativedelta(months=month, days=9), 11),
            status=Status.HELD
            if first_month + relativedelta(months=month, days=9) < ON
            else Status.SCHEDULED,
            created_by=coordinator,
        )
        for p in partnerships
        for month in range(13)
    )
    participants, items = [], []
    for meeting in meetings:
        group = by_partnership[meeting.partnership_id]
        held = meeting.status == Status.HELD
        for k, partner in enumerate(group):
            attended = held and (k + meeting.starts_at.month) % 4 != 0
            participants.append(
                Participant(
                    meeting=meeting,
                    user_id=users_of[partner.pk],
                    partner=partner,
                    attendance=Attendance.IN_PERSON
                    if attended
                    else Attendance.ABSENT
                    if held
                    else Attendance.UNKNOWN,
                )
            )
        for j in range(2):
            owner = group[(meeting.starts_at.month + j) % len(group)]
            due = meeting.starts_at.date() + timedelta(days=30)
            done = due < ON - timedelta(days=40)
            items.append(
                ActionItem(
                    partnership_id=meeting.partnership_id,
                    meeting=meeting,
                    title=f"Action {j}",
                    owner_partner=owner,
                    due_date=due,
                    status=ActionStatus.DONE if done else ActionStatus.OPEN,
                    done_at=at(due) if done else None,
                    created_by=coordinator,
                    created_at=meeting.starts_at,
                )
            )
    Participant.objects.bulk_create(participants, batch_size=2000)
    ActionItem.objects.bulk_create(items, batch_size=2000)

    activities = []
    for p in partnerships:
        group = by_partnership[p.pk]
        for j in range(10):
            start = date(2025, 9, 1) + timedelta(days=30 * j)
            activities.append(
                Activity(
                    partnership=p,
                    title=f"Activity {j}",
                    owner_partner=group[j % len(group)],
                    start_date=start,
                    due_date=start + timedelta(days=60),
                    status="done" if j < 5 else "planned",
                    done_at=at(start + timedelta(days=50)) if j < 5 else None,
                    created_by=coordinator,
                )
            )
    Activity.objects.bulk_create(activities)

    reports, sections = [], []
    for p in partnerships:
        for q in range(4):
            start = date(2025, 4, 1) + relativedelta(months=3 * q)
            end = start + relativedelta(months=3) - timedelta(days=1)
            reports.append(
                ProgressReport(
                    partnership=p,
                    period_start=start,
                    period_end=end,
                    due_date=end + timedelta(days=14),
                    status=ReportStatus.SIGNED_OFF if q < 3 else ReportStatus.COLLECTING,
                    signed_off_at=at(end + timedelta(days=20)) if q < 3 else None,
                    created_at=at(end + timedelta(days=1)),
                )
            )
    reports = ProgressReport.objects.bulk_create(reports)
    for report in reports:
        for k, partner in enumerate(by_partnership[report.partnership_id]):
            submitted = report.status == ReportStatus.SIGNED_OFF or k % 3 == 0
            sections.append(
                ReportSection(
                    report=report, partner=partner, submitted_at=at(report.due_date) if submitted else None
                )
            )
    ReportSection.objects.bulk_create(sections, batch_size=2000)

    commitments = []
    for p in partnerships:
        group = by_partnership[p.pk]
        for partner in group:
            commitments.append(
                Commitment(
                    partnership=p,
                    partner=partner,
                    kind=ResourceKind.HOURS,
                    amount=Decimal(8),
                    starts_on=date(2025, 1, 1),
                    created_by=coordinator,
                    created_at=joined,
                )
            )
        commitments.append(
            Commitment(
                partnership=p,
                partner=group[0],
                kind=ResourceKind.FUNDING,
                amount=Decimal(50000),
                starts_on=date(2025, 1, 1),
                ends_on=date(2026, 8, 31),
                source="City fund",
                created_by=coordinator,
                created_at=joined,
            )
        )
        commitments.append(
            Commitment(
                partnership=p,
                partner=group[1],
                kind=ResourceKind.FUNDING,
                amount=Decimal(80000),
                starts_on=date(2026, 9, 1),
                ends_on=date(2027, 12, 31),
                source="EU ISF",
                created_by=coordinator,
                created_at=joined,
            )
        )
    commitments = Commitment.objects.bulk_create(commitments)
    actuals = [
        Actual(
            commitment=c,
            month=date(2025, 6, 1) + relativedelta(months=m),
            amount=Decimal(3 + (c.pk + m) % 8),
            reported_by=coordinator,
        )
        for c in commitments
        if c.kind == ResourceKind.HOURS
        for m in range(12)
    ]
    Actual.objects.bulk_create(actuals, batch_size=2000)
    Agreement.objects.bulk_create(
        Agreement(
            partnership=p,
            kind=Kind.values[0],
            formality=Formality.values[0],
            language="en",
            title="Covenant",
            status=AgreementStatus.IN_FORCE,
            final_sha256="0" * 64,
            review_date=ON + timedelta(days=20 * (i % 5)),
            expiry_date=date(2027, 12, 31),
        )
        for i, p in enumerate(partnerships)
    )
    return (
        coordinator,
        partnerships,
        {
            "participants": len(participants),
            "action items": len(items),
            "report sections": len(sections),
            "actuals": len(actuals),
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partnerships", type=int, default=50)
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="leave the objects the benchmark built in the garbage collector's generations",
    )
    args = parser.parse_args()
    vendor = setup_django()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from safepact.continuity import selectors as continuity
    from safepact.lib import clock
    from safepact.partnerships import hooks
    from safepact.partnerships.selectors import active_memberships, dashboard_for

    started = time.perf_counter()
    coordinator, partnerships, sizes = build(args.partnerships, args.partners)
    built = time.perf_counter() - started
    if not args.no_gc_freeze:
        # The world this script built (tens of thousands of ORM objects and the test client's state) lives
        # on in this process; a web server process would not hold it. Without this, a full collection that
        # walks all of it lands in a third of the runs and adds ~100 ms to them (run with --no-gc-freeze to
        # see it): a cost of the benchmark's harness, not of the page.
        gc.collect()
        gc.freeze()
    print(
        f"continuity benchmark on {vendor}: {args.partnerships} partnerships x {args.partners} partners, "
        f"a year of monthly meetings; gc {'not ' if args.no_gc_freeze else ''}frozen after building; "
        f"built in {built:.1f} s (" + ", ".join(f"{n:,} {what}" for what, n in sizes.items()) + ")"
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(coordinator)
    dashboard_url = reverse("partnerships:dashboard")
    overview_url = reverse("continuity:overview", args=[partnerships[0].code])
    mine_url = reverse("continuity:mine")

    def memberships():
        return list(
            active_memberships(coordinator).select_related("partner__partnership", "partner__organisation")
        )

    with clock.frozen(at(ON, 10)):

        def get(url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        page = get(dashboard_url)
        assert b"Partnership 000" in page.content
        with CaptureQueriesContext(connection) as ctx:
            get(dashboard_url)
        dashboard_queries = len(ctx.captured_queries)
        dashboard = measure(lambda: get(dashboard_url), args.repeat)

        # The side-by-side table the dashboard's panel loads (HTMX), also a page of its own.
        def panel():
            response = client.get(mine_url, HTTP_HX_REQUEST="true")
            assert response.status_code == 200 and response.content.count(b"data-partnership=") == len(
                partnerships
            )
            return response

        with CaptureQueriesContext(connection) as ctx:
            panel()
        panel_queries = len(ctx.captured_queries)
        side_by_side = measure(panel, args.repeat)

        # Baseline: the plain dashboard's reads without the continuity hooks.
        saved_panels, saved_attention = list(hooks._panels), list(hooks._attention)
        hooks._panels[:] = [fn for fn in saved_panels if "continuity" not in fn.__module__]
        hooks._attention[:] = [fn for fn in saved_attention if "continuity" not in fn.__module__]
        try:
            plain_page = measure(lambda: get(dashboard_url), args.repeat)
            plain = measure(lambda: dashboard_for(user=coordinator), args.repeat)
        finally:
            hooks._panels[:], hooks._attention[:] = saved_panels, saved_attention

        loaded = memberships()
        with CaptureQueriesContext(connection) as ctx:
            health_rows = continuity.dashboard_health(user=coordinator, memberships=loaded)
        health_queries = len(ctx.captured_queries)
        assert len(health_rows) == args.partnerships
        health = measure(
            lambda: continuity.dashboard_health(user=coordinator, memberships=loaded), args.repeat
        )
        one = measure(
            lambda: continuity.dashboard_health(user=coordinator, memberships=loaded[:1]), args.repeat
        )

        with CaptureQueriesContext(connection) as ctx:
            get(overview_url)
        overview_queries = len(ctx.captured_queries)
        overview_page = measure(lambda: get(overview_url), args.repeat)
        overview = measure(
            lambda: continuity.continuity_overview(user=coordinator, partnership=partnerships[0], on=ON),
            args.repeat,
        )

    print(
        f"\n1. dashboard of the coordinator ({args.partnerships} partnerships; {dashboard_queries} queries)"
    )
    print(row("baseline dashboard_for without continuity hooks", plain))
    print(row("baseline GET dashboard without continuity hooks", plain_page))
    print(row("GET partnerships:dashboard (with continuity)", dashboard, plain_page))
    print(
        row(
            f"GET continuity:mine, the side-by-side table ({panel_queries} q)",
            side_by_side,
            plain_page,
        )
    )
    print(f"\n2. dashboard_health alone ({health_queries} queries)")
    print(row("dashboard_health, 1 partnership", one))
    print(row(f"dashboard_health, {args.partnerships} partnerships", health, one))
    print(f"\n3. one partnership's continuity overview ({overview_queries} queries for the page)")
    print(row("continuity_overview selector", overview))
    print(row("GET continuity:overview", overview_page, overview))
    worst = max(dashboard[1], side_by_side[1], overview_page[1])
    print(f"\nTarget p95 < 300 ms: {'met' if worst < 300 else 'NOT met'} (worst page p95 {worst:.1f} ms)")


if __name__ == "__main__":
    main()

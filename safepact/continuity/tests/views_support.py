"""Helpers for the continuity page tests: a partnership A with an action plan, an open report and
commitments, made through the services (with the ``world`` fixture of the root conftest).

Partners: the police (coordinator), the city (member) and the property owners (viewer).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from safepact.continuity import services
from safepact.continuity.models import Activity, Commitment, ProgressReport, ReportSection
from safepact.continuity.tests.services_support import Partners, partners

TODAY = date(2026, 5, 20)
Q1 = {"period_start": date(2026, 1, 1), "period_end": date(2026, 3, 31), "due_date": date(2026, 4, 14)}


@dataclass
class Things:
    partners: Partners
    city_activity: Activity  # owned by the member's partner, overdue
    police_activity: Activity  # owned by the coordinator's partner
    report: ProgressReport
    city_section: ReportSection
    police_section: ReportSection
    city_commitment: Commitment  # hours, the member's partner
    police_commitment: Commitment  # funding, the coordinator's partner


def make_things(world) -> Things:
    p = partners(world)
    a = world.partnership_a
    city_activity = services.activity_create(
        actor=world.coordinator,
        partnership=a,
        title="Street lighting survey",
        owner_partner=p.city,
        start_date=date(2026, 2, 1),
        due_date=date(2026, 4, 30),
    )
    police_activity = services.activity_create(
        actor=world.coordinator,
        partnership=a,
        title="Burglary prevention evenings",
        owner_partner=p.police,
        start_date=date(2026, 5, 1),
        due_date=date(2026, 9, 30),
        depends_on=[city_activity],
    )
    report = services.report_open(partnership=a, **Q1)
    sections = {s.partner_id: s for s in report.sections.all()}
    city_commitment = services.commitment_create(
        actor=world.coordinator,
        partnership=a,
        partner=p.city,
        kind="hours",
        amount=Decimal(16),
        starts_on=date(2025, 10, 1),
    )
    police_commitment = services.commitment_create(
        actor=world.coordinator,
        partnership=a,
        partner=p.police,
        kind="funding",
        amount=Decimal(50000),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 6, 30),
        source="Crime prevention fund",
    )
    return Things(
        partners=p,
        city_activity=city_activity,
        police_activity=police_activity,
        report=report,
        city_section=sections[p.city.pk],
        police_section=sections[p.police.pk],
        city_commitment=city_commitment,
        police_commitment=police_commitment,
    )

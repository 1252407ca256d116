"""The continuity part of ``manage.py demo``: an action plan, a year of progress reports and the
resources partners put in, for Sofielund (English) and, lighter, De Hurk (Dutch).

Registered through ``partnerships.hooks.register_demo`` (from ``continuity.services.register``). Every
object is made by the continuity (and partnerships) services on the demo's frozen clock, each step at its
moment in the story, and each skips itself when it happened already (the activity, schedule, commitment or
month's figure exists; the section is submitted; the report is signed off; the status was changed). The
daily job (``services.run_daily``) runs on the days it would have mattered: the day after a period ends
(the report opens), three days before the deadline and the day after it (reminders, escalation). A second
run changes nothing.

* **Sofielund**: the housing company's safety host and the university's evaluator get a write role, so
  their organisations write their own sections. An action plan linked to the objectives (camera
  surveillance and its evaluation, clean-up patrols, residents' training, graffiti removal within 48 hours)
  with dependencies and one activity overdue. A quarterly report schedule from about thirteen months ago:
  three reports signed off by Karin Lindqvist, the housing company's section missing from the third; the
  latest collecting, the housing company's section missing and reminders sent. **The housing company
  drifts away**: no sections for the last two reports, its hours fall to nearly nothing (under-spent
  commitment) and, after it stopped coming, its safety host goes back to reading only. Commitments: the
  city's 60 hours a month, the police's 24, the property owners' 16, the housing company's 16; funding:
  the city's Trygg och säker stad grant (250,000 EUR) **ends in about 45 days with nothing to replace it**,
  and the property owners' levy, which goes on. Actual use recorded every month for a year.
* **De Hurk**: a Dutch action plan, a half-yearly report schedule with the first report signed off, and
  commitments (the municipality's subsidy runs until the end of next year).
"""

import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from django.utils import timezone

from safepact.continuity import services
from safepact.continuity.models import (
    Activity,
    ActivityStatus,
    Actual,
    Commitment,
    Frequency,
    ProgressReport,
    ReportSchedule,
    ReportSection,
    ReportStatus,
    ResourceKind,
)
from safepact.formation.selectors.objectives import objective_list
from safepact.lib import clock
from safepact.partnerships.models import Role
from safepact.partnerships.services import member_set_role

#: Emma Sandberg (the housing company) takes part until about this many days ago (as in meetings.demo).
DRIFT_DAYS = 125

ROLE_CHANGES = [
    # (partnership, days ago, by, person, role, reason)
    (
        "sofielund",
        397,
        "karin",
        "emma",
        Role.MEMBER,
        "The housing company writes its own part of the progress reports and records its hours.",
    ),
    (
        "sofielund",
        368,
        "karin",
        "lina",
        Role.MEMBER,
        "The university writes the evaluation part of every progress report.",
    ),
    (
        "sofielund",
        45,
        "karin",
        "emma",
        Role.VIEWER,
        "The housing company no longer takes part in the working group; its safety host keeps reading access.",
    ),
]


@dataclass
class SectionText:
    person: str
    days_after_end: int
    activities_done: list[str]  # one per report, oldest first (the last repeats)
    outputs: str
    problems: str
    next_steps: str
    hours: int  # a month
    money: int = 0  # a month


SOFIELUND_SECTIONS: dict[str, SectionText] = {
    "malmo": SectionText(
        "karin",
        3,
        [
            "Coordinated the board and the working group; mapped 14 courtyards with broken lighting.",
            "Repaired the lighting of five dark passages; prepared the spring safety walk with the owners.",
            "Organised the summer barbecue and the joint training; followed up the graffiti reporting line.",
            "Prepared the autumn safety walk and the budget for next year; asked for the grant's renewal.",
        ],
        "Minutes of every board plenary within five working days; the action plan kept up to date.",
        "The grant's renewal is not confirmed.",
        "Find funding to replace the grant; plan next year's meetings.",
        58,
        17000,
    ),
    "polisen": SectionText(
        "anders",
        5,
        [
            "Applied for camera surveillance at Sofielundsvägen; monthly figures to the board.",
            "Cameras installed and registered; visible presence at the times residents named.",
            "Plain-clothes operations against open dealing at five addresses.",
            "Police open house with the tenants' association; monthly figures to the board.",
        ],
        "Monthly burglary and dealing figures; two operations against open dealing.",
        "Dealing moves to the side streets out of view of the cameras.",
        "Follow the displacement with the university's evaluation.",
        23,
    ),
    "fastighetsagare": SectionText(
        "johan",
        6,
        [
            "Asked the members to check basement doors and storerooms.",
            "Led the spring safety walk with the tenants' association.",
            "Passages behind Sofielundsvägen 12 and 18 closed at night.",
            "Graffiti on the members' buildings removed within 48 hours in most cases.",
        ],
        "Levy collected from the members; repairs after the safety walks.",
        "Not every owner answers the association's requests.",
        "Bring the two last owners into the graffiti agreement.",
        15,
        3800,
    ),
    "rsyd": SectionText(
        "maja",
        8,
        [
            "Prepared the residents' training on fire safety in stairwells and storerooms.",
            "Checked the storerooms of two buildings with the owners.",
            "Held the joint training with eighteen residents.",
            "Planned a second residents' training for next year.",
        ],
        "One joint training; two storeroom inspections.",
        "",
        "A second training in spring.",
        0,
    ),
    "hyresgast": SectionText(
        "omar",
        9,
        [
            "Started monthly clean-up patrols with residents.",
            "Clean-up patrols every month; residents invited to the safety walk.",
            "Collected residents' questions for the police open house.",
            "Clean-up patrols every month; residents' views for the evaluation.",
        ],
        "A clean-up patrol every month with 8 to 15 residents.",
        "Fewer volunteers in the summer.",
        "Recruit new volunteers at the barbecue.",
        0,
    ),
    "mau": SectionText(
        "lina",
        10,
        [
            "Designed the evaluation of the camera surveillance and of the safety walks.",
            "Collected the baseline: the safety survey and the police figures.",
            "Interim evaluation of the cameras: less dealing in view, some displacement.",
            "Interviews with residents and partners for the yearly evaluation.",
        ],
        "Evaluation design; interim evaluation of the cameras.",
        "The survey's response rate is low in two streets.",
        "The yearly evaluation after the next quarter.",
        0,
    ),
    "bostader": SectionText(
        "emma",
        7,
        [
            "Replaced the broken locks on the basement doors at Ystadvägen 40.",
            "Caretakers report graffiti to the city's line.",
        ],
        "New locks in two buildings.",
        "Caretakers have little time for graffiti.",
        "Graffiti log by the caretakers.",
        15,
    ),
}

SOFIELUND_SUMMARIES = [
    "A good start: the board met every month, every partner wrote its section, lighting was mapped and the "
    "cameras applied for. Burglaries in basements remain the main worry.",
    "Cameras installed, five passages lit, the spring safety walk found fewer places with dealing. Every "
    "partner delivered its section on time.",
    "Dealing has moved out of view of the cameras; operations and closed passages follow. The housing "
    "company did not deliver its section and has not come to the last meetings: the coordinator will "
    "contact them.",
]

DEHURK_SECTIONS: dict[str, SectionText] = {
    "eindhoven": SectionText(
        "sanne",
        3,
        ["Overleg georganiseerd, subsidie verleend, controle van leegstaande panden samen met de politie."],
        "Drie panden gecontroleerd, twee nieuwe huurders gescreend.",
        "De verlichting langs de Achtseweg is nog niet overal hersteld.",
        "Verlichting fietspad Achtseweg; auditdossier tweede ster.",
        10,
        2500,
    ),
    "politie_ob": SectionText(
        "mehmet",
        5,
        ["Nachtelijke surveillance en maandcijfers voor het overleg; controle leegstand."],
        "Bedrijfsinbraken gedaald van 46 naar 31 op jaarbasis.",
        "",
        "Gezamenlijke controle van leegstaande panden elk kwartaal.",
        8,
    ),
    "ov_dehurk": SectionText(
        "ruud",
        4,
        ["Collectieve beveiliging gecontracteerd, offertes voor camera's aangevraagd."],
        "Contract collectieve beveiliging; welkomstpakket voor nieuwe ondernemers.",
        "Nog niemand trekt het auditdossier voor de tweede ster.",
        "Camera's bij de overige ingangen.",
        12,
    ),
    "vankempen": SectionText(
        "joost",
        8,
        ["Deelgenomen aan het overleg en de schouw."],
        "Eigen terrein beter verlicht.",
        "",
        "",
        0,
    ),
    "blc": SectionText(
        "lotte",
        9,
        ["Camerabeelden van de eigen ingang gedeeld na twee inbraakpogingen."],
        "",
        "Vrachtwagens parkeren 's nachts langs de openbare weg.",
        "Afspraken over parkeren met de gemeente.",
        0,
    ),
    "beveiliging": SectionText(
        "dennis",
        6,
        ["Collectieve surveillance elke nacht, twee rondes; meldingen naar de politie."],
        "Zes verdachte situaties gemeld, één aanhouding.",
        "",
        "Rondes afstemmen op de nieuwe camera's.",
        0,
    ),
}

DEHURK_SUMMARY = (
    "Een goed eerste halfjaar: collectieve beveiliging gestart, minder bedrijfsinbraken, leegstand onder "
    "controle. De brandweer en Autoschade De Hurk leverden geen bijdrage; het auditdossier voor de tweede "
    "ster heeft nog geen trekker."
)


@dataclass
class ActivitySpec:
    title: str
    owner: str
    start: int  # days from the day the demo runs (negative: in the past)
    due: int
    objective: str = ""
    description: str = ""
    depends_on: tuple[str, ...] = ()
    # (days from the day the demo runs, status, who)
    changes: tuple[tuple[int, str, str], ...] = ()


SOFIELUND_OBJECTIVES = {
    "burglary": "Fewer burglaries in homes, basements and storerooms",
    "dealing": "No open drug dealing in the streets",
    "graffiti": "Graffiti and vandalism removed within 24 hours",
    "safe": "Residents feel safe in Sofielund",
}

SOFIELUND_ACTIVITIES = [
    ActivitySpec(
        "Camera surveillance at Sofielundsvägen: apply, install and register",
        "polisen",
        -355,
        -270,
        "dealing",
        "Application to the police authority, installation with the city, registration and signs.",
        changes=((-340, ActivityStatus.IN_PROGRESS, "anders"), (-268, ActivityStatus.DONE, "anders")),
    ),
    ActivitySpec(
        "Evaluation of the camera surveillance",
        "mau",
        -260,
        70,
        "dealing",
        "Dealing and burglaries in view of the cameras and in the side streets, before and after.",
        depends_on=("Camera surveillance at Sofielundsvägen: apply, install and register",),
        changes=((-250, ActivityStatus.IN_PROGRESS, "lina"),),
    ),
    ActivitySpec(
        "Clean-up patrols with residents, every month",
        "hyresgast",
        -340,
        180,
        "safe",
        "A Saturday morning each month: litter, graffiti and broken lights reported to the city.",
        changes=((-330, ActivityStatus.IN_PROGRESS, "omar"),),
    ),
    ActivitySpec(
        "Residents' training: fire safety and burglary prevention",
        "rsyd",
        -250,
        -140,
        "burglary",
        "With Räddningstjänsten Syd and the insurers: stairwells, storerooms, locks.",
        changes=((-230, ActivityStatus.IN_PROGRESS, "maja"), (-148, ActivityStatus.DONE, "maja")),
    ),
    ActivitySpec(
        "Residents' training: second round",
        "rsyd",
        40,
        130,
        "burglary",
        depends_on=("Residents' training: fire safety and burglary prevention",),
    ),
    ActivitySpec(
        "Graffiti removal within 48 hours: contract and one reporting line",
        "malmo",
        -330,
        -240,
        "graffiti",
        "One number for residents and owners; the city's contractor removes graffiti within 48 hours.",
        changes=((-320, ActivityStatus.IN_PROGRESS, "karin"), (-236, ActivityStatus.DONE, "karin")),
    ),
    ActivitySpec(
        "Graffiti on the housing company's buildings: caretakers report within a day",
        "bostader",
        -230,
        -20,
        "graffiti",
        "The housing company's caretakers log graffiti daily and report it through the city's line.",
        depends_on=("Graffiti removal within 48 hours: contract and one reporting line",),
        changes=((-225, ActivityStatus.IN_PROGRESS, "emma"),),
    ),
]

DEHURK_OBJECTIVES = {
    "cameras": "Cameras at every park entrance, watched from one control room",
    "vacant": "Every vacant premises checked, and its new tenant screened",
    "star": "Second star of the Keurmerk Veilig Ondernemen",
    "burglary": "Fewer burglaries in business premises",
}

DEHURK_ACTIVITIES = [
    ActivitySpec(
        "Collectieve beveiliging: contract en nachtelijke surveillance",
        "ov_dehurk",
        -185,
        -150,
        "burglary",
        changes=((-152, ActivityStatus.DONE, "ruud"),),
    ),
    ActivitySpec(
        "Camera's bij alle zeven ingangen",
        "ov_dehurk",
        -120,
        120,
        "cameras",
        "Offertes, subsidieaanvraag, plaatsing en aansluiting op de meldkamer.",
        changes=((-90, ActivityStatus.IN_PROGRESS, "ruud"),),
    ),
    ActivitySpec(
        "Controle van leegstaande panden, elk kwartaal",
        "eindhoven",
        -180,
        180,
        "vacant",
        changes=((-175, ActivityStatus.IN_PROGRESS, "sanne"),),
    ),
    ActivitySpec(
        "Auditdossier voor de tweede ster voorbereiden",
        "eindhoven",
        60,
        300,
        "star",
        depends_on=("Camera's bij alle zeven ingangen",),
    ),
]


@dataclass
class CommitmentSpec:
    partner: str
    by: str
    kind: str
    amount: int
    source: str = ""
    note: str = ""
    ends_in: int | None = None  # days from the day the demo runs
    ends_on_year_end: int | None = None  # years ahead: ends on 31 December of that year


SOFIELUND_COMMITMENTS = [
    CommitmentSpec(
        "malmo", "karin", ResourceKind.HOURS, 60, note="City development coordinators (two at 30 h)"
    ),
    CommitmentSpec(
        "malmo",
        "karin",
        ResourceKind.FUNDING,
        250000,
        source="Malmö stad – Trygg och säker stad grant",  # noqa: RUF001 - the grant's name
        note="Pays the city development coordinators and the small repairs.",
        ends_in=45,
    ),
    CommitmentSpec("polisen", "anders", ResourceKind.HOURS, 24, note="Community police officer"),
    CommitmentSpec("fastighetsagare", "johan", ResourceKind.HOURS, 16, note="Chair and caretakers"),
    CommitmentSpec(
        "fastighetsagare",
        "johan",
        ResourceKind.FUNDING,
        48000,
        source="Property owners' levy (BID Sofielund)",
        note="Matched funding: the members pay the levy for as long as the city's grant runs.",
        ends_in=45,
    ),
    CommitmentSpec("bostader", "emma", ResourceKind.HOURS, 16, note="Safety host and caretakers"),
]

DEHURK_COMMITMENTS = [
    CommitmentSpec(
        "eindhoven",
        "sanne",
        ResourceKind.FUNDING,
        60000,
        source="Gemeente Eindhoven – subsidie Veilig Ondernemen",  # noqa: RUF001
        note="Cofinanciering camera's en procesbegeleiding.",
        ends_on_year_end=1,
    ),
    CommitmentSpec("eindhoven", "sanne", ResourceKind.HOURS, 10, note="Accountmanager Veilig Ondernemen"),
    CommitmentSpec("politie_ob", "mehmet", ResourceKind.HOURS, 8, note="Wijkagent De Hurk"),
    CommitmentSpec("ov_dehurk", "ruud", ResourceKind.HOURS, 12, note="Parkmanagement"),
    CommitmentSpec(
        "beveiliging", "dennis", ResourceKind.STAFF, 1, note="Surveillant collectieve beveiliging"
    ),
]


def continuity_demo(demo) -> None:
    """``hooks.register_demo`` entry point: schedule the continuity part of the story."""
    ContinuityDemo(demo).schedule()


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def wobble(*parts, spread: int) -> int:
    """A stable variation in ``[-spread, spread]`` (the same on every run)."""
    return zlib.crc32("|".join(str(p) for p in parts).encode()) % (2 * spread + 1) - spread


class ContinuityDemo:
    def __init__(self, demo) -> None:
        self.demo = demo
        self.today = timezone.localdate(demo.now)
        self.drift = self.today - timedelta(days=DRIFT_DAYS)
        self._commitments: dict = {}

    # Plumbing -------------------------------------------------------------------------------------------

    def moment(self, day: date, hour: int, minute: int = 0) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(hour, minute)))

    def at(self, when: datetime, fn, /, *args, **kwargs) -> None:
        """Schedule ``fn`` at ``when`` (steps that would lie ahead of the demo's now are left out)."""
        days_ago = (self.demo.now - when).total_seconds() / 86400
        if days_ago > 0:
            self.demo.schedule(days_ago, partial(fn, *args, **kwargs))

    def on(self, days: int, hour: int = 10) -> datetime:
        return self.moment(self.today + timedelta(days=days), hour)

    def objective(self, key: str, title: str):
        if not title:
            return None
        coordinator = "karin" if key == "sofielund" else "sanne"
        return (
            objective_list(user=self.demo.user(coordinator), partnership=self.demo.find_partnership(key))
            .filter(title=title)
            .first()
        )

    # Steps ----------------------------------------------------------------------------------------------

    def set_role(self, key: str, by: str, person: str, role: str, reason: str) -> None:
        membership = self.demo.membership(key, person)
        if not self.demo.done("partnerships.member.role_changed", membership, reason):
            member_set_role(actor=self.demo.user(by), membership=membership, role=role, reason=reason)

    def activity(self, key: str, spec: ActivitySpec, objectives: dict[str, str], by: str) -> None:
        partnership = self.demo.find_partnership(key)
        if Activity.objects.filter(partnership=partnership, title=spec.title).exists():
            return
        services.activity_create(
            actor=self.demo.user(by),
            partnership=partnership,
            title=spec.title,
            owner_partner=self.demo.partner(key, spec.owner),
            start_date=self.today + timedelta(days=spec.start),
            due_date=self.today + timedelta(days=spec.due),
            objective=self.objective(key, objectives.get(spec.objective, "")),
            description=spec.description,
            depends_on=list(Activity.objects.filter(partnership=partnership, title__in=spec.depends_on)),
        )

    def activity_status(self, key: str, title: str, status: str, by: str, before: str) -> None:
        """Move the activity on, only from the state the story left it in (a change by hand stays)."""
        activity = (
            Activity.objects.select_related("partnership")
            .filter(partnership=self.demo.find_partnership(key), title=title)
            .first()
        )
        if activity is not None and activity.status == before:
            services.activity_set_status(actor=self.demo.user(by), activity=activity, status=status)

    def schedule_set(self, key: str, by: str, frequency: str, starts_on: date) -> None:
        partnership = self.demo.find_partnership(key)
        if not ReportSchedule.objects.filter(partnership=partnership).exists():
            services.schedule_set(
                actor=self.demo.user(by), partnership=partnership, frequency=frequency, starts_on=starts_on
            )

    @staticmethod
    def daily() -> None:
        """The daily job, as it ran that morning (it works for every partnership with a schedule)."""
        services.run_daily(on=clock.today())

    def report(self, key: str, period_start: date) -> ProgressReport | None:
        return (
            ProgressReport.objects.select_related("partnership")
            .filter(partnership=self.demo.find_partnership(key), period_start=period_start)
            .first()
        )

    def section(self, key: str, period_start: date, org_key: str, text: SectionText, index: int) -> None:
        report = self.report(key, period_start)
        if report is None or report.status != ReportStatus.COLLECTING:
            return
        section = (
            ReportSection.objects.select_related("report__partnership", "partner")
            .filter(report=report, partner=self.demo.partner(key, org_key))
            .first()
        )
        if section is None or section.submitted_at is not None:
            return
        months = (report.period_end.year - report.period_start.year) * 12 + (
            report.period_end.month - report.period_start.month + 1
        )
        services.section_save(
            actor=self.demo.user(text.person),
            section=section,
            submit=True,
            activities_done=text.activities_done[min(index, len(text.activities_done) - 1)],
            outputs=text.outputs,
            problems=text.problems,
            next_steps=text.next_steps,
            hours_used=Decimal(
                text.hours * months + wobble(key, org_key, index, spread=3) if text.hours else 0
            ),
            money_used=Decimal(text.money * months),
        )

    def sign_off(self, key: str, period_start: date, by: str, summary: str) -> None:
        report = self.report(key, period_start)
        if report is not None and report.status == ReportStatus.COLLECTING:
            services.report_sign_off(actor=self.demo.user(by), report=report, summary=summary)

    def commitment(self, key: str, spec: CommitmentSpec, starts_on: date) -> None:
        partnership, partner = self.demo.find_partnership(key), self.demo.partner(key, spec.partner)
        if Commitment.objects.filter(
            partnership=partnership, partner=partner, kind=spec.kind, source=spec.source
        ).exists():
            return
        ends_on = None
        if spec.ends_in is not None:
            ends_on = self.today + timedelta(days=spec.ends_in)
        elif spec.ends_on_year_end is not None:
            ends_on = date(self.today.year + spec.ends_on_year_end, 12, 31)
        services.commitment_create(
            actor=self.demo.user(spec.by),
            partnership=partnership,
            partner=partner,
            kind=spec.kind,
            amount=Decimal(spec.amount),
            starts_on=starts_on,
            ends_on=ends_on,
            source=spec.source,
            note=spec.note,
        )

    def actual(self, key: str, spec: CommitmentSpec, month: date, amount: int, by: str) -> None:
        cache_key = (key, spec.partner, spec.kind, spec.source)
        commitment = self._commitments.get(cache_key)
        if commitment is None:
            commitment = (
                Commitment.objects.select_related("partnership", "partner")
                .filter(
                    partnership__name=self.demo.find_partnership(key).name,
                    partner__organisation=self.demo.find_org(spec.partner),
                    kind=spec.kind,
                    source=spec.source,
                )
                .first()
            )
            if commitment is None:
                return
            self._commitments[cache_key] = commitment
        if Actual.objects.filter(commitment=commitment, month=month).exists():
            return
        services.actual_record(
            actor=self.demo.user(by), commitment=commitment, month=month, amount=Decimal(amount)
        )

    # The story ------------------------------------------------------------------------------------------

    def schedule(self) -> None:
        for key, days_ago, by, person, role, reason in ROLE_CHANGES:
            self.demo.schedule(days_ago, partial(self.set_role, key, by, person, role, reason))
        self.sofielund()
        self.dehurk()

    def plan(self, key: str, specs: list[ActivitySpec], objectives: dict[str, str], by: str) -> None:
        for spec in specs:
            self.at(self.on(min(spec.start, -1) - 2, 9), self.activity, key, spec, objectives, by)
            previous = ActivityStatus.PLANNED
            for days, status, person in spec.changes:
                self.at(self.on(days, 11), self.activity_status, key, spec.title, status, person, previous)
                previous = status

    def reports(
        self,
        key: str,
        *,
        by: str,
        frequency: str,
        starts_on: date,
        count: int,
        sections: dict[str, SectionText],
        summaries: list[str],
        skip: set[tuple[str, int]],
        late: set[tuple[str, int]] = frozenset(),
    ) -> None:
        """The schedule, then for each ended period: opened by the daily job, sections, reminders, sign-off.

        ``skip``: (partner, report index) never delivered; ``late``: delivered the day before the deadline.
        """
        from safepact.continuity.models import MONTHS as STEP

        step = STEP[Frequency(frequency)]
        self.at(
            self.moment(starts_on, 9) + timedelta(days=9), self.schedule_set, key, by, frequency, starts_on
        )
        for index in range(count):
            start = add_months(starts_on, step * index)
            end = add_months(starts_on, step * (index + 1)) - timedelta(days=1)
            due = end + timedelta(days=14)
            self.at(self.moment(end + timedelta(days=1), 6), self.daily)
            for org_key, text in sections.items():
                if (org_key, index) in skip:
                    continue
                day = (
                    due - timedelta(days=1)
                    if (org_key, index) in late
                    else end + timedelta(days=text.days_after_end)
                )
                self.at(self.moment(day, 10), self.section, key, start, org_key, text, index)
            self.at(self.moment(due - timedelta(days=3), 6), self.daily)
            self.at(self.moment(due + timedelta(days=1), 6), self.daily)
            if index < len(summaries):
                self.at(
                    self.moment(due + timedelta(days=4), 11), self.sign_off, key, start, by, summaries[index]
                )

    def resources(self, key: str, specs: list[CommitmentSpec], starts_on: date, amounts) -> None:
        for spec in specs:
            # Each partner enters its commitment ten days into the first period, before any month's figure.
            self.at(self.moment(starts_on + timedelta(days=10), 14), self.commitment, key, spec, starts_on)
            month = starts_on
            while month < first_of_month(self.today):
                found = amounts(spec, month)
                if found is not None:
                    amount, by = found
                    self.at(
                        self.moment(add_months(month, 1) + timedelta(days=1), 9),
                        self.actual,
                        key,
                        spec,
                        month,
                        amount,
                        by,
                    )
                month = add_months(month, 1)

    # Sofielund --------------------------------------------------------------------------------------------

    def sofielund_amount(self, spec: CommitmentSpec, month: date):
        wobble_ = partial(wobble, spec.partner, spec.kind, month)
        if spec.partner == "bostader":
            if add_months(month, 1) <= self.drift:
                return 15 + wobble_(spread=1), "emma"
            if month <= self.drift:
                return 5, "emma"
            if add_months(month, -1) <= self.drift:
                return 1, "emma"
            return None  # she stopped recording
        if spec.kind == ResourceKind.FUNDING:
            base = 17000 if spec.partner == "malmo" else 3800
            return base + 100 * wobble_(spread=5), spec.by
        return spec.amount + wobble_(spread=max(1, spec.amount // 12)), spec.by

    def sofielund(self) -> None:
        key = "sofielund"
        self.plan(key, SOFIELUND_ACTIVITIES, SOFIELUND_OBJECTIVES, "karin")
        # Quarterly from the first of the month about thirteen months ago, so the fourth quarter ended two
        # to six weeks ago and its report is collecting now.
        anchor = self.today - timedelta(days=12)
        starts_on = date(anchor.year - 1, anchor.month, 1)
        self.reports(
            key,
            by="karin",
            frequency=Frequency.QUARTERLY,
            starts_on=starts_on,
            count=4,
            sections=SOFIELUND_SECTIONS,
            summaries=SOFIELUND_SUMMARIES,
            skip={("bostader", 2), ("bostader", 3)},
            late={("hyresgast", 3)},
        )
        self.resources(key, SOFIELUND_COMMITMENTS, starts_on, self.sofielund_amount)

    # De Hurk ----------------------------------------------------------------------------------------------

    def dehurk_amount(self, spec: CommitmentSpec, month: date):
        wobble_ = partial(wobble, spec.partner, spec.kind, month)
        if spec.kind == ResourceKind.FUNDING:
            return 2500 + 100 * wobble_(spread=4), spec.by
        if spec.kind == ResourceKind.STAFF:
            return 1, spec.by
        return spec.amount + wobble_(spread=2), spec.by

    def dehurk(self) -> None:
        key = "dehurk"
        self.plan(key, DEHURK_ACTIVITIES, DEHURK_OBJECTIVES, "sanne")
        anchor = self.today - timedelta(days=20)
        starts_on = add_months(first_of_month(anchor), -6)
        self.reports(
            key,
            by="sanne",
            frequency=Frequency.HALF_YEARLY,
            starts_on=starts_on,
            count=1,
            sections=DEHURK_SECTIONS,
            summaries=[DEHURK_SUMMARY],
            skip=set(),
        )
        self.resources(key, DEHURK_COMMITMENTS, add_months(starts_on, 1), self.dehurk_amount)

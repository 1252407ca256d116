"""The meetings part of ``manage.py demo``: a year of meetings in Sofielund and a lighter one in De Hurk.

Registered through ``partnerships.hooks.register_demo`` (from ``meetings.services.register``). Every
object is made by the meetings services on the demo's frozen clock, each step scheduled at its moment in
the story: a meeting is planned two weeks ahead, people answer a week before, attendance is recorded as
the meeting ends, minutes, decisions and action items follow the next morning, and owners close their
actions weeks later. Each step skips itself when it happened already (the meeting with that title and
start exists, its minutes exist, the answer was given, attendance was recorded, the action was closed or
changed by hand), so a second run changes nothing and never undoes what people changed since.

* **Sofielund** (English): a board plenary on the second Thursday of every month for the last twelve
  months (15:00-17:00) and a series of three for the coming months; a thematic discussion on open drug
  dealing, a police briefing with TLP:AMBER minutes for the police and the city only, a joint training
  with Räddningstjänsten Syd, a summer barbecue and a safety walk each spring and autumn. Attendance
  varies believably (mostly in person, some online); **the housing company drifts away**: Emma Sandberg
  comes in the first months and not at all in the last four. GREEN minutes and a decision for every
  plenary; action items with owners and due dates, most done, two open, one of them overdue (the housing
  company's).
* **De Hurk** (Dutch): a quarterly "Overleg Veilig Ondernemen", two evening site walk-throughs (schouw),
  Dutch minutes, decisions and action items.

Dates are computed from the day the command runs, so the story always ends "now".
"""

import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial

from django.utils import timezone

from safepact.meetings import services
from safepact.meetings.models import (
    ActionItem,
    ActionStatus,
    Attendance,
    Decision,
    Kind,
    Meeting,
    Minutes,
    Participant,
    Response,
)
from safepact.partnerships.models import Membership, MembershipStatus

#: Emma Sandberg (the housing company) takes part until about this many days ago, then drifts away.
DRIFT_DAYS = 125

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

SOFIELUND_OFFICE = "Sofielund neighbourhood office, Norra Grängesbergsgatan 12, Malmö"
DEHURK_OFFICE = "Bedrijvencentrum De Hurk, Eindhoven"

# The twelve past plenaries of Sofielund, oldest first: (agenda, minutes, decision).
SOFIELUND_PLENARIES: list[tuple[str, str, str]] = [
    (
        "Welcome and the year ahead\nThe partnership agreement and the first objectives\nWhere do residents "
        "feel unsafe? The survey results",
        "The board welcomed the tenants' association and the university. The city presented the safety "
        "survey: residents feel least safe in the courtyards along Ystadvägen and around the recycling "
        "station. The police see burglaries in basements and storerooms rise in the dark months.",
        "The board adopts the four objectives as the basis of the action plan.",
    ),
    (
        "Lighting in the courtyards\nCamera surveillance: the police's application\nClean-up patrols",
        "The city mapped 14 courtyards with broken or missing lighting. The police explained the "
        "application for camera surveillance at Sofielundsvägen. The tenants' association will start "
        "monthly clean-up patrols with residents.",
        "Monthly clean-up patrols start next month, led by the tenants' association.",
    ),
    (
        "Basement burglaries: locks and doors\nFigures from the police\nGraffiti: the 48-hour promise",
        "Basement burglaries fell slightly after the housing company replaced locks in two buildings. "
        "Graffiti is removed within three days on average; the goal is 48 hours, then 24.",
        "Graffiti on public and private property is reported through one number and removed within 48 hours.",
    ),
    (
        "Spring safety walk: route and invitations\nResidents' training with the fire and rescue service",
        "The route of the spring safety walk follows the survey's hot spots. Räddningstjänsten Syd offers "
        "a training for residents on fire safety in stairwells and storerooms.",
        "The board accepts the offer of a residents' training by Räddningstjänsten Syd.",
    ),
    (
        "Results of the spring safety walk\nCameras: decision of the police authority",
        "The safety walk found 9 places with signs of open dealing and 6 dark passages. The police "
        "authority approved cameras at Sofielundsvägen for two years.",
        "The city repairs the lighting of the six dark passages before the summer.",
    ),
    (
        "Summer plans: the barbecue in the park\nFigures from the police\nThe first progress report",
        "Burglaries are down a fifth on last year. The first quarterly progress report was signed off; "
        "the board thanks every partner for their section.",
        "The summer barbecue in Sofielund park takes place in August, open to all residents.",
    ),
    (
        "Open drug dealing: follow-up of the thematic discussion\nThe police open house",
        "Following the thematic discussion, owners will close two passages at night. The tenants' "
        "association collects residents' questions for the police open house.",
        "Owners close the passages behind Sofielundsvägen 12 and 18 between 22:00 and 06:00.",
    ),
    (
        "Evaluation of the cameras: first six months\nBudget for next year",
        "The university presented a first look at the camera evaluation: less dealing in view of the "
        "cameras, some displacement to the side streets. The city will ask for the grant's renewal.",
        "The university writes a short interim evaluation of the cameras for the next progress report.",
    ),
    (
        "Autumn safety walk: route\nThe housing company's caretakers and graffiti",
        "The autumn walk will check the new lighting. The housing company was not represented; the board "
        "asks the coordinator to contact them.",
        "The coordinator contacts the housing company about its participation.",
    ),
    (
        "Results of the autumn safety walk\nThe second residents' training",
        "Dealing was seen in 4 places (9 in spring). Lighting is fixed in five of the six passages. A "
        "second residents' training is planned for next year.",
        "A second residents' training is planned with Räddningstjänsten Syd next year.",
    ),
    (
        "Graffiti follow-up at the housing company's buildings\nThe third progress report",
        "Graffiti on the housing company's buildings now stays up for a week or more. The third progress "
        "report was signed off without the housing company's section.",
        "The housing company is asked to log graffiti daily and report it within a day.",
    ),
    (
        "Funding after the city's grant\nPlanning of next year's meetings",
        "The city's Trygg och säker stad grant ends soon and no renewal has been confirmed. Without it the "
        "city development coordinators' hours cannot be kept. The board plans next year's meetings.",
        "The coordinator proposes how to replace the city's grant before it ends.",
    ),
]

DEHURK_PLENARIES: list[tuple[str, str, str]] = [
    (
        "Kennismaking en werkwijze\nVeiligheidsanalyse van het bedrijventerrein\nCollectieve beveiliging",
        "De partners bespraken de veiligheidsanalyse: de meeste inbraken vinden 's nachts plaats bij "
        "bedrijven aan de Meerenakkerweg. Kempen Beveiliging presenteerde het voorstel voor collectieve "
        "surveillance.",
        "De collectieve surveillance door Kempen Beveiliging start volgende maand.",
    ),
    (
        "Camera's bij de ingangen\nLeegstaande panden\nResultaten van de schouw",
        "Twee van de zeven ingangen hebben een camera. De gemeente en de politie controleren elk kwartaal "
        "de leegstaande panden. De schouw vond vier donkere plekken.",
        "De ondernemersvereniging vraagt offertes aan voor camera's bij de overige ingangen.",
    ),
    (
        "Cijfers van de politie\nDe tweede ster van het Keurmerk\nPlanning volgend jaar",
        "Het aantal bedrijfsinbraken daalde van 46 naar 31 op jaarbasis. Voor de tweede ster is een "
        "auditdossier nodig; nog niemand heeft dat opgepakt.",
        "De gemeente onderzoekt of de subsidie Veilig Ondernemen het auditdossier kan betalen.",
    ),
]


@dataclass
class ActionSpec:
    title: str
    owner_org: str
    due_days: int  # after the meeting (or ``due_in`` days from the day the demo runs, when given)
    owner_person: str | None = None
    due_in: int | None = None
    done_days: int | None = None  # after the meeting; None: still open
    done_by: str | None = None


@dataclass
class MeetingSpec:
    key: str
    by: str
    kind: str
    title: str
    start: datetime
    end: datetime
    location: str = ""
    online_url: str = ""
    agenda: str = ""
    invitees: list[str] | None = None  # people keys; None: every active member
    minutes: str = ""
    tlp: str = "green"
    recipient_orgs: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    actions: list[ActionSpec] = field(default_factory=list)


def meetings_demo(demo) -> None:
    """``hooks.register_demo`` entry point: schedule the meetings' part of the story."""
    MeetingsDemo(demo).schedule()


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (Monday 0) of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def roll(*parts) -> int:
    """A stable number 0-99 for believable variation that is the same on every run."""
    return zlib.crc32("|".join(str(p) for p in parts).encode()) % 100


class MeetingsDemo:
    def __init__(self, demo) -> None:
        self.demo = demo
        self.today = timezone.localdate(demo.now)
        self.drift = self.today - timedelta(days=DRIFT_DAYS)
        self._people_by_email: dict[str, str] | None = None
        self._partnerships: dict = {}

    # Plumbing -------------------------------------------------------------------------------------------

    def moment(self, day: date, hour: int, minute: int = 0) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(hour, minute)))

    def at(self, when: datetime, fn, /, *args, **kwargs) -> None:
        """Schedule ``fn`` at ``when`` on the demo's timeline (steps that would lie ahead are left out)."""
        days_ago = (self.demo.now - when).total_seconds() / 86400
        if days_ago > 0:
            self.demo.schedule(days_ago, partial(fn, *args, **kwargs))

    def person_key(self, email: str) -> str | None:
        if self._people_by_email is None:
            self._people_by_email = {e.lower(): key for key, (e, _n, _l) in self.demo.people.items()}
        return self._people_by_email.get(email.lower())

    def partnership(self, key: str):
        if key not in self._partnerships:
            self._partnerships[key] = self.demo.find_partnership(key)
        return self._partnerships[key]

    def find(self, key: str, title: str, start: datetime) -> Meeting | None:
        return (
            Meeting.objects.select_related("partnership")
            .filter(partnership=self.partnership(key), title=title, starts_at=start)
            .first()
        )

    # Steps ----------------------------------------------------------------------------------------------

    def create(self, spec: MeetingSpec) -> None:
        if self.find(spec.key, spec.title, spec.start) is not None:
            return
        invitees = None
        if spec.invitees is not None:
            invitees = [self.demo.membership(spec.key, person) for person in spec.invitees]
        services.meeting_create(
            actor=self.demo.user(spec.by),
            partnership=self.partnership(spec.key),
            kind=spec.kind,
            title=spec.title,
            starts_at=spec.start,
            ends_at=spec.end,
            location=spec.location,
            online_url=spec.online_url,
            agenda=spec.agenda,
            invitees=invitees,
        )

    def participants(self, meeting: Meeting) -> list[tuple[str, Participant]]:
        found = Participant.objects.filter(meeting=meeting).select_related("user").order_by("id")
        return [(self.person_key(p.user.email), p) for p in found if self.person_key(p.user.email)]

    def respond(self, spec: MeetingSpec, plan) -> None:
        """Those who will come say so, most of those who will not say that too; some never answer."""
        meeting = self.find(spec.key, spec.title, spec.start)
        if meeting is None or meeting.status != "scheduled":
            return
        active = self.active_users(spec.key)
        for person, participant in self.participants(meeting):
            if participant.response != Response.PENDING or participant.user_id not in active:
                continue
            attendance, answer = plan(person, spec), roll(spec.title, spec.start, person, "answer")
            if attendance == Attendance.ABSENT:
                if answer < 30:
                    continue  # no answer
                response = Response.DECLINED
            else:
                if answer < 40:
                    continue  # comes without having answered, as people do
                response = Response.ACCEPTED
            participant.meeting = meeting
            services.participant_respond(actor=participant.user, participant=participant, response=response)

    def active_users(self, key: str) -> set[int]:
        return set(
            Membership.objects.filter(
                partner__partnership=self.partnership(key), status=MembershipStatus.ACTIVE
            ).values_list("user_id", flat=True)
        )

    def attend(self, spec: MeetingSpec, plan) -> None:
        meeting = self.find(spec.key, spec.title, spec.start)
        if meeting is None or meeting.status == "cancelled":
            return
        participants = self.participants(meeting)
        if any(p.attendance != Attendance.UNKNOWN for _person, p in participants):
            return
        services.attendance_record(
            actor=self.demo.user(spec.by),
            meeting=meeting,
            attendance={p.code: plan(person, spec) for person, p in participants},
        )

    def write_up(self, spec: MeetingSpec) -> None:
        """Minutes, decisions and action items, the morning after."""
        meeting = self.find(spec.key, spec.title, spec.start)
        if meeting is None or meeting.status == "cancelled":
            return
        actor = self.demo.user(spec.by)
        if spec.minutes and not Minutes.objects.filter(meeting=meeting).exists():
            services.minutes_save(
                actor=actor,
                meeting=meeting,
                text=spec.minutes,
                tlp=spec.tlp,
                recipient_organisations=[self.demo.find_org(org) for org in spec.recipient_orgs],
            )
        for text in spec.decisions:
            if not Decision.objects.filter(meeting=meeting, text=text).exists():
                services.decision_add(actor=actor, meeting=meeting, text=text)
        for action in spec.actions:
            if ActionItem.objects.filter(meeting=meeting, title=action.title).exists():
                continue
            services.action_item_create(
                actor=actor,
                meeting=meeting,
                title=action.title,
                owner_partner=self.demo.partner(spec.key, action.owner_org),
                due_date=self.today + timedelta(days=action.due_in)
                if action.due_in is not None
                else spec.start.date() + timedelta(days=action.due_days),
                owner_person=self.demo.user(action.owner_person) if action.owner_person else None,
            )

    def close_action(self, spec: MeetingSpec, action: ActionSpec) -> None:
        item = (
            ActionItem.objects.select_related("partnership")
            .filter(
                meeting__in=Meeting.objects.filter(title=spec.title, starts_at=spec.start), title=action.title
            )
            .first()
        )
        # Only an item nobody touched since it was made (a status set by hand stays).
        if item is None or item.status != ActionStatus.OPEN or item.done_at is not None:
            return
        services.action_item_set_status(
            actor=self.demo.user(action.done_by or action.owner_person or spec.by),
            item=item,
            status=ActionStatus.DONE,
        )

    def held(self, spec: MeetingSpec, plan) -> None:
        """Schedule a meeting's whole life: planned, answered, held, written up, actions closed."""
        self.at(spec.start - timedelta(days=14), self.create, spec)
        self.at(spec.start - timedelta(days=7), self.respond, spec, plan)
        self.at(spec.end + timedelta(minutes=20), self.attend, spec, plan)
        self.at(spec.end + timedelta(hours=17), self.write_up, spec)
        for action in spec.actions:
            if action.done_days is not None:
                self.at(
                    spec.start + timedelta(days=action.done_days, hours=1), self.close_action, spec, action
                )

    def planned(self, spec: MeetingSpec) -> None:
        """A meeting ahead, planned three weeks before it (or two days ago, when that is sooner)."""
        self.at(min(spec.start - timedelta(days=21), self.demo.now - timedelta(days=2)), self.create, spec)

    # The story ------------------------------------------------------------------------------------------

    def schedule(self) -> None:
        self.sofielund()
        self.dehurk()

    def past(self, day: date, *, oldest: int = 360) -> bool:
        return self.today - timedelta(days=oldest) <= day < self.today

    # Sofielund --------------------------------------------------------------------------------------------

    def sofielund_plan(self, person: str, spec: MeetingSpec) -> str:
        """Who came, and how: believable, and the housing company drifting away."""
        day, r = spec.start.date(), roll(spec.title, spec.start, person)
        if person == "karin":
            return Attendance.IN_PERSON
        if person == "anders":
            return Attendance.ONLINE if r < 20 else Attendance.IN_PERSON
        if person == "emma":
            if day >= self.drift:
                return Attendance.ABSENT
            return Attendance.ABSENT if r < 15 else Attendance.IN_PERSON
        if person == "lina":
            if day >= self.today - timedelta(days=60):
                return Attendance.ONLINE
            return Attendance.ABSENT if r < 40 else Attendance.ONLINE if r < 80 else Attendance.IN_PERSON
        if person == "maja":
            if spec.kind == Kind.TRAINING:
                return Attendance.IN_PERSON
            return Attendance.ABSENT if r < 30 else Attendance.ONLINE if r < 50 else Attendance.IN_PERSON
        if person == "sara":
            return Attendance.ABSENT if r < 40 else Attendance.IN_PERSON
        # johan, omar and anyone else
        return Attendance.ABSENT if r < 12 else Attendance.ONLINE if r < 20 else Attendance.IN_PERSON

    def plenary_days(self) -> tuple[list[date], list[date]]:
        """The second Thursday of each month: the last twelve held, the next three planned."""
        days = [
            nth_weekday(d.year, d.month, 3, 2) for d in (add_months(self.today, m) for m in range(-13, 4))
        ]
        held = [d for d in days if d < self.today][-12:]
        ahead = [d for d in days if d > self.today][:3]
        return held, ahead

    def sofielund(self) -> None:
        key = "sofielund"
        plan = self.sofielund_plan
        held, ahead = self.plenary_days()
        for index, (day, (agenda, minutes, decision)) in enumerate(
            zip(held, SOFIELUND_PLENARIES, strict=True)
        ):
            spec = MeetingSpec(
                key=key,
                by="karin",
                kind=Kind.PLENARY,
                title=f"Board plenary, {MONTHS[day.month - 1]} {day.year}",
                start=self.moment(day, 15),
                end=self.moment(day, 17),
                location=SOFIELUND_OFFICE,
                agenda=agenda,
                minutes=minutes,
                decisions=[decision],
                actions=SOFIELUND_ACTIONS.get(index - len(held), SOFIELUND_ACTIONS.get(index, [])),
            )
            self.held(spec, plan)

        # The next three, as one monthly series; the series keeps the day of the month, so the second and
        # third are moved to the second Thursday, as every board plenary.
        first = ahead[0]
        series = MeetingSpec(
            key=key,
            by="karin",
            kind=Kind.PLENARY,
            title="Board plenary",
            start=self.moment(first, 15),
            end=self.moment(first, 17),
            location=SOFIELUND_OFFICE,
            agenda="Figures from the police\nThe action plan: what is late\nFunding after the city's grant",
        )
        self.at(self.demo.now - timedelta(days=12), self.create_series, series, ahead)

        self.sofielund_specials(plan)

    def create_series(self, spec: MeetingSpec, days: list[date]) -> None:
        first = self.find(spec.key, spec.title, spec.start)
        if first is None:
            services.meeting_create(
                actor=self.demo.user(spec.by),
                partnership=self.partnership(spec.key),
                kind=spec.kind,
                title=spec.title,
                starts_at=spec.start,
                ends_at=spec.end,
                location=spec.location,
                agenda=spec.agenda,
                frequency="monthly",
                count=len(days),
            )
            first = self.find(spec.key, spec.title, spec.start)
        if first is None or first.series_id is None:
            return
        occurrences = list(Meeting.objects.filter(series_id=first.series_id).order_by("starts_at", "id"))
        for meeting, day in zip(occurrences, days, strict=False):
            if meeting.starts_at.date() != day and meeting.sequence == 0:
                services.meeting_update(
                    actor=self.demo.user(spec.by),
                    meeting=meeting,
                    starts_at=self.moment(day, 15),
                    ends_at=self.moment(day, 17),
                )

    def sofielund_specials(self, plan) -> None:
        key, today = "sofielund", self.today
        # A thematic discussion on open drug dealing, in the evening so residents can come.
        day = today - timedelta(days=200)
        day -= timedelta(days=(day.weekday() - 2) % 7)  # a Wednesday
        self.held(
            MeetingSpec(
                key=key,
                by="karin",
                kind=Kind.THEMATIC,
                title="Open drug dealing around Sofielundsvägen: what works?",
                start=self.moment(day, 18),
                end=self.moment(day, 20),
                location="Sofielund community centre, Sofielundsvägen 20, Malmö",
                agenda="What residents see\nWhat the police can do, and what owners can do\nPassages, lighting "
                "and closing times",
                minutes=(
                    "Thirty residents came. Dealing moves to dark passages and courtyards that stay open at "
                    "night. Owners can close passages and improve lighting; the police will be visible at "
                    "the times residents named; residents report through the police's tip line."
                ),
                decisions=["Owners look into closing the passages behind Sofielundsvägen at night."],
                actions=[
                    ActionSpec(
                        "Ask the owners of Sofielundsvägen 12 and 18 to light and close their passages",
                        "fastighetsagare",
                        30,
                        owner_person="johan",
                        done_days=26,
                    )
                ],
            ),
            plan,
        )
        # The police brief the city on locations and planned operations: TLP:AMBER, police and city only.
        day += timedelta(days=8)
        self.held(
            MeetingSpec(
                key=key,
                by="anders",
                kind=Kind.THEMATIC,
                title="Police briefing: dealing locations and planned operations",
                start=self.moment(day, 10),
                end=self.moment(day, 11),
                location="Polisen, Malmö Öster",
                agenda="Locations named by residents and by the police\nPlanned operations\nWhat the city can do",
                invitees=["karin", "anders"],
                minutes=(
                    "The police named the five addresses where dealing is concentrated and the two groups "
                    "behind it. Plain-clothes operations are planned for the coming six weeks; the city "
                    "will not announce lighting work at these addresses until the operations end."
                ),
                tlp="amber",
                recipient_orgs=["polisen", "malmo"],
            ),
            plan,
        )
        # A joint training with Räddningstjänsten Syd, on a Saturday morning.
        day = today - timedelta(days=150)
        day -= timedelta(days=(day.weekday() - 5) % 7)
        self.held(
            MeetingSpec(
                key=key,
                by="karin",
                kind=Kind.TRAINING,
                title="Joint training with Räddningstjänsten Syd: fire safety in stairwells and storerooms",
                start=self.moment(day, 10),
                end=self.moment(day, 12, 30),
                location="Räddningstjänsten Syd, Jägersro station, Malmö",
                agenda="Fire in a storeroom: what happens\nEvacuation from a multi-family building\nPractice "
                "with extinguishers",
                minutes=(
                    "Eighteen residents and the partners practised with extinguishers and walked through the "
                    "evacuation of a stairwell. Räddningstjänsten Syd will check the storerooms of two "
                    "buildings with the owners."
                ),
            ),
            plan,
        )
        # The summer barbecue (the last past August).
        year = today.year if today > date(today.year, 8, 31) else today.year - 1
        day = nth_weekday(year, 8, 5, 3)  # the third Saturday of August
        if self.past(day):
            self.held(
                MeetingSpec(
                    key=key,
                    by="karin",
                    kind=Kind.SOCIAL,
                    title=f"Summer barbecue in Sofielund park {year}",
                    start=self.moment(day, 16),
                    end=self.moment(day, 18),
                    location="Sofielund park, Malmö",
                    agenda="Food, music and the partners' stands",
                ),
                plan,
            )
        # A safety walk each spring (April) and autumn (October), on the third Tuesday at 18:00.
        for year in (today.year - 1, today.year):
            for month, season in ((4, "Spring"), (10, "Autumn")):
                day = nth_weekday(year, month, 1, 3)
                if not self.past(day):
                    continue
                self.held(
                    MeetingSpec(
                        key=key,
                        by="karin",
                        kind=Kind.WALKTHROUGH,
                        title=f"{season} safety walk {year}",
                        start=self.moment(day, 18),
                        end=self.moment(day, 20),
                        location="Start at the neighbourhood office, Norra Grängesbergsgatan 12",
                        agenda="The route past the survey's hot spots\nLighting, passages, graffiti, signs of "
                        "dealing",
                        minutes=(
                            "The walk checked lighting, passages and graffiti along the route. The findings "
                            "are in the action plan; the city sends the list of repairs to the owners."
                        ),
                    ),
                    plan,
                )

    # De Hurk ----------------------------------------------------------------------------------------------

    def dehurk_plan(self, person: str, spec: MeetingSpec) -> str:
        r = roll(spec.title, spec.start, person)
        if person in ("sanne", "ruud", "mehmet"):
            return Attendance.IN_PERSON
        if person in ("femke", "kees"):
            return Attendance.ABSENT if r < 50 else Attendance.IN_PERSON
        return Attendance.ABSENT if r < 20 else Attendance.ONLINE if r < 30 else Attendance.IN_PERSON

    def dehurk(self) -> None:
        key, today = "dehurk", self.today
        for index, (days_ago, (agenda, minutes, decision)) in enumerate(
            zip((185, 95, 12), DEHURK_PLENARIES, strict=True)
        ):
            day = today - timedelta(days=days_ago)
            day -= timedelta(days=(day.weekday() - 1) % 7)  # a Tuesday
            self.held(
                MeetingSpec(
                    key=key,
                    by="sanne",
                    kind=Kind.PLENARY,
                    title="Overleg Veilig Ondernemen",
                    start=self.moment(day, 9, 30),
                    end=self.moment(day, 11),
                    location=DEHURK_OFFICE,
                    agenda=agenda,
                    minutes=minutes,
                    decisions=[decision],
                    actions=DEHURK_ACTIONS.get(index, []),
                ),
                self.dehurk_plan,
            )
        day = today + timedelta(days=80)
        day -= timedelta(days=(day.weekday() - 1) % 7)
        self.planned(
            MeetingSpec(
                key=key,
                by="sanne",
                kind=Kind.PLENARY,
                title="Overleg Veilig Ondernemen",
                start=self.moment(day, 9, 30),
                end=self.moment(day, 11),
                location=DEHURK_OFFICE,
                agenda="Cijfers van de politie\nCamera's: stand van zaken\nHet auditdossier voor de tweede ster",
            )
        )
        for days_ago, title, minutes in (
            (
                150,
                "Schouw De Hurk: verlichting, hekwerk en leegstand",
                "De schouw vond vier donkere plekken langs de Achtseweg, twee kapotte hekken en drie "
                "leegstaande panden zonder zichtbare eigenaar. De gemeente geeft de panden door aan de "
                "controle leegstand.",
            ),
            (
                40,
                "Schouw De Hurk: najaarsronde",
                "De verlichting langs de Achtseweg is op twee plekken hersteld. Eén leegstaand pand is "
                "inmiddels verhuurd; de nieuwe huurder is gescreend.",
            ),
        ):
            day = today - timedelta(days=days_ago)
            day -= timedelta(days=(day.weekday() - 3) % 7)  # a Thursday evening
            self.held(
                MeetingSpec(
                    key=key,
                    by="sanne",
                    kind=Kind.WALKTHROUGH,
                    title=title,
                    start=self.moment(day, 19, 30),
                    end=self.moment(day, 21, 30),
                    location="Verzamelen bij de ingang Meerenakkerweg",
                    agenda="Route langs de ingangen en de leegstaande panden\nVerlichting, hekwerk, zicht op "
                    "de terreinen",
                    minutes=minutes,
                ),
                self.dehurk_plan,
            )


# Action items of Sofielund's plenaries, by index (0 the oldest; negative from the newest).
SOFIELUND_ACTIONS: dict[int, list[ActionSpec]] = {
    0: [
        ActionSpec(
            "Map the courtyards with broken lighting and send the list to the city",
            "malmo",
            28,
            owner_person="karin",
            done_days=20,
        )
    ],
    1: [
        ActionSpec(
            "Send the monthly burglary and dealing figures before each board plenary",
            "polisen",
            21,
            owner_person="anders",
            done_days=14,
        )
    ],
    2: [
        ActionSpec(
            "Replace the broken locks on the basement doors at Ystadvägen 40",
            "bostader",
            30,
            done_days=24,
            done_by="karin",
        )
    ],
    3: [
        ActionSpec(
            "Invite residents to the spring safety walk with the tenants' association",
            "fastighetsagare",
            21,
            owner_person="johan",
            done_days=18,
        ),
        ActionSpec(
            "Book trainers from Räddningstjänsten Syd for the residents' training",
            "rsyd",
            45,
            owner_person="maja",
            done_days=30,
        ),
    ],
    6: [
        ActionSpec(
            "Collect residents' questions for the police open house",
            "hyresgast",
            28,
            owner_person="omar",
            done_days=21,
        )
    ],
    7: [
        ActionSpec(
            "Write a short interim evaluation of the cameras",
            "mau",
            60,
            done_days=50,
            done_by="karin",
        )
    ],
    # The housing company's action is overdue; the funding action is open and not yet due.
    -2: [
        ActionSpec(
            "Log graffiti on the housing company's buildings daily and report it within a day",
            "bostader",
            0,
            due_in=-18,
        )
    ],
    -1: [
        ActionSpec(
            "Propose how to replace the city's Trygg och säker stad grant before it ends",
            "malmo",
            0,
            owner_person="karin",
            due_in=20,
        )
    ],
}

DEHURK_ACTIONS: dict[int, list[ActionSpec]] = {
    0: [
        ActionSpec(
            "Lijst van leegstaande panden delen met de politie",
            "eindhoven",
            21,
            owner_person="sanne",
            done_days=14,
        ),
        ActionSpec(
            "Welkomstpakket voor nieuwe ondernemers met tips voor aangifte",
            "ov_dehurk",
            45,
            owner_person="ruud",
            done_days=40,
        ),
    ],
    1: [
        ActionSpec(
            "Offertes aanvragen voor camera's bij de ingangen Meerenakkerweg en Hurksestraat",
            "ov_dehurk",
            42,
            owner_person="ruud",
            done_days=35,
        )
    ],
    2: [
        ActionSpec(
            "Verlichting van het fietspad langs de Achtseweg laten repareren",
            "eindhoven",
            30,
            owner_person="sanne",
        )
    ],
}

"""``python manage.py demo``: load a realistic demo, built only through the services.

Four partnerships drawn from the EUCPN paper on public-private partnerships in crime prevention:

* the Sofielund safety partnership (BID Sofielund) in Malmö, Sweden;
* a Keurmerk Veilig Ondernemen-style business-park partnership on De Hurk in Eindhoven, the Netherlands;
* a cross-border partnership against the theft of boat engines (the SIS example);
* a Piraeus-style local crime prevention council, under review after a difficult start.

Every object is made by the same services the pages use (so the audit trail is real and every
hash chain verifies). Every step is get-or-create, and a change (a role, a status) runs only if its
audit event is not there yet: running the command again changes nothing, and never undoes what people
changed by hand in the meantime.
The history is spread over the past fourteen months with a frozen clock, so the audit trail
reads as a story and one invitation has genuinely expired.

Apps above partnerships add their part through ``hooks.register_demo`` (this module never imports
them): formation fills in the formation journey of every partnership (``formation/services/demo.py``).

All people and companies are fictional (addresses under ``.example``); public bodies are named
for realism only. Every demo account shares one password, ``safepact-demo`` by default.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from safepact.accounts.models import Organisation, OrganisationMembership, User
from safepact.accounts.services import organisation_create, organisation_membership_ensure, user_create
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.partnerships import hooks
from safepact.partnerships.models import (
    Invitation,
    Membership,
    MembershipStatus,
    Partner,
    Partnership,
    PartnerStatus,
    Role,
)
from safepact.partnerships.services import (
    invitation_accept,
    invitation_create,
    member_set_role,
    member_set_status,
    partner_add,
    partner_set_status,
    partnership_create,
    partnership_update,
)

DEMO_PASSWORD = "safepact-demo"  # noqa: S105 - published on purpose, demo only

# Organisations. ``member_of`` names another key (an umbrella body). Registration numbers are
# fictional but in the national format (Swedish organisationsnummer, Dutch KvK, Greek GEMI);
# public bodies have none.
ORGANISATIONS: dict[str, dict] = {
    # Sweden: Sofielund, Malmö
    "malmo": {
        "name": "Malmö stad",
        "kind": "municipality",
        "sector": "public_administration",
        "country": "SE",
    },
    "polisen": {
        "name": "Polisen Region Syd",
        "kind": "law_enforcement",
        "sector": "policing_justice",
        "country": "SE",
    },
    "rsyd": {
        "name": "Räddningstjänsten Syd",
        "kind": "public_authority",
        "sector": "public_administration",
        "country": "SE",
    },
    "fastighetsagare": {
        "name": "Fastighetsägare i Sofielund ek. för.",
        "kind": "umbrella",
        "sector": "real_estate",
        "country": "SE",
        "registration_number": "769630-1182",
    },
    "bostader": {
        "name": "Sofielunds Bostäder AB",
        "kind": "business",
        "sector": "real_estate",
        "country": "SE",
        "registration_number": "556987-4410",
        "member_of": "fastighetsagare",
    },
    "hyresgast": {
        "name": "Hyresgästföreningen Sofielund",
        "kind": "ngo",
        "sector": "social_care",
        "country": "SE",
        "registration_number": "802015-4471",
    },
    "mau": {
        "name": "Malmö universitet, Institutionen för kriminologi",
        "kind": "knowledge",
        "sector": "education_research",
        "country": "SE",
    },
    "foretagarna": {
        "name": "Företagarna Sofielund",
        "kind": "umbrella",
        "sector": "retail",
        "country": "SE",
        "registration_number": "802481-3306",
    },
    "forsakring": {
        "name": "Nordisk Försäkring AB",
        "kind": "business",
        "sector": "insurance",
        "country": "SE",
        "registration_number": "516401-8873",
    },
    # Netherlands: the boat-engine partnership
    "politie_water": {
        "name": "Politie Landelijke Eenheid, Team Water",
        "kind": "law_enforcement",
        "sector": "policing_justice",
        "country": "NL",
    },
    "watersport": {
        "name": "Watersportbedrijven Nederland",
        "kind": "umbrella",
        "sector": "maritime",
        "country": "NL",
        "registration_number": "40531230",
    },
    "buitenboord": {
        "name": "Buitenboordmotoren Zeeland B.V.",
        "kind": "business",
        "sector": "maritime",
        "country": "NL",
        "registration_number": "22061847",
        "member_of": "watersport",
    },
    # Netherlands: De Hurk, Eindhoven
    "eindhoven": {
        "name": "Gemeente Eindhoven",
        "kind": "municipality",
        "sector": "public_administration",
        "country": "NL",
    },
    "politie_ob": {
        "name": "Politie Eenheid Oost-Brabant",
        "kind": "law_enforcement",
        "sector": "policing_justice",
        "country": "NL",
    },
    "vrbzo": {
        "name": "Veiligheidsregio Brabant-Zuidoost (brandweer)",
        "kind": "public_authority",
        "sector": "public_administration",
        "country": "NL",
    },
    "ov_dehurk": {
        "name": "Ondernemersvereniging De Hurk",
        "kind": "umbrella",
        "sector": "industry",
        "country": "NL",
        "registration_number": "40238817",
    },
    "vankempen": {
        "name": "Van Kempen Metaalbewerking B.V.",
        "kind": "business",
        "sector": "industry",
        "country": "NL",
        "registration_number": "17094512",
        "member_of": "ov_dehurk",
    },
    "blc": {
        "name": "Brabant Logistiek Centrum B.V.",
        "kind": "business",
        "sector": "transport_logistics",
        "country": "NL",
        "registration_number": "17265093",
        "member_of": "ov_dehurk",
    },
    "autoschade": {
        "name": "Autoschade De Hurk B.V.",
        "kind": "business",
        "sector": "automotive",
        "country": "NL",
        "registration_number": "68412277",
        "member_of": "ov_dehurk",
    },
    "beveiliging": {
        "name": "Kempen Beveiliging B.V.",
        "kind": "business",
        "sector": "security",
        "country": "NL",
        "registration_number": "17301946",
    },
    "drukkerij": {
        "name": "Drukkerij Strijp B.V.",
        "kind": "business",
        "sector": "industry",
        "country": "NL",
        "registration_number": "17188420",
        "member_of": "ov_dehurk",
    },
    # Greece: Piraeus
    "piraeus": {
        "name": "Municipality of Piraeus",
        "kind": "municipality",
        "sector": "public_administration",
        "country": "GR",
    },
    "hellenic_police": {
        "name": "Hellenic Police, Piraeus Police Directorate",
        "kind": "law_enforcement",
        "sector": "policing_justice",
        "country": "GR",
    },
    "piraeus_traders": {
        "name": "Piraeus Traders' Association",
        "kind": "umbrella",
        "sector": "retail",
        "country": "GR",
        "registration_number": "121745607000",
    },
}

# People: key -> (email, full name, language).
PEOPLE: dict[str, tuple[str, str, str]] = {
    "karin": ("karin.lindqvist@malmo-stad.example", "Karin Lindqvist", "en"),
    "anders": ("anders.nilsson@polisen.example", "Anders Nilsson", "en"),
    "johan": ("johan.berg@fastighetsagare-sofielund.example", "Johan Berg", "en"),
    "maja": ("maja.holm@rsyd.example", "Maja Holm", "en"),
    "emma": ("emma.sandberg@sofielundsbostader.example", "Emma Sandberg", "en"),
    "omar": ("omar.haddad@hyresgast-sofielund.example", "Omar Haddad", "en"),
    "sara": ("sara.oberg@hyresgast-sofielund.example", "Sara Öberg", "en"),
    "lina": ("lina.ekstrom@mau.example", "Lina Ekström", "en"),
    "pieter": ("pieter.bakker@politie.example", "Pieter Bakker", "nl"),
    "erik": ("erik.lund@nordiskforsakring.example", "Erik Lund", "en"),
    "marloes": ("marloes.visser@watersportbedrijven.example", "Marloes Visser", "nl"),
    "bart": ("bart.degraaf@buitenboordzeeland.example", "Bart de Graaf", "nl"),
    "sanne": ("sanne.devries@eindhoven.example", "Sanne de Vries", "nl"),
    "mehmet": ("mehmet.yilmaz@politie-oostbrabant.example", "Mehmet Yilmaz", "nl"),
    "ruud": ("ruud.janssen@ov-dehurk.example", "Ruud Janssen", "nl"),
    "femke": ("femke.bos@vrbzo.example", "Femke Bos", "nl"),
    "joost": ("joost.verhoeven@vankempen.example", "Joost Verhoeven", "nl"),
    "lotte": ("lotte.vanderheijden@blc.example", "Lotte van der Heijden", "nl"),
    "dennis": ("dennis.willems@kempenbeveiliging.example", "Dennis Willems", "nl"),
    "kees": ("kees.smits@autoschade-dehurk.example", "Kees Smits", "nl"),
    "eleni": ("eleni.papadopoulou@piraeus.example", "Eleni Papadopoulou", "en"),
    "giorgos": ("giorgos.nikolaidis@astynomia.example", "Giorgos Nikolaidis", "en"),
    "dimitra": ("dimitra.georgiou@piraeus-traders.example", "Dimitra Georgiou", "en"),
}

# Invitations that stay open: one pending, one expired.
PENDING_INVITEE = "lars.ek@foretagarna-sofielund.example"
EXPIRED_INVITEE = "m.peters@drukkerij-strijp.example"

PARTNERSHIPS: dict[str, dict] = {
    "sofielund": {
        "name": "Sofielund safety partnership (BID Sofielund)",
        "purpose": (
            "A safe, clean and attractive Sofielund. Since 2014 the city, the police, property owners, the "
            "housing company and the tenants' association work together as one local network association "
            "against graffiti, vandalism and open drug dealing: camera surveillance and police presence in "
            "the streets, safety walks and clean-up patrols by residents, and training for residents with "
            "the fire and rescue service and insurers. City development coordinators funded by the city "
            "lead the daily work; the board brings the partners together for quick, shared decisions."
        ),
        "country": "SE",
        "region": "Skåne",
        "municipality": "Malmö",
        "crime_areas": ["nuisance", "alcohol_drugs", "burglary"],
    },
    "boats": {
        "name": "Stolen boat engines: Öresund-North Sea partnership",
        "purpose": (
            "Stolen outboard engines and boats cross borders, and national registers do not always hold the "
            "identifiers the Schengen Information System can take, so a stolen engine found abroad is often "
            "not recognised. Police forces, an insurer, dealers and their trade association agree which "
            "identifiers to record (hull and engine numbers), how to check a suspicious engine, and how to "
            "answer each other's questions within the law of each country."
        ),
        "country": "SE",
        "region": "Skåne",
        "municipality": "",
        "crime_areas": ["vehicle", "organised"],
    },
    "dehurk": {
        "name": "Veilig Ondernemen Bedrijventerrein De Hurk",
        "purpose": (
            "Keep business park De Hurk safe and attractive for the companies that work there, following "
            "the Keurmerk Veilig Ondernemen for business parks: a shared safety analysis and action plan, "
            "collective surveillance by one security firm, cameras at the park entrances, short reporting "
            "lines to the police and the fire service, and joint attention to subversive crime in vacant "
            "premises. Part of the regional Platform Veilig Ondernemen."
        ),
        "country": "NL",
        "region": "Noord-Brabant",
        "municipality": "Eindhoven",
        "crime_areas": ["burglary", "vehicle", "organised"],
    },
    "piraeus": {
        "name": "Piraeus local crime prevention council",
        "purpose": (
            "A local crime prevention council in the spirit of the Be Secure Feel Secure project: the "
            "municipality, the police and local traders set a few clear priorities together, use simple and "
            "visible ways of working, and monitor and evaluate what they do."
        ),
        "country": "GR",
        "region": "Attica",
        "municipality": "Piraeus",
        "crime_areas": ["nuisance", "retail"],
    },
}


class Demo:
    """Get-or-create steps on a frozen clock that only moves forward.

    Apps above partnerships add their part through ``hooks.register_demo(fn)``: ``fn(demo)`` may add
    organisations and people (``add_organisations``, ``add_people``) and schedules its steps with
    ``schedule(days_ago, step)``. A scheduled step runs with the clock at its time, interleaved with the
    foundation's steps in time order (so every audit chain reads forward); it must be idempotent itself
    (skip when its object exists) and must not move the clock back.
    """

    def __init__(self, *, password: str, now) -> None:
        self.password = password
        self.now = now
        self.organisations: dict[str, dict] = dict(ORGANISATIONS)
        self.people: dict[str, tuple[str, str, str]] = dict(PEOPLE)
        self._password_hash: str | None = None
        self._last_days_ago: float | None = None
        self._scheduled: list[tuple[float, int, Callable[[], object]]] = []

    # Extensions -------------------------------------------------------------------------------

    def add_organisations(self, organisations: dict[str, dict]) -> None:
        clash = set(organisations) & set(self.organisations)
        if clash:
            raise RuntimeError(f"demo organisation keys already taken: {sorted(clash)}")
        self.organisations.update(organisations)

    def add_people(self, people: dict[str, tuple[str, str, str]]) -> None:
        clash = set(people) & set(self.people)
        if clash:
            raise RuntimeError(f"demo people keys already taken: {sorted(clash)}")
        self.people.update(people)

    def schedule(self, days_ago: float, step: Callable[[], object]) -> None:
        """Run ``step`` with the clock at ``days_ago``, in time order with the rest of the story."""
        self._scheduled.append((days_ago, len(self._scheduled), step))

    def _run_scheduled(self, before: float | None = None) -> None:
        """Run the scheduled steps older than ``before`` days ago (all of them when ``None``), oldest first."""
        while True:
            due = [s for s in self._scheduled if before is None or s[0] > before]
            if not due:
                return
            step = min(due, key=lambda s: (-s[0], s[1]))
            self._scheduled.remove(step)
            with self.at(step[0]):
                step[2]()

    # Time -------------------------------------------------------------------------------------

    @contextmanager
    def at(self, days_ago: float) -> Iterator[None]:
        """Run the block with the clock at ``days_ago`` before the start of the command."""
        self._run_scheduled(before=days_ago)
        if self._last_days_ago is not None and days_ago > self._last_days_ago:
            raise RuntimeError(
                f"the demo timeline must move forward ({days_ago} after {self._last_days_ago})"
            )
        self._last_days_ago = days_ago
        with clock.frozen(self.now - timedelta(days=days_ago)):
            yield

    # Lookups ----------------------------------------------------------------------------------

    def find_user(self, key: str) -> User | None:
        return User.objects.filter(email__iexact=self.people[key][0]).first()

    def find_org(self, key: str) -> Organisation | None:
        spec = self.organisations[key]
        if spec.get("registration_number"):
            return Organisation.objects.filter(
                country=spec["country"], registration_number=spec["registration_number"]
            ).first()
        return Organisation.objects.filter(
            country=spec["country"], name=spec["name"], kind=spec["kind"]
        ).first()

    def org_fields(self, key: str) -> dict:
        fields = dict(self.organisations[key])
        if fields.get("member_of"):
            umbrella = self.find_org(fields["member_of"])
            if umbrella is None:
                raise RuntimeError(f"umbrella body {fields['member_of']} must exist before {key}")
            fields["member_of"] = umbrella
        return fields

    @staticmethod
    def find_partnership(key: str) -> Partnership | None:
        return Partnership.objects.filter(name=PARTNERSHIPS[key]["name"]).first()

    def membership(self, partnership_key: str, person: str) -> Membership:
        return Membership.objects.select_related("partner__partnership", "user").get(
            partner__partnership=self.find_partnership(partnership_key), user=self.find_user(person)
        )

    def partner(self, partnership_key: str, org_key: str) -> Partner:
        return Partner.objects.select_related("partnership", "organisation").get(
            partnership=self.find_partnership(partnership_key), organisation=self.find_org(org_key)
        )

    # Steps ------------------------------------------------------------------------------------

    def user(self, key: str) -> User:
        """A person with the shared demo password (which the password validators would refuse)."""
        user = self.find_user(key)
        if user is None:
            email, full_name, language = self.people[key]
            user = user_create(email=email, full_name=full_name, password=None, language=language)
            # Every demo account shares the one published password: hash it once (a slow hash per
            # account would make up most of the command's time).
            if self._password_hash is None:
                self._password_hash = make_password(self.password)
            user.password = self._password_hash
            user.save(update_fields=["password"])
        return user

    def organisation(self, key: str, *, by: str) -> Organisation:
        """An organisation registered by ``by`` (who need not work there)."""
        return self.find_org(key) or organisation_create(
            actor=self.user(by), join=False, **self.org_fields(key)
        )

    def works_at(self, person: str, org_key: str, *, job_title: str = "", **flags) -> OrganisationMembership:
        """``person`` belongs to an existing organisation, with a job title and flags."""
        user, organisation = self.user(person), self.find_org(org_key)
        return organisation_membership_ensure(
            actor=user, user=user, organisation=organisation, job_title=job_title, **flags
        )

    def found(self, key: str, *, days_ago: float, coordinator: str, org_key: str, job_title: str, **flags):
        """The coordinator registers their organisation and starts the partnership on its behalf."""
        partnership = self.find_partnership(key)
        if partnership is not None:
            return partnership
        with self.at(days_ago):
            user = self.user(coordinator)
            organisation = self.find_org(org_key) or organisation_create(
                actor=user, join=False, **self.org_fields(org_key)
            )
            self.works_at(coordinator, org_key, job_title=job_title, **flags)
            return partnership_create(actor=user, organisation=organisation, **PARTNERSHIPS[key])

    def join(
        self,
        key: str,
        *,
        days_ago: float,
        by: str,
        person: str,
        org_key: str,
        role: str = Role.MEMBER,
        job_title: str = "",
        **flags,
    ) -> Membership:
        """The real path in: the coordinator invites, the person signs up a day later and accepts."""
        partnership = self.find_partnership(key)
        user = self.find_user(person)
        existing = (
            Membership.objects.filter(partner__partnership=partnership, user=user).first() if user else None
        )
        if existing is not None:
            return existing
        with self.at(days_ago):
            organisation = self.find_org(org_key)
            target = (
                {"organisation": organisation}
                if organisation
                else {"new_organisation": self.org_fields(org_key)}
            )
            _invitation, token = invitation_create(
                actor=self.user(by),
                partnership=partnership,
                email=self.people[person][0],
                role=role,
                **target,
            )
        with self.at(days_ago - 1):
            self.works_at(person, org_key, job_title=job_title, **flags)
            return invitation_accept(user=self.user(person), token=token)

    def invite_only(self, key: str, *, days_ago: float, by: str, email: str, org_key: str, role: str) -> None:
        """An invitation nobody accepts (pending, or left to expire)."""
        partnership = self.find_partnership(key)
        if Invitation.objects.filter(partnership=partnership, email=email).exists():
            return
        with self.at(days_ago):
            organisation = self.find_org(org_key)
            target = (
                {"organisation": organisation}
                if organisation
                else {"new_organisation": self.org_fields(org_key)}
            )
            invitation_create(actor=self.user(by), partnership=partnership, email=email, role=role, **target)

    @staticmethod
    def done(action: str, target, reason: str) -> bool:
        """Whether this step of the story already happened: its audit event is the marker.

        So a second run repeats nothing, and never undoes what people changed by hand since.
        """
        return AuditEvent.objects.filter(action=action, target_code=str(target.code), reason=reason).exists()

    def set_role(self, key: str, *, days_ago: float, by: str, person: str, role: str, reason: str) -> None:
        membership = self.membership(key, person)
        if not self.done("partnerships.member.role_changed", membership, reason):
            with self.at(days_ago):
                member_set_role(actor=self.user(by), membership=membership, role=role, reason=reason)

    def set_member_status(
        self, key: str, *, days_ago: float, by: str, person: str, status: str, reason: str
    ) -> None:
        membership = self.membership(key, person)
        if not self.done("partnerships.member.status_changed", membership, reason):
            with self.at(days_ago):
                member_set_status(actor=self.user(by), membership=membership, status=status, reason=reason)

    def set_partner_status(
        self, key: str, *, days_ago: float, by: str, org_key: str, status: str, reason: str
    ) -> None:
        partner = Partner.objects.get(
            partnership=self.find_partnership(key), organisation=self.find_org(org_key)
        )
        if not self.done("partnerships.partner.status_changed", partner, reason):
            with self.at(days_ago):
                partner_set_status(actor=self.user(by), partner=partner, status=status, reason=reason)

    def candidate(self, key: str, *, days_ago: float, by: str, org_key: str) -> None:
        partnership, organisation = self.find_partnership(key), self.find_org(org_key)
        if not Partner.objects.filter(partnership=partnership, organisation=organisation).exists():
            with self.at(days_ago):
                partner_add(
                    actor=self.user(by),
                    partnership=partnership,
                    organisation=organisation,
                    status=PartnerStatus.CANDIDATE,
                )

    def update(self, key: str, *, days_ago: float, by: str, reason: str, **changes) -> None:
        partnership = self.find_partnership(key)
        if not self.done("partnerships.partnership.updated", partnership, reason):
            with self.at(days_ago):
                partnership_update(actor=self.user(by), partnership=partnership, reason=reason, **changes)

    # The story, in the order it happened ------------------------------------------------------

    def build(self) -> None:
        # The apps above partnerships (formation, ...) schedule their part of the story first.
        for extend in hooks.demo_extensions():
            extend(self)
        self.build_foundation()
        self._run_scheduled()  # what the extensions scheduled after the foundation's last step

    def build_foundation(self) -> None:
        # Sofielund, Malmö: started fourteen months ago by the city's development coordinator.
        self.found(
            "sofielund",
            days_ago=420,
            coordinator="karin",
            org_key="malmo",
            job_title="City development coordinator (stadsutvecklingskoordinator)",
            is_authorised_signatory=True,
        )
        self.join(
            "sofielund",
            days_ago=415,
            by="karin",
            person="anders",
            org_key="polisen",
            job_title="Community police officer (kommunpolis), Malmö Öster",
            is_law_enforcement_officer=True,
        )
        self.set_role(
            "sofielund",
            days_ago=413,
            by="karin",
            person="anders",
            role=Role.COORDINATOR,
            reason="The board asked the police and the city to lead the partnership together.",
        )
        self.join(
            "sofielund",
            days_ago=410,
            by="karin",
            person="johan",
            org_key="fastighetsagare",
            job_title="Chair",
            is_authorised_signatory=True,
        )
        self.join(
            "sofielund",
            days_ago=405,
            by="karin",
            person="maja",
            org_key="rsyd",
            job_title="Fire safety inspector (brandinspektör)",
        )
        self.join(
            "sofielund",
            days_ago=400,
            by="anders",
            person="emma",
            org_key="bostader",
            role=Role.VIEWER,
            job_title="Safety host (trygghetsvärd)",
        )
        with self.at(398):  # the association's chair also manages the housing company's properties
            self.works_at("johan", "bostader", job_title="Property manager")
        self.join(
            "sofielund",
            days_ago=395,
            by="karin",
            person="omar",
            org_key="hyresgast",
            job_title="Chair",
            is_authorised_signatory=True,
        )
        self.join(
            "sofielund",
            days_ago=390,
            by="karin",
            person="sara",
            org_key="hyresgast",
            role=Role.VIEWER,
            job_title="Board member",
        )
        self.update(
            "sofielund",
            days_ago=380,
            by="karin",
            status="active",
            listing="public",
            reason="Partnership agreement signed by the board.",
        )
        self.join(
            "sofielund",
            days_ago=370,
            by="karin",
            person="lina",
            org_key="mau",
            role=Role.VIEWER,
            job_title="Senior lecturer in criminology (evaluation)",
        )

        # The cross-border boat-engine partnership, started by the Swedish police.
        self.found(
            "boats",
            days_ago=300,
            coordinator="anders",
            org_key="polisen",
            job_title="Community police officer (kommunpolis), Malmö Öster",
            is_law_enforcement_officer=True,
        )
        self.join(
            "boats",
            days_ago=295,
            by="anders",
            person="pieter",
            org_key="politie_water",
            job_title="Senior investigator, vessel and engine theft",
            is_law_enforcement_officer=True,
        )
        self.join(
            "boats",
            days_ago=290,
            by="anders",
            person="erik",
            org_key="forsakring",
            job_title="Claims investigator (skadeutredare)",
            is_authorised_signatory=True,
        )
        self.join(
            "boats",
            days_ago=285,
            by="anders",
            person="marloes",
            org_key="watersport",
            job_title="Policy adviser, theft prevention",
        )
        self.join(
            "boats",
            days_ago=280,
            by="anders",
            person="bart",
            org_key="buitenboord",
            role=Role.VIEWER,
            job_title="Owner",
        )
        self.update(
            "boats", days_ago=270, by="anders", status="active", reason="Memorandum of understanding signed."
        )

        # De Hurk, Eindhoven: a Keurmerk Veilig Ondernemen business-park partnership.
        self.found(
            "dehurk",
            days_ago=240,
            coordinator="sanne",
            org_key="eindhoven",
            job_title="Account manager Veilig Ondernemen",
            is_authorised_signatory=True,
        )
        self.join(
            "dehurk",
            days_ago=236,
            by="sanne",
            person="mehmet",
            org_key="politie_ob",
            job_title="Community police officer (wijkagent) De Hurk",
            is_law_enforcement_officer=True,
        )
        self.join(
            "dehurk",
            days_ago=232,
            by="sanne",
            person="ruud",
            org_key="ov_dehurk",
            job_title="Park manager",
            is_authorised_signatory=True,
        )
        self.join(
            "dehurk",
            days_ago=228,
            by="sanne",
            person="femke",
            org_key="vrbzo",
            role=Role.VIEWER,
            job_title="Fire prevention adviser",
        )
        self.join(
            "dehurk",
            days_ago=224,
            by="sanne",
            person="joost",
            org_key="vankempen",
            job_title="Managing director",
            is_authorised_signatory=True,
        )
        self.join(
            "dehurk",
            days_ago=220,
            by="sanne",
            person="lotte",
            org_key="blc",
            job_title="Security manager",
        )
        self.join(
            "dehurk",
            days_ago=216,
            by="sanne",
            person="dennis",
            org_key="beveiliging",
            job_title="Operations manager, collective surveillance",
        )
        self.join(
            "dehurk",
            days_ago=212,
            by="sanne",
            person="kees",
            org_key="autoschade",
            role=Role.VIEWER,
            job_title="Owner",
        )
        self.update(
            "dehurk",
            days_ago=200,
            by="sanne",
            status="active",
            listing="public",
            reason="Keurmerk Veilig Ondernemen certificate, first star.",
        )

        # Piraeus: a local crime prevention council.
        self.found(
            "piraeus",
            days_ago=180,
            coordinator="eleni",
            org_key="piraeus",
            job_title="Head of the crime prevention office",
            is_authorised_signatory=True,
        )
        self.join(
            "piraeus",
            days_ago=176,
            by="eleni",
            person="giorgos",
            org_key="hellenic_police",
            job_title="Police captain, crime prevention",
            is_law_enforcement_officer=True,
        )
        self.join(
            "piraeus",
            days_ago=172,
            by="eleni",
            person="dimitra",
            org_key="piraeus_traders",
            role=Role.VIEWER,
            job_title="Secretary",
        )
        self.update(
            "piraeus",
            days_ago=165,
            by="eleni",
            status="active",
            reason="Council constituted.",
        )

        # Later events.
        self.set_member_status(
            "sofielund",
            days_ago=150,
            by="karin",
            person="sara",
            status=MembershipStatus.SUSPENDED,
            reason="Left the board of the tenants' association; access paused until the association confirms her role.",
        )
        self.update(
            "piraeus",
            days_ago=120,
            by="eleni",
            status="under_review",
            reason=(
                "Difficult start: partners hard to keep engaged, little continuity and internal communication, "
                "too few staff and funds. The council will narrow its priorities before going on."
            ),
        )
        self.invite_only(
            "dehurk",
            days_ago=90,
            by="sanne",
            email=EXPIRED_INVITEE,
            org_key="drukkerij",
            role=Role.MEMBER,
        )
        self.candidate("sofielund", days_ago=60, by="anders", org_key="forsakring")
        self.set_partner_status(
            "dehurk",
            days_ago=40,
            by="sanne",
            org_key="drukkerij",
            status=PartnerStatus.WITHDRAWN,
            reason="No answer to the invitation; the company is moving to another business park.",
        )
        self.invite_only(
            "sofielund",
            days_ago=3,
            by="karin",
            email=PENDING_INVITEE,
            org_key="foretagarna",
            role=Role.MEMBER,
        )


def _two_factor_required(user: User) -> bool:
    """Whom the 2FA policy covers: law-enforcement officers and active coordinators."""
    return OrganisationMembership.objects.filter(user=user, is_law_enforcement_officer=True).exists() or (
        Membership.objects.filter(user=user, role=Role.COORDINATOR, status=MembershipStatus.ACTIVE).exists()
    )


class Command(BaseCommand):
    help = (
        "Load demo partnerships, organisations and people (all sharing one password). "
        "Safe to run again: nothing is duplicated. Refuses to run in production unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Load the demo even when SAFEPACT_ENV=production."
        )
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help=f"Password for new demo accounts (default {DEMO_PASSWORD}).",
        )

    def handle(self, *args, force: bool = False, password: str = DEMO_PASSWORD, **options):
        if settings.PRODUCTION and not force:
            raise CommandError(
                "Refusing to load demo data in production (SAFEPACT_ENV=production): every demo account "
                "shares a published password. Use --force only on a throw-away demo server."
            )
        if not password:
            raise CommandError("--password must not be empty.")
        events_before = AuditEvent.objects.count()
        demo = Demo(password=password, now=clock.now())
        # The demo never sends email: invitations go to made-up addresses.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
            transaction.atomic(),
        ):
            demo.build()
        added = AuditEvent.objects.count() - events_before
        if added:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({added} audit events recorded)."))
        else:
            self.stdout.write("Demo data already loaded: nothing changed.")
        self._summary(password, demo.people)

    def _summary(self, password: str, people: dict[str, tuple[str, str, str]]) -> None:
        emails = [email for email, _name, _language in people.values()]
        users = {u.email: u for u in User.objects.filter(email__in=emails)}
        memberships = (
            Membership.objects.filter(user__in=users.values())
            .select_related("partner__partnership", "partner__organisation")
            .order_by("partner__partnership__name")
        )
        by_user: dict[int, list[str]] = {}
        for m in memberships:
            state = "" if m.status == MembershipStatus.ACTIVE else f", {m.status}"
            by_user.setdefault(m.user_id, []).append(f"{m.partner.partnership.name} ({m.role}{state})")
        shown = password if password == DEMO_PASSWORD else "(the --password given when the demo was loaded)"
        self.stdout.write("")
        self.stdout.write(f"Log in at {settings.SITE_URL}/account/login/ with password: {shown}")
        self.stdout.write(
            "2FA = must set up two-factor authentication at first login when SAFEPACT_REQUIRE_2FA is on "
            f"(now {'on' if settings.SAFEPACT_REQUIRE_2FA else 'off'})."
        )
        width = max(len(e) for e in emails)
        for email in emails:
            user = users.get(email)
            if user is None:
                continue
            tfa = "2FA" if _two_factor_required(user) else "   "
            places = "; ".join(by_user.get(user.pk, [])) or "no partnership"
            self.stdout.write(f"  {email:<{width}}  {tfa}  {user.full_name}: {places}")
        invitations = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True).order_by(
            "pk"
        )
        if invitations:
            listed = ", ".join(f"{i.email} ({i.state})" for i in invitations)
            self.stdout.write(f"Open invitations: {listed}.")

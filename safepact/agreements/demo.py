"""The agreements part of ``manage.py demo``: authorised signatories, a covenant in force and a
confidentiality agreement waiting for its last signature.

Registered through ``partnerships.hooks.register_demo`` (from ``agreements.hooks.register``; partnerships
never imports agreements). Everything is made by the agreements and partnerships services, as the pages
would, on the demo's frozen clock: each step is scheduled at its moment in the story and skips itself when
it happened already (its object exists, the agreement has moved past that state, or, for a signatory flag
that people may take away by hand, its audit event exists). A second run changes nothing and never undoes
what people changed since.

* **Sofielund** (English): the city marks the people who may sign for their organisations; the covenant
  is drafted from the partnership's own data (partners, objectives, task table, bodies, hours), sent for
  review, the property owners' association comments on one section, the coordinator saves a second version
  that answers the comment, makes the text final and opens it for signature; the five required parties
  sign over a week and it enters into force (the housing company is an optional party that has not
  signed). Its review date is a few months ahead, its expiry date three years after it took effect.
* **De Hurk** (Dutch, ``language="nl"``): a confidentiality agreement (geheimhoudingsovereenkomst) for the
  partners that handle the park's TLP:AMBER information, open for signature: the municipality, the police
  and the security firm have signed, the business association (Ruud Janssen, coordinator and signatory)
  has not, so his dashboard asks for it.

The partnership setting "require the confidentiality agreement" stays off in the demo: with it on and no
confidentiality agreement in force yet, De Hurk's TLP:AMBER problem statement would be withheld from
everyone, its own coordinators included, until the last signature; the demo would show a warning instead
of the partnership's content. A visitor can switch it on (agreement settings) and watch the statement
disappear behind the explanation of what to sign, then sign as Ruud Janssen and see it come back.
"""

import re
from datetime import date, timedelta
from functools import partial

from django.utils import timezone

from safepact.agreements import services, texts
from safepact.agreements.models import Agreement, Comment, Kind, Party, Signature, Status
from safepact.agreements.selectors import latest_version
from safepact.audit.models import AuditEvent
from safepact.partnerships.services import member_set_signatory

SIGNATORY_ACTION = "partnerships.member.signatory_changed"

# partnership key -> (coordinator who marks, [(person, reason)], days ago)
SIGNATORIES: dict[str, tuple[str, list[tuple[str, str]], float]] = {
    "sofielund": (
        "karin",
        [
            ("karin", "Signs for Malmö stad under the city's delegation of authority."),
            ("anders", "Signs for Polisen Region Syd as the local police area's representative."),
            ("johan", "Signs for the property owners' association as its chair."),
            ("maja", "Signs for Räddningstjänsten Syd by decision of its director."),
            ("omar", "Signs for the tenants' association as its chair."),
        ],
        78,
    ),
    "dehurk": (
        "sanne",
        [
            ("sanne", "Signs for Gemeente Eindhoven under the mayor's mandate."),
            ("mehmet", "Signs for Politie Eenheid Oost-Brabant under the unit's mandate."),
            ("ruud", "Signs for Ondernemersvereniging De Hurk as its park manager."),
            ("dennis", "Signs for Kempen Beveiliging as its operations manager."),
        ],
        36,
    ),
}

# The covenant of Sofielund: every active partner is a party; the organisations of these signatories are
# required to sign (who signs, days ago), the others (the housing company and the university, whose people
# only read) are optional parties.
COVENANT_SIGNATURES = [("karin", 67), ("anders", 66), ("johan", 65), ("maja", 63), ("omar", 61)]
COVENANT_COMMENT = (
    "Governance and meetings",
    "Five working days for the minutes is enough, and the property owners' board needs them before its "
    "own monthly meeting. Can we write that down instead of leaving it open?",
)
COVENANT_EDIT = ("[to be agreed: number of working days]", "five")

# What the parties settled in the second version: each open point of the template ("[to be agreed: …]",
# by the text after the colon) and what they wrote instead. A demo agreement in force has no open points.
SETTLED = {
    # Sofielund covenant (English)
    "amounts per party, the party that manages the budget, and how spending is reported": (
        "Malmö stad contributes SEK 400,000 a year and manages the budget; the property owners' association "
        "SEK 150,000; the others contribute time. Spending is reported in every progress report"
    ),
    "competent court and applicable law": "the District Court of Malmö; Swedish law applies",
    "decision rule, for example a two-thirds majority of the parties present": (
        "a two-thirds majority of the parties present"
    ),
    "for example one month": "one month",
    "for example six weeks": "six weeks",
    "for example three months": "three months",
    "frequency, for example twice a year": "twice a year",
    "how often the partners meet, in person where possible, and how": (
        "The steering group meets every two months in person at the neighbourhood office; the working group "
        "meets monthly, online when that saves travel. A joint site walk-through takes place each spring."
    ),
    "whether and where the covenant is published": "the covenant is published on the city's website",
    # De Hurk confidentiality agreement (Dutch)
    "aanspreekpunt per partij": "de tekenbevoegde van elke partij, tenzij die schriftelijk een ander aanwijst",
    "bijvoorbeeld 30 dagen": "30 dagen",
    "bijvoorbeeld vijf jaar": "vijf jaar",
    "bijvoorbeeld één maand": "één maand",
    "de bredere kring, bijvoorbeeld het regionale Platform Veilig Ondernemen": (
        "het regionale Platform Veilig Ondernemen Zuidoost-Brabant"
    ),
    "of en tot welk bedrag een partij aansprakelijk is, of dat iedere partij haar eigen schade draagt": (
        "iedere partij draagt haar eigen schade, behalve bij opzet of grove schuld"
    ),
    "toepasselijk recht en bevoegde rechtbank": "Nederlands recht; bevoegd is de rechtbank Oost-Brabant",
    "": "drie jaar",  # a bare "[nader overeen te komen]" in the duration
}
_MARKER = re.compile(r"\[(?:to be agreed|nader overeen te komen)(?::\s*([^\]]*))?\]")


def settle(body: str) -> str:
    """The text with every open point the demo's parties settled filled in (others left as they are)."""

    def settled(match: re.Match) -> str:
        inner = " ".join((match.group(1) or "").split())
        if not inner and match.group(0).startswith("[to be agreed"):
            return match.group(0)  # the bare Dutch marker is the duration of De Hurk's agreement only
        return SETTLED.get(inner, match.group(0))

    return _MARKER.sub(settled, body)


# The confidentiality agreement of De Hurk: the partners that handle the park's TLP:AMBER information, and
# who has signed; the business association has not.
CONFIDENTIALITY_PARTIES = ["eindhoven", "politie_ob", "ov_dehurk", "beveiliging"]
CONFIDENTIALITY_NOTE = (
    "Alleen de partners die TLP:AMBER-informatie ontvangen; anderen treden toe als dat nodig is. "
    "Open punten ingevuld."
)
CONFIDENTIALITY_SIGNATURES = [("sanne", 25), ("mehmet", 22), ("dennis", 19)]


def agreements_demo(demo) -> None:
    """``hooks.register_demo`` entry point: schedule the agreements' part of the story."""
    AgreementsDemo(demo).schedule()


class AgreementsDemo:
    def __init__(self, demo) -> None:
        self.demo = demo

    def at(self, days_ago: float, fn, /, *args, **kwargs) -> None:
        self.demo.schedule(days_ago, partial(fn, *args, **kwargs))

    def in_days(self, days: int) -> date:
        return timezone.localdate(self.demo.now) + timedelta(days=days)

    def agreement(self, key: str, kind: str) -> Agreement | None:
        """The demo's agreement of this type (the first one made), with its partnership."""
        return (
            Agreement.objects.select_related("partnership", "final_version")
            .filter(partnership=self.demo.find_partnership(key), kind=kind)
            .order_by("created_at", "pk")
            .first()
        )

    # Steps ------------------------------------------------------------------------------------------

    def mark_signatories(self, key: str) -> None:
        by, people, _days_ago = SIGNATORIES[key]
        actor = self.demo.user(by)
        for person, reason in people:
            membership = self.demo.membership(key, person)
            if not membership.is_signatory and not self.demo.done(SIGNATORY_ACTION, membership, reason):
                member_set_signatory(actor=actor, membership=membership, value=True, reason=reason)

    def draft(self, key: str, kind: str, *, by: str, language: str, partners=None, signing=None, **dates):
        """Draft from the partnership's data. Parties: ``partners`` (organisation keys), or every active
        partner; when ``signing`` names people, only their organisations' signatures are required."""
        if self.agreement(key, kind) is not None:
            return
        actor = self.demo.user(by)
        agreement = services.agreement_create(
            actor=actor,
            partnership=self.demo.find_partnership(key),
            kind=kind,
            formality="specified",
            language=language,
            partner_codes=[self.demo.partner(key, org_key).code for org_key in partners]
            if partners
            else None,
            **dates,
        )
        if signing:
            required = {self.demo.membership(key, person).partner_id for person in signing}
            for party in Party.objects.filter(agreement=agreement).exclude(partner_id__in=required):
                party.agreement = agreement
                services.party_set_required(actor=actor, party=party, required=False)

    def keep_parties_only(self, key: str, kind: str, *, by: str, note: str) -> None:
        """A second version whose parties section lists only the parties (the draft lists every partner)."""
        agreement = self.agreement(key, kind)
        if agreement is None or agreement.status != Status.DRAFT:
            return
        latest = latest_version(agreement)
        if latest.number != 1:
            return
        names = set(agreement.parties.values_list("partner__organisation__name", flat=True))
        heading = texts.parse(latest.body).sections[0].heading  # the parties come first in every template
        lines, in_parties = [], False
        for line in latest.body.split("\n"):
            if line.startswith("## "):
                in_parties = line[3:].strip() == heading
            if in_parties and line.startswith("- **") and line[4:].split("**")[0] not in names:
                continue
            lines.append(line)
        body = settle("\n".join(lines))
        services.version_save(actor=self.demo.user(by), agreement=agreement, body=body, note=note)

    @staticmethod
    def happened(agreement: Agreement, action: str) -> bool:
        """Whether this step already happened to the agreement (so a second run, or a change people made
        by hand since, such as returning it to draft, is not undone)."""
        return AuditEvent.objects.filter(action=action, target_code=str(agreement.code)).exists()

    def submit(self, key: str, kind: str, *, by: str) -> None:
        agreement = self.agreement(key, kind)
        if (
            agreement is not None
            and agreement.status == Status.DRAFT
            and not self.happened(agreement, "agreements.agreement.submitted")
        ):
            services.agreement_submit_for_review(actor=self.demo.user(by), agreement=agreement)

    def comment(self, key: str, kind: str, *, by: str, section: str, body: str) -> None:
        agreement = self.agreement(key, kind)
        if agreement is not None and agreement.status == Status.REVIEW and not agreement.comments.exists():
            services.comment_add(actor=self.demo.user(by), agreement=agreement, section=section, body=body)

    def answer_comment(self, key: str, kind: str, *, by: str, old: str, new: str, note: str) -> None:
        """A second version that does what the comment asked, and the comment resolved."""
        agreement = self.agreement(key, kind)
        if agreement is None or agreement.status != Status.REVIEW:
            return
        actor = self.demo.user(by)
        latest = latest_version(agreement)
        if latest.number == 1 and old in latest.body:
            services.version_save(
                actor=actor, agreement=agreement, body=settle(latest.body.replace(old, new)), note=note
            )
        for comment in Comment.objects.filter(agreement=agreement, resolved_at__isnull=True):
            comment.agreement = agreement
            services.comment_resolve(actor=actor, comment=comment)

    def finalise_and_open(self, key: str, kind: str, *, by: str) -> None:
        agreement = self.agreement(key, kind)
        if (
            agreement is None
            or agreement.status not in (Status.DRAFT, Status.REVIEW)
            or self.happened(agreement, "agreements.agreement.finalised")
        ):
            return
        actor = self.demo.user(by)
        services.agreement_finalise(actor=actor, agreement=agreement)
        services.agreement_open_signing(actor=actor, agreement=self.agreement(key, kind))

    def sign(self, key: str, kind: str, *, person: str) -> None:
        agreement = self.agreement(key, kind)
        if agreement is None or agreement.status != Status.SIGNING:
            return
        membership = self.demo.membership(key, person)
        if Signature.objects.filter(
            version_id=agreement.final_version_id, party__partner_id=membership.partner_id
        ).exists():
            return
        services.agreement_sign(actor=self.demo.user(person), agreement=agreement, reauthenticated=True)

    # The story --------------------------------------------------------------------------------------

    def schedule(self) -> None:
        for key, (_by, _people, days_ago) in SIGNATORIES.items():
            self.at(days_ago, self.mark_signatories, key)
        self.sofielund()
        self.dehurk()

    def sofielund(self) -> None:
        at, key, kind = self.at, "sofielund", Kind.COVENANT
        effective = self.in_days(-60)
        at(
            75,
            self.draft,
            key,
            kind,
            by="karin",
            language="en",
            signing=[person for person, _days_ago in COVENANT_SIGNATURES],
            effective_from=effective,
            review_date=self.in_days(100),
            expiry_date=effective + timedelta(days=3 * 365),
        )
        at(74, self.submit, key, kind, by="karin")
        section, body = COVENANT_COMMENT
        at(72, self.comment, key, kind, by="johan", section=section, body=body)
        old, new = COVENANT_EDIT
        at(
            69.5,
            self.answer_comment,
            key,
            kind,
            by="karin",
            old=old,
            new=new,
            note="Minutes within five working days, as the property owners asked.",
        )
        at(68, self.finalise_and_open, key, kind, by="karin")
        for person, days_ago in COVENANT_SIGNATURES:
            at(days_ago, self.sign, key, kind, person=person)

    def dehurk(self) -> None:
        at, key, kind = self.at, "dehurk", Kind.CONFIDENTIALITY
        at(
            34,
            self.draft,
            key,
            kind,
            by="sanne",
            language="nl",
            partners=CONFIDENTIALITY_PARTIES,
            review_date=self.in_days(330),
        )
        at(30, self.keep_parties_only, key, kind, by="sanne", note=CONFIDENTIALITY_NOTE)
        at(26, self.finalise_and_open, key, kind, by="sanne")
        for person, days_ago in CONFIDENTIALITY_SIGNATURES:
            at(days_ago, self.sign, key, kind, person=person)

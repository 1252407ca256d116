"""The information-exchange part of ``manage.py demo``: the paper's worked example and a few weeks of posts.

Registered through ``partnerships.hooks.register_demo`` (from ``exchange.hooks.register``). Every object is
made by the exchange services on the demo's frozen clock, each step at its moment in the story; each step
skips itself when its object exists (same partnership and title), so a second run changes nothing.

* **Stolen boat engines** (the paper's example of police asking partners for information): the police post
  news for everyone and a TLP:AMBER warning for the water-sports trade association and the insurer only (the
  engine dealer, a viewer, does not see it); a checklist document in two versions; the **stolen-engine
  request**: Team Water of the Dutch police found a stolen outboard engine and asks the trade association and
  the insurer who its last owner was. The request asks for personal data, so its Five Safes assessment is
  filled in by the investigator and approved with conditions by the coordinator (another person: four eyes);
  then it goes out, the trade association answers, the insurer has not yet. A recurring data flow (police
  alerts to the insurer) stands in the data-sharing register with its review date coming up.
* **Sofielund**: a good-practice post for everyone and a TLP:AMBER note from the police to the city.
"""

from datetime import timedelta
from functools import partial

from django.core.files.uploadedfile import SimpleUploadedFile

from safepact.exchange import services
from safepact.exchange.models import (
    APPROVED_STATES,
    Assessment,
    DataFlow,
    Document,
    InformationRequest,
    Post,
    RecipientStatus,
    RequestStatus,
)
from safepact.lib import clock

REQUEST_TITLE = "Recovered outboard engine Yamaha F150: who was its last owner?"
ASSESSMENT_ANSWERS = {
    "people": (
        "Only the two investigators of Team Water named on the request read the answers; both are sworn police "
        "officers with vetting, and the trade association and the insurer answer through their registered "
        "contact persons.",
        "low",
        "",
    ),
    "projects": (
        "The purpose is to return a recovered stolen engine to its owner and to trace who handled it after the "
        "theft: a police task (Politiewet 2012, art. 3). We ask only for the sale and ownership records of one "
        "engine serial number.",
        "low",
        "",
    ),
    "settings": (
        "Questions and answers stay inside SafePact (TLP:AMBER, access logged); nothing is sent by email; "
        "answers are copied into the police case file only.",
        "medium",
        "Answers are not downloaded to personal devices; the case file is the only copy outside SafePact.",
    ),
    "data": (
        "Name, contact details and purchase date of the buyers of one engine; no special categories and no "
        "criminal data are asked for.",
        "medium",
        "Ask for the last registered owner first; earlier owners only if the last one cannot be found.",
    ),
    "outputs": (
        "Only the outcome (owner found, engine returned) is shared with the partnership, without names.",
        "low",
        "",
    ),
}


def exchange_demo(demo) -> None:
    """``hooks.register_demo`` entry point: schedule the exchange's part of the story."""
    ExchangeDemo(demo).schedule()


def _pdf(title: str, lines: list[str]) -> bytes:
    from weasyprint import HTML

    items = "".join(f"<li>{line}</li>" for line in lines)
    return HTML(string=f"<h1>{title}</h1><ol>{items}</ol>").write_pdf()


class ExchangeDemo:
    def __init__(self, demo) -> None:
        self.demo = demo

    def schedule(self) -> None:
        at = self.demo.schedule
        at(
            58,
            partial(
                self.post,
                "boats",
                "anders",
                "news",
                "green",
                "Engine-theft season starts: mark your engines",
                "Every spring, outboard engines disappear from harbours around the **Öresund** and the "
                "**North Sea**. Engrave the serial number on the engine block, photograph the plate and "
                "register the engine with your insurer.",
            ),
        )
        at(
            41,
            partial(
                self.post,
                "boats",
                "pieter",
                "warning",
                "amber",
                "Group stealing 150-300 hp outboard engines in Zeeland harbours",
                "Since March a group with a white van and a rubber boat has taken **eleven** outboard "
                "engines of 150 to 300 hp from harbours in Zeeland and Noord-Brabant, at night, with "
                "the engines cut loose from their brackets. Watch for engines offered without papers "
                "or with a filed serial plate, and tell Team Water at once.",
                orgs=("watersport", "forsakring"),
            ),
        )
        at(35, self.checklist)
        at(
            33,
            partial(
                self.post,
                "boats",
                "marloes",
                "good_practice",
                "green",
                "Dealers check serial numbers before buying engines in trade-in",
                "Our member dealers now check every trade-in engine's serial number against the police "
                "register before buying it. In the first month three engines were refused and two were "
                "reported stolen.",
            ),
        )
        at(30, self.checklist_v2)
        at(
            26,
            partial(
                self.post,
                "sofielund",
                "karin",
                "good_practice",
                "green",
                "Lighting the passage behind Ystadvägen halved the reports of vandalism",
                "Six months after the new lights went up, the city counts half as many reports.",
            ),
        )
        at(
            20,
            partial(
                self.post,
                "sofielund",
                "anders",
                "update",
                "amber",
                "Known dealers moved to the park near Sofielunds folkets hus",
                "For the city's clean-up team and the police only: plan the evening rounds around the "
                "park this month.",
                orgs=("malmo",),
            ),
        )
        at(12, self.request_draft)
        at(11.9, self.request_assessment)
        at(11, self.request_approved)
        at(8, self.request_answered)
        at(45, self.flow)

    # Lookups --------------------------------------------------------------------------------------------

    def partnership(self, key: str):
        return self.demo.find_partnership(key)

    def org(self, key: str):
        return self.demo.find_org(key)

    # Steps ----------------------------------------------------------------------------------------------

    def post(self, key, person, kind, label, title, body, orgs=()) -> None:
        partnership = self.partnership(key)
        if partnership is None or Post.objects.filter(partnership=partnership, title=title).exists():
            return
        services.post_create(
            actor=self.demo.user(person),
            partnership=partnership,
            kind=kind,
            title=title,
            body=body,
            tlp=label,
            recipient_organisations=[self.org(o) for o in orgs],
        )

    def checklist(self) -> None:
        partnership = self.partnership("boats")
        title = "Checklist: recognising a stolen outboard engine"
        if partnership is None or Document.objects.filter(partnership=partnership, title=title).exists():
            return
        pdf = _pdf(
            title,
            [
                "Serial plate missing, loose or re-riveted",
                "Serial number filed or re-stamped",
                "No purchase papers, or papers from another engine",
                "Price far below the market",
            ],
        )
        services.document_create(
            actor=self.demo.user("anders"),
            partnership=partnership,
            title=title,
            description="For dealers, repair shops and marinas: what to look at before buying or servicing.",
            tlp="green",
            upload=SimpleUploadedFile("checklist-stolen-engines.pdf", pdf, content_type="application/pdf"),
            note="First version.",
        )

    def checklist_v2(self) -> None:
        partnership = self.partnership("boats")
        document = Document.objects.filter(
            partnership=partnership, title="Checklist: recognising a stolen outboard engine"
        ).first()
        if document is None or document.versions.count() > 1:
            return
        pdf = _pdf(
            document.title,
            [
                "Serial plate missing, loose or re-riveted",
                "Serial number filed or re-stamped",
                "No purchase papers, or papers from another engine",
                "Price far below the market",
                "Engine cut loose: fresh saw marks on the bracket",
            ],
        )
        services.document_version_add(
            actor=self.demo.user("marloes"),
            document=document,
            upload=SimpleUploadedFile("checklist-stolen-engines-v2.pdf", pdf, content_type="application/pdf"),
            note="Added the saw marks the dealers reported.",
        )

    def _request(self) -> InformationRequest | None:
        partnership = self.partnership("boats")
        return InformationRequest.objects.filter(partnership=partnership, title=REQUEST_TITLE).first()

    def request_draft(self) -> None:
        partnership = self.partnership("boats")
        if partnership is None or self._request() is not None:
            return
        request = services.request_create(
            actor=self.demo.user("pieter"),
            partnership=partnership,
            title=REQUEST_TITLE,
            question=(
                "On the 14th we recovered a **Yamaha F150** outboard engine, serial number **6AW-1029384**, from "
                "a shed in Tholen; it was reported stolen in Sweden two years ago. To return it to its owner and "
                "to trace who handled it since, we ask:\n\n"
                "1. Which dealer sold this engine new, and to whom?\n"
                "2. Was it insured, and was a claim paid for its theft (then the insurer may own it now)?"
            ),
            purpose="Return a recovered stolen engine to its rightful owner and trace who handled it after the theft.",
            legal_basis="public_task",
            national_provision="Politiewet 2012, art. 3; Wet politiegegevens, art. 9 and 18",
            data_categories=["identification", "contact", "ownership", "transactions"],
            deadline=clock.today() + timedelta(days=14),
            tlp="amber",
            recipient_partners=[
                self.demo.partner("boats", "watersport"),
                self.demo.partner("boats", "forsakring"),
            ],
        )
        services.request_submit(actor=self.demo.user("pieter"), request=request)

    def request_assessment(self) -> None:
        request = self._request()
        if request is None or request.assessment_id is None:
            return
        assessment = Assessment.objects.get(pk=request.assessment_id)
        if assessment.status != "draft":
            return
        pieter = self.demo.user("pieter")
        for safe, (answer, risk, mitigations) in ASSESSMENT_ANSWERS.items():
            services.assessment_answer_set(
                actor=pieter,
                assessment=assessment,
                safe=safe,
                answer=answer,
                risk=risk,
                mitigations=mitigations,
            )
        services.assessment_submit(actor=pieter, assessment=assessment)

    def request_approved(self) -> None:
        request = self._request()
        if request is None or request.assessment_id is None:
            return
        assessment = Assessment.objects.get(pk=request.assessment_id)
        if assessment.status in APPROVED_STATES or assessment.status != "submitted":
            return
        services.assessment_decide(
            actor=self.demo.user("anders"),
            assessment=assessment,
            decision="approved_with_conditions",
            conditions="Only the last registered owner at first; delete the answers from SafePact once the engine "
            "is returned.",
            note="Proportionate: one serial number, a police task, answers stay inside SafePact.",
            valid_until=clock.today() + timedelta(days=90),
        )

    def request_answered(self) -> None:
        request = self._request()
        if request is None or request.status != RequestStatus.SENT:
            return
        if not request.recipients.filter(status=RecipientStatus.PENDING).exists():
            return
        services.request_answer(
            actor=self.demo.user("marloes"),
            request=request,
            text=(
                "Our member Buitenboordmotoren Zeeland sold engine 6AW-1029384 new in April 2021 to a buyer in "
                "Malmö (J. Lindqvist, Limhamn marina; contact details in the dealer's sales record, available to "
                "Team Water on request). The dealer has no record of a later sale."
            ),
        )

    def flow(self) -> None:
        partnership = self.partnership("boats")
        title = "Stolen-engine alerts from the police to the insurer"
        if partnership is None or DataFlow.objects.filter(partnership=partnership, title=title).exists():
            return
        services.flow_create(
            actor=self.demo.user("anders"),
            partnership=partnership,
            title=title,
            purpose="Tell the insurer when an insured engine is reported stolen or recovered, so claims and "
            "recoveries match.",
            legal_basis="public_task",
            national_provision="Polisdatalagen (2018:1693), 2 kap. 7 §; Politiewet 2012, art. 3",
            data_subjects="Owners of stolen or recovered engines",
            data_categories=["identification", "ownership"],
            retention="Two years after the case is closed",
            security_measures="Within SafePact only (TLP:AMBER); access logged; no email bodies; two-factor sign-in.",
            review_on=clock.today() + timedelta(days=60),
            parties=[
                (self.demo.partner("boats", "polisen"), "controller", "Provides the alerts"),
                (self.demo.partner("boats", "politie_water"), "joint_controller", "Provides the alerts"),
                (self.demo.partner("boats", "forsakring"), "controller", "Receives the alerts"),
            ],
        )

"""The registry's part of ``manage.py demo``: the boat-engine partnership's registry of stolen boats and
engines, with the paper's Schengen Information System example in small.

Registered through ``partnerships.hooks.register_demo`` (from ``registry.hooks.register``). Every object is
made by the registry services on the demo's frozen clock, each step at its moment in the story; each step
skips itself when its object exists (same partnership and case reference, or the same check), so a second
run changes nothing.

* Team Water (Dutch police) registers a stolen **Bayliner** with *two* hull numbers (the builder's US HIN
  and the Swedish CIN it was re-registered under) and its Mercury engine: the national databases could link
  only one hull number. Two months later the water-sports trade association checks the CIN of a boat
  offered for sale: a hit; Team Water confirms it.
* The Swedish police register the **Yamaha F150** engine of the exchange's stolen-engine request; it is
  marked located when Team Water recovers it in Tholen.
* The insurer checks a **Suzuki** engine for a claim (no hit); ten days later Team Water registers it as
  stolen: a late hit, confirmed.
* Both police units register the same **jet ski** (reported in both countries): an overlap, still open.
* Yesterday the trade association checked an engine of a Swedish alert; nobody handled the hit for more than
  twelve hours, so it was escalated to the coordinators.
* A dozen other alerts (bicycles, a caravan, a trailer, phones, outboard engines) fill the lists.
"""

from functools import partial

from safepact.registry import identifiers as ids
from safepact.registry import services
from safepact.registry.models import Alert, AlertStatus, Check, Hit, HitStatus

BOATS = "boats"

BAYLINER = "PL-2026-041187"
YAMAHA = "5000-K881234-24"
SUZUKI = "PL-2026-052210"
JETSKI_NL = "PL-2026-060031"
JETSKI_SE = "5000-K902211-26"
EVINRUDE = "5000-K905540-26"

OTHERS = [
    # (days ago, person, case reference, category, description, identifiers)
    (
        240,
        "anders",
        "5000-K700101-26",
        "bicycle",
        "Black cargo bike (Babboe City), child seat, stolen outside Malmö central station.",
        [{"kind": "frame", "value": "BAB-2211-7781"}],
    ),
    (
        220,
        "pieter",
        "PL-2026-030411",
        "boat_engine",
        "Honda BF100 outboard engine, cut from its bracket in Yerseke harbour.",
        [{"kind": "engine", "manufacturer": "Honda", "value": "BBAL-1100456"}],
    ),
    (
        200,
        "pieter",
        "PL-2026-030977",
        "trailer",
        "Boat trailer Pega 1300 with Dutch plate, taken from a storage yard in Bruinisse.",
        [
            {"kind": "plate", "country": "NL", "value": "WV-44-BK"},
            {"kind": "vin", "value": "XLRTE47MS0G220841"},
        ],
    ),
    (
        180,
        "anders",
        "5000-K710553-26",
        "caravan",
        "Kabe Royal 560 caravan, white, stolen from a camp site in Skanör.",
        [
            {"kind": "plate", "country": "SE", "value": "KBE 411"},
            {"kind": "vin", "value": "YS5KR560XAB000317"},
        ],
    ),
    (
        160,
        "pieter",
        "PL-2026-035520",
        "boat_engine",
        "Yamaha F250 outboard engine from a RIB in Vlissingen.",
        [{"kind": "engine", "manufacturer": "Yamaha", "value": "6P2-1017733"}],
    ),
    (
        140,
        "anders",
        "5000-K730090-26",
        "phone",
        "Two phones taken in a burglary of the harbour office, Limhamn.",
        [{"kind": "imei", "value": "35-209900-176148-1"}, {"kind": "imei", "value": "490154203237518"}],
    ),
    (
        120,
        "pieter",
        "PL-2026-038002",
        "boat",
        "Sloep Interboat 22, green hull, stolen from a jetty in Loosdrecht.",
        [{"kind": "hin", "value": "NL-INB22714L021"}],
    ),
    (
        100,
        "anders",
        "5000-K741120-26",
        "boat_engine",
        "Mercury 150 Pro XS outboard engine, stolen in Ystad marina.",
        [{"kind": "engine", "manufacturer": "Mercury", "value": "2B487211"}],
    ),
    (
        75,
        "pieter",
        "PL-2026-044310",
        "high_value",
        "Garmin chart plotter GPSMAP 8612 taken from a motor yacht in Breskens.",
        [{"kind": "serial", "manufacturer": "Garmin", "value": "4YT009812"}],
    ),
    (
        50,
        "anders",
        "5000-K760008-26",
        "boat_engine",
        "Suzuki DF200 outboard engine, stolen together with its control box in Simrishamn.",
        [{"kind": "engine", "manufacturer": "Suzuki", "value": "20003F-418822"}],
    ),
]


def registry_demo(demo) -> None:
    """``hooks.register_demo`` entry point: schedule the registry's part of the story."""
    RegistryDemo(demo).schedule()


class RegistryDemo:
    def __init__(self, demo) -> None:
        self.demo = demo

    def schedule(self) -> None:
        at = self.demo.schedule
        at(260, self.bayliner)
        at(250, self.yamaha)
        for days, person, case, category, description, identifiers in OTHERS:
            at(days, partial(self.alert, person, case, category, description, identifiers))
        at(62, partial(self.check, "marloes", "hin", "SE-BAYA1234L920", "offered_for_sale"))
        at(61.8, partial(self.decide, BAYLINER, "confirmed", "Boat seen at a dealer in Stellendam; seized."))
        at(40, partial(self.check, "erik", "engine", "14003F 512 877", "insurance", manufacturer="SUZUKI"))
        at(30, self.suzuki)
        at(
            29.5,
            partial(self.decide, SUZUKI, "confirmed", "The claimant sold the engine twice; case opened."),
        )
        at(25, self.jetski_nl)
        at(20, self.jetski_se)
        at(14, self.yamaha_located)
        at(1.2, self.evinrude)
        at(1.0, partial(self.check, "marloes", "engine", "g-06-211-873", "repair", manufacturer="Evinrude"))
        at(0.3, services.escalate_due_hits)

    # Lookups --------------------------------------------------------------------------------------------

    def partnership(self):
        return self.demo.find_partnership(BOATS)

    def exists(self, case: str) -> bool:
        return Alert.objects.filter(partnership=self.partnership(), case_reference=case).exists()

    def create(self, person, case, category, description, identifiers, **extra) -> None:
        partnership = self.partnership()
        if partnership is None or self.exists(case):
            return
        services.alert_create(
            user=self.demo.user(person),
            partnership=partnership,
            category=category,
            description=description,
            case_reference=case,
            legal_basis=extra.pop(
                "legal_basis",
                "Wetboek van Strafvordering, art. 94 (seizure)"
                if person == "pieter"
                else "Rättegångsbalken 27 kap. (beslag)",
            ),
            jurisdiction="NL" if person == "pieter" else "SE",
            identifiers=identifiers,
            **extra,
        )

    # Steps ----------------------------------------------------------------------------------------------

    def bayliner(self) -> None:
        self.create(
            "pieter",
            BAYLINER,
            "boat",
            "Bayliner VR5 Bowrider, white hull with a blue stripe, 150 hp Mercury engine; stolen from its "
            "trailer in Bruinisse. Built in the US, re-registered in Sweden by its previous owner.",
            [
                {"kind": "hin", "value": "BAYA1234L920"},
                {"kind": "hin", "value": "SE-BAYA1234L920"},
                {"kind": "engine", "manufacturer": "Mercury", "value": "2B-301744"},
            ],
            action="hold",
            action_note="Do not buy or service the boat; call Team Water on 0900-8844.",
        )

    def yamaha(self) -> None:
        self.create(
            "anders",
            YAMAHA,
            "boat_engine",
            "Yamaha F150 outboard engine, cut loose from a boat in Limhamn marina.",
            [{"kind": "engine", "manufacturer": "Yamaha", "value": "6AW-1029384"}],
            action="contact",
        )

    def alert(self, person, case, category, description, identifiers) -> None:
        self.create(person, case, category, description, identifiers, action="hold")

    def suzuki(self) -> None:
        self.create(
            "pieter",
            SUZUKI,
            "boat_engine",
            "Suzuki DF140 outboard engine reported stolen from a boat in Goes; the owner's insurer paid the "
            "claim.",
            [{"kind": "engine", "manufacturer": "Suzuki", "value": "14003F-512877"}],
            action="contact",
        )

    def jetski_nl(self) -> None:
        self.create(
            "pieter",
            JETSKI_NL,
            "boat",
            "Sea-Doo RXP-X 300 jet ski, yellow and black, taken from a garage in Vlissingen.",
            [{"kind": "hin", "value": "YDV41872K526"}],
        )

    def jetski_se(self) -> None:
        self.create(
            "anders",
            JETSKI_SE,
            "boat",
            "Jet ski Sea-Doo RXP-X, yellow, offered in Malmö without papers; believed stolen in the "
            "Netherlands.",
            [{"kind": "hin", "value": "YDV-41872-K5-26"}],
            action="report",
        )

    def yamaha_located(self) -> None:
        alert = Alert.objects.filter(partnership=self.partnership(), case_reference=YAMAHA).first()
        if alert is None or alert.status != AlertStatus.ACTIVE:
            return
        services.alert_set_status(user=self.demo.user("anders"), alert=alert, status=AlertStatus.LOCATED)

    def evinrude(self) -> None:
        self.create(
            "anders",
            EVINRUDE,
            "boat_engine",
            "Evinrude G2 250 outboard engine, stolen in Höganäs harbour.",
            [{"kind": "engine", "manufacturer": "Evinrude", "value": "G06211873"}],
        )

    def check(self, person, kind, value, context, **parts) -> None:
        from safepact.partnerships.selectors import membership_in

        partnership = self.partnership()
        if partnership is None:
            return
        user = self.demo.user(person)
        # This person checks this identifier once in the story, whenever the demo runs again (its moments
        # move with the date): not when the check log holds their check, nor when it made a hit (a hit
        # outlives the check log's retention window).
        key = ids.parse(kind, value, **parts).key
        if Check.objects.filter(partnership_id=partnership.pk, user_id=user.pk, key=key).exists():
            return
        if Hit.objects.filter(partnership_id=partnership.pk, checked_by=user, key=key).exists():
            return
        services.check_identifier(
            user=user,
            membership=membership_in(user, partnership),
            kind=kind,
            value=value,
            context=context,
            **parts,
        )

    def decide(self, case, status, note) -> None:
        hit = (
            Hit.objects.filter(
                alert__partnership=self.partnership(), alert__case_reference=case, status=HitStatus.OPEN
            )
            .order_by("created_at")
            .first()
        )
        if hit is None:
            return
        services.hit_decide(user=self.demo.user("pieter"), hit=hit, status=status, note=note)

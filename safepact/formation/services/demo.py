"""The formation part of ``manage.py demo``: the four demo partnerships' formation journeys.

Registered through ``hooks.register_demo`` (partnerships never imports formation). Everything is made by
the formation services, as a coordinator or a member would through the pages, on the demo's frozen
clock: each step is scheduled at its moment in the story (``demo.schedule``) and skips itself when it
happened already: when its object exists, or, for what people can delete or undo by hand (objectives,
commitments, bodies, tasks, motives, Austin input, a step marked not applicable), when its audit event
exists. So a second run changes nothing and never undoes what people changed in the meantime.

* **Sofielund** (active, fully formed): directory profiles, a TLP:GREEN problem statement with figures,
  four ranked objectives with commitments and motives of every partner, three Austin profiles moving
  from transactional to integrative with partners' input, a board, an operational team and stakeholder
  bodies with seats and hours, a RACI task table, and a candidate youth association invited after its
  due diligence: every CLAIMED step is done.
* **De Hurk** (partly formed): candidates in every pipeline stage (a suggested one, an incomplete due
  diligence, a high-risk admission awaiting the second coordinator, a medium-risk one invited, one joined
  whose reassessment is due within 30 days, one declined, one rejected), impartiality warnings with one
  dismissed, a TLP:AMBER problem statement and a briefing sent to a candidate, objectives with one that
  nobody commits to.
* **Boat engines** (cross-border): a short problem statement, objectives, a small structure, Austin at
  "transactional", and the Empower step marked not applicable.
* **Piraeus** (under review): a problem statement that records the paper's lessons, and six active
  objectives, beyond the focus limit of five.

All people and companies are fictional (addresses under ``.example``); public bodies are named for
realism only.
"""

from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from django.utils import timezone

from safepact.audit.models import AuditEvent
from safepact.formation.models import (
    AustinProfile,
    Body,
    BriefingShare,
    Candidate,
    CandidateStage,
    ClaimedStep,
    DirectoryProfile,
    DueDiligenceAssessment,
    DueDiligenceDecision,
    ImpartialityDismissal,
    ImpartialityRule,
    Level,
    Objective,
    ProblemStatement,
)
from safepact.formation.selectors.diligence import ADMITTED, candidate_admission, open_assessment
from safepact.formation.selectors.pipeline import TRANSITIONS, candidate_reasons, impartiality_warnings
from safepact.formation.services.austin import austin_input_give, austin_profile_record
from safepact.formation.services.claimed import claimed_step_set_not_applicable
from safepact.formation.services.diligence import (
    assessment_answer,
    assessment_complete,
    assessment_decide,
    assessment_start,
)
from safepact.formation.services.directory import directory_profile_publish, directory_profile_save
from safepact.formation.services.objectives import commitment_add, motivation_set, objective_create
from safepact.formation.services.pipeline import candidate_add, candidate_invite, candidate_move
from safepact.formation.services.problem import (
    briefing_share_create,
    problem_figure_add,
    problem_statement_update,
)
from safepact.formation.services.structure import assignment_set, body_create, seat_create, task_create
from safepact.lib import clock
from safepact.partnerships.models import Partner, Role


def register() -> None:
    from safepact.partnerships import hooks

    hooks.register_demo(formation_demo)


def formation_demo(demo) -> None:
    """``hooks.register_demo`` entry point: add the organisations and people, schedule the story."""
    demo.add_organisations(ORGANISATIONS)
    demo.add_people(PEOPLE)
    FormationDemo(demo).schedule()


# Organisations and people that only the formation part needs ------------------------------------------

# Organisations in the directory (and some in a partnership's candidate pipeline), none a partner yet.
ORGANISATIONS: dict[str, dict] = {
    "unga": {
        "name": "Föreningen Unga i Sofielund",
        "kind": "ngo",
        "sector": "social_care",
        "country": "SE",
        "registration_number": "802533-7190",
    },
    "handel_skane": {
        "name": "Handelsföreningen Skåne",
        "kind": "umbrella",
        "sector": "retail",
        "country": "SE",
        "registration_number": "846002-5512",
    },
    "bpbn": {
        "name": "Branchevereniging Particuliere Beveiliging Nederland",
        "kind": "umbrella",
        "sector": "security",
        "country": "NL",
        "registration_number": "40412275",
    },
    "jongerenwerk": {
        "name": "Stichting Jongerenwerk Eindhoven-West",
        "kind": "ngo",
        "sector": "social_care",
        "country": "NL",
        "registration_number": "41089934",
    },
    "lumen": {
        "name": "Lumen Buitenverlichting B.V.",
        "kind": "business",
        "sector": "industry",
        "country": "NL",
        "registration_number": "17322190",
    },
    "truckparking": {
        "name": "Truckparking Eindhoven-West B.V.",
        "kind": "business",
        "sector": "transport_logistics",
        "country": "NL",
        "registration_number": "73014582",
    },
    "recycling": {
        "name": "Recycling Kempen B.V.",
        "kind": "business",
        "sector": "industry",
        "country": "NL",
        "registration_number": "17240668",
    },
    "vandijk": {
        "name": "Transportbedrijf Van Dijk B.V.",
        "kind": "business",
        "sector": "transport_logistics",
        "country": "NL",
        "registration_number": "17113905",
    },
    "zonne": {
        "name": "Brabant Zonne-energie B.V.",
        "kind": "business",
        "sector": "industry",
        "country": "NL",
        "registration_number": "69920417",
    },
    "koeltechniek": {
        "name": "Koeltechniek Eindhoven B.V.",
        "kind": "business",
        "sector": "industry",
        "country": "NL",
        "registration_number": "17205531",
    },
    "opslag": {
        "name": "Opslagboxen Eindhoven B.V.",
        "kind": "business",
        "sector": "real_estate",
        "country": "NL",
        "registration_number": "80377412",
    },
}

# key -> (email, full name, language); each works at the organisation of the same name below.
PEOPLE: dict[str, tuple[str, str, str]] = {
    "amira": ("amira.hassan@unga-sofielund.example", "Amira Hassan", "en"),
    "per": ("per.andersson@handelskane.example", "Per Andersson", "en"),
    "ingrid": ("ingrid.mulder@bpbn.example", "Ingrid Mulder", "nl"),
    "youssef": ("youssef.elamrani@jongerenwerk-ehv.example", "Youssef El Amrani", "nl"),
    "tom": ("tom.hendriks@lumen-buitenverlichting.example", "Tom Hendriks", "nl"),
    "wim": ("wim.vandenberg@truckparking-ehv.example", "Wim van den Berg", "nl"),
    "harm": ("harm.coppens@recyclingkempen.example", "Harm Coppens", "nl"),
    "hanneke": ("hanneke.vandijk@transportvandijk.example", "Hanneke van Dijk", "nl"),
    "sven": ("sven.peeters@brabantzon.example", "Sven Peeters", "nl"),
    "anouk": ("anouk.smeets@koeltechniek-ehv.example", "Anouk Smeets", "nl"),
    "rob": ("rob.kuijpers@opslagboxen-ehv.example", "Rob Kuijpers", "nl"),
}

# Newcomers to the directory: organisation key -> (person, job title, days ago they publish).
NEWCOMERS: dict[str, tuple[str, str, float]] = {
    "handel_skane": ("per", "Regional manager", 350),
    "bpbn": ("ingrid", "Policy adviser, public-private cooperation", 262),
    "jongerenwerk": ("youssef", "Coordinator street-corner work", 252),
    "zonne": ("sven", "Operations manager", 246),
    "opslag": ("rob", "Owner", 176),
    "koeltechniek": ("anouk", "Managing director", 163),
    "recycling": ("harm", "Compliance officer", 146),
    "lumen": ("tom", "Account manager, public space", 112),
    "unga": ("amira", "Chair and youth worker", 92),
    "vandijk": ("hanneke", "Managing director", 64),
    "truckparking": ("wim", "Site manager", 34),
}

# Directory profiles: organisation key -> (who writes it, days ago, profile).
PROFILES: dict[str, tuple[str, float, dict]] = {
    "malmo": (
        "karin",
        418,
        {
            "summary": (
                "The City of Malmö. Its city development department funds city development coordinators "
                "who lead the daily work of area-based safety partnerships such as BID Sofielund."
            ),
            "regions": "Malmö, Skåne",
            "crime_areas": ["nuisance", "alcohol_drugs", "burglary"],
            "capabilities": ["funding", "physical", "lighting", "communication", "venue"],
            "offers": (
                "City development coordinators as operational leads, street lighting and urban design, "
                "graffiti removal contracts, and meeting rooms at the district office."
            ),
            "contact_role": "City development coordinator",
        },
    ),
    "polisen": (
        "anders",
        414,
        {
            "summary": (
                "Swedish Police Authority, Region South. Community police officers work with "
                "municipalities and local partners under citizen promises (medborgarlöften)."
            ),
            "regions": "Skåne, Blekinge, Kronoberg, Kalmar",
            "crime_areas": ["burglary", "alcohol_drugs", "nuisance", "vehicle", "organised"],
            "capabilities": ["information", "patrols", "expertise", "legal"],
            "offers": (
                "Police presence and hotspot patrols, crime figures per area, advice on camera "
                "surveillance, and a contact point for stolen property found abroad."
            ),
            "contact_role": "Community police officer (kommunpolis)",
        },
    ),
    "fastighetsagare": (
        "johan",
        408,
        {
            "summary": (
                "The association of property owners in Sofielund: about forty owners of housing, shops "
                "and workshops who invest together in a safe and clean district."
            ),
            "regions": "Malmö (Sofielund)",
            "crime_areas": ["burglary", "nuisance", "alcohol_drugs"],
            "capabilities": ["cameras", "patrols", "network", "funding"],
            "offers": (
                "Camera surveillance of entrances and courtyards, a shared night guard contract, "
                "co-funding of actions, and the network of property owners in the district."
            ),
            "contact_role": "Chair",
        },
    ),
    "rsyd": (
        "maja",
        403,
        {
            "summary": "The fire and rescue service of nine municipalities in southern Skåne.",
            "regions": "Malmö, Lund and southern Skåne",
            "crime_areas": ["nuisance", "burglary"],
            "capabilities": ["training", "expertise"],
            "offers": (
                "Fire-safety and burglary-prevention training for residents, and inspections of "
                "basements, storerooms and waste rooms."
            ),
            "contact_role": "Fire safety inspector",
        },
    ),
    "bostader": (
        "johan",
        396,
        {
            "summary": "A housing company with 600 flats and 40 shop premises in Sofielund.",
            "regions": "Malmö (Sofielund)",
            "crime_areas": ["burglary", "nuisance"],
            "capabilities": ["physical", "lighting", "patrols"],
            "offers": (
                "Safety hosts (trygghetsvärdar) in our buildings, better locks and lighting in "
                "basements and courtyards, and graffiti removal within a day."
            ),
            "contact_role": "Property manager",
        },
    ),
    "hyresgast": (
        "omar",
        392,
        {
            "summary": "The tenants' association of Sofielund, part of the Swedish Union of Tenants.",
            "regions": "Malmö (Sofielund)",
            "crime_areas": ["nuisance", "alcohol_drugs"],
            "capabilities": ["social", "network", "communication"],
            "offers": (
                "Residents' safety walks and clean-up patrols, and the voice of the tenants in the "
                "partnership."
            ),
            "contact_role": "Chair",
        },
    ),
    "mau": (
        "lina",
        368,
        {
            "summary": "The Department of Criminology of Malmö University.",
            "regions": "Skåne, Sweden",
            "crime_areas": ["nuisance", "burglary", "alcohol_drugs", "organised"],
            "capabilities": ["expertise", "training"],
            "offers": (
                "Evaluation of crime prevention measures, local safety surveys, and student projects "
                "with the partners."
            ),
            "contact_role": "Senior lecturer in criminology",
        },
    ),
    "politie_water": (
        "pieter",
        293,
        {
            "summary": (
                "The Dutch National Police's water police: investigation of theft of vessels and "
                "engines, and contact point for foreign forces."
            ),
            "regions": "Netherlands, North Sea coast and inland waters",
            "crime_areas": ["vehicle", "organised"],
            "capabilities": ["information", "expertise", "legal", "registry"],
            "offers": (
                "Investigators who know the identifiers of boats and engines, advice on entering them "
                "in the Schengen Information System, and quick answers to foreign police requests."
            ),
            "contact_role": "Senior investigator, vessel and engine theft",
        },
    ),
    "forsakring": (
        "erik",
        288,
        {
            "summary": "A Nordic insurer of homes, businesses and boats.",
            "regions": "Sweden, Denmark",
            "crime_areas": ["burglary", "vehicle"],
            "capabilities": ["information", "funding", "training"],
            "offers": (
                "Aggregated claims data on burglary and engine theft, co-funding of prevention "
                "measures, premium discounts for marked engines, and training for residents."
            ),
            "contact_role": "Claims investigator",
        },
    ),
    "watersport": (
        "marloes",
        283,
        {
            "summary": (
                "The Dutch trade association of marine dealers, boatyards and marinas, including the "
                "dealers of outboard engines."
            ),
            "regions": "Netherlands",
            "crime_areas": ["vehicle"],
            "capabilities": ["network", "registry", "communication", "training"],
            "offers": (
                "A network of 400 marine businesses, a registration and marking scheme for outboard "
                "engines, and campaigns for boat owners."
            ),
            "contact_role": "Policy adviser, theft prevention",
        },
    ),
    "buitenboord": (
        "bart",
        278,
        {
            "summary": "A dealer and workshop for outboard engines in Zeeland.",
            "regions": "Zeeland, Netherlands",
            "crime_areas": ["vehicle"],
            "capabilities": ["registry", "expertise"],
            "offers": (
                "We record engine serial numbers at every sale and service, and know how stolen "
                "engines are altered."
            ),
            "contact_role": "Owner",
        },
    ),
    "eindhoven": (
        "sanne",
        238,
        {
            "summary": (
                "The municipality of Eindhoven. Its Veilig Ondernemen team works with business parks "
                "and shopping areas on the Keurmerk Veilig Ondernemen."
            ),
            "regions": "Eindhoven, Noord-Brabant",
            "crime_areas": ["burglary", "vehicle", "organised", "retail"],
            "capabilities": ["funding", "physical", "lighting", "legal", "communication"],
            "offers": (
                "An account manager Veilig Ondernemen, co-funding of collective surveillance, and "
                "permits and enforcement against the subversive use of premises."
            ),
            "contact_role": "Account manager Veilig Ondernemen",
        },
    ),
    "politie_ob": (
        "mehmet",
        234,
        {
            "summary": "Police unit Oost-Brabant, with community police officers for each business park.",
            "regions": "Oost-Brabant, Eindhoven",
            "crime_areas": ["burglary", "vehicle", "organised"],
            "capabilities": ["information", "patrols", "expertise", "legal"],
            "offers": (
                "A community police officer for the park, incident figures, and checks of vacant "
                "premises together with the municipality."
            ),
            "contact_role": "Community police officer (wijkagent)",
        },
    ),
    "ov_dehurk": (
        "ruud",
        230,
        {
            "summary": (
                "The business association of De Hurk: about 300 companies, from metalworking to "
                "logistics, with a park manager."
            ),
            "regions": "Eindhoven (De Hurk), Noord-Brabant",
            "crime_areas": ["burglary", "vehicle", "organised"],
            "capabilities": ["network", "funding", "communication"],
            "offers": (
                "The network of the park's companies, the collective surveillance contract, a "
                "newsletter, and the park manager as the first point of contact."
            ),
            "contact_role": "Park manager",
        },
    ),
    "vankempen": (
        "joost",
        222,
        {
            "summary": "A metalworking company on De Hurk with 60 staff.",
            "regions": "Eindhoven",
            "crime_areas": ["burglary"],
            "capabilities": ["physical"],
            "offers": "Know-how of securing premises and metal stock, and a workshop for fences and gates.",
            "contact_role": "Managing director",
        },
    ),
    "blc": (
        "lotte",
        218,
        {
            "summary": "A logistics centre on De Hurk: warehousing and regional distribution.",
            "regions": "Noord-Brabant",
            "crime_areas": ["vehicle", "burglary"],
            "capabilities": ["cameras", "information"],
            "offers": "Cameras covering our yard and the access road, and our incident logs.",
            "contact_role": "Security manager",
        },
    ),
    "beveiliging": (
        "dennis",
        214,
        {
            "summary": "A security company from the Kempen region, with its own alarm receiving centre.",
            "regions": "Eindhoven, Kempen, Noord-Brabant",
            "crime_areas": ["burglary", "vehicle"],
            "capabilities": ["patrols", "cameras"],
            "offers": (
                "Collective surveillance of business parks at night, alarm response, and camera "
                "monitoring from our control room."
            ),
            "contact_role": "Operations manager",
        },
    ),
    "piraeus": (
        "eleni",
        178,
        {
            "summary": "The Municipality of Piraeus and its crime prevention office.",
            "regions": "Piraeus, Attica",
            "crime_areas": ["nuisance", "retail", "alcohol_drugs"],
            "capabilities": ["funding", "lighting", "social", "venue"],
            "offers": "Street lighting, social workers, a meeting room at the town hall, and some funding.",
            "contact_role": "Head of the crime prevention office",
        },
    ),
    "hellenic_police": (
        "giorgos",
        174,
        {
            "summary": "The Piraeus Police Directorate of the Hellenic Police.",
            "regions": "Piraeus, Attica",
            "crime_areas": ["nuisance", "retail", "alcohol_drugs"],
            "capabilities": ["information", "patrols"],
            "offers": "Patrols in the port area and the market, and crime figures per neighbourhood.",
            "contact_role": "Police captain, crime prevention",
        },
    ),
    "piraeus_traders": (
        "dimitra",
        170,
        {
            "summary": "The association of the traders of Piraeus: about 1,200 shops.",
            "regions": "Piraeus, Attica",
            "crime_areas": ["retail", "nuisance"],
            "capabilities": ["network", "communication"],
            "offers": "Reaches the shops of Piraeus through its newsletter and street representatives.",
            "contact_role": "Secretary",
        },
    ),
    # Newcomers (NEWCOMERS gives who writes and when).
    "handel_skane": (
        "per",
        0,
        {
            "summary": "The regional association of retailers in Skåne.",
            "regions": "Skåne, Malmö",
            "crime_areas": ["retail", "burglary", "nuisance"],
            "capabilities": ["network", "communication", "training"],
            "offers": (
                "Reaches 2,000 shops in Skåne; training for shop staff on theft and threats; safety "
                "campaigns in shopping streets."
            ),
            "contact_role": "Regional manager",
        },
    ),
    "bpbn": (
        "ingrid",
        0,
        {
            "summary": "The Dutch trade association of private security companies.",
            "regions": "Netherlands",
            "crime_areas": ["burglary", "vehicle", "retail"],
            "capabilities": ["network", "expertise", "training"],
            "offers": (
                "Advice on tendering collective surveillance impartially, quality standards for "
                "security firms, and contacts with its 150 member companies."
            ),
            "contact_role": "Policy adviser, public-private cooperation",
        },
    ),
    "jongerenwerk": (
        "youssef",
        0,
        {
            "summary": "Youth and street-corner work in the western districts of Eindhoven.",
            "regions": "Eindhoven, Noord-Brabant",
            "crime_areas": ["nuisance", "alcohol_drugs"],
            "capabilities": ["social", "communication"],
            "offers": (
                "Street-corner workers who know the young people hanging around the park at night, "
                "and activities that keep them out of trouble."
            ),
            "contact_role": "Coordinator street-corner work",
        },
    ),
    "lumen": (
        "tom",
        0,
        {
            "summary": "Designs and installs outdoor lighting for business parks and public space.",
            "regions": "Noord-Brabant, Limburg",
            "crime_areas": ["burglary", "nuisance"],
            "capabilities": ["lighting", "physical"],
            "offers": "A free lighting scan of dark spots, and smart lighting that reacts to movement.",
            "contact_role": "Account manager, public space",
        },
    ),
    "truckparking": (
        "wim",
        0,
        {
            "summary": "A guarded truck park for 120 trucks at the edge of De Hurk.",
            "regions": "Eindhoven",
            "crime_areas": ["vehicle"],
            "capabilities": ["cameras", "patrols", "venue"],
            "offers": "Guarded overnight parking for trucks, with cameras and a gate that records plates.",
            "contact_role": "Site manager",
        },
    ),
    "recycling": (
        "harm",
        0,
        {
            "summary": "A scrap-metal yard buying and recycling metal from companies and individuals.",
            "regions": "Eindhoven, Kempen",
            "crime_areas": ["burglary", "organised"],
            "capabilities": ["information", "registry"],
            "offers": (
                "We register every seller's ID and keep camera images of the weighbridge; we can "
                "report suspicious offers of cable, catalytic converters and tools."
            ),
            "contact_role": "Compliance officer",
        },
    ),
    "vandijk": (
        "hanneke",
        0,
        {
            "summary": "A family transport company with 40 trucks, based on De Hurk.",
            "regions": "Eindhoven, Noord-Brabant",
            "crime_areas": ["vehicle"],
            "capabilities": ["information", "network"],
            "offers": "Dash cameras on our trucks, and our drivers' reports of suspicious activity at night.",
            "contact_role": "Managing director",
        },
    ),
    "zonne": (
        "sven",
        0,
        {
            "summary": "Builds and runs solar installations on the roofs of business premises.",
            "regions": "Noord-Brabant",
            "crime_areas": ["burglary"],
            "capabilities": ["cameras", "funding"],
            "offers": "Cameras on the roofs we use, and co-funding of lighting on the streets we serve.",
            "contact_role": "Operations manager",
        },
    ),
    "koeltechniek": (
        "anouk",
        0,
        {
            "summary": "Installs and services refrigeration for the food industry.",
            "regions": "Eindhoven",
            "crime_areas": ["burglary"],
            "capabilities": ["physical"],
            "offers": "Know-how of securing technical rooms.",
            "contact_role": "Managing director",
        },
    ),
    "opslag": (
        "rob",
        0,
        {
            "summary": "Self-storage units for rent on De Hurk.",
            "regions": "Eindhoven",
            "crime_areas": ["burglary"],
            "capabilities": ["venue"],
            "offers": "Storage units and a meeting room.",
            "contact_role": "Owner",
        },
    ),
    "unga": (
        "amira",
        0,
        {
            "summary": (
                "A youth association in Sofielund: homework help, football and a meeting place for "
                "young people aged 12 to 20, run by youth workers and volunteers."
            ),
            "regions": "Malmö (Sofielund, Möllevången)",
            "crime_areas": ["nuisance", "alcohol_drugs"],
            "capabilities": ["social", "venue", "network"],
            "offers": (
                "Youth workers who know the young people in the streets at night, evening activities, "
                "and a meeting place for the residents' safety walks."
            ),
            "contact_role": "Chair and youth worker",
        },
    ),
}


# Due diligence: answers (question id -> (option, evidence)) ------------------------------------------

LOW_RISK: dict[str, tuple[str, str]] = {
    "ownership_structure": ("verified", "Company register extract and UBO register checked; one owner."),
    "ownership_jurisdictions": ("no", ""),
    "officials_ties": ("none", ""),
    "officials_gifts": ("no", ""),
    "misconduct_convictions": (
        "no",
        "Certificate of conduct for the company; search of published judgments.",
    ),
    "misconduct_proceedings": ("none", ""),
    "conflicts_profit": ("no", ""),
    "conflicts_advantage": ("no", ""),
    "data_protection_governance": ("both", "Privacy officer named; records of processing shown."),
    "data_protection_breaches": ("none", ""),
    "data_protection_security": ("certified", "ISO 27001 certificate, valid until next year."),
    "financial_accounts": ("healthy", "Annual accounts of the last two years, filed with the register."),
    "financial_insolvency": ("no", ""),
    "reputation_media": ("none", "News search over the last five years: nothing of note."),
    "reputation_community": ("positive", ""),
    "prior_experience": ("good", "Takes part in the Keurmerk Veilig Ondernemen of another business park."),
    "prior_commitments": ("yes", ""),
}

ANSWERS: dict[str, dict[str, tuple[str, str]]] = {
    "unga": {
        **LOW_RISK,
        "ownership_structure": ("verified", "Registered association; statutes and board list checked."),
        "misconduct_convictions": ("no", "Police records check of the board, as for any youth association."),
        "data_protection_governance": ("both", "A data-protection policy for the members' register."),
        "data_protection_security": ("stated", ""),
        "financial_accounts": ("healthy", "Annual report and auditor's statement; city grant since 2018."),
        "prior_experience": ("good", "Runs the city's summer programme for young people since 2018."),
    },
    "zonne": {**LOW_RISK, "prior_experience": ("none", "")},
    "vandijk": {
        **LOW_RISK,
        "ownership_structure": (
            "declared",
            "Ownership declared by the director; UBO register entry pending.",
        ),
        "officials_gifts": ("minor", "Christmas hampers to the municipality's account managers; stopped."),
        "misconduct_proceedings": ("unrelated", "A labour dispute with a former driver, pending."),
        "data_protection_governance": ("one", "Records of processing exist; no privacy officer yet."),
        "data_protection_security": ("stated", ""),
        "reputation_media": ("minor", "A local article about trucks blocking the road at night."),
        "prior_experience": ("none", ""),
    },
    "recycling": {
        **LOW_RISK,
        "ownership_structure": (
            "declared",
            "Owned by a family holding; the holding's UBO register entry checked.",
        ),
        "misconduct_convictions": (
            "remediated",
            "Fined six years ago for buying copper cable without recording the seller's ID; a compliance "
            "officer was appointed since.",
        ),
        "misconduct_proceedings": (
            "related",
            "A police investigation into stolen catalytic converters bought by a former employee; the "
            "company cooperates.",
        ),
        "conflicts_profit": (
            "safeguarded",
            "A scrap yard can profit from stolen metal; safeguarded by ID registration of every seller "
            "and cameras at the weighbridge.",
        ),
        "data_protection_security": ("stated", ""),
        "reputation_media": ("serious", "Regional newspaper: stolen cable sold at an Eindhoven scrap yard."),
        "prior_experience": ("none", ""),
    },
    "opslag": {
        **LOW_RISK,
        "officials_ties": (
            "undeclared",
            "The owner's brother sits on the council committee that granted the permit; not declared.",
        ),
        "conflicts_advantage": (
            "yes",
            "Would gain customers when the partnership screens tenants of vacant premises.",
        ),
        "data_protection_governance": ("neither", "No records of processing, no privacy officer."),
        "reputation_community": ("negative", "Neighbours complain of night-time traffic at the units."),
        "prior_experience": ("none", ""),
    },
    # An assessment in progress: the first three topics answered, the rest still open.
    "truckparking": {
        key: LOW_RISK[key]
        for key in (
            "ownership_structure",
            "ownership_jurisdictions",
            "officials_ties",
            "officials_gifts",
            "misconduct_convictions",
            "misconduct_proceedings",
        )
    },
}


def _answers(key: str) -> dict:
    return {qid: {"option": option, "evidence": evidence} for qid, (option, evidence) in ANSWERS[key].items()}


# Austin: positions of the seven dimensions, 0 philanthropic, 50 transactional, 100 integrative.
DIMENSIONS = ("engagement", "mission", "resources", "scope", "interaction", "complexity", "strategic")


def _scores(*positions: int) -> dict[str, int]:
    return dict(zip(DIMENSIONS, positions, strict=True))


class FormationDemo:
    """Schedules the formation steps on the demo's timeline; every step skips itself when done."""

    def __init__(self, demo) -> None:
        self.demo = demo

    # Plumbing -------------------------------------------------------------------------------------------

    def at(self, days_ago: float, fn, /, *args, **kwargs) -> None:
        """Schedule ``fn(*args, **kwargs)`` at ``days_ago`` on the demo's timeline."""
        self.demo.schedule(days_ago, partial(fn, *args, **kwargs))

    @staticmethod
    def today() -> date:
        return clock.today()

    def in_days(self, days: int) -> date:
        """A date ``days`` after the start of the command (targets and reassessment dates)."""
        return timezone.localdate(self.demo.now) + timedelta(days=days)

    def candidate(self, key: str, org_key: str) -> Candidate | None:
        return Candidate.objects.filter(
            partnership=self.demo.find_partnership(key), organisation=self.demo.find_org(org_key)
        ).first()

    def objective(self, key: str, title: str) -> Objective | None:
        return Objective.objects.filter(partnership=self.demo.find_partnership(key), title=title).first()

    def happened(self, key: str, action: str, *, target=None, **after) -> bool:
        """Whether the partnership's audit trail holds ``action`` (on ``target``, with these ``after`` values)."""
        events = AuditEvent.objects.filter(
            partnership_code=str(self.demo.find_partnership(key).code), action=action
        )
        if target is not None:
            events = events.filter(target_code=str(target.code))
        return events.filter(**{f"after__{name}": value for name, value in after.items()}).exists()

    # Steps ----------------------------------------------------------------------------------------------

    def newcomer(self, org_key: str) -> None:
        """Someone registers their organisation (not a partner anywhere) and publishes its profile."""
        person, job_title, _days_ago = NEWCOMERS[org_key]
        self.demo.organisation(org_key, by=person)
        self.demo.works_at(person, org_key, job_title=job_title)
        self.profile(org_key)

    def profile(self, org_key: str) -> None:
        organisation = self.demo.find_org(org_key)
        if organisation is None or DirectoryProfile.objects.filter(organisation=organisation).exists():
            return
        person, _days_ago, fields = PROFILES[org_key]
        actor = self.demo.user(person)
        directory_profile_save(actor=actor, organisation=organisation, **fields)
        directory_profile_publish(actor=actor, organisation=organisation)

    def problem(
        self, key: str, *, by: str, nature: str, causes: str, tlp: str, figures, recipients=()
    ) -> None:
        partnership = self.demo.find_partnership(key)
        if ProblemStatement.objects.filter(partnership=partnership).exists():
            return
        actor = self.demo.user(by)
        problem_statement_update(
            actor=actor,
            partnership=partnership,
            nature=nature,
            causes=causes,
            tlp=tlp,
            recipient_organisations=[self.demo.find_org(k) for k in recipients],
        )
        for label, value, unit, source, days_old in figures:
            problem_figure_add(
                actor=actor,
                partnership=partnership,
                label=label,
                value=Decimal(value),
                unit=unit,
                source=source,
                as_of=self.today() - timedelta(days=days_old),
            )

    def objectives(self, key: str, *, by: str, objectives) -> None:
        partnership, actor = self.demo.find_partnership(key), self.demo.user(by)
        for title, indicator, target_in_days, description in objectives:
            if not self.happened(key, "formation.objective.created", title=title):
                objective_create(
                    actor=actor,
                    partnership=partnership,
                    title=title,
                    indicator=indicator,
                    description=description,
                    target_date=self.in_days(target_in_days),
                )

    def voice(self, key: str, org_key: str, *, by: str, motives: dict | None = None, commits=()) -> None:
        """A partner (or its coordinator) states its motives and commits to objectives: ``(title, note)``."""
        partner, actor = self.demo.partner(key, org_key), self.demo.user(by)
        if motives and not self.happened(key, "formation.motivation.updated", target=partner):
            motivation_set(actor=actor, partner=partner, **motives)
        for title, note in commits:
            objective = self.objective(key, title)
            if objective and not self.happened(
                key, "formation.commitment.added", partner=partner.organisation.name, objective=title
            ):
                commitment_add(actor=actor, objective=objective, partner=partner, note=note)

    def austin_profile(self, key: str, *, by: str, scores: dict, stage: str, note: str) -> None:
        partnership = self.demo.find_partnership(key)
        if not AustinProfile.objects.filter(partnership=partnership, note=note).exists():
            austin_profile_record(
                actor=self.demo.user(by),
                partnership=partnership,
                scores=scores,
                declared_stage=stage,
                note=note,
            )

    def austin_input(self, key: str, org_key: str, *, by: str, positions: dict, comments: dict) -> None:
        partner = self.demo.partner(key, org_key)
        if not self.happened(key, "formation.austin_input.given", target=partner):
            austin_input_give(
                actor=self.demo.user(by), partner=partner, positions=positions, comments=comments
            )

    def body(
        self, key: str, *, by: str, name: str, level: str, mandate: str, seats, parent: str = ""
    ) -> None:
        """A body and its seats: ``(org_key, person key or None, role, hours per month)``."""
        partnership, actor = self.demo.find_partnership(key), self.demo.user(by)
        if self.happened(key, "formation.body.created", name=name):
            return
        body = body_create(
            actor=actor,
            partnership=partnership,
            name=name,
            level=level,
            parent=Body.objects.filter(partnership=partnership, name=parent).first() if parent else None,
            mandate=mandate,
        )
        for org_key, person, role_title, hours in seats:
            seat_create(
                actor=actor,
                body=body,
                partner=self.demo.partner(key, org_key),
                person=self.demo.find_user(person) if person else None,
                role_title=role_title,
                hours_per_month=Decimal(hours),
            )

    def task(self, key: str, *, by: str, title: str, description: str, raci: dict[str, str]) -> None:
        partnership, actor = self.demo.find_partnership(key), self.demo.user(by)
        if self.happened(key, "formation.task.created", title=title):
            return
        task = task_create(actor=actor, partnership=partnership, title=title, description=description)
        for org_key, letter in raci.items():
            assignment_set(actor=actor, task=task, partner=self.demo.partner(key, org_key), raci=letter)

    def not_applicable(self, key: str, *, by: str, step: str, reason: str) -> None:
        partnership = self.demo.find_partnership(key)
        if not self.happened(key, "formation.claimed_step.not_applicable", step=step):
            claimed_step_set_not_applicable(
                actor=self.demo.user(by), partnership=partnership, step=step, reason=reason
            )

    # Candidates and due diligence ------------------------------------------------------------------------

    def add_candidate(self, key: str, org_key: str, *, by: str, note: str, suggested: bool = False) -> None:
        partnership, organisation = self.demo.find_partnership(key), self.demo.find_org(org_key)
        if (
            Candidate.objects.filter(partnership=partnership, organisation=organisation).exists()
            or Partner.objects.filter(partnership=partnership, organisation=organisation).exists()
        ):
            return
        actor = self.demo.user(by)
        reasons = (
            candidate_reasons(user=actor, partnership=partnership, organisation=organisation)
            if suggested
            else []
        )
        candidate_add(
            actor=actor,
            partnership=partnership,
            organisation=organisation,
            suggested=suggested,
            reasons=reasons,
            note=note,
        )

    def assess(self, key: str, org_key: str, *, by: str, complete: bool = True) -> None:
        """Start the due diligence (the candidate moves to "assessing"), answer, and complete it."""
        candidate = self.candidate(key, org_key)
        if candidate is None or DueDiligenceAssessment.objects.filter(candidate=candidate).exists():
            return
        actor = self.demo.user(by)
        assessment = assessment_start(actor=actor, candidate=candidate)
        assessment = assessment_answer(actor=actor, assessment=assessment, answers=_answers(org_key))
        if complete:
            assessment_complete(actor=actor, assessment=assessment)

    def decide(
        self, key: str, org_key: str, *, by: str, decision: str, reason: str, reassess_in: int | None = None
    ) -> None:
        candidate = self.candidate(key, org_key)
        assessment = open_assessment(candidate) if candidate else None
        if assessment is None or assessment.completed_at is None:
            return
        assessment_decide(
            actor=self.demo.user(by),
            assessment=assessment,
            decision=decision,
            reason=reason,
            reassess_on=self.in_days(reassess_in) if reassess_in is not None else None,
        )

    def move(self, key: str, org_key: str, *, by: str, to_stage: str, reason: str) -> None:
        candidate = self.candidate(key, org_key)
        if candidate is not None and to_stage in TRANSITIONS.get(candidate.stage, ()):
            candidate_move(actor=self.demo.user(by), candidate=candidate, to_stage=to_stage, reason=reason)

    def invite(self, key: str, org_key: str, *, by: str, person: str, message: str) -> None:
        candidate = self.candidate(key, org_key)
        if (
            candidate is not None
            and candidate.stage == CandidateStage.ASSESSING
            and candidate_admission(candidate) == ADMITTED
        ):
            candidate_invite(
                actor=self.demo.user(by),
                candidate=candidate,
                email=self.demo.people[person][0],
                role=Role.MEMBER,
                message=message,
            )

    def brief(self, key: str, org_key: str, *, by: str, person: str) -> None:
        """Share the (AMBER) problem statement with the candidate's organisation and send it a briefing."""
        candidate = self.candidate(key, org_key)
        if candidate is None or BriefingShare.objects.filter(candidate=candidate).exists():
            return
        actor, partnership = self.demo.user(by), self.demo.find_partnership(key)
        statement = ProblemStatement.objects.filter(partnership=partnership).first()
        if (
            statement is not None
            and not statement.recipient_organisations.filter(pk=candidate.organisation_id).exists()
        ):
            problem_statement_update(
                actor=actor,
                partnership=partnership,
                nature=statement.nature,
                causes=statement.causes,
                tlp=statement.tlp,
                recipient_organisations=[*statement.recipient_organisations.all(), candidate.organisation],
                recipient_people=list(statement.recipient_people.all()),
            )
        briefing_share_create(actor=actor, candidate=candidate, email=self.demo.people[person][0])

    def dismiss(self, key: str, org_key: str, *, by: str, rule: str, reason: str) -> None:
        partnership, organisation = self.demo.find_partnership(key), self.demo.find_org(org_key)
        if ImpartialityDismissal.objects.filter(
            partnership=partnership, organisation=organisation, rule=rule
        ).exists():
            return
        actor = self.demo.user(by)
        warnings = impartiality_warnings(user=actor, partnership=partnership, organisation=organisation)
        if any(w.rule == rule for w in warnings):
            from safepact.formation.services.pipeline import impartiality_dismiss

            impartiality_dismiss(
                actor=actor, partnership=partnership, organisation=organisation, rule=rule, reason=reason
            )

    # The story --------------------------------------------------------------------------------------------

    def schedule(self) -> None:
        for org_key, (_person, days_ago, _fields) in PROFILES.items():
            if org_key in NEWCOMERS:
                self.at(NEWCOMERS[org_key][2], self.newcomer, org_key)
            else:
                self.at(days_ago, self.profile, org_key)
        self.sofielund()
        self.boats()
        self.dehurk()
        self.piraeus()

    def sofielund(self) -> None:
        at, key = self.at, "sofielund"
        at(
            411,
            self.problem,
            key,
            by="karin",
            tlp="green",
            nature=(
                "Sofielund, an inner-city district of Malmö with about 5,000 residents and many small "
                "businesses, suffers from graffiti and vandalism, burglaries in homes, basements and "
                "storerooms, and open drug dealing in a few streets and courtyards. Residents avoid some "
                "streets after dark; property owners see damage and vacancies rise."
            ),
            causes=(
                "Neglected courtyards and poorly lit passages; basements and storerooms with weak locks; "
                "a few properties with absentee owners where dealing takes place; vandalism left "
                "unrepaired, which invites more; and little contact between residents, owners and the "
                "police."
            ),
            figures=[
                (
                    "Reported burglaries in homes, basements and storerooms",
                    "212",
                    "per year",
                    "Polisen Region Syd, reported crime statistics for Sofielund",
                    45,
                ),
                (
                    "Reports of graffiti and vandalism to the city",
                    "1480",
                    "per year",
                    "Malmö stad, fault reports (felanmälan)",
                    40,
                ),
                (
                    "Residents who feel safe outdoors at night",
                    "41",
                    "%",
                    "Malmö stad, safety survey (trygghetsundersökning)",
                    120,
                ),
            ],
        )
        at(
            406,
            self.austin_profile,
            key,
            by="karin",
            scores=_scores(50, 25, 50, 25, 50, 25, 25),
            stage="transactional",
            note=(
                "The partners exchange information and each pays for its own actions; the board meets four "
                "times a year."
            ),
        )
        burglary = "Fewer burglaries in homes, basements and storerooms"
        dealing = "No open drug dealing in the streets"
        graffiti = "Graffiti and vandalism removed within 24 hours"
        safe = "Residents feel safe in Sofielund"
        at(
            386,
            self.objectives,
            key,
            by="karin",
            objectives=[
                (
                    burglary,
                    "Reported burglaries per year (police statistics): from 212 to under 150",
                    270,
                    "Better locks and lighting in basements and storerooms, and training for residents.",
                ),
                (
                    dealing,
                    "Places with open dealing found on the monthly safety walk: from 9 to 0",
                    450,
                    "Police presence, cameras and the owners' action against dealing in their properties.",
                ),
                (
                    graffiti,
                    "Share of graffiti and vandalism reports handled within 24 hours: from 58% to 90%",
                    180,
                    "Quick repair shows that someone cares, and prevents more damage.",
                ),
                (
                    safe,
                    "Residents who feel safe outdoors at night (city safety survey): from 41% to 60%",
                    365,
                    "",
                ),
            ],
        )
        at(
            385,
            self.voice,
            key,
            "malmo",
            by="karin",
            motives={
                "societal": "A safe, clean and attractive district for the people who live and work there.",
                "legislative": "The municipality's legal responsibility for local crime prevention.",
                "benefits": ["reputation", "safer", "compliance"],
            },
            commits=[
                (graffiti, "Graffiti removal contract for public space; street lighting."),
                (safe, "City development coordinators; the yearly safety survey."),
                (dealing, "Lighting and design of the courtyards where dealing takes place."),
            ],
        )
        at(
            384.5,
            self.voice,
            key,
            "polisen",
            by="anders",
            motives={
                "societal": "Fewer victims, and residents who trust the police again.",
                "legislative": "Crime prevention is a core task of the police; the citizen promise with the city.",
                "benefits": ["safer", "compliance"],
            },
            commits=[
                (burglary, "Hotspot patrols and burglary figures every month."),
                (dealing, "Police presence in the streets and action against dealers."),
            ],
        )
        at(
            384,
            self.voice,
            key,
            "fastighetsagare",
            by="johan",
            motives={
                "economic": "Less damage and vacancy, lower insurance premiums, and higher property values.",
                "societal": "Owners who take responsibility for the district together.",
                "benefits": ["safer", "reputation", "other"],
                "benefits_other": "Higher property values",
            },
            commits=[
                (burglary, "Locks and lighting in the members' basements and storerooms."),
                (graffiti, "Owners repair vandalism on their buildings within a day."),
            ],
        )
        at(
            383.5,
            self.voice,
            key,
            "rsyd",
            by="maja",
            motives={
                "legislative": "The Civil Protection Act: informing residents on fire safety.",
                "societal": "Fewer fires in basements and waste rooms, often set after a break-in.",
                "benefits": ["safer", "compliance"],
            },
            commits=[(burglary, "Training for residents on fire safety and burglary prevention.")],
        )
        at(
            383,
            self.voice,
            key,
            "bostader",
            by="karin",
            motives={
                "economic": "Less damage and vacancy in our buildings.",
                "societal": "Tenants who feel at home and stay.",
                "benefits": ["safer", "reputation"],
            },
            commits=[
                (burglary, "New locks on 300 storerooms."),
                (graffiti, "Safety hosts report and remove graffiti within a day."),
            ],
        )
        at(
            382.5,
            self.voice,
            key,
            "hyresgast",
            by="omar",
            motives={
                "societal": "Tenants want to feel safe at home and in the streets, and to be heard.",
                "benefits": ["safer"],
            },
            commits=[
                (dealing, "Monthly safety walks with residents, reporting what they find."),
                (safe, "Clean-up patrols and neighbour evenings."),
            ],
        )
        at(
            382,
            self.body,
            key,
            by="karin",
            name="Board of the BID Sofielund association",
            level=Level.BOARD,
            mandate=(
                "Sets the yearly priorities and the action plan and approves the budget; decides by "
                "consensus of the partners, so decisions are quick and supported by all."
            ),
            seats=[
                ("malmo", "karin", "Chair", "6"),
                ("polisen", "anders", "Board member (police)", "4"),
                ("fastighetsagare", "johan", "Board member (property owners)", "4"),
                ("rsyd", "maja", "Co-opted board member (rescue service)", "2"),
            ],
        )
        at(
            381.5,
            self.body,
            key,
            by="karin",
            name="Operational team",
            level=Level.OPERATIONAL,
            parent="Board of the BID Sofielund association",
            mandate=(
                "Runs the daily work: camera surveillance, safety walks, clean-up patrols and contact "
                "with residents and businesses. Reports to the board every month."
            ),
            seats=[
                ("malmo", "karin", "City development coordinator (operational lead)", "60"),
                ("malmo", None, "City development coordinator", "120"),
                ("bostader", "emma", "Safety host", "20"),
                ("polisen", "anders", "Community police officer", "16"),
            ],
        )
        at(
            381,
            self.body,
            key,
            by="karin",
            name="Tenants' working group",
            level=Level.STAKEHOLDER,
            parent="Operational team",
            mandate="Organises safety walks and clean-up patrols with residents and brings their concerns in.",
            seats=[("hyresgast", "omar", "Chair of the working group", "8")],
        )
        tasks = [
            (
                "Camera surveillance of streets and courtyards",
                "Cameras at entrances and courtyards, under the permit rules.",
                {"fastighetsagare": "R", "malmo": "A", "polisen": "C", "hyresgast": "I"},
            ),
            (
                "Police presence and hotspot patrols",
                "",
                {"polisen": "R", "malmo": "C", "fastighetsagare": "I", "hyresgast": "I"},
            ),
            (
                "Safety walks and clean-up patrols with residents",
                "Once a month, with the tenants' association and the safety hosts.",
                {"hyresgast": "R", "malmo": "A", "polisen": "C", "bostader": "I"},
            ),
            (
                "Graffiti and vandalism removed within 24 hours",
                "",
                {"bostader": "R", "fastighetsagare": "A", "malmo": "I"},
            ),
            (
                "Fire-safety and burglary-prevention training for residents",
                "Together with the insurer when it joins.",
                {"rsyd": "R", "malmo": "A", "bostader": "C", "hyresgast": "I"},
            ),
        ]
        for i, (title, description, raci) in enumerate(tasks):
            at(380.8 - i * 0.1, self.task, key, by="karin", title=title, description=description, raci=raci)
        at(
            378,
            self.dismiss,
            key,
            "bostader",
            by="karin",
            rule=ImpartialityRule.SOLE_COMPANY,
            reason=(
                "The other property owners take part through their association, Fastighetsägare i "
                "Sofielund, of which Sofielunds Bostäder is a member."
            ),
        )
        at(
            366,
            self.voice,
            key,
            "mau",
            by="karin",
            motives={
                "societal": "Knowledge of what works in local crime prevention.",
                "benefits": ["reputation", "other"],
                "benefits_other": "Research data and student placements",
            },
            commits=[(safe, "Runs the yearly safety survey and evaluates the actions.")],
        )
        at(
            365.5,
            self.body,
            key,
            by="karin",
            name="Evaluation advisory board",
            level=Level.STAKEHOLDER,
            parent="Board of the BID Sofielund association",
            mandate="Advises on measuring the effect of the actions and reviews the yearly report.",
            seats=[("mau", "lina", "Evaluation adviser", "4")],
        )
        at(
            365,
            self.task,
            key,
            by="karin",
            title="Yearly safety survey and evaluation",
            description="",
            raci={"mau": "R", "malmo": "A", "polisen": "C", "fastighetsagare": "I"},
        )
        for days_ago, org_key, person, positions, comments in (
            (
                232,
                "fastighetsagare",
                "johan",
                {"engagement": 75, "resources": 75, "strategic": 50},
                {"resources": "The owners now pay for cameras and the night guard together."},
            ),
            (
                230,
                "hyresgast",
                "omar",
                {"engagement": 75, "interaction": 75, "mission": 50},
                {"interaction": "Residents meet the police and the owners every month on the walks."},
            ),
            (
                226,
                "rsyd",
                "maja",
                {"scope": 50, "complexity": 50},
                {"scope": "Training is now part of the joint plan, not a separate offer."},
            ),
        ):
            at(days_ago, self.austin_input, key, org_key, by=person, positions=positions, comments=comments)
        at(
            220,
            self.austin_profile,
            key,
            by="karin",
            scores=_scores(75, 50, 50, 50, 75, 50, 50),
            stage="transactional",
            note=(
                "A joint action plan with city development coordinators as operational leads; monthly "
                "operational meetings; the owners co-fund cameras and the night guard."
            ),
        )
        # A youth association, suggested by the directory, is vetted and invited.
        at(
            76,
            self.add_candidate,
            key,
            "unga",
            by="karin",
            suggested=True,
            note="Young people hang around the courtyards at night; the association's youth workers know them.",
        )
        at(70, self.assess, key, "unga", by="karin")
        at(
            66,
            self.decide,
            key,
            "unga",
            by="anders",
            decision=DueDiligenceDecision.ADMIT,
            reason="Low risk; a long record of work with the city's youth programmes.",
            reassess_in=300,
        )
        at(
            55,
            self.dismiss,
            key,
            "forsakring",
            by="anders",
            rule=ImpartialityRule.SOLE_COMPANY,
            reason=(
                "Nordisk Försäkring insures most properties in Sofielund and co-funds the residents' "
                "training; the other insurers were asked through the property owners and did not answer."
            ),
        )
        at(
            42,
            self.austin_input,
            key,
            "polisen",
            by="anders",
            positions={"mission": 75, "strategic": 75, "interaction": 100},
            comments={"strategic": "Sofielund is now the model for the police's work in other districts."},
        )
        at(
            30,
            self.austin_profile,
            key,
            by="karin",
            scores=_scores(100, 75, 75, 75, 100, 75, 75),
            stage="integrative",
            note=(
                "One association with a shared mission and budget: the board decides together, the "
                "partners' staff work as one team, and the approach is copied elsewhere in Malmö."
            ),
        )
        at(
            6,
            self.invite,
            key,
            "unga",
            by="karin",
            person="amira",
            message="Welcome: we would like your youth workers to join the operational team.",
        )

    def boats(self) -> None:
        at, key = self.at, "boats"
        at(
            276,
            self.problem,
            key,
            by="anders",
            tlp="green",
            nature=(
                "Outboard engines and boats are stolen in Sweden and the Netherlands and sold across the "
                "border. When police in one country find a suspicious engine, they often cannot tell that "
                "it was stolen abroad."
            ),
            causes=(
                "National registers do not all record the identifiers the Schengen Information System can "
                "hold: some keep one hull number per boat and no engine serial number. Engine numbers are "
                "easily ground off, and dealers do not always record them at sale or service."
            ),
            figures=[
                (
                    "Outboard engines reported stolen in the two countries",
                    "2300",
                    "per year",
                    "Police statistics of both countries, rounded",
                    90,
                ),
                (
                    "Stolen engines found abroad and returned to their owner",
                    "4",
                    "%",
                    "Claims files of the insurers, estimate",
                    60,
                ),
            ],
        )
        numbers = "Hull and engine numbers recorded at every sale, service and insurance"
        sis = "Every stolen engine in SIS with all its identifiers"
        answer = "A foreign request about a suspicious engine answered within five working days"
        at(
            268,
            self.objectives,
            key,
            by="anders",
            objectives=[
                (
                    numbers,
                    "Share of new policies and dealer sales with the engine serial number recorded",
                    365,
                    "",
                ),
                (sis, "Share of stolen-engine reports entered in SIS with engine and hull number", 270, ""),
                (answer, "Median answer time of requests through the two contact points", 180, ""),
            ],
        )
        for days_ago, org_key, person, motives, commits in (
            (
                267,
                "polisen",
                "anders",
                {"legislative": "The SIS rules: enter every stolen object with all its identifiers."},
                [(sis, "Entries by the Swedish contact point."), (answer, "Contact point in Malmö.")],
            ),
            (
                266.5,
                "politie_water",
                "pieter",
                {"legislative": "The SIS rules, and the Dutch agreement with the marine trade on marking."},
                [(sis, "Entries by the Dutch contact point."), (answer, "Contact point at Team Water.")],
            ),
            (
                266,
                "forsakring",
                "erik",
                {
                    "economic": "Fewer and cheaper claims: a recovered engine is returned instead of paid out.",
                    "benefits": ["reputation", "safer"],
                },
                [(numbers, "Serial numbers asked for in every new boat policy.")],
            ),
            (
                265.5,
                "watersport",
                "marloes",
                {
                    "economic": "Honest dealers are undercut by stolen engines sold cheaply.",
                    "societal": "Boat owners' trust in the trade.",
                    "benefits": ["reputation"],
                },
                [(numbers, "Marking scheme and advice to the 400 members.")],
            ),
            (
                265,
                "buitenboord",
                "anders",
                None,
                [(numbers, "Records serial numbers at every sale and service.")],
            ),
        ):
            at(days_ago, self.voice, key, org_key, by=person, motives=motives, commits=commits)
        at(
            264,
            self.body,
            key,
            by="anders",
            name="Steering group",
            level=Level.BOARD,
            mandate="Agrees on the identifiers to record and the way requests are answered; meets twice a year.",
            seats=[
                ("polisen", "anders", "Chair", "4"),
                ("politie_water", "pieter", "Member (Dutch police)", "4"),
                ("forsakring", "erik", "Member (insurers)", "2"),
            ],
        )
        at(
            263.5,
            self.body,
            key,
            by="anders",
            name="Working group on identifiers",
            level=Level.OPERATIONAL,
            parent="Steering group",
            mandate="Drafts the list of identifiers and the checklist for a suspicious engine.",
            seats=[
                ("watersport", "marloes", "Lead", "6"),
                ("buitenboord", "bart", "Dealer's expert", "2"),
                ("politie_water", "pieter", "Police expert", "2"),
            ],
        )
        at(
            263,
            self.task,
            key,
            by="anders",
            title="List of identifiers to record for a boat and its engine",
            description="Hull number, engine serial number and transom plate, as the SIS can hold them.",
            raci={
                "watersport": "R",
                "polisen": "A",
                "politie_water": "C",
                "forsakring": "C",
                "buitenboord": "I",
            },
        )
        at(
            262.5,
            self.task,
            key,
            by="anders",
            title="Checklist for checking a suspicious engine",
            description="",
            raci={"politie_water": "R", "polisen": "A", "buitenboord": "C", "forsakring": "I"},
        )
        at(
            262,
            self.not_applicable,
            key,
            by="anders",
            step=ClaimedStep.EMPOWER,
            reason=(
                "The partners bring their own know-how and registers: each police force trains its own "
                "officers on the SIS identifiers and the trade association trains its members. The "
                "partnership itself funds and trains no one."
            ),
        )
        at(
            255,
            self.austin_profile,
            key,
            by="anders",
            scores=_scores(50, 25, 25, 25, 50, 25, 50),
            stage="transactional",
            note="The partners exchange information and agree on standards; no shared budget or joint operations.",
        )

    def dehurk(self) -> None:
        at, key = self.at, "dehurk"
        # Zonne-energie was vetted before the park's certificate; it joined through the members page.
        at(
            205,
            self.add_candidate,
            key,
            "zonne",
            by="sanne",
            note="Runs solar installations on twelve roofs of the park; copper cable theft from roofs.",
        )
        at(204, self.assess, key, "zonne", by="sanne")
        at(
            202,
            self.decide,
            key,
            "zonne",
            by="sanne",
            decision=DueDiligenceDecision.ADMIT,
            reason="Low risk. Reassess when the planned sale of the company to a foreign investor goes through.",
            reassess_in=20,
        )
        at(
            198,
            self.demo.join,
            key,
            days_ago=198,
            by="sanne",
            person="sven",
            org_key="zonne",
            job_title="Operations manager",
        )
        at(
            196,
            self.demo.set_role,
            key,
            days_ago=196,
            by="sanne",
            person="ruud",
            role=Role.COORDINATOR,
            reason="The Keurmerk asks the municipality and the businesses to lead the partnership together.",
        )
        at(
            195,
            self.problem,
            key,
            by="sanne",
            tlp="amber",
            recipients=["eindhoven", "politie_ob"],
            nature=(
                "De Hurk is one of Eindhoven's largest business parks, with about 300 companies. Business "
                "premises are burgled, vans, tools and cargo are stolen from trucks parked overnight, and "
                "vacant premises show signs of subversive crime: cannabis cultivation, storage of stolen "
                "goods, and units rented as a front."
            ),
            causes=(
                "Seven entrances and few cameras; trucks parked along the streets at night; vacant "
                "premises rented out without checks on the tenant; dark back streets; and companies that "
                "do not report incidents to the police."
            ),
            figures=[
                (
                    "Reported burglaries in business premises",
                    "46",
                    "per year",
                    "Politie Eenheid Oost-Brabant, incident registration De Hurk",
                    30,
                ),
                (
                    "Thefts from trucks parked overnight",
                    "31",
                    "per year",
                    "Police registration and reports to the park manager",
                    30,
                ),
                ("Vacant premises on the park", "23", "units", "Gemeente Eindhoven, vacancy monitor", 60),
            ],
        )
        burglary = "Fewer burglaries in business premises"
        cameras = "Cameras at every park entrance, watched from one control room"
        vacant = "Every vacant premises checked, and its new tenant screened"
        star = "Second star of the Keurmerk Veilig Ondernemen"
        at(
            190,
            self.objectives,
            key,
            by="sanne",
            objectives=[
                (burglary, "Reported business burglaries per year: from 46 to under 30", 300, ""),
                (
                    cameras,
                    "Entrances covered by cameras connected to the control room: from 2 to 7 of 7",
                    240,
                    "",
                ),
                (
                    vacant,
                    "Share of vacant premises inspected by the municipality and the police each quarter",
                    200,
                    "",
                ),
                (
                    star,
                    "Keurmerk audit passed with the second star",
                    400,
                    "Needs a partner to prepare the audit file; nobody has taken it on yet.",
                ),
            ],
        )
        for days_ago, org_key, person, motives, commits in (
            (
                189,
                "eindhoven",
                "sanne",
                {
                    "societal": "A safe park keeps jobs in the city.",
                    "legislative": "The mayor's powers against subversive use of premises (Bibob).",
                    "benefits": ["safer", "compliance"],
                },
                [
                    (cameras, "Co-funds the cameras at the entrances."),
                    (vacant, "Inspections and permit checks."),
                ],
            ),
            (
                188.5,
                "politie_ob",
                "mehmet",
                {
                    "legislative": "Fighting subversive crime together with the municipality.",
                    "benefits": ["safer"],
                },
                [(burglary, "Patrols at night and monthly figures."), (vacant, "Joint inspections.")],
            ),
            (
                188,
                "ov_dehurk",
                "ruud",
                {
                    "economic": "Lower costs of damage and insurance for the members; an attractive park.",
                    "benefits": ["safer", "reputation", "other"],
                    "benefits_other": "Lower insurance premiums for the members",
                },
                [(burglary, "Collective surveillance contract."), (cameras, "Manages the camera project.")],
            ),
            (
                187.5,
                "beveiliging",
                "dennis",
                {"economic": "The collective surveillance contract.", "benefits": ["reputation"]},
                [
                    (burglary, "Night patrols and alarm response."),
                    (cameras, "Monitoring from the control room."),
                ],
            ),
            (
                187,
                "vankempen",
                "joost",
                {"economic": "Metal stock stolen twice last year.", "benefits": ["safer"]},
                [(burglary, "Fences and gates at cost price for neighbours.")],
            ),
            (186.5, "blc", "lotte", None, [(burglary, "Shares camera images of the access road.")]),
        ):
            at(days_ago, self.voice, key, org_key, by=person, motives=motives, commits=commits)
        at(
            185,
            self.austin_profile,
            key,
            by="sanne",
            scores=_scores(50, 50, 50, 25, 50, 50, 25),
            stage="transactional",
            note="A collective surveillance contract and a shared action plan; each partner still runs its own part.",
        )
        at(
            182,
            self.body,
            key,
            by="sanne",
            name="Core group Veilig Ondernemen De Hurk",
            level=Level.BOARD,
            mandate="Draws up the safety analysis and the action plan of the Keurmerk; meets every six weeks.",
            seats=[
                ("eindhoven", "sanne", "Chair", "8"),
                ("ov_dehurk", "ruud", "Vice-chair (businesses)", "8"),
                ("politie_ob", "mehmet", "Member (police)", "4"),
                ("beveiliging", "dennis", "Member (collective surveillance)", "2"),
            ],
        )
        at(
            175,
            self.dismiss,
            key,
            "beveiliging",
            by="sanne",
            rule=ImpartialityRule.SOLE_COMPANY,
            reason=(
                "The collective surveillance was tendered among three security firms by the business "
                "association; one firm per park is how the scheme works, and the contract is tendered again "
                "every three years."
            ),
        )
        # A self-storage company is vetted and rejected.
        at(
            172,
            self.add_candidate,
            key,
            "opslag",
            by="ruud",
            note="Offered storage for the park's companies.",
        )
        at(168, self.assess, key, "opslag", by="sanne")
        at(
            165,
            self.decide,
            key,
            "opslag",
            by="sanne",
            decision=DueDiligenceDecision.REJECT,
            reason="Undeclared ties with a council member and a conflict of interest with screening tenants.",
        )
        at(
            164,
            self.move,
            key,
            "opslag",
            by="sanne",
            to_stage=CandidateStage.REJECTED,
            reason="Due diligence: undeclared ties with a public official (red flag).",
        )
        at(160, self.add_candidate, key, "koeltechniek", by="ruud", note="Two break-ins last winter.")
        at(
            150,
            self.move,
            key,
            "koeltechniek",
            by="ruud",
            to_stage=CandidateStage.DECLINED,
            reason="No staff time this year; will join the collective surveillance without taking part.",
        )
        # A scrap-metal yard: high risk, admitted under conditions, awaiting the second coordinator.
        at(
            140,
            self.add_candidate,
            key,
            "recycling",
            by="sanne",
            note="Sees stolen metal, cable and catalytic converters first; can report suspicious offers.",
        )
        at(136, self.assess, key, "recycling", by="sanne")
        at(
            120,
            self.decide,
            key,
            "recycling",
            by="sanne",
            decision=DueDiligenceDecision.ADMIT,
            reason=(
                "High risk by its score, but the yard is where stolen metal surfaces. Admit under conditions: "
                "ID registration of every seller shared with the police on request, and a yearly check."
            ),
            reassess_in=180,
        )
        # The lighting company, found through the suggestions.
        at(
            100,
            self.add_candidate,
            key,
            "lumen",
            by="sanne",
            suggested=True,
            note="Suggested by SafePact; the back streets are dark.",
        )
        # A transport company: medium risk, admitted and invited.
        at(
            60,
            self.add_candidate,
            key,
            "vandijk",
            by="ruud",
            note="40 trucks parked on the park every night.",
        )
        at(58, self.assess, key, "vandijk", by="sanne")
        at(
            50,
            self.decide,
            key,
            "vandijk",
            by="ruud",
            decision=DueDiligenceDecision.ADMIT,
            reason="Medium risk: minor points (gifts stopped, no privacy officer yet); nothing against admission.",
            reassess_in=365,
        )
        at(
            8,
            self.invite,
            key,
            "vandijk",
            by="ruud",
            person="hanneke",
            message="Your drivers see the park at night: join us against cargo theft.",
        )
        # The truck park: briefed on the (AMBER) problem, due diligence under way.
        at(
            30,
            self.add_candidate,
            key,
            "truckparking",
            by="sanne",
            note="Could take the trucks off the streets.",
        )
        at(28, self.brief, key, "truckparking", by="sanne", person="wim")
        at(24, self.assess, key, "truckparking", by="sanne", complete=False)

    def piraeus(self) -> None:
        at, key = self.at, "piraeus"
        at(
            168,
            self.problem,
            key,
            by="eleni",
            tlp="green",
            nature=(
                "Around the central market and the port, residents and traders report street drug "
                "dealing, pickpocketing and shop theft, vandalism, and dark streets after closing time."
            ),
            causes=(
                "Crowds and transit around the port, empty shops and dark streets at night. Within the "
                "council: partners hard to keep engaged, weak follow-up because internal communication was "
                "too little and inconsistent, too few staff and funds, and hardly any citizens taking part "
                "in choosing and carrying out the actions. The lesson: rank a few clear priorities, "
                "concentrate on a limited number of actions, work in simple and visible ways, and monitor "
                "and evaluate together."
            ),
            figures=[
                (
                    "Reported thefts and pickpocketing in the port area",
                    "860",
                    "per year",
                    "Hellenic Police, Piraeus Police Directorate",
                    75,
                ),
                (
                    "Traders who feel unsafe after closing time",
                    "63",
                    "%",
                    "Piraeus Traders' Association, member survey",
                    50,
                ),
            ],
        )
        market = "No street drug dealing on the square by the central market"
        port = "Fewer pickpocketing and shop thefts in the port area"
        at(
            166,
            self.objectives,
            key,
            by="eleni",
            objectives=[
                (market, "Reports of dealing on the square per month", 365, ""),
                (port, "Reported thefts in the port area per year", 365, ""),
                (
                    "Light the twelve darkest streets around the market",
                    "Streets with working lighting",
                    240,
                    "",
                ),
                ("Graffiti removed within a week", "Share of reports handled within seven days", 180, ""),
                (
                    "A citizens' safety forum twice a year",
                    "Forums held, and residents taking part",
                    300,
                    "Lesson of the start: citizens hardly took part in choosing and carrying out the actions.",
                ),
                (
                    "A monthly follow-up meeting with a standard progress report",
                    "Meetings held with a progress report sent to every partner",
                    120,
                    "Lesson of the start: continuity and follow-up suffered from inconsistent communication.",
                ),
            ],
        )
        at(
            164,
            self.voice,
            key,
            "piraeus",
            by="eleni",
            commits=[
                (market, "Social workers and lighting on the square."),
                ("Light the twelve darkest streets around the market", "Street lighting budget."),
            ],
        )
        at(
            162,
            self.voice,
            key,
            "hellenic_police",
            by="giorgos",
            commits=[(market, "Patrols."), (port, "Patrols.")],
        )

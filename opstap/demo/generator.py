"""Deterministic demo data: three organisations, their staff and N fictitious clients.

Everything a client file holds is drawn from one `random.Random(seed)` and Faker instances
seeded with the same seed, in a fixed order, and every date of its history is counted back
from REFERENCE_DATE, never from today: the same seed and the same number of clients give the
same names, numbers and dates on every run and every machine. (Only database timestamps
such as `created_at`, and the random file names of documents, differ between runs.) What the
pages count from today is dated from the day the demo is built (`build_day`): coaching
sessions and case notes, referrals, the access log, and the loans' close of business, which
runs every day from REFERENCE_DATE up to that day; the same seed on the same day gives the
same database.

The pure part (`DemoPlan`, `generate_clients`, the number generators) needs no database;
`build_demo` writes a plan: organisations and members through the services, clients and
what hangs off them with `bulk_create` in batches, all in one transaction.

All people are invented. Client e-mail addresses use the reserved example.* domains.
"""

from __future__ import annotations

import bisect
import datetime
import random
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone
from faker import Faker

from opstap.clients.choices import (
    ConsentPurpose,
    DocumentKind,
    Gender,
    Household,
    IncomeSource,
    LabourStatus,
    LegalBasis,
    ResidenceStatus,
)
from opstap.clients.models import Client, ClientCoach, ClientDocument, Consent, normalise_for_search
from opstap.core import crypto
from opstap.core.identifiers import validate_enterprise_number, validate_national_number
from opstap.core.models import AuditEvent, Organisation, User
from opstap.core.roles import Role
from opstap.core.services import member_add, organisation_create
from opstap.demo.access import build_access_log
from opstap.demo.access import summary as access_summary
from opstap.demo.activities import build_activities
from opstap.demo.coaching import build_coaching
from opstap.demo.coaching import summary as coaching_summary
from opstap.demo.lending import build_lending
from opstap.demo.lending import summary as lending_summary
from opstap.demo.plans import build_plans
from opstap.demo.plans import summary as plans_summary
from opstap.demo.privacy import build_privacy
from opstap.demo.privacy import summary as privacy_summary
from opstap.demo.referrals import build_referrals
from opstap.demo.referrals import summary as referrals_summary
from opstap.demo.routes import build_routes

# A demo password, printed on the console on purpose: never load demo data on a real server.
DEMO_PASSWORD = "opstap-demo-2026"  # noqa: S105 - published on purpose
REFERENCE_DATE = datetime.date(2026, 11, 1)
DEFAULT_CLIENTS = 300
DEFAULT_SEED = 2026
BATCH_SIZE = 2000
PROGRESS_EVERY = 10_000

MULTI_EMAIL = "multi@opstap.demo"
SUPERUSER_EMAIL = "superuser@opstap.demo"
PRODUCTION_REFUSED = (
    "Refusing to load demo data: this is a production installation (OPSTAP_ENV=production). "
    "Demo data brings logins with a published password."
)

# The local part of each role's login, admin@<slug>.demo and so on; a role added later
# gets its own name spelled with dashes.
ROLE_LOGIN = {
    Role.ORG_ADMIN: "admin",
    Role.ADVISER: "adviser",
    Role.VOLUNTEER: "volunteer",
    Role.LOAN_OFFICER: "loans",
    Role.COMMITTEE: "committee",
    Role.BENEFITS_OFFICER: "benefits",
    Role.JOB_COACH: "jobcoach",
    Role.PROGRAMME_MANAGER: "programme",
    Role.AUDITOR: "auditor",
}


class DemoError(Exception):
    """The demo cannot be built here; the message says why."""


def build_day() -> datetime.date:
    """The day the demo is built: what the pages call today. The history is told up to
    REFERENCE_DATE; what the pages count from today (this month's coaching sessions, open
    referrals, the close of business and so the loans' arrears) is dated from this day."""
    return timezone.localdate()


class Writer(Protocol):
    def write(self, msg: str) -> object: ...


# --------------------------------------------------------------------------------------
# Weighted choices
# --------------------------------------------------------------------------------------


class Weighted:
    """A fixed weighted choice, one rng.random() per pick."""

    __slots__ = ("items", "cumulative", "total")

    def __init__(self, pairs: Sequence[tuple[object, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cumulative: list[float] = []
        running = 0.0
        for _, weight in pairs:
            running += weight
            self.cumulative.append(running)
        self.total = running

    def pick(self, rng: random.Random) -> Any:
        index = bisect.bisect_right(self.cumulative, rng.random() * self.total)
        return self.items[min(index, len(self.items) - 1)]


# --------------------------------------------------------------------------------------
# Identifiers with valid check digits
# --------------------------------------------------------------------------------------


def kbo_number(rng: random.Random) -> str:
    """A Belgian enterprise number: 10 digits from 0 or 1, the last two = 97 - first 8 mod 97."""
    first8 = f"0{rng.randint(2_000_000, 9_999_999):07d}"
    return f"{first8}{97 - int(first8) % 97:02d}"


def kvk_number(rng: random.Random) -> str:
    return f"{rng.randint(10_000_000, 99_999_999)}"


def be_national_number(birth_date: datetime.date, serial: int) -> str:
    """Rijksregisternummer: YYMMDD, serial (odd for men, even for women), 2 check digits."""
    body = f"{birth_date:%y%m%d}{serial:03d}"
    base = int(("2" + body) if birth_date.year >= 2000 else body)
    return f"{body}{97 - base % 97:02d}"


def nl_bsn(rng: random.Random) -> str:
    """A BSN: 9 digits, not starting with 0, passing the 11-proof (weights 9..2, last -1)."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if last < 10:
            return "".join(map(str, digits)) + str(last)


def iban_check_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


# Bank codes of real Belgian banks (BNP Paribas Fortis, Belfius, ING, KBC, Crelan) and the
# bank identifiers of Dutch ones: the accounts themselves are invented.
BE_BANK_CODES = ((1, 49), (50, 99), (300, 399), (400, 499), (750, 765))
# fmt: off
NL_BANKS = Weighted([("INGB", 30), ("ABNA", 20), ("RABO", 25), ("SNSB", 10), ("ASNB", 5),
                     ("BUNQ", 5), ("KNAB", 3), ("TRIO", 2)])
# fmt: on


def be_iban(rng: random.Random) -> str:
    low, high = rng.choice(BE_BANK_CODES)
    first10 = f"{rng.randint(low, high):03d}{rng.randint(0, 9_999_999):07d}"
    national = int(first10) % 97 or 97
    bban = f"{first10}{national:02d}"
    return f"BE{iban_check_digits('BE', bban)}{bban}"


def nl_iban(rng: random.Random) -> str:
    bank = NL_BANKS.pick(rng)
    while True:  # the old Dutch 11-proof on the account number
        account = f"{rng.randint(100_000_000, 999_999_999):010d}"
        if sum(int(d) * w for d, w in zip(account, range(10, 0, -1), strict=True)) % 11 == 0:
            break
    bban = f"{bank}{account}"
    return f"NL{iban_check_digits('NL', bban)}{bban}"


# Dutch postcode letters never include F, I, O, Q, U, Y, and SA, SD and SS are not used.
NL_POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"


def nl_postcode(rng: random.Random, low: int, high: int) -> str:
    while True:
        letters = rng.choice(NL_POSTCODE_LETTERS) + rng.choice(NL_POSTCODE_LETTERS)
        if letters not in ("SA", "SD", "SS"):
            return f"{rng.randint(low, high)} {letters}"


# --------------------------------------------------------------------------------------
# A minimal PDF
# --------------------------------------------------------------------------------------


def _pdf_text(text: str) -> bytes:
    raw = text.encode("latin-1", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def minimal_pdf(lines: Sequence[str]) -> bytes:
    """A valid one-page A4 PDF showing these lines in Helvetica (latin-1 text)."""
    text = b"".join(b"(" + _pdf_text(line) + b") Tj T* " for line in lines)
    stream = b"BT /F1 12 Tf 16 TL 72 770 Td " + text + b"ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode() + b"0000000000 65535 f \n"
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out += trailer.encode()
    return bytes(out)


# --------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """Where clients live: a postcode (range), municipality and neighbourhood, (nl, fr)."""

    postcodes: tuple[int, int]
    municipality: tuple[str, str]
    neighbourhood: tuple[str, str]
    streets: tuple[tuple[str, str], ...]
    weight: int


def _same(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, name) for name in names)


# fmt: off
# Brussels communes and neighbourhoods, weighted to where microcredit clients mostly live.
BRUSSELS_AREAS = (
    Area((1080, 1080), ("Sint-Jans-Molenbeek", "Molenbeek-Saint-Jean"),
         ("Historisch Molenbeek", "Molenbeek historique"),
         (("Gentsesteenweg", "Chaussée de Gand"), ("Vier-Windenstraat", "Rue des Quatre-Vents"),
          ("Kolomstraat", "Rue de la Colonne")), 9),
    Area((1080, 1080), ("Sint-Jans-Molenbeek", "Molenbeek-Saint-Jean"), ("Maritiem", "Maritime"),
         (("Ribaucourtstraat", "Rue de Ribaucourt"), ("Leopold II-laan", "Boulevard Léopold II")),
         6),
    Area((1070, 1070), ("Anderlecht", "Anderlecht"), ("Kuregem", "Cureghem"),
         (("Bergensesteenweg", "Chaussée de Mons"), ("Clemenceaustraat", "Rue Clemenceau"),
          ("Fiennesstraat", "Rue de Fiennes")), 8),
    Area((1070, 1070), ("Anderlecht", "Anderlecht"), ("Peterbos", "Peterbos"),
         (("Revisielaan", "Boulevard de la Révision"), ("Wayezstraat", "Rue Wayez")), 3),
    Area((1030, 1030), ("Schaarbeek", "Schaerbeek"), ("Brabantwijk", "Quartier Brabant"),
         (("Brabantstraat", "Rue de Brabant"), ("Haachtsesteenweg", "Chaussée de Haecht")), 6),
    Area((1030, 1030), ("Schaarbeek", "Schaerbeek"), ("Colignon", "Colignon"),
         (("Josaphatstraat", "Rue Josaphat"), ("Rogierlaan", "Avenue Rogier")), 3),
    Area((1210, 1210), ("Sint-Joost-ten-Node", "Saint-Josse-ten-Noode"),
         ("Sint-Joost-centrum", "Saint-Josse centre"),
         (("Leuvensesteenweg", "Chaussée de Louvain"), ("Grensstraat", "Rue de la Limite")), 5),
    Area((1000, 1000), ("Brussel", "Bruxelles"), ("Anneessens", "Anneessens"),
         (("Zuidstraat", "Rue du Midi"), ("Anderlechtsestraat", "Rue d'Anderlecht")), 4),
    Area((1000, 1000), ("Brussel", "Bruxelles"), ("Marollen", "Marolles"),
         (("Hoogstraat", "Rue Haute"), ("Blaesstraat", "Rue Blaes")), 3),
    Area((1020, 1020), ("Laken", "Laeken"), ("Maria-Christina", "Marie-Christine"),
         (("Maria-Christinastraat", "Rue Marie-Christine"),
          ("Emile Bockstaellaan", "Boulevard Émile Bockstael")), 3),
    Area((1060, 1060), ("Sint-Gillis", "Saint-Gilles"), ("Hallepoort", "Porte de Hal"),
         (("Waterloosesteenweg", "Chaussée de Waterloo"), ("Merodestraat", "Rue de Mérode")), 3),
    Area((1190, 1190), ("Vorst", "Forest"), ("Wiels", "Wiels"),
         (("Van Volxemlaan", "Avenue Van Volxem"),
          ("Wielemans Ceuppenslaan", "Avenue Wielemans Ceuppens")), 2),
    Area((1050, 1050), ("Elsene", "Ixelles"), ("Matonge", "Matonge"),
         (("Elsensesteenweg", "Chaussée d'Ixelles"), ("Waversesteenweg", "Chaussée de Wavre")), 2),
    Area((1090, 1090), ("Jette", "Jette"), ("Esseghem", "Esseghem"),
         (("De Smet de Naeyerlaan", "Boulevard de Smet de Naeyer"),), 1),
    Area((1081, 1081), ("Koekelberg", "Koekelberg"), ("Koekelberg-centrum", "Koekelberg centre"),
         (("Herkoliersstraat", "Rue des Archers"),), 1),
)

GHENT_AREAS = (
    Area((9000, 9000), ("Gent", "Gand"), ("Rabot", "Rabot"),
         _same("Wondelgemstraat", "Rabotstraat", "Gasmeterlaan"), 7),
    Area((9000, 9000), ("Gent", "Gand"), ("Sluizeken", "Sluizeken"),
         _same("Sleepstraat", "Sluizeken", "Lange Steenstraat"), 6),
    Area((9000, 9000), ("Gent", "Gand"), ("Brugse Poort", "Brugse Poort"),
         _same("Phoenixstraat", "Bevrijdingslaan", "Haspelstraat"), 7),
    Area((9000, 9000), ("Gent", "Gand"), ("Dampoort", "Dampoort"),
         _same("Dampoortstraat", "Kasteellaan"), 4),
    Area((9000, 9000), ("Gent", "Gand"), ("Muide", "Muide"), _same("Muidelaan", "Pauwstraat"), 3),
    Area((9000, 9000), ("Gent", "Gand"), ("Nieuw Gent", "Nieuw Gent"),
         _same("Kikvorsstraat", "Jan Delvinlaan"), 3),
    Area((9040, 9040), ("Gent", "Gand"), ("Sint-Amandsberg", "Sint-Amandsberg"),
         _same("Antwerpsesteenweg", "Dendermondsesteenweg"), 4),
    Area((9050, 9050), ("Gent", "Gand"), ("Ledeberg", "Ledeberg"),
         _same("Hoveniersstraat", "Brusselsesteenweg"), 4),
    Area((9032, 9032), ("Gent", "Gand"), ("Wondelgem", "Wondelgem"), _same("Botestraat"), 1),
    Area((9030, 9030), ("Gent", "Gand"), ("Mariakerke", "Mariakerke"), _same("Brugsesteenweg"), 1),
    Area((9052, 9052), ("Gent", "Gand"), ("Zwijnaarde", "Zwijnaarde"),
         _same("Grotesteenweg-Noord"), 1),
)

# Emmerveen is invented, and so are its neighbourhoods and streets.
EMMERVEEN_AREAS = (
    Area((7811, 7815), ("Emmerveen", "Emmerveen"), ("Veenhof", "Veenhof"),
         _same("Turfstekerstraat", "Veenkoloniestraat", "Hoofdkanaal Oost"), 6),
    Area((7821, 7824), ("Emmerveen", "Emmerveen"), ("Dennenoord", "Dennenoord"),
         _same("Dennenlaan", "Sparrenstraat", "Boswachterspad"), 4),
    Area((7831, 7833), ("Emmerveen", "Emmerveen"), ("Schuttersveld", "Schuttersveld"),
         _same("Schutterslaan", "Boogschuttersstraat"), 4),
    Area((7841, 7843), ("Emmerveen", "Emmerveen"), ("Kanaalzijde", "Kanaalzijde"),
         _same("Vaartweg", "Kanaalstraat", "Sluiswachtersweg"), 3),
    Area((7851, 7852), ("Emmerveen", "Emmerveen"), ("Heidepark", "Heidepark"),
         _same("Heidebloemstraat", "Plaggenstraat"), 2),
    Area((7881, 7887), ("Emmerveen", "Emmerveen"), ("Noorderplas", "Noorderplas"),
         _same("Boekweitstraat", "Zandpad", "Noorderplasweg"), 2),
)
# fmt: on


# --------------------------------------------------------------------------------------
# Origins: names, languages, residence status
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]
    primary: Weighted  # first language spoken
    extras: tuple[tuple[str, float], ...]  # (code or LOCAL / SECOND, probability)
    residence: Weighted
    education: Weighted


LOCAL, SECOND = "LOCAL", "SECOND"


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(","))


# fmt: off
_REFUGEE_EDUCATION = Weighted([(0, 8), (1, 15), (2, 20), (3, 24), (4, 5), (5, 5), (6, 15),
                               (7, 7), (8, 1)])
_SETTLED_EDUCATION = Weighted([(0, 3), (1, 12), (2, 25), (3, 35), (4, 6), (5, 5), (6, 10),
                               (7, 4)])
_LOCAL_EDUCATION = Weighted([(1, 5), (2, 22), (3, 40), (4, 8), (5, 6), (6, 13), (7, 5), (8, 1)])
_REFUGEE_RESIDENCE = Weighted([
    (ResidenceStatus.RECOGNISED_REFUGEE, 55), (ResidenceStatus.SUBSIDIARY_PROTECTION, 17),
    (ResidenceStatus.ASYLUM_SEEKER, 10), (ResidenceStatus.NATIONAL, 18),
])

ORIGINS: dict[str, Origin] = {
    # Names come from Faker for "local" people; these lists are for the others.
    "local": Origin(
        (), (), (),
        Weighted([(LOCAL, 1)]), ((SECOND, 0.35), ("en", 0.25)),
        Weighted([(ResidenceStatus.NATIONAL, 92), (ResidenceStatus.EU_CITIZEN, 8)]),
        _LOCAL_EDUCATION,
    ),
    "moroccan": Origin(
        _names("Fatima, Khadija, Salma, Nadia, Samira, Naima, Houda, Imane, Yasmina, Soukaina, "
               "Latifa, Malika, Zineb, Hafsa, Meryem, Sanae"),
        _names("Mohamed, Ahmed, Youssef, Karim, Mustapha, Rachid, Hamza, Bilal, Said, "
               "Abdelkader, Omar, Ayoub, Mehdi, Nordin, Ilias, Anouar"),
        _names("El Amrani, Benali, El Idrissi, Bouzid, Ouali, Azzouz, El Khattabi, Boukhari, "
               "Haddou, Ait Lahcen, Tahiri, El Moussaoui, Zerouali, Bakkali, Chaouki, Lamrani, "
               "El Hajji, Ouahabi, Belhaj, Mansouri"),
        Weighted([("ar", 55), ("ber", 45)]), ((LOCAL, 0.85), ("ar", 0.3), (SECOND, 0.2)),
        Weighted([(ResidenceStatus.NATIONAL, 62), (ResidenceStatus.THIRD_COUNTRY, 33),
                  (ResidenceStatus.EU_CITIZEN, 5)]),
        _SETTLED_EDUCATION,
    ),
    "turkish": Origin(
        _names("Ayşe, Fatma, Elif, Zeynep, Emine, Hatice, Merve, Büşra, Esra, Özlem, Songül, "
               "Derya, Gül, Sevgi"),
        _names("Mehmet, Mustafa, Ahmet, Ali, Hüseyin, Hasan, İbrahim, Murat, Emre, Yusuf, Kemal, "
               "Serkan, Burak, Osman"),
        _names("Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Öztürk, Aydın, Arslan, Doğan, Kılıç, "
               "Aslan, Çetin, Kara, Koç, Kurt, Özdemir, Polat, Güneş"),
        Weighted([("tr", 88), ("ku", 12)]), ((LOCAL, 0.8), ("tr", 0.15), ("en", 0.1)),
        Weighted([(ResidenceStatus.NATIONAL, 60), (ResidenceStatus.THIRD_COUNTRY, 32),
                  (ResidenceStatus.RECOGNISED_REFUGEE, 8)]),
        _SETTLED_EDUCATION,
    ),
    "congolese": Origin(
        _names("Grâce, Chantal, Mireille, Nathalie, Esther, Ruth, Bénédicte, Josiane, Aline, "
               "Sandrine, Pascaline, Divine"),
        _names("Patrick, Jean-Pierre, Christian, Serge, Emmanuel, Didier, Joseph, Trésor, Fiston, "
               "Héritier, Guy, Cédric"),
        _names("Mukendi, Kabongo, Tshibanda, Ilunga, Lukusa, Mbuyi, Kalonji, Mputu, Nzuzi, "
               "Kasongo, Banza, Makiese, Mbala, Ngoy, Tshimanga, Kabeya, Mulumba"),
        Weighted([("fr", 70), ("ln", 30)]), (("ln", 0.5), ("fr", 0.5), (LOCAL, 0.35)),
        Weighted([(ResidenceStatus.NATIONAL, 40), (ResidenceStatus.THIRD_COUNTRY, 30),
                  (ResidenceStatus.RECOGNISED_REFUGEE, 22), (ResidenceStatus.ASYLUM_SEEKER, 8)]),
        _SETTLED_EDUCATION,
    ),
    "syrian": Origin(
        _names("Rania, Lina, Hala, Rasha, Nour, Reem, Dima, Hiba, Amal, Ghada, Rim, Yara, Bushra, "
               "Maya"),
        _names("Mohammad, Ahmad, Khaled, Mahmoud, Omar, Ammar, Bassel, Rami, Fadi, Ziad, Hussam, "
               "Tarek, Wassim, Anas"),
        _names("Al-Hassan, Al-Ahmad, Haddad, Khalil, Al-Khatib, Darwish, Hamdan, Al-Ali, Kassem, "
               "Sabbagh, Masri, Halabi, Shami, Al-Hamwi, Abboud, Nasser, Al-Saleh"),
        Weighted([("ar", 85), ("ku", 15)]), (("en", 0.3), (LOCAL, 0.45), ("ar", 0.1)),
        _REFUGEE_RESIDENCE, _REFUGEE_EDUCATION,
    ),
    "eritrean": Origin(
        _names("Senait, Helen, Selam, Mebrat, Saba, Yohana, Luwam, Feven, Rahwa, Semhar, Tsega, "
               "Winta"),
        _names("Yonas, Dawit, Samuel, Tesfay, Mehari, Biniam, Filmon, Amanuel, Robel, Kidane, "
               "Habtom, Mussie"),
        _names("Tesfamariam, Ghebremedhin, Haile, Tekle, Kidane, Berhane, Gebrehiwet, "
               "Woldemichael, Abraha, Mehari, Tesfaye, Asmerom, Yohannes, Negash, Ghirmay"),
        Weighted([("ti", 1)]), (("am", 0.2), ("ar", 0.2), ("en", 0.3), (LOCAL, 0.35)),
        _REFUGEE_RESIDENCE, _REFUGEE_EDUCATION,
    ),
    "afghan": Origin(
        _names("Zahra, Maryam, Fatima, Parwana, Shabnam, Farzana, Nargis, Mursal, Sodaba, Laila, "
               "Hosai, Roya"),
        _names("Ahmad, Mohammad, Abdul, Hamid, Farid, Jawad, Mustafa, Sayed, Naveed, Rahim, Wahid, "
               "Ali, Bashir"),
        _names("Ahmadi, Rahimi, Hashimi, Karimi, Sultani, Noori, Hussaini, Mohammadi, Amiri, "
               "Haidari, Stanekzai, Popal, Sharifi, Jafari, Rezaei, Azizi, Sadat, Nazari"),
        Weighted([("prs", 70), ("ps", 30)]),
        (("fa", 0.15), ("en", 0.2), (LOCAL, 0.35), ("prs", 0.1)),
        _REFUGEE_RESIDENCE, _REFUGEE_EDUCATION,
    ),
}
# fmt: on


# --------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgSpec:
    slug: str
    name: str
    kind: str
    country: str
    default_language: str
    share: int  # percent of the clients
    prefix: str  # of the dossier numbers
    local_languages: Weighted  # the language of the place, per client
    origins: Weighted
    areas: Weighted
    income: Weighted
    case_basis: str  # legal basis of the case-management consent
    advisers: int
    staff_locales: tuple[str, ...]
    partners: Weighted  # slugs, for consents to share with a partner
    bilingual: bool = False  # addresses in French or Dutch, by the client's languages

    @property
    def domain(self) -> str:
        return f"{self.slug}.demo"

    def login(self, role: str) -> str:
        return f"{ROLE_LOGIN.get(role, role.replace('_', '-'))}@{self.domain}"

    def adviser_emails(self) -> list[str]:
        extra = [f"adviser{i}@{self.domain}" for i in range(2, self.advisers + 1)]
        return [self.login(Role.ADVISER), *extra]


_IS = IncomeSource
# fmt: off
ORGANISATIONS = (
    OrgSpec(
        slug="microkrediet-brussel", name="Microkrediet Brussel / Microcrédit Bruxelles",
        kind=Organisation.Kind.MICROFINANCE, country="BE", default_language="fr", share=45,
        prefix="MKB", local_languages=Weighted([("fr", 68), ("nl", 32)]),
        origins=Weighted([("local", 38), ("moroccan", 24), ("turkish", 7), ("congolese", 12),
                          ("syrian", 8), ("eritrean", 5), ("afghan", 6)]),
        areas=Weighted([(a, a.weight) for a in BRUSSELS_AREAS]),
        income=Weighted([(_IS.SOCIAL_ASSISTANCE, 38), (_IS.UNEMPLOYMENT_BENEFIT, 25),
                         (_IS.DISABILITY_BENEFIT, 5), (_IS.NONE, 10), (_IS.OTHER, 17), ("", 5)]),
        case_basis=LegalBasis.CONTRACT, advisers=4, staff_locales=("fr_BE", "nl_BE"),
        partners=Weighted([("starterspunt-gent", 7), ("emmerveen", 3)]), bilingual=True,
    ),
    OrgSpec(
        slug="starterspunt-gent", name="Starterspunt Gent", kind=Organisation.Kind.NGO,
        country="BE", default_language="nl", share=30, prefix="SPG",
        local_languages=Weighted([("nl", 1)]),
        origins=Weighted([("local", 42), ("turkish", 16), ("moroccan", 12), ("syrian", 9),
                          ("afghan", 9), ("eritrean", 6), ("congolese", 6)]),
        areas=Weighted([(a, a.weight) for a in GHENT_AREAS]),
        income=Weighted([(_IS.SOCIAL_ASSISTANCE, 42), (_IS.UNEMPLOYMENT_BENEFIT, 25),
                         (_IS.DISABILITY_BENEFIT, 6), (_IS.NONE, 8), (_IS.OTHER, 14), ("", 5)]),
        case_basis=LegalBasis.CONSENT, advisers=3, staff_locales=("nl_BE",),
        partners=Weighted([("microkrediet-brussel", 8), ("emmerveen", 2)]),
    ),
    OrgSpec(
        slug="emmerveen", name="Gemeente Emmerveen", kind=Organisation.Kind.MUNICIPALITY,
        country="NL", default_language="nl", share=25, prefix="EMV",
        local_languages=Weighted([("nl", 1)]),
        origins=Weighted([("local", 50), ("syrian", 16), ("eritrean", 12), ("turkish", 7),
                          ("moroccan", 6), ("afghan", 9)]),
        areas=Weighted([(a, a.weight) for a in EMMERVEEN_AREAS]),
        income=Weighted([(_IS.SOCIAL_ASSISTANCE, 65), (_IS.UNEMPLOYMENT_BENEFIT, 14),
                         (_IS.DISABILITY_BENEFIT, 5), (_IS.NONE, 5), (_IS.OTHER, 6), ("", 5)]),
        case_basis=LegalBasis.PUBLIC_TASK, advisers=3, staff_locales=("nl_NL",),
        partners=Weighted([("microkrediet-brussel", 5), ("starterspunt-gent", 5)]),
    ),
)
ORGANISATIONS_BY_SLUG = {spec.slug: spec for spec in ORGANISATIONS}
DEMO_SLUGS = tuple(spec.slug for spec in ORGANISATIONS)
MULTI_ORGS = ("microkrediet-brussel", "starterspunt-gent")

# Monthly social assistance at entry: Belgian leefloon / revenu d'intégration (cohabitant,
# single, with family) and the Dutch bijstandsnorm (single, couple).
LEEFLOON = {"cohabitant": Decimal("842.11"), "single": Decimal("1263.17"),
            "family": Decimal("1707.20")}
BIJSTAND = {"single": Decimal("1401.20"), "couple": Decimal("2001.72")}

GENDERS = Weighted([(Gender.WOMAN, 52), (Gender.MAN, 44.5), (Gender.NON_BINARY, 1.5),
                    (Gender.UNKNOWN, 2)])
HOUSEHOLDS = Weighted([(Household.SINGLE, 44), (Household.SINGLE_PARENT, 24),
                       (Household.COUPLE, 32)])
LABOUR_BY_INCOME = {
    _IS.SOCIAL_ASSISTANCE: Weighted([(LabourStatus.LONG_TERM_UNEMPLOYED, 50),
                                     (LabourStatus.UNEMPLOYED, 30), (LabourStatus.INACTIVE, 20)]),
    _IS.UNEMPLOYMENT_BENEFIT: Weighted([(LabourStatus.UNEMPLOYED, 70),
                                        (LabourStatus.LONG_TERM_UNEMPLOYED, 30)]),
    _IS.DISABILITY_BENEFIT: Weighted([(LabourStatus.INACTIVE, 80), (LabourStatus.UNEMPLOYED, 20)]),
    _IS.NONE: Weighted([(LabourStatus.INACTIVE, 50), (LabourStatus.UNEMPLOYED, 50)]),
    _IS.OTHER: Weighted([(LabourStatus.EMPLOYED, 50), (LabourStatus.SELF_EMPLOYED, 30),
                         (LabourStatus.UNEMPLOYED, 20)]),
    "": Weighted([(LabourStatus.UNEMPLOYED, 60), (LabourStatus.INACTIVE, 25), ("", 15)]),
}
# Monthly amounts in cents, (low, high), for the other income sources.
INCOME_RANGES = {
    ("BE", _IS.UNEMPLOYMENT_BENEFIT): (110_000, 200_000),
    ("NL", _IS.UNEMPLOYMENT_BENEFIT): (120_000, 260_000),
    ("BE", _IS.DISABILITY_BENEFIT): (100_000, 180_000),
    ("NL", _IS.DISABILITY_BENEFIT): (100_000, 180_000),
    ("BE", _IS.OTHER): (25_000, 150_000),
    ("NL", _IS.OTHER): (25_000, 150_000),
}
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
# The consent text shown: a new version from March 2026.
CONSENT_TEXT_OLD, CONSENT_TEXT_NEW = "2024-09", "2026-03"
CONSENT_TEXT_NEW_FROM = datetime.date(2026, 3, 1)

DOCUMENTS = {
    # kind → (file name in Dutch, in French, title on the page)
    DocumentKind.PLAN: ("ondernemingsplan.pdf", "plan-d-affaires.pdf", "Business plan (draft)"),
    DocumentKind.CONTRACT: ("begeleidingsovereenkomst.pdf", "convention-accompagnement.pdf",
                            "Guidance agreement"),
    DocumentKind.ID_COPY: ("kopie-identiteitskaart.pdf", "copie-carte-identite.pdf",
                           "Copy of identity document"),
    DocumentKind.OTHER: ("attest-inkomen.pdf", "attestation-revenus.pdf", "Income certificate"),
}
DOCUMENT_KINDS = Weighted([(DocumentKind.PLAN, 40), (DocumentKind.CONTRACT, 30),
                           (DocumentKind.ID_COPY, 15), (DocumentKind.OTHER, 15)])
# fmt: on


def document_pdf(kind: str) -> bytes:
    title = DOCUMENTS[kind][2]
    return minimal_pdf(
        [
            f"Opstap demo - {title}",
            "",
            "A fictitious document generated by `opstap demo`.",
            "It belongs to an invented person and holds no personal data.",
        ]
    )


# --------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberSpec:
    organisation: str  # slug
    email: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class ConsentSpec:
    purpose: str
    given_on: datetime.date
    legal_basis: str
    text_version: str
    partner: str = ""  # slug
    withdrawn_on: datetime.date | None = None


@dataclass(frozen=True)
class DocumentSpec:
    kind: str
    original_name: str


@dataclass(frozen=True)
class ClientSpec:
    organisation: str  # slug
    external_reference: str
    origin: str
    first_name: str
    last_name: str
    birth_date: datetime.date
    gender: str
    national_number: str  # compact, "" when unknown
    phone: str
    email: str
    street: str
    postcode: str
    municipality: str
    neighbourhood: str
    languages: tuple[str, ...]
    preferred_language: str
    household: str
    children_ages: tuple[int, ...]
    income_source: str
    income_monthly: Decimal | None
    labour_status: str
    education: int | None
    residence_status: str
    iban: str
    has_disability: bool | None
    minority_background: bool | None
    adviser: str  # e-mail
    entry_date: datetime.date
    consents: tuple[ConsentSpec, ...] = ()
    volunteer_coached: bool = False
    document: DocumentSpec | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def split_clients(clients: int) -> list[int]:
    """Clients per organisation by share; the last one takes the rounding."""
    counts = [clients * spec.share // 100 for spec in ORGANISATIONS[:-1]]
    return [*counts, clients - sum(counts)]


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _ascii_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", normalise_for_search(text))


class DemoPlan:
    """What the demo holds, drawn from the seed; `client_specs()` is meant to run once."""

    def __init__(self, *, clients: int, seed: int) -> None:
        if clients < 0:
            raise DemoError("The number of clients cannot be negative.")
        self.clients = clients
        self.seed = seed
        self.rng = random.Random(seed)
        self.fakers: dict[str, Faker] = {}
        for locale in ("fr_BE", "nl_BE", "nl_NL"):
            fake = Faker(locale)
            fake.seed_instance(seed)
            self.fakers[locale] = fake
        self.counts = dict(zip(DEMO_SLUGS, split_clients(clients), strict=True))
        self.enterprise_numbers = {
            spec.slug: kbo_number(self.rng) if spec.country == "BE" else kvk_number(self.rng)
            for spec in ORGANISATIONS
        }
        self.members = self._members()
        self.advisers: dict[str, list[str]] = {
            spec.slug: [
                m.email
                for m in self.members
                if m.organisation == spec.slug and Role.ADVISER in m.roles
            ]
            for spec in ORGANISATIONS
        }

    # Staff ----------------------------------------------------------------------------
    def _person(self, locale: str) -> tuple[str, str]:
        fake = self.fakers[locale]
        first = fake.first_name_female() if self.rng.random() < 0.55 else fake.first_name_male()
        return first, fake.last_name()

    def _members(self) -> list[MemberSpec]:
        members: list[MemberSpec] = []
        for spec in ORGANISATIONS:
            for role in Role:
                first, last = self._person(self.rng.choice(spec.staff_locales))
                members.append(MemberSpec(spec.slug, spec.login(role), first, last, (role.value,)))
            for email in spec.adviser_emails()[1:]:
                first, last = self._person(self.rng.choice(spec.staff_locales))
                members.append(MemberSpec(spec.slug, email, first, last, (Role.ADVISER.value,)))
        first, last = self._person("nl_BE")
        for slug in MULTI_ORGS:
            members.append(MemberSpec(slug, MULTI_EMAIL, first, last, (Role.ADVISER.value,)))
        return members

    # Clients --------------------------------------------------------------------------
    def client_specs(self) -> Iterator[ClientSpec]:
        for spec in ORGANISATIONS:
            count = self.counts[spec.slug]
            rng = self.rng
            coached = set(rng.sample(range(count), min(count, rng.randint(9, 12))))
            documents = set(rng.sample(range(count), min(count, max(1, round(count * 0.03)))))
            taken: set[str] = set()  # national numbers, unique per organisation
            for index in range(count):
                yield self._client(spec, index, taken, index in coached, index in documents)

    def _client(
        self, spec: OrgSpec, index: int, taken: set[str], coached: bool, with_document: bool
    ) -> ClientSpec:
        rng = self.rng
        origin_name = spec.origins.pick(rng)
        origin = ORIGINS[origin_name]
        local = spec.local_languages.pick(rng)
        second = {"fr": "nl", "nl": "fr"}[local] if spec.country == "BE" else ""
        gender = GENDERS.pick(rng)
        female = gender == Gender.WOMAN or (gender != Gender.MAN and rng.random() < 0.5)

        if origin_name == "local":
            locale = "nl_NL" if spec.country == "NL" else f"{local}_BE"
            fake = self.fakers[locale]
            first = fake.first_name_female() if female else fake.first_name_male()
            last = fake.last_name()
        else:
            first = rng.choice(origin.female if female else origin.male)
            last = rng.choice(origin.last)

        # Ages 18-65 on the reference date, most between 25 and 45.
        oldest = _years_before(REFERENCE_DATE, 66) + datetime.timedelta(days=1)
        youngest = _years_before(REFERENCE_DATE, 18)
        span = (youngest - oldest).days
        birth = youngest - datetime.timedelta(days=int(rng.triangular(0, span, span * 0.3)))
        age = _age_on(birth, REFERENCE_DATE)

        languages = self._languages(origin, local, second)
        preferred = languages[0]
        if len(languages) > 1 and rng.random() < 0.3:
            preferred = rng.choice(languages[1:])

        residence = origin.residence.pick(rng)
        if origin_name == "local" and spec.country == "NL":
            residence = ResidenceStatus.NATIONAL
        asylum = residence == ResidenceStatus.ASYLUM_SEEKER
        national_number = ""
        if rng.random() < (0.35 if asylum else 0.865):
            national_number = self._national_number(spec.country, birth, gender, taken)

        household = HOUSEHOLDS.pick(rng)
        children: tuple[int, ...] = ()
        if household != Household.SINGLE:
            count = (
                rng.choice((1, 1, 2, 2, 3, 4))
                if household == Household.SINGLE_PARENT
                else (rng.choice((0, 1, 2, 2, 3, 4, 5)))
            )
            oldest_child = max(0, min(30, age - 17))
            children = tuple(
                sorted((rng.randint(0, oldest_child) for _ in range(count)), reverse=True)
            )

        income_source = spec.income.pick(rng)
        income = self._income(spec, income_source, household, children)
        labour_status = LABOUR_BY_INCOME[income_source].pick(rng)
        education = origin.education.pick(rng) if rng.random() < 0.94 else None

        area: Area = spec.areas.pick(rng)
        address_fr = spec.bilingual and (
            "fr" in languages if ("fr" in languages) != ("nl" in languages) else local == "fr"
        )
        pick = 1 if address_fr else 0
        street_name = rng.choice(area.streets)[pick]
        number = str(rng.randint(1, 180))
        if spec.country == "BE" and rng.random() < 0.25:
            number += f" {'bte' if address_fr else 'bus'} {rng.randint(1, 12)}"
        elif spec.country == "NL" and rng.random() < 0.1:
            number += rng.choice("abc")
        if spec.country == "BE":
            postcode = str(rng.randint(*area.postcodes))
        else:
            postcode = nl_postcode(rng, *area.postcodes)

        phone = ""
        if rng.random() < 0.93:
            if spec.country == "BE":
                phone = (
                    f"+32 4{rng.choice('6789')}{rng.randint(0, 9)} {rng.randint(0, 99):02d} "
                    f"{rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
                )
            else:
                phone = f"+31 6 {rng.randint(1000, 9999)} {rng.randint(0, 9999):04d}"
            # Stored as the forms store it (E.164); the pages show it in national format.
            phone = phone.replace(" ", "")
        email = ""
        if rng.random() < 0.65:
            style = rng.randint(0, 2)
            first_part, last_part = _ascii_slug(first), _ascii_slug(last)
            local_part = (
                f"{first_part}.{last_part}",
                f"{first_part[:1]}{last_part}",
                f"{first_part}{rng.randint(1, 99)}",
            )[style]
            email = f"{local_part}@{rng.choice(EMAIL_DOMAINS)}"

        iban = ""
        if rng.random() < (0.5 if asylum else 0.88):
            iban = be_iban(rng) if spec.country == "BE" else nl_iban(rng)

        adviser = rng.choice(self.advisers[spec.slug])
        # Entered the programme in the last three years, as an adult.
        adult_days = (REFERENCE_DATE - _years_before(REFERENCE_DATE, age - 18)).days
        entry = REFERENCE_DATE - datetime.timedelta(days=rng.randint(0, min(3 * 365, adult_days)))
        consents = self._consents(spec, entry)
        has_disability = minority = None
        if any(
            c.purpose == ConsentPurpose.SPECIAL_CATEGORY and c.withdrawn_on is None
            for c in consents
        ):
            has_disability = rng.random() < 0.15
            minority = rng.random() < (0.1 if origin_name == "local" else 0.85)

        document = None
        if with_document:
            kind = DOCUMENT_KINDS.pick(rng)
            document = DocumentSpec(kind, DOCUMENTS[kind][1 if address_fr else 0])

        return ClientSpec(
            organisation=spec.slug,
            external_reference=f"{spec.prefix}-{index + 1:06d}",
            origin=origin_name,
            first_name=first,
            last_name=last,
            birth_date=birth,
            gender=gender,
            national_number=national_number,
            phone=phone,
            email=email,
            street=f"{street_name} {number}",
            postcode=postcode,
            municipality=area.municipality[pick],
            neighbourhood=area.neighbourhood[pick],
            languages=tuple(languages),
            preferred_language=preferred,
            household=household,
            children_ages=children,
            income_source=income_source,
            income_monthly=income,
            labour_status=labour_status,
            education=education,
            residence_status=residence,
            iban=iban,
            has_disability=has_disability,
            minority_background=minority,
            adviser=adviser,
            entry_date=entry,
            consents=consents,
            volunteer_coached=coached,
            document=document,
        )

    def _languages(self, origin: Origin, local: str, second: str) -> list[str]:
        rng = self.rng
        first = origin.primary.pick(rng)
        languages = [local if first == LOCAL else first]
        for code, probability in origin.extras:
            code = {LOCAL: local, SECOND: second}.get(code, code)
            if rng.random() < probability and code and code not in languages:
                languages.append(code)
                if len(languages) == 3:
                    break
        return languages

    def _national_number(
        self, country: str, birth: datetime.date, gender: str, taken: set[str]
    ) -> str:
        rng = self.rng
        while True:
            if country == "BE":
                serial = rng.randint(1, 997)
                if gender == Gender.MAN and serial % 2 == 0:
                    serial -= 1
                elif gender == Gender.WOMAN and serial % 2 == 1:
                    serial += 1
                number = be_national_number(birth, serial)
            else:
                number = nl_bsn(rng)
            if number not in taken:
                taken.add(number)
                return number

    def _income(
        self, spec: OrgSpec, source: str, household: str, children: tuple[int, ...]
    ) -> Decimal | None:
        rng = self.rng
        if not source:
            return None
        if source == _IS.NONE:
            return Decimal("0.00")
        if source == _IS.SOCIAL_ASSISTANCE:
            if spec.country == "BE":
                if household == Household.SINGLE:
                    norm = LEEFLOON["single"]
                elif children:
                    norm = LEEFLOON["family"]
                else:
                    norm = LEEFLOON["cohabitant"]
            else:
                norm = BIJSTAND["couple" if household == Household.COUPLE else "single"]
            if rng.random() < 0.85:
                return norm
            # Partly topped up: the client earns some of it.
            return _money(rng.randint(30_000, int(norm * 100)))
        low, high = INCOME_RANGES[spec.country, source]
        return _money(rng.randint(low, high))

    def _consents(self, spec: OrgSpec, entry: datetime.date) -> tuple[ConsentSpec, ...]:
        rng = self.rng
        consents: list[ConsentSpec] = []

        def version(on: datetime.date) -> str:
            return CONSENT_TEXT_NEW if on >= CONSENT_TEXT_NEW_FROM else CONSENT_TEXT_OLD

        def later(after: datetime.date, within: int) -> datetime.date:
            room = min(within, (REFERENCE_DATE - after).days)
            return after + datetime.timedelta(days=rng.randint(0, room))

        def withdrawal(given: datetime.date, probability: float) -> datetime.date | None:
            if rng.random() < probability and given < REFERENCE_DATE:
                return later(given + datetime.timedelta(days=1), 365)
            return None

        def add(purpose: str, given: datetime.date, withdraw: float, **extra: str) -> None:
            basis = (
                spec.case_basis if purpose == ConsentPurpose.CASE_MANAGEMENT else LegalBasis.CONSENT
            )
            consents.append(
                ConsentSpec(
                    purpose,
                    given,
                    basis,
                    version(given),
                    **extra,
                    withdrawn_on=withdrawal(given, withdraw),
                )
            )

        if rng.random() < 0.93:
            add(ConsentPurpose.CASE_MANAGEMENT, entry, 0.01)
        if rng.random() < 0.35:
            add(ConsentPurpose.RESEARCH, later(entry, 30), 0.08)
        if rng.random() < 0.2:
            given = later(entry, 200)
            add(ConsentPurpose.PARTNER_SHARING, given, 0.1, partner=spec.partners.pick(rng))
        if rng.random() < 0.06:
            add(ConsentPurpose.SPECIAL_CATEGORY, later(entry, 60), 0.1)
        return tuple(consents)


def generate_clients(*, clients: int, seed: int) -> list[ClientSpec]:
    """The client files a build with this seed and size holds, without a database."""
    return list(DemoPlan(clients=clients, seed=seed).client_specs())


# --------------------------------------------------------------------------------------
# Logins
# --------------------------------------------------------------------------------------


def demo_logins(present: set[str] | None = None) -> str:
    """The block of demo logins, for the organisations in `present` (all when None)."""
    present = set(DEMO_SLUGS) if present is None else present
    lines = [f"Demo logins (password: {DEMO_PASSWORD}; demo data only, never on a real server)"]
    for spec in ORGANISATIONS:
        if spec.slug not in present:
            continue
        lines.append(f"  {spec.name}")
        lines.extend(f"    {role.value:<18} {spec.login(role)}" for role in Role)
    if all(slug in present for slug in MULTI_ORGS):
        names = " and ".join(ORGANISATIONS_BY_SLUG[slug].name for slug in MULTI_ORGS)
        lines.append(f"  In two organisations (try the organisation switcher): {names}")
        lines.append(f"    {Role.ADVISER.value:<18} {MULTI_EMAIL}")
    lines.append("  Django admin (/admin/)")
    lines.append(f"    {'superuser':<18} {SUPERUSER_EMAIL}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Writing to the database
# --------------------------------------------------------------------------------------


@dataclass
class DemoResult:
    organisations: list[str]
    users: int
    clients: int
    consents: int
    assignments: int
    documents: int
    audit_events: int
    seconds: float


@dataclass
class _Context:
    organisations: dict[str, Organisation]
    users: dict[str, int]  # e-mail → pk
    volunteers: dict[str, int]  # slug → pk
    pdfs: dict[str, bytes]
    saved_files: list[str] = field(default_factory=list)
    consents: int = 0
    assignments: int = 0
    documents: int = 0
    audit_events: int = 0


def build_demo(*, clients: int, seed: int, stdout: Writer) -> DemoResult:
    """Build the demo in one transaction; DemoError when it cannot be built here."""
    if settings.PRODUCTION:
        raise DemoError(PRODUCTION_REFUSED)
    taken = sorted(Organisation.objects.filter(slug__in=DEMO_SLUGS).values_list("slug", flat=True))
    if taken:
        raise DemoError(
            f"The demo organisation(s) {', '.join(taken)} already exist. Use --if-empty to keep "
            "them, or start from an empty database."
        )
    started = time.monotonic()
    built_on = build_day()
    plan = DemoPlan(clients=clients, seed=seed)
    context: _Context | None = None
    try:
        # With DEBUG on, Django would keep the SQL of the last 9,000 queries (multi-kilobyte
        # INSERTs here) and spend a quarter of the time doing so.
        with override_settings(DEBUG=False), transaction.atomic():
            context = _build_organisations(plan, stdout)
            counts = ", ".join(f"{plan.counts[s.slug]:,} for {s.name}" for s in ORGANISATIONS)
            stdout.write(f"Creating {clients:,} clients: {counts}")
            done = 0
            batch: list[ClientSpec] = []
            for spec in plan.client_specs():
                batch.append(spec)
                if len(batch) == BATCH_SIZE:
                    _write_batch(batch, context)
                    done = _progress(done, len(batch), stdout)
                    batch = []
            if batch:
                _write_batch(batch, context)
                done = _progress(done, len(batch), stdout)
            stdout.write("Creating programmes and routes …")
            routes = build_routes(
                organisations=[context.organisations[slug] for slug in DEMO_SLUGS],
                seed=seed,
                today=REFERENCE_DATE,
            )
            activities = build_activities(
                organisations=[context.organisations[slug] for slug in DEMO_SLUGS],
                seed=seed,
                today=REFERENCE_DATE,
            )
            stdout.write("Creating loan products, applications and loans …")
            lending = build_lending(
                organisations=[context.organisations[slug] for slug in DEMO_SLUGS],
                seed=seed,
                today=REFERENCE_DATE,
                built_on=built_on,
            )
            stdout.write("Creating business plans and viability assessments …")
            plans = build_plans(
                organisations=[context.organisations[slug] for slug in DEMO_SLUGS],
                seed=seed,
                today=REFERENCE_DATE,
            )
            stdout.write(
                "Creating coaching sessions, case notes, volunteer profiles and referrals …"
            )
            coaching = build_coaching(
                organisations=[context.organisations[slug] for slug in DEMO_SLUGS],
                seed=seed,
                today=built_on,
            )
            referrals = build_referrals(
                organisations=[context.organisations[slug] for slug in DEMO_SLUGS],
                seed=seed,
                today=built_on,
            )
            privacy = build_privacy(
                organisations=[context.organisations[slug] for slug in DEMO_SLUGS],
                today=REFERENCE_DATE,
            )
            stdout.write(f"Ran the retention task: {privacy_summary(privacy)}.")
            accesses = build_access_log(
                organisations=[context.organisations[slug] for slug in DEMO_SLUGS], seed=seed
            )
            stdout.write(f"Wrote {access_summary(accesses)}.")
    except BaseException:
        # The rows are rolled back; the document files written so far must go too.
        for name in context.saved_files if context else ():
            default_storage.delete(name)
        raise
    # Fresh planner statistics after a bulk load: without them SQLite picks the
    # (organisation, name) index for a national-number search and scans a whole organisation.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds = time.monotonic() - started
    result = DemoResult(
        organisations=list(DEMO_SLUGS),
        users=len(context.users),
        clients=clients,
        consents=context.consents,
        assignments=context.assignments,
        documents=context.documents,
        audit_events=context.audit_events,
        seconds=seconds,
    )
    stdout.write(
        f"Built {len(DEMO_SLUGS)} organisations, {result.users} users, {clients:,} clients, "
        f"{result.consents:,} consents, {result.assignments} coach assignments, "
        f"{result.documents} documents and {result.audit_events:,} audit events, "
        f"{routes['programmes']} programmes, {routes['trajectories']:,} trajectories with "
        f"{routes['phase_changes']:,} phase changes and {routes['check_ins']:,} check-ins, "
        f"{activities['activities']:,} activities with {activities['head_counts']:,} head counts "
        f"and {activities['registrations']:,} registrations, {lending_summary(lending)}, "
        f"{plans_summary(plans)}, {coaching_summary(coaching)}, {referrals_summary(referrals)} "
        f"in {seconds:.1f} s."
    )
    return result


def _progress(done: int, added: int, stdout: Writer) -> int:
    total = done + added
    if total // PROGRESS_EVERY > done // PROGRESS_EVERY:
        stdout.write(f"  {total // PROGRESS_EVERY * PROGRESS_EVERY:,} clients")
    return total


def _build_organisations(plan: DemoPlan, stdout: Writer) -> _Context:
    organisations = {}
    for spec in ORGANISATIONS:
        organisations[spec.slug] = organisation_create(
            actor=None,
            slug=spec.slug,
            name=spec.name,
            kind=spec.kind,
            country=spec.country,
            default_language=spec.default_language,
            enterprise_number=validate_enterprise_number(
                plan.enterprise_numbers[spec.slug], spec.country
            ),
        )
    users: dict[str, int] = {}
    for member in plan.members:
        membership = member_add(
            actor=None,
            organisation=organisations[member.organisation],
            email=member.email,
            roles=set(member.roles),
            first_name=member.first_name,
            last_name=member.last_name,
        )
        users[member.email] = membership.user_id
    superuser = User.objects.filter(email=SUPERUSER_EMAIL).first()
    if superuser is None:
        superuser = User.objects.create_superuser(
            SUPERUSER_EMAIL, password=None, first_name="Demo", last_name="Superuser"
        )
    users[SUPERUSER_EMAIL] = superuser.pk
    # One hash for every demo login: hashing each password separately would take seconds.
    User.objects.filter(pk__in=users.values()).update(password=make_password(DEMO_PASSWORD))
    volunteers = {spec.slug: users[spec.login(Role.VOLUNTEER)] for spec in ORGANISATIONS}
    stdout.write(f"Created {len(organisations)} organisations and {len(users)} users.")
    return _Context(
        organisations=organisations,
        users=users,
        volunteers=volunteers,
        pdfs={kind: document_pdf(kind) for kind in DOCUMENTS},
    )


def _write_batch(specs: list[ClientSpec], ctx: _Context) -> None:
    clients = []
    for spec in specs:
        organisation = ctx.organisations[spec.organisation]
        client = Client(
            organisation_id=organisation.pk,
            external_reference=spec.external_reference,
            first_name=spec.first_name,
            last_name=spec.last_name,
            birth_date=spec.birth_date,
            gender=spec.gender,
            phone=spec.phone,
            email=spec.email,
            street=spec.street,
            postcode=spec.postcode,
            municipality=spec.municipality,
            neighbourhood=spec.neighbourhood,
            languages=list(spec.languages),
            preferred_language=spec.preferred_language,
            household=spec.household,
            children_ages=list(spec.children_ages),
            income_source=spec.income_source,
            income_monthly=spec.income_monthly,
            labour_status=spec.labour_status,
            education=spec.education,
            residence_status=spec.residence_status,
            iban_encrypted=crypto.encrypt(spec.iban),
            has_disability=spec.has_disability,
            minority_background=spec.minority_background,
            adviser_id=ctx.users[spec.adviser],
            # bulk_create skips Client.save(), which computes this.
            search_name=normalise_for_search(spec.full_name),
        )
        if spec.national_number:
            client.set_national_number(
                validate_national_number(spec.national_number, organisation.country),
                organisation.country,
            )
        clients.append(client)
    Client.objects.bulk_create(clients)

    consents, assignments, documents, events = [], [], [], []
    for spec, client in zip(specs, clients, strict=True):
        if client.pk is None:  # pragma: no cover - a database that cannot return ids
            raise DemoError("This database does not return the ids of bulk-created rows.")
        organisation = ctx.organisations[spec.organisation]
        adviser_id = ctx.users[spec.adviser]
        events.append(
            AuditEvent(
                organisation_id=organisation.pk,
                actor_id=adviser_id,
                action="client.create",
                object_type="clients.client",
                object_id=str(client.pk),
                object_repr=spec.full_name[:200],
                client_id=client.pk,
                changes={},
            )
        )
        for consent in spec.consents:
            partner = ctx.organisations[consent.partner].pk if consent.partner else None
            consents.append(
                Consent(
                    client_id=client.pk,
                    purpose=consent.purpose,
                    partner_id=partner,
                    legal_basis=consent.legal_basis,
                    given_on=consent.given_on,
                    withdrawn_on=consent.withdrawn_on,
                    text_version=consent.text_version,
                    recorded_by_id=adviser_id,
                    withdrawn_by_id=adviser_id if consent.withdrawn_on else None,
                )
            )
        if spec.volunteer_coached:
            volunteer_id = ctx.volunteers[spec.organisation]
            on = min(REFERENCE_DATE, spec.entry_date + datetime.timedelta(days=14))
            assignments.append(
                ClientCoach(
                    client_id=client.pk,
                    coach_id=volunteer_id,
                    assigned_on=on,
                    assigned_by_id=adviser_id,
                )
            )
        if spec.document is not None:
            data = ctx.pdfs[spec.document.kind]
            document = ClientDocument(
                client=client,
                kind=spec.document.kind,
                original_name=spec.document.original_name,
                content_type="application/pdf",
                size=len(data),
                uploaded_by_id=adviser_id,
            )
            # Stored through the field, so the model's document_path names the file.
            document.file.save(spec.document.original_name, ContentFile(data), save=False)
            ctx.saved_files.append(document.file.name)
            documents.append(document)
    Consent.objects.bulk_create(consents)
    ClientCoach.objects.bulk_create(assignments)
    ClientDocument.objects.bulk_create(documents)
    AuditEvent.objects.bulk_create(events)
    ctx.consents += len(consents)
    ctx.assignments += len(assignments)
    ctx.documents += len(documents)
    ctx.audit_events += len(events)

"""Demo business plans: assumptions, plans in versions, comments and viability assessments.

Every organisation gets its calculation assumptions (valid from 1 January 2025; Emmerveen a
newer row from 1 January 2026, to show validity periods). About one client in eight whose
starter, part-time or established route reached guidance gets a business plan, linked to
that route: a bakery, a bike repair shop, a hairdresser, a cleaning service, a food truck,
an IT freelancer, a tailor, a caterer or a webshop. The narrative is written in Dutch or
French by the client's preferred language, and the financial plan is drawn for a verdict
(viable, viable with conditions or not viable) and checked against the calculation itself,
so the verdicts come out as a mix.

Plans are only a draft (not every section written), submitted with a second draft in
progress, or submitted and assessed. Advisers comment on their clients' plans and the
volunteer coach only on the plans of the clients assigned to them. Gemeente Emmerveen's
benefits officer has viability assessments in every state: one due within two weeks, one
overdue, one extended with a reason, and decisions of each outcome.

Everything goes through the plans services with `today=` set to the day it happened;
deterministic for a seed and a number of clients (candidates in primary-key order, every
choice from one `random.Random`).
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from opstap.clients.choices import Household
from opstap.clients.models import Client, ClientCoach
from opstap.core import formatting
from opstap.core.models import MembershipRole, Organisation, User
from opstap.core.roles import Role
from opstap.journeys.models import PhaseChange, Trajectory
from opstap.journeys.phases import Phase
from opstap.journeys.services import add_months
from opstap.plans import calculation, services
from opstap.plans.choices import (
    DECISION_WEEKS,
    AssessmentOutcome,
    Section,
    Verdict,
    VersionStatus,
)
from opstap.plans.models import (
    BusinessPlan,
    PlanAssumptions,
    PlanVersion,
    ViabilityAssessment,
)

# About one plan per 8 clients, at most 60 in all: every plan goes through a dozen service
# calls, so the cap keeps a big demo quick.
CLIENTS_PER_PLAN = 8
MAX_PLANS = 60
PLAN_ROUTES = ("starter", "part_time", "established")
ASSUMPTIONS_FROM = datetime.date(2025, 1, 1)
# Routes that reached guidance from here on make the most natural plans.
RECENT_GUIDANCE = datetime.date(2024, 10, 1)
CENT = Decimal("0.01")

# (valid from, tax and contributions, DSCR, cash shortfall tolerance) by country; Emmerveen
# raises its rate from 2026 as the Dutch self-employed deduction keeps falling.
ASSUMPTIONS = {
    "BE": ((ASSUMPTIONS_FROM, "0.35", "1.2", "0.10"),),
    "NL": ((ASSUMPTIONS_FROM, "0.30", "1.2", "0.10"),),
}
NEWER_ASSUMPTIONS = {"emmerveen": (datetime.date(2026, 1, 1), "0.32", "1.2", "0.10")}

# Emmerveen's assessments: (name, outcome aimed for, the plan's verdict aimed for).
ASSESSMENT_CASES = (
    ("decided", AssessmentOutcome.VIABLE, Verdict.VIABLE),
    ("decided", AssessmentOutcome.VIABLE_WITH_CONDITIONS, Verdict.VIABLE_WITH_CONDITIONS),
    ("decided", AssessmentOutcome.NOT_VIABLE, Verdict.NOT_VIABLE),
    ("extended", AssessmentOutcome.PENDING, Verdict.VIABLE_WITH_CONDITIONS),
    ("overdue", AssessmentOutcome.PENDING, Verdict.VIABLE),
    ("due_soon", AssessmentOutcome.PENDING, Verdict.VIABLE),
)
ASSESSING_KIND = Organisation.Kind.MUNICIPALITY
VERDICT_MIX = (
    (Verdict.VIABLE, 45),
    (Verdict.VIABLE_WITH_CONDITIONS, 25),
    (Verdict.NOT_VIABLE, 30),
)
# Plans outside the assessments: a draft only, or submitted with a second draft.
STAGES = (("draft", 45), ("second_draft", 40), ("submitted", 15))


def _money(value: Decimal | float | int, step: int = 1) -> str:
    rounded = (Decimal(str(value)) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return str(max(rounded, Decimal(0)).quantize(CENT))


def _money_up(value: Decimal) -> str:
    """Rounded up to a hundred: a loan rounded down would leave a financing gap."""
    hundreds = (value / 100).to_integral_value(rounding=ROUND_CEILING)
    return str((hundreds * 100).quantize(CENT))


def _pick(rng: random.Random, pairs: tuple[tuple[Any, int], ...]) -> Any:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


# --------------------------------------------------------------------------------------
# Businesses
# --------------------------------------------------------------------------------------

Pair = tuple[str, str]  # (Dutch, French)


@dataclass(frozen=True)
class Business:
    key: str
    title: Pair  # "{name}" is the client's first name or the neighbourhood
    idea: Pair
    edge: Pair
    place: Pair  # "{nbh}" is the neighbourhood
    customers: Pair
    competitors: Pair
    experience: Pair
    price: Pair
    risk: Pair
    food: bool
    investments: tuple[tuple[Pair, int, int], ...]  # description, amount, depreciation years
    start_up_costs: tuple[tuple[Pair, int], ...]
    working_capital: int
    cost_of_sales: str
    fixed_costs: tuple[tuple[Pair, int], ...]
    lines: tuple[tuple[Pair, int, float], ...] = ()  # revenue lines: price, share of revenue
    seasonal: bool = False


# fmt: off
ACCOUNTANT = ("Boekhouder", "Comptable")
INSURANCE = ("Verzekering", "Assurance")
PHONE = ("Telefoon en internet", "Téléphone et internet")
REGISTRATION = ("Inschrijving en vergunningen", "Inscription et autorisations")

BUSINESSES = (
    Business(
        "bakery", ("Bakkerij {name}", "Boulangerie {name}"),
        ("Ik bak en verkoop vers brood, koffiekoeken en taarten, ook op bestelling voor "
         "feesten.", "Je fabrique et vends du pain frais, des viennoiseries et des gâteaux, "
         "aussi sur commande pour les fêtes."),
        ("Mijn brood is ambachtelijk, met zuurdesem en volkorenmeel, en ik bak ook "
         "Marokkaanse en Turkse broden die je in de supermarkt niet vindt.",
         "Mon pain est artisanal, au levain et à la farine complète, et je fais aussi des "
         "pains marocains et turcs qu'on ne trouve pas au supermarché."),
        ("een klein winkelpand in {nbh}", "un petit commerce à {nbh}"),
        ("Mijn klanten zijn buurtbewoners, gezinnen en de scholen en kantoren in de buurt. "
         "In de straat wonen veel mensen die elke dag vers brood kopen.",
         "Mes clients sont les habitants du quartier, les familles, les écoles et les bureaux "
         "proches. Beaucoup de gens dans la rue achètent du pain frais chaque jour."),
        ("Er zijn twee supermarkten en één ketenbakker in de buurt. Zij zijn goedkoper, maar "
         "hun brood is industrieel en ze bakken niet op bestelling.",
         "Il y a deux supermarchés et une boulangerie de chaîne dans le quartier. Ils sont "
         "moins chers, mais leur pain est industriel et ils ne font pas de commandes."),
        ("vijf jaar als hulpbakker gewerkt", "travaillé cinq ans comme aide-boulanger"),
        ("Een brood kost 2,80 tot 3,50 euro, een taart op bestelling vanaf 18 euro.",
         "Un pain coûte de 2,80 à 3,50 euros, un gâteau sur commande à partir de 18 euros."),
        ("De energieprijzen kunnen stijgen; dan pas ik mijn prijzen licht aan en bak ik meer "
         "op bestelling.", "Le prix de l'énergie peut augmenter ; j'adapterai alors un peu "
         "mes prix et je ferai plus de commandes."),
        True,
        ((("Oven en keukenmateriaal", "Four et matériel de cuisine"), 9000, 5),
         (("Koeltoog", "Vitrine réfrigérée"), 3000, 5),
         (("Huurwaarborg", "Garantie locative"), 1500, 0)),
        ((REGISTRATION, 500), (("Opening en website", "Ouverture et site web"), 800)),
        2000, "0.35",
        ((("Huur", "Loyer"), 750), (INSURANCE, 60), (("Energie", "Énergie"), 180),
         (ACCOUNTANT, 100)),
    ),
    Business(
        "bike", ("Fietsherstel {name}", "Atelier vélo {name}"),
        ("Ik herstel fietsen en elektrische fietsen en verkoop onderdelen en tweedehands "
         "fietsen.", "Je répare des vélos et des vélos électriques et je vends des pièces et "
         "des vélos d'occasion."),
        ("Ik haal fietsen met een bakfiets op en breng ze terug; een herstelling is meestal "
         "binnen één dag klaar.", "Je viens chercher les vélos en vélo cargo et je les "
         "ramène ; une réparation est souvent prête en un jour."),
        ("een werkplaats in {nbh}", "un atelier à {nbh}"),
        ("Pendelaars, studenten en gezinnen die elke dag fietsen. Steeds meer mensen hebben "
         "een elektrische fiets die onderhoud nodig heeft.", "Des navetteurs, des étudiants "
         "et des familles qui roulent tous les jours. De plus en plus de gens ont un vélo "
         "électrique qui a besoin d'entretien."),
        ("Er is één grote fietsenwinkel in de stad, met lange wachttijden.",
         "Il y a un grand magasin de vélos en ville, avec de longs délais d'attente."),
        ("drie jaar in een fietsenwinkel gewerkt", "travaillé trois ans dans un magasin de "
         "vélos"),
        ("Een kleine herstelling kost 15 euro, een onderhoudsbeurt 45 euro.",
         "Une petite réparation coûte 15 euros, un entretien complet 45 euros."),
        ("In de winter fietsen minder mensen; dan verkoop ik meer tweedehands fietsen en "
         "onderdelen.", "En hiver, les gens roulent moins ; je vendrai alors plus de vélos "
         "d'occasion et de pièces."),
        False,
        ((("Gereedschap en montagestandaards", "Outillage et pieds d'atelier"), 3500, 5),
         (("Bakfiets voor ophaalservice", "Vélo cargo pour l'enlèvement"), 2500, 5)),
        ((REGISTRATION, 300), (("Website", "Site web"), 400)),
        1500, "0.30",
        ((("Huur werkplaats", "Loyer de l'atelier"), 550), (INSURANCE, 45), (PHONE, 40),
         (ACCOUNTANT, 80)),
    ),
    Business(
        "hair", ("Kapsalon {name}", "Salon de coiffure {name}"),
        ("Ik open een kapsalon voor dames, heren en kinderen, ook voor krullend en afro-haar.",
         "J'ouvre un salon de coiffure pour femmes, hommes et enfants, aussi pour les cheveux "
         "bouclés et afro."),
        ("Weinig kappers in de buurt kunnen goed met krullend haar werken; dat is mijn "
         "specialiteit.", "Peu de coiffeurs du quartier savent bien travailler les cheveux "
         "bouclés ; c'est ma spécialité."),
        ("een klein salon met twee stoelen in {nbh}", "un petit salon de deux fauteuils à "
         "{nbh}"),
        ("Vrouwen en gezinnen uit de buurt en uit de gemeenschap; veel van hen gaan nu naar "
         "een kapper in een andere stad.", "Des femmes et des familles du quartier et de la "
         "communauté ; beaucoup vont aujourd'hui chez un coiffeur dans une autre ville."),
        ("Er zijn drie kappers in de straat, maar geen enkele is gespecialiseerd.",
         "Il y a trois coiffeurs dans la rue, mais aucun n'est spécialisé."),
        ("een opleiding kapper gevolgd en thuis klanten geknipt",
         "suivi une formation de coiffure et coiffé des clientes à domicile"),
        ("Knippen kost 22 tot 28 euro, kleuren of vlechten vanaf 45 euro.",
         "Une coupe coûte de 22 à 28 euros, une couleur ou des tresses à partir de 45 euros."),
        ("Als een kapper in de straat zijn prijzen verlaagt, zet ik in op mijn specialiteit "
         "en een klantenkaart.", "Si un coiffeur voisin baisse ses prix, je miserai sur ma "
         "spécialité et une carte de fidélité."),
        False,
        ((("Kappersstoelen en spiegels", "Fauteuils et miroirs"), 4500, 5),
         (("Inrichting salon", "Aménagement du salon"), 5000, 5)),
        ((REGISTRATION, 400), (("Opening en reclame", "Ouverture et publicité"), 600)),
        800, "0.15",
        ((("Huur", "Loyer"), 700), (INSURANCE, 50), (("Energie", "Énergie"), 120),
         (ACCOUNTANT, 90)),
        lines=((("Knippen", "Coupes"), 25, 0.7), (("Kleuren en vlechten", "Couleurs et "
                                                  "tresses"), 50, 0.3)),
    ),
    Business(
        "cleaning", ("Schoonmaakdienst {name}", "Nettoyage {name}"),
        ("Ik maak kantoren, praktijken en trappenhallen schoon, met vaste contracten per "
         "week.", "Je nettoie des bureaux, des cabinets et des cages d'escalier, avec des "
         "contrats fixes à la semaine."),
        ("Ik werk met ecologische producten en altijd met dezelfde vaste mensen.",
         "Je travaille avec des produits écologiques et toujours avec les mêmes personnes."),
        ("een kleine opslagruimte in {nbh}", "un petit local de stockage à {nbh}"),
        ("Kleine kantoren, dokterspraktijken en syndici van appartementsgebouwen. Ik heb al "
         "twee klanten die willen tekenen.", "Des petits bureaux, des cabinets médicaux et "
         "des syndics d'immeubles. J'ai déjà deux clients prêts à signer."),
        ("Grote schoonmaakbedrijven zijn duurder voor kleine klanten en wisselen vaak van "
         "personeel.", "Les grandes sociétés de nettoyage sont plus chères pour les petits "
         "clients et changent souvent de personnel."),
        ("zes jaar bij een schoonmaakbedrijf gewerkt, de laatste twee als ploegleider",
         "travaillé six ans dans une société de nettoyage, dont deux comme chef d'équipe"),
        ("Ik reken 30 euro per uur, materiaal inbegrepen.",
         "Je facture 30 euros de l'heure, produits compris."),
        ("Als een grote klant stopt, verlies ik veel omzet; daarom wil ik minstens acht "
         "klanten.", "Si un gros client arrête, je perds beaucoup ; c'est pourquoi je vise "
         "au moins huit clients."),
        False,
        ((("Bestelwagen (tweedehands)", "Camionnette d'occasion"), 9000, 5),
         (("Schoonmaakmachines", "Machines de nettoyage"), 2500, 5)),
        ((REGISTRATION, 400),),
        600, "0.10",
        ((("Brandstof en onderhoud", "Carburant et entretien"), 350), (INSURANCE, 90),
         (PHONE, 35), (ACCOUNTANT, 90)),
    ),
    Business(
        "foodtruck", ("Foodtruck {name}", "Food truck {name}"),
        ("Ik verkoop warme gerechten uit de Syrische en Libanese keuken vanuit een foodtruck: "
         "falafel, wraps en salades.", "Je vends des plats chauds syriens et libanais dans un "
         "food truck : falafels, wraps et salades."),
        ("Alles is vers en huisgemaakt, met een vegetarisch menu van de dag.",
         "Tout est frais et fait maison, avec un menu végétarien du jour."),
        ("markten, bedrijventerreinen en evenementen rond {nbh}", "les marchés, les zones "
         "d'entreprises et les événements autour de {nbh}"),
        ("Werknemers die 's middags snel iets willen eten en bezoekers van markten en "
         "festivals.", "Des travailleurs qui veulent manger vite à midi et les visiteurs des "
         "marchés et des festivals."),
        ("Er zijn frituren en broodjeszaken, maar bijna geen oosterse keuken op de markten.",
         "Il y a des friteries et des sandwicheries, mais presque pas de cuisine orientale "
         "sur les marchés."),
        ("acht jaar in restaurantkeukens gewerkt", "travaillé huit ans dans des cuisines de "
         "restaurant"),
        ("Een wrap kost 8 euro, een schotel 12 euro.", "Un wrap coûte 8 euros, une assiette "
         "12 euros."),
        ("Bij slecht weer komen er minder klanten; in de winter doe ik meer catering op "
         "bestelling.", "Par mauvais temps il y a moins de clients ; en hiver je ferai plus "
         "de traiteur sur commande."),
        True,
        ((("Foodtruck met keuken", "Food truck équipé"), 22000, 7),
         (("Koelkast en kookgerei", "Frigo et ustensiles"), 2000, 3)),
        ((("Vergunningen en keuring", "Autorisations et contrôle"), 700),
         (("Logo en belettering", "Logo et lettrage"), 900)),
        1500, "0.35",
        ((("Standplaatsen", "Emplacements"), 400), (INSURANCE, 110),
         (("Brandstof en gas", "Carburant et gaz"), 250), (ACCOUNTANT, 100)),
        seasonal=True,
    ),
    Business(
        "it", ("IT-hulp {name}", "Support informatique {name}"),
        ("Ik help kleine ondernemers en senioren met computers, netwerken, websites en "
         "beveiliging.", "J'aide les petits indépendants et les seniors avec leurs "
         "ordinateurs, réseaux, sites web et la sécurité."),
        ("Ik kom aan huis en leg alles in eenvoudige taal uit, in meerdere talen.",
         "Je me déplace à domicile et j'explique tout simplement, en plusieurs langues."),
        ("vanuit huis en een coworkingplek in {nbh}", "depuis chez moi et un espace de "
         "coworking à {nbh}"),
        ("Winkeliers, vrije beroepen en ouderen in de buurt die geen IT-afdeling hebben.",
         "Des commerçants, des professions libérales et des personnes âgées du quartier sans "
         "service informatique."),
        ("Grote IT-bedrijven werken niet voor kleine klanten; computerwinkels helpen niet aan "
         "huis.", "Les grandes sociétés informatiques ne travaillent pas pour les petits "
         "clients ; les magasins ne se déplacent pas."),
        ("een opleiding netwerkbeheer gevolgd en vier jaar op een helpdesk gewerkt",
         "suivi une formation en réseaux et travaillé quatre ans dans un helpdesk"),
        ("Ik reken 50 euro per uur en een vast maandbedrag voor onderhoudscontracten.",
         "Je facture 50 euros de l'heure et un forfait mensuel pour les contrats de "
         "maintenance."),
        ("Als ik te weinig klanten vind, werk ik een paar dagen per week als freelancer voor "
         "een IT-bedrijf.", "Si je trouve trop peu de clients, je travaillerai quelques "
         "jours par semaine en sous-traitance pour une société informatique."),
        False,
        ((("Laptop en software", "Ordinateur portable et logiciels"), 2400, 3),),
        ((("Inschrijving en website", "Inscription et site web"), 700),),
        0, "0.05",
        ((PHONE, 60), (INSURANCE, 45), (("Coworkingplek", "Espace de coworking"), 180),
         (ACCOUNTANT, 80)),
        lines=((("Uren ondersteuning", "Heures de support"), 50, 0.8),
               (("Onderhoudscontracten", "Contrats de maintenance"), 60, 0.2)),
    ),
    Business(
        "tailor", ("Naaiatelier {name}", "Atelier de couture {name}"),
        ("Ik doe herstellingen en maatwerk: broeken inkorten, ritsen vervangen, jurken en "
         "traditionele kleding op maat.", "Je fais des retouches et du sur-mesure : ourlets, "
         "fermetures éclair, robes et vêtements traditionnels sur mesure."),
        ("Ik werk snel, tegen een eerlijke prijs, en maak ook feestkleding.",
         "Je travaille vite, à un prix honnête, et je fais aussi des tenues de fête."),
        ("een atelier met toonbank in {nbh}", "un atelier avec comptoir à {nbh}"),
        ("Buurtbewoners, winkels die herstellingen uitbesteden en families die "
         "feestkleding laten maken.", "Les habitants, des boutiques qui sous-traitent les "
         "retouches et des familles qui font faire des tenues de fête."),
        ("Er is één andere retoucheerster in de wijk, die alleen herstellingen doet.",
         "Il y a une autre retoucheuse dans le quartier, qui ne fait que des retouches."),
        ("twintig jaar als naaister gewerkt, in mijn land van herkomst en hier",
         "travaillé vingt ans comme couturière, dans mon pays d'origine et ici"),
        ("Een broek inkorten kost 12 euro, een jurk op maat vanaf 120 euro.",
         "Un ourlet coûte 12 euros, une robe sur mesure à partir de 120 euros."),
        ("Als er weinig maatwerk is, zoek ik vaste opdrachten van kledingwinkels.",
         "S'il y a peu de sur-mesure, je chercherai des commandes régulières de boutiques."),
        False,
        ((("Industriële naaimachines", "Machines à coudre industrielles"), 5000, 5),
         (("Snijtafel", "Table de coupe"), 900, 3),
         (("Inrichting atelier", "Aménagement de l'atelier"), 2000, 5)),
        ((REGISTRATION, 300),),
        1200, "0.25",
        ((("Huur", "Loyer"), 400), (INSURANCE, 40), (PHONE, 35), (ACCOUNTANT, 80)),
    ),
    Business(
        "catering", ("Catering {name}", "Traiteur {name}"),
        ("Ik lever buffetten en maaltijden voor feesten, vergaderingen en verenigingen.",
         "Je livre des buffets et des repas pour les fêtes, les réunions et les "
         "associations."),
        ("Ik kook gerechten uit verschillende keukens en pas het menu aan elk budget aan.",
         "Je cuisine des plats de plusieurs cuisines et j'adapte le menu à chaque budget."),
        ("een gedeelde professionele keuken in {nbh}", "une cuisine professionnelle partagée "
         "à {nbh}"),
        ("Families met feesten, kleine bedrijven en verenigingen. Ik kook nu al voor "
         "feesten van vrienden en krijg veel vragen.", "Des familles pour leurs fêtes, des "
         "petites entreprises et des associations. Je cuisine déjà pour des amis et je reçois "
         "beaucoup de demandes."),
        ("Grote cateraars werken pas vanaf vijftig personen; ik doe ook kleine groepen.",
         "Les grands traiteurs travaillent à partir de cinquante personnes ; je fais aussi "
         "les petits groupes."),
        ("in een grootkeuken gewerkt en een opleiding kok gevolgd", "travaillé dans une "
         "cuisine de collectivité et suivi une formation de cuisinier"),
        ("Een buffet kost 18 tot 30 euro per persoon.", "Un buffet coûte de 18 à 30 euros "
         "par personne."),
        ("Als de voedselprijzen stijgen, pas ik mijn menu's aan; ik vraag altijd een "
         "voorschot.", "Si le prix des aliments augmente, j'adapte mes menus ; je demande "
         "toujours un acompte."),
        True,
        ((("Koelcel en keukenmateriaal", "Chambre froide et matériel"), 8000, 5),
         (("Bestelwagen", "Camionnette"), 7000, 5)),
        ((REGISTRATION, 600),),
        2500, "0.40",
        ((("Huur keuken", "Location de cuisine"), 600), (INSURANCE, 90),
         (("Brandstof", "Carburant"), 200), (ACCOUNTANT, 110)),
    ),
    Business(
        "webshop", ("Webwinkel {name}", "Boutique en ligne {name}"),
        ("Ik verkoop online natuurlijke cosmetica en handgemaakte zeep, ook op markten.",
         "Je vends en ligne des cosmétiques naturels et du savon artisanal, aussi sur les "
         "marchés."),
        ("Mijn producten zijn handgemaakt met arganolie en sheaboter van coöperaties van "
         "vrouwen.", "Mes produits sont faits main avec de l'huile d'argan et du beurre de "
         "karité de coopératives de femmes."),
        ("vanuit een opslagruimte in {nbh}", "depuis un local de stockage à {nbh}"),
        ("Vrouwen van 25 tot 55 jaar die bewust kopen, via Instagram en markten.",
         "Des femmes de 25 à 55 ans qui achètent de façon responsable, via Instagram et les "
         "marchés."),
        ("Er zijn grote webwinkels, maar weinig met een eigen verhaal en eerlijke productie.",
         "Il y a de grandes boutiques en ligne, mais peu avec une histoire et une production "
         "équitable."),
        ("zeep gemaakt voor familie en vrienden en een cursus e-commerce gevolgd",
         "fabriqué du savon pour la famille et les amis et suivi une formation en "
         "e-commerce"),
        ("Een zeep kost 6 euro, een verzorgingspakket 25 euro.", "Un savon coûte 6 euros, un "
         "coffret de soins 25 euros."),
        ("Als de advertenties te weinig opleveren, verkoop ik meer op markten en via "
         "winkels.", "Si la publicité en ligne rapporte trop peu, je vendrai plus sur les "
         "marchés et en boutique."),
        False,
        ((("Webwinkel en fotomateriaal", "Boutique en ligne et matériel photo"), 3000, 3),),
        ((("Inschrijving", "Inscription"), 300), (("Online campagne", "Campagne en ligne"),
                                                  1200)),
        4000, "0.50",
        ((("Hosting en betaalkosten", "Hébergement et frais de paiement"), 90),
         (("Verzending en verpakking", "Expédition et emballage"), 350),
         (("Opslag", "Stockage"), 150), (ACCOUNTANT, 80)),
    ),
)

# Calendar-month factors of a food truck (January first).
SEASON = (0.45, 0.5, 0.75, 0.95, 1.15, 1.3, 1.45, 1.45, 1.2, 0.9, 0.6, 0.5)

MOTIVES = (
    ("ik mijn eigen uren wil kiezen, naast de zorg voor mijn kinderen",
     "je veux organiser mes horaires autour de mes enfants"),
    ("ik al jaren zie dat dit in de buurt ontbreekt",
     "je vois depuis des années que cela manque dans le quartier"),
    ("ik met een uitkering geen toekomst zie en graag voor mezelf werk",
     "je ne vois pas d'avenir avec une allocation et j'aime travailler pour moi"),
    ("mijn diploma hier niet erkend wordt, maar mijn vak wel gevraagd is",
     "mon diplôme n'est pas reconnu ici, mais mon métier est demandé"),
)
LEARN = (
    ("boekhouding en btw-aangifte", "la comptabilité et la déclaration TVA"),
    ("prijzen berekenen en offertes maken", "calculer mes prix et faire des devis"),
    ("online verkopen en sociale media", "vendre en ligne et utiliser les réseaux sociaux"),
    ("beter Nederlands voor contracten", "mieux comprendre les contrats"),
)
STRENGTHS = (
    ("mijn ervaring in het vak", "mon expérience du métier"),
    ("ik spreek de talen van mijn klanten", "je parle les langues de mes clients"),
    ("een groot netwerk in de buurt", "un grand réseau dans le quartier"),
    ("ik werk hard en ben betrouwbaar", "je suis travailleur et fiable"),
)
WEAKNESSES = (
    ("weinig ervaring met administratie", "peu d'expérience en administration"),
    ("weinig eigen geld", "peu d'argent personnel"),
    ("nog geen vaste klanten", "pas encore de clients réguliers"),
    ("ik kan niet alles alleen doen", "je ne peux pas tout faire seul"),
)
OPPORTUNITIES = (
    ("er komen nieuwe woningen in de wijk", "de nouveaux logements arrivent dans le quartier"),
    ("meer vraag naar lokale en eerlijke producten",
     "plus de demande pour des produits locaux et équitables"),
    ("de gemeente steunt kleine zaken in de buurt",
     "la commune soutient les petits commerces du quartier"),
)
THREATS = (
    ("stijgende energieprijzen", "la hausse des prix de l'énergie"),
    ("een grote keten die dichtbij opent", "une grande chaîne qui ouvre tout près"),
    ("hogere huurprijzen", "des loyers plus élevés"),
    ("minder koopkracht bij mijn klanten", "moins de pouvoir d'achat chez mes clients"),
)
PROMOTION = (
    ("Facebook en Instagram, flyers in de buurt en mond-tot-mondreclame",
     "Facebook et Instagram, des flyers dans le quartier et le bouche-à-oreille"),
    ("Google Maps, een eenvoudige website en kortingsbonnen voor de eerste klanten",
     "Google Maps, un site simple et des bons de réduction pour les premiers clients"),
    ("WhatsApp-groepen, de moskee, de kerk en verenigingen in de buurt",
     "les groupes WhatsApp, les associations et les lieux de culte du quartier"),
)
HELPERS = (
    ("In het begin werk ik alleen.", "Au début, je travaille seul(e)."),
    ("Mijn partner helpt op zaterdag, zonder loon.",
     "Mon/ma partenaire m'aide le samedi, sans salaire."),
    ("Na een jaar wil ik iemand in dienst nemen via een werkervaringsplaats.",
     "Après un an, je veux engager quelqu'un via un emploi aidé."),
)
LEGAL_FORM = {
    "BE": ("Ik start als zelfstandige in hoofdberoep, in eigen naam (eenmanszaak): dat is "
           "eenvoudig en goedkoop.", "Je démarre comme indépendant(e) à titre principal, en "
           "personne physique : c'est simple et peu coûteux."),
    "NL": ("Ik start als eenmanszaak: eenvoudig, en ik kan de zelfstandigenaftrek en de "
           "startersaftrek gebruiken.", "Je démarre en entreprise individuelle (eenmanszaak)."),
}
REGISTRATIONS = {
    "BE": ("inschrijving in de Kruispuntbank van Ondernemingen via een ondernemingsloket, "
           "een btw-nummer en aansluiting bij een sociaal verzekeringsfonds",
           "l'inscription à la Banque-Carrefour des Entreprises via un guichet d'entreprises, "
           "un numéro de TVA et l'affiliation à une caisse d'assurances sociales"),
    "NL": ("inschrijving bij de Kamer van Koophandel en een btw-nummer van de Belastingdienst",
           "l'inscription à la Chambre de commerce (KvK) et un numéro de TVA"),
}
FOOD_PERMITS = {
    "BE": ("een toelating van het FAVV en een opleiding voedselhygiëne",
           "une autorisation de l'AFSCA et une formation en hygiène alimentaire"),
    "NL": ("werken volgens de hygiënecode (HACCP) en een Verklaring Sociale Hygiëne",
           "le respect du code d'hygiène (HACCP)"),
}
OTHER_PERMITS = ("een aansprakelijkheidsverzekering voor mijn bedrijf",
                 "une assurance responsabilité civile professionnelle")
PERMIT_STATUS = (
    ("De inschrijving is geregeld; de rest volgt vóór de opening.",
     "L'inscription est faite ; le reste suivra avant l'ouverture."),
    ("Ik heb een afspraak bij het ondernemersloket volgende maand.",
     "J'ai rendez-vous au guichet d'entreprises le mois prochain."),
)
FALLBACKS = (
    ("verlaag ik mijn privéopnamen en werk ik tijdelijk deeltijds ergens anders",
     "je réduirai mes prélèvements privés et je travaillerai temporairement à temps partiel"),
    ("schrap ik eerst de reclamekosten en zoek ik samen met mijn begeleider naar nieuwe "
     "klanten", "je couperai d'abord la publicité et je chercherai de nouveaux clients avec "
     "mon conseiller"),
)
SICKNESS = (
    ("neem ik een arbeidsongeschiktheidsverzekering", "je prends une assurance revenu "
     "garanti"),
    ("kan een familielid de zaak een paar weken openhouden", "un membre de ma famille peut "
     "garder le commerce ouvert quelques semaines"),
)
REVISED = (
    ("Aangepast na het gesprek met mijn begeleider: ik reken nu voorzichtiger.",
     "Revu après l'entretien avec mon conseiller : je compte maintenant plus prudemment."),
    ("Nieuw: ik heb een tweede offerte voor het materiaal gevraagd.",
     "Nouveau : j'ai demandé un deuxième devis pour le matériel."),
)
ADVISER_COMMENTS = {
    Section.MARKET: (
        ("Hoeveel klanten verwacht je per week? Onderbouw dat met je gesprekken.",
         "Combien de clients attends-tu par semaine ? Appuie-toi sur tes entretiens."),
        ("Goed dat je met klanten gepraat hebt. Noteer hun reacties in een tabel.",
         "Bien d'avoir parlé avec des clients. Note leurs réactions dans un tableau."),
    ),
    Section.COMPETITORS: (
        ("Ga eens langs bij twee concurrenten en noteer hun prijzen.",
         "Va voir deux concurrents et note leurs prix."),
    ),
    Section.MARKETING: (
        ("Je prijs ligt laag: reken na of je marge groot genoeg is.",
         "Ton prix est bas : vérifie que ta marge est suffisante."),
    ),
    Section.RISKS: (
        ("Wat doe je als de huur stijgt? Voeg dat risico toe.",
         "Que fais-tu si le loyer augmente ? Ajoute ce risque."),
    ),
    Section.PERMITS: (
        ("Vraag de vergunning nu al aan: dat duurt vaak zes weken.",
         "Demande l'autorisation maintenant : cela prend souvent six semaines."),
    ),
    "financial": (
        ("De omzet in de eerste maanden lijkt me hoog. Reken ook een voorzichtig scenario.",
         "Le chiffre d'affaires des premiers mois me semble élevé. Calcule aussi un scénario "
         "prudent."),
        ("Vergeet de verzekering en de boekhouder niet in de vaste kosten.",
         "N'oublie pas l'assurance et le comptable dans les frais fixes."),
        ("Je privéopnamen zijn krap: klopt het huishoudbudget?",
         "Tes prélèvements privés sont serrés : le budget du ménage est-il correct ?"),
    ),
}
VOLUNTEER_COMMENTS = (
    (Section.ENTREPRENEUR, ("Mooi geschreven! Vertel ook wat je in je vorige werk het "
                            "liefst deed.", "Très bien écrit ! Raconte aussi ce que tu "
                            "préférais dans ton ancien travail.")),
    (Section.IDEA, ("Voeg een paar foto's van je werk toe, dat overtuigt.",
                    "Ajoute quelques photos de ton travail, c'est convaincant.")),
    (Section.MARKET, ("Zullen we volgende week samen een korte enquête in de buurt doen?",
                      "On fait ensemble un petit sondage dans le quartier la semaine "
                      "prochaine ?")),
    (Section.MARKETING, ("Ik kan je helpen met een Instagram-pagina.",
                         "Je peux t'aider à créer une page Instagram.")),
)
EXTENSION_REASONS = (
    "Aanvullend advies van de externe adviseur nodig: de omzetprognose is nog niet onderbouwd "
    "met offertes en intentieverklaringen van klanten.",
)
EXTERNAL_ADVISERS = ("Ondernemersadvies Noord (extern adviseur)", "")
LOANS = {
    # (description, rate choices, terms, grace months, maximum) of the main loan
    "microkrediet-brussel": (("Microkrediet", "Microcrédit"), ("9.5", "10", "11", "12"),
                             (36, 48, 60), (0, 3, 6), 25_000),
    "starterspunt-gent": (("Starterslening bank", "Prêt bancaire starter"),
                          ("5.5", "6", "6.5", "7"), (48, 60), (0, 6), 50_000),
    "NL": (("Bbz-bedrijfskapitaal", "Capital Bbz"), ("4",), (60, 84, 120), (6,), 12_000),
}
SECOND_LOANS = {
    "microkrediet-brussel": (("Erelening", "Prêt d'honneur"), ("0", "2"), (36, 48), 6),
    "starterspunt-gent": (("Winwinlening (familie)", "Prêt Winwin (famille)"), ("2",),
                          (48, 60), 0),
    "NL": (("Microkrediet", "Microcrédit"), ("8", "8.5", "9.5"), (36, 48, 60), 0),
}
GRANTS = (("Startpremie", "Prime de démarrage"), (1000, 1500, 2500))
# fmt: on


# --------------------------------------------------------------------------------------
# Financial plans, drawn for a verdict
# --------------------------------------------------------------------------------------


@dataclass
class _Household:
    expenses: list[tuple[Pair, int]]
    income: list[tuple[Pair, int]]

    @property
    def drawings(self) -> int:
        return max(sum(a for _, a in self.expenses) - sum(a for _, a in self.income), 0)


def _household(rng: random.Random, client: Client, country: str) -> _Household:
    rent = rng.randrange(650, 1150, 25) if country == "BE" else rng.randrange(600, 1000, 25)
    children = len(client.children_ages or ())
    expenses = [
        (("Huur en energie", "Loyer et énergie"), rent),
        (("Boodschappen en andere kosten", "Courses et autres frais"), rng.randrange(450, 800, 25)),
    ]
    if children:
        expenses.append((("Kosten kinderen", "Frais des enfants"), 120 * children))
    income: list[tuple[Pair, int]] = []
    if client.household == Household.COUPLE and rng.random() < 0.65:
        income.append(
            (("Loon partner", "Salaire du/de la partenaire"), rng.randrange(800, 1800, 50))
        )
    if children:
        label = (
            ("Groeipakket (kinderbijslag)", "Allocations familiales")
            if country == "BE"
            else ("Kinderbijslag en kindgebonden budget", "Allocations familiales")
        )
        income.append((label, 170 * children))
    return _Household(expenses, income)


@dataclass
class _Draft:
    """The parts of a plan that stay the same across its versions."""

    business: Business
    french: bool
    country: str
    lender: str  # key of LOANS
    scale: float
    household: _Household
    start_month: str
    start_calendar_month: int

    def text(self, pair: Pair) -> str:
        return pair[1] if self.french else pair[0]


class _Financials:
    """Draw a financial plan aimed at a verdict, checked against the calculation."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    @staticmethod
    def evaluate(financial: dict[str, Any], assumptions: PlanAssumptions):
        data = services.evaluation_input(financial, assumptions)
        return calculation.evaluate(calculation.plan_from_json(data))

    def make(
        self, draft: _Draft, target: str, assumptions: PlanAssumptions, tries: int = 6
    ) -> dict[str, Any]:
        financial: dict[str, Any] = {}
        for _ in range(tries):
            financial = self._attempt(draft, target, assumptions)
            if self.evaluate(financial, assumptions).verdict == target:
                break
        return financial

    def _attempt(self, draft: _Draft, target: str, assumptions: PlanAssumptions) -> dict[str, Any]:
        rng, business, text, scale = self.rng, draft.business, draft.text, draft.scale
        flavour = ""
        if target == Verdict.VIABLE_WITH_CONDITIONS:
            flavour = rng.choice(("cash", "cash", "dscr"))
        elif target == Verdict.NOT_VIABLE:
            flavour = rng.choice(("gap", "income"))
        investments = [
            {
                "description": text(label),
                "amount": _money(amount * scale * rng.uniform(0.85, 1.15), 50),
                "month": 1,
                "depreciation_years": years,
            }
            for label, amount, years in business.investments
        ]
        start_up_costs = [
            {
                "description": text(label),
                "amount": _money(amount * rng.uniform(0.8, 1.2), 50),
                "month": 1,
            }
            for label, amount in business.start_up_costs
        ]
        working_capital = _money(business.working_capital * scale, 100)
        fixed_costs = [
            {"description": text(label), "monthly_amount": _money(amount * scale, 5)}
            for label, amount in business.fixed_costs
        ]
        total = sum(Decimal(item["amount"]) for item in [*investments, *start_up_costs]) + Decimal(
            working_capital
        )

        # Revenue: year 3's profit is `k` times the gross income the household needs.
        tax = float(assumptions.tax_and_contributions_rate)
        # What the household needs, and never less than a modest living from the business.
        needed = max(draft.household.drawings, 900) * 12 / (1 - tax)
        k = {
            Verdict.VIABLE: rng.uniform(1.15, 1.6),
            Verdict.VIABLE_WITH_CONDITIONS: rng.uniform(1.1, 1.4),
            Verdict.NOT_VIABLE: rng.uniform(0.45, 0.85) if flavour == "income" else 1.3,
        }[target]
        growth = rng.choice((0.05, 0.1, 0.1, 0.15))
        if flavour == "dscr":
            growth = rng.uniform(0.3, 0.5)
        yearly_costs = sum(float(f["monthly_amount"]) for f in fixed_costs) * 12
        depreciation = sum(
            float(i["amount"]) / i["depreciation_years"]
            for i in investments
            if i["depreciation_years"]
        )
        interest = float(total) * 0.08
        margin = 1 - float(business.cost_of_sales)
        year3 = (k * needed + yearly_costs + depreciation + interest) / margin
        average = year3 / (1 + growth) ** 2 / 12
        ramp = rng.uniform(0.2, 0.4) if flavour == "cash" else rng.uniform(0.55, 0.85)
        shape = [min(1.0, ramp + (1 - ramp) * m / rng.choice((3, 4, 5))) for m in range(12)]
        if business.seasonal:
            start = draft.start_calendar_month - 1
            shape = [s * SEASON[(start + m) % 12] for m, s in enumerate(shape)]
        mean = sum(shape) / 12
        months = [average * s / mean for s in shape]

        financial: dict[str, Any] = {
            "start_month": draft.start_month,
            "investments": investments,
            "start_up_costs": start_up_costs,
            "working_capital": working_capital,
        }
        own = _money(float(total) * rng.uniform(0.05, 0.2), 100)
        if Decimal(own) > 0:
            financial["own_contribution"] = {"amount": own, "month": 1}
        grants = []
        if rng.random() < 0.25:
            label, amounts = GRANTS
            grants.append(
                {"description": text(label), "amount": _money(rng.choice(amounts)), "month": 1}
            )
        need = total - Decimal(own) - sum((Decimal(g["amount"]) for g in grants), Decimal(0))
        financial["loans"] = self._loans(draft, need, flavour)
        financial["grants"] = grants
        if business.lines:
            lines = []
            for label, price, share in business.lines:
                volume = [max(1, round(month * share / price)) for month in months]
                lines.append(
                    {
                        "description": text(label),
                        "price": _money(price),
                        "volume_per_month": [str(v) for v in volume],
                        "growth_per_year": f"{growth:.2f}",
                    }
                )
            financial["revenue_lines"] = lines
        elif rng.random() < 0.15 and not business.seasonal and flavour != "cash":
            financial["revenue"] = {
                "monthly": _money(average, 50),
                "growth_per_year": f"{growth:.2f}",
            }
        else:
            financial["revenue"] = {
                "year1_monthly": [_money(m, 50) for m in months],
                "growth_per_year": f"{growth:.2f}",
            }
        financial["cost_of_sales_rate"] = business.cost_of_sales
        financial["fixed_costs"] = fixed_costs
        financial["household_expenses"] = [
            {"description": text(label), "amount": _money(amount)}
            for label, amount in draft.household.expenses
        ]
        financial["other_household_income"] = [
            {"description": text(label), "amount": _money(amount)}
            for label, amount in draft.household.income
        ]

        # A buffer for the first months: enough (viable), or a shortfall within the
        # tolerance (a condition), added to the main loan.
        for _ in range(2):
            lowest = self.evaluate(financial, assumptions).lowest_cash
            if flavour == "cash":
                tolerated = total * assumptions.cash_shortfall_tolerance_rate
                wanted = -tolerated * Decimal(str(rng.uniform(0.3, 0.85)))
                extra = wanted - lowest if lowest < wanted else Decimal(0)
            else:
                extra = -lowest + Decimal(rng.randrange(200, 1500, 100)) if lowest < 0 else 0
            if extra <= 0:
                break
            main = financial["loans"][0]
            main["amount"] = _money_up(Decimal(main["amount"]) + extra)
        if flavour == "gap":
            main = financial["loans"][0]
            cut = total * Decimal(str(rng.uniform(0.1, 0.25)))
            main["amount"] = _money(max(Decimal(main["amount"]) - cut, Decimal(500)), 100)
        return financial

    def _loans(self, draft: _Draft, need: Decimal, flavour: str) -> list[dict[str, Any]]:
        rng, text = self.rng, draft.text
        label, rates, terms, graces, maximum = LOANS[draft.lender]
        second = SECOND_LOANS[draft.lender]
        amounts = [max(need, Decimal(1000))]
        if need > maximum:
            amounts = [Decimal(maximum), need - maximum]
        elif draft.lender != "NL" and rng.random() < 0.3 and need > 4000:
            part = (need * Decimal(str(rng.uniform(0.2, 0.35)))).quantize(Decimal(100))
            amounts = [need - part, part]
        loans = []
        for index, amount in enumerate(amounts):
            if index == 0:
                term = rng.choice(terms)
                grace = rng.choice(graces)
                if flavour == "dscr":
                    term, grace = rng.choice((18, 24)), 0
                loan = {
                    "description": text(label),
                    "amount": _money_up(amount),
                    "interest_rate": rng.choice(rates),
                    "term_months": term,
                    "grace_months": grace,
                    "month": 1,
                }
                if flavour == "dscr":
                    loan["amortization"] = "equal_principal"
            else:
                label2, rates2, terms2, grace2 = second
                loan = {
                    "description": text(label2),
                    "amount": _money_up(amount),
                    "interest_rate": rng.choice(rates2),
                    "term_months": rng.choice(terms2),
                    "grace_months": grace2,
                    "month": 1,
                }
            loans.append(loan)
        return loans


# --------------------------------------------------------------------------------------
# Candidates
# --------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    client_id: int
    trajectory_id: int
    guidance_on: datetime.date
    coached_by: list[int] = field(default_factory=list)


def _candidates(organisation: Organisation, volunteers: set[int]) -> list[_Candidate]:
    """Per client, the latest plan-worthy route that reached guidance, in client order."""
    latest: dict[int, tuple[datetime.date, int]] = {}
    for trajectory_id, client_id, on in (
        PhaseChange.objects.filter(
            trajectory__organisation=organisation,
            trajectory__route_type__code__in=PLAN_ROUTES,
            to_phase=Phase.GUIDANCE,
        )
        .order_by("trajectory_id", "on", "id")
        .values_list("trajectory_id", "client_id", "on")
    ):
        current = latest.get(client_id)
        if current is None or (on, trajectory_id) > current:
            latest[client_id] = (on, trajectory_id)
    coaches: dict[int, list[int]] = {}
    for client_id, coach_id in (
        ClientCoach.objects.filter(client__organisation=organisation, coach_id__in=volunteers)
        .order_by("client_id", "coach_id")
        .values_list("client_id", "coach_id")
    ):
        coaches.setdefault(client_id, []).append(coach_id)
    return [
        _Candidate(client_id, trajectory_id, on, coaches.get(client_id, []))
        for client_id, (on, trajectory_id) in sorted(latest.items())
    ]


def plan_targets(client_counts: dict[int, int]) -> dict[int, int]:
    """Plans per organisation (by id): one per 8 clients, at most MAX_PLANS in all."""
    wanted = {pk: count // CLIENTS_PER_PLAN for pk, count in client_counts.items()}
    total = sum(wanted.values())
    if total <= MAX_PLANS:
        return wanted
    return {pk: MAX_PLANS * count // total for pk, count in wanted.items()}


def _members(organisation: Organisation, role: str) -> list[User]:
    grants = (
        MembershipRole.objects.filter(membership__organisation=organisation, role=role)
        .select_related("membership__user")
        .order_by("membership__user_id")
    )
    return [grant.membership.user for grant in grants]


# --------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------


def build_plans(
    *, organisations: list[Organisation], seed: int, today: datetime.date
) -> dict[str, Any]:
    """Assumptions for every organisation, then plans, comments and assessments."""
    rng = random.Random(seed * 1_000_033 + 41)
    assumptions: dict[int, list[PlanAssumptions]] = {}
    for organisation in organisations:
        admin = _members(organisation, Role.ORG_ADMIN)[0]
        rows = list(ASSUMPTIONS[organisation.country])
        if organisation.slug in NEWER_ASSUMPTIONS:
            rows.append(NEWER_ASSUMPTIONS[organisation.slug])
        assumptions[organisation.pk] = [
            services.assumptions_save(
                actor=admin,
                organisation=organisation,
                valid_from=valid_from,
                tax_and_contributions_rate=Decimal(rate),
                dscr_threshold=Decimal(dscr),
                cash_shortfall_tolerance_rate=Decimal(tolerance),
            )
            for valid_from, rate, dscr, tolerance in rows
        ]
    counts = {o.pk: o.clients.count() for o in organisations}
    targets = plan_targets(counts)
    comments = 0
    for organisation in organisations:
        if targets[organisation.pk]:
            book = _Plans(organisation, rng, today, assumptions[organisation.pk])
            book.build(targets[organisation.pk])
            comments += book.comments
    return counts_for(organisations) | {
        "assumptions": sum(len(rows) for rows in assumptions.values()),
        "comments": comments,
    }


def counts_for(organisations: list[Organisation]) -> dict[str, Any]:
    versions = PlanVersion.objects.filter(plan__organisation__in=organisations)
    assessments = ViabilityAssessment.objects.filter(organisation__in=organisations)
    return {
        "plans": BusinessPlan.objects.filter(organisation__in=organisations).count(),
        "statuses": Counter(versions.values_list("status", flat=True)),
        "verdicts": Counter(versions.exclude(verdict="").values_list("verdict", flat=True)),
        "assessments": Counter(assessments.values_list("outcome", flat=True)),
    }


class _Plans:
    """One organisation's business plans."""

    def __init__(
        self,
        organisation: Organisation,
        rng: random.Random,
        today: datetime.date,
        assumptions: list[PlanAssumptions],
    ) -> None:
        self.organisation = organisation
        self.rng = rng
        self.today = today
        self.assumptions = sorted(assumptions, key=lambda a: a.valid_from)
        self.financials = _Financials(rng)
        self.comments = 0
        self.volunteers = {u.pk: u for u in _members(organisation, Role.VOLUNTEER)}
        self.assessor = None
        if organisation.kind == ASSESSING_KIND:
            self.assessor = _members(organisation, Role.BENEFITS_OFFICER)[0]

    def assumptions_on(self, day: datetime.date) -> PlanAssumptions:
        fitting = [a for a in self.assumptions if a.valid_from <= day]
        return fitting[-1] if fitting else self.assumptions[0]

    # Choosing ---------------------------------------------------------------------------
    def build(self, target: int) -> None:
        rng, today = self.rng, self.today
        pool = _candidates(self.organisation, set(self.volunteers))
        latest = today - _days(21)
        recent = [c for c in pool if RECENT_GUIDANCE <= c.guidance_on <= latest]
        older = [c for c in pool if c.guidance_on < RECENT_GUIDANCE]
        rng.shuffle(recent)
        rng.shuffle(older)
        pool = recent + older
        cases: list[tuple[_Candidate, dict[str, Any]]] = []
        used: set[int] = set()

        def take(candidate: _Candidate, case: dict[str, Any]) -> None:
            used.add(candidate.client_id)
            cases.append((candidate, case))

        if self.assessor is not None and target >= len(ASSESSMENT_CASES):
            for name, outcome, verdict in ASSESSMENT_CASES:
                requested = self._requested_on(name)
                created_by = requested - _days(rng.randint(30, 75))
                fitting = [
                    c for c in pool if c.client_id not in used and c.guidance_on < created_by
                ]
                if not fitting:  # pragma: no cover - every demo municipality has routes
                    continue
                take(
                    fitting[0],
                    {
                        "assessment": name,
                        "outcome": outcome,
                        "verdict": verdict,
                        "requested": requested,
                        "created_by": created_by,
                    },
                )
        # A few of the volunteer's clients first, so their comments have plans to go on.
        coached = [c for c in pool if c.coached_by and c.client_id not in used]
        for candidate in coached[: min(3, max(1, target // 4))]:
            if len(cases) < target:
                take(candidate, {})
        for candidate in pool:
            if len(cases) >= target:
                break
            if candidate.client_id not in used:
                take(candidate, {})
        clients = Client.objects.select_related("adviser").in_bulk([c.client_id for c, _ in cases])
        trajectories = Trajectory.objects.in_bulk([c.trajectory_id for c, _ in cases])
        for candidate, case in cases:
            self._plan(candidate, case, clients[candidate.client_id], trajectories)

    def _requested_on(self, name: str) -> datetime.date:
        rng, today = self.rng, self.today
        weeks = _days(7 * DECISION_WEEKS)
        if name == "due_soon":  # due within the next 14 days
            return today - weeks + _days(rng.randint(2, 13))
        if name == "overdue":
            return today - weeks - _days(rng.randint(5, 25))
        if name == "extended":  # past the first due date, within the extended one
            return today - weeks - _days(rng.randint(10, 50))
        return today - _days(rng.randint(130, 330))

    # Writing ----------------------------------------------------------------------------
    def _plan(
        self,
        candidate: _Candidate,
        case: dict[str, Any],
        client: Client,
        trajectories: dict[int, Trajectory],
    ) -> None:
        rng, today = self.rng, self.today
        floor = max(ASSUMPTIONS_FROM, candidate.guidance_on) + _days(rng.randint(3, 30))
        if case:
            latest = case["created_by"]
            created = min(floor, latest)
        else:
            created = min(floor, today - _days(7))
        created = max(created, ASSUMPTIONS_FROM + _days(3))
        adviser = client.adviser
        business = rng.choice(BUSINESSES)
        french = self._french(client)
        start = add_months(created.replace(day=1), rng.randint(2, 5))
        draft = _Draft(
            business=business,
            french=french,
            country=self.organisation.country,
            lender=self.organisation.slug if self.organisation.country == "BE" else "NL",
            scale=rng.uniform(0.75, 1.35),
            household=_household(rng, client, self.organisation.country),
            start_month=f"{start:%Y-%m}",
            start_calendar_month=start.month,
        )
        name = client.first_name if rng.random() < 0.6 else client.neighbourhood
        title = draft.text(business.title).format(name=name or client.last_name)
        plan = services.plan_create(
            actor=adviser,
            organisation=self.organisation,
            client=client,
            title=title,
            trajectory=trajectories[candidate.trajectory_id],
            today=created,
        )
        version = plan.versions.get()
        stage = "assessment" if case else _pick(rng, STAGES)
        texts = self._narrative(draft, client)
        sections = list(Section.values)
        if stage == "draft":
            sections = sections[: rng.randint(2, len(sections))]
        for section in sections:
            services.plan_section_save(
                actor=adviser, version=version, section=section, text=texts[section]
            )
        target = case.get("verdict") or _pick(rng, VERDICT_MIX)
        if case:
            submitted = case["requested"] - _days(rng.randint(3, 20))
            saved = max(created, submitted - _days(rng.randint(5, 20)))
        else:
            saved = min(today, created + _days(rng.randint(3, 20)))
            submitted = min(today, saved + _days(rng.randint(7, 45)))
        if stage == "draft" and rng.random() < 0.15:
            pass  # the financial plan is not started yet
        else:
            on = submitted if stage != "draft" else saved
            financial = self.financials.make(draft, target, self.assumptions_on(on))
            if stage == "draft" and rng.random() < 0.2:
                # Written up to the financing budget; the operating budget comes next.
                financial = {
                    key: value
                    for key, value in financial.items()
                    if key
                    in (
                        "start_month",
                        "investments",
                        "start_up_costs",
                        "working_capital",
                        "own_contribution",
                        "loans",
                        "grants",
                    )
                }
            version = services.plan_financial_save(
                actor=adviser, version=version, financial=financial, today=saved
            )
        coaches = tuple(self.volunteers[pk] for pk in candidate.coached_by)
        if stage == "draft":
            self._comment(version, client, adviser, sections, coaches)
            return
        version = services.plan_submit(actor=adviser, version=version, today=submitted)
        self._comment(version, client, adviser, sections, coaches)
        if case:
            self._assess(plan, case, draft)
            return
        if stage == "second_draft":
            self._second_draft(plan, draft, client, target, submitted)

    def _second_draft(
        self, plan: BusinessPlan, draft: _Draft, client: Client, target: str, after: datetime.date
    ) -> None:
        rng = self.rng
        adviser = client.adviser
        version = services.plan_new_version(actor=adviser, plan=plan)
        revised = version.narrative.get(Section.RISKS, "") + " " + draft.text(rng.choice(REVISED))
        version = services.plan_section_save(
            actor=adviser, version=version, section=Section.RISKS, text=revised.strip()
        )
        on = after + _days(rng.randint(5, 40))
        if on <= self.today:
            # Reworked with the adviser: a weak plan mostly gets better.
            better = Verdict.VIABLE
            if target == Verdict.NOT_VIABLE and rng.random() < 0.5:
                better = Verdict.VIABLE_WITH_CONDITIONS
            financial = self.financials.make(draft, better, self.assumptions_on(on))
            version = services.plan_financial_save(
                actor=adviser, version=version, financial=financial, today=on
            )
        if rng.random() < 0.5:
            self._comment(version, client, adviser, [Section.RISKS])

    def _assess(self, plan: BusinessPlan, case: dict[str, Any], draft: _Draft) -> None:
        rng, officer = self.rng, self.assessor
        assert officer is not None  # noqa: S101 for mypy: set before any plan is assessed
        requested = case["requested"]
        assessment = services.assessment_request(
            actor=officer,
            plan=plan,
            requested_on=requested,
            external_adviser=rng.choice(EXTERNAL_ADVISERS),
            today=requested,
        )
        if case["assessment"] == "extended":
            extended = min(self.today, requested + _days(7 * DECISION_WEEKS - rng.randint(3, 20)))
            services.assessment_extend(
                actor=officer,
                assessment=assessment,
                reason=rng.choice(EXTENSION_REASONS),
                today=extended,
            )
        elif case["assessment"] == "decided":
            decided = min(self.today, requested + _days(rng.randint(35, 85)))
            outcome = case["outcome"]
            services.assessment_decide(
                actor=officer,
                assessment=assessment,
                outcome=outcome,
                reasons=decision_reasons(outcome, assessment.version.evaluation or {}),
                decided_on=decided,
                today=decided,
            )
            if outcome == AssessmentOutcome.VIABLE_WITH_CONDITIONS:
                client = plan.client
                self._second_draft(plan, draft, client, Verdict.VIABLE, decided)

    def _comment(
        self,
        version: PlanVersion,
        client: Client,
        adviser: User,
        sections: list[str],
        coaches: tuple[User, ...] = (),
    ) -> None:
        rng = self.rng
        french = self._french(client)
        written = [s for s in sections if s in ADVISER_COMMENTS]
        if version.financial.get("investments"):
            written.append("financial")
        if written and rng.random() < 0.7:
            for section in rng.sample(written, min(len(written), rng.randint(1, 2))):
                text = rng.choice(ADVISER_COMMENTS[section])
                services.comment_add(
                    actor=adviser,
                    version=version,
                    section=section,
                    text=text[1] if french else text[0],
                )
                self.comments += 1
        for coach in coaches:
            fitting = [(s, t) for s, t in VOLUNTEER_COMMENTS if s in sections]
            if not fitting or rng.random() < 0.15:
                continue
            section, text = rng.choice(fitting)
            services.comment_add(
                actor=coach, version=version, section=section, text=text[1] if french else text[0]
            )
            self.comments += 1

    def _french(self, client: Client) -> bool:
        return client.preferred_language == "fr" or (
            self.organisation.default_language == "fr" and client.preferred_language != "nl"
        )

    def _narrative(self, draft: _Draft, client: Client) -> dict[str, str]:
        rng, text, business = self.rng, draft.text, draft.business
        nbh = client.neighbourhood or client.municipality
        age = _age(client.birth_date, self.today)
        country = draft.country
        if draft.french:
            intro = (
                f"Je m'appelle {client.first_name}, j'ai {age} ans. "
                f"J'ai {text(business.experience)}."
            )
            motive = f"Je veux me lancer parce que {text(rng.choice(MOTIVES))}."
            learn = f"Ce que je dois encore apprendre : {text(rng.choice(LEARN))}."
            place = f"Je commence dans {text(business.place).format(nbh=nbh)}."
            talks = rng.randint(12, 40)
            market = (
                f"J'ai parlé avec {talks} clients potentiels ; {rng.randint(4, talks // 2)} "
                "m'ont dit qu'ils achèteraient chez moi."
            )
            better = "Je ferai mieux grâce à un service personnel et des prix clairs."
            swot = "Forces : {}. Faiblesses : {}. Opportunités : {}. Menaces : {}."
            promo = f"Les clients me trouveront via {text(rng.choice(PROMOTION))}."
            permits = f"J'ai besoin de : {text(REGISTRATIONS[country])}. Il me faut aussi {{}}."
            risks = "Si je vends moins que prévu, {}. Si je tombe malade, {}."
        else:
            intro = f"Ik ben {client.first_name}, {age} jaar. Ik heb {text(business.experience)}."
            motive = f"Ik wil voor mezelf beginnen omdat {text(rng.choice(MOTIVES))}."
            learn = f"Wat ik nog moet leren: {text(rng.choice(LEARN))}."
            place = f"Ik begin in {text(business.place).format(nbh=nbh)}."
            talks = rng.randint(12, 40)
            market = (
                f"Ik heb met {talks} mogelijke klanten gepraat; {rng.randint(4, talks // 2)} "
                "zeiden dat ze bij mij zouden kopen."
            )
            better = "Ik doe het beter met persoonlijke service en duidelijke prijzen."
            swot = "Sterk: {}. Zwak: {}. Kansen: {}. Bedreigingen: {}."
            promo = f"Klanten vinden mij via {text(rng.choice(PROMOTION))}."
            permits = f"Ik heb nodig: {text(REGISTRATIONS[country])}. Daarnaast: {{}}."
            risks = "Als ik minder verkoop dan gepland, {}. Als ik ziek word, {}."
        extra = FOOD_PERMITS[country] if business.food else OTHER_PERMITS
        return {
            Section.ENTREPRENEUR: f"{intro} {motive} {learn}",
            Section.IDEA: f"{text(business.idea)} {text(business.edge)} {place}",
            Section.MARKET: f"{text(business.customers)} {market}",
            Section.COMPETITORS: f"{text(business.competitors)} {better}",
            Section.SWOT: swot.format(
                text(rng.choice(STRENGTHS)),
                text(rng.choice(WEAKNESSES)),
                text(rng.choice(OPPORTUNITIES)),
                text(rng.choice(THREATS)),
            ),
            Section.MARKETING: f"{text(business.price)} {promo}",
            Section.ORGANISATION: f"{text(LEGAL_FORM[country])} {text(rng.choice(HELPERS))}",
            Section.PERMITS: (f"{permits.format(text(extra))} {text(rng.choice(PERMIT_STATUS))}"),
            Section.RISKS: (
                f"{text(business.risk)} "
                f"{risks.format(text(rng.choice(FALLBACKS)), text(rng.choice(SICKNESS)))}"
            ),
        }


def _euro(amount: str | None) -> str:
    """€ 1.234,56, as a Dutch decision letter writes it."""
    return formatting.money(Decimal(amount or 0), language="nl")


def decision_reasons(outcome: str, evaluation: dict[str, Any]) -> str:
    """The reasons of a viability decision, from the figures of the plan assessed."""
    checks = {check["code"]: check for check in evaluation.get("checks", [])}

    def param(code: str, key: str) -> str:
        return checks.get(code, {}).get("params", {}).get(key) or "0"

    income = _euro(param("sufficient_income", "gross_income_needed"))
    if outcome == AssessmentOutcome.VIABLE:
        return (
            "Het bedrijfsplan is levensvatbaar: de financiering is rond, de kas blijft "
            f"positief en de winst dekt het bruto-inkomen dat het huishouden nodig heeft "
            f"({income} per jaar)."
        )
    if outcome == AssessmentOutcome.VIABLE_WITH_CONDITIONS:
        conditions = []
        for condition in evaluation.get("conditions", []):
            params = condition.get("params", {})
            if condition["code"] == "extra_financing":
                conditions.append(
                    f"vóór maand {params.get('before_month')} een extra buffer van "
                    f"{_euro(params.get('extra_financing'))} (eigen inbreng of krediet)"
                )
            elif condition["code"] == "debt_service_year1":
                conditions.append(
                    "de aflossingen in het eerste jaar elke maand volgen (dekking in jaar 1: "
                    f"{params.get('coverage_year1')})"
                )
        conditions.append("elk kwartaal de cijfers bespreken met de consulent")
        return "Levensvatbaar onder voorwaarden: " + "; ".join(conditions) + "."
    problems = []
    if not checks.get("financing_gap", {}).get("passed", True):
        gap = _euro(param("financing_gap", "financing_gap"))
        problems.append(f"de financiering is niet sluitend (tekort {gap})")
    if not checks.get("sufficient_income", {}).get("passed", True):
        problems.append(
            f"de winst dekt in het derde jaar niet het bruto-inkomen van {income} dat het "
            "huishouden nodig heeft"
        )
    if not checks.get("cash_never_negative", {}).get("passed", True):
        problems.append("het kastekort in de eerste maanden is te groot")
    if not checks.get("debt_service_coverage", {}).get("passed", True):
        problems.append("de aflossingen zijn na het eerste jaar niet te dragen")
    return (
        "Niet levensvatbaar: "
        + ("; ".join(problems) or "het plan is nog niet volledig")
        + ". Het plan kan worden aangepast en opnieuw ingediend."
    )


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def _age(birth: datetime.date | None, on: datetime.date) -> int:
    if birth is None:
        return 35
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def summary(counts: dict[str, Any]) -> str:
    """One line for the console: plans by version status and verdict, and assessments."""
    statuses, verdicts, assessments = (
        counts["statuses"],
        counts["verdicts"],
        counts["assessments"],
    )
    decided = sum(n for outcome, n in assessments.items() if outcome != AssessmentOutcome.PENDING)
    return (
        f"{counts['plans']} business plans with {sum(statuses.values())} versions "
        f"({statuses[VersionStatus.DRAFT]} draft, {statuses[VersionStatus.SUBMITTED]} "
        f"submitted, {statuses[VersionStatus.ASSESSED]} assessed; "
        f"{verdicts[Verdict.VIABLE]} viable, {verdicts[Verdict.VIABLE_WITH_CONDITIONS]} "
        f"viable with conditions, {verdicts[Verdict.NOT_VIABLE]} not viable) and "
        f"{counts['comments']} comments, {sum(assessments.values())} viability assessments "
        f"({assessments[AssessmentOutcome.PENDING]} pending, {decided} decided)"
    )

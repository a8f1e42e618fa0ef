"""The exploitation planted in the demo partnership, with its ground truth: the networks of
adults (their vehicles, places and phones, and what the police and the licensing team hold about
them), which children they exploit and from when, and the trail each exploited child leaves across
the agencies, from the first missing episode to the concern someone finally raises.

``ExploitedChildren`` holds the behavioural assumptions about them as knobs: how many there are, how
often they are reported missing (many exploited children rarely are), where else their signs surface
(health, police stops in the company of adults), and how long before a professional names it. The
defaults are the generator as it always was, with not one extra random draw."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from safeguarding.demo import names as words
from safeguarding.demo.agencies import AGENCY_OF_SYSTEM, COUNCIL, LICENSING, NHS, POLICE, SCHOOL, VOLUNTARY, Agencies
from safeguarding.demo.world import MINUTES_PER_DAY, POSTCODE_UNIT_LETTERS, YEAR, Person, World, e164
from safeguarding.demo.writer import ExtractWriter, ProgressCallback


@dataclass(frozen=True)
class ExploitedChildren:
    """How many children are exploited, and how their exploitation shows in agencies' records."""

    network_every: int = 400  # one planted network for this many children (at least three)
    lone_share: float = 0.009  # share of children exploited outside the networks (online, peers, a lone adult)
    missing: float = 1.0  # how often they are reported missing, against the default (about one episode in 40 days)
    never_missing: float = 0.0  # share never reported missing at all
    found_with_adult: float = 0.3  # chance the police find a network's child with its adults after an episode
    named_share: float = 0.85  # share whose exploitation a professional names at all
    concern_delay: float = 1.0  # how long before it is named, against the default (30-200 days after it began)
    absence_per_year: float = 30.0  # spells of absence from school a year once it has begun
    # Signs that surface in health (A&E intoxicated or injured, sexual health, substance misuse), a year.
    health_signs: float = 0.0
    # Police stops with the network's adults or in their vehicles (a lone abuser's: unnamed), a year.
    stops_with_adults: float = 0.0


class Exploitation(NamedTuple):
    kind: str  # "sexual" or "criminal"
    began: int  # ordinal day
    first_concern: int  # ordinal day, 0 if nobody raised it within the period


@dataclass(slots=True)
class Perpetrator:
    person: Person
    police: list[str]  # police-records record ids (a second one is a duplicate under an alias)
    licensing: str  # licensing-register record id, "" if not a licensed driver
    vehicle: str  # canonical registration, "" if none


@dataclass(slots=True)
class Network:
    nid: str
    kind: str  # "sexual" or "criminal"
    active_from: int
    perpetrators: list[Perpetrator]
    vehicles: list[str]
    places: list[tuple[str, str]]  # (name, normalised postcode)
    phones: list[str]  # national format
    children: list[str] = field(default_factory=list)  # true person ids of the children exploited
    police_children: list[str] = field(default_factory=list)  # their police record ids, for peer links


class Networks:
    """The planted networks and the children they exploit."""

    def __init__(self, world: World, agencies: Agencies, out: ExtractWriter,
                 progress: ProgressCallback | None, exploited: ExploitedChildren | None = None) -> None:
        self.world = world
        self.behaviour = exploited or ExploitedChildren()
        self.agencies = agencies
        self.out = out
        self.progress = progress
        self.rng = world.rng
        self.random = world.random
        self.start, self.end = world.start, world.end
        self.planted: list[Network] = []
        self.exploited = 0

    def plan_exploited(self) -> dict[int, int]:
        """Which children (by the order they are made) are exploited, and by which network (-1: none).

        Chosen up front so the run can stream: only these few thousand indices are kept in memory.
        """
        world = self.world
        slots: list[int] = []
        for index, network in enumerate(self.planted):
            low, high = (4, 12) if network.kind == "sexual" else (4, 9)
            slots.extend([index] * world.between(low, high))
        # Exploitation outside the planted groups: online grooming, a lone "boyfriend", peers.
        slots.extend([-1] * max(1, round(world.children_total * self.behaviour.lone_share)))
        self.rng.shuffle(slots)
        slots = slots[: world.children_total]
        chosen = self.rng.sample(range(world.children_total), len(slots))
        return dict(zip(chosen, slots, strict=True))


    # -- the networks

    def plan_networks(self) -> None:
        world = self.world
        count = max(3, world.children_total // self.behaviour.network_every)
        for index in range(count):
            kind = "criminal" if index % 10 in (2, 5, 8) else "sexual"
            self.planted.append(self.network(index, kind))
            if self.progress and (index % 50 == 0 or index == count - 1):
                self.progress("networks", index + 1, count)

    def network(self, index: int, kind: str) -> Network:
        world = self.world
        rng = self.rng
        random_ = self.random
        active_from = world.between(self.start - 365, self.end - 240)
        district = int(len(words.DISTRICTS) * random_())
        size = world.between(2, 6)
        place_kinds = words.SEXUAL_PLACES if kind == "sexual" else words.CRIMINAL_PLACES
        places: list[tuple[str, str]] = []
        for kind_name in rng.sample(place_kinds, world.between(2, 4)):
            if kind_name in ("Flat", "House") or random_() < 0.3:
                street = world.streets[int(len(world.streets) * random_())].name
            else:
                street = rng.choice(words.COMMERCIAL_STREETS)
            places.append((f"{kind_name}, {street}", world.place_postcode(district)))
        phones = [world.new_network_phone() for _ in range(world.between(1, 3))]
        network = Network(f"N{index + 1:04d}", kind, active_from, [], [], places, phones)
        # The first network always has a licensed driver, so that even a small area shows the licensing trail.
        taxi_network = kind == "sexual" and (index == 0 or random_() < 0.7)
        for position in range(size):
            sex = "F" if kind == "criminal" and random_() < 0.1 else "M"
            low_age, high_age = (19, 55) if kind == "sexual" else (18, 34)
            age = low_age + (high_age - low_age) * random_()
            dob = self.end - round(age * YEAR)
            heritage = world.heritage()
            person = world.new_person(sex=sex, dob=dob, child=False, family=rng.choice(heritage.surnames),
                                      heritage=heritage)
            if random_() < 0.5:
                person.aliases = (rng.choice(words.STREET_ALIASES),)
            person.phones.append(world.new_mobile())
            if random_() < 0.35:
                person.phones.append(rng.choice(phones))
            homes = [world.new_home(self.start - 2000, district)]
            is_taxi = taxi_network and (position == 0 or random_() < 0.3)
            vehicle = world.new_registration() if is_taxi or random_() < (0.5 if kind == "sexual" else 0.35) else ""
            if vehicle:
                network.vehicles.append(vehicle)
            police: list[str] = []
            if position == 0 or not is_taxi or random_() < 0.6:
                if random_() < 0.7:
                    person.pnc = world.new_pnc(date.fromordinal(world.between(dob + 6600, self.end)).year)
                police.append(self.agencies.record(POLICE, person, homes, "adult"))
                if random_() < 0.15 and person.aliases:
                    # Arrested once under a street name: a duplicate the linkage has to find.
                    police.append(self.agencies.record(POLICE, person, homes, "adult", alias=person.aliases[0]))
            licensing = self.agencies.record(LICENSING, person, homes, "adult") if is_taxi else ""
            network.perpetrators.append(Perpetrator(person, police, licensing, vehicle))
        if not network.vehicles:
            driver = network.perpetrators[0]
            driver.vehicle = world.new_registration()
            network.vehicles.append(driver.vehicle)
        self.network_events(network)
        return network

    def network_events(self, network: Network) -> None:
        """What the police and licensing hold about the adults, before any child is named."""
        world = self.world
        agencies = self.agencies
        random_ = self.random
        rng = self.rng
        first_day = max(self.start, network.active_from)
        with_police = [p for p in network.perpetrators if p.police]
        for left, right in itertools.pairwise(with_police):
            if random_() < 0.7:
                agencies.relationship(POLICE, left.police[0], right.police[0], "associate",
                                      world.iso(world.between(first_day, self.end)))
        # Every vehicle, place and phone of the network is seen at least once in intelligence.
        entities: list[tuple[str, str]] = [("vehicle", v) for v in network.vehicles]
        entities += [("place", str(i)) for i in range(len(network.places))]
        entities += [("phone", p) for p in network.phones]
        for kind, value in entities:
            perpetrator = rng.choice(with_police)
            if kind == "vehicle":
                owner = next((p for p in network.perpetrators if p.vehicle == value), perpetrator)
                if owner.police:
                    perpetrator = owner
            self.intelligence(network, perpetrator.police[0], first_day, vehicle=value if kind == "vehicle" else "",
                              place=value if kind == "place" else "", phone=value if kind == "phone" else "")
        for perpetrator in network.perpetrators:
            for _ in range(world.between(0, 3) if perpetrator.police else 0):
                self.intelligence(network, perpetrator.police[-1] if random_() < 0.2 else perpetrator.police[0],
                                  first_day)
            if perpetrator.police and perpetrator.vehicle and random_() < 0.4:
                day = world.between(first_day, self.end)
                agencies.event(POLICE, perpetrator.police[0], "police_stop", world.dt(world.at(day, 18, 24)),
                               vehicle=agencies.registration_text(perpetrator.vehicle),
                               detail="Vehicle stopped, driver spoken to, young people in car")
            if perpetrator.licensing:
                licensed = world.between(self.start - 1500, first_day)
                agencies.event(LICENSING, perpetrator.licensing, "other", world.iso(max(self.start, licensed)),
                               vehicle=agencies.registration_text(perpetrator.vehicle) if perpetrator.vehicle else "",
                               detail="Private hire driver licence renewed")
                for _ in range(world.between(1, 3)):
                    day = world.between(first_day, self.end)
                    agencies.event(LICENSING, perpetrator.licensing, "licensing_complaint",
                                   world.dt(world.at(day, 9, 17)),
                                   vehicle=(agencies.registration_text(perpetrator.vehicle)
                                            if perpetrator.vehicle else ""),
                                   location=rng.choice(network.places)[0] if random_() < 0.5 else "",
                                   detail=rng.choice((
                                       "Complaint from parent: driver giving free rides to school-age girls",
                                       "Driver seen with young girls in the front seat late at night",
                                       "Anonymous complaint: driver offering alcohol to passengers under 16",
                                       "Complaint from operator: unlogged journeys with young passengers")))
        if random_() < 0.35 and with_police:
            arrest_day = world.between(max(first_day, self.end - 300), self.end - 5)
            for perpetrator in with_police:
                if random_() < 0.6:
                    continue
                day = arrest_day + world.between(0, 20)
                if day > self.end:
                    continue
                record = perpetrator.police[0]
                agencies.event(POLICE, record, "arrest", world.dt(world.at(day, 5, 9)),
                               detail="Arrested on suspicion of child sexual offences" if network.kind == "sexual"
                               else "Arrested on suspicion of supplying class A drugs and modern slavery offences")
                if random_() < 0.5 and day + 2 <= self.end:
                    charged = min(self.end, day + world.between(1, 60))
                    agencies.event(POLICE, record, "charge", world.iso(charged), detail="Charged, remanded in custody")
                    if random_() < 0.2 and charged + 120 <= self.end:
                        agencies.event(POLICE, record, "conviction", world.iso(world.between(charged + 90, self.end)),
                                       detail="Convicted at Crown Court")

    def intelligence(self, network: Network, record_id: str, first_day: int, *, vehicle: str = "",
                     place: str = "", phone: str = "", others: str = "", about_child: bool = False) -> None:
        world = self.world
        random_ = self.random
        day = world.between(first_day, self.end)
        location, postcode = network.places[int(place)] if place else ("", "")
        grade = "123"[int(3 * random_())] + "ABCD"[int(4 * random_())]
        if about_child:
            detail = "Child seen with adult males linked to exploitation"
        elif network.kind == "sexual":
            detail = "Males believed to be supplying alcohol to girls and taking them to addresses"
        else:
            detail = "Believed to be running a drugs line using local children"
        self.agencies.event(POLICE, record_id, "intelligence", world.dt(world.at(day, 0, 24)), location=location,
                            postcode=self.agencies.postcode_text(postcode) if postcode else "",
                            vehicle=self.agencies.registration_text(vehicle) if vehicle else "",
                            phone=self.agencies.phone_text(phone) if phone else "", others=others,
                            detail=f"Intelligence graded {grade}: {detail}", handling="P" if random_() < 0.6 else "C")

    def truth_rows(self) -> Iterator[tuple[str, str, str]]:
        """truth/networks.csv: each network's people, vehicles, places and phones."""
        for network in self.planted:
            for perpetrator in network.perpetrators:
                yield (network.nid, "person", perpetrator.person.tpid)
            for tpid in network.children:
                yield (network.nid, "person", tpid)
            for vehicle in network.vehicles:
                yield (network.nid, "vehicle", vehicle)
            for place in dict.fromkeys(postcode for _, postcode in network.places):
                yield (network.nid, "place", place)
            for phone in network.phones:
                yield (network.nid, "phone", e164(phone))

    # -- the children exploited

    def plan_exploitation(self, kid: Person, network: int) -> Exploitation:
        """Fix the child's age, when exploitation began, and when (if ever) someone first raised it."""
        world = self.world
        random_ = self.random
        if network >= 0:
            net = self.planted[network]
            kind = net.kind
            earliest = max(self.start + 20, net.active_from)
        else:
            kind = "sexual" if random_() < 0.75 else "criminal"
            earliest = self.start + 20
        began = world.between(earliest, self.end - 45)
        ages = (10, 11, 12, 13, 14, 15, 16, 17)
        weights = (1, 3, 8, 14, 20, 22, 18, 10) if kind == "sexual" else (0, 1, 5, 12, 20, 24, 24, 14)
        age = self.rng.choices(ages, weights)[0] + random_()
        kid.dob = began - round(age * YEAR)
        first_concern = 0
        if random_() < self.behaviour.named_share:
            # Typically 30-200 days pass before a professional names it; some are never named.
            delay = 30 + int(170 * self.rng.betavariate(1.6, 2.4))
            if self.behaviour.concern_delay != 1.0:
                delay = round(delay * self.behaviour.concern_delay)
            if began + delay <= self.end:
                first_concern = began + delay
        self.exploited += 1
        network_id = self.planted[network].nid if network >= 0 else ""
        self.out.exploited((kid.tpid, kind, world.iso(began), network_id,
                            world.iso(first_concern) if first_concern else ""))
        if network >= 0:
            self.planted[network].children.append(kid.tpid)
        return Exploitation(kind, began, first_concern)

    def exploitation_events(self, kid: Person, records: dict[str, list[str]], network_index: int,
                            exploitation: Exploitation) -> None:
        world = self.world
        rng = self.rng
        random_ = self.random
        kind, began, first_concern = exploitation
        net = self.planted[network_index] if network_index >= 0 else None
        end = self.end
        span = end - began
        police = records[POLICE][0]
        agencies: set[str] = set()

        def emit(system: str, event_type: str, occurred: str, **extra: str) -> None:
            if system in records:
                self.agencies.event(system, self.agencies.pick(records, system), event_type, occurred, **extra)
                agencies.add(system)

        def place() -> tuple[str, str]:
            if net is not None:
                return rng.choice(net.places)
            street = world.streets[int(len(world.streets) * random_())]
            return f"{rng.choice(('Park', 'Address', 'Shops', 'Car park'))}, {street.name}", street.postcodes[0]

        def perpetrators(count: int) -> str:
            if net is None:
                return ""
            ids = [p.police[0] for p in net.perpetrators if p.police]
            return ";".join(rng.sample(ids, min(count, len(ids))))

        def phone() -> str:
            return self.agencies.phone_text(rng.choice(net.phones)) if net is not None else ""

        behaviour = self.behaviour
        # Missing episodes, and the return home interviews that should follow within 72 hours.
        episodes = min(18, 1 + world.poisson(span / 40 * behaviour.missing))
        if behaviour.never_missing and random_() < behaviour.never_missing:
            episodes = 0
        for _ in range(episodes):
            day = world.escalating(began, end)
            went = world.at(day, 15, 24)
            back = went + int(60 * (2 + 70 * random_() ** 2))
            found_at = place() if random_() < 0.4 else ("", "")
            ended = world.dt(back) if back < (end + 1) * MINUTES_PER_DAY else ""
            emit(POLICE, "missing_episode", world.dt(went), ended_at=ended, location=found_at[0],
                 postcode=self.agencies.postcode_text(found_at[1]) if found_at[1] else "",
                 detail=rng.choice(("Reported missing by mother", "Reported missing by carer",
                                    "Failed to return from school", "Missing from care placement")))
            if ended and random_() < behaviour.found_with_adult and net is not None:
                emit(POLICE, "found_with_adult", world.dt(back - 30), location=found_at[0] or place()[0],
                     others=perpetrators(1 + int(2 * random_())),
                     detail="Found by officers in company of adult male(s) on return")
            if ended and COUNCIL in records and random_() < 0.65:
                # Most are held within the 72 hours; about a third are days late.
                delay = int(60 * (4 + 64 * random_())) if random_() > 0.3 else int(1440 * (4 + 10 * random_()))
                held = world.clip_hour(back + delay)
                if held < (end + 1) * MINUTES_PER_DAY:
                    late = held - back > 72 * 60
                    emit(COUNCIL, "return_home_interview", world.dt(held),
                         detail="Return home interview completed" + (", outside 72 hours" if late else ""))

        if net is not None:
            for _ in range(world.between(1, 4 if kind == "sexual" else 2)):
                day = world.escalating(began, end)
                driver = rng.choice([p for p in net.perpetrators if p.vehicle] or net.perpetrators)
                where = place()
                emit(POLICE, "seen_in_vehicle", world.dt(world.at(day, 16, 24)),
                     vehicle=self.agencies.registration_text(driver.vehicle or rng.choice(net.vehicles)),
                     location=where[0], postcode=self.agencies.postcode_text(where[1]),
                     others=driver.police[0] if driver.police else "",
                     detail="Seen getting into vehicle with adult male driver")
            # The police learn about the child through intelligence on the adults too.
            for _ in range(world.between(0, 2)):
                perpetrator = rng.choice([p for p in net.perpetrators if p.police] or net.perpetrators)
                if perpetrator.police:
                    self.intelligence(net, perpetrator.police[0], began, others=police, about_child=True,
                                      place=str(int(len(net.places) * random_())))
            if random_() < 0.5:
                self.intelligence(net, police, began, others=perpetrators(2), about_child=True)
            if random_() < 0.6:
                first_link = world.iso(world.between(began, end))
                for perpetrator in rng.sample(net.perpetrators, min(len(net.perpetrators), world.between(1, 2))):
                    if perpetrator.police:
                        self.agencies.relationship(POLICE, perpetrator.police[0], police,
                                                   "suspected_perpetrator", first_link)
            if net.police_children and random_() < 0.4:
                self.agencies.relationship(POLICE, police, rng.choice(net.police_children), "peer", "")
            if len(net.police_children) < 20:
                net.police_children.append(police)

        for _ in range(world.between(1, 3)):
            day = world.escalating(began, end)
            emit(rng.choice((SCHOOL, COUNCIL, VOLUNTARY, SCHOOL)), "gifts_or_money", world.iso(day),
                 detail=rng.choice(("New trainers and clothes, cannot explain", "Large amount of cash in bag",
                                    "New phone and expensive jewellery", "Phone credit topped up by 'a friend'")))
        if random_() < (0.5 if kind == "sexual" else 0.9):
            emit(rng.choice((SCHOOL, POLICE)), "multiple_phones", world.iso(world.escalating(began, end)),
                 phone=phone(), detail="Found with a second phone")
        if kind == "sexual":
            self.sexual_events(kid, began, emit)
        else:
            self.criminal_events(began, emit, place, perpetrators, phone)
        if random_() < (0.25 if net is not None else 1.0):
            emit(rng.choice((SCHOOL, POLICE, VOLUNTARY)), "online_grooming", world.iso(world.escalating(began, end)),
                 phone=phone() if random_() < 0.3 else "",
                 detail=rng.choice(("Adult contacting child on social media, asked for images",
                                    "Messages from older male on Snapchat", "Sharing images with unknown adult")))
        if SCHOOL in records:
            self.agencies.absences(records, began, end, per_year=behaviour.absence_per_year, emit=emit)
            if random_() < 0.2:
                emit(SCHOOL, "school_exclusion", world.iso(world.escalating(began, end)),
                     detail="Fixed-term suspension, 3 days")
        for _ in range(world.between(0, 2)):
            emit(NHS, "ae_attendance", world.dt(world.at(world.escalating(began, end), 0, 24)),
                 detail=rng.choice(("Intoxicated, brought in by ambulance", "Facial injury, vague explanation",
                                    "Overdose of paracetamol")))
        if random_() < 0.3:
            emit(NHS, "self_harm", world.dt(world.at(world.escalating(began, end), 0, 24)),
                 detail="Cuts to forearms")
        if random_() < 0.4:
            emit(rng.choice((NHS, VOLUNTARY)), "substance_misuse", world.iso(world.escalating(began, end)),
                 detail=rng.choice(("Cannabis use daily", "Alcohol, frequently intoxicated", "Cocaine use reported")))
        if behaviour.health_signs:
            self.health_signs(kind, began, span, emit)
        if behaviour.stops_with_adults:
            self.stops_with_adults(net, began, span, emit, place, perpetrators)
        if random_() < 0.1:
            emit(POLICE, "victim_of_crime", world.dt(world.at(world.escalating(began, end), 0, 24)),
                 detail="Victim of assault")
        if VOLUNTARY in records:
            # The youth project often sees it first, and is not always heard.
            for _ in range(world.between(1, 3)):
                event_type, detail = rng.choice((
                    ("other", "Youth worker: seen with older men in cars near the youth club"),
                    ("found_with_adult", "Youth worker: found with adult males at the shops after dark"),
                    ("gifts_or_money", "Youth worker: new clothes and cash, says a 'friend' gave them")))
                emit(VOLUNTARY, event_type, world.iso(world.between(began, end)), detail=detail)
        if first_concern:
            system = SCHOOL if SCHOOL in records and random_() < 0.45 else COUNCIL
            if system not in records:
                system = SCHOOL
            texts = (words.SEXUAL_CONCERNS if kind == "sexual" else words.CRIMINAL_CONCERNS) if net is not None \
                else words.ONLINE_CONCERNS + (words.SEXUAL_CONCERNS if kind == "sexual" else words.CRIMINAL_CONCERNS)
            emit(system, "concern", world.dt(world.at(first_concern, 8, 18)), detail=rng.choice(texts))
            if random_() < 0.3:
                disclosed = first_concern + world.between(20, 150)
                if disclosed <= end:
                    emit(rng.choice((COUNCIL, POLICE)), "disclosure", world.dt(world.at(disclosed, 9, 18)),
                         detail=rng.choice(words.DISCLOSURES))
        # Every exploited child's trail crosses at least three agencies: that is the point.
        if NHS not in agencies:
            emit(NHS, "ae_attendance", world.dt(world.at(world.between(began, end), 0, 24)),
                 detail="Attended with minor injury, left before being seen")
        if len({AGENCY_OF_SYSTEM[s] for s in agencies}) < 3:
            emit(SCHOOL if SCHOOL in records else COUNCIL, "gifts_or_money", world.iso(world.between(began, end)),
                 detail="Unexplained new clothes and phone")

    def health_signs(self, kind: str, began: int, span: int, emit: Callable[..., None]) -> None:
        """Signs that surface in health rather than in missing episodes."""
        world = self.world
        rng = self.rng
        signs = (("sexual_health_attendance", "STI screen and emergency contraception"),
                 ("ae_attendance", "Intoxicated, brought in by ambulance"),
                 ("substance_misuse", "Alcohol and cannabis, older friends supply it")) if kind == "sexual" else (
                 ("ae_attendance", "Stab wound to leg, will not say how"),
                 ("ae_attendance", "Facial injury, says he fell"),
                 ("substance_misuse", "Cannabis use daily"))
        for _ in range(world.poisson(self.behaviour.health_signs * span / YEAR)):
            event_type, detail = rng.choice(signs)
            emit(NHS, event_type, world.dt(world.at(world.escalating(began, self.end), 0, 24)), detail=detail)

    def stops_with_adults(self, net: Network | None, began: int, span: int, emit: Callable[..., None],
                          place: Callable[[], tuple[str, str]], perpetrators: Callable[[int], str]) -> None:
        """Police stops of the child in the company of adults, often in a car: who the child is with."""
        world = self.world
        rng = self.rng
        for _ in range(world.poisson(self.behaviour.stops_with_adults * span / YEAR)):
            where = place()
            vehicle = rng.choice(net.vehicles) if net is not None and self.random() < 0.5 else ""
            emit(POLICE, "police_stop", world.dt(world.at(world.escalating(began, self.end), 16, 24)),
                 location=where[0], postcode=self.agencies.postcode_text(where[1]), others=perpetrators(1),
                 vehicle=self.agencies.registration_text(vehicle) if vehicle else "",
                 detail="Stopped in the company of older males" + (", in a car" if vehicle else ""))

    def sexual_events(self, kid: Person, began: int, emit: Callable[..., None]) -> None:
        world = self.world
        random_ = self.random
        end = self.end
        if random_() < 0.6:
            for _ in range(world.between(1, 3)):
                emit(NHS, "sexual_health_attendance", world.dt(world.at(world.escalating(began, end), 9, 18)),
                     detail=self.rng.choice(("STI screen", "Emergency contraception", "Chlamydia treatment")))
        if kid.sex == "F" and random_() < 0.12 and world.age_day(kid, 13) < end:
            day = world.between(max(began + 30, world.age_day(kid, 13)), end) if began + 30 <= end else end
            emit(NHS, "pregnancy", world.iso(day), detail="Pregnancy confirmed")
            if random_() < 0.6 and day + 30 <= end:
                emit(NHS, "termination", world.iso(world.between(day + 14, min(end, day + 70))),
                     detail="Termination of pregnancy")
        if random_() < 0.15:
            where = self.rng.choice(words.OUT_OF_AREA)
            emit(POLICE, "travel_out_of_area", world.dt(world.at(world.escalating(began, end), 12, 24)),
                 location=where[0], detail="Found out of area with older males")

    def criminal_events(self, began: int, emit: Callable[..., None], place: Callable[[], tuple[str, str]],
                        perpetrators: Callable[[int], str], phone: Callable[[], str]) -> None:
        world = self.world
        rng = self.rng
        end = self.end
        for _ in range(world.between(1, 4)):
            where = rng.choice(words.OUT_OF_AREA)
            postcode = f"{where[1]} {world.between(1, 9)}{rng.choice(POSTCODE_UNIT_LETTERS)}" \
                       f"{rng.choice(POSTCODE_UNIT_LETTERS)}"
            emit(POLICE, "travel_out_of_area", world.dt(world.at(world.escalating(began, end), 10, 24)),
                 location=where[0], postcode=postcode if self.random() < 0.5 else "",
                 detail="Found in another town with cash and phones")
        if self.random() < 0.5:
            emit(rng.choice((POLICE, VOLUNTARY, COUNCIL)), "drug_debt", world.iso(world.escalating(began, end)),
                 detail="Says he owes money after drugs were 'taken' from him")
        for _ in range(world.between(1, 3)):
            where = place()
            emit(POLICE, "police_stop", world.dt(world.at(world.escalating(began, end), 14, 24)),
                 location=where[0], postcode=self.agencies.postcode_text(where[1]), others=perpetrators(1),
                 phone=phone() if self.random() < 0.4 else "",
                 detail="Stop and search: cash and wraps found")



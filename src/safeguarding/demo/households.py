"""The demo partnership's families: households of children with their parents or carers, the
systems that hold each of them and the links those systems know, and the ordinary run of
childhood in agencies' records (A&E, absences, stops, referrals), at rates that give a careless
early-warning rule plenty of false positives."""

from __future__ import annotations

from datetime import date

from safeguarding.demo import names as words
from safeguarding.demo.agencies import COUNCIL, NHS, POLICE, SCHOOL, VOLUNTARY, Agencies
from safeguarding.demo.networks import Exploitation, Networks
from safeguarding.demo.world import MINUTES_PER_DAY, YEAR, Home, Person, World
from safeguarding.demo.writer import ExtractWriter


class Households:
    """Household after household, each with its records in the agencies' systems."""

    def __init__(self, world: World, agencies: Agencies, networks: Networks, out: ExtractWriter) -> None:
        self.world = world
        self.agencies = agencies
        self.networks = networks
        self.out = out
        self.rng = world.rng
        self.random = world.random
        self.start, self.end = world.start, world.end

    def household(self, first_index: int, exploited_at: dict[int, int]) -> int:
        """Make one household and its records; return how many children it had."""
        world = self.world
        rng = self.rng
        random_ = self.random
        r = random_()
        size = 1 if r < 0.38 else 2 if r < 0.75 else 3 if r < 0.92 else 4 if r < 0.98 else 5
        size = min(size, world.children_total - first_index)
        heritage = world.heritage()
        # Most fathers share the mother's community; some do not, and some children take his name.
        father_heritage = heritage if random_() < 0.92 else world.heritage()
        family = rng.choice(heritage.surnames)
        father_family = family if random_() < 0.7 else rng.choice(father_heritage.surnames)
        homes = [world.new_home(self.start - 3000)]
        if random_() < 0.12:
            homes.append(world.new_home(world.between(self.start + 30, self.end - 30)))  # moved house
        landline = world.new_landline() if random_() < 0.2 else ""

        # (person, network index: -1 exploited outside a network, -2 not exploited, exploitation plan)
        kids: list[tuple[Person, int, Exploitation | None]] = []
        for offset in range(size):
            network = exploited_at.get(first_index + offset, -2)
            kid, plan = self.child_person(family, father_family, network,
                                          heritage if random_() < 0.6 else father_heritage)
            kids.append((kid, network, plan))
        oldest = min(kid.dob for kid, _, _ in kids)

        carer_only = random_() < 0.04
        mother: Person | None = None
        father: Person | None = None
        carer: Person | None = None
        if carer_only:
            carer = world.new_person(sex="F", dob=oldest - round((40 + 20 * random_()) * YEAR), child=False,
                                     family=family, heritage=heritage)
        else:
            if random_() < 0.95:
                mother = world.new_person(sex="F", dob=oldest - round((18 + 20 * random_()) * YEAR), child=False,
                                          family=family, heritage=heritage)
                if random_() < 0.3:
                    mother.other_family = rng.choice(heritage.surnames)  # maiden name, held by some systems
            if random_() < 0.55 or mother is None:
                father = world.new_person(sex="M", dob=oldest - round((20 + 22 * random_()) * YEAR), child=False,
                                          family=father_family, heritage=father_heritage)
        adults = [a for a in (mother, father, carer) if a is not None]
        for adult in adults:
            adult.phones.append(world.new_mobile())
            if landline and random_() < 0.7:
                adult.phones.append(landline)
            if random_() < 0.3:
                adult.email = world.email(adult.given, adult.family)
        contact = [a.phones[0] for a in adults][:2]

        council_children: list[tuple[Person, str]] = []
        police_children: list[tuple[Person, str]] = []
        father_homes = homes if random_() < 0.6 else [world.new_home(self.start - 500)]  # living apart
        for kid, network, plan in kids:
            records = self.child_records(kid, homes, contact, network, plan)
            if COUNCIL in records:
                council_children.append((kid, records[COUNCIL][0]))
            if POLICE in records:
                police_children.append((kid, records[POLICE][0]))
        self.family_records(COUNCIL, council_children, mother, father, carer, homes, father_homes, 0.95, 0.5)
        self.family_records(POLICE, police_children, mother, father, carer, homes, father_homes, 0.45, 0.25)
        return size

    def family_records(self, system: str, kids: list[tuple[Person, str]], mother: Person | None,
                       father: Person | None, carer: Person | None, homes: list[Home],
                       father_homes: list[Home], mother_rate: float, father_rate: float) -> None:
        """Parents and carers of the children a system holds, and the links it knows between them."""
        world = self.world
        if not kids:
            return
        random_ = self.random
        for adult, rate, relationship in ((mother, mother_rate, "parent"), (father, father_rate, "parent"),
                                          (carer, 0.95, "carer")):
            if adult is None or random_() > rate:
                continue
            record_id = self.agencies.record(system, adult, father_homes if adult is father else homes, "adult")
            for kid, kid_record in kids:
                start = world.iso(kid.dob) if relationship == "parent" else world.iso(world.between(kid.dob, self.end))
                self.agencies.relationship(system, record_id, kid_record, relationship, start)
        if system == COUNCIL:
            for i, (_, left) in enumerate(kids):
                for _, right in kids[i + 1:]:
                    self.agencies.relationship(system, left, right, "sibling", "")

    def child_person(self, family: str, father_family: str, network: int,
                     heritage: words.Heritage) -> tuple[Person, Exploitation | None]:
        world = self.world
        random_ = self.random
        rng = self.rng
        sex = "F" if random_() < 0.49 else "M"
        if network >= 0 and self.networks.planted[network].kind == "sexual":
            sex = "F" if random_() < 0.85 else "M"
        elif network >= 0:
            sex = "M" if random_() < 0.85 else "F"
        if network == -2:
            # Ages at the end of the period: 0-17, and a few who turned 18 during it.
            age = 18 * random_() if random_() > 0.04 else 18 + 2 * random_()
            dob = self.end - round(age * YEAR)
        else:
            dob = 0  # set when the exploitation is planned, from the age it began
        person = world.new_person(sex=sex, dob=dob, child=True, family=family, heritage=heritage)
        r = random_()
        if family != father_family and r < 0.4:
            person.family = father_family
            if random_() < 0.3:
                person.other_family = f"{father_family}-{family}" if random_() < 0.5 else family
        elif r < 0.05:
            person.other_family = f"{family}-{rng.choice(words.ALL_SURNAMES)}"  # double-barrelled by some
        elif r < 0.08:
            person.other_family = rng.choice(words.ALL_SURNAMES)  # a step-parent's name, in some systems
        plan = self.networks.plan_exploitation(person, network) if network != -2 else None
        return person, plan

    def child_records(self, kid: Person, homes: list[Home], contact: list[str], network: int,
                      exploitation: Exploitation | None) -> dict[str, list[str]]:
        """Which systems hold the child, their records there, and everything that happened."""
        world = self.world
        random_ = self.random
        role = world.role(kid)
        age_end = (self.end - kid.dob) / YEAR
        if age_end >= 11 and random_() < 0.6:
            kid.phones.append(world.new_mobile())
        if random_() < 0.05:
            kid.nhs = ""  # not registered with a GP: NHS number unknown to every agency

        systems: list[str] = []
        in_school = 4.5 <= age_end < 18 + 0.2 and random_() < (0.97 if age_end < 16 else 0.75)
        if exploitation is not None:
            systems = [POLICE, NHS]
            if in_school or age_end < 17.5:
                systems.append(SCHOOL)
            if exploitation.first_concern or random_() < 0.5 or SCHOOL not in systems:
                systems.append(COUNCIL)
            if random_() < 0.35:
                systems.append(VOLUNTARY)
        else:
            if in_school:
                systems.append(SCHOOL)
            if random_() < (0.97 if age_end < 5 else 0.86):
                systems.append(NHS)
            if random_() < 0.11:
                systems.append(COUNCIL)
            if random_() < (0.02 if age_end < 10 else 0.12):
                systems.append(POLICE)
            if age_end >= 10 and random_() < 0.03:
                systems.append(VOLUNTARY)
            if not systems:
                systems.append(NHS)
        if SCHOOL in systems:
            kid.upn = world.new_upn(date.fromordinal(kid.dob).year)
        if POLICE in systems and age_end >= 12 and random_() < 0.25:
            kid.pnc = world.new_pnc(date.fromordinal(world.between(world.age_day(kid, 10), self.end)).year)

        records: dict[str, list[str]] = {}
        for system in systems:
            contacts = contact if system in (SCHOOL, COUNCIL, NHS) else contact[:1]
            records[system] = [self.agencies.record(system, kid, homes, role, contact_phones=contacts)]
            if system in (POLICE, NHS, COUNCIL) and random_() < 0.006:
                # A duplicate inside one system: created again at a later contact, never merged.
                records[system].append(self.agencies.record(system, kid, homes[-1:], role))
        self.background_events(kid, records, exploitation)
        if exploitation is not None:
            self.networks.exploitation_events(kid, records, network, exploitation)
        return records


    # -- what happens to every child

    def background_events(self, kid: Person, records: dict[str, list[str]],
                          exploitation: Exploitation | None) -> None:
        """The ordinary run of childhood in agencies' records, at rates that give a careless rule
        plenty of false positives."""
        world = self.world
        rng = self.rng
        random_ = self.random
        ev = self.agencies.event
        dt = world.dt
        at = world.at
        iso = world.iso
        # Concerns after exploitation began are the exploitation's own; before it, ordinary ones.
        concern_until = exploitation[1] - 1 if exploitation else self.end
        if SCHOOL in records:
            school = records[SCHOOL][0]
            window = world.window(kid, 4.5, 18)
            if window:
                self.agencies.absences(records, window[0], window[1], per_year=9.0 if random_() < 0.12 else 1.2)
            for _ in range(world.count_in(world.window(kid, 8, 18), 0.03)):
                w = world.window(kid, 8, 18)
                assert w
                ev(SCHOOL, school, "school_exclusion", iso(world.between(*w)),
                   detail=rng.choice(("Fixed-term suspension, 1 day", "Fixed-term suspension, 2 days",
                                      "Internal exclusion")))
            for _ in range(world.count_in(world.window(kid, 4.5, 18), 0.015)):
                w = world.window(kid, 4.5, 18)
                assert w
                day = world.between(w[0], w[1])
                if day <= concern_until:
                    ev(SCHOOL, school, "concern", dt(at(day, 8, 17)), detail=rng.choice(words.BACKGROUND_CONCERNS))
            teen = world.window(kid, 11, 18)
            for event_type in ("gifts_or_money", "multiple_phones"):
                for _ in range(world.count_in(teen, 0.003)):
                    assert teen
                    ev(SCHOOL, school, event_type, iso(world.between(*teen)), detail="Noted by form tutor")
        if NHS in records:
            nhs = records[NHS][0]
            life = world.window(kid)
            young = world.window(kid, 0, 5)
            for _ in range(world.count_in(life, 0.22) + world.count_in(young, 0.2)):
                assert life
                ev(NHS, self.agencies.pick(records, NHS), "ae_attendance", dt(at(world.between(*life), 0, 24)),
                   detail=rng.choice(("Minor head injury, fall", "Asthma", "Fracture, playground fall",
                                      "Febrile illness", "Sprained ankle, sport", "Burn, kitchen accident")))
            for _ in range(world.count_in(life, 0.06)):
                assert life
                ev(NHS, nhs, "injury", dt(at(world.between(*life), 8, 20)), detail="Bruising, explanation consistent")
            teen = world.window(kid, 12, 18.5)
            for _ in range(world.count_in(teen, 0.012)):
                assert teen
                ev(NHS, nhs, "self_harm", dt(at(world.between(*teen), 0, 24)), detail="Superficial cuts")
            older = world.window(kid, 14, 18.5)
            for _ in range(world.count_in(older, 0.05)):
                assert older
                ev(NHS, nhs, "sexual_health_attendance", dt(at(world.between(*older), 9, 18)),
                   detail=rng.choice(("Contraception advice", "STI screen, negative", "Routine clinic")))
            for _ in range(world.count_in(world.window(kid, 13, 18.5), 0.008)):
                w = world.window(kid, 13, 18.5)
                assert w
                ev(NHS, nhs, "substance_misuse", iso(world.between(*w)), detail="Alcohol, brief intervention")
            if kid.sex == "F":
                for _ in range(world.count_in(world.window(kid, 15.5, 19), 0.012)):
                    w = world.window(kid, 15.5, 19)
                    assert w
                    day = world.between(*w)
                    ev(NHS, nhs, "pregnancy", iso(day), detail="Pregnancy confirmed, booked with midwife")
        if POLICE in records:
            police = records[POLICE][0]
            before = self.out.event_rows
            teen = world.window(kid, 10, 18)
            for _ in range(world.count_in(teen, 0.18)):
                assert teen
                day = world.between(*teen)
                went = at(day, 15, 24)
                back = went + int(60 * (1 + 20 * random_()))
                ended = dt(back) if back < (self.end + 1) * MINUTES_PER_DAY else ""
                ev(POLICE, police, "missing_episode", dt(went), ended_at=ended,
                   detail=rng.choice(("Stayed at a friend's without telling parents", "Argument at home",
                                      "Late back from town, found by officers")))
                if ended and COUNCIL in records and random_() < 0.6:
                    held = world.clip_hour(back + int(60 * (6 + 80 * random_())))
                    if held < (self.end + 1) * MINUTES_PER_DAY:
                        ev(COUNCIL, records[COUNCIL][0], "return_home_interview", dt(held),
                           detail="Return home interview completed")
            stops = world.window(kid, 12, 18.5)
            for _ in range(world.count_in(stops, 0.2)):
                assert stops
                street = world.streets[int(len(world.streets) * random_())]
                ev(POLICE, police, "police_stop", dt(at(world.between(*stops), 12, 24)),
                   location=f"{street.name}", postcode=self.agencies.postcode_text(street.postcodes[0]),
                   detail=rng.choice(("Stop and search, nothing found", "Spoken to about anti-social behaviour")))
            life = world.window(kid)
            for _ in range(world.count_in(life, 0.15)):
                assert life
                ev(POLICE, police, "victim_of_crime", dt(at(world.between(*life), 0, 24)),
                   detail=rng.choice(("Theft of bike", "Assault by peer", "Domestic incident at home, child present",
                                      "Online harassment")))
            for _ in range(world.count_in(world.window(kid, 13, 18.5), 0.01)):
                w = world.window(kid, 13, 18.5)
                assert w
                ev(POLICE, police, "found_with_adult", dt(at(world.between(*w), 18, 24)),
                   detail="Found with 19-year-old boyfriend, parents aware")
            if self.out.event_rows == before and life:
                # A police record exists because something happened: a witness or victim statement.
                ev(POLICE, police, "other", dt(at(world.between(*life), 8, 22)), detail="Witness to road collision")
        if COUNCIL in records:
            council = records[COUNCIL][0]
            life = world.window(kid)
            if life:
                concerns = world.count_in(life, 0.45)
                if exploitation is None:
                    concerns = max(1, concerns)  # a child is known to the council because someone referred them
                for _ in range(concerns):
                    day = world.between(*life)
                    if day <= concern_until:
                        ev(COUNCIL, council, "concern", dt(at(day, 8, 18)),
                           detail=rng.choice(words.BACKGROUND_CONCERNS))
                for _ in range(world.count_in(life, 0.5)):
                    ev(COUNCIL, self.agencies.pick(records, COUNCIL), "other", dt(at(world.between(*life), 9, 17)),
                       detail=rng.choice(("Home visit", "Child in need review", "Early help review meeting")))
        if VOLUNTARY in records:
            life = world.window(kid)
            for _ in range(world.count_in(life, 1.0)):
                assert life
                ev(VOLUNTARY, records[VOLUNTARY][0], "other", iso(world.between(*life)),
                   detail=rng.choice(("Attended youth club", "Detached youth work contact", "Mentoring session")))

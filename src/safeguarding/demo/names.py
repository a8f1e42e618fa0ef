"""Embedded word lists for the synthetic partnership: names, streets, places and detail texts."""

from __future__ import annotations

from typing import NamedTuple


class Heritage(NamedTuple):
    """Names that go together in one community of the town, so that a generated person's given
    name and family name are a plausible pair (and share of the town's households)."""

    name: str
    weight: float
    girls: tuple[str, ...]  # first names of children born 2006-2026
    boys: tuple[str, ...]
    women: tuple[str, ...]  # first names of adults born 1960-2005
    men: tuple[str, ...]
    surnames: tuple[str, ...]


# Perpetrators are drawn from the same communities at the same rates as everyone else: the
# synthetic data must not teach any rule or model to suspect people for their names.
HERITAGES: tuple[Heritage, ...] = (
    Heritage(
        "white-british-irish", 0.80,
        girls=("Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Sophia", "Grace", "Freya",
               "Florence", "Willow", "Emily", "Ella", "Poppy", "Evie", "Charlotte", "Sophie", "Jessica", "Ruby",
               "Millie", "Daisy", "Chloe", "Phoebe", "Scarlett", "Lacey", "Holly", "Megan", "Lauren", "Bethany",
               "Courtney", "Paige", "Shannon", "Jade", "Leah", "Abigail", "Hannah", "Rebecca", "Katie", "Amber",
               "Summer", "Eleanor", "Elizabeth", "Victoria", "Samantha", "Natasha", "Maisie", "Chantelle",
               "Kayleigh", "Tia", "Keira", "Demi", "Skye", "Harper", "Erin", "Molly", "Alice", "Rosie", "Matilda",
               "Imogen", "Esme", "Tegan", "Kacey", "Alisha", "Jasmine", "Kelsey", "Caitlin", "Abbie", "Layla",
               "Nevaeh", "Alesha"),
        boys=("Oliver", "George", "Harry", "Jack", "Jacob", "Noah", "Charlie", "Thomas", "Oscar", "William",
              "James", "Leo", "Alfie", "Henry", "Joshua", "Freddie", "Archie", "Ethan", "Isaac", "Alexander",
              "Joseph", "Edward", "Samuel", "Max", "Logan", "Lucas", "Daniel", "Theo", "Arthur", "Harrison",
              "Benjamin", "Mason", "Finley", "Sebastian", "Adam", "Dylan", "Zachary", "Riley", "Teddy", "Tyler",
              "Lewis", "Jayden", "Kai", "Reuben", "David", "Matthew", "Ryan", "Liam", "Callum", "Connor", "Kieran",
              "Bradley", "Jordan", "Reece", "Kyle", "Jake", "Nathan", "Luke", "Christopher", "Michael", "Anthony",
              "Nicholas", "Jonathan", "Robert", "Frederick", "Brandon", "Jamie", "Harvey", "Louie", "Tommy",
              "Ellis", "Corey", "Declan", "Aiden"),
        women=("Sarah", "Lisa", "Michelle", "Claire", "Emma", "Nicola", "Joanne", "Amanda", "Donna", "Kelly",
               "Rachel", "Laura", "Gemma", "Kerry", "Louise", "Helen", "Julie", "Tracey", "Karen", "Stacey",
               "Danielle", "Leanne", "Natalie", "Samantha", "Victoria", "Jennifer", "Katherine", "Elizabeth",
               "Rebecca", "Kirsty", "Hayley", "Zoe", "Charlotte", "Margaret", "Susan", "Deborah", "Jacqueline",
               "Angela", "Dawn", "Sharon", "Catherine", "Stephanie", "Jessica", "Amy", "Vicky", "Carly", "Jodie",
               "Chelsea"),
        men=("David", "Paul", "Mark", "Andrew", "Richard", "Stephen", "Darren", "Lee", "Craig", "Jason", "Gary",
             "Wayne", "Dean", "Carl", "Shaun", "Scott", "Martin", "Neil", "Simon", "Ian", "Kevin", "Anthony",
             "Christopher", "Michael", "Matthew", "Daniel", "James", "Robert", "Steven", "Jonathan", "Nicholas",
             "Peter", "John", "Ryan", "Adam", "Thomas", "William", "Jamie", "Liam", "Ricky", "Dale", "Stuart",
             "Gavin", "Barry", "Keith"),
        surnames=("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
                  "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
                  "Clarke", "Hughes", "Edwards", "Turner", "Hill", "Moore", "Cooper", "Ward", "Harrison", "Martin",
                  "Baker", "Allen", "King", "Lee", "Parker", "Shaw", "Marsh", "Dyson", "Hirst", "Haigh", "Crossley",
                  "Sykes", "Holmes", "Bradley", "Booth", "Hinchliffe", "Senior", "Barker", "Firth", "Beaumont",
                  "Ackroyd", "Whitehead", "Oldfield", "Schofield", "Staniforth", "Kay", "Hobson", "Fletcher",
                  "Cartwright", "Ellis", "Stanley", "Knowles", "Pickering", "O'Brien", "O'Neill", "Murphy", "Kelly",
                  "McDonald", "Campbell", "Stewart", "Ferguson", "Atkinson", "Bell", "Chapman", "Dawson", "Fox",
                  "Gibson", "Hardy", "Hayes", "Hudson", "Lawson", "Lowe", "Mason", "Mills", "Morris", "Nixon",
                  "Pearson", "Price", "Reid", "Richardson", "Rhodes", "Simpson", "Slater", "Stones", "Sutcliffe",
                  "Thorpe", "Wade", "Webster", "Wilkinson", "Wragg", "Hepworth", "Greaves", "Jowett", "Bramall",
                  "Revill", "Ibbotson", "Hague", "Tingle", "Cusworth", "Naylor", "Burgin", "Ashton", "Platts",
                  "Yates", "Cooke", "Fisher", "Walsh", "Palmer"),
    ),
    Heritage(
        "south-asian", 0.11,
        girls=("Aisha", "Maryam", "Fatima", "Zara", "Hafsa", "Amira", "Inaya", "Hania", "Eshal", "Anaya", "Priya",
               "Simran", "Nadia", "Ayesha", "Sana", "Safa", "Khadija", "Zainab", "Aaliyah", "Layla", "Mariam"),
        boys=("Muhammad", "Mohammed", "Ibrahim", "Yusuf", "Ayaan", "Zain", "Hamza", "Ali", "Omar", "Bilal",
              "Rayyan", "Aryan", "Arjun", "Rohan", "Rehan", "Haris", "Usman", "Idris", "Adam", "Zayn"),
        women=("Nadia", "Shazia", "Nasreen", "Samina", "Rubina", "Farah", "Saima", "Sadia", "Yasmin", "Nabila",
               "Parveen", "Shabana", "Aneela", "Rukhsana", "Sobia", "Uzma"),
        men=("Mohammed", "Imran", "Asif", "Tariq", "Shahid", "Arshad", "Zahid", "Naveed", "Kamran", "Waqas",
             "Adil", "Sajid", "Rizwan", "Amjad", "Basharat", "Mubarak", "Nadeem", "Faisal", "Zeeshan"),
        surnames=("Khan", "Hussain", "Ali", "Ahmed", "Akhtar", "Begum", "Iqbal", "Mahmood", "Rashid", "Shah",
                  "Butt", "Malik", "Aslam", "Bibi", "Sharif", "Qureshi", "Mirza", "Chaudhry", "Patel", "Sharma",
                  "Kumar", "Kaur", "Singh", "Gill", "Pawar", "Rehman", "Zaman", "Javed", "Nawaz", "Siddiqui",
                  "Anwar", "Bashir", "Mohamed", "Hassan"),
    ),
    Heritage(
        "central-east-european", 0.05,
        girls=("Zofia", "Julia", "Maja", "Natalia", "Kornelia", "Lenka", "Denisa", "Nikola", "Amelia", "Lena",
               "Wiktoria", "Oliwia"),
        boys=("Jakub", "Filip", "Szymon", "Kacper", "Oskar", "Tomas", "Lukas", "Matej", "Dominik", "Oliver",
              "Adam", "Michal"),
        women=("Agnieszka", "Katarzyna", "Monika", "Renata", "Jana", "Ewa", "Magdalena", "Marta", "Ivana", "Anna",
               "Joanna", "Lucie"),
        men=("Tomasz", "Piotr", "Marek", "Pavel", "Jozef", "Milan", "Roman", "Michal", "Lukasz", "Jan"),
        surnames=("Kowalski", "Nowak", "Wisniewski", "Kaminski", "Lewandowski", "Horvath", "Balog", "Lakatos",
                  "Dvorak", "Novak", "Mazur", "Zielinski", "Grabowski", "Kral", "Mirga"),
    ),
    Heritage(
        "black-african-caribbean", 0.04,
        girls=("Adaeze", "Amara", "Grace", "Chloe", "Precious", "Abigail", "Nia", "Imani", "Esther", "Jasmine",
               "Ruth", "Tiana"),
        boys=("Kwame", "Kofi", "Tobi", "Samuel", "David", "Joshua", "Daniel", "Emmanuel", "Elijah", "Tyrese",
              "Jayden", "Isaiah"),
        women=("Grace", "Patience", "Blessing", "Chipo", "Abigail", "Funmi", "Ngozi", "Esther", "Mercy", "Joy"),
        men=("Emmanuel", "Samuel", "Joseph", "Kwabena", "Tendai", "Chinedu", "Kofi", "Daniel", "Michael", "Tunde"),
        surnames=("Mensah", "Okafor", "Adeyemi", "Osei", "Abdi", "Adeleke", "Boateng", "Moyo", "Ndlovu", "Francis",
                  "Grant", "Blake", "Charles", "Samuels", "Campbell", "Williams", "Johnson"),
    ),
)
HERITAGE_CUMULATIVE_WEIGHTS: tuple[float, ...] = tuple(
    sum(h.weight for h in HERITAGES[: i + 1]) for i in range(len(HERITAGES))
)
ALL_FIRST_NAMES: frozenset[str] = frozenset(
    name for h in HERITAGES for pool in (h.girls, h.boys, h.women, h.men) for name in pool
)
ALL_SURNAMES: tuple[str, ...] = tuple(dict.fromkeys(name for h in HERITAGES for name in h.surnames))
# Spellings that one agency writes and another writes differently (not typos, not nicknames).
SPELLING_VARIANTS: dict[str, tuple[str, ...]] = {
    "Muhammad": ("Mohammed", "Mohammad", "Mohamed"),
    "Mohammed": ("Muhammad", "Mohammad", "Mohamed"),
    "Zofia": ("Sofia", "Zophia"),
    "Jakub": ("Jacob", "Jacub"),
    "Aisha": ("Ayesha", "Aysha"),
    "Ayesha": ("Aisha",),
    "Kayleigh": ("Kayley", "Kaleigh"),
    "Chantelle": ("Chantel", "Shantelle"),
    "Alesha": ("Alisha", "Aleesha"),
    "Hamza": ("Hamzah",),
    "Yusuf": ("Yousuf", "Yousef"),
    "Lacey": ("Lacie",),
    "Reece": ("Rhys", "Reese"),
    "Katie": ("Katy", "Katey"),
    "Zara": ("Zahra",),
    "Tomas": ("Thomas",),
    "Filip": ("Philip",),
    "Natalia": ("Natalya",),
    "Hussain": ("Hussein", "Husain"),
    "Chaudhry": ("Choudhury", "Chaudhary"),
    "Mahmood": ("Mahmud", "Mehmood"),
    "Rehman": ("Rahman",),
    "Horvath": ("Horvat",),
    "Mohamed": ("Mohammed",),
}
# Nicknames the nicknames package lacks for names common here.
EXTRA_NICKNAMES: dict[str, tuple[str, ...]] = {
    "Muhammad": ("Mo",), "Mohammed": ("Mo",), "Ibrahim": ("Ibby",), "Kieran": ("Kie",),
    "Bethany": ("Beth",), "Courtney": ("Court",), "Natasha": ("Tash", "Tasha"),
    "Megan": ("Meg",), "Lauren": ("Loz",), "Shannon": ("Shan",), "Chantelle": ("Chan",),
    "Kayleigh": ("Kay",), "Imran": ("Immy",), "Kamran": ("Kam",), "Tariq": ("Taz",),
    "Zeeshan": ("Shan",), "Waqas": ("Vicky",), "Jakub": ("Kuba",), "Aaliyah": ("Liyah",),
}
# Nicknames from the package that nobody in England uses now; dropped so noise stays plausible.
UNLIKELY_NICKNAMES: frozenset[str] = frozenset({
    "Mantha", "Jaap", "Bela", "Bell", "Lib", "Reba", "Beck", "Wil", "Bess", "Betsy", "Kit", "Sandy",
    "Nick", "Natty", "Ike", "Zach", "Hal", "Dolly", "Polly", "Patsy", "Hob", "Lijah", "Ned", "Ted",
})
# Street names given to the unknown by perpetrators and their associates.
STREET_ALIASES: tuple[str, ...] = (
    "Tiny", "Zee", "Smokey", "Boss", "Mo", "Kas", "Jay", "Chubs", "Sully", "Ash", "Bash", "Raz",
    "Taz", "Mikey", "Shorty", "Deano", "Gaz", "Bully", "Saj", "Jimmy", "Milly", "Dodge", "K",
)

# Localities of the borough, one per postcode district.
DISTRICTS: tuple[tuple[str, str], ...] = (
    ("S60", "Eastwood"), ("S61", "Kimberworth"), ("S62", "Rawmarsh"), ("S63", "Wath"),
    ("S64", "Swinton"), ("S65", "Herringthorpe"), ("S66", "Maltby"),
)
BOROUGH = "Eastwood"
STREET_STEMS: tuple[str, ...] = (
    "Wentworth", "Moorgate", "Clifton", "Broom", "Herringthorpe", "Wickersley", "Whiston",
    "Kimberworth", "Greasbrough", "Thrybergh", "Masbrough", "Ferham", "Eastwood", "Dalton",
    "Brinsworth", "Canklow", "Bramley", "Ravenfield", "Rawmarsh", "Parkgate", "Kilnhurst",
    "Thurcroft", "Dinnington", "Aston", "Aughton", "Swallownest", "Kiveton", "Harthill", "Todwick",
    "Laughton", "Oak", "Ash", "Beech", "Elm", "Birch", "Willow", "Chestnut", "Sycamore", "Hawthorn",
    "Holly", "Rowan", "Maple", "Poplar", "Cedar", "Laburnum", "Lilac", "Primrose", "Bluebell",
    "Heather", "Fern", "Meadow", "Orchard", "Mill", "Church", "School", "Chapel", "Park", "Victoria",
    "Albert", "Queen", "King", "Princess", "Windsor", "Stanley", "Grange", "Manor", "Hall", "Farm",
    "Green", "Hill", "Valley", "Brook", "Spring", "Well", "Croft", "Fold", "Moor", "Common", "Field",
    "Bank", "Ridge", "Cliff", "Quarry", "Colliery", "Canal", "Wharf", "Forge", "Foundry", "Furnace",
    "Railway", "Nelson", "Milton", "Byron", "Shelley", "Tennyson", "Wordsworth", "Dickens",
    "Kipling", "Chaucer", "Keats", "Brontë", "Austen", "Hardy", "Elgar", "Handel", "Mozart",
    "Cranworth", "Doncaster", "Sheffield", "Barnsley", "Worksop", "Bawtry", "Tickhill", "Conisbrough",
    "Denaby", "Mexborough", "Roche", "Sandygate", "Badsley", "Godstone", "Eldon", "Milford",
    "Gerard", "Fitzwilliam", "Rockingham", "Howard", "Effingham", "Albany", "Carlton", "Belmont",
    "Beverley", "Melton", "Ramsden", "Foljambe", "Vernon", "Saville", "Gilberthorpe", "Blackburn",
    "Clough", "Ridgeway", "Westfield", "Northfield", "Southfield", "Eastfield", "Highfield",
    "Broadway", "Greenway", "Lindum", "Linden", "Larch", "Juniper", "Cherry", "Plum", "Damson",
    "Hazel", "Ivy", "Rose", "Daffodil", "Tulip", "Violet", "Clover", "Thistle", "Bracken", "Gorse",
    "Sorrel", "Sunnyside", "Fairview", "Woodland", "Coppice", "Spinney", "Dale", "Glen", "Vale",
    "Lowther", "Wharncliffe", "Ecclesfield", "Morley", "Pinfold", "Tithe", "Abbey", "Priory",
    "Cloister", "Minster", "Bishop", "Dean", "Canon", "Vicarage", "Rectory", "Glebe", "Pit",
)
STREET_SUFFIXES: tuple[str, ...] = (
    "Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent", "Grove", "Court",
    "Gardens", "Terrace", "Place", "View", "Walk",
)
# How agencies abbreviate the same suffix.
SUFFIX_ABBREVIATIONS: dict[str, str] = {
    "Road": "Rd", "Street": "St", "Lane": "Ln", "Avenue": "Ave", "Close": "Cl", "Drive": "Dr",
    "Crescent": "Cres", "Grove": "Gr", "Court": "Ct", "Gardens": "Gdns", "Terrace": "Terr",
    "Place": "Pl",
}
# Kinds of place where children are exploited, by model of exploitation.
SEXUAL_PLACES: tuple[str, ...] = (
    "Taxi rank", "Takeaway", "Hotel", "Flat above shop", "Car park behind shops", "Shisha lounge",
    "Guest house", "Kebab shop", "Industrial unit", "Park", "Bus station", "Snooker hall",
)
CRIMINAL_PLACES: tuple[str, ...] = (
    "Flat", "Car park", "Park", "Chicken shop", "Railway station", "Garage forecourt",
    "Underpass", "Vape shop", "Bookmakers", "Bus station", "House",
)
# Streets where the shops, ranks and hotels are; each gets its own postcodes for places.
COMMERCIAL_STREETS: tuple[str, ...] = (
    "High Street", "Station Road", "Moorgate Road", "Bridge Street", "Market Street",
    "Corporation Street", "Doncaster Road", "Wellgate", "Main Street", "Westgate", "Effingham Street",
    "Fitzwilliam Road", "Masbrough Street", "Rawmarsh Hill", "Church Street", "Queen Street",
    "Sheffield Road", "College Road", "Howard Street", "Frederick Street",
)
# Out-of-area destinations (county lines and trafficking), with their postcode districts.
OUT_OF_AREA: tuple[tuple[str, str], ...] = (
    ("Railway station, Scarborough", "YO11"), ("Bus station, Grimsby", "DN31"),
    ("Seafront, Skegness", "PE25"), ("Railway station, Lincoln", "LN5"), ("Address in Hull", "HU3"),
    ("Services, Woodall", "S26"), ("Address in Mansfield", "NG18"), ("Railway station, Leeds", "LS1"),
    ("Address in Bridlington", "YO15"), ("Hotel, Blackpool", "FY1"), ("Address in Chesterfield", "S41"),
    ("Bus station, Worksop", "S80"), ("Address in Goole", "DN14"), ("Railway station, Manchester", "M1"),
)
# Mobile prefixes for the population's phones (the Ofcom drama range 07700 900xxx is kept for
# the networks' phones, so that the truth's phones are never anyone's real number).
MOBILE_PREFIXES: tuple[str, ...] = ("07781", "07712", "07932", "07845", "07456", "07578", "07966", "07525")
LANDLINE_PREFIX = "01709"
EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net")
# Area letters (Yorkshire memory tags) and letters allowed in the random part of a registration.
REGISTRATION_AREAS: tuple[str, ...] = (
    "YA", "YB", "YC", "YD", "YE", "YF", "YG", "YH", "YJ", "YK", "YL", "YM", "YN", "YP", "YR", "YS",
    "YT", "YU", "YV", "YX", "YY",
)
REGISTRATION_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"

SCHOOL_ABSENCE_DETAILS: tuple[str, ...] = (
    "Unauthorised absence", "Illness (authorised)", "Medical appointment", "Unauthorised absence, no contact",
    "Late after registers closed", "Truancy, seen in town centre", "Family holiday (unauthorised)",
    "Absent pm session only",
)
BACKGROUND_CONCERNS: tuple[str, ...] = (
    "Concern: neglect, home conditions poor", "Concern: domestic abuse incident at home",
    "Concern: parental substance misuse", "Concern: child presenting as hungry and unkempt",
    "Concern: parental mental health", "Concern: physical chastisement reported by child",
    "Concern: poor school attendance and lateness", "Concern: behaviour and emotional wellbeing",
)
SEXUAL_CONCERNS: tuple[str, ...] = (
    "Concern: older males collecting her from the school gate in cars",
    "Concern: repeated missing episodes, returns intoxicated with new clothes and phone",
    "Concern: possible child sexual exploitation, 'boyfriend' in his twenties",
    "Concern: seen getting into taxis with adult men after school",
    "Concern: staff overheard talk of parties at a flat and being given vodka",
)
CRIMINAL_CONCERNS: tuple[str, ...] = (
    "Concern: possible child criminal exploitation, large sums of cash",
    "Concern: carrying two phones, unexplained travel, new older associates",
    "Concern: reported drug debt and threats to family",
    "Concern: found in another town, possible county lines",
)
ONLINE_CONCERNS: tuple[str, ...] = (
    "Concern: adult contacting child online, asked for images",
    "Concern: possible online grooming, secretive about phone use",
)
DISCLOSURES: tuple[str, ...] = (
    "Disclosure to key worker of sexual abuse by adult males", "Disclosure to teacher of being made to sell drugs",
    "Disclosure to youth worker of being given alcohol and abused at a flat",
    "Partial disclosure during return home interview",
)

# How the same name is written in Latin letters by different people and systems: transliterations from
# Arabic, Urdu, Bengali and Punjabi, and English spellings of Polish, Czech, Slovak and West African
# names. Each group is one name; any member may be written as any other. Used only when a variant of
# the partnership asks for transliterated names (``agencies.Recording.transliterated``).
TRANSLITERATION_GROUPS: tuple[tuple[str, ...], ...] = (
    ("Muhammad", "Mohammed", "Mohammad", "Mohamed", "Muhammed", "Mohamad"),
    ("Ibrahim", "Ebrahim", "Ibraheem"), ("Yusuf", "Yousuf", "Yousef", "Youssef", "Yusef"),
    ("Omar", "Umar", "Omer"), ("Usman", "Osman", "Uthman"), ("Idris", "Idrees", "Idriss"),
    ("Bilal", "Belal"), ("Haris", "Harris", "Haaris"), ("Zain", "Zayn", "Zane"), ("Ayaan", "Ayan"),
    ("Rayyan", "Rayan"), ("Hamza", "Hamzah", "Hamzeh"), ("Rehan", "Rayhan", "Reihan"), ("Ali", "Aly"),
    ("Aisha", "Ayesha", "Aysha", "Aishah"), ("Maryam", "Mariam", "Maryum"), ("Fatima", "Fatimah", "Fatma"),
    ("Khadija", "Khadijah", "Kadija"), ("Zainab", "Zaynab", "Zeinab"), ("Aaliyah", "Aliyah", "Aaliya"),
    ("Layla", "Laila", "Leila", "Laylah"), ("Hafsa", "Hafsah"), ("Inaya", "Inayah"), ("Amira", "Ameera"),
    ("Sana", "Sanaa"), ("Safa", "Saffa"), ("Hania", "Haniya"), ("Eshal", "Eshaal"), ("Anaya", "Anaaya"),
    ("Nadia", "Nadiya"), ("Shazia", "Shaziya"), ("Nasreen", "Nasrin", "Nasreena"), ("Samina", "Sameena"),
    ("Rubina", "Rubeena"), ("Farah", "Fara"), ("Saima", "Saimah"), ("Sadia", "Sadiya"),
    ("Yasmin", "Yasmeen", "Yasmine"), ("Nabila", "Nabeela"), ("Parveen", "Parvin", "Perveen"),
    ("Shabana", "Shabnam"), ("Rukhsana", "Rukhsanah"), ("Sobia", "Sobiya"), ("Uzma", "Uzmah"),
    ("Imran", "Emran"), ("Asif", "Aasif"), ("Tariq", "Tarik", "Tarek"), ("Shahid", "Shaheed"),
    ("Arshad", "Arshid"), ("Zahid", "Zaheed"), ("Naveed", "Navid", "Naved"), ("Kamran", "Kamraan"),
    ("Waqas", "Waqqas"), ("Adil", "Adeel"), ("Sajid", "Saajid"), ("Rizwan", "Rizvan"), ("Amjad", "Amjed"),
    ("Nadeem", "Nadim"), ("Faisal", "Faysal", "Feisal"), ("Zeeshan", "Zishan"), ("Mubarak", "Mobarak"),
    ("Khan", "Kahn"), ("Hussain", "Hussein", "Husain", "Hossain", "Husein"), ("Ahmed", "Ahmad", "Ahmet"),
    ("Akhtar", "Akhter", "Akthar"), ("Begum", "Begam"), ("Iqbal", "Ikbal"),
    ("Mahmood", "Mahmud", "Mehmood", "Mahmoud"), ("Rashid", "Rasheed", "Rachid"), ("Shah", "Shaah"),
    ("Malik", "Malek"), ("Aslam", "Aslum"), ("Bibi", "Beebee"), ("Sharif", "Shareef", "Sherif"),
    ("Qureshi", "Kureshi", "Qureishi"), ("Mirza", "Merza"), ("Chaudhry", "Choudhury", "Chowdhury", "Chaudhary"),
    ("Rehman", "Rahman", "Rehmann"), ("Zaman", "Zamaan"), ("Javed", "Javaid", "Jawed"), ("Nawaz", "Nawas"),
    ("Siddiqui", "Siddiqi", "Sadiqi"), ("Anwar", "Anwer"), ("Bashir", "Basheer", "Bachir"),
    ("Hassan", "Hasan"), ("Kaur", "Kour"), ("Singh", "Sing"), ("Sharma", "Sharmah"), ("Kumar", "Kumaar"),
    ("Patel", "Pattel"), ("Gill", "Gil"),
    ("Kowalski", "Kovalski"), ("Wisniewski", "Wiśniewski", "Wisnewski"), ("Kaminski", "Kamiński", "Kaminsky"),
    ("Lewandowski", "Levandovski"), ("Zielinski", "Zieliński", "Zelinski"), ("Grabowski", "Grabovski"),
    ("Horvath", "Horváth", "Horvat"), ("Dvorak", "Dvořák", "Dvorack"), ("Kral", "Král"), ("Novak", "Novák"),
    ("Szymon", "Symon"), ("Kacper", "Kasper"), ("Wiktoria", "Viktoria"), ("Oliwia", "Olivia"),
    ("Michal", "Michał", "Mikhal"), ("Lukasz", "Łukasz", "Lucasz"), ("Jozef", "Józef", "Josef"),
    ("Tomasz", "Tomash"), ("Matej", "Matěj", "Matey"), ("Lenka", "Lenca"), ("Zofia", "Zophia", "Sofia"),
    ("Jakub", "Jacub", "Yakub"), ("Katarzyna", "Katazyna"), ("Agnieszka", "Agneshka"),
    ("Adeyemi", "Adeyemy"), ("Okafor", "Okafoh"), ("Mensah", "Mensa"), ("Boateng", "Boatang"),
    ("Adeleke", "Adeleque"), ("Osei", "Osseï", "Osey"), ("Kwame", "Kwamé"), ("Kofi", "Koffi"),
    ("Tobi", "Toby"), ("Chinedu", "Chinedum"), ("Kwabena", "Kwabina"), ("Funmi", "Funmy"),
    ("Ngozi", "Ngozie"), ("Tendai", "Tendayi"), ("Adaeze", "Adaezi"), ("Amara", "Ammara"),
)
TRANSLITERATIONS: dict[str, tuple[str, ...]] = {
    name: tuple(other for other in group if other != name) for group in TRANSLITERATION_GROUPS for name in group
}

"""What the linkage model compares between two records, level by level, and how it finds candidate pairs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import splink.comparison_level_library as cll
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.comparison_library import CustomComparison
from splink.internals.dialects import SplinkDialect

# How a level reads to a person: the fields agree, are close, disagree, or one side is missing.
LevelKind = Literal["missing", "agree", "similar", "disagree"]


@dataclass(frozen=True)
class Level:
    """One level of a comparison: a SQL condition (as a Splink level creator), its words and its kind."""

    label: str
    kind: LevelKind
    creator: ComparisonLevelCreator


@dataclass(frozen=True)
class Comparison:
    """One comparison: its name (the Splink output column), a description and its levels, most specific
    first, null level first, else level last."""

    name: str
    description: str
    levels: tuple[Level, ...]
    # m per level to use when training saw no matching pair agree on this comparison: identifiers that
    # one agency assigns (UPN, PNC id) are rarely on both records of a true match, so EM cannot learn how
    # often they agree; these are the identifier's plausible error rates instead. None: not applicable.
    default_m: tuple[float | None, ...] | None = None


def _custom(sql: str) -> ComparisonLevelCreator:
    # Conditions are written in DuckDB SQL; Splink translates them for Spark through sqlglot.
    return cll.CustomLevel(sql, base_dialect_str="duckdb")


class ArraysOverlapLevel(ComparisonLevelCreator):
    """The two records' lists share at least one element. Splink's ArrayIntersectLevel builds the whole
    intersection; testing for overlap is about twice as fast, which matters over millions of pairs."""

    def __init__(self, column: str) -> None:
        self.column = column

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        left, right = f"{self.column}_l", f"{self.column}_r"
        if sql_dialect.sql_dialect_str == "spark":
            return f"arrays_overlap({left}, {right})"
        return f"list_has_any({left}, {right})"

    def create_label_for_charts(self) -> str:
        return f"{self.column} overlap"


class _DialectLevel(ComparisonLevelCreator):
    """A level written once per dialect, where one function is fast in DuckDB but missing from Spark."""

    def __init__(self, duckdb_sql: str, spark_sql: str) -> None:
        self.sql = {"duckdb": duckdb_sql, "spark": spark_sql}

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        return self.sql[sql_dialect.sql_dialect_str]

    def create_label_for_charts(self) -> str:
        return self.sql["duckdb"]


def _levenshtein(column: str, distance: int) -> ComparisonLevelCreator:
    # Levenshtein rather than Damerau-Levenshtein: DuckDB's Damerau-Levenshtein is several times slower, and
    # the typos it would add (adjacent transpositions) are caught by the date and name levels around it.
    return cll.LevenshteinLevel(column, distance)


def _null(column: str, label: str) -> Level:
    return Level(label, "missing", cll.NullLevel(column))


def _else(label: str = "different") -> Level:
    return Level(label, "disagree", cll.ElseLevel())


# One record is of a child, the other of an adult (the exchange format's role, as the agency sent it).
_CHILD_AND_ADULT = "role_std_l IS NOT NULL AND role_std_r IS NOT NULL AND role_std_l <> role_std_r"

# Two records hold a person's given and family names the wrong way round.
_SWAPPED = "given_std_l = family_std_r AND family_std_l = given_std_r"

# An NHS number shared by records whose dates of birth are years apart and whose names share nothing is a
# data-entry or identity problem, not a match: this level gets a fixed, modest weight instead of the strong
# weight of a corroborated NHS number, so the other fields decide.
_NHS_CONFLICT = (
    "nhs_l = nhs_r AND dob_year_l IS NOT NULL AND dob_year_r IS NOT NULL AND abs(dob_year_l - dob_year_r) > 1"
    " AND given_std_l IS NOT NULL AND given_std_r IS NOT NULL AND given_std_l <> given_std_r"
    " AND family_std_l IS NOT NULL AND family_std_r IS NOT NULL AND family_std_l <> family_std_r"
)
TWIN_LABEL = "different, with the same date of birth and family name (twins?)"
TWIN_U = 0.9
TWIN_M = TWIN_U * 2**-12  # LinkageSettings.twin_match_weight replaces this weight when a model is trained
# Twins are often given names that sound alike (Jack and Jake, Aiden and Jayden, Lily and Lila). Such a pair is
# likelier than the twins level's to be one child under two spellings, so it weighs this much more (bits). Both
# names must be held by more than one of the records the model was trained on ("Mastn" beside "Mason" is a typo,
# not a twin's name), and neither may begin the other ("Chan" and "Chantelle", "Mo" and "Mohammed": a name and
# its short form).
SIMILAR_TWIN_LABEL = "similar, with the same date of birth and family name (twins, or one name spelled two ways?)"
SIMILAR_TWIN_ALLOWANCE = 3.0
SOUNDS_ALIKE_LABEL = "sounds the same (another spelling or transliteration)"
SIMILAR_TWIN_M = TWIN_U * 2**(-12 + SIMILAR_TWIN_ALLOWANCE)
# Same date of birth and family name (within two edits): what twins' records share. dob_days, not dob_full:
# a training rule blocking on dob_full would otherwise stop Splink estimating the given-name comparison.
_TWIN_CONDITION = "dob_days_l = dob_days_r AND levenshtein(family_std_l, family_std_r) <= 2"
NHS_CONFLICT_M = 0.002
NHS_CONFLICT_U = 0.0002  # log2(m/u) = +3.3 bits: noticed, never decisive


def _family_close() -> ComparisonLevelCreator:
    """Family names agree, allowing a typo or another spelling of the same sound (Chaudhry, Choudhury)."""
    return cll.Or(cll.ExactMatchLevel("family_std"), cll.JaroWinklerLevel("family_std", 0.92),
                  cll.ExactMatchLevel("family_sound"))


# The information (bits) of the rarest address words two records share, from the model's term frequencies:
# rare words (a street, a village, a foreign postcode) say more than common ones (road, the borough's name).
# Plain comparisons of a few columns, not list functions: at a million records they are evaluated for
# tens of millions of pairs.
_SHARED_BITS = "(" + " + ".join(
    f"CASE WHEN addr_t{i}_l IN (addr_t1_r, addr_t2_r, addr_t3_r, addr_t4_r) THEN addr_w{i}_l ELSE 0 END"
    for i in range(1, 5)) + ")"
# An address must carry at least this much information to be compared by its words at all ("Eastwood"
# alone is not a home).
MIN_ADDRESS_BITS = 10.0


def _address_words(share: float) -> ComparisonLevelCreator:
    """The words the two addresses share carry at least `share` of the information of the less informative
    of the two (a weighted overlap: 14 Oak Road against 14 Oak Rd, Eastwood, S65 1AB agree wholly)."""
    return _custom(f"least(addr_bits_l, addr_bits_r) >= {MIN_ADDRESS_BITS} AND "
                   f"{_SHARED_BITS} >= {share} * least(addr_bits_l, addr_bits_r)")


def _family_alias() -> ComparisonLevelCreator:
    """One record's family name is among the other's names: a previous name, an alias, half of a
    double-barrelled name. Not when the two names are simply swapped: the given name's comparison has
    already counted that."""
    return _custom("(array_contains(all_names_r, family_std_l) OR array_contains(all_names_l, family_std_r))"
                   f" AND NOT coalesce({_SWAPPED}, false)")


def _home() -> ComparisonLevelCreator:
    """Same address (house and street in a compatible postcode district, or nearly all the address's
    information in common however it is written), or a phone in common."""
    same_address = cll.And(
        cll.Or(cll.ExactMatchLevel("street_key"), cll.ExactMatchLevel("address_std")),
        _custom("postcode_district_l IS NULL OR postcode_district_r IS NULL"
                " OR postcode_district_l = postcode_district_r"))
    return cll.Or(same_address, ArraysOverlapLevel("phones_list"), _address_words(0.8))


def _near() -> ComparisonLevelCreator:
    """A similar address: the same house number on a street with a typo, a typo in a UK postcode, or much
    of the address's information in common."""
    return cll.Or(
        cll.And(cll.ExactMatchLevel("house_number"), cll.JaroWinklerLevel("street_name", 0.88)),
        cll.JaroWinklerLevel("address_std", 0.90),
        # A typo in a full UK postcode; a short code one digit out (Australia's 4220 and 4120) is another town.
        cll.And(_custom("length(postcode_std_l) >= 5"), _levenshtein("postcode_std", 1)),
        _address_words(0.5))


# A name fewer than this share of records hold is rare: agreeing on it says more (term frequency).
RARE_NAME_SHARE = 0.001


def comparisons() -> tuple[Comparison, ...]:
    """The model's comparisons. Changing them changes the model definition: trained models record a hash of
    the definition and refuse to load against a different one."""
    given = Comparison("given_name", "Given name: exact, nickname, typo, initial, alias", (
        _null("given_std", "given name missing"),
        Level("exact match, a rare name", "agree", cll.And(
            cll.ExactMatchLevel("given_std"), _custom(f"given_share_l < {RARE_NAME_SHARE}"))),
        Level("exact match", "agree", cll.ExactMatchLevel("given_std")),
        Level("given and family names swapped", "similar", _custom(_SWAPPED)),
        Level("nickname or the same formal name", "similar", ArraysOverlapLevel("given_forms")),
        Level("Jaro-Winkler >= 0.92 (a typo)", "similar", cll.JaroWinklerLevel("given_std", 0.92)),
        # Twins again, with names that sound alike or differ by little more than a typo's worth: below, such a
        # name counts as one name spelled two ways, and with everything else agreeing twins merged (Jack and
        # Jake at one school with two UPNs and two NHS numbers). Fixed like the twins level, a little higher,
        # so that the pair is left for a person to decide unless an identifier says it is one child.
        Level(SIMILAR_TWIN_LABEL, "similar", cll.And(
            _custom(f"{_TWIN_CONDITION} AND given_held_l > 1 AND given_held_r > 1"
                    " AND substr(given_std_l, 1, length(given_std_r)) <> given_std_r"
                    " AND substr(given_std_r, 1, length(given_std_l)) <> given_std_l"),
            cll.Or(cll.ExactMatchLevel("given_sound"), cll.JaroWinklerLevel("given_std", 0.80)),
        ).configure(m_probability=SIMILAR_TWIN_M, u_probability=TWIN_U, fix_m_probability=True,
                    fix_u_probability=True)),
        Level(SOUNDS_ALIKE_LABEL, "similar",
              cll.ExactMatchLevel("given_sound")),
        Level("one is the other's initial", "similar", _custom(
            "(length(given_std_l) = 1 OR length(given_std_r) = 1)"
            " AND substr(given_std_l, 1, 1) = substr(given_std_r, 1, 1)")),
        Level("appears among the other record's names (middle name, alias)", "similar", _custom(
            "array_contains(all_names_r, given_std_l) OR array_contains(all_names_l, given_std_r)")),
        Level("Jaro-Winkler >= 0.80", "similar", cll.JaroWinklerLevel("given_std", 0.80)),
        # Twins: one family name, one date of birth, one home, different given names. Every other field
        # agrees, so the learned weight of "different" alone can let them merge. This level's weight is fixed
        # (LinkageSettings.twin_match_weight) so that such a pair, all else agreeing, is never linked
        # automatically but lands around the lower threshold: only a person can tell twins from one child
        # under a name the nickname list does not know (Rhys / Reece).
        Level(TWIN_LABEL, "disagree",
              _custom(_TWIN_CONDITION).configure(
                  m_probability=TWIN_M, u_probability=TWIN_U, fix_m_probability=True, fix_u_probability=True)),
        _else(),
    ))
    middle = Comparison("middle_names", "Middle names: exact or initial", (
        _null("middle_std", "middle names missing"),
        Level("exact match", "agree", cll.ExactMatchLevel("middle_std")),
        Level("same initial", "similar", _custom("substr(middle_std_l, 1, 1) = substr(middle_std_r, 1, 1)")),
        _else(),
    ))
    dob = Comparison("date_of_birth", "Date of birth: exact, transposed, typo, partial; without it, child or adult", (
        Level("date of birth missing", "missing", _custom(
            f"(dob_year_l IS NULL OR dob_year_r IS NULL) AND NOT coalesce({_CHILD_AND_ADULT}, false)"
        ).configure(is_null_level=True)),
        # Without a date of birth, an agency may still say whether it holds a child or an adult: a mother and a
        # daughter of one name at one address are told apart by it.
        Level("date of birth missing, and one is a child, the other an adult", "disagree",
              _custom(_CHILD_AND_ADULT).configure(m_probability=0.01)),
        # The starting m of an exact date of birth is given, not left to Splink's default for the first level:
        # training's first session blocks on the date, and Splink recovers the prior (how likely two records are
        # to match) from this level's starting Bayes factor.
        Level("exact match", "agree", cll.ExactMatchLevel("dob_full").configure(m_probability=0.9)),
        Level("day and month transposed", "similar", _custom(
            "dob_precision_l = 3 AND dob_precision_r = 3 AND dob_year_l = dob_year_r"
            " AND dob_month_l = dob_day_r AND dob_day_l = dob_month_r")),
        # Dates are all ten characters, so Hamming distance is Levenshtein distance, and much cheaper.
        Level("one character different (a typo)", "similar", _DialectLevel(
            "hamming(dob_full_l, dob_full_r) <= 1", "levenshtein(dob_full_l, dob_full_r) <= 1")),
        Level("two digits swapped", "similar", cll.DamerauLevenshteinLevel("dob_full", 1)),
        Level("within a week", "similar", _custom("abs(dob_days_l - dob_days_r) <= 7")),
        Level("partial date agrees as far as it goes", "similar", _custom(
            "(dob_precision_l < 3 OR dob_precision_r < 3) AND dob_year_l = dob_year_r"
            " AND (dob_month_l IS NULL OR dob_month_r IS NULL OR dob_month_l = dob_month_r)")),
        Level("same month, year one out", "similar", _custom(
            "dob_month_l = dob_month_r AND abs(dob_year_l - dob_year_r) = 1")),
        Level("two of day, month and year agree", "similar", _custom(
            "dob_precision_l = 3 AND dob_precision_r = 3 AND (CASE WHEN dob_year_l = dob_year_r THEN 1 ELSE 0 END"
            " + CASE WHEN dob_month_l = dob_month_r THEN 1 ELSE 0 END"
            " + CASE WHEN dob_day_l = dob_day_r THEN 1 ELSE 0 END) = 2")),
        Level("same year and month", "similar", _custom(
            "dob_year_l = dob_year_r AND dob_month_l = dob_month_r")),
        Level("within two years", "similar", _custom("abs(dob_year_l - dob_year_r) <= 2")),
        # Dates years apart are not a slip of the keyboard. A generation apart, they are a parent and a child
        # of one name (the same home, often the same given name); closer, brothers or sisters, or a date
        # entered wrongly, which the other fields decide between.
        Level("years apart, less than a generation", "disagree", _custom("abs(dob_days_l - dob_days_r) < 15 * 365")),
        _else("a generation or more apart"),
    ))
    sex = Comparison("sex", "Sex: exact", (
        _null("sex_std", "sex missing or unknown"),
        Level("exact match", "agree", cll.ExactMatchLevel("sex_std")),
        _else(),
    ))
    # Family name, address, postcode and phones are one comparison, not four: a household shares all of
    # them, so separate comparisons would count one piece of evidence ("they live together") four times,
    # and merge brothers and sisters, or a father and a son of one name.
    family_home = Comparison(
        "family_and_home", "Family name and home: family name exact, typo or previous; address, phone, postcode", (
            Level("family name, address, postcode and phone missing", "missing", cll.And(
                cll.NullLevel("family_std"), cll.NullLevel("address_std"), cll.NullLevel("postcode_std"),
                cll.NullLevel("phones_list"))),
            Level("same family name, same home (address or phone)", "agree", cll.And(_family_close(), _home())),
            Level("same family name, same postcode", "agree", cll.And(
                _family_close(), cll.ExactMatchLevel("postcode_std"))),
            Level("same family name, similar address", "similar", cll.And(_family_close(), _near())),
            Level("same rare family name, different or unknown home", "similar", cll.And(
                _family_close(), _custom(f"family_share_l < {RARE_NAME_SHARE}"))),
            Level("same family name, different or unknown home", "similar", _family_close()),
            Level("previous or other family name, same home", "similar", cll.And(_family_alias(), _home())),
            Level("previous or other family name, different or unknown home", "similar", _family_alias()),
            Level("different or missing family name, same home", "similar", _home()),
            Level("family name Jaro-Winkler >= 0.80", "similar", cll.JaroWinklerLevel("family_std", 0.80)),
            Level("different or missing family name, same postcode or similar address", "similar", cll.Or(
                cll.ExactMatchLevel("postcode_std"), _near())),
            _else("different family name and home"),
        ))
    nhs = Comparison("nhs_number", "NHS number (only when the check digit is valid)", (
        _null("nhs", "NHS number missing or invalid"),
        Level("exact match, but names and date of birth disagree", "similar",
              _custom(_NHS_CONFLICT).configure(m_probability=NHS_CONFLICT_M, u_probability=NHS_CONFLICT_U,
                                                fix_m_probability=True, fix_u_probability=True)),
        Level("exact match", "agree", cll.ExactMatchLevel("nhs")),
        _else(),
    ), default_m=(None, NHS_CONFLICT_M, 0.95, 0.05))
    upn = Comparison("upn", "Unique pupil number", (
        _null("upn_std", "UPN missing"),
        Level("exact match", "agree", cll.ExactMatchLevel("upn_std")),
        _else(),
    ), default_m=(None, 0.95, 0.05))
    pnc = Comparison("pnc_id", "Police national computer id", (
        _null("pnc_std", "PNC id missing"),
        Level("exact match", "agree", cll.ExactMatchLevel("pnc_std")),
        # Damerau-Levenshtein here: swapped adjacent digits are the commonest slip in a keyed number, and
        # the cost is small because few records hold a PNC id.
        Level("one character different or two swapped", "similar", cll.DamerauLevenshteinLevel("pnc_std", 1)),
        _else(),
    ), default_m=(None, 0.93, 0.02, 0.05))
    emails = Comparison("emails", "Email addresses: any in common", (
        _null("emails_list", "email missing"),
        Level("an address in common", "agree", ArraysOverlapLevel("emails_list")),
        _else("no address in common"),
    ), default_m=(None, 0.7, 0.3))
    return (given, middle, dob, sex, family_home, nhs, upn, pnc, emails)


def splink_comparisons() -> list[CustomComparison]:
    """The comparisons as Splink comparison creators, each level labelled in words."""
    result = []
    for comparison in comparisons():
        levels: list[ComparisonLevelCreator | dict[str, Any]] = []
        for level in comparison.levels:
            levels.append(level.creator.configure(label_for_charts=level.label))
        result.append(CustomComparison(levels, output_column_name=comparison.name,
                                       comparison_description=comparison.description))
    return result


# Candidate pairs: records that share at least one of these keys are scored; the rest are never compared.
# Each rule is an equi-join, so it stays fast at a million records: no rule compares all against all.
PREDICTION_BLOCKING_RULES: tuple[str, ...] = (
    "l.nhs = r.nhs",
    "l.upn_std = r.upn_std",
    "l.pnc_std = r.pnc_std",
    "l.given_std = r.given_std AND l.family_std = r.family_std AND l.dob_year = r.dob_year",
    "l.dob_full = r.dob_full AND l.family_std = r.family_std",
    "l.dob_full = r.dob_full AND l.postcode_std = r.postcode_std",
    "l.dob_full = r.dob_full AND l.given_std = r.given_std",
    "l.family_std = r.family_std AND l.postcode_std = r.postcode_std",
    "l.given_std = r.given_std AND l.postcode_std = r.postcode_std",
    "l.given_std = r.family_std AND l.family_std = r.given_std",
    # The same house and street: catches a record whose postcode or date of birth is missing or wrong.
    "l.family_std = r.family_std AND l.street_key = r.street_key",
    "l.given_std = r.given_std AND l.street_key = r.street_key",
    "l.phone_first = r.phone_first",
    "l.email_first = r.email_first",
    # The address's rarest words, for sources without a postcode, or with its words in another order.
    "l.dob_full = r.dob_full AND l.house_number = r.house_number",
    "l.dob_full = r.dob_full AND l.addr_rare = r.addr_rare",
    # Both names mistyped or spelled another way, within a year of birth.
    "l.given_sound = r.given_sound AND l.family_sound = r.family_sound AND l.dob_year = r.dob_year",
)

# Wider rules, each used only where the data makes it affordable (see model.prediction_rules): on a small
# area, every pair sharing a date of birth can be compared, which finds records whose names, address and
# postcode are all mistyped or missing; on a county's million records the same rule would make tens of
# millions of pairs, and there the narrow rules above (and the identifiers a county's agencies hold) do.
# Each is named with the columns it joins on, so its cost can be counted before it is used.
WIDE_BLOCKING_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("dob_full",), "l.dob_full = r.dob_full"),
    (("given_std", "family_std"), "l.given_std = r.given_std AND l.family_std = r.family_std"),
    (("family_std", "dob_year"), "l.family_std = r.family_std AND l.dob_year = r.dob_year"),
    (("given_std", "dob_year", "dob_month"),
     "l.given_std = r.given_std AND l.dob_year = r.dob_year AND l.dob_month = r.dob_month"),
    (("addr_rare", "dob_year"), "l.addr_rare = r.addr_rare AND l.dob_year = r.dob_year"),
    (("family_std", "addr_rare"), "l.family_std = r.family_std AND l.addr_rare = r.addr_rare"),
    (("given_std", "addr_rare"), "l.given_std = r.given_std AND l.addr_rare = r.addr_rare"),
    (("family_std", "addr_rare2"), "l.family_std = r.family_std AND l.addr_rare2 = r.addr_rare2"),
    (("given_std", "addr_rare2"), "l.given_std = r.given_std AND l.addr_rare2 = r.addr_rare2"),
    (("given_std", "house_number"), "l.given_std = r.given_std AND l.house_number = r.house_number"),
    (("family_std", "house_number"), "l.family_std = r.family_std AND l.house_number = r.house_number"),
    (("addr_rare",), "l.addr_rare = r.addr_rare"),
    (("addr_rare2",), "l.addr_rare2 = r.addr_rare2"),
    (("family_sound", "addr_rare"), "l.family_sound = r.family_sound AND l.addr_rare = r.addr_rare"),
    (("given_sound", "addr_rare"), "l.given_sound = r.given_sound AND l.addr_rare = r.addr_rare"),
)
# A wide rule is used when the pairs it makes are at most this many per record.
WIDE_RULE_PAIRS_PER_RECORD = 5.0

# Expectation maximisation estimates m on pairs from two rules. A comparison cannot be estimated from a
# rule that uses its columns, so between them the two leave every comparison estimated at least once.
# The first blocks on date of birth, which estimates everything but the date.
# The second, which estimates the date of birth, blocks on the first identifier that enough records share:
# pairs sharing an NHS number are nearly all true matches, so EM learns from them how a person's date of
# birth and names vary between agencies. Blocking on names instead would also gather brothers and sisters
# given one name, who share a home and a family name: EM would take them for matches and learn that a
# date of birth years out is common for one person.
# Where no identifier is shared (a data set of names, dates of birth and addresses alone), the second blocks
# on the address's two rarest words: it leaves names and the date of birth to be estimated, and brothers and
# sisters at one address are told apart by their given names. Blocking on given and family names would
# leave EM nothing but the date of birth to go on, so it would learn that one person's date never differs.
# Names are the last resort, for data with neither identifiers nor addresses.
TRAINING_BLOCKING_RULES: tuple[str, ...] = ("l.dob_full = r.dob_full",)
IDENTIFIER_TRAINING_RULES: tuple[tuple[str, str], ...] = (
    ("nhs", "l.nhs = r.nhs"),
    ("pnc_std", "l.pnc_std = r.pnc_std"),
    ("upn_std", "l.upn_std = r.upn_std"),
    ("email_first", "l.email_first = r.email_first"),
)
ADDRESS_TRAINING_COLUMNS: tuple[str, ...] = ("addr_rare", "addr_rare2")
ADDRESS_TRAINING_RULE = "l.addr_rare = r.addr_rare AND l.addr_rare2 = r.addr_rare2"
FALLBACK_TRAINING_RULE = "l.given_std = r.given_std AND l.family_std = r.family_std"


def blocking_rules(rules: tuple[str, ...], *, link_within_source: bool) -> list[str]:
    """The rules, restricted to pairs across source systems when a source's own duplicates are not wanted."""
    if link_within_source:
        return list(rules)
    return [f"({rule}) AND l.source_system <> r.source_system" for rule in rules]

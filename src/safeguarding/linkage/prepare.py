"""Turn the hub's source records into the standardised columns the linkage model compares."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from safeguarding.core import normalise
from safeguarding.core.arrow import arrow_table
from safeguarding.linkage.base import INPUT_COLUMNS, MIN_COUNT_KEPT, Frequencies, LinkageSettings

# The columns of the prepared table, in order. `unique_id` and `source_system` identify the record;
# the rest are what the comparisons and blocking rules read.
PREPARED_COLUMNS: tuple[str, ...] = (
    "unique_id", "source_system", "given_std", "given_forms", "middle_std", "family_std", "all_names",
    "dob_full", "dob_days", "dob_year", "dob_month", "dob_day", "dob_precision", "sex_std", "postcode_std",
    "postcode_district", "address_std", "street_key", "street_name", "house_number", "nhs", "upn_std",
    "pnc_std", "phones_list", "emails_list", "phone_first", "email_first",
    # Term frequencies (from the model, see Frequencies) and sounds, for names written many ways; how many of
    # the model's records held the given name (1 for a name held once or new since: likelier a typo).
    "given_share", "family_share", "given_held", "given_sound", "family_sound", "role_std",
    # The address's four rarest words, each with the information it carries (rare words say more), and
    # their sum, for comparing addresses written differently; the two rarest words the model saw more than
    # once, for blocking.
    "addr_t1", "addr_t2", "addr_t3", "addr_t4", "addr_w1", "addr_w2", "addr_w3", "addr_w4", "addr_bits",
    "addr_rare", "addr_rare2",
)

_STRING_INPUTS = tuple(c for c in INPUT_COLUMNS if c not in ("unique_id", "nhs_number_valid"))

# Abbreviations agencies use in street lines, expanded so "14 Oak Rd" and "14 Oak Road" agree.
ADDRESS_WORDS: dict[str, str] = {
    "rd": "road", "st": "street", "str": "street", "ln": "lane", "ave": "avenue", "av": "avenue",
    "cl": "close", "dr": "drive", "cres": "crescent", "cresc": "crescent", "gr": "grove", "gro": "grove",
    "ct": "court", "crt": "court", "gdns": "gardens", "gdn": "gardens", "terr": "terrace", "ter": "terrace",
    "tce": "terrace", "pl": "place", "sq": "square", "wy": "way", "pde": "parade", "hwy": "highway",
    "cir": "circuit", "cct": "circuit", "mt": "mount", "nth": "north", "sth": "south",
}


@lru_cache(maxsize=200_000)
def name_sound(name: str) -> str | None:
    """How a name sounds (Metaphone), so that transliterations and spellings agree: Mohammed, Muhammad and
    Mohamed; Hussain and Hussein. None for a name too short to carry a sound."""
    import jellyfish

    sound = jellyfish.metaphone(name)
    return sound if len(sound) >= 2 else None


def _sounds_lookup(names: pa.ChunkedArray) -> pa.Table:
    distinct = pc.unique(names).drop_null().to_pylist()
    return pa.table({"name": pa.array(distinct, pa.string()),
                     "sound": pa.array([name_sound(n) for n in distinct], pa.string())})


def name_forms(name: str) -> list[str]:
    """The name and the formal names it can be short for (chris -> christopher, christine, ...), so two
    records agree on a given name when their forms overlap, whichever of them holds the nickname."""
    namer = normalise.nicknamer()
    forms = {name}
    forms.update(namer.canonicals_of(name))
    return sorted(f for f in forms if f)


def _forms_lookup(given: pa.ChunkedArray) -> pa.Table:
    """given_std -> given_forms for each distinct given name: thousands of names, not a million rows, so
    the nickname lookup runs in Python once per name."""
    distinct = pc.unique(given).drop_null().to_pylist()
    return pa.table({
        "name": pa.array(distinct, pa.string()),
        "forms": pa.array([name_forms(n) for n in distinct], pa.list_(pa.string())),
    })


# The columns prepare reads, as conform returns them.
CONFORMED_COLUMNS: tuple[str, ...] = ("unique_id", *_STRING_INPUTS, "nhs_number_valid")


def conform(records: pa.Table) -> pa.Table:
    """The input with every expected column present and typed; missing optional columns become nulls."""
    if "unique_id" not in records.column_names:
        raise ValueError("records need a unique_id column")
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "unique_id": pc.cast(records.column("unique_id"), pa.int64()),
    }
    n = records.num_rows
    for name in _STRING_INPUTS:
        if name in records.column_names:
            columns[name] = pc.cast(records.column(name), pa.string())
        else:
            columns[name] = pa.nulls(n, pa.string())
    if "nhs_number_valid" in records.column_names:
        columns["nhs_number_valid"] = pc.cast(records.column("nhs_number_valid"), pa.bool_())
    else:
        columns["nhs_number_valid"] = pa.nulls(n, pa.bool_())
    table = pa.table(columns)
    if pc.count(pc.unique(table.column("unique_id"))).as_py() != n:
        raise ValueError("unique_id must be unique")
    if table.column("unique_id").null_count:
        raise ValueError("unique_id must not be null")
    return table.select(list(CONFORMED_COLUMNS))


def _cleaned_names(records: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Each distinct name cleaned by ``clean_name`` (v -> clean), and each distinct list of other names
    (v -> the names cleaned): thousands of spellings, not a million rows, so the one definition of a clean
    name runs in Python once per spelling."""
    def distinct(*columns: str) -> list[str]:
        values = pa.chunked_array([pc.unique(records.column(c).fill_null("")) for c in columns], pa.string())
        return pc.unique(values).to_pylist()

    names = distinct("given_name", "middle_names", "family_name")
    others = distinct("other_names")
    return (
        pa.table({"v": pa.array(names, pa.string()),
                  "clean": pa.array([normalise.clean_name(v) or None for v in names], pa.string())}),
        pa.table({"v": pa.array(others, pa.string()),
                  "other_clean": pa.array([[c for c in map(normalise.clean_name, v.split(";")) if c] for v in others],
                                          pa.list_(pa.string()))}),
    )


_ADDRESS_MAP_SQL = "MAP {" + ", ".join(f"'{k}': '{v}'" for k, v in ADDRESS_WORDS.items()) + "}"
_STREET = "([0-9]+[a-z]?) ([a-z][a-z ]*[a-z])"  # house number, then the street's words up to a comma
# A UK postcode inside lower-cased text, standing as words of its own: (before)(outward) (inward)(after).
_UK_POSTCODE = r"(^|[^a-z0-9])([a-pr-uwyz][a-hk-y]?[0-9][0-9a-z]?) *([0-9][abd-hjlnp-uw-z]{2})($|[^a-z0-9])"

# Each expensive standardisation runs once per distinct value, not once per record: a million records hold
# a few thousand names and dates of birth and far fewer addresses and phones than rows. Each lookup maps
# the raw text (coalesced to '') to its standard forms, and the records join them.
# The SQL is built only from this module's constants (no caller's text reaches it): S608 does not apply.
_LOOKUPS: dict[str, str] = {
    # Names: the cleaned text, its words of two letters or more, and the words run together
    # ("Smith-Jones" -> smith, jones, smithjones), for the list of every name a record holds.
    "lk_name": """
        select v, clean, words, compact,
            case when compact is null or list_contains(words, compact) then words
                 else list_append(words, compact) end as family_words
        from (select v, clean,
            list_filter(string_split(coalesce(clean, ''), ' '), lambda x: length(x) >= 2) as words,
            case when length(replace(clean, ' ', '')) >= 2 then replace(clean, ' ', '') end as compact
        from name_clean)""",
    "lk_other": """
        select v, list_distinct(list_filter(flatten([flatten(list_transform(other_clean,
                lambda x: string_split(x, ' '))), list_transform(other_clean, lambda x: replace(x, ' ', ''))]),
            lambda x: length(x) >= 2)) as other_words
        from other_clean""",
    # Dates: YYYY, YYYY-MM or YYYY-MM-DD; anything else, or an impossible date, is unusable. An impossible
    # day (2010-03-41) keeps the year and month it does give.
    "lk_dob": """
        select v,
            case when dd is not null then strftime(dd, '%Y-%m-%d') end as dob_full,
            case when dd is not null then date_diff('day', DATE '1970-01-01', dd) end as dob_days,
            yy as dob_year,
            case when dd is not null then month(dd) else mm end as dob_month,
            case when dd is not null then day(dd) end as dob_day,
            case when dd is not null then 3 when mm is not null then 2 when yy is not null then 1 end
                as dob_precision
        from (
            select v,
                case when y between 1900 and 2100 then y end as yy,
                case when y between 1900 and 2100 and m between 1 and 12 then m end as mm,
                case when y between 1900 and 2100 then d end as dd
            from (
                select v,
                    case when regexp_matches(v, '^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$')
                         then try_cast(substr(v, 1, 4) as integer) end as y,
                    case when regexp_matches(v, '^[0-9]{4}-[0-9]{2}')
                         then try_cast(substr(v, 6, 2) as integer) end as m,
                    case when length(v) = 10 then try_cast(v as date) end as d
                from (select distinct trim(coalesce(date_of_birth, '')) as v from records)))""",
    # Addresses: a UK postcode written inside the address is taken out (and used where the record has no
    # postcode of its own); then lower case, punctuation to spaces but commas kept (they end the street
    # line), common abbreviations expanded, the first "number street" found, and the distinct words.
    "lk_addr": f"""
        select v, found_postcode, nullif(replace(expanded, ' , ', ' '), '') as address_std,
            nullif(street.number || ' ' || street.name, ' ') as street_key,
            nullif(street.name, '') as street_name,
            nullif(street.number, '') as house_number,
            list_distinct(list_filter(string_split(replace(expanded, ',', ' '), ' '), lambda w: w <> '')) as words
        from (
            select v, found_postcode, expanded, regexp_extract(expanded, '{_STREET}', ['number', 'name']) as street
            from (
                select v, found_postcode, array_to_string(list_transform(string_split(tokens, ' '),
                    lambda w: coalesce({_ADDRESS_MAP_SQL}[w], w)), ' ') as expanded
                from (
                    select v, found_postcode,
                        trim(regexp_replace(replace(without_postcode, ',', ' , '), '[^a-z0-9,]+', ' ', 'g')) as tokens
                    from (
                        select v,
                            case when pc.outward <> '' then upper(pc.outward || ' ' || pc.inward) end as found_postcode,
                            case when pc.outward <> '' then regexp_replace(lower(v), '{_UK_POSTCODE}', '\\1 \\4')
                                 else lower(v) end as without_postcode
                        from (select v, regexp_extract(lower(v), '{_UK_POSTCODE}', ['before', 'outward', 'inward', 'after']) as pc
                              from (select distinct coalesce(address, '') as v from records))))))""",  # noqa: S608
    # Postcodes: compared without spaces; the district is a UK postcode's outward code, or for any other
    # format (an Australian 4-digit one, say) all but the last two characters. A record without a postcode
    # of its own takes the one found in its address.
    "lk_postcode": """
        select v, postcode_std,
            case
                when postcode_std is null then null
                when regexp_matches(postcode_std, '^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}$')
                    then left(postcode_std, length(postcode_std) - 3)
                when length(postcode_std) >= 3 then left(postcode_std, length(postcode_std) - 2)
                else postcode_std
            end as postcode_district
        from (select v, nullif(upper(regexp_replace(v, '\\s+', '', 'g')), '') as postcode_std
              from (select distinct coalesce(nullif(trim(coalesce(r.postcode, '')), ''), a.found_postcode, '') as v
                    from records r left join lk_addr a on a.v = coalesce(r.address, '')))""",
    # Phones: digits (and a leading +) only; a UK national number becomes +44.
    "lk_phones": """
        select v, list_distinct(list_filter(list_transform(string_split(v, ';'),
                lambda x: regexp_replace(regexp_replace(x, '[^0-9+]', '', 'g'), '^0', '+44')),
                lambda x: length(x) >= 7)) as phones_all
        from (select distinct coalesce(phones, '') as v from records)""",
}

# The one-person identifiers standardised, over conformed records `r`: a valid NHS number's digits, and the UPN
# and PNC id upper case without spaces. The one copy: prepare reads it, and so does cluster.identifier_values.
IDENTIFIERS_SQL = """case when coalesce(r.nhs_number_valid, false)
         then nullif(replace(replace(coalesce(r.nhs_number, ''), ' ', ''), '-', ''), '') end as nhs,
    nullif(upper(replace(coalesce(r.upn, ''), ' ', '')), '') as upn_std,
    nullif(upper(replace(coalesce(r.pnc_id, ''), ' ', '')), '') as pnc_std"""

_PREPARE_SQL = """
select
    r.unique_id,
    coalesce(r.source_system, '') as source_system,
    nullif(split_part(g.clean, ' ', 1), '') as given_std,
    mid.clean as middle_std,
    f.compact as family_std,
    -- Every name the record holds, word by word: given, middle, family (and run together), other names.
    -- Repeats are left in: they do no harm to "is this name among them", and removing them costs a second.
    nullif(list_concat(g.words, mid.words, f.family_words, o.other_words), []) as all_names,
    d.dob_full, d.dob_days, d.dob_year, d.dob_month, d.dob_day, d.dob_precision,
    case when upper(trim(coalesce(r.sex, ''))) in ('F', 'M', 'X') then upper(trim(r.sex)) end as sex_std,
    case when lower(trim(coalesce(r.role, ''))) in ('child', 'adult') then lower(trim(r.role)) end as role_std,
    p.postcode_std, p.postcode_district,
    a.address_std, a.street_key, a.street_name, a.house_number, coalesce(r.address, '') as address_key,
    -- Plain replace, not regular expressions: these run once per record.
""" + IDENTIFIERS_SQL + """,
    list_sort(ph.phones_all) as phones_all,
    case when coalesce(r.emails, '') = '' then [] else
        list_sort(list_distinct(list_filter(list_transform(string_split(r.emails, ';'), lambda x: lower(trim(x))),
                                            lambda x: x like '%_@_%'))) end as emails_all
from records r
left join lk_name g on g.v = coalesce(r.given_name, '')
left join lk_name mid on mid.v = coalesce(r.middle_names, '')
left join lk_name f on f.v = coalesce(r.family_name, '')
left join lk_other o on o.v = coalesce(r.other_names, '')
left join lk_dob d on d.v = trim(coalesce(r.date_of_birth, ''))
left join lk_addr a on a.v = coalesce(r.address, '')
left join lk_postcode p on p.v = coalesce(nullif(trim(coalesce(r.postcode, '')), ''), a.found_postcode, '')
left join lk_phones ph on ph.v = coalesce(r.phones, '')
"""


# The identifiers a record is known by, and whether each column holds a list. A value held by more than
# `max_records_per_identifier` records is set aside before comparison (see prepare_in).
IDENTIFIER_COLUMNS: dict[str, bool] = {
    "nhs": False, "upn_std": False, "pnc_std": False, "phones_all": True, "emails_all": True,
}

Shared = dict[str, list[str]]  # identifier column -> values held by too many records


def shared_values(con: duckdb.DuckDBPyConnection, source: str, limit: int) -> Shared:
    """For each identifier column of the table or view `source` (a name this module or its callers build,
    never user text), the values held by more than `limit` records."""
    shared: Shared = {}
    for column, is_list in IDENTIFIER_COLUMNS.items():
        value = f"unnest({column})" if is_list else column
        rows = con.execute(
            f"select v from (select {value} as v from {source}) where v is not null "  # noqa: S608
            "group by v having count(*) > ? order by v",
            [limit],
        ).fetchall()
        shared[column] = [r[0] for r in rows]
    return shared


@dataclass
class Prepared:
    """The prepared table, and (when asked for) each record's identifiers before shared values were set
    aside, which is what an incremental run needs to count them again."""

    table: pa.Table  # PREPARED_COLUMNS, in unique_id order
    shared: Shared
    identifiers: pa.Table | None = None  # unique_id and IDENTIFIER_COLUMNS
    frequencies: Frequencies | None = None  # the term frequencies the table was prepared with


def count_frequencies(con: duckdb.DuckDBPyConnection) -> Frequencies:
    """The term frequencies of the records in `stage` (joined to their address words in `lk_addr`)."""
    records = con.execute("select count(*) from stage").fetchone()[0]  # type: ignore[index]

    def counted(sql: str) -> dict[str, int]:
        return dict(con.execute(f"select v, n from ({sql}) where v is not null and n >= ? order by v",  # noqa: S608
                                [MIN_COUNT_KEPT]).fetchall())

    return Frequencies(
        records=int(records),
        address=counted("select w as v, count(*) as n from (select unnest(a.words) as w from stage s "
                        "join lk_addr a on a.v = s.address_key) group by w"),
        given=counted("select given_std as v, count(*) as n from stage group by given_std"),
        family=counted("select family_std as v, count(*) as n from stage group by family_std"),
    )


def _register_frequencies(con: duckdb.DuckDBPyConnection, frequencies: Frequencies) -> None:
    for name, counts in (("freq_address", frequencies.address), ("freq_given", frequencies.given),
                         ("freq_family", frequencies.family)):
        con.register(name, pa.table({"v": pa.array(list(counts), pa.string()),
                                     "n": pa.array(list(counts.values()), pa.int64())}))


# Each address's four rarest words with the information each carries, log2(records / records holding it)
# (an address's other words are the common ones, road or the borough's name, which say little); and its
# two rarest words the model saw more than once (a word seen once is more often a typo than a place), for
# blocking. Ties go to the word later in the alphabet, so the same address always gives the same words.
ADDRESS_WORDS_COMPARED = 4
_ADDRESS_WORDS_SQL = f"""
    select v, max_by(w, struct_pack(b := bits, w := w), {ADDRESS_WORDS_COMPARED}) as top,
        max(bits, {ADDRESS_WORDS_COMPARED}) as top_bits,
        max_by(w, struct_pack(b := bits, w := w), 2) filter (where known) as known
    from (
        select x.v, x.w, greatest(log2(cast(? as double) / coalesce(f.n, 1)), 0.0) as bits, f.n is not null as known
        from (select v, unnest(words) as w from lk_addr) x left join freq_address f on f.v = x.w)
    group by v
"""  # noqa: S608 - built from this module's constants


def prepare_in(
    con: duckdb.DuckDBPyConnection, records: pa.Table, settings: LinkageSettings, *,
    shared: Shared | None = None, keep_identifiers: bool = False, frequencies: Frequencies | None = None,
) -> Prepared:
    """prepare_records on the given connection. `shared`: the identifier values to set aside, counted
    over every record by the caller; None counts them over these records. `frequencies`: the model's term
    frequencies; None counts them over these records (to train a model on them)."""
    table = conform(records)
    con.register("records", table)
    name_clean, other_clean = _cleaned_names(table)
    con.register("name_clean", name_clean)
    con.register("other_clean", other_clean)
    for name, sql in _LOOKUPS.items():
        con.execute(f"create or replace temp table {name} as {sql}")
    con.execute(f"create or replace temp table stage as {_PREPARE_SQL}")
    if frequencies is None:
        frequencies = count_frequencies(con)
    _register_frequencies(con, frequencies)
    con.execute(f"create or replace temp table lk_addr_words as {_ADDRESS_WORDS_SQL}", [max(frequencies.records, 1)])
    for name in _LOOKUPS:
        if name != "lk_addr":
            con.execute(f"drop table {name}")
    for name in ("records", "name_clean", "other_clean"):
        con.unregister(name)
    identifiers = None
    if keep_identifiers:
        identifiers = arrow_table(con.sql(f"select unique_id, {', '.join(IDENTIFIER_COLUMNS)} from stage"))  # noqa: S608
    if shared is None:
        shared = shared_values(con, "stage", settings.max_records_per_identifier)
    # Identifiers shared by many records are placeholders or shared contacts, not identity.
    for column, is_list in IDENTIFIER_COLUMNS.items():
        if not shared.get(column):
            continue
        if is_list:
            con.execute(
                f"update stage set {column} = list_filter({column}, lambda x: not list_contains(?, x))",  # noqa: S608
                [shared[column]])
        else:
            con.execute(f"update stage set {column} = null where list_contains(?, {column})", [shared[column]])  # noqa: S608
    given = arrow_table(con.sql("select distinct given_std from stage where given_std is not null"))
    lookup = _forms_lookup(given.column(0) if given.num_rows else pa.chunked_array([], pa.string()))
    con.register("forms_lookup", lookup)
    names = arrow_table(con.sql("select given_std as v from stage union select family_std from stage"))
    con.register("sounds_lookup", _sounds_lookup(names.column(0) if names.num_rows
                                                 else pa.chunked_array([], pa.string())))
    result = arrow_table(con.sql("""
        select
            s.unique_id, s.source_system, s.given_std, f.forms as given_forms, s.middle_std, s.family_std,
            s.all_names, s.dob_full, s.dob_days, s.dob_year, s.dob_month, s.dob_day, s.dob_precision, s.sex_std,
            s.postcode_std, s.postcode_district, s.address_std, s.street_key, s.street_name, s.house_number,
            s.nhs, s.upn_std, s.pnc_std,
            case when length(s.phones_all) > 0 then s.phones_all end as phones_list,
            case when length(s.emails_all) > 0 then s.emails_all end as emails_list,
            s.phones_all[1] as phone_first,
            s.emails_all[1] as email_first,
            case when s.given_std is not null then coalesce(fg.n, 1) / cast(? as double) end as given_share,
            case when s.family_std is not null then coalesce(ff.n, 1) / cast(? as double) end as family_share,
            case when s.given_std is not null then coalesce(fg.n, 1) end as given_held,
            sg.sound as given_sound, sf.sound as family_sound, s.role_std,
            w.top[1] as addr_t1, w.top[2] as addr_t2, w.top[3] as addr_t3, w.top[4] as addr_t4,
            w.top_bits[1] as addr_w1, w.top_bits[2] as addr_w2, w.top_bits[3] as addr_w3, w.top_bits[4] as addr_w4,
            list_sum(w.top_bits) as addr_bits, w.known[1] as addr_rare, w.known[2] as addr_rare2
        from stage s
        left join forms_lookup f on s.given_std = f.name
        left join sounds_lookup sg on s.given_std = sg.name
        left join sounds_lookup sf on s.family_std = sf.name
        left join freq_given fg on s.given_std = fg.v
        left join freq_family ff on s.family_std = ff.v
        left join lk_addr_words w on w.v = s.address_key
        order by s.unique_id
    """, params=[max(frequencies.records, 1)] * 2))
    for name in ("forms_lookup", "sounds_lookup", "freq_address", "freq_given", "freq_family"):
        con.unregister(name)
    for name in ("stage", "lk_addr", "lk_addr_words"):
        con.execute(f"drop table {name}")
    return Prepared(result.select(list(PREPARED_COLUMNS)), shared, identifiers, frequencies)


def prepare_records(
    records: pa.Table, settings: LinkageSettings, *, con: duckdb.DuckDBPyConnection | None = None,
    frequencies: Frequencies | None = None,
) -> pa.Table:
    """The standardised table the model compares: one row per record, PREPARED_COLUMNS.

    Dirty values never stop a run: an unparseable date, an unknown sex code or an empty name becomes
    null, which the model treats as missing (no evidence either way), never as a disagreement.
    """
    own = con is None
    con = con or duckdb.connect()
    try:
        return prepare_in(con, records, settings, frequencies=frequencies).table
    finally:
        if own:
            con.close()

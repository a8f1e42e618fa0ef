"""Group linked records into persons, honouring people's match decisions, and find identifier conflicts."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

from safeguarding.core.arrow import arrow_table
from safeguarding.linkage.base import LinkageSettings
from safeguarding.linkage.prepare import IDENTIFIERS_SQL, conform

logger = logging.getLogger(__name__)

Pair = tuple[int, int]


class _ConstrainedUnionFind:
    """Union-find that refuses any union putting two records a person has said are different into one set.

    Each root keeps the roots of the sets it may never join, and the one-person identifiers its records hold;
    on union both merge. Only components holding a cannot-link pair or two values of one identifier come here,
    so the sets stay small."""

    def __init__(self, size: int, holds: dict[int, dict[str, set[str]]] | None = None) -> None:
        self.parent = list(range(size))
        self.forbidden: dict[int, set[int]] = {}
        # Per root: the values of each one-person identifier its records hold (see `cluster`).
        self.holds: dict[int, dict[str, set[str]]] = holds or {}

    def _identifiers_clash(self, ra: int, rb: int) -> bool:
        """Whether joining the two sets would give one person two values of an identifier and no value in common."""
        a, b = self.holds.get(ra), self.holds.get(rb)
        if not a or not b:
            return False
        return any(kind in b and not values & b[kind] for kind, values in a.items())

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def forbid(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        self.forbidden.setdefault(ra, set()).add(rb)
        self.forbidden.setdefault(rb, set()).add(ra)

    def union(self, a: int, b: int, *, check_identifiers: bool = True) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        fa = {self.find(x) for x in self.forbidden.get(ra, ())}
        if rb in fa or (check_identifiers and self._identifiers_clash(ra, rb)):
            return False
        held = self.holds.pop(rb, None)
        if held:
            mine = self.holds.setdefault(ra, {})
            for kind, values in held.items():
                mine.setdefault(kind, set()).update(values)
        fb = {self.find(x) for x in self.forbidden.get(rb, ())}
        self.parent[rb] = ra
        merged = fa | fb
        if merged:
            self.forbidden[ra] = merged
            for other in merged:
                peers = self.forbidden.setdefault(other, set())
                peers.discard(rb)
                peers.add(ra)
        self.forbidden.pop(rb, None)
        return True


def _ids_numpy(record_ids: pa.Array | pa.ChunkedArray | Sequence[int]) -> np.ndarray:
    if isinstance(record_ids, pa.Array | pa.ChunkedArray):
        return np.asarray(pc.cast(record_ids, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.asarray(list(record_ids), dtype=np.int64)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # Sorting and dropping repeats: np.unique's hash-based path is slow on a million ids with numpy 2.4.
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def _pairs_array(pairs: Iterable[Pair]) -> np.ndarray:
    array = np.asarray(list(pairs), dtype=np.int64)
    return array.reshape(-1, 2)


def _index_of(ids_sorted: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of values in the sorted id array, and which values are present at all."""
    pos = np.searchsorted(ids_sorted, values)
    pos_clipped = np.minimum(pos, max(len(ids_sorted) - 1, 0))
    present = (pos < len(ids_sorted)) & (ids_sorted[pos_clipped] == values) if len(ids_sorted) else \
        np.zeros(len(values), dtype=bool)
    return pos_clipped, present


def cluster(
    pairs: pa.Table, record_ids: pa.Array | pa.ChunkedArray | Sequence[int], *, threshold: float,
    must_link: Iterable[Pair] = (), cannot_link: Iterable[Pair] = (), identifiers: pa.Table | None = None,
) -> pa.Table:
    """Persons from scored pairs: connected components of the pairs at or above `threshold`, joined by the
    "same person" decisions in `must_link` and never joining the two records of a `cannot_link` decision.

    `identifiers` (unique_id, identifier, value: see `identifier_values`) are numbers only one person holds.
    No model link may make a person hold two values of one of them with none in common: twins at one school
    with two UPNs and two NHS numbers stay two children even when a record of one, without numbers, links
    to records of both. People's same-person decisions may (a child given a new NHS number).

    Where a component holds a cannot-link pair or such a clash, links are taken strongest first (must-links
    before any model link) and a link that would join a forbidden pair is skipped, so the weakest links give
    way. If people's decisions contradict each other (a must-link chain joining a cannot-link pair), the
    cannot-link wins: wrongly merging two children's records is the worse failure.

    Returns unique_id, cluster_id (the smallest unique_id of the person), match_probability: the
    strongest model link between that record and another record of its person, i.e. the link by which it
    joined the person when links are taken strongest first, and the lowest threshold at which it would still
    join someone (null for a person of one record, or one joined to its person only by people's decisions);
    and person_weakest_link: the weakest model link the whole person depends on (the lowest probability in
    its maximum spanning tree; null where no model link is needed), the same for every record of a person.
    """
    ids = _sorted_unique(_ids_numpy(record_ids))
    n = len(ids)

    left = pairs.column("unique_id_l").to_numpy().astype(np.int64, copy=False) if pairs.num_rows else \
        np.empty(0, np.int64)
    right = pairs.column("unique_id_r").to_numpy().astype(np.int64, copy=False) if pairs.num_rows else \
        np.empty(0, np.int64)
    prob = pairs.column("match_probability").to_numpy(zero_copy_only=False).astype(np.float64) \
        if pairs.num_rows else np.empty(0, np.float64)
    keep = prob >= threshold
    li, lp = _index_of(ids, left[keep])
    ri, rp = _index_of(ids, right[keep])
    both = lp & rp
    edge_l, edge_r, edge_p = li[both], ri[both], prob[keep][both]

    must = _pairs_array(must_link)
    mi, mp = _index_of(ids, must[:, 0])
    mj, mq = _index_of(ids, must[:, 1])
    must_l, must_r = mi[mp & mq], mj[mp & mq]
    cannot = _pairs_array(cannot_link)
    ci, cp = _index_of(ids, cannot[:, 0])
    cj, cq = _index_of(ids, cannot[:, 1])
    cannot_l, cannot_r = ci[cp & cq], cj[cp & cq]

    all_l = np.concatenate([edge_l, must_l])
    all_r = np.concatenate([edge_r, must_r])
    graph = coo_matrix((np.ones(len(all_l), dtype=np.int8), (all_l, all_r)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)

    # Components that hold a cannot-link pair, or two values of a one-person identifier, are rebuilt with the
    # constrained union-find.
    bad = _sorted_unique(labels[cannot_l][labels[cannot_l] == labels[cannot_r]])
    held = _held_identifiers(identifiers, ids, labels) if identifiers is not None and n else None
    if held is not None:
        bad = _sorted_unique(np.concatenate([bad, held[0]]))
    if len(bad):
        labels = _split_components(labels, bad, edge_l, edge_r, edge_p, must_l, must_r, cannot_l, cannot_r,
                                   held[1] if held is not None else {})

    # cluster_id: the smallest unique_id in each component (ids are sorted, so the first index seen).
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_labels)) + 1]
    first_index = np.empty(labels.max() + 1 if n else 0, dtype=np.int64)
    first_index[sorted_labels[starts]] = order[starts]
    cluster_ids = ids[first_index[labels]] if n else np.empty(0, np.int64)

    # match_probability: each record's strongest model link inside its own person.
    best = np.full(n, -1.0)
    inside = labels[edge_l] == labels[edge_r]
    np.maximum.at(best, edge_l[inside], edge_p[inside])
    np.maximum.at(best, edge_r[inside], edge_p[inside])
    probability = pa.array(best, mask=best < 0)
    weakest = _weakest_links(n, labels, edge_l[inside], edge_r[inside], edge_p[inside], must_l, must_r)
    return pa.table({
        "unique_id": pa.array(ids, pa.int64()),
        "cluster_id": pa.array(cluster_ids, pa.int64()),
        "match_probability": probability,
        "person_weakest_link": pa.array(weakest, mask=weakest < 0),
    })


def _weakest_links(
    n: int, labels: np.ndarray, edge_l: np.ndarray, edge_r: np.ndarray, edge_p: np.ndarray,
    must_l: np.ndarray, must_r: np.ndarray,
) -> np.ndarray:
    """Per record, the weakest model link its person needs: the lowest probability in the person's maximum
    spanning tree, people's decisions counting as certain (-1 where no model link is needed)."""
    result = np.full(n, -1.0)
    if not n or not len(edge_l):
        return result
    # Weights for a minimum spanning tree: a decision ~0 (always taken first), a model link 2 - p (stronger
    # links lighter). scipy sums duplicate entries, so each pair appears once, a decision replacing a link.
    keys = np.minimum(edge_l, edge_r) * n + np.maximum(edge_l, edge_r)
    must_keys = np.minimum(must_l, must_r) * n + np.maximum(must_l, must_r)
    model = ~np.isin(keys, must_keys)
    must_keys = _sorted_unique(must_keys)
    rows = np.concatenate([keys[model] // n, must_keys // n])
    cols = np.concatenate([keys[model] % n, must_keys % n])
    weights = np.concatenate([2.0 - edge_p[model], np.full(len(must_keys), 1e-9)])
    tree = minimum_spanning_tree(coo_matrix((weights, (rows, cols)), shape=(n, n))).tocoo()
    from_model = tree.data >= 1.0
    # The tree's links as the exact probabilities they came from (2 - (2 - p) can be off in the last bit).
    model_keys, model_p = keys[model], edge_p[model]
    order = np.argsort(model_keys)
    tree_row, tree_col = tree.row.astype(np.int64), tree.col.astype(np.int64)  # int32 would overflow n * n
    tree_keys = np.minimum(tree_row, tree_col)[from_model] * n + np.maximum(tree_row, tree_col)[from_model]
    tree_p = model_p[order][np.searchsorted(model_keys[order], tree_keys)]
    per_person = np.full(labels.max() + 1, np.inf)
    np.minimum.at(per_person, labels[tree_row[from_model]], tree_p)
    per_person[np.isinf(per_person)] = -1.0  # a person held together by no model link
    return per_person[labels]


def _split_components(
    labels: np.ndarray, bad: np.ndarray, edge_l: np.ndarray, edge_r: np.ndarray, edge_p: np.ndarray,
    must_l: np.ndarray, must_r: np.ndarray, cannot_l: np.ndarray, cannot_r: np.ndarray,
    holds: dict[int, dict[str, set[str]]],
) -> np.ndarray:
    """Relabel the records of the given components by a constrained, strongest-first union-find. `holds`: by
    record index, the one-person identifiers it holds."""
    in_bad = np.isin(labels, bad)
    members = np.flatnonzero(in_bad)
    local = {int(g): i for i, g in enumerate(members)}
    uf = _ConstrainedUnionFind(len(members), {local[g]: kinds for g, kinds in holds.items() if g in local})
    for a, b in zip(cannot_l, cannot_r, strict=True):
        if in_bad[a] and in_bad[b]:
            uf.forbid(local[int(a)], local[int(b)])
    for a, b in zip(must_l, must_r, strict=True):
        if in_bad[a] and in_bad[b] and not uf.union(local[int(a)], local[int(b)], check_identifiers=False):
            logger.warning("a same-person decision contradicts a different-people decision; kept them apart")
    sel = in_bad[edge_l] & in_bad[edge_r]
    el, er, ep = edge_l[sel], edge_r[sel], edge_p[sel]
    for k in np.argsort(-ep, kind="stable"):
        uf.union(local[int(el[k])], local[int(er[k])])
    new = labels.copy()
    offset = labels.max() + 1
    for i, g in enumerate(members):
        new[g] = offset + uf.find(i)
    # Relabel densely so later steps can index by label.
    _, dense = np.unique(new, return_inverse=True)
    return dense.astype(np.int64)


def identifier_values(records: pa.Table) -> pa.Table:
    """The numbers only one person holds, standardised as prepare standardises them: unique_id, identifier
    ("nhs_number" when its check digit is valid, "upn", "pnc_id"), value, one row per record holding one, and
    holders: how many records hold that value (see `numbers_of_one_person`)."""
    wanted = ("unique_id", "nhs_number", "nhs_number_valid", "upn", "pnc_id")
    con = duckdb.connect()
    try:
        con.register("records", conform(records.select([c for c in wanted if c in records.column_names]))
                     .select(list(wanted)))
        return arrow_table(con.sql(f"""
            with standard as (select r.unique_id, {IDENTIFIERS_SQL} from records r),
            ids as (
                select unique_id, 'nhs_number' as identifier, nhs as value from standard where nhs is not null
                union all
                select unique_id, 'upn', upn_std from standard where upn_std is not null
                union all
                select unique_id, 'pnc_id', pnc_std from standard where pnc_std is not null
            )
            select unique_id, identifier, value, count(*) over (partition by identifier, value) as holders
            from ids
            order by unique_id, identifier
        """))  # noqa: S608 (a constant of the code, no value)
    finally:
        con.close()


def numbers_of_one_person(identifiers: pa.Table, max_records: int) -> pa.Table:
    """identifier_values without the values held by more records than `max_records`: a stand-in value
    or a system's default, not a person's number (settings.max_records_per_identifier, as linkage ignores
    them)."""
    return identifiers.filter(pc.less_equal(identifiers.column("holders"), max_records))


def _held_identifiers(
    identifiers: pa.Table, ids: np.ndarray, labels: np.ndarray,
) -> tuple[np.ndarray, dict[int, dict[str, set[str]]]] | None:
    """The components whose records hold two values of one identifier, and what each of their records holds
    (by record index); None if no component does."""
    if not identifiers.num_rows:
        return None
    where, present = _index_of(ids, identifiers.column("unique_id").to_numpy().astype(np.int64, copy=False))
    table = identifiers.filter(pa.array(present)).append_column("index", pa.array(where[present], pa.int64()))
    table = table.append_column("component", pa.array(labels[where[present]], pa.int64()))
    counted = table.group_by(["component", "identifier"]).aggregate([("value", "count_distinct")])
    clashing = counted.filter(pc.greater(counted.column("value_count_distinct"), 1)).column("component")
    if not len(clashing):
        return None
    components = _sorted_unique(clashing.to_numpy())
    inside = table.filter(pc.is_in(table.column("component"), value_set=pa.array(components, pa.int64())))
    holds: dict[int, dict[str, set[str]]] = {}
    for i, kind, value in zip(inside.column("index").to_pylist(), inside.column("identifier").to_pylist(),
                              inside.column("value").to_pylist(), strict=True):
        holds.setdefault(i, {}).setdefault(kind, set()).add(value)
    return components, holds


def conflicting_identifiers(
    clusters: pa.Table, records: pa.Table, *, pairs: pa.Table | None = None,
    settings: LinkageSettings | None = None, max_persons_listed: int = 20, identifiers: pa.Table | None = None,
) -> pa.Table:
    """Identifiers (valid NHS number, UPN, PNC id) held by records that ended up as different persons: a
    data-quality problem for a person to look at (a mistyped number, a number recorded against a sibling or
    parent, or a merge the model rightly refused).

    One row per pair of persons sharing a value: identifier, value, persons (how many persons hold it),
    unique_id_l / unique_id_r (a record of each), cluster_id_l / cluster_id_r, and match_probability of that
    record pair if it was scored (null: the model scored it below the pair floor or never compared it).
    A value held by more than `max_persons_listed` persons gets one row, for its first two persons.
    """
    del settings  # accepted for symmetry with the rest of the pipeline; nothing here depends on it
    # Widely shared values are kept: they are exactly what this report is for. `identifiers`: the records'
    # identifier_values, where the caller has worked them out already (a linkage run has).
    held = identifiers if identifiers is not None else identifier_values(records)
    con = duckdb.connect()
    try:
        con.register("ids", held)
        con.register("clusters", clusters.select(["unique_id", "cluster_id"]))
        empty_pairs = pa.table({"unique_id_l": pa.array([], pa.int64()), "unique_id_r": pa.array([], pa.int64()),
                                "match_probability": pa.array([], pa.float64())})
        con.register("pairs", pairs.select(["unique_id_l", "unique_id_r", "match_probability"])
                     if pairs is not None else empty_pairs)
        # Only an int is interpolated; everything else is a registered table.
        result = arrow_table(con.sql(f"""
            with per_person as (
                select identifier, value, c.cluster_id, min(ids.unique_id) as unique_id
                from ids join clusters c using (unique_id)
                group by identifier, value, c.cluster_id
            ),
            counted as (
                select *, count(*) over (partition by identifier, value) as persons,
                       row_number() over (partition by identifier, value order by cluster_id) as rank
                from per_person
            ),
            shared as (select * from counted where persons > 1)
            select a.identifier, a.value, a.persons, a.unique_id as unique_id_l, b.unique_id as unique_id_r,
                   a.cluster_id as cluster_id_l, b.cluster_id as cluster_id_r, p.match_probability
            from shared a join shared b
              on a.identifier = b.identifier and a.value = b.value and a.cluster_id < b.cluster_id
            left join pairs p
              on p.unique_id_l = least(a.unique_id, b.unique_id) and p.unique_id_r = greatest(a.unique_id, b.unique_id)
            where a.persons <= {int(max_persons_listed)} or (a.rank = 1 and b.rank = 2)
            order by a.identifier, a.value, a.cluster_id, b.cluster_id
        """))  # noqa: S608
    finally:
        con.close()
    return result

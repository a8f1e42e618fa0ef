"""Networks found over tables: people, vehicles, places and phones joined by links, over a chosen
time window, with who connects the most children and the hotspots (an entity linked to several
children). Plain arrays in and out (numpy, igraph's C core for the components), never ORM rows, so
it runs over millions of links; ``selectors`` reads the links and ``exporters`` writes networks.csv.

A node is a person (the person as identity knows them now) or an entity, encoded in one int64:
``person_id * 2`` or ``entity_id * 2 + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import igraph
import numpy as np
import numpy.typing as npt
from scipy import sparse

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def person_node(person_id: Ints | int) -> Ints:
    return np.asarray(person_id, dtype=np.int64) * 2


def entity_node(entity_id: Ints | int) -> Ints:
    return np.asarray(entity_id, dtype=np.int64) * 2 + 1


def is_person(node: Ints) -> Bools:
    return (np.asarray(node) % 2) == 0


def node_id(node: Ints) -> Ints:
    return np.asarray(node, dtype=np.int64) // 2


@dataclass(frozen=True)
class LinkArrays:
    """One row per link: from a person to an entity (``entity`` >= 0) or to another person
    (``other`` >= 0). ``start`` in seconds since 1970 (UTC). Links to placeholder entities must
    already be left out (``without_placeholders``)."""

    person: Ints
    entity: Ints
    other: Ints
    start: Ints
    restricted: Bools
    joins: Bools  # whether the link may join two networks into one (else drawn and counted only)

    def __len__(self) -> int:
        return len(self.person)

    def where(self, keep: Bools) -> LinkArrays:
        return LinkArrays(
            self.person[keep], self.entity[keep], self.other[keep], self.start[keep], self.restricted[keep],
            self.joins[keep],
        )

    def edges(self) -> tuple[Ints, Ints]:
        """Each link as (node, node)."""
        target = np.where(self.entity >= 0, entity_node(self.entity), person_node(self.other))
        return person_node(self.person), target


def in_window(links: LinkArrays, start: int | None, end: int | None, *, shared_only: bool) -> LinkArrays:
    """The links dated in [start, end) (either open), and for a viewer outside the police only the
    links they may see."""
    keep = np.ones(len(links), dtype=bool)
    if start is not None:
        keep &= links.start >= start
    if end is not None:
        keep &= links.start < end
    if shared_only:
        keep &= ~links.restricted
    keep &= (links.entity >= 0) | (links.other >= 0)
    keep &= links.other != links.person
    return links.where(keep)


@dataclass(frozen=True)
class Networks:
    """``nodes`` (sorted, unique) and the network each belongs to (``membership``, 0-based), with
    the number of persons, children and other nodes of each network."""

    nodes: Ints
    membership: Ints
    persons: Ints  # per network
    children: Ints  # per network
    size: Ints  # per network: every node
    src: Ints  # edges as node positions, for centrality
    dst: Ints

    def network_of(self, node: int) -> int | None:
        at = int(np.searchsorted(self.nodes, node))
        if at < len(self.nodes) and self.nodes[at] == node:
            return int(self.membership[at])
        return None

    def members(self, network: int) -> Ints:
        return self.nodes[self.membership == network]


def find_networks(links: LinkArrays, child_ids: Ints) -> Networks:
    """Connected networks of the links given (already windowed and filtered for the viewer).
    Links that do not join networks (``joins`` false) still count for hotspots and for who reaches
    whom, but are left out when working out which nodes are one network."""
    a, b = links.edges()
    nodes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    src, dst = inverse[: len(a)].astype(np.int64), inverse[len(a):].astype(np.int64)
    joins = links.joins
    graph = igraph.Graph(n=len(nodes), edges=np.column_stack([src[joins], dst[joins]]))
    membership = np.asarray(graph.connected_components().membership, dtype=np.int64)
    count = int(membership.max()) + 1 if len(membership) else 0
    person_mask = is_person(nodes)
    child_mask = person_mask & np.isin(node_id(nodes), child_ids)
    return Networks(
        nodes=nodes,
        membership=membership,
        persons=np.bincount(membership[person_mask], minlength=count).astype(np.int64),
        children=np.bincount(membership[child_mask], minlength=count).astype(np.int64),
        size=np.bincount(membership, minlength=count).astype(np.int64),
        src=src,
        dst=dst,
    )


def children_reached(networks: Networks, child_ids: Ints) -> tuple[Ints, Ints]:
    """For every node, how many children it is linked to directly, and within two steps (a driver
    linked to a vehicle several children were seen in reaches them in two): who connects the most
    children. Sparse matrix products, never a loop over nodes."""
    n = len(networks.nodes)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    rows = np.concatenate([networks.src, networks.dst])
    cols = np.concatenate([networks.dst, networks.src])
    adjacency = sparse.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    adjacency.data[:] = 1
    child_columns = np.flatnonzero(is_person(networks.nodes) & np.isin(node_id(networks.nodes), child_ids))
    to_children = adjacency[:, child_columns]
    to_children.data[:] = 1
    direct = np.diff(to_children.indptr).astype(np.int64)
    two = (adjacency @ to_children + to_children).tocsr()
    # A child does not count as reaching itself.
    two.sum_duplicates()
    reached = np.diff(two.indptr).astype(np.int64)
    own = np.zeros(n, dtype=np.int64)
    own[child_columns] = 1
    return direct, np.maximum(reached - own, 0)


def hotspots(networks: Networks, child_ids: Ints, *, least: int = 2) -> tuple[Ints, Ints]:
    """Entities (vehicles, places, phones, peer groups) linked directly to at least ``least``
    different children: (entity node, children), most children first."""
    direct, _ = children_reached(networks, child_ids)
    entity_positions = np.flatnonzero(~is_person(networks.nodes) & (direct >= least))
    order = np.argsort(-direct[entity_positions], kind="stable")
    chosen = entity_positions[order]
    return networks.nodes[chosen], direct[chosen]


def betweenness(networks: Networks, network: int, *, limit: int = 3000) -> dict[int, float]:
    """Betweenness centrality of each node of one network (who lies on the paths between the
    others), for networks small enough to work it out exactly (``limit`` nodes)."""
    positions = np.flatnonzero(networks.membership == network)
    if len(positions) > limit or len(positions) < 3:
        return {}
    local = np.full(len(networks.nodes), -1, dtype=np.int64)
    local[positions] = np.arange(len(positions))
    keep = local[networks.src] >= 0
    graph = igraph.Graph(n=len(positions), edges=np.column_stack([local[networks.src[keep]], local[networks.dst[keep]]]))
    graph.simplify()
    scores = graph.betweenness(directed=False)
    return {int(networks.nodes[p]): float(s) for p, s in zip(positions, scores, strict=True)}

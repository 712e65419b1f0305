"""Graphs for "The missing bits: graph neural networks": Zachary's karate club, shipped
here, and a stochastic block model, generated.

**Zachary's karate club** [Zachary, 1977]: the friendships outside the club between the
34 members of a university karate club, observed over two years, during which a
dispute between the instructor ("Mr. Hi", member 0) and the club's president
("Officer", member 33) split the club in two. :data:`KARATE_EDGES` lists its 78
undirected edges (i, j), i < j, and :data:`KARATE_CLUB` the faction each member joined
(0 = Mr. Hi, 1 = Officer), as ``networkx.karate_club_graph()`` numbers them (a test
checks both against networkx, which the package does not need at run time). networkx
≥ 3 also attaches to each edge a count of the contexts in which the two members met;
the graph here is the unweighted one.

**Stochastic block model** (:func:`stochastic_block_model`): vertices split into
blocks; each pair of vertices is joined independently, with probability ``p_in`` inside
a block and ``p_out`` across blocks. Each vertex also carries a feature vector, its
block's mean (random unit-norm directions scaled by ``signal``) plus standard Gaussian
noise, so that neither the features nor the edges alone give the blocks away for
small ``signal`` and ``p_in`` close to ``p_out``.

Graphs are returned as a :class:`Graph`: ``edge_index`` (2, E) int64, each undirected
edge stored in both directions as ``torch_geometric`` does (a message travels from
``edge_index[0, e]`` to ``edge_index[1, e]``), ``labels`` (N,) int64, ``features``
(N, F) float32 and ``num_nodes``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .._checks import positive_int

__all__ = ["KARATE_EDGES", "KARATE_CLUB", "KARATE_FACTIONS", "Graph", "karate_club", "stochastic_block_model",
           "undirected_edge_index"]

# The 78 friendships (i < j), numbered as in networkx.karate_club_graph().
KARATE_EDGES: tuple[tuple[int, int], ...] = (
    (0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6), (0, 7), (0, 8), (0, 10), (0, 11), (0, 12), (0, 13), (0, 17),
    (0, 19), (0, 21), (0, 31), (1, 2), (1, 3), (1, 7), (1, 13), (1, 17), (1, 19), (1, 21), (1, 30), (2, 3), (2, 7),
    (2, 8), (2, 9), (2, 13), (2, 27), (2, 28), (2, 32), (3, 7), (3, 12), (3, 13), (4, 6), (4, 10), (5, 6), (5, 10),
    (5, 16), (6, 16), (8, 30), (8, 32), (8, 33), (9, 33), (13, 33), (14, 32), (14, 33), (15, 32), (15, 33),
    (18, 32), (18, 33), (19, 33), (20, 32), (20, 33), (22, 32), (22, 33), (23, 25), (23, 27), (23, 29), (23, 32),
    (23, 33), (24, 25), (24, 27), (24, 31), (25, 31), (26, 29), (26, 33), (27, 33), (28, 31), (28, 33), (29, 32),
    (29, 33), (30, 32), (30, 33), (31, 32), (31, 33), (32, 33),
)
# The faction of each member after the split: 0 = "Mr. Hi" (member 0), 1 = "Officer" (member 33).
KARATE_CLUB: tuple[int, ...] = (
    0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
)
KARATE_FACTIONS = ("Mr. Hi", "Officer")


class Graph(NamedTuple):
    """A graph with a label and a feature vector per vertex (see the module docstring)."""

    edge_index: torch.Tensor
    labels: torch.Tensor
    features: torch.Tensor
    num_nodes: int


def undirected_edge_index(edges) -> torch.Tensor:
    """The (2, 2E) int64 ``edge_index`` of undirected ``edges`` (a sequence of pairs
    (i, j) of vertex numbers ≥ 0, or an int tensor (E, 2)): each edge in both directions,
    (i → j) and (j → i)."""
    if isinstance(edges, torch.Tensor):
        if edges.is_floating_point() or edges.is_complex() or edges.dtype == torch.bool:
            raise TypeError(f"edges must hold integer vertex numbers, got a {edges.dtype} tensor")
        pairs = edges.to(torch.int64)
    else:
        try:
            rows = [tuple(edge) for edge in edges]
        except TypeError:
            raise TypeError(f"edges must be a sequence of pairs (i, j), got {type(edges).__name__}") from None
        if not all(len(row) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in row)
                   for row in rows):
            raise TypeError("edges must be a sequence of pairs (i, j) of ints")
        pairs = torch.tensor(rows, dtype=torch.int64).reshape(-1, 2)
    if pairs.dim() != 2 or pairs.shape[1] != 2 or pairs.shape[0] == 0:
        raise ValueError(f"edges must be a non-empty list of pairs (E, 2), got shape {tuple(pairs.shape)}")
    if pairs.min() < 0:
        raise ValueError(f"edges must number vertices from 0, got {pairs.min().item()}")
    return torch.cat([pairs.T, pairs.T.flip(0)], dim=1)


def karate_club() -> Graph:
    """Zachary's karate club: 34 vertices, 78 edges (156 directed entries in
    ``edge_index``), ``labels`` the faction of each member (:data:`KARATE_CLUB`) and
    ``features`` the identity matrix (34, 34): a one-hot vector per member, the graph
    being the only information, as in [Kipf and Welling, 2017]."""
    n = len(KARATE_CLUB)
    return Graph(undirected_edge_index(KARATE_EDGES), torch.tensor(KARATE_CLUB), torch.eye(n), n)


def stochastic_block_model(sizes=(100, 100, 100), p_in: float = 0.1, p_out: float = 0.02, *, features: int = 16,
                           signal: float = 1.0, seed: int = 0) -> Graph:
    """A stochastic block model: ``sizes`` vertices in each block (a sequence of
    positive ints), each pair joined with probability ``p_in`` inside a block and
    ``p_out`` across blocks; ``features`` dimensions per vertex, its block's mean (a
    random direction of norm ``signal``) plus N(0, 1) noise. Seeded by ``seed``."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a sequence of block sizes, got {type(sizes).__name__}")
    sizes = [positive_int(s, "sizes[i]") for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must have at least 2 blocks, got {sizes}")
    for value, name in ((p_in, "p_in"), (p_out, "p_out")):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    positive_int(features, "features")
    if isinstance(signal, bool) or not isinstance(signal, (int, float)) or not signal >= 0:
        raise ValueError(f"signal must be a number >= 0, got {signal!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    generator = torch.Generator().manual_seed(seed)
    labels = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    n = len(labels)
    same = labels[:, None] == labels[None, :]
    p = torch.where(same, float(p_in), float(p_out))
    upper = torch.triu(torch.rand(n, n, generator=generator) < p, diagonal=1)
    edges = upper.nonzero()
    if len(edges) == 0:
        raise ValueError(f"p_in={p_in} and p_out={p_out} gave a graph without edges")
    means = torch.randn(len(sizes), features, generator=generator)
    means = signal * means / means.norm(dim=1, keepdim=True)
    x = means[labels] + torch.randn(n, features, generator=generator)
    return Graph(undirected_edge_index(edges), labels, x, n)

"""The graphs of "The missing bits: graph neural networks" (lbdl_book/data/graphs.py): the
shipped karate club against networkx's copy, and the stochastic block model."""

import math

import networkx as nx                  # pinned test dependency: the oracle of the karate club
import pytest
import torch

from lbdl_book.data.graphs import (KARATE_CLUB, KARATE_EDGES, KARATE_FACTIONS, karate_club, stochastic_block_model,
                                   undirected_edge_index)


def test_karate_club_equals_networkx():
    graph = nx.karate_club_graph()
    # networkx ≥ 3 attaches a "weight" to each edge; the edge set and the "club" attribute are what we ship
    assert {tuple(sorted(e)) for e in graph.edges()} == set(KARATE_EDGES)
    assert len(KARATE_EDGES) == len(set(KARATE_EDGES)) == 78 and all(i < j for i, j in KARATE_EDGES)
    assert [KARATE_FACTIONS[c] for c in KARATE_CLUB] == [graph.nodes[v]["club"] for v in range(34)]
    assert graph.number_of_nodes() == len(KARATE_CLUB) == 34


def test_karate_club_graph():
    club = karate_club()
    assert club.num_nodes == 34 and club.edge_index.shape == (2, 156) and club.edge_index.dtype == torch.int64
    assert torch.equal(club.features, torch.eye(34)) and club.labels.tolist() == list(KARATE_CLUB)
    assert (club.labels[0], club.labels[33]) == (0, 1) and int(club.labels.sum()) == 17
    pairs = set(map(tuple, club.edge_index.T.tolist()))
    assert all((j, i) in pairs for i, j in pairs)                                   # both directions


def test_undirected_edge_index():
    assert undirected_edge_index([(0, 1), (1, 2)]).tolist() == [[0, 1, 1, 2], [1, 2, 0, 1]]
    assert torch.equal(undirected_edge_index(torch.tensor([[0, 1], [1, 2]])), undirected_edge_index([(0, 1), (1, 2)]))
    with pytest.raises(TypeError, match="edges"):
        undirected_edge_index([(0, 1.5)])
    with pytest.raises(ValueError, match="edges"):
        undirected_edge_index([(0, -1)])


def test_block_model_is_seeded_and_well_formed():
    a = stochastic_block_model((50, 60, 70), 0.2, 0.03, features=8, seed=4)
    b = stochastic_block_model((50, 60, 70), 0.2, 0.03, features=8, seed=4)
    assert all(torch.equal(x, y) for x, y in zip(a[:3], b[:3])) and a.num_nodes == 180
    assert not torch.equal(a.edge_index, stochastic_block_model((50, 60, 70), 0.2, 0.03, features=8, seed=5).edge_index)
    assert a.labels.bincount().tolist() == [50, 60, 70] and a.features.shape == (180, 8)
    src, dst = a.edge_index
    assert (src != dst).all()                                                         # no self-loops
    assert set(map(tuple, a.edge_index.T.tolist())) == set(map(tuple, a.edge_index.flip(0).T.tolist()))


def test_block_model_edge_probabilities():
    sizes, p_in, p_out = (150, 150), 0.1, 0.02
    g = stochastic_block_model(sizes, p_in, p_out, seed=0)
    src, dst = g.edge_index[:, g.edge_index[0] < g.edge_index[1]]
    same = g.labels[src] == g.labels[dst]
    pairs_in = sum(s * (s - 1) // 2 for s in sizes)
    pairs_out = sizes[0] * sizes[1]
    # each count is binomial: within 5 standard errors of its mean
    for count, pairs, p in ((int(same.sum()), pairs_in, p_in), (int((~same).sum()), pairs_out, p_out)):
        assert abs(count - pairs * p) < 5 * math.sqrt(pairs * p * (1 - p))


def test_block_model_features():
    g = stochastic_block_model((400, 400), 0.05, 0.05, features=4, signal=2.0, seed=2)
    means = torch.stack([g.features[g.labels == c].mean(0) for c in (0, 1)])
    # each block mean has norm `signal`; the sample mean of 400 N(0, 1) vectors is off by ~1/20 per coordinate
    assert ((means.norm(dim=1) - 2.0).abs() < 5 * 2 / math.sqrt(400)).all()


def test_block_model_bad_inputs():
    with pytest.raises(ValueError, match="at least 2 blocks"):
        stochastic_block_model((10,))
    with pytest.raises(ValueError, match="p_in"):
        stochastic_block_model((10, 10), p_in=1.5)
    with pytest.raises(ValueError, match="without edges"):
        stochastic_block_model((2, 2), 0.0, 0.0)

"""Graph neural networks (lbdl_book/models/gnn.py): the graph convolution against
torch_geometric's GCNConv (outputs and gradients, both forms), the GCN, node
classification on the karate club, and the graph tools (hop distances against networkx)."""

import copy

import networkx as nx                  # pinned test dependency: the oracle for shortest paths
import pytest
import torch
from torch_geometric.nn import GCNConv  # pinned test dependency (torch_geometric): the oracle of the layer

from _bounds import assert_within, multilinear, unit_roundoff
from lbdl_book.data.graphs import karate_club, stochastic_block_model
from lbdl_book.models.gnn import (GCN, GraphConv, accuracy, adjacency, embedding_spread, fit_nodes, hop_distances,
                                  masked_cross_entropy, nearest_seed, propagation_matrix, spring_layout)
from lbdl_book.nn.fused import set_fused

# A small directed multigraph with what GCNConv handles specially: a vertex that already has a self-loop (2),
# a repeated edge (0 → 1 twice), one-way edges, and a vertex without any edge (5).
ODD_EDGES = torch.tensor([[0, 0, 1, 2, 2, 3, 4, 1, 3],
                          [1, 1, 0, 2, 3, 4, 3, 2, 0]])


def _propagate(p, x, w, b):
    return p @ (x @ w.T) + b


def _bounds(p, x, w, b, upstream):
    """Bounds on |ours − GCNConv| for the values and the gradients (x, W, b) of ⟨upstream, P X Wᵀ + b⟩: the
    multilinear rounding bound of two implementations, plus the rounding of the entries of P itself (degrees
    are exact integer sums; d_i^{-1/2} d_j^{-1/2} Ã_ij rounds at most 4 times in each implementation: 8u
    relative, times the magnitude of what flows through P)."""
    u = unit_roundoff(x.dtype)
    values, grads = multilinear(_propagate, [p, x, w, b], upstream)
    with torch.enable_grad():
        sizes = [t.detach().abs().double().requires_grad_() for t in (p, x, w, b)]
        magnitude = _propagate(*sizes)
        through_p = torch.autograd.grad(magnitude, sizes[1:3], upstream.abs().double())
    return (values + 8 * u * magnitude.detach(), grads[1] + 8 * u * through_p[0], grads[2] + 8 * u * through_p[1],
            grads[3])


def _compare(graph, n, normalize, dtype=torch.float64, features=5, out=3, seed=0):
    torch.manual_seed(seed)
    ours = GraphConv(features, out, normalize=normalize).to(dtype)
    with torch.no_grad():
        ours.bias.normal_()                                      # a non-zero bias, to test where it is added
    ref = GCNConv(features, out, normalize=normalize).to(dtype)
    ref.lin.weight.data.copy_(ours.linear.weight.data)
    ref.bias.data.copy_(ours.bias.data)
    x = torch.randn(n, features, dtype=dtype)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    upstream = torch.randn(n, out, dtype=dtype)
    y1 = ours(x1, graph)
    edge_index = graph if not graph.is_floating_point() else graph.nonzero().flip(1).T
    y2 = ref(x2, edge_index)
    (y1 * upstream).sum().backward()
    (y2 * upstream).sum().backward()
    p = propagation_matrix(graph, n, normalize=normalize, dtype=dtype)
    value_bound, gx, gw, gb = _bounds(p, x, ours.linear.weight, ours.bias, upstream)
    assert_within(y1, y2, value_bound, "output")
    assert_within(x1.grad, x2.grad, gx, "grad x")
    assert_within(ours.linear.weight.grad, ref.lin.weight.grad, gw, "grad W")
    assert_within(ours.bias.grad, ref.bias.grad, gb, "grad b")


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_graph_conv_equals_gcnconv_on_the_karate_club(normalize, dtype):
    club = karate_club()
    _compare(club.edge_index, club.num_nodes, normalize, dtype)


@pytest.mark.parametrize("normalize", [True, False])
def test_graph_conv_equals_gcnconv_on_a_directed_multigraph_with_loops(normalize):
    _compare(ODD_EDGES, 6, normalize)


@pytest.mark.parametrize("normalize", [True, False])
def test_graph_conv_equals_gcnconv_on_a_block_model(normalize):
    sbm = stochastic_block_model((20, 30), 0.3, 0.05, seed=3)
    _compare(sbm.edge_index, sbm.num_nodes, normalize, features=16, out=7)


def test_dense_adjacency_and_edge_index_give_the_same_layer():
    a = adjacency(ODD_EDGES, 6)
    assert a[1, 0] == 2 and a[2, 2] == 1 and a[:, 5].sum() == 0 and a[5].sum() == 0 and a.sum() == ODD_EDGES.shape[1]
    layer = GraphConv(4, 2)
    x = torch.randn(6, 4)
    assert torch.equal(layer(x, ODD_EDGES), layer(x, a))
    # a batch of feature sets (B, N, F) on the same graph: each set is a separate graph signal
    xs = torch.randn(3, 6, 4)
    assert torch.allclose(layer(xs, ODD_EDGES), torch.stack([layer(s, ODD_EDGES) for s in xs]), atol=1e-6)


def test_propagation_matrix_is_the_kipf_welling_normalisation():
    club = karate_club()
    a = adjacency(club.edge_index).double()
    a_tilde = a + torch.eye(34, dtype=torch.float64)
    d = a_tilde.sum(1)
    expected = a_tilde / torch.sqrt(d[:, None] * d[None, :])
    p = propagation_matrix(club.edge_index, dtype=torch.float64)
    assert_within(p, expected, 6 * unit_roundoff(torch.float64) * expected)
    assert torch.equal(p, p.T)
    eigenvalues = torch.linalg.eigvalsh(p)
    assert eigenvalues[0] > -1 and abs(eigenvalues[-1] - 1) < 100 * 34 * unit_roundoff(torch.float64)
    # the eigenvector of 1 is √d̃
    v = torch.sqrt(d)
    assert_within(p @ v, v, 40 * unit_roundoff(torch.float64) * v)
    # a vertex that already has a loop keeps it (weight 1), like torch_geometric's add_remaining_self_loops
    odd = adjacency(ODD_EDGES, 6).double()
    tilde = odd + torch.diag(torch.tensor([1.0, 1, 0, 1, 1, 1], dtype=torch.float64))
    assert torch.equal(propagation_matrix(ODD_EDGES, 6, normalize=False, dtype=torch.float64), odd)
    ds = tilde.sum(1)
    assert_within(propagation_matrix(ODD_EDGES, 6, dtype=torch.float64), tilde / torch.sqrt(ds[:, None] * ds),
                  6 * unit_roundoff(torch.float64))


def test_gcn_parameter_counts_and_shapes():
    assert sum(p.numel() for p in GCN(34, 16, 2).parameters()) == 594
    deep = GCN(16, 16, 3, num_layers=16)
    assert sum(p.numel() for p in deep.parameters()) == (16 * 16 + 16) * 15 + (16 * 3 + 3)
    assert sum(p.numel() for p in GCN(5, 8, 3, num_layers=1).parameters()) == 5 * 3 + 3
    club = karate_club()
    states = GCN(34, 16, 2, num_layers=3).hidden_states(club.features, club.edge_index)
    assert [tuple(s.shape) for s in states] == [(34, 16), (34, 16), (34, 2)]
    assert all((s >= 0).all() for s in states[:-1])                            # ReLU after every layer but the last


def test_gcn_fused_and_book_paths_agree():
    club = karate_club()
    torch.manual_seed(0)
    fused = GCN(34, 16, 2, num_layers=3).double()
    book = copy.deepcopy(fused)
    set_fused(book, False)
    x = club.features.double()
    a, b = fused(x, club.edge_index), book(x, club.edge_index)
    # same products in both paths up to the kernels' summation order: 3 layers, sums of ≤ 18 · 34 terms
    assert_within(a, b, 2 * 3 * (18 + 34) * unit_roundoff(torch.float64) * (a.abs().max() + 1))


def test_masked_cross_entropy_counts_only_labelled_vertices():
    logits = torch.randn(2, 5, 3)
    targets = torch.tensor([[0, -1, 2, -1, 1], [-1, -1, -1, 2, -1]])
    keep = targets >= 0
    expected = torch.nn.functional.cross_entropy(logits[keep], targets[keep])
    assert torch.allclose(masked_cross_entropy(logits, targets), expected, rtol=1e-6, atol=0)
    with pytest.raises(ValueError, match="no vertex is labelled"):
        masked_cross_entropy(logits, torch.full((2, 5), -1))
    with pytest.raises(ValueError, match="targets"):
        masked_cross_entropy(logits, torch.full((2, 5), 3))


def test_fit_nodes_on_the_karate_club_and_its_prefix_property():
    club = karate_club()
    others = list(range(1, 33))
    torch.manual_seed(0)
    model = GCN(34, 16, 2)
    start = copy.deepcopy(model.state_dict())
    history = fit_nodes(model, club.edge_index, club.features, club.labels, [0, 33], steps=200, device="cpu")
    assert len(history["train_loss"]) == 200 and history["train_loss"][-1] < 0.05
    with torch.no_grad():
        logits = model(club.features, club.edge_index)
    assert accuracy(logits, club.labels, others) >= 30 / 32
    # the first k steps of a run are a run of k steps (full-batch, deterministic)
    short = GCN(34, 16, 2)
    short.load_state_dict(start)
    part = fit_nodes(short, club.edge_index, club.features, club.labels, [0, 33], steps=20, device="cpu")
    assert part["train_loss"] == history["train_loss"][:20]


def test_accuracy_on_hand_made_logits():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 1, 1, 1])
    assert accuracy(logits, labels) == 0.75 and accuracy(logits, labels, [2]) == 0.0 and accuracy(logits, labels, [0, 1]) == 1


def test_hop_distances_equal_networkx_shortest_paths():
    club = karate_club()
    graph = nx.karate_club_graph()
    d = hop_distances(club.edge_index, [0, 33, 16])
    for row, source in zip(d.tolist(), [0, 33, 16]):
        lengths = nx.single_source_shortest_path_length(graph, source)
        assert row == [lengths[v] for v in range(34)]
    # unreachable vertices (and edge direction) on the directed multigraph
    assert hop_distances(ODD_EDGES, [4], 6).tolist() == [[2, 3, 4, 1, 0, -1]]     # 4 → 3 → 0 → 1 → 2


def test_nearest_seed_on_a_path():
    path = torch.tensor([[0, 1, 2, 3, 4, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 0, 1, 2, 3, 4]])   # 0 - 1 - 2 - 3 - 4 - 5
    assert nearest_seed(path, [0, 4], [0, 1]).tolist() == [0, 0, -1, 1, 1, 1]
    assert nearest_seed(path, [0, 5], [1, 1]).tolist() == [1] * 6                      # a tie of equal labels
    club = karate_club()
    guess = nearest_seed(club.edge_index, [0, 33], [0, 1])
    assert int((guess == -1).sum()) == 6 and bool(((guess == club.labels) | (guess == -1)).all())


def test_embedding_spread():
    h = torch.randn(1, 4).repeat(10, 1) * torch.rand(10, 1)                # parallel vectors, positive scales
    assert embedding_spread(h) < 1e-6
    assert abs(embedding_spread(torch.tensor([[1.0, 0.0], [-1.0, 0.0]])) - 1) < 1e-7     # two opposite directions
    assert embedding_spread(torch.zeros(5, 3)) == 0.0
    assert abs(embedding_spread(torch.tensor([[1.0, 0.0], [0.0, 0.0], [-1.0, 0.0]])) - 1) < 1e-7  # zeros left out


def test_oversmoothing_rate_is_the_second_eigenvalue():
    sbm = stochastic_block_model((30, 30), 0.3, 0.05, seed=1)
    p = propagation_matrix(sbm.edge_index, dtype=torch.float64)
    lam = torch.linalg.eigvalsh(p).abs().sort().values[-2].item()
    s20 = embedding_spread(torch.linalg.matrix_power(p, 20) @ sbm.features.double())
    s40 = embedding_spread(torch.linalg.matrix_power(p, 40) @ sbm.features.double())
    assert abs((s40 / s20) ** (1 / 20) / lam - 1) < 0.05


def test_spring_layout_is_deterministic_and_in_the_unit_square():
    club = karate_club()
    pos = spring_layout(club.edge_index)
    assert pos.shape == (34, 2) and pos.abs().max() <= 1 + 1e-6
    assert torch.equal(pos, spring_layout(club.edge_index))
    # vertices are spread out: no two closer than a small fraction of the drawing
    d = torch.cdist(pos, pos) + torch.eye(34)
    assert d.min() > 0.01


def test_clear_errors():
    layer = GraphConv(3, 2)
    with pytest.raises(TypeError, match="x"):
        layer(torch.ones(4, 3, dtype=torch.int64), ODD_EDGES)
    with pytest.raises(ValueError, match="x must have shape"):
        layer(torch.ones(4, 5), ODD_EDGES)
    with pytest.raises(ValueError, match="num_nodes is 4"):
        layer(torch.ones(4, 3), ODD_EDGES)                       # vertex 4 does not exist
    with pytest.raises(ValueError, match="edge_index must have shape"):
        layer(torch.ones(6, 3), ODD_EDGES.T)
    with pytest.raises(TypeError, match="graph"):
        layer(torch.ones(6, 3), ODD_EDGES.int())
    with pytest.raises(ValueError, match="dense adjacency"):
        layer(torch.ones(6, 3), -torch.ones(6, 6))
    with pytest.raises(ValueError, match="vertex numbers"):
        fit_nodes(GCN(3, 4, 2), ODD_EDGES, torch.ones(6, 3), torch.zeros(6, dtype=torch.int64), [9])

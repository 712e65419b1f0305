"""Graph neural networks ("The missing bits"): the graph convolution layer, a GCN, node
classification, and tools to look at a graph.

**The book's layer** [Scarselli et al., 2009, as LBDL describes it]: each vertex computes
its new activation as a linear combination of the activations of its neighbours. With
the adjacency matrix A (N, N), A[i, j] = number of edges j → i, activations X (N, D)
and weights W (D', D), bias b (D'),

    Y = A X Wᵀ + b,        i.e.  y_i = Σ_{j → i} W x_j + b                        (sum)

the same W for every vertex, as a convolution uses the same kernel at every position;
but a vertex has no left or right, and its neighbours come in no order, so they all get
the same W.

**Beyond-LBDL: the normalised layer of [Kipf and Welling, 2017]** (GCN): add a
self-loop to every vertex that has none (Ã = A + I for a graph without loops), let
D̃ = diag(Σ_j Ã[i, j]) be the degrees with those loops, and

    Â = D̃^{-1/2} Ã D̃^{-1/2},      Y = Â X Wᵀ + b                             (gcn)

so that a vertex keeps its own activation and a high-degree vertex does not blow up the
sum; Â has its eigenvalues in (−1, 1], and repeated products Â^k X converge (see
:func:`embedding_spread`). Both are ``torch_geometric.nn.GCNConv``'s computation (the
first with ``normalize=False``, the second with the defaults); a test checks outputs
and gradients with the same weights.

:class:`GraphConv` takes the graph either as ``edge_index`` (2, E) int64, as
``torch_geometric`` does (column e is an edge from ``edge_index[0, e]`` to
``edge_index[1, e]``; an undirected graph lists both directions; repeated edges count
twice), or as a dense adjacency (N, N) float (entry [i, j] for j → i). It forms the
dense (N, N) matrix: fine for graphs of hundreds of vertices; libraries use sparse
products (scatter) for millions.

:class:`GCN` stacks such layers with ReLUs; :func:`fit_nodes` trains it on the labels of a
few vertices (semi-supervised node classification, through :func:`lbdl_book.fit`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import _kind, boolean, module, non_negative_int, positive_int
from ..nn.activations import ReLU
from ..nn.fused import set_fused
from ..nn.linear import Linear
from ..train import History, fit

__all__ = ["adjacency", "propagation_matrix", "GraphConv", "GCN", "masked_cross_entropy", "fit_nodes", "accuracy",
           "embedding_spread", "hop_distances", "nearest_seed", "spring_layout"]


# --- the graph ---------------------------------------------------------------------------

def _num_nodes(num_nodes, name: str = "num_nodes") -> int | None:
    if num_nodes is None:
        return None
    return positive_int(num_nodes, name)


def adjacency(graph: torch.Tensor, num_nodes: int | None = None) -> torch.Tensor:
    """The dense adjacency matrix (N, N), entry [i, j] = number (or weight) of edges j → i.

    ``graph`` is an ``edge_index`` (2, E) of int64 vertex numbers (as ``torch_geometric``)
    or already a dense adjacency (N, N) of a floating dtype, returned as is (checked).
    ``num_nodes`` is N; for an ``edge_index`` it defaults to 1 + the largest vertex number.
    An ``edge_index`` gives a float32 matrix."""
    if not isinstance(graph, torch.Tensor):
        raise TypeError(f"graph must be an edge_index (2, E) int64 tensor or a dense adjacency (N, N) float tensor, "
                        f"got {_kind(graph)}")
    num_nodes = _num_nodes(num_nodes)
    if graph.is_floating_point():
        if graph.dim() != 2 or graph.shape[0] != graph.shape[1] or graph.shape[0] == 0:
            raise ValueError(f"graph: a dense adjacency must have shape (N, N) with N >= 1, got {tuple(graph.shape)}")
        if num_nodes is not None and graph.shape[0] != num_nodes:
            raise ValueError(f"graph has {graph.shape[0]} vertices but num_nodes is {num_nodes}")
        if not torch.isfinite(graph).all() or (graph < 0).any():
            raise ValueError("graph: a dense adjacency must have finite entries >= 0")
        return graph
    if graph.dtype != torch.int64:
        raise TypeError(f"graph must be an edge_index of int64 vertex numbers or a float adjacency, got {graph.dtype}")
    if graph.dim() != 2 or graph.shape[0] != 2:
        raise ValueError(f"graph: an edge_index must have shape (2, E), got {tuple(graph.shape)}")
    if graph.numel() and graph.min() < 0:
        raise ValueError(f"graph: vertex numbers must be >= 0, got {graph.min().item()}")
    largest = int(graph.max()) + 1 if graph.numel() else 0
    if num_nodes is None:
        if largest == 0:
            raise ValueError("graph has no edges: give num_nodes")
        num_nodes = largest
    elif largest > num_nodes:
        raise ValueError(f"graph names vertex {largest - 1}, but num_nodes is {num_nodes}")
    a = torch.zeros(num_nodes, num_nodes, device=graph.device)
    a.index_put_((graph[1], graph[0]), torch.ones(graph.shape[1], device=graph.device), accumulate=True)
    return a


def propagation_matrix(graph: torch.Tensor, num_nodes: int | None = None, *, normalize: bool = True,
                       dtype: torch.dtype | None = None) -> torch.Tensor:
    """The (N, N) matrix a graph convolution multiplies the activations by: A itself
    (``normalize=False``, the book's sum over the neighbours) or Â = D̃^{-1/2} Ã D̃^{-1/2}
    (``normalize=True``, Kipf and Welling), Ã = A plus a self-loop of weight 1 on every
    vertex that has none (as ``torch_geometric``'s ``gcn_norm``), D̃ its row sums (the
    in-degrees). ``graph`` and ``num_nodes`` as in :func:`adjacency`; ``dtype`` defaults
    to the adjacency's."""
    boolean(normalize, "normalize")
    if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating-point torch.dtype or None, got {dtype!r}")
    a = adjacency(graph, num_nodes)
    if dtype is not None:
        a = a.to(dtype)
    if not normalize:
        return a
    a = a + torch.diag((a.diagonal() == 0).to(a.dtype))
    scale = a.sum(1).rsqrt()                                    # every row has its loop: degree >= 1
    return scale[:, None] * a * scale[None, :]


# --- the layer and the network -------------------------------------------------------------

class GraphConv(nn.Module):
    """A graph convolution: ``Y = P X Wᵀ + b`` with P = A (``normalize=False``, the book's
    neighbour sum) or P = Â (``normalize=True``, Kipf and Welling); see the module
    docstring. ``forward(x, graph)``: x (..., N, in_features), graph an ``edge_index``
    (2, E) int64 or a dense adjacency (N, N) → (..., N, out_features).

    Parameters: ``weight`` (out_features, in_features) (in ``self.linear``, a
    :class:`lbdl_book.nn.linear.Linear` without bias, Glorot-uniform initialised like
    ``GCNConv``) and ``bias`` (out_features,) (zeros), added after the aggregation as in
    ``GCNConv``."""

    def __init__(self, in_features: int, out_features: int, normalize: bool = True, bias: bool = True):
        super().__init__()
        positive_int(in_features, "in_features")
        positive_int(out_features, "out_features")
        self.normalize = boolean(normalize, "normalize")
        boolean(bias, "bias")
        self.linear = Linear(in_features, out_features, bias=False)
        nn.init.xavier_uniform_(self.linear.weight)
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        self.in_features, self.out_features = in_features, out_features

    def extra_repr(self) -> str:
        return (f"{self.in_features}, {self.out_features}, normalize={self.normalize}, "
                f"bias={self.bias is not None}")

    def _check_x(self, x) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError(f"x must be a floating-point tensor (..., N, {self.in_features}), got {_kind(x)}")
        if x.dim() < 2 or x.shape[-1] != self.in_features or x.shape[-2] == 0:
            raise ValueError(f"x must have shape (..., N, {self.in_features}) with N >= 1, got {tuple(x.shape)}")
        if x.dtype != self.linear.weight.dtype:
            raise TypeError(f"x must have the dtype of the parameters ({self.linear.weight.dtype}), got {x.dtype}")
        return x

    def propagate(self, x: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        """``p @ (x Wᵀ) + b`` for a propagation matrix ``p`` (N, N) already formed
        (:func:`propagation_matrix`): what :class:`GCN` calls, forming p once per forward."""
        y = p @ self.linear(x)
        return y + self.bias if self.bias is not None else y

    def forward(self, x: torch.Tensor, graph: torch.Tensor) -> torch.Tensor:
        x = self._check_x(x)
        p = propagation_matrix(graph, x.shape[-2], normalize=self.normalize, dtype=x.dtype).to(x.device)
        return self.propagate(x, p)


class GCN(nn.Module):
    """A graph convolutional network: ``num_layers`` :class:`GraphConv` layers with a ReLU
    between two of them (none after the last, whose outputs are logits):
    in_features → hidden → … → hidden → out_features (one layer: in → out).
    ``forward(x, graph)``: x (..., N, in_features) → (..., N, out_features);
    :meth:`hidden_states` returns every layer's output. ``fused=True``: the Linear and ReLU
    components run PyTorch's kernels (:mod:`lbdl_book.nn.fused`).

    Parameters: Σ over layers of (in·out + out)."""

    def __init__(self, in_features: int, hidden_features: int, out_features: int, num_layers: int = 2, *,
                 normalize: bool = True, fused: bool = True):
        super().__init__()
        positive_int(in_features, "in_features")
        positive_int(hidden_features, "hidden_features")
        positive_int(out_features, "out_features")
        positive_int(num_layers, "num_layers")
        self.normalize = boolean(normalize, "normalize")
        widths = [in_features] + [hidden_features] * (num_layers - 1) + [out_features]
        self.layers = nn.ModuleList(GraphConv(a, b, normalize=normalize) for a, b in zip(widths, widths[1:]))
        self.relu = ReLU()
        set_fused(self, boolean(fused, "fused"))

    def hidden_states(self, x: torch.Tensor, graph: torch.Tensor) -> list[torch.Tensor]:
        """The output of every layer (after its ReLU, except the last: logits), a list of
        ``num_layers`` tensors (..., N, width)."""
        x = self.layers[0]._check_x(x)
        p = propagation_matrix(graph, x.shape[-2], normalize=self.normalize, dtype=x.dtype).to(x.device)
        states = []
        for k, layer in enumerate(self.layers):
            x = layer.propagate(x, p)
            if k < len(self.layers) - 1:
                x = self.relu(x)
            states.append(x)
        return states

    def forward(self, x: torch.Tensor, graph: torch.Tensor) -> torch.Tensor:
        return self.hidden_states(x, graph)[-1]


# --- training and evaluation -------------------------------------------------------------

def masked_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The cross-entropy of ``logits`` (..., N, C) averaged over the vertices whose
    ``targets`` (..., N) int64 is a class in [0, C); a target of −1 marks an unlabelled
    vertex, which does not count. At least one vertex must be labelled."""
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError(f"logits must be a floating-point tensor (..., N, C), got {_kind(logits)}")
    if not isinstance(targets, torch.Tensor) or targets.dtype != torch.int64:
        raise TypeError(f"targets must be an int64 tensor (..., N), got {_kind(targets)}")
    if logits.dim() < 2 or targets.shape != logits.shape[:-1] or logits.shape[-1] == 0:
        raise ValueError(f"targets {tuple(targets.shape)} must be the shape of logits {tuple(logits.shape)} "
                         "without its last axis")
    if (targets < -1).any() or (targets >= logits.shape[-1]).any():
        raise ValueError(f"targets must be −1 (unlabelled) or a class in [0, {logits.shape[-1] - 1}]")
    if not (targets >= 0).any():
        raise ValueError("targets: no vertex is labelled")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)


class _OnGraph(nn.Module):
    """``model(x, graph)`` as a one-argument module, the graph travelling as a buffer, so
    that :func:`lbdl_book.fit` (and its device placement) can train it."""

    def __init__(self, model: nn.Module, graph: torch.Tensor):
        super().__init__()
        self.model = model
        self.register_buffer("graph", graph)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, self.graph)


def _nodes(nodes, n: int, name: str) -> torch.Tensor:
    if not isinstance(nodes, torch.Tensor):
        if isinstance(nodes, (str, bytes)) or not hasattr(nodes, "__iter__"):
            raise TypeError(f"{name} must be a sequence or tensor of vertex numbers, got {_kind(nodes)}")
        nodes = list(nodes)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in nodes):
            raise TypeError(f"{name} must hold int vertex numbers")
        nodes = torch.tensor(nodes, dtype=torch.int64)
    if nodes.dtype != torch.int64 or nodes.dim() != 1 or nodes.numel() == 0:
        raise ValueError(f"{name} must be a non-empty 1-D list of vertex numbers, got {_kind(nodes)}")
    if nodes.min() < 0 or nodes.max() >= n:
        raise ValueError(f"{name} must be vertex numbers in [0, {n - 1}]")
    return nodes


def fit_nodes(model: nn.Module, graph: torch.Tensor, features: torch.Tensor, labels: torch.Tensor, train_nodes, *,
              steps: int = 200, lr: float = 0.01, weight_decay: float = 5e-4, seed: int = 0,
              device=None) -> History:
    """Train ``model`` (called as ``model(features, graph)``, e.g. a :class:`GCN`) to
    predict ``labels`` (N,) int64 from the labels of ``train_nodes`` only: ``steps``
    full-graph steps of Adam (learning rate ``lr``, L2 ``weight_decay``) on
    :func:`masked_cross_entropy`, through :func:`lbdl_book.fit` (one "sample": the whole
    graph), in float32 on every device (no autocast: these models are tiny). Deterministic:
    the first k steps of a run are a run of k steps."""
    module(model, "model")
    if not isinstance(features, torch.Tensor) or not features.is_floating_point() or features.dim() != 2:
        raise TypeError(f"features must be a float tensor (N, F), got {_kind(features)}")
    n = features.shape[0]
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64 or labels.shape != (n,):
        raise TypeError(f"labels must be an int64 tensor ({n},), got {_kind(labels)}")
    if (labels < 0).any():
        raise ValueError("labels must be classes >= 0")
    adjacency(graph, n)                                          # checks the graph against N
    nodes = _nodes(train_nodes, n, "train_nodes")
    positive_int(steps, "steps")
    nodes = nodes.to(labels.device)
    targets = torch.full((n,), -1, dtype=torch.int64, device=labels.device)
    targets[nodes] = labels[nodes]
    return fit(_OnGraph(model, graph), masked_cross_entropy, (features[None], targets[None]), epochs=steps, lr=lr,
               optimizer="adam", weight_decay=weight_decay, seed=seed, device=device, progress=False, amp=False)


def accuracy(logits: torch.Tensor, labels: torch.Tensor, nodes=None) -> float:
    """The share of ``nodes`` (default: all) whose argmax of ``logits`` (N, C) is the label
    (``labels`` (N,) int64)."""
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point() or logits.dim() != 2:
        raise TypeError(f"logits must be a float tensor (N, C), got {_kind(logits)}")
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64 or labels.shape != logits.shape[:1]:
        raise TypeError(f"labels must be an int64 tensor ({logits.shape[0]},), got {_kind(labels)}")
    n = logits.shape[0]
    nodes = torch.arange(n) if nodes is None else _nodes(nodes, n, "nodes")
    nodes = nodes.to(logits.device)
    return (logits.argmax(-1)[nodes] == labels.to(logits.device)[nodes]).double().mean().item()


def embedding_spread(h: torch.Tensor) -> float:
    """How far the vertices' vectors ``h`` (N, D) are from all pointing the same way: the
    mean, over the vertices, of the distance between the unit vector h_i / |h_i| and the
    mean of those unit vectors (0 when all are parallel). Repeated normalised
    propagation Â^k X drives it to 0 on a connected graph: every column of Â^k X tends to
    a multiple of the same vector (√degrees), as fast as |λ₂|^k, λ₂ the eigenvalue of Â of
    second largest modulus (*over-smoothing*). Vertices with h_i = 0 are left out; if
    every h_i is 0 (dead ReLUs), all vectors are equal and the spread is 0."""
    if not isinstance(h, torch.Tensor) or not h.is_floating_point():
        raise TypeError(f"h must be a float tensor (N, D), got {_kind(h)}")
    if h.dim() != 2 or h.shape[0] == 0 or h.shape[1] == 0:
        raise ValueError(f"h must have shape (N, D) with N, D >= 1, got {tuple(h.shape)}")
    norms = h.norm(dim=1, keepdim=True)
    keep = norms[:, 0] > 0
    if not keep.any():
        return 0.0
    u = h[keep] / norms[keep]
    return (u - u.mean(0)).norm(dim=1).mean().item()


# --- baselines and layout ------------------------------------------------------------------

def hop_distances(graph: torch.Tensor, sources, num_nodes: int | None = None) -> torch.Tensor:
    """Shortest-path lengths (number of edges, following edge directions) from each of
    ``sources`` to every vertex: (len(sources), N) int64, −1 where unreachable."""
    a = adjacency(graph, num_nodes).cpu() > 0
    n = a.shape[0]
    sources = _nodes(sources, n, "sources")
    dist = torch.full((len(sources), n), -1, dtype=torch.int64)
    frontier = torch.zeros(len(sources), n, dtype=torch.bool)
    frontier[torch.arange(len(sources)), sources] = True
    step = 0
    while frontier.any():
        dist[frontier] = step
        reached = (frontier.float() @ a.T.float()) > 0              # a[i, j]: j → i
        frontier = reached & (dist < 0)
        step += 1
    return dist


def nearest_seed(graph: torch.Tensor, seeds, seed_labels, num_nodes: int | None = None) -> torch.Tensor:
    """The trivial baseline of node classification: each vertex takes the label of the
    nearest labelled vertex (``seeds``, with labels ``seed_labels``), in hops; −1 where
    the nearest seeds disagree (a tie) or none is reachable. (N,) int64."""
    n = adjacency(graph, num_nodes).shape[0]
    d = hop_distances(graph, _nodes(seeds, n, "seeds"), num_nodes)
    if not isinstance(seed_labels, torch.Tensor):
        if isinstance(seed_labels, (str, bytes)) or not hasattr(seed_labels, "__iter__"):
            raise TypeError(f"seed_labels must be a sequence or tensor of int labels, got {_kind(seed_labels)}")
        seed_labels = list(seed_labels)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in seed_labels):
            raise TypeError("seed_labels must hold int labels")
        seed_labels = torch.tensor(seed_labels, dtype=torch.int64)
    seed_labels = seed_labels.cpu()
    if seed_labels.dtype != torch.int64 or seed_labels.shape != (d.shape[0],) or (seed_labels < 0).any():
        raise ValueError(f"seed_labels must be {d.shape[0]} int labels >= 0, one per seed, got {_kind(seed_labels)}")
    d = torch.where(d < 0, torch.iinfo(torch.int64).max, d)
    nearest = d == d.min(0).values
    out = torch.full((d.shape[1],), -1, dtype=torch.int64)
    for i in range(d.shape[1]):
        found = seed_labels[nearest[:, i]].unique()
        if len(found) == 1 and d[:, i].min() < torch.iinfo(torch.int64).max:
            out[i] = found[0]
    return out


def spring_layout(graph: torch.Tensor, num_nodes: int | None = None, *, iterations: int = 200) -> torch.Tensor:
    """Positions (N, 2) for drawing a graph, a few lines of torch: start from the
    spectral layout (the eigenvectors of the Laplacian L = D − A, A symmetrised, for its
    2nd and 3rd smallest eigenvalues), then ``iterations`` steps of Fruchterman and
    Reingold's forces (every pair repels with k²/d, every edge attracts with d²/k, steps
    capped by a temperature that cools linearly). Deterministic; positions in [−1, 1]²."""
    a = adjacency(graph, num_nodes).cpu().double()
    a = ((a + a.T) > 0).double()
    a.fill_diagonal_(0)
    n = a.shape[0]
    non_negative_int(iterations, "iterations")
    if n < 3:
        return torch.tensor([[-1.0, 0.0], [1.0, 0.0]])[:n]
    _, vectors = torch.linalg.eigh(torch.diag(a.sum(1)) - a)
    pos = vectors[:, 1:3].clone()
    pos *= pos[pos.abs().argmax(0), torch.arange(2)].sign()            # eigenvectors' signs are arbitrary
    pos /= pos.abs().max()
    k = math.sqrt(4.0 / n)
    for it in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]                       # (N, N, 2): i − j
        d = delta.norm(dim=-1).clamp_min(1e-3)
        force = (k * k / d**2 - a * d / k)[..., None] * delta          # repulsion − attraction, along i − j
        move = force.sum(1)
        temperature = 0.1 * (1 - it / max(iterations, 1))
        length = move.norm(dim=1, keepdim=True).clamp_min(1e-9)
        pos = pos + move / length * length.clamp_max(temperature)
    pos = pos - pos.mean(0)
    return (pos / pos.abs().max()).float()

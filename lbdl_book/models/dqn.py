"""Reinforcement learning (LBDL §6.7): value iteration and tabular Q-learning on a
gridworld, and the Deep Q-Network (DQN) of [Mnih et al., 2015] playing Catch.

**Tabular.** For a finite MDP with known tables P(s' | s, a) and r(s, a)
(:class:`lbdl_book.data.games.GridWorld`), the optimal state-action values Q* are the
fixed point of the Bellman optimality operator (LBDL Eq. 6.1)

    (B Q)(s, a) = r(s, a) + γ Σ_{s'} P(s' | s, a) max_{a'} Q(s', a')   (0 at terminal s'),

a γ-contraction in the max norm: :func:`value_iteration` applies it until it moves Q by
less than ``tol · (1 − γ) / γ``, which puts Q within ``tol`` of Q*. :func:`q_learning`
never sees the tables, only sampled transitions (s, a, r, s'), and moves Q(s, a) a
fraction α towards r + γ max_{a'} Q(s', a'). With deterministic moves and α = 1 each
update *is* a Bellman backup of one entry, so once every entry has been updated often
enough, in any order, Q-learning lands on Q* (to rounding).

**DQN.** The state S_t is the current image and the three before it
(:class:`FrameStack`; at the start of an episode the first image is repeated), and
Q(s, ·; w) is a convolutional network with one output per action (:class:`QNetwork`).
Training alternates playing, with the ε-greedy policy (:func:`epsilon_greedy`: a random
action with probability ε, else argmax_a Q(s, a; w)), storing the transitions in a
*replay memory* (:class:`ReplayMemory`), and one gradient step on a mini-batch drawn from
it, minimising LBDL Eq. 6.2 (:func:`dqn_loss`):

    L(w) = (1/N) Σ_n (Q(s_n, a_n; w) − y_n)²,  y_n = r_n at the end of an episode,
                                               y_n = r_n + γ max_a Q(s'_n, a; w̄) otherwise,

where w̄ is a copy of w that receives no gradient and is refreshed every
``target_every`` steps (the *target network*). :func:`train_dqn` is that loop; it
accepts any Q-network whose input is the stacked observations (N, k, *obs_shape) and
whose output is (N, actions), and any environment with the Gymnasium interface (a test
runs it on Gymnasium's ``CartPole-v1`` with an MLP).

**The network.** The book describes two convolutional layers and one fully connected
layer with one output per action. The 2013 workshop paper [Mnih et al., 2013] has two
convolutional layers, a hidden fully connected layer of 256 units and a linear output
layer; the Nature paper the book cites [Mnih et al., 2015] has three convolutional layers,
a hidden layer of 512 units and the output layer. :class:`QNetwork` follows the 2013
layout at the scale of Catch: two 3 × 3 convolutions (the second with stride 2), a hidden
layer and the output layer.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from .._checks import boolean, model_input, module, positive_int, positive_real
from ..nn.activations import ReLU
from ..nn.conv import Conv2d
from ..nn.fused import set_fused
from ..nn.linear import Linear

__all__ = ["value_iteration", "q_learning", "QNetwork", "FrameStack", "ReplayMemory", "dqn_loss", "epsilon_greedy",
           "train_dqn", "DQNRun", "Episode", "play", "win_rate", "train_shipped", "GAMMA", "STEPS"]

GAMMA = 0.9          # the discount of the Catch runs (and of the gridworld on the page)
STEPS = 20_000       # environment steps of the shipped run


def _gamma(gamma) -> float:
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not 0 < gamma < 1:
        raise ValueError(f"gamma must be a discount factor in (0, 1), got {gamma!r}")
    return float(gamma)


def _probability(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return float(value)


# --- tabular ----------------------------------------------------------------------------

def value_iteration(tables, gamma: float = GAMMA, tol: float = 1e-12) -> np.ndarray:
    """Q* (S, A), float64, of the MDP ``tables`` (:class:`lbdl_book.data.games.MDPTables`:
    P (S, A, S), R (S, A), terminal (S,)) for the discount ``gamma``, within ``tol`` in
    the max norm: Bellman backups until one moves Q by at most tol · (1 − γ) / γ."""
    P, R, terminal = _tables(tables)
    gamma = _gamma(gamma)
    positive_real(tol, "tol")
    Q = np.zeros_like(R)
    while True:
        V = np.where(terminal, 0.0, Q.max(1))
        new = R + gamma * P @ V
        change = np.abs(new - Q).max()
        Q = new
        if change <= tol * (1 - gamma) / gamma:
            return Q


def _tables(tables):
    try:
        P, R, terminal = (np.asarray(x) for x in tables)
    except (TypeError, ValueError):
        raise TypeError(f"tables must be (P, R, terminal) arrays (an MDPTables), got {type(tables).__name__}") from None
    if P.ndim != 3 or R.shape != P.shape[:2] or P.shape[2] != P.shape[0] or terminal.shape != (P.shape[0],):
        raise ValueError(f"tables must hold P (S, A, S), R (S, A) and terminal (S,), got shapes "
                         f"{P.shape}, {R.shape}, {terminal.shape}")
    return P.astype(np.float64), R.astype(np.float64), terminal.astype(bool)


def q_learning(world, gamma: float = GAMMA, episodes: int = 2000, alpha: float = 1.0, epsilon: float = 1.0,
               seed: int = 0, max_steps: int = 100) -> np.ndarray:
    """Tabular Q-learning on ``world`` (a :class:`~lbdl_book.data.games.GridWorld`, used
    only through ``sample``): each episode starts in a random non-terminal state (so that
    every state is visited), acts ε-greedily on the current Q, and updates
    Q(s, a) ← Q(s, a) + α (r + γ max_a' Q(s', a') − Q(s, a)), with max_a' Q(s', ·) = 0 at a
    terminal s'. Returns Q (S, A), float64."""
    for name in ("sample", "n_states", "n_actions", "terminal"):
        if not hasattr(world, name):
            raise TypeError(f"world must be a GridWorld (with sample, n_states, n_actions, terminal), "
                            f"got {type(world).__name__}")
    gamma = _gamma(gamma)
    positive_int(episodes, "episodes")
    positive_int(max_steps, "max_steps")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha <= 1:
        raise ValueError(f"alpha must be a step size in (0, 1], got {alpha!r}")
    epsilon = _probability(epsilon, "epsilon")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    rng = np.random.default_rng(seed)
    Q = np.zeros((world.n_states, world.n_actions))
    starts = np.flatnonzero(~np.asarray(world.terminal))
    for _ in range(episodes):
        s = int(rng.choice(starts))
        for _ in range(max_steps):
            a = int(rng.integers(world.n_actions)) if rng.random() < epsilon else int(Q[s].argmax())
            s2, r, done = world.sample(s, a, rng)
            target = r + (0.0 if done else gamma * Q[s2].max())
            Q[s, a] += alpha * (target - Q[s, a])
            if done:
                break
            s = s2
    return Q


# --- DQN --------------------------------------------------------------------------------

class QNetwork(nn.Module):
    """Q(s, ·; w) for images: (N, frames, height, width) → (N, actions). Two 3 × 3
    convolutions with ReLU (``channels[0]`` at full resolution, then ``channels[1]`` with
    stride 2), a hidden fully connected layer of ``hidden`` units with ReLU, and a linear
    output layer, one value per action (module docstring)."""

    def __init__(self, frames: int = 4, height: int = 10, width: int = 8, actions: int = 3,
                 channels: tuple[int, int] = (16, 32), hidden: int = 128, fused: bool = True):
        super().__init__()
        for value, name in ((frames, "frames"), (height, "height"), (width, "width"), (actions, "actions"),
                            (hidden, "hidden")):
            positive_int(value, name)
        if not isinstance(channels, (tuple, list)) or len(channels) != 2:
            raise TypeError(f"channels must be a pair of ints, got {channels!r}")
        for c in channels:
            positive_int(c, "channels")
        boolean(fused, "fused")
        self.input_shape = (frames, height, width)
        self.features = nn.Sequential(Conv2d(frames, channels[0], 3, padding=1), ReLU(),
                                      Conv2d(channels[0], channels[1], 3, stride=2, padding=1), ReLU())
        flat = channels[1] * ((height + 1) // 2) * ((width + 1) // 2)
        self.head = nn.Sequential(Linear(flat, hidden), ReLU(), Linear(hidden, actions))
        set_fused(self, fused)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        model_input(x, self)
        if x.dim() != 4 or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.input_shape))}), got {tuple(x.shape)}")
        return self.head(self.features(x).flatten(1))


def _env(env, name: str = "env"):
    for attribute in ("reset", "step", "action_space"):
        if not hasattr(env, attribute):
            raise TypeError(f"{name} must have the Gymnasium Env interface (reset, step, action_space), "
                            f"got {type(env).__name__}")
    return env


class FrameStack:
    """The state of DQN: the last ``k`` observations of ``env``, stacked on a new first
    axis, (k, *obs_shape) float32; after ``reset`` the first observation fills all k slots
    (as Gymnasium's ``FrameStackObservation(env, k, padding_type="reset")``)."""

    def __init__(self, env, k: int = 4):
        self.env = _env(env)
        self.k = positive_int(k, "k")
        self.frames: list[np.ndarray] = []

    @property
    def action_space(self):
        return self.env.action_space

    def _state(self) -> np.ndarray:
        return np.stack(self.frames).astype(np.float32)

    def reset(self, **kwargs):
        observation, info = self.env.reset(**kwargs)
        self.frames = [np.asarray(observation)] * self.k
        return self._state(), info

    def step(self, action):
        observation, reward, terminated, truncated, info = self.env.step(action)
        self.frames = [*self.frames[1:], np.asarray(observation)]
        return self._state(), reward, terminated, truncated, info


class ReplayMemory:
    """The last ``capacity`` transitions (s, a, r, s', done), and uniform mini-batches of
    them drawn with the generator of seed ``seed`` (``sample``)."""

    def __init__(self, capacity: int, seed: int = 0):
        self.capacity = positive_int(capacity, "capacity")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {seed!r}")
        self.generator = torch.Generator().manual_seed(seed)
        self.size, self.position, self.storage = 0, 0, None

    def __len__(self) -> int:
        return self.size

    def push(self, state, action: int, reward: float, next_state, done: bool) -> None:
        state, next_state = torch.as_tensor(state, dtype=torch.float32), torch.as_tensor(next_state, dtype=torch.float32)
        if self.storage is None:
            self.storage = (torch.zeros(self.capacity, *state.shape), torch.zeros(self.capacity, dtype=torch.long),
                            torch.zeros(self.capacity), torch.zeros(self.capacity, *state.shape),
                            torch.zeros(self.capacity, dtype=torch.bool))
        if state.shape != self.storage[0].shape[1:] or next_state.shape != state.shape:
            raise ValueError(f"state and next_state must have shape {tuple(self.storage[0].shape[1:])}, got "
                             f"{tuple(state.shape)} and {tuple(next_state.shape)}")
        for tensor, value in zip(self.storage, (state, int(action), float(reward), next_state, bool(done))):
            tensor[self.position] = value
        self.position = (self.position + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int) -> tuple[torch.Tensor, ...]:
        """(states, actions, rewards, next_states, done) of ``batch_size`` transitions drawn
        uniformly with replacement."""
        positive_int(batch_size, "batch_size")
        if self.size == 0:
            raise ValueError("the memory is empty: push transitions before sampling")
        index = torch.randint(self.size, (batch_size,), generator=self.generator)
        return tuple(tensor[index] for tensor in self.storage)


def dqn_loss(q_net: nn.Module, target_net: nn.Module, states: torch.Tensor, actions: torch.Tensor,
             rewards: torch.Tensor, next_states: torch.Tensor, done: torch.Tensor, gamma: float = GAMMA) -> torch.Tensor:
    """LBDL Eq. 6.2: mean over the batch of (Q(s_n, a_n; w) − y_n)², with y_n = r_n where
    ``done`` and r_n + γ max_a Q(s'_n, a; w̄) otherwise; w are the parameters of ``q_net``,
    w̄ those of ``target_net``, through which no gradient flows (the targets are computed
    under ``torch.no_grad``). Shapes: states, next_states (N, …); actions (N,) int64;
    rewards (N,) float; done (N,) bool."""
    module(q_net, "q_net")
    module(target_net, "target_net")
    gamma = _gamma(gamma)
    for value, name in ((states, "states"), (next_states, "next_states"), (rewards, "rewards")):
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got {type(value).__name__}")
    for value, name, dtype in ((actions, "actions", torch.long), (done, "done", torch.bool)):
        if not isinstance(value, torch.Tensor) or value.dtype != dtype:
            raise TypeError(f"{name} must be a {dtype} tensor, got "
                            f"{value.dtype if isinstance(value, torch.Tensor) else type(value).__name__}")
    n = states.shape[0] if states.dim() else 0
    if n == 0 or next_states.shape != states.shape or any(v.shape != (n,) for v in (actions, rewards, done)):
        raise ValueError(f"states and next_states must be (N, ...) with N >= 1 and actions, rewards, done (N,), got "
                         f"{tuple(states.shape)}, {tuple(next_states.shape)}, {tuple(actions.shape)}, "
                         f"{tuple(rewards.shape)}, {tuple(done.shape)}")
    q = q_net(states).gather(1, actions[:, None]).squeeze(1)
    with torch.no_grad():
        bootstrap = target_net(next_states).max(1).values
        y = torch.where(done, rewards, rewards + gamma * bootstrap)
    return ((q - y) ** 2).mean()


def epsilon_greedy(q_net: nn.Module, state, epsilon: float, generator: torch.Generator | None = None) -> int:
    """With probability ``epsilon`` a uniformly random action, else argmax_a Q(state, a)
    (``state``: one state, without the batch axis)."""
    module(q_net, "q_net")
    epsilon = _probability(epsilon, "epsilon")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be None or a torch.Generator, got {type(generator).__name__}")
    if not isinstance(state, (torch.Tensor, np.ndarray)):
        raise TypeError(f"state must be a tensor or a numpy array, got {type(state).__name__}")
    parameter = next(q_net.parameters())
    with torch.no_grad():
        try:
            q = q_net(torch.as_tensor(state, dtype=parameter.dtype, device=parameter.device)[None])[0]
        except (ValueError, RuntimeError) as error:
            raise ValueError(f"state of shape {tuple(state.shape)} does not fit q_net: {error}") from None
    if torch.rand((), generator=generator).item() < epsilon:
        return int(torch.randint(q.shape[0], (), generator=generator))
    return int(q.argmax())


class DQNRun(NamedTuple):
    """What :func:`train_dqn` records: the return and the last step of every finished
    episode, the loss of every gradient step, ε at every step, and the wall-clock seconds."""

    returns: list
    episode_ends: list
    losses: list
    epsilons: list
    seconds: float


def train_dqn(env, q_net: nn.Module, steps: int, *, stack: int = 4, gamma: float = GAMMA, lr: float = 1e-3,
              batch_size: int = 32, memory: int = 10_000, epsilon_start: float = 1.0, epsilon_end: float = 0.05,
              explore_steps: int | None = None, target_every: int = 250, learn_start: int = 500,
              seed: int = 0, callback: Callable | None = None) -> DQNRun:
    """Train ``q_net`` in place by DQN for ``steps`` environment steps (module docstring):
    play ε-greedily on :class:`FrameStack` states of ``stack`` frames, ε falling linearly
    from ``epsilon_start`` to ``epsilon_end`` over ``explore_steps`` (default: half the
    steps); store every transition in a :class:`ReplayMemory` of ``memory`` transitions;
    after ``learn_start`` steps, one Adam step of learning rate ``lr`` on
    :func:`dqn_loss` per environment step, on a mini-batch of ``batch_size``; copy w into
    w̄ every ``target_every`` steps. ``callback(step, run)``, if given, is called after
    every finished episode."""
    _env(env)
    module(q_net, "q_net")
    for value, name in ((steps, "steps"), (stack, "stack"), (batch_size, "batch_size"), (memory, "memory"),
                        (target_every, "target_every"), (learn_start, "learn_start")):
        positive_int(value, name)
    gamma = _gamma(gamma)
    positive_real(lr, "lr")
    epsilon_start, epsilon_end = _probability(epsilon_start, "epsilon_start"), _probability(epsilon_end, "epsilon_end")
    explore_steps = positive_int(explore_steps, "explore_steps") if explore_steps is not None else max(steps // 2, 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be None or callable, got {type(callback).__name__}")
    parameter = next(q_net.parameters())
    where = parameter.device
    target_net = copy.deepcopy(q_net).requires_grad_(False)       # w̄: a frozen copy of w
    optimizer = torch.optim.Adam(q_net.parameters(), lr=lr)
    replay, generator = ReplayMemory(memory, seed=seed), torch.Generator().manual_seed(seed)
    game = FrameStack(env, stack)
    if hasattr(env.action_space, "seed"):
        env.action_space.seed(seed)
    run = DQNRun([], [], [], [], 0.0)
    start = time.perf_counter()
    state, _ = game.reset(seed=seed)
    episode_return = 0.0
    for step in range(steps):
        epsilon = epsilon_end + (epsilon_start - epsilon_end) * max(0.0, 1 - step / explore_steps)
        run.epsilons.append(epsilon)
        q_net.eval()
        action = epsilon_greedy(q_net, state, epsilon, generator)
        next_state, reward, terminated, truncated, _ = game.step(action)
        replay.push(state, action, reward, next_state, terminated)
        episode_return += float(reward)
        state = next_state
        if terminated or truncated:
            run.returns.append(episode_return)
            run.episode_ends.append(step)
            if callback is not None:
                callback(step, run)
            state, _ = game.reset()
            episode_return = 0.0
        if step + 1 >= learn_start:
            q_net.train()
            batch = [x.to(where) for x in replay.sample(batch_size)]
            loss = dqn_loss(q_net, target_net, *batch, gamma=gamma)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            run.losses.append(loss.item())
        if (step + 1) % target_every == 0:
            target_net.load_state_dict(q_net.state_dict())
    q_net.eval()
    return run._replace(seconds=time.perf_counter() - start)


class Episode(NamedTuple):
    """One episode played by :func:`play`: the observations (T + 1, *obs_shape) (the first
    one after ``reset``, the last one terminal), the Q-values (T, actions) of the states
    S_0 … S_{T−1} in which an action was taken, the actions (T,), the rewards (T,)."""

    frames: np.ndarray
    q_values: torch.Tensor
    actions: list
    rewards: list


def play(env, q_net: nn.Module, *, stack: int = 4, seed: int | None = None, options: dict | None = None,
         forced: dict | None = None, max_steps: int = 10_000) -> Episode:
    """Play one episode greedily (ε = 0) with ``q_net`` on :class:`FrameStack` states,
    from ``env.reset(seed=seed, options=options)``; ``forced`` maps steps t to actions that
    replace the greedy one (to push the agent off its course)."""
    _env(env)
    module(q_net, "q_net")
    positive_int(stack, "stack")
    positive_int(max_steps, "max_steps")
    if forced is not None and not isinstance(forced, dict):
        raise TypeError(f"forced must be None or a dict step -> action, got {type(forced).__name__}")
    forced = forced or {}
    game = FrameStack(env, stack)
    parameter = next(q_net.parameters())
    state, _ = game.reset(seed=seed, options=options)
    frames, q_values, actions, rewards = [game.frames[-1]], [], [], []
    q_net.eval()
    for t in range(max_steps):
        with torch.no_grad():
            q = q_net(torch.as_tensor(state, dtype=parameter.dtype, device=parameter.device)[None])[0].cpu()
        action = int(forced.get(t, q.argmax()))
        state, reward, terminated, truncated, _ = game.step(action)
        frames.append(game.frames[-1])
        q_values.append(q)
        actions.append(action)
        rewards.append(float(reward))
        if terminated or truncated:
            break
    return Episode(np.stack(frames), torch.stack(q_values), actions, rewards)


def win_rate(q_net: nn.Module, env=None, *, stack: int = 4) -> tuple[int, int]:
    """(wins, games) of the greedy agent ``q_net`` over every start of Catch
    (``env``: a :class:`~lbdl_book.data.games.Catch`, default ``Catch()``). The game is
    deterministic once started, so this is the exact win rate under ``reset``'s uniform
    draw of the start."""
    from ..data.games import Catch

    module(q_net, "q_net")
    env = Catch() if env is None else env
    if not isinstance(env, Catch):
        raise TypeError(f"env must be a Catch game, got {type(env).__name__}")
    starts = env.starts()
    wins = sum(play(env, q_net, stack=stack, options=o).rewards[-1] > 0 for o in starts)
    return int(wins), len(starts)


def train_shipped(quick: bool) -> tuple[QNetwork, dict]:
    """The full run behind ``lbdl_book/weights/dqn.safetensors`` (``make weights``):
    :func:`train_dqn` on ``Catch()`` for :data:`STEPS` steps with the defaults, then the
    exact win rate over all starts (:func:`win_rate`). ``quick=True``: 300 steps."""
    boolean(quick, "quick")
    from ..config import seed_everything
    from ..data.games import Catch

    seed_everything(0)
    steps = 300 if quick else STEPS
    q_net = QNetwork()
    run = train_dqn(Catch(), q_net, steps, learn_start=100 if quick else 500, seed=0)
    wins, games = win_rate(q_net)
    last = run.returns[-min(len(run.returns), 500):]
    curve = [(run.episode_ends[k + 199], sum(r > 0 for r in run.returns[k:k + 200]) / 200)   # wins per 200 episodes
             for k in range(0, len(run.returns) - 199, 200)]
    info = {"steps": steps, "episodes": len(run.returns), "gamma": GAMMA, "lr": 1e-3, "batch_size": 32,
            "memory": 10_000, "target_every": 250, "epsilon": [1.0, 0.05], "explore_steps": max(steps // 2, 1),
            "train_seconds": round(run.seconds, 1), "device": "cpu", "wins": wins, "games": games,
            "win_rate": round(wins / games, 4), "last_500_mean_return": round(sum(last) / max(len(last), 1), 4),
            "parameters": sum(p.numel() for p in q_net.parameters()), "curve": curve, "quick": quick}
    return q_net, info

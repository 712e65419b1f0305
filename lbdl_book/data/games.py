"""Environments for §6.7 (reinforcement learning): a gridworld whose dynamics are known,
and Catch, a small pixel game behind the Gymnasium ``Env`` interface.

**GridWorld.** A Markov decision process small enough to write down: cells of a grid,
four actions (up, right, down, left), a goal cell (reward +1, the episode ends), a pit
(reward −1, the episode ends), walls, and with probability ``slip`` the move goes to one
of the two perpendicular directions instead (half each). A move into a wall or off the
grid leaves the agent where it was. :meth:`GridWorld.transitions` gives the tables
P(s' | s, a) and r(s, a) that value iteration needs; :meth:`GridWorld.sample` draws one
transition, which is all that Q-learning sees.

**Catch.** A ball falls from the top row of a ``height × width`` image, one row per
step, with a horizontal speed of −1, 0 or +1 column per step, bouncing off the side
walls; a paddle two pixels wide on the bottom row moves one column left, stays, or moves
one column right (actions 0, 1, 2). When the ball reaches the bottom row the episode
ends with reward +1 if the paddle is under it (a win) and −1 otherwise; every other step
gives 0. An observation is the image, float32 (height, width): 1 for the ball, 0.5 for
the paddle, 0 elsewhere. One image does not say where the ball is going (its speed is
not in it); two consecutive ones do, which is why DQN stacks frames.

A start is (ball column, ball speed, paddle column), drawn uniformly by ``reset(seed=...)``
or chosen with ``reset(options={"ball": c, "speed": v, "paddle": p})``; the game is then
deterministic, so a policy's win rate over all ``width · 3 · (width − 1)`` starts is
exact (:meth:`Catch.starts`). The paddle can always reach the ball: it has
``height − 1`` moves to cover at most ``width − 2`` columns.

``Catch`` subclasses ``gymnasium.Env`` when Gymnasium is installed (a test runs
Gymnasium's ``check_env`` on it); without it the same interface is provided by a small
base class, so the package does not need Gymnasium to run.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._checks import positive_int

try:                                   # the interface of the ecosystem, when installed (DESIGN rule 11)
    import gymnasium as _gym
    from gymnasium import spaces as _spaces
except ImportError:                    # pragma: no cover - exercised where Gymnasium is absent
    _gym = None
    _spaces = None

__all__ = ["GridWorld", "Catch", "MDPTables", "GRID_LAYOUT", "ACTION_NAMES"]

GRID_LAYOUT = ("...G",
               ".#.P",
               "....",
               "S...")
"""The default gridworld: S start, G goal (+1), P pit (−1), # wall, . free."""

ACTION_NAMES = ("up", "right", "down", "left")
_MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))


class MDPTables(NamedTuple):
    """The dynamics of a finite MDP: ``P`` (S, A, S) transition probabilities, ``R`` (S, A)
    expected rewards, ``terminal`` (S,) bool (no action is taken from a terminal state)."""

    P: np.ndarray
    R: np.ndarray
    terminal: np.ndarray


class GridWorld:
    """A gridworld MDP (module docstring). States are the cells that are not walls,
    numbered row by row; :attr:`cells` gives their (row, column)."""

    def __init__(self, layout=GRID_LAYOUT, slip: float = 0.0):
        if isinstance(layout, (str, bytes)) or not isinstance(layout, (list, tuple)) or not layout \
                or not all(isinstance(row, str) and row for row in layout) or len({len(r) for r in layout}) != 1:
            raise TypeError(f"layout must be a non-empty tuple of equal-length strings, got {layout!r}")
        if set("".join(layout)) - set(".#SGP"):
            raise ValueError(f"layout may contain only '.', '#', 'S', 'G' and 'P', got {layout!r}")
        if "".join(layout).count("S") != 1 or "G" not in "".join(layout):
            raise ValueError(f"layout needs one start 'S' and at least one goal 'G', got {layout!r}")
        if isinstance(slip, bool) or not isinstance(slip, (int, float)) or not 0 <= slip < 1:
            raise ValueError(f"slip must be a probability in [0, 1), got {slip!r}")
        self.layout, self.slip = tuple(layout), float(slip)
        self.cells = [(i, j) for i, row in enumerate(layout) for j, c in enumerate(row) if c != "#"]
        self.index = {cell: s for s, cell in enumerate(self.cells)}
        self.start = next(s for s, (i, j) in enumerate(self.cells) if layout[i][j] == "S")
        self.rewards = np.array([{"G": 1.0, "P": -1.0}.get(layout[i][j], 0.0) for i, j in self.cells])
        self.terminal = np.array([layout[i][j] in "GP" for i, j in self.cells])
        self.n_states, self.n_actions = len(self.cells), len(_MOVES)

    def _move(self, s: int, a: int) -> int:
        i, j = self.cells[s]
        cell = (i + _MOVES[a][0], j + _MOVES[a][1])
        return self.index.get(cell, s)                      # walls and the border leave the agent in place

    def _outcomes(self, s: int, a: int) -> list[tuple[float, int]]:
        sides = ((a + 1) % 4, (a + 3) % 4)
        return [(1 - self.slip, self._move(s, a))] + [(self.slip / 2, self._move(s, b)) for b in sides]

    def transitions(self) -> MDPTables:
        """The tables of the MDP: P[s, a, s'], R[s, a] = E[reward | s, a] (the reward of the
        cell entered), terminal[s]; rows of terminal states are zero."""
        P = np.zeros((self.n_states, self.n_actions, self.n_states))
        for s in range(self.n_states):
            if not self.terminal[s]:
                for a in range(self.n_actions):
                    for p, s2 in self._outcomes(s, a):
                        P[s, a, s2] += p
        return MDPTables(P, P @ self.rewards, self.terminal.copy())

    def sample(self, state: int, action: int, rng: np.random.Generator) -> tuple[int, float, bool]:
        """One transition from ``state`` with ``action``: (next state, reward, done)."""
        for value, name, n in ((state, "state", self.n_states), (action, "action", self.n_actions)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < n:
                raise ValueError(f"{name} must be an int in [0, {n}), got {value!r}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if self.terminal[state]:
            raise ValueError(f"state {state} is terminal: the episode is over")
        outcomes = self._outcomes(int(state), int(action))
        k = rng.choice(len(outcomes), p=[p for p, _ in outcomes]) if self.slip else 0
        s2 = outcomes[k][1]
        return s2, float(self.rewards[s2]), bool(self.terminal[s2])


# --- Catch ------------------------------------------------------------------------------

class _Space:
    """A stand-in for a Gymnasium space when Gymnasium is not installed."""

    def __init__(self, shape, dtype, n=None, low=None, high=None):
        self.shape, self.dtype, self.n, self.low, self.high = shape, np.dtype(dtype), n, low, high

    def contains(self, x) -> bool:
        if self.n is not None:
            return isinstance(x, (int, np.integer)) and not isinstance(x, bool) and 0 <= x < self.n
        x = np.asarray(x)
        return x.shape == self.shape and x.dtype == self.dtype and bool(((x >= self.low) & (x <= self.high)).all())


_Base = _gym.Env if _gym is not None else object


class Catch(_Base):
    """The game of Catch (module docstring), with Gymnasium's ``Env`` interface:
    ``reset(seed=None, options=None) → (observation, info)`` and
    ``step(action) → (observation, reward, terminated, truncated, info)``."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 8}
    BALL, PADDLE = 1.0, 0.5

    def __init__(self, height: int = 10, width: int = 8, render_mode: str | None = None):
        positive_int(height, "height")
        positive_int(width, "width")
        if height < 3 or width < 3:
            raise ValueError(f"height and width must be at least 3, got height={height}, width={width}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.height, self.width, self.render_mode = height, width, render_mode
        shape = (height, width)
        if _spaces is not None:
            self.observation_space = _spaces.Box(0.0, 1.0, shape, np.float32)
            self.action_space = _spaces.Discrete(3)
        else:
            self.observation_space = _Space(shape, np.float32, low=0.0, high=1.0)
            self.action_space = _Space((), np.int64, n=3)
        self._rng = np.random.default_rng()
        self._state = None

    def starts(self) -> list[dict]:
        """Every start, as ``options`` for :meth:`reset`: (ball column, speed, paddle column)."""
        return [{"ball": c, "speed": v, "paddle": p}
                for c in range(self.width) for v in (-1, 0, 1) for p in range(self.width - 1)]

    def _observation(self) -> np.ndarray:
        row, col, _, paddle = self._state
        image = np.zeros((self.height, self.width), np.float32)
        image[-1, paddle:paddle + 2] = self.PADDLE
        image[row, col] = self.BALL
        return image

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"seed must be None or an int >= 0, got {seed!r}")
        if _gym is not None:
            super().reset(seed=seed)
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        if options is not None and not isinstance(options, dict):
            raise TypeError(f"options must be None or a dict, got {type(options).__name__}")
        options = options or {}
        if set(options) - {"ball", "speed", "paddle"}:
            raise ValueError(f"options may set only 'ball', 'speed' and 'paddle', got {sorted(options)}")
        ball = options.get("ball", int(self._rng.integers(self.width)))
        speed = options.get("speed", int(self._rng.integers(3)) - 1)
        paddle = options.get("paddle", int(self._rng.integers(self.width - 1)))
        for name, value, low, high in (("ball", ball, 0, self.width - 1), ("speed", speed, -1, 1),
                                       ("paddle", paddle, 0, self.width - 2)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
                raise ValueError(f"options[{name!r}] must be an int in [{low}, {high}], got {value!r}")
        self._state = (0, int(ball), int(speed), int(paddle))
        return self._observation(), self._info()

    def _info(self) -> dict:
        row, col, speed, paddle = self._state
        return {"ball": (row, col), "speed": speed, "paddle": paddle}

    def step(self, action):
        if self._state is None:
            raise ValueError("call reset() before step(): there is no game in progress")
        if isinstance(action, np.ndarray) and action.shape == ():
            action = action.item()
        if isinstance(action, bool) or not isinstance(action, (int, np.integer)) or not 0 <= action <= 2:
            raise ValueError(f"action must be 0 (left), 1 (stay) or 2 (right), got {action!r}")
        row, col, speed, paddle = self._state
        if row == self.height - 1:
            raise ValueError("the episode is over (terminated): call reset() to start a new one")
        paddle = min(max(paddle + int(action) - 1, 0), self.width - 2)
        col += speed
        if not 0 <= col < self.width:                     # bounce off a side wall
            speed = -speed
            col = -col if col < 0 else 2 * (self.width - 1) - col
        row += 1
        self._state = (row, col, speed, paddle)
        terminated = row == self.height - 1
        reward = (1.0 if paddle <= col <= paddle + 1 else -1.0) if terminated else 0.0
        return self._observation(), reward, terminated, False, self._info()

    def landing(self) -> int:
        """The column where the ball of the game in progress will reach the bottom row."""
        if self._state is None:
            raise ValueError("call reset() before landing()")
        row, col, speed, _ = self._state
        for _ in range(self.height - 1 - row):
            col += speed
            if not 0 <= col < self.width:
                speed, col = -speed, (-col if col < 0 else 2 * (self.width - 1) - col)
        return col

    def catchable(self) -> bool:
        """Whether the paddle can still be under the ball when it lands: the moves left,
        height − 1 − row, cover the distance to the nearest position that catches it."""
        row, _, _, paddle = self._state if self._state is not None else (None,) * 4
        landing = self.landing()
        return max(0, paddle - landing, landing - 1 - paddle) <= self.height - 1 - row

    def render(self):
        """The current image as RGB, uint8 (height, width, 3): ball white, paddle orange."""
        if self._state is None:
            raise ValueError("call reset() before render()")
        image = self._observation()
        rgb = np.zeros((self.height, self.width, 3), np.uint8)
        rgb[image == self.BALL] = (255, 255, 255)
        rgb[image == self.PADDLE] = (255, 140, 0)
        return rgb

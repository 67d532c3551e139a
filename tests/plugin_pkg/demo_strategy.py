"""A search strategy: the best of a few random target settings."""

from __future__ import annotations

from hardtarget.params import Param
from hardtarget.search import Strategy


class RandomRestarts(Strategy):
    """The best of ``tries`` random target settings (a baseline, not a good search)."""

    name = "demo-random"
    params = {"tries": Param("int", "random target settings tried", low=1)}

    def __init__(self, seed: int = 0, tries: int = 5):
        self.seed = seed
        self.tries = tries

    def run(self, ctx):
        for _ in range(self.tries):
            ctx.start_state("random")
            if ctx.best.errors == 0:
                return "feasible", "zero training errors"
        return "local_optimum", f"best of {self.tries} random target settings"

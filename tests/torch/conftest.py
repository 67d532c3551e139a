"""Fixtures of the torch tests (torch is imported only when one is used)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models: one torch thread is many times faster than two on a loaded machine.

    A module opts in with ``pytestmark = pytest.mark.usefixtures("one_thread")``.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def cancel_after():
    """``cancel_after(n)``: a Budget and a callback that cancels it after ``n`` batches (as
    Ctrl-C would), to pass as ``budget=`` and in ``callbacks=`` of a run."""
    from hardtarget.budget import Budget

    def make(n: int):
        budget, seen = Budget(), [0]

        class CancelAfter:
            def on_batch_end(self, state):
                seen[0] += 1
                if seen[0] == n:
                    budget.cancel()

        return budget, CancelAfter()

    return make

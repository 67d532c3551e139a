"""Small helpers of the torch tests (import torch only after pytest.importorskip)."""

from __future__ import annotations


def same_weights(a, b) -> bool:
    """Whether two modules hold the same tensors under the same names, bit for bit."""
    import torch

    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)

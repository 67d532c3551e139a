import numpy as np
import pytest

import hardtarget as ht
from hardtarget.activations import qrelu, sign, step


def test_sign_of_zero_is_minus_one():
    assert sign(np.array([0.0, -0.0, 1e-300, -1e-300])).tolist() == [-1, -1, 1, -1]
    assert step(np.array([0.0, 1e-300])).tolist() == [0, 1]


@pytest.mark.parametrize("k, levels", [(1, 2), (2, 3), (3, 4), (5, 6)])
def test_qrelu_levels(k, levels):
    z = np.linspace(-2, 3, 20001)
    out = qrelu(z, k)
    assert np.unique(out).size == levels
    assert out.min() == 0 and out.max() == 1
    assert np.all(np.diff(out) >= 0)
    assert ht.get_activation(f"qrelu{k}").levels.size == levels


def test_qrelu3_thresholds_match_paper():
    # qReLU_3(z) = (step(z) + step(z - 1/2) + step(z - 1)) / 3
    z = np.array([0.0, 0.01, 0.5, 0.51, 1.0, 1.01])
    assert np.allclose(qrelu(z, 3), [0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1])


def test_network_forward_sign_zero_boundary():
    # integer weights make z = 0 exactly on some points
    net = ht.Network([np.array([[1.0], [1.0], [0.0]])], ["sign"])
    X = np.array([[1.0, -1.0], [1.0, 1.0], [-1.0, -1.0]])
    assert net.decision_function(X).tolist() == [0.0, 2.0, -2.0]
    assert net.predict(X).tolist() == [-1.0, 1.0, -1.0]
    step_net = ht.Network([np.array([[1.0], [1.0], [0.0]])], ["step"])
    assert step_net.predict(X).tolist() == [0.0, 1.0, 0.0]


def test_network_matches_numpy_reference():
    rng = np.random.default_rng(0)
    Ws = [rng.normal(size=(6, 4)), rng.normal(size=(5, 3)), rng.normal(size=(4, 1))]
    X = rng.normal(size=(50, 5))
    for act in ["sign", "step", "qrelu3"]:
        net = ht.Network(Ws, [act, act, "sign"])
        H = X
        for W, a in zip(Ws, net.activations):
            H = a(H @ W[:-1] + W[-1])
        assert np.array_equal(net.predict(X), H[:, 0])


@pytest.mark.parametrize("bad", ["relu", "qrelu0", "qrelux", 3])
def test_unknown_activation(bad):
    with pytest.raises(ht.HardTargetError, match="sign, step, qrelu|qrelu<k>|must be a string"):
        ht.get_activation(bad)

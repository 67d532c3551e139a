import numpy as np
import pytest

import hardtarget as ht


@pytest.mark.parametrize("spec", ["planted:8-4-1:200:0", "planted:5-6-3-1:150:2", "planted:3-2-1:40:7"])
def test_planted_targets_are_feasible_and_reproduce_labels(spec):
    p = ht.load_problem(spec)
    report = ht.verify(p, p.planted["targets"])
    assert report.feasible is True
    assert report.reproduces_targets is True
    assert report.train_accuracy == 1.0
    assert np.array_equal(report.network.predict(p.X), p.t)
    # the planted network itself also labels the data
    assert np.array_equal(p.planted["network"].predict(p.X), p.t)
    for layer in report.units:
        for u in layer:
            assert u.separable and u.margin > 0 and u.errors == 0


def test_target_setting_asking_a_unit_for_xor_is_infeasible_with_certificate():
    p = ht.load_problem("planted:2-3-1:60:1")
    T = p.planted["targets"].layers[0].copy()
    T[:, 0] = np.where((p.X[:, 0] > 0) != (p.X[:, 1] > 0), 1, -1)  # XOR of the two inputs
    report = ht.verify(p, [T])
    assert report.feasible is False and report.network is None
    bad = report.infeasible_units()
    assert [(u.layer, u.unit) for u in bad][0] == (1, 0)
    assert ht.check_certificate(p.X, T[:, 0], bad[0].certificate)


def test_xor_with_two_hidden_units():
    p = ht.load_problem("xor")
    # hidden units: OR and NAND; output: AND of them = XOR
    or_ = np.where(p.X.max(axis=1) > 0, 1, -1)
    nand = np.where(p.X.min(axis=1) > 0, -1, 1)
    report = ht.verify(p, [np.stack([or_, nand], axis=1)])
    assert report.feasible and report.train_accuracy == 1.0
    assert ht.verify(p, []).feasible is False


@pytest.mark.parametrize("solver", ["auto", "lp"])
def test_step_activation(solver):
    p = ht.load_problem("xor")
    or_ = np.where(p.X.max(axis=1) > 0, 1, -1)
    nand = np.where(p.X.min(axis=1) > 0, -1, 1)
    report = ht.verify(p, [np.stack([or_, nand], axis=1)], activation="step", solver=solver)
    assert report.feasible and report.reproduces_targets
    assert set(np.unique(report.network.forward(p.X)[0])) <= {0.0, 1.0}


def test_report_json_roundtrip():
    import json

    p = ht.load_problem("xor")
    d = json.loads(json.dumps(ht.verify(p, []).to_dict()))
    assert d["feasible"] is False and d["units"][0]["certificate"]["support"]


def test_bad_targets():
    p = ht.load_problem("xor")
    with pytest.raises(ht.HardTargetError, match=r"shape \(n_samples=4"):
        ht.verify(p, [np.ones((3, 2))])
    with pytest.raises(ht.HardTargetError, match="-1 or \\+1"):
        ht.verify(p, [np.zeros((4, 2))])
    with pytest.raises(ht.HardTargetError, match="width >= 1"):
        ht.verify(p, [np.ones((4, 0))])
    with pytest.raises(ht.HardTargetError, match="not binary"):
        ht.verify(p, [np.ones((4, 1))], activation="qrelu3")

import numpy as np
import pytest

import hardtarget as ht
import hardtarget.feasibility

from .helpers import linprog_separable


@pytest.mark.parametrize(
    "spec", ["planted:8-4-1:200:0", "planted:5-6-3-1:150:2", "planted:3-2-1:40:7"]
)
def test_planted_targets_are_feasible_and_reproduce_labels(spec):
    p = ht.load_problem(spec)
    report = ht.verify_targets(p, p.planted["targets"])
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
    report = ht.verify_targets(p, [T])
    assert report.feasible is False and report.network is None
    bad = report.infeasible_units()
    assert (bad[0].layer, bad[0].unit) == (1, 0)
    assert ht.check_certificate_support(p.X, T[:, 0], bad[0].certificate)


def test_xor_with_two_hidden_units():
    p = ht.load_problem("xor")
    # hidden units: OR and NAND; output: AND of them = XOR
    or_ = np.where(p.X.max(axis=1) > 0, 1, -1)
    nand = np.where(p.X.min(axis=1) > 0, -1, 1)
    report = ht.verify_targets(p, [np.stack([or_, nand], axis=1)])
    assert report.feasible and report.train_accuracy == 1.0
    assert ht.verify_targets(p, []).feasible is False


@pytest.mark.parametrize("solver", ["auto", "lp"])
def test_step_activation(solver):
    p = ht.load_problem("xor")
    or_ = np.where(p.X.max(axis=1) > 0, 1, -1)
    nand = np.where(p.X.min(axis=1) > 0, -1, 1)
    report = ht.verify_targets(p, [np.stack([or_, nand], axis=1)], activation="step", solver=solver)
    assert report.feasible and report.reproduces_targets
    assert set(np.unique(report.network.forward(p.X)[0])) <= {0.0, 1.0}


def test_report_json_roundtrip():
    import json

    p = ht.load_problem("xor")
    d = json.loads(json.dumps(ht.verify_targets(p, []).to_dict()))
    assert d["feasible"] is False and d["units"][0]["certificate"]["support"]


def test_bad_targets():
    p = ht.load_problem("xor")
    with pytest.raises(ht.HardTargetError, match=r"shape \(n_samples=4"):
        ht.verify_targets(p, [np.ones((3, 2))])
    with pytest.raises(ht.HardTargetError, match="-1 or \\+1"):
        ht.verify_targets(p, [np.zeros((4, 2))])
    with pytest.raises(ht.HardTargetError, match="width >= 1"):
        ht.verify_targets(p, [np.ones((4, 0))])
    with pytest.raises(ht.HardTargetError, match="not binary"):
        ht.verify_targets(p, [np.ones((4, 1))], activation="qrelu3")


def test_layer_problems_are_what_verify_checks_multi_output_included():
    p = ht.load_problem("iris:all")  # three one-vs-rest output units
    T1 = np.where(p.X[:, 2:] > np.median(p.X[:, 2:], axis=0), 1, -1)
    pairs = ht.feasibility.layer_problems(p, [T1])
    assert [(A.shape, T.shape) for A, T in pairs] == [
        ((150, 4), (150, 2)),
        ((150, 2), (150, 3)),
    ]
    assert np.array_equal(pairs[1][0], T1) and np.array_equal(pairs[1][1], p.T_out)
    report = ht.verify_targets(p, [T1])
    assert [len(layer) for layer in report.units] == [2, 3]
    for (A, T), layer in zip(pairs, report.units):
        for j, u in enumerate(layer):
            assert u.separable is linprog_separable(A, T[:, j])


def test_sat_verify_handles_multi_output_problems():
    """``verify -p iris:all --sat cpsat`` reshaped the labels instead of using the three outputs."""
    from hardtarget.cli.main import main
    from hardtarget.search import sat_verify

    p = ht.load_problem("iris:all")
    r = sat_verify(p, [], backend="cpsat", time_limit=20)
    assert [(u["layer"], u["unit"]) for u in r.units] == [(1, 0), (1, 1), (1, 2)]
    truth = [linprog_separable(p.X, p.T_out[:, j]) for j in range(3)]
    assert [u["lp"] for u in r.units] == truth == [True, False, False]  # setosa vs rest only
    assert r.agree and r.feasible is False
    assert main(["verify", "-p", "iris:all", "--sat", "cpsat"]) == 1  # infeasible, not a crash

"""One-vs-one and one-vs-rest ensembles as one network: votes, padding, exports."""

from __future__ import annotations

import itertools
import shutil

import numpy as np
import pytest

import hardtarget as ht
from hardtarget.ensemble import ovo_network, ovo_pairs, ovr_network, pad_depth, vote_layer


def _plain_majority(member_says_first: list[bool], k: int) -> int:
    """The class with the most votes, the lowest index among ties (plain Python)."""
    votes = [0] * k
    for (i, j), first in zip(ovo_pairs(k), member_says_first, strict=True):
        votes[i if first else j] += 1
    best = 0
    for c in range(1, k):
        if votes[c] > votes[best]:
            best = c
    return best


def _selector(p: int, n: int, kind: str) -> ht.Network:
    """A one-unit network whose output is input ``p`` (±1, or 0/1 for step)."""
    W = np.zeros((n + 1, 1))
    W[p, 0] = 1.0
    W[-1, 0] = -0.5 if kind == "step" else 0.0
    return ht.Network([W], [kind])


@pytest.mark.parametrize("kind", ["sign", "step"])
@pytest.mark.parametrize("k", [3, 4])
def test_the_vote_layer_is_a_plain_majority_with_ties_to_the_lowest_class(kind, k):
    P = len(ovo_pairs(k))
    members = [_selector(p, P, kind) for p in range(P)]
    net = ovo_network(members, np.arange(k))
    lo = 0.0 if kind == "step" else -1.0
    X = np.array(list(itertools.product((lo, 1.0), repeat=P)))  # every vote pattern
    got = np.argmax(net.decision_function(X), axis=1)
    want = [_plain_majority([x == 1.0 for x in row], k) for row in X]
    assert got.tolist() == want


def test_vote_layer_weights_are_small_integers():
    W = vote_layer(5)
    assert np.array_equal(W, np.round(W)) and np.abs(W).max() == 4


@pytest.mark.parametrize("kind", ["sign", "step"])
def test_padding_keeps_a_network_s_outputs(kind):
    rng = np.random.default_rng(0)
    net = ht.Network([rng.standard_normal((4, 2)), rng.standard_normal((3, 1))], [kind])
    X = rng.standard_normal((50, 3))
    padded = pad_depth(net, 4)
    assert len(padded.weights) == 4
    assert np.array_equal(padded.predict(X), net.predict(X))


def test_ovo_of_members_of_different_depths_votes_like_its_members():
    rng = np.random.default_rng(1)
    k, n = 4, 3
    members = []
    for p in range(len(ovo_pairs(k))):
        if p % 2:
            members.append(ht.Network([rng.standard_normal((n + 1, 1))], ["sign"]))
        else:
            W1, W2 = rng.standard_normal((n + 1, 2)), rng.standard_normal((3, 1))
            members.append(ht.Network([W1, W2], ["sign"]))
    net = ovo_network(members, np.array(["a", "b", "c", "d"]))
    X = rng.standard_normal((200, n))
    says = np.column_stack([m.predict(X) > 0 for m in members])
    want = [_plain_majority(list(row), k) for row in says]
    assert np.argmax(net.decision_function(X), axis=1).tolist() == want


def test_ovr_outputs_are_the_members_outputs():
    rng = np.random.default_rng(2)
    members = [
        ht.Network([rng.standard_normal((3, 2)), rng.standard_normal((3, 1))], ["sign"])
        for _ in range(3)
    ]
    net = ovr_network(members, np.arange(3))
    X = rng.standard_normal((100, 2))
    Z = net.decision_function(X)
    for c, m in enumerate(members):
        assert np.array_equal(Z[:, c], m.decision_function(X))


def test_a_wrong_member_count_is_refused():
    one = ht.Network([np.ones((3, 1))], ["sign"])
    with pytest.raises(ht.HardTargetError, match="3 classes need 3 one-vs-one members"):
        ovo_network([one, one], np.arange(3))


# three classes in the plane, pairwise separable, one pair only by two hidden units
BLOBS_X = np.array(
    [[0, 0], [0, 1], [1, 0], [5, 5], [5, 6], [6, 5], [0, 6], [1, 6], [0, 5], [0.5, 5.5]],
    dtype=float,
)
BLOBS_Y = np.array(["a", "a", "a", "b", "b", "b", "c", "c", "c", "a"])


@pytest.mark.parametrize("multiclass", ["ovo", "ovr"])
def test_an_ensemble_fits_exactly_and_its_exports_verify_bit_for_bit(multiclass, tmp_path):
    clf = ht.HardThresholdClassifier(multiclass=multiclass, time_limit=None, random_state=0)
    clf.fit(BLOBS_X, BLOBS_Y)
    assert clf.multiclass_ == multiclass and clf.exact_
    assert clf.predict(BLOBS_X).tolist() == BLOBS_Y.tolist()
    assert all(r.success for r in clf.results_)
    formats = ["json", "onnx"] + (["c"] if shutil.which("cc") or shutil.which("gcc") else [])
    for fmt in formats:
        path = tmp_path / f"m.{fmt}"
        ht.export(clf, path)
        check = ht.verify_export(clf, path)
        assert check.ok, str(check)


def test_the_ovo_estimator_predicts_the_majority_of_its_members():
    clf = ht.HardThresholdClassifier(multiclass="ovo", time_limit=None, random_state=0)
    clf.fit(BLOBS_X, BLOBS_Y)
    net = clf.network_
    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 8, size=(300, 2))
    member_out = net.forward(X)[-2]  # the last hidden layer: the members' outputs
    want = [_plain_majority(list(row > 0), 3) for row in member_out]
    assert clf.predict(X).tolist() == clf.classes_[want].tolist()
    assert clf.members_ == [(0, 1), (0, 2), (1, 2)]

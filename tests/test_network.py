import json

import numpy as np
import pytest

import hardtarget as ht


def _net():
    rng = np.random.default_rng(1)
    return ht.Network(
        [rng.normal(size=(4, 3)), rng.normal(size=(4, 1))],
        ["sign", "sign"],
        classes=np.array(["a", "b"]),
    )


def test_save_load_roundtrip(tmp_path):
    net = _net()
    path = tmp_path / "net.npz"
    net.save(path)
    back = ht.Network.load(path)
    X = np.random.default_rng(2).normal(size=(100, 3))
    assert np.array_equal(back.predict(X), net.predict(X))
    assert back.classes.tolist() == ["a", "b"]
    assert [a.name for a in back.activations] == ["sign", "sign"]
    assert set(back.predict_labels(X)) <= {"a", "b"}
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left nothing behind


def test_load_refuses_other_versions(tmp_path):
    path = tmp_path / "net.npz"
    _net().save(path)
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(str(arrays["__meta__"]))
    meta["version"] = 99
    arrays["__meta__"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    with pytest.raises(ht.HardTargetError, match="version 99"):
        ht.Network.load(path)


def test_load_refuses_foreign_files(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(ht.HardTargetError, match="not an .npz archive"):
        ht.Network.load(junk)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(ht.HardTargetError, match="not a hardtarget network"):
        ht.Network.load(other)
    with pytest.raises(ht.HardTargetError, match="does not exist"):
        ht.Network.load(tmp_path / "missing.npz")


def test_bad_shapes():
    with pytest.raises(ht.HardTargetError, match="rows"):
        ht.Network([np.zeros((3, 2)), np.zeros((4, 1))], ["sign"])
    with pytest.raises(ht.HardTargetError, match="NaN"):
        ht.Network([np.full((3, 1), np.nan)], ["sign"])
    net = _net()
    with pytest.raises(ht.HardTargetError, match=r"shape \(n_samples, 3\)"):
        net.predict(np.zeros((2, 5)))
    with pytest.raises(ht.HardTargetError, match="NaN"):
        net.predict(np.array([[np.nan, 0, 0]]))


def test_summary_counts_params():
    assert "(12 params)" in _net().summary()

import numpy as np
import pytest

import hardtarget as ht
from hardtarget.cli import main


def test_one_vs_rest_targets():
    p = ht.make_problem([[0.0], [1.0], [2.0], [3.0]], ["a", "b", "c", "a"], multiclass="ovr")
    assert p.n_outputs == 3 and p.classes.tolist() == ["a", "b", "c"]
    assert p.t.tolist() == [[1, -1, -1], [-1, 1, -1], [-1, -1, 1], [1, -1, -1]]
    with pytest.raises(ht.HardTargetError, match="valid: None"):
        ht.make_problem([[0.0], [1.0]], [0, 1], multiclass="softmax")


@pytest.mark.parametrize("strategy", ["ftprop", "hill", "beam", "madaline"])
def test_iris_three_classes_fitted_by_local_strategies(strategy):
    p = ht.load_problem("iris:all")
    r = ht.solve(p, (4,), strategy, time_limit=30, seed=0)
    assert r.network.widths == (4, 3)
    # the reported accuracy is what the network does: every output unit right
    outs = r.network.predict(p.X)
    assert r.train_accuracy == pytest.approx(np.mean(np.all(outs == p.T_out, axis=1)))
    labels = r.network.predict_labels(p.X)
    assert np.mean(labels == load_iris_targets()) >= r.train_accuracy - 1e-12
    assert r.train_accuracy >= 0.95
    if r.success:
        assert ht.verify_targets(p, r.targets).feasible


def load_iris_targets():
    from sklearn.datasets import load_iris

    return load_iris().target


def test_single_output_strategies_refuse_clearly():
    with pytest.raises(ht.HardTargetError, match="handles one output unit.*Use one of"):
        ht.solve(ht.load_problem("iris:all"), (2,), "exhaustive")


def test_cli_multiclass(tmp_path, capsys):
    csv = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = np.argmax(X @ rng.normal(size=(2, 3)), axis=1)
    csv.write_text("a,b,y\n" + "\n".join(f"{a},{b},{c}" for (a, b), c in zip(X, y)))
    assert (
        main(["solve", "--data", str(csv), "--hidden", "3", "-s", "ftprop"]) == 2
    )  # needs --multiclass
    assert "multiclass" in capsys.readouterr().err
    main(
        [
            "solve",
            "--data",
            str(csv),
            "--multiclass",
            "ovr",
            "--hidden",
            "3",
            "-s",
            "ftprop",
            "--time-limit",
            "20",
        ]
    )
    assert "train accuracy" in capsys.readouterr().out

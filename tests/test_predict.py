"""``hardtarget predict``: a saved model's labels for new data, checked by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hardtarget import Network
from hardtarget.cli import main

# one sign unit: +1 ("hot") exactly when 2*a - b > 1; sign(0) = -1
W = np.array([[2.0], [-1.0], [-1.0]])


def _by_hand(rows):
    return ["hot" if 2 * a - b - 1 > 0 else "cold" for a, b in rows]


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "net.npz"
    Network([W], ["sign"], classes=np.array(["cold", "hot"])).save(path)
    return path


ROWS = [(1.0, 0.0), (0.0, 0.0), (1.0, 1.0), (2.0, 0.5), (0.5, 0.0)]  # (0.5, 0): z = 0 -> cold


def test_predict_prints_one_label_per_row(model, tmp_path, capsys):
    data = tmp_path / "new.csv"
    data.write_text("a,b\n" + "".join(f"{a},{b}\n" for a, b in ROWS))
    assert main(["predict", str(model), "--data", str(data)]) == 0
    assert capsys.readouterr().out.split() == _by_hand(ROWS)


def test_predict_scores_a_label_column_and_writes_csv(model, tmp_path, capsys):
    truth = _by_hand(ROWS)
    truth[0] = "cold"  # one wrong label: accuracy 4/5
    data = tmp_path / "labelled.csv"
    data.write_text("label,a,b\n" + "".join(f"{t},{a},{b}\n" for t, (a, b) in zip(truth, ROWS)))
    out = tmp_path / "pred.csv"
    argv = ["predict", str(model), "--data", str(data), "--label", "label", "--out", str(out)]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["predictions"] == _by_hand(ROWS) and report["accuracy"] == 0.8
    assert out.read_text().split() == ["prediction", *_by_hand(ROWS)]


def test_predict_reads_npz_and_json_models(model, tmp_path, capsys):
    from hardtarget import export

    export(Network([W], ["sign"], classes=np.array(["cold", "hot"])), tmp_path / "net.json")
    data = tmp_path / "new.npz"
    np.savez(data, X=np.array(ROWS))
    assert main(["predict", str(tmp_path / "net.json"), "--data", str(data)]) == 0
    assert capsys.readouterr().out.split() == _by_hand(ROWS)


def test_predict_names_the_fix_for_an_extra_label_column(model, tmp_path, capsys):
    data = tmp_path / "labelled.csv"
    data.write_text("a,b,y\n1,0,1\n0,0,0\n")
    assert main(["predict", str(model), "--data", str(data)]) == 2
    assert "--label" in capsys.readouterr().err


def test_predict_reads_data_as_load_data_does(model, tmp_path, capsys):
    # no header row and text labels (the first row is data, not a header), a byte-order
    # mark (Excel's UTF-8 CSV): the reader of load_data, shared
    truth = _by_hand(ROWS)
    data = tmp_path / "headless.csv"
    body = "".join(f"{a},{b},{t}\n" for (a, b), t in zip(ROWS, truth))
    data.write_bytes(b"\xef\xbb\xbf" + body.encode())
    assert main(["predict", str(model), "--data", str(data), "--label", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["predictions"] == truth and report["accuracy"] == 1.0

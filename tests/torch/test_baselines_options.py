"""The baselines' runners honour or refuse every training option, checkpoint, resume bit for
bit, and continuous binarization anneals its slopes before each swap."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra
from sklearn.datasets import load_digits

from hardtarget._io import exclusive_lock
from hardtarget.errors import HardTargetError
from hardtarget.torch.baselines import CBNet, RealNet, arch_spec, train_cb, train_weight_dist
from hardtarget.torch.baselines.runs import AdamOptions, adam, phase_schedule

pytestmark = pytest.mark.filterwarnings("ignore:continuous binarization forced")

SPEC = arch_spec("mlp", hidden=(24, 24))


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    X = (d.images / 16.0).astype(np.float32)[:, None][:480]
    return X, d.target.astype(np.int64)[:480]


def _cb(seed=0, **kw):
    torch.manual_seed(seed)
    return CBNet(SPEC, (1, 8, 8), 10, **kw)


def _real(seed=0):
    torch.manual_seed(seed)
    return RealNet(SPEC, (1, 8, 8), 10)


def _cb_run(digits, **kw):
    opts = dict(pretrain_epochs=1, stage_epochs=1, batch_size=64, progress=False)
    return train_cb(_cb(), digits, **(opts | kw))


def _wd_run(digits, **kw):
    opts = dict(real_epochs=1, tanh_epochs=1, sign_epochs=1, batch_size=64, progress=False)
    return train_weight_dist(_real(), digits, **(opts | kw))


def _weight_norm(model) -> float:
    return math.sqrt(sum(float((p.detach() ** 2).sum()) for p in model.parameters() if p.ndim > 1))


# -- weight decay, betas, schedules -------------------------------------------------------


def test_weight_decay_acts_in_cb(digits):
    plain = _cb_run(digits).model
    decayed = _cb_run(digits, weight_decay=0.5).model
    assert _weight_norm(decayed) < 0.9 * _weight_norm(plain)


class LogitNorm:
    """Records the norm of the logits at the end of every distribution phase."""

    def __init__(self):
        self.norms = []

    def on_fit_end(self, state):
        if hasattr(state.model, "layers") and hasattr(state.model.layers[0], "logits"):
            self.norms.append(
                math.sqrt(sum(float((la.logits.detach() ** 2).sum()) for la in state.model.layers))
            )


def test_weight_decay_acts_in_weight_dist(digits):
    norms = []
    for wd in (0.0, 0.5):
        real, spy = _real(), LogitNorm()
        opts = dict(real_epochs=2, tanh_epochs=1, sign_epochs=1, batch_size=64, progress=False)
        train_weight_dist(real, digits, weight_decay=wd, callbacks=[spy], **opts)
        norms.append((_weight_norm(real), *spy.norms))
    (real0, tanh0, sign0), (real1, tanh1, sign1) = norms
    assert real1 < 0.9 * real0  # the real phase's weight matrices shrink
    assert tanh1 < tanh0 and sign1 < sign0  # and the logits move towards uniform


def test_adam_groups_decay_matrices_only_and_keep_betas():
    lin = torch.nn.Linear(3, 2)
    m = torch.nn.Parameter(torch.tensor(0.5))
    opt = adam(
        [{"params": lin.parameters(), "lr": 0.1}, {"params": [m], "lr": 0.01, "decay": False}],
        AdamOptions(betas=(0.5, 0.9), weight_decay=0.2),
    )
    got = {
        (tuple(p.shape), g["weight_decay"], g["lr"], g["betas"])
        for g in opt.param_groups
        for p in g["params"]
    }
    assert got == {
        ((2, 3), 0.2, 0.1, (0.5, 0.9)),
        ((2,), 0, 0.1, (0.5, 0.9)),
        ((), 0.0, 0.01, (0.5, 0.9)),
    }
    everything = adam(
        [{"params": lin.parameters(), "lr": 0.1}],
        AdamOptions(weight_decay=0.2, decay_biases_and_norms=True),
    )
    assert [g["weight_decay"] for g in everything.param_groups] == [0.2]


def test_betas_reach_the_optimizer(digits):
    seen = []

    class Spy:
        def on_fit_start(self, state):
            seen.append({g["betas"] for g in state.optimizer.param_groups})

    _cb_run(digits, betas=(0.8, 0.99), callbacks=[Spy()])
    _wd_run(digits, betas=(0.7, 0.9), callbacks=[Spy()])
    assert seen == [{(0.8, 0.99)}] + [{(0.7, 0.9)}] * 3


def test_milestones_count_epochs_of_the_whole_weight_dist_procedure(digits):
    ms, gamma, lr, logit_lr = [2, 4], 0.5, 1e-3, 1e-2
    res = _wd_run(digits, real_epochs=3, tanh_epochs=2, sign_epochs=2, milestones=ms, gamma=gamma)
    got = [row["lr"] for row in res.history]
    # epoch e (1-based) trains with gamma ** #(milestones <= e - 1); group 0 is the logits'
    want = [
        (lr if e <= 3 else logit_lr) * gamma ** sum(m <= e - 1 for m in ms) for e in range(1, 8)
    ]
    assert got == pytest.approx(want, rel=1e-12)


def test_phase_schedule_carries_the_steps_already_taken():
    opts = AdamOptions(milestones=[3, 5, 9], gamma=0.1)
    assert phase_schedule(opts, 0, 4) == (1.0, [3])
    scale, local = phase_schedule(opts, 4, 4)
    assert scale == pytest.approx(0.1) and local == [1]
    scale, local = phase_schedule(opts, 8, 2)
    assert scale == pytest.approx(0.01) and local == [1]


@pytest.mark.parametrize(
    "kw, words",
    [
        ({"momentum": 0.9}, "betas"),
        ({"optimizer": "sgd"}, "set by the procedure"),
        ({"betas": (0.9, 1.5)}, "betas"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"milestones": [3, 1]}, "milestones"),
    ],
)
def test_options_adam_cannot_use_are_refused(digits, kw, words):
    for run in (_cb_run, _wd_run):
        with pytest.raises(HardTargetError, match=words):
            run(digits, **kw)


def test_weight_dist_refuses_a_scheduler_callable(digits):
    sched = lambda opt: torch.optim.lr_scheduler.StepLR(opt, 1)  # noqa: E731
    with pytest.raises(HardTargetError, match="milestones"):
        _wd_run(digits, scheduler=sched)
    _cb_run(digits, scheduler=sched)  # one optimizer: honoured


# -- checkpoints and resume ----------------------------------------------------------------


def _cut(cancel_after, n: int) -> dict:
    """Run arguments that cancel the run's budget after ``n`` batches (as Ctrl-C would)."""
    budget, cb = cancel_after(n)
    return {"budget": budget, "callbacks": [cb]}


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def _strip(history):
    drop = ("seconds", "train_seconds", "eval_seconds")
    return [{k: v for k, v in row.items() if k not in drop} for row in history]


def test_cb_resumes_bit_identically(digits, tmp_path, cancel_after):
    kw = dict(pretrain_epochs=2, stage_epochs=2, weight_decay=1e-3, milestones=[5])
    straight = _cb_run(digits, **kw)
    cut = _cb_run(digits, out_dir=tmp_path, **_cut(cancel_after, 8 * 5 + 3), **kw)
    assert cut.status == "interrupted"
    resumed = _cb_run(digits, out_dir=tmp_path, resume=True, **kw)
    assert resumed.status == "completed"
    _same(straight.model.state_dict(), resumed.model.state_dict())
    assert _strip(straight.history) == _strip(resumed.history)
    assert straight.stages == resumed.stages
    assert (tmp_path / "cb" / "last.pt").exists() and (tmp_path / "cb" / "log.csv").exists()


def test_weight_dist_resumes_bit_identically_across_phases(digits, tmp_path, cancel_after):
    kw = dict(real_epochs=2, tanh_epochs=2, sign_epochs=2, weight_decay=1e-4, milestones=[3])
    straight = _wd_run(digits, **kw)
    cut = _wd_run(digits, out_dir=tmp_path, **_cut(cancel_after, 8 * 3 + 2), **kw)  # in tanh
    assert cut.status == "interrupted"
    assert not (tmp_path / "sign").exists()
    resumed = _wd_run(digits, out_dir=tmp_path, resume=True, **kw)
    assert resumed.status == "completed"
    _same(straight.model.state_dict(), resumed.model.state_dict())
    assert _strip(straight.history) == _strip(resumed.history)


def test_a_fresh_run_never_resumes_an_older_runs_later_phase(digits, tmp_path, cancel_after):
    kw = dict(real_epochs=1, tanh_epochs=1, sign_epochs=1)
    _wd_run(digits, out_dir=tmp_path, **kw)  # an older run, complete: sign/last.pt exists
    straight = _wd_run(digits, seed=1, **kw)
    cut = _wd_run(digits, out_dir=tmp_path, seed=1, **_cut(cancel_after, 8 + 3), **kw)
    assert cut.status == "interrupted" and not (tmp_path / "sign" / "last.pt").exists()
    resumed = _wd_run(digits, out_dir=tmp_path, seed=1, resume=True, **kw)
    _same(straight.model.state_dict(), resumed.model.state_dict())


def test_resume_needs_checkpoints(digits, tmp_path):
    with pytest.raises(HardTargetError, match="nothing to resume"):
        _cb_run(digits, out_dir=tmp_path, resume=True)
    with pytest.raises(HardTargetError, match="out_dir"):
        _wd_run(digits, resume=True)


def test_resume_refuses_another_model(digits, tmp_path):
    _cb_run(digits, out_dir=tmp_path)
    with pytest.raises(HardTargetError, match="another model"):
        _cb_run(digits, out_dir=tmp_path, resume=True, stage_epochs=2)


def test_a_locked_output_directory_is_refused(digits, tmp_path):
    with exclusive_lock(tmp_path / "run"):
        for run in (_cb_run, _wd_run):
            with pytest.raises(HardTargetError, match="another hardtarget run"):
                run(digits, out_dir=tmp_path / "run")


# -- continuous binarization anneals -------------------------------------------------------


@pytest.mark.parametrize("stage_epochs", [1, 3])
def test_default_schedule_brings_every_slope_to_m_switch(digits, stage_epochs):
    res = _cb_run(digits, pretrain_epochs=2, stage_epochs=stage_epochs)
    swaps = res.stages["swaps"]
    assert [s["layer"] for s in swaps] == [1, 2]
    for s, act in zip(swaps, res.model.acts):
        assert not s["forced"]
        assert s["m"] <= act.m_switch
        assert 0 <= s["top1_after"] <= 100 and 0 <= s["top1_before"] <= 100
    # the rows hold the trajectory: each slope is at m_switch by the end of its stage
    ends = np.cumsum(res.stages["cb_epochs"])
    for j in (1, 2):
        assert res.history[ends[j] - 1][f"m{j}"] <= 0.02


def test_a_fixed_weak_schedule_forces_swaps_and_warns(digits):
    with pytest.warns(UserWarning, match="forced the swap of layer 1"):
        res = _cb_run(
            digits, slope_schedule="fixed", pretrain_epochs=1, stage_epochs=1, slope_lr=1e-3
        )
    forced = [s for s in res.stages["swaps"] if s["forced"]]
    assert [s["layer"] for s in forced] == [1, 2]
    assert all(s["m"] > 0.02 for s in forced)
    assert all(row["lam_scale"] == 1.0 for row in res.history)


def test_unknown_slope_schedule_is_refused(digits):
    with pytest.raises(HardTargetError, match="anneal, fixed"):
        _cb_run(digits, slope_schedule="cosine")

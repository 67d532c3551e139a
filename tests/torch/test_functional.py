"""Hard-threshold activations and layer-loss backward rules (sections 3.1-3.4)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra

from hardtarget.activations import get_activation
from hardtarget.errors import HardTargetError
from hardtarget.torch.functional import (
    HardActivation,
    hard_activation,
    hard_forward,
    make_activation,
)
from hardtarget.torch.losses import RULES, get_rule

torch.set_default_dtype(torch.float32)

HARD = [("sign", 1), ("step", 1), ("qrelu", 3), ("qrelu", 5)]
PAIRS = [
    (kind, k, r)
    for kind, k in HARD
    for r in RULES  # every registered rule (plugins too)
    if kind == "qrelu" or not get_rule(r, "qrelu", 3).definition.qrelu_only
]


def _name(kind: str, k: int) -> str:
    return f"qrelu{k}" if kind == "qrelu" else kind


# -- forward ----------------------------------------------------------------------
def test_sign_and_step_at_zero():
    z = torch.tensor([-0.0, 0.0, -1e-30, 1e-30, 2.0])
    assert hard_forward(z, "sign").tolist() == [-1.0, -1.0, -1.0, 1.0, 1.0]
    assert hard_forward(z, "step").tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


@pytest.mark.parametrize("k,levels", [(1, 2), (2, 3), (3, 4), (5, 6), (7, 8)])
def test_qrelu_level_counts_and_numpy_equality(k, levels):
    thr = [0.0] if k == 1 else [i / (k - 1) for i in range(k)]
    z = torch.cat(
        [
            torch.linspace(-2, 3, 20001, dtype=torch.float64),
            torch.tensor(thr, dtype=torch.float64),
            torch.nextafter(
                torch.tensor(thr, dtype=torch.float64), torch.tensor(9.0, dtype=torch.float64)
            ),
        ]
    )
    out = hard_forward(z, "qrelu", k)
    assert torch.unique(out).numel() == levels
    np.testing.assert_array_equal(out.numpy(), get_activation(f"qrelu{k}")(z.numpy()))
    np.testing.assert_array_equal(torch.unique(out).numpy(), get_activation(f"qrelu{k}").levels)


def test_forward_matches_numpy_float32_and_float64():
    rng = np.random.default_rng(1)
    z = np.concatenate([rng.standard_normal(1000), [0.0, 0.5, 1.0, -1.0]])
    for kind, k in HARD:
        act = get_activation(_name(kind, k))
        got = hard_activation(torch.from_numpy(z), get_rule("soft_hinge", kind, k))
        np.testing.assert_array_equal(got.numpy(), act(z))


# -- the section 3.3 equivalence ----------------------------------------------------
class _SSTESign(torch.autograd.Function):
    """Hand-written saturated STE (Hubara et al.): d sign(z)/dz := 1{|z| <= 1}."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return torch.where(z > 0, 1.0, -1.0)

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * (z.abs() <= 1).to(g.dtype)


class _SSTEqReLU(torch.autograd.Function):
    """Hand-written STE of a k-step qReLU: the saturated-ReLU derivative 1{0 <= z <= 1}."""

    @staticmethod
    def forward(ctx, z, k):
        ctx.save_for_backward(z)
        out = torch.zeros_like(z)
        for i in range(k):
            out = out + (z - i / (k - 1) > 0).to(z.dtype)
        return out / k

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * ((z >= 0) & (z <= 1)).to(g.dtype), None


def _three_layer_grads(act, seed):
    torch.manual_seed(seed)
    x = torch.randn(64, 20)
    lins = [torch.nn.Linear(20, 30), torch.nn.Linear(30, 25), torch.nn.Linear(25, 5)]
    y = torch.randint(0, 5, (64,))
    h = act(lins[0](x))
    h = act(lins[1](h))
    loss = torch.nn.functional.cross_entropy(lins[2](h), y)
    loss.backward()
    return [p.grad.clone() for lin in lins for p in lin.parameters()]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kind,k", [("sign", 1), ("qrelu", 3), ("qrelu", 5)])
def test_saturated_hinge_equals_sste_exactly(kind, k, seed):
    ours = make_activation(_name(kind, k), "saturated_hinge", weighted=True)
    ref = _SSTESign.apply if kind == "sign" else (lambda z: _SSTEqReLU.apply(z, k))
    g_ours = _three_layer_grads(ours, seed)
    g_ref = _three_layer_grads(ref, seed)
    assert any(float(g.abs().sum()) > 0 for g in g_ref[:2])  # the first layer does learn
    for a, b in zip(g_ours, g_ref, strict=True):
        assert torch.equal(a, b)


def test_sste_equivalence_in_a_conv_model():
    from hardtarget.torch.models import make_model

    torch.manual_seed(3)
    m = make_model("convnet4", "sign", "sste", in_shape=(1, 8, 8), num_classes=4, width=16)
    x, y = torch.randn(8, 1, 8, 8), torch.randint(0, 4, (8,))
    torch.nn.functional.cross_entropy(m(x), y).backward()
    ours = [p.grad.clone() for p in m.parameters()]
    for i, mod in enumerate(m.features):
        if isinstance(mod, HardActivation):
            m.features[i] = _SSTEModule()
    m.classifier[1] = _SSTEModule()
    m.zero_grad()
    torch.nn.functional.cross_entropy(m(x), y).backward()
    for a, p in zip(ours, m.parameters(), strict=True):
        assert torch.equal(a, p.grad)


class _SSTEModule(torch.nn.Module):
    def forward(self, z):
        return _SSTESign.apply(z)


# -- backward = gradient of the layer loss at fixed targets --------------------------
def _ref_loss(kind, k, rule, z, t):
    """The paper's layer losses written out independently of hardtarget.torch.losses."""

    def base(u, name):
        if name == "saturated_hinge":
            return torch.clamp(1 - torch.maximum(t * u, torch.full_like(u, -1.0)), min=0)
        if name == "soft_hinge":
            return torch.tanh(-u * t) + 1
        if name == "hinge":
            return torch.clamp(1 - t * u, min=0)
        return -t * u

    if kind != "qrelu":
        return base(z, rule)
    if rule == "step_hinges":
        thr = [0.0] if k == 1 else [i / (k - 1) for i in range(k)]
        return sum(base(z - th, "saturated_hinge") for th in thr) / k
    return 0.5 * base(2 * z - 1, rule)


def _kinks(kind, k):
    pts = [-1.0, 1.0]
    if kind == "qrelu":
        thr = [i / (k - 1) for i in range(k)]
        pts = [0.0, 1.0] + [th + d for th in thr for d in (-1.0, 1.0)]
    return torch.tensor(pts, dtype=torch.float64)


@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("kind,k,rule", PAIRS)
def test_backward_matches_finite_differences(kind, k, rule, weighted):
    gen = torch.Generator().manual_seed(hash((kind, k, rule)) % 1000)
    z = torch.rand(4000, generator=gen, dtype=torch.float64) * 5 - 2
    z = z[(z[:, None] - _kinks(kind, k)[None]).abs().min(1).values > 1e-3]
    g = torch.randn(z.shape, generator=gen, dtype=torch.float64)
    g[::7] = 0.0
    t = torch.where(g < 0, 1.0, -1.0).to(torch.float64)  # sign(-g), sign(0) = -1
    c = g.abs() if weighted else (g != 0).to(torch.float64)
    rule_obj = get_rule(rule, kind, k)
    # the module's loss is the paper's loss
    torch.testing.assert_close(
        rule_obj.loss(z, t), _ref_loss(kind, k, rule, z, t), rtol=0, atol=1e-12
    )
    zz = z.clone().requires_grad_(True)
    hard_activation(zz, rule_obj, weighted).backward(g)
    h = 1e-6
    fd = c * (_ref_loss(kind, k, rule, z + h, t) - _ref_loss(kind, k, rule, z - h, t)) / (2 * h)
    torch.testing.assert_close(zz.grad, fd, rtol=1e-6, atol=1e-7)
    assert torch.all(zz.grad[g == 0] == 0)
    assert float(zz.grad.abs().sum()) > 0


def test_soft_hinge_is_g_sech2_and_ste_is_identity():
    z = torch.linspace(-4, 4, 101, dtype=torch.float64, requires_grad=True)
    g = torch.linspace(-2, 3, 101, dtype=torch.float64)
    hard_activation(z, get_rule("ftp-sh", "sign")).backward(g)
    torch.testing.assert_close(z.grad, g / torch.cosh(z.detach()) ** 2, rtol=1e-12, atol=1e-13)
    z.grad = None
    hard_activation(z, get_rule("ste", "sign")).backward(g)
    assert torch.equal(z.grad, g)
    z.grad = None
    hard_activation(z, get_rule("ftp-sh", "qrelu", 3)).backward(g)
    torch.testing.assert_close(
        z.grad, g / torch.cosh(2 * z.detach() - 1) ** 2, rtol=1e-12, atol=1e-13
    )


def test_step_hinges_count_thresholds_within_margin():
    # qrelu3 thresholds 0, 0.5, 1: at z = 0.25 all three hinges are active, at 1.75 one is
    z = torch.tensor([-1.5, -0.75, 0.25, 1.25, 1.75, 2.5], dtype=torch.float64, requires_grad=True)
    hard_activation(z, get_rule("step_hinges", "qrelu", 3)).backward(
        torch.ones(6, dtype=torch.float64)
    )
    assert z.grad.tolist() == pytest.approx([0, 1 / 3, 1, 2 / 3, 1 / 3, 0])


# -- targets, logging, g = 0 ----------------------------------------------------------
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize(
    "kind,k,rule", [("sign", 1, "soft_hinge"), ("qrelu", 3, "step_hinges"), ("step", 1, "hinge")]
)
def test_recorded_targets_are_sign_of_minus_g(kind, k, rule, weighted):
    act = HardActivation(_name(kind, k), rule, weighted, record=True)
    z = torch.randn(50, 7, dtype=torch.float64, requires_grad=True)
    g = torch.randn(50, 7, dtype=torch.float64)
    g[g.abs() < 0.3] = 0.0
    act(z).backward(g)
    t = act.last.targets
    assert t.dtype == torch.int8
    assert torch.equal(t[g < 0], torch.ones_like(t[g < 0]))
    assert torch.equal(t[g >= 0], -torch.ones_like(t[g >= 0]))  # sign(-0) = -1
    assert torch.equal(act.last.has_target, g != 0)
    c = g.abs() if weighted else (g != 0).double()
    expect = float((c * _ref_loss(kind, k, rule, z.detach(), t.double())).sum())
    assert act.last.layer_loss == pytest.approx(expect, rel=1e-12)
    assert torch.all(z.grad[g == 0] == 0)


def test_weighting_switch_changes_magnitude_not_sign():
    z = torch.randn(200, dtype=torch.float64)
    g = torch.randn(200, dtype=torch.float64) * 5
    outs = []
    for weighted in (True, False):
        zz = z.clone().requires_grad_(True)
        hard_activation(zz, get_rule("soft_hinge", "sign"), weighted).backward(g)
        outs.append(zz.grad)
    assert torch.equal(torch.sign(outs[0]), torch.sign(outs[1]))
    torch.testing.assert_close(outs[0], outs[1] * g.abs())
    assert not torch.allclose(outs[0], outs[1])


def test_record_off_keeps_nothing():
    act = HardActivation("sign", "sste")
    z = torch.randn(5, requires_grad=True)
    act(z).sum().backward()
    assert act.last.targets is None and act.last.layer_loss is None


# -- bad names -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "act,rule,match",
    [
        ("tanh", "sste", "unknown activation 'tanh'; valid: sign, step, qrelu<k>, relu, sat-relu"),
        ("sign", "magic", "unknown rule 'magic'; valid: soft_hinge, saturated_hinge"),
        ("sign", "step_hinges", "exists only for qrelu"),
        ("relu", "soft_hinge", "continuous and trains by backprop"),
        ("sign", "backprop", "zero gradient"),
        ("qrelu0", None, "bad quantized ReLU|unknown activation"),
    ],
)
def test_bad_activation_rule_pairs(act, rule, match):
    with pytest.raises(HardTargetError, match=match):
        make_activation(act, rule)


def test_defaults_and_aliases():
    assert make_activation("sign").rule.name == "soft_hinge"
    assert make_activation("qrelu3", "sste").rule.name == "saturated_hinge"
    assert isinstance(make_activation("relu"), torch.nn.ReLU)
    assert float(make_activation("sat-relu")(torch.tensor(3.0))) == 1.0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_saturated_hinge_boundaries_are_inclusive(dtype):
    def grads(z, kind, k=1):
        z = torch.tensor(z, dtype=dtype, requires_grad=True)
        hard_activation(z, get_rule("sste", kind, k)).backward(torch.ones_like(z))
        return z.grad.tolist()

    def out(x, d):  # the next representable number beyond x, away from the interval
        return float(torch.nextafter(torch.tensor(x, dtype=dtype), torch.tensor(d, dtype=dtype)))

    assert grads([-1.0, 1.0, out(-1.0, -9), out(1.0, 9), 0.0], "sign") == [1, 1, 0, 0, 1]
    assert grads([0.0, 1.0, out(0.0, -9), out(1.0, 9), 0.5], "qrelu", 3) == [1, 1, 0, 0, 1]


def test_nan_preactivation_maps_to_the_low_level_like_numpy():
    z = torch.tensor([float("nan")])
    assert hard_forward(z, "sign").tolist() == [-1.0]
    assert hard_forward(z, "step").tolist() == [0.0]
    assert get_activation("sign")(np.array([np.nan])).tolist() == [-1.0]

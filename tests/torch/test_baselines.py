"""Numerics of the baselines against independent references (closed forms, SciPy, enumeration,
Monte Carlo, hand-computed values of the papers' equations)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra
from scipy import stats
from scipy.special import erf

from hardtarget.errors import HardTargetError
from hardtarget.torch.baselines import (
    PCF,
    CBNet,
    DiscreteNet,
    RealNet,
    WeightDistNet,
    arch_spec,
    init_logits,
    parse_spec,
)
from hardtarget.torch.baselines.gauss import (
    VAR_EPS,
    gumbel_sign,
    max_gauss,
    max_pool_gauss,
    sign_logit,
    sign_mean,
)
from hardtarget.torch.baselines.weight_dist import DistBatchNorm, ProbLayer

D64 = torch.float64


def t(*v):
    return torch.tensor(v, dtype=D64)


# -- the sign's output distribution -------------------------------------------------------
def test_sign_mean_is_erf_with_sqrt2():
    mu, var = t(1.0, -0.3, 2.0, 0.0), t(1.0, 0.5, 4.0, 2.0)
    ref = 2 * stats.norm.cdf(mu.numpy() / np.sqrt(var.numpy())) - 1
    got = sign_mean(mu, var).numpy()
    np.testing.assert_allclose(got, ref, atol=1e-7)
    np.testing.assert_allclose(got, erf(mu.numpy() / np.sqrt(2 * var.numpy())), atol=1e-7)
    assert abs(got[0] - erf(1.0)) > 0.15  # the missing-sqrt(2) value is far off: 0.683 vs 0.843


def test_sign_mean_monte_carlo():
    g = np.random.default_rng(0)
    a = g.normal(0.4, math.sqrt(0.7), 400_000)
    assert float(sign_mean(t(0.4), t(0.7))) == pytest.approx(
        np.mean(np.where(a > 0, 1, -1)), abs=0.005
    )


def test_sign_mean_zero_variance_is_finite_with_finite_gradient():
    mu = t(0.5, -0.5, 0.0).requires_grad_()
    var = torch.zeros(3, dtype=D64, requires_grad=True)
    out = sign_mean(mu, var)
    out.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), [1.0, -1.0, 0.0], atol=1e-12)
    assert torch.isfinite(mu.grad).all() and torch.isfinite(var.grad).all()


def test_sign_logit_matches_scipy_and_stays_finite_in_the_tails():
    mu, var = t(0.3, -2.0, 40.0, -40.0), t(1.0, 0.25, 1.0, 1.0)
    z = mu.numpy() / np.sqrt(var.numpy())
    ref = stats.norm.logcdf(z) - stats.norm.logcdf(-z)
    np.testing.assert_allclose(sign_logit(mu, var).numpy(), ref, rtol=1e-6)


def test_gumbel_sample_is_positive_with_the_sign_probability():
    torch.manual_seed(0)
    mu, var = torch.full((200_000,), 0.6, dtype=D64), torch.full((200_000,), 2.0, dtype=D64)
    x = gumbel_sign(mu, var, tau=1.0)
    assert x.abs().max() < 1
    assert float((x > 0).double().mean()) == pytest.approx(
        stats.norm.cdf(0.6 / math.sqrt(2.0)), abs=0.004
    )
    cold = gumbel_sign(mu, var, tau=0.01)  # low temperature: nearly +-1 with mean E[sign(a)]
    assert float(cold.mean()) == pytest.approx(float(sign_mean(t(0.6), t(2.0))), abs=0.01)


# -- max of Gaussians (eqs. 6-8) -----------------------------------------------------------
def test_max_of_two_standard_normals():
    mu, var = max_gauss(t(0.0), t(1.0), t(0.0), t(1.0))
    assert float(mu) == pytest.approx(1 / math.sqrt(math.pi), abs=1e-8)
    assert float(var) == pytest.approx(1 - 1 / math.pi, abs=1e-8)


@pytest.mark.parametrize(
    "m1,v1,m2,v2", [(0.5, 1.0, -0.2, 0.3), (2.0, 0.1, 1.5, 2.0), (-1.0, 4.0, 1.0, 0.5)]
)
def test_max_of_two_gaussians_monte_carlo(m1, v1, m2, v2):
    g = np.random.default_rng(1)
    s = np.maximum(g.normal(m1, math.sqrt(v1), 1_000_000), g.normal(m2, math.sqrt(v2), 1_000_000))
    mu, var = max_gauss(t(m1), t(v1), t(m2), t(v2))
    assert float(mu) == pytest.approx(s.mean(), abs=6 * s.std() / 1000)
    assert float(var) == pytest.approx(s.var(), rel=0.01)


def test_variance_clamps_where_moments_cancel():
    mu, var = max_gauss(t(1e4, 3e3), t(0.0, 0.0), t(0.0, -2e3), t(0.0, 0.0))
    assert torch.all(var >= VAR_EPS) and torch.all(torch.isfinite(var))
    np.testing.assert_allclose(mu.numpy(), [1e4, 3e3], rtol=1e-9)
    layer = ProbLayer(3, 2, weights="ternary")
    with torch.no_grad():
        layer.logits.copy_(torch.tensor([5.0, -5.0, -5.0]).expand(2, 3, 3))  # near point masses
    _, wvar = layer.moments()
    assert torch.all(wvar >= VAR_EPS)
    _, avar = layer(torch.zeros(4, 3))
    assert torch.all(avar >= VAR_EPS)


def test_max_pool_of_point_masses_is_max_pool():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(2, 3, 5, 7, generator=g, dtype=D64)
    pm, pv = max_pool_gauss(mu, torch.zeros_like(mu))
    np.testing.assert_allclose(pm.numpy(), torch.nn.functional.max_pool2d(mu, 2).numpy(), atol=1e-6)
    assert pm.shape == (2, 3, 2, 3) and torch.all(pv >= VAR_EPS)


def test_moment_gradients_match_finite_differences():
    g = torch.Generator().manual_seed(12)
    mu1, mu2 = (torch.randn(5, generator=g, dtype=D64, requires_grad=True) for _ in range(2))
    v1, v2 = (torch.rand(5, generator=g, dtype=D64).add(0.1).requires_grad_() for _ in range(2))
    assert torch.autograd.gradcheck(max_gauss, (mu1, v1, mu2, v2))
    assert torch.autograd.gradcheck(sign_mean, (mu1, v1))
    assert torch.autograd.gradcheck(sign_logit, (mu1, v1))
    bn = DistBatchNorm(5).double()
    m, v = torch.randn(4, 5, generator=g, dtype=D64), torch.rand(4, 5, generator=g, dtype=D64)
    assert torch.autograd.gradcheck(lambda a, b: bn(a, b), (m.requires_grad_(), v.requires_grad_()))


def test_logits_get_gradients_through_pooling_and_signs():
    torch.manual_seed(13)
    net = WeightDistNet(parse_spec("3C3-P2-FC5"), (1, 4, 4), 3, weights="ternary")
    loss = torch.nn.functional.cross_entropy(
        net.train()(torch.randn(8, 1, 4, 4)), torch.arange(8) % 3
    )
    loss.backward()
    for layer in net.layers:
        assert torch.isfinite(layer.logits.grad).all() and layer.logits.grad.abs().sum() > 0


# -- probabilistic layers ------------------------------------------------------------------
def _probs(layer):
    return torch.softmax(layer.logits.detach().double(), -1)


def test_dense_moments_equal_exact_enumeration():
    torch.manual_seed(3)
    layer = ProbLayer(3, 1, weights="quinary")
    with torch.no_grad():
        layer.logits.normal_()
    x = torch.tensor([[0.7, -1.2, 0.4]])
    mu, var = (v.detach() for v in layer(x))
    p = _probs(layer)[0].numpy()  # (3 inputs, 5 values)
    vals = np.array([-1, -0.5, 0, 0.5, 1])
    outs, ws = [], []
    for combo in itertools.product(range(5), repeat=3):
        ws.append(np.prod([p[i, c] for i, c in enumerate(combo)]))
        outs.append(sum(vals[c] * float(x[0, i]) for i, c in enumerate(combo)))
    outs, ws = np.array(outs), np.array(ws)
    m = float(ws @ outs)
    assert float(mu) == pytest.approx(m, abs=1e-5)
    assert float(var) == pytest.approx(float(ws @ (outs - m) ** 2), abs=1e-5)


def test_conv_moments_equal_a_direct_loop():
    torch.manual_seed(4)
    layer = ProbLayer(2, 3, kernel=3, weights="quaternary")
    with torch.no_grad():
        layer.logits.normal_()
    x = torch.randn(1, 2, 4, 5)
    mu, var = (v.detach() for v in layer(x))
    p = _probs(layer).numpy()
    vals = np.array([-1, -1 / 3, 1 / 3, 1])
    ew, vw = p @ vals, p @ vals**2 - (p @ vals) ** 2
    xp = np.pad(x.numpy()[0], ((0, 0), (1, 1), (1, 1)))
    for o, i, j in itertools.product(range(3), range(4), range(5)):
        patch = xp[:, i : i + 3, j : j + 3]
        assert float(mu[0, o, i, j]) == pytest.approx(float((ew[o] * patch).sum()), abs=1e-5)
        assert float(var[0, o, i, j]) == pytest.approx(float((vw[o] * patch**2).sum()), abs=1e-5)


def test_batch_norm_over_distributions_eqs_9_10():
    g = torch.Generator().manual_seed(5)
    mu, var = torch.randn(6, 4, generator=g, dtype=D64), torch.rand(6, 4, generator=g, dtype=D64)
    bn = DistBatchNorm(4).double()
    with torch.no_grad():
        bn.weight.copy_(t(1.0, 2.0, -0.5, 1.5))
        bn.bias.copy_(t(0.0, 1.0, 0.3, -2.0))
    m2, v2 = bn(mu, var)
    mb = mu.numpy().mean(0)
    sb2 = (var.numpy() + (mu.numpy() - mb) ** 2).sum(0) / 5  # eq. 9, N_B - 1 = 5
    gam, bet = bn.weight.detach().numpy(), bn.bias.detach().numpy()
    np.testing.assert_allclose(
        m2.detach().numpy(), (mu.numpy() - mb) / np.sqrt(sb2) * gam + bet, rtol=1e-6
    )
    np.testing.assert_allclose(v2.detach().numpy(), var.numpy() / sb2 * gam**2, rtol=1e-6)


# -- parameterization and initialization of q (section 5.2) -------------------------------
@pytest.mark.parametrize("weights", ["ternary", "quaternary", "quinary"])
def test_initial_logits_are_log_probabilities_inside_the_clip(weights):
    w = torch.randn(300, 7, generator=torch.Generator().manual_seed(6))
    lg = init_logits(w, weights)
    np.testing.assert_allclose(torch.logsumexp(lg.double(), -1).numpy(), 0.0, atol=1e-6)
    assert lg.max() <= 5 and lg.min() >= -5  # the [-5, 5] clip leaves them as they are
    assert float(lg.exp().max()) == pytest.approx(0.95, abs=1e-6)


def test_initial_probabilities_equation_11_by_hand():
    # positive weights 1..4: empirical CDF 1/4..1, mapped onto (0, 1.5] for {-1, 0, 1}
    q = init_logits(torch.tensor([1.0, 2.0, 3.0, 4.0, -7.0]), "ternary").exp().double().numpy()
    qmin, dq = 0.025, 0.925
    np.testing.assert_allclose(
        q[0], [qmin, qmin + dq * 0.625, qmin + dq * 0.375], atol=1e-6
    )  # 0.375
    np.testing.assert_allclose(q[1], [qmin, qmin + dq * 0.25, qmin + dq * 0.75], atol=1e-6)  # 0.75
    np.testing.assert_allclose(q[2], [qmin, qmin, 0.95], atol=1e-6)  # 1.125
    np.testing.assert_allclose(q[4], [0.95, qmin, qmin], atol=1e-6)  # -1.5


@pytest.mark.parametrize("weights,d", [("ternary", 3), ("quaternary", 4), ("quinary", 5)])
def test_each_value_is_initially_most_probable_equally_often(weights, d):
    g = torch.Generator().manual_seed(7)
    w = torch.cat(
        [torch.rand(3000, generator=g) * 0.1 + 0.01, -torch.rand(3000, generator=g) * 3 - 0.01]
    )
    lg = init_logits(w, weights)
    counts = np.bincount(lg.argmax(-1).numpy(), minlength=d) / w.numel()
    np.testing.assert_allclose(counts, 1.0 / d, atol=0.002)
    vals = {3: [-1, 0, 1], 4: [-1, -1 / 3, 1 / 3, 1], 5: [-1, -0.5, 0, 0.5, 1]}[d]
    mean = lg.exp() @ torch.tensor(vals, dtype=torch.float32)
    assert torch.all(torch.sign(mean) == torch.sign(w))  # signs kept
    order = torch.argsort(w)
    assert torch.all(mean[order].diff() >= -1e-6)  # order kept


def test_logits_are_clipped_before_each_training_forward():
    net = WeightDistNet([("fc", 4)], (1, 2, 2), 3)
    with torch.no_grad():
        net.layers[0].logits.mul_(0).add_(9.0)
        net.layers[1].logits.fill_(-12.0)
    net.train()(torch.randn(5, 1, 2, 2))
    assert all(float(layer.logits.detach().abs().max()) <= 5.0 for layer in net.layers)


def test_expected_forward_propagates_erf_of_the_moments():
    torch.manual_seed(11)
    net = WeightDistNet([("fc", 6)], (1, 2, 2), 3, weights="quinary", sample=False).double()
    x = torch.randn(9, 1, 2, 2, dtype=D64)
    out = net.train()(x)
    assert torch.equal(out, net(x))  # deterministic
    mu, var = net.bns[0](*net.layers[0](x))
    h = erf(mu.detach().numpy() / np.sqrt(2 * var.detach().numpy()))  # SciPy's erf
    w_mean, _ = net.layers[1].moments()
    want = h @ w_mean.detach().numpy().T / math.sqrt(6) + net.bias.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-6, atol=1e-9)
    assert WeightDistNet.from_dist(net, "sign").sample is False


# -- batch-norm statistics of the discrete network (section 5.1) --------------------------
def test_batch_norm_statistics_come_from_the_discrete_pass():
    torch.manual_seed(8)
    real = RealNet([("fc", 5)], (1, 3, 3), 2)
    net = WeightDistNet.from_real(real, "quinary")
    x = torch.randn(40, 1, 3, 3)
    net.train()(x)  # training-time statistics of the distributions (never used for prediction)
    with pytest.raises(HardTargetError, match="stale"):
        net.eval()(x)
    disc = net.recompute_bn([x])
    ints = net.layers[0].most_probable().double().numpy()
    pre = x.reshape(40, 9).double().numpy() @ ints.T / 2  # quinary: weights = ints / 2
    np.testing.assert_allclose(net.bns[0].running_mean.numpy(), pre.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.bns[0].running_var.numpy(), pre.var(0, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(disc.bns[0].running_mean.numpy(), pre.mean(0), rtol=1e-5, atol=1e-6)
    out = net.eval()(x)
    np.testing.assert_allclose(out.detach().numpy(), disc(x).detach().numpy(), rtol=1e-6)
    assert disc.int_weight(0).dtype == torch.int8


# -- continuous binarization ---------------------------------------------------------------
def test_pcf_values_and_sbaf():
    act = PCF(m=0.5, a=2.0)
    x = t(-1.0, -0.5, 0.0, 0.25, 0.5, 3.0).float()
    np.testing.assert_allclose(
        act(x).detach().numpy(), [0, 0, 1, 1.5, 2, 2]
    )  # clip(x/m + a/2, 0, a)
    act.binary.fill_(True)
    np.testing.assert_allclose(act(x).detach().numpy(), [0, 0, 0, 2, 2, 2])  # a * 1[x > 0], at 0: 0


def test_pcf_slope_stays_positive_and_switches_to_binary():
    torch.manual_seed(9)
    net = CBNet([("fc", 8)], (1, 2, 2), 2, regularizer="l1", lam=100.0, m_switch=0.05)
    net.set_stage(1)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x, y = torch.randn(32, 1, 2, 2), torch.randint(0, 2, (32,))
    for _ in range(40):
        loss = torch.nn.functional.cross_entropy(net(x), y) + net.regularization()
        opt.zero_grad()
        loss.backward()
        assert torch.isfinite(net.acts[0].a.grad).all()
        opt.step()
    act = net.acts[0]
    assert act.is_binary() and float(net.regularization()) == 0.0
    out = act(torch.tensor([-1e-3, 1e-3]))  # the slope (now <= m_switch) is never divided by
    assert torch.equal(out, torch.stack([torch.zeros(()), act.a.detach()]))


def test_cb_stages_freeze_earlier_layers():
    torch.manual_seed(10)
    net = CBNet(arch_spec("mlp", hidden=(6, 5)), (1, 2, 2), 3)
    net.set_stage(2)
    before = [bn.running_mean.clone() for bn in net.bns]
    out = net(torch.randn(7, 1, 2, 2) + 3.0).sum() + net.regularization()
    out.backward()
    assert torch.equal(net.bns[0].running_mean, before[0])  # frozen: running statistics only
    assert not torch.equal(net.bns[1].running_mean, before[1])
    assert net.bns[0].weight.grad is None and net.bns[1].weight.grad is not None
    assert net.layers[0].weight.grad is None and net.acts[0].m.grad is None
    assert bool(net.acts[0].binary) and not bool(net.acts[1].binary)
    assert net.layers[1].weight.grad is not None and net.acts[1].m.grad is not None
    assert net.out.weight.grad is not None


def test_regularization_uses_the_layer_kind_coefficient():
    net = CBNet(
        parse_spec("4C3-P2-4C3-FC5"), (1, 4, 4), 2, lam={"pool": 0.3, "conv": 0.2, "fc": 0.1}
    )
    for stage, lam in ((1, 0.3), (2, 0.1), (3, 0.1)):
        net.set_stage(stage)
        assert float(net.regularization().detach()) == pytest.approx(lam * 0.25)  # m = 0.5, L2


def test_bad_inputs_raise_hardtarget_errors():
    with pytest.raises(HardTargetError, match="valid: ternary"):
        WeightDistNet([("fc", 3)], (1, 2, 2), 2, weights="binary")
    with pytest.raises(HardTargetError, match="bad block"):
        parse_spec("32X3")
    with pytest.raises(HardTargetError, match="convolutions and pooling must come first"):
        CBNet(parse_spec("FC8-4C3"), (1, 4, 4), 2)
    with pytest.raises(HardTargetError, match="valid: mlp"):
        arch_spec("resnet")
    with pytest.raises(HardTargetError, match="not binarized"):
        CBNet([("fc", 3)], (1, 2, 2), 2).to_sign_mlp()
    with pytest.raises(HardTargetError, match="no coefficient for activations before a 'pool'"):
        CBNet(parse_spec("4C3-P2-FC5"), (1, 4, 4), 2, lam={"fc": 1.0})
    with pytest.raises(HardTargetError, match="m_switch"):
        PCF(m=0.5, m_switch=0.0)
    with pytest.raises(HardTargetError, match="sign' or 'tanh"):
        DiscreteNet([("fc", 2)], (1, 2, 2), 2, [torch.zeros(2, 4), torch.zeros(2, 2)], 1, "relu")

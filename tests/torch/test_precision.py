"""Mixed precision, channels-last, torch.compile, and the one-pass fused kernels (on CPU)."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra
import torch.nn.functional as F

from hardtarget.errors import HardTargetError
from hardtarget.torch import HardActivation, fit, make_model
from hardtarget.torch.data import load_dataset
from hardtarget.torch.functional import backward_rule, exact_thresholds, hard_forward
from hardtarget.torch.fused import forward_formula, fused_mode, grad_formula
from hardtarget.torch.losses import RULES, get_rule
from hardtarget.torch.named_run import TrainConfig, train

KINDS = [
    ("sign", 1),
    ("step", 1),
    ("qrelu", 1),
    ("qrelu", 2),
    ("qrelu", 3),
    ("qrelu", 4),
    ("qrelu", 5),
]
LOW = [torch.bfloat16, torch.float16]


def _edge_values(kind: str, k: int, dtype: torch.dtype) -> torch.Tensor:
    """Random values plus every threshold's float32 value and its neighbours in ``dtype``."""
    thr = [0.0] if kind != "qrelu" or k == 1 else [i / (k - 1) for i in range(k)]
    t = torch.tensor(thr, dtype=torch.float32).to(dtype)
    up, down = torch.full_like(t, 9.0), torch.full_like(t, -9.0)
    edges = torch.cat(
        [
            t,
            torch.nextafter(t, up),
            torch.nextafter(t, down),
            -t,
            torch.zeros(1, dtype=dtype),
            -torch.zeros(1, dtype=dtype),
        ]
    )
    rand = (torch.randn(4000, generator=torch.Generator().manual_seed(k)) * 1.5).to(dtype)
    return torch.cat([edges, rand])


def _rules(kind: str) -> list[str]:
    return [
        r for r in RULES if kind == "qrelu" or not get_rule(r, "qrelu", 3).definition.qrelu_only
    ]


@pytest.mark.parametrize("dtype", LOW)
@pytest.mark.parametrize("kind,k", KINDS)
def test_low_precision_forward_decides_as_float32(kind, k, dtype):
    z = _edge_values(kind, k, dtype)
    ref = hard_forward(z.float(), kind, k)  # the same input values, float32 thresholds
    got = hard_forward(z, kind, k)
    assert got.dtype == dtype
    assert torch.equal(got, ref.to(dtype))
    levels = torch.round(ref * (k if kind == "qrelu" else 1))  # the decision itself, exactly
    assert torch.equal(torch.round(got.float() * (k if kind == "qrelu" else 1)), levels)
    if kind == "sign":
        assert got[z == 0].eq(-1).all()  # sign(0) = -1, for +0 and -0


def test_exact_thresholds_are_the_float32_ones_rounded_down():
    for k in (3, 4, 5, 7):
        ref = torch.tensor([i / (k - 1) for i in range(k)], dtype=torch.float32)
        for dtype in LOW:
            th = torch.tensor(exact_thresholds("qrelu", k, dtype), dtype=torch.float64)
            assert torch.equal(th.to(dtype).to(torch.float64), th)  # representable in dtype
            assert (th <= ref.double()).all()
            nxt = torch.nextafter(th.to(dtype), torch.full((k,), 9.0, dtype=dtype)).double()
            assert (nxt > ref.double()).all()  # nothing of dtype in (th, ref]


@pytest.mark.parametrize("kind,k", [("sign", 1), ("qrelu", 3)])
def test_autocast_returns_the_autocast_dtype_with_the_float32_forward(kind, k):
    act = HardActivation(f"qrelu{k}" if kind == "qrelu" else kind, "soft_hinge")
    z = _edge_values(kind, k, torch.float32).requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = act(z)
    assert out.dtype == torch.bfloat16
    assert torch.equal(out, hard_forward(z.detach(), kind, k).to(torch.bfloat16))
    out.float().sum().backward()
    assert z.grad.dtype == torch.float32


@pytest.mark.parametrize("dtype", LOW)
@pytest.mark.parametrize("kind,k", KINDS)
def test_low_precision_backward_is_the_float64_gradient_rounded(kind, k, dtype):
    z = _edge_values(kind, k, dtype)
    g = (torch.randn(len(z), generator=torch.Generator().manual_seed(7)) * 3).to(dtype)
    g[::5] = 0
    sub = torch.finfo(dtype).smallest_normal * torch.finfo(dtype).eps  # subnormal spacing
    for name in _rules(kind):
        rule = get_rule(name, kind, k)
        for weighted in (True, False):
            got = backward_rule(rule, z, g, weighted)
            assert got.dtype == dtype
            w = g.double() if weighted else torch.sign(g.double())
            truth = rule.grad(z.double(), w)  # same input values, float64 arithmetic
            err = (got.double() - truth).abs()  # rounding to dtype, plus float32's absolute
            tol = truth.abs() * 2.0**-7 + w.abs() * 2.0**-20 + sub  # error in 4 s (1 - s)
            assert (err <= tol).all(), (name, weighted, float(err.max()))


def test_bf16_gradients_of_a_convnet_are_close_to_float32():
    x, y = load_dataset("digits").train.batch(torch.arange(256))
    torch.manual_seed(0)
    m = make_model("convnet4", "sign", "soft_hinge", in_shape=(1, 8, 8), num_classes=10, width=64)

    def grads(low: bool) -> list:
        m.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=low):
            loss = F.cross_entropy(m(x).float(), y)
        loss.backward()
        return [p.grad.clone() for p in m.parameters()]

    for a, b in zip(grads(False), grads(True), strict=True):
        assert float(F.cosine_similarity(a.flatten(), b.flatten(), 0)) > 0.97


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_training_converges_on_digits_in_mixed_precision(precision):
    res = train(
        TrainConfig(
            model="mlp",
            dataset="digits",
            epochs=4,
            lr=3e-3,
            precision=precision,
            model_options={"hidden": [64]},
        )
    )
    assert res.history[-1]["test_top1"] > 90


def test_channels_last_gives_the_same_logits_and_trains():
    x, y = load_dataset("synthetic:64").train.batch(torch.arange(48))
    torch.manual_seed(1)
    m = make_model(
        "convnet8", "qrelu3", "soft_hinge", in_shape=(3, 32, 32), num_classes=10, width_mult=0.25
    ).eval()
    ref = m(x)
    m.to(memory_format=torch.channels_last)
    got = m(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(got, ref, rtol=1e-4, atol=1e-4)
    res = fit(m.train(), (x, y), epochs=1, batch_size=16, channels_last=True)
    assert res.status == "completed"
    conv = next(p for p in m.parameters() if p.ndim == 4)
    assert conv.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("rule,mode", [("saturated_hinge", "never"), ("soft_hinge", "always")])
def test_compiled_model_trains_like_the_eager_one(rule, mode):
    x, y = load_dataset("digits:0-1").train.batch(torch.arange(96))
    runs = []
    for compile in (False, "aot_eager"):
        torch.manual_seed(3)
        m = make_model("mlp", "sign", rule, in_shape=(1, 8, 8), num_classes=2, hidden=[16])
        old = fused_mode(mode if compile else "never")  # the compiled model with fused kernels
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("error", ".*lru_cache")  # dynamo meets no cache wrapper
                runs.append(fit(m, (x, y), epochs=2, batch_size=32, compile=compile))
        finally:
            fused_mode(old)
    for a, b in zip(
        runs[0].model.state_dict().values(), runs[1].model.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind,k", KINDS)
def test_fused_formulas_equal_the_eager_rules(kind, k):
    z = _edge_values(kind, k, torch.float32)
    z = torch.cat([z, torch.tensor([1.0, -1.0, 0.5, 2.0, -2.0, 1.5])])
    g = torch.randn(len(z), generator=torch.Generator().manual_seed(2))
    g[::7] = 0
    assert torch.equal(
        forward_formula(z, kind, exact_thresholds(kind, k, z.dtype), z.dtype),
        hard_forward(z, kind, k),
    )
    for name in _rules(kind):
        rule = get_rule(name, kind, k)
        for weighted in (True, False):
            w = g if weighted else torch.sign(g)
            torch.testing.assert_close(
                grad_formula(z, g, name, kind, k, weighted), rule.grad(z, w), rtol=2e-6, atol=1e-7
            )


def test_grad_formula_of_a_rule_without_a_shape_is_a_clear_error():
    """``step_hinges`` defines no sign shape (its backward runs eagerly): asking for its
    fused formula names the rule (it was a TypeError from ``w * None``)."""
    z = torch.tensor([-1.0, 0.0, 1.0])
    with pytest.raises(HardTargetError, match="step_hinges"):
        grad_formula(z, torch.ones(3), "step_hinges", "sign", 0, True)


@pytest.mark.slow
def test_compiled_fused_kernels_through_autograd_equal_the_eager_path():
    z0 = torch.cat([_edge_values("qrelu", 3, torch.float32), torch.randn(999)])
    g = torch.randn(len(z0))
    cases = [("sign", "soft_hinge"), ("qrelu3", "saturated_hinge")]
    for act_name, rule in cases:
        outs = []
        for mode in ("never", "always"):
            old = fused_mode(mode)
            try:
                act = HardActivation(act_name, rule)
                z = z0.clone().requires_grad_(True)
                out = act(z)
                out.backward(g)
                outs.append((out.detach(), z.grad))
            finally:
                fused_mode(old)
        assert torch.equal(outs[0][0], outs[1][0])
        torch.testing.assert_close(outs[1][1], outs[0][1], rtol=2e-6, atol=1e-7)


def test_fused_forward_keeps_float64_levels():
    z = torch.linspace(-1, 2, 301, dtype=torch.float64)
    for k in (3, 4):
        th = exact_thresholds("qrelu", k, z.dtype)
        assert torch.equal(forward_formula(z, "qrelu", th, z.dtype), hard_forward(z, "qrelu", k))


def test_a_failing_compiler_switches_to_the_eager_kernels_with_a_warning(monkeypatch, caplog):
    import hardtarget.torch.fused as fused

    def broken(which):
        def fail(*args):
            raise RuntimeError("no C compiler")

        return fail

    monkeypatch.setattr(fused, "_compiled", broken)
    z0, g = torch.randn(50), torch.randn(50)
    ref = HardActivation("qrelu3", "soft_hinge")
    z1 = z0.clone().requires_grad_(True)
    ref(z1).backward(g)
    old = fused_mode("always")
    try:
        z2 = z0.clone().requires_grad_(True)
        out = HardActivation("qrelu3", "soft_hinge")(z2)
        out.backward(g)
        assert fused_mode() == "never"
    finally:
        fused_mode(old)
    assert torch.equal(out.detach(), hard_forward(z0, "qrelu", 3))
    torch.testing.assert_close(z2.grad, z1.grad, rtol=2e-6, atol=1e-7)
    assert "compiled activation kernels unavailable (RuntimeError: no C compiler)" in caplog.text


@pytest.mark.slow
def test_many_rule_and_dtype_variants_stay_compiled(caplog):
    import itertools

    import hardtarget.torch.fused as fused

    old = fused_mode("always")
    try:
        z = torch.randn(64)
        for (name, kind, k), dtype in itertools.product(
            [
                ("soft_hinge", "sign", 1),
                ("saturated_hinge", "sign", 1),
                ("hinge", "step", 1),
                ("soft_hinge", "qrelu", 3),
                ("saturated_hinge", "qrelu", 3),
            ],
            [torch.float32, torch.bfloat16],
        ):
            zz = z.to(dtype)
            got = fused.fused_grad(get_rule(name, kind, k), zz, zz, True)
            torch.testing.assert_close(got, backward_rule(get_rule(name, kind, k), zz, zz, True))
        assert fused_mode() == "always"  # more than dynamo's default 8 specializations
    finally:
        fused_mode(old)
    assert "unavailable" not in caplog.text


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU (the fused path's home)"
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_cuda_fused_kernels_equal_the_eager_rules(dtype):
    from hardtarget.torch.fused import use_fused

    z = torch.cat([_edge_values("qrelu", 3, dtype), _edge_values("sign", 1, dtype)]).cuda()
    g = torch.randn(len(z), generator=torch.Generator().manual_seed(4)).to("cuda", dtype)
    assert use_fused(z)  # selected automatically on CUDA
    for act_name in ("sign", "step", "qrelu3", "qrelu5"):
        kind, k = ("qrelu", int(act_name[5:])) if act_name.startswith("qrelu") else (act_name, 1)
        for name in _rules(kind):
            outs = []
            for mode in ("auto", "never"):
                old = fused_mode(mode)
                try:
                    zz = z.clone().requires_grad_(True)
                    out = HardActivation(act_name, name)(zz)
                    out.backward(g)
                    outs.append((out.detach(), zz.grad))
                finally:
                    fused_mode(old)
            assert torch.equal(outs[0][0], outs[1][0]), (act_name, name)
            tol = (
                dict(rtol=2e-6, atol=1e-7)
                if dtype == torch.float32
                else dict(rtol=2**-7, atol=1e-6)
            )
            torch.testing.assert_close(outs[0][1], outs[1][1], **tol)  # one rounding apart

"""Issue 22, torch side of the registry: rules, models and training methods are found
through their entry-point groups, and a new one is one object in one file."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")  # the suite runs without the torch extra

from hardtarget import registry
from hardtarget.errors import HardTargetError
from hardtarget.torch import TrainConfig, make_activation, make_model, train
from hardtarget.torch.fused import fusable
from hardtarget.torch.losses import RULES, get_rule
from hardtarget.torch.methods import TrainingMethod
from hardtarget.torch.rules import RuleDefinition

pytestmark = pytest.mark.usefixtures("one_thread")


def test_the_built_ins_come_from_the_entry_point_groups():
    rules = {c.name: c for c in registry.components("torch_rules")}
    assert set(rules) == {"soft_hinge", "saturated_hinge", "hinge", "ste", "step_hinges"}
    assert all(c.entry_point.startswith("hardtarget.torch.rules:") for c in rules.values())
    assert RULES[0] == "soft_hinge"
    assert set(registry.names("models")) == {
        "mlp", "convnet4", "convnet8", "alexnet", "resnet18", "resnet18-cifar"
    }  # fmt: skip
    assert registry.names("training_methods") == ["cb", "ftprop", "weight-dist"]
    assert registry.get("training_methods", "cb").obj.runner.endswith(":run_cb")


class _Quadratic(RuleDefinition):
    """A plugin rule: only its loss; backward by autograd, no compiled shape."""

    name, aliases, summary = "quadratic_hinge", ("qh",), "squared hinge"

    def loss(self, z, t):
        return torch.clamp(1 - t * z, min=0) ** 2


@pytest.fixture
def quadratic():
    registry.register("torch_rules", _Quadratic())
    yield
    registry.unregister("torch_rules", "quadratic_hinge")


def test_a_plugin_rule_is_one_class(quadratic):
    assert "quadratic_hinge" in get_rule.__globals__["rule_names"]()
    rule = get_rule("qh", "sign")
    assert rule.name == "quadratic_hinge" and not fusable(rule)
    z = torch.linspace(-3, 3, 61, dtype=torch.float64, requires_grad=True)
    g = torch.linspace(-1, 2, 61, dtype=torch.float64)
    make_activation("sign", "quadratic_hinge")(z).backward(g)
    t = torch.where(g < 0, 1.0, -1.0).double()  # sign(-g)
    # d/dz |g| (1 - t z)_+^2 = -2 |g| t (1 - t z)_+, written out by hand
    want = -2 * g.abs() * t * torch.clamp(1 - t * z.detach(), min=0)
    torch.testing.assert_close(z.grad, want, rtol=1e-12, atol=1e-12)
    q = get_rule("quadratic_hinge", "qrelu", 3)  # the qReLU form: loss(2z - 1) / 2
    zz = torch.tensor([0.25], dtype=torch.float64)
    assert float(q.loss(zz, torch.tensor([1.0]).double())) == pytest.approx(0.5 * 1.5**2)


def test_an_unknown_rule_lists_the_registered_ones(quadratic):
    with pytest.raises(HardTargetError, match="valid: soft_hinge, .*quadratic_hinge"):
        get_rule("nope", "sign")


def test_a_plugin_model_and_training_method_run_through_train(monkeypatch):
    seen = {}

    def tiny(activation, rule, weighted, in_shape, num_classes, width=3):
        """A one-hidden-layer plugin model."""
        return make_model("mlp", activation, rule, weighted, in_shape, num_classes, hidden=[width])

    def run_tiny(config, callbacks, budget):
        seen["config"] = config
        return "ran"

    registry.register("models", tiny, name="tiny")
    method = TrainingMethod("plain", "a plugin method", "does its own thing", "x:y")
    monkeypatch.setattr(TrainingMethod, "run", lambda self, c, cb=(), b=None: run_tiny(c, cb, b))
    registry.register("training_methods", method)
    try:
        assert type(make_model("tiny", in_shape=(1, 8, 8), num_classes=2)).__name__ == "MLP"
        assert train(TrainConfig(method="plain", model="tiny", epochs=1)) == "ran"
        assert seen["config"].epochs == 1
        with pytest.raises(HardTargetError, match="--rule only applies to --method ftprop"):
            train(TrainConfig(method="plain", rule="hinge"))
    finally:
        registry.unregister("models", "tiny")
        registry.unregister("training_methods", "plain")


def test_the_guide_plugin_rule_example_prints_what_it_shows(capsys):
    import re
    from pathlib import Path

    guide = Path(__file__).resolve().parents[2] / "docs" / "guide" / "torch-bridge.md"
    text = guide.read_text()
    code, shown = next(
        (c, o)
        for c, o in re.findall(r"```python\n(.*?)```\s*```text\n(.*?)```", text, flags=re.S)
        if "RuleDefinition" in c
    )
    exec(compile(code, "torch-bridge.md", "exec"), {})
    assert capsys.readouterr().out == shown
    assert "squared_hinge" not in registry.names("torch_rules")


def test_a_rule_without_a_compiled_shape_gives_the_formula_its_backward(quadratic):
    from hardtarget.torch.fused import grad_formula

    z = torch.linspace(-2, 2, 41)
    g = torch.linspace(-1, 1, 41)
    want = get_rule("quadratic_hinge", "sign").grad(z, g)
    assert torch.equal(grad_formula(z, g, "quadratic_hinge", "sign", 1, True), want)


def test_a_bad_model_option_is_refused_but_a_type_error_inside_a_builder_is_a_bug():
    def broken(activation, rule, weighted, in_shape, num_classes, width=3):
        """A plugin model with a bug inside."""
        return width + "3"  # TypeError: a bug, not the user's option

    registry.register("models", broken, name="broken")
    try:
        with pytest.raises(HardTargetError, match="bad option for model 'broken'.*depth"):
            make_model("broken", in_shape=(1, 8, 8), num_classes=2, depth=2)
        with pytest.raises(TypeError, match="unsupported operand"):
            make_model("broken", in_shape=(1, 8, 8), num_classes=2)
    finally:
        registry.unregister("models", "broken")


def test_a_bad_baseline_size_is_refused_by_name():
    from hardtarget.torch.baselines.arch import arch_spec

    with pytest.raises(HardTargetError, match="bad option for baseline model 'mlp'.*depthx"):
        arch_spec("mlp", depthx=2)

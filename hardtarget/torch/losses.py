"""Layer losses of FTPROP-MB and their fused backward rules (paper, sections 3.2-3.4).

Every hidden unit ``h = act(z)`` gets the target ``t = sign(-g)`` with ``g = dL/dh``
(equation 2, ``sign(0) = -1``) and the layer loss ``|g| * loss(z, t)`` (equation 3).
Every loss here has ``d loss / dz = -t * s(z, t)`` with a shape ``s >= 0``, and
``|g| * (-t) = g`` whenever ``g != 0``, so the whole backward fuses to ``g * s(z)``:

================  ===============================  ==================================
rule              sign / step (``z``)              qrelu (``u = 2z - 1``)
================  ===============================  ==================================
saturated_hinge   ``g * 1{|z| <= 1}`` (= SSTE)     ``g * 1{0 <= z <= 1}`` (sat-ReLU STE)
soft_hinge        ``g * sech^2(z)`` (FTP-SH)       ``g * sech^2(2z - 1)``
hinge             ``g * 1{t z < 1}``               ``g * 1{t u < 1}``
ste               ``g`` (identity)                 ``g``
step_hinges       --                               ``(g/k) * #{i : |z - i/(k-1)| <= 1}``
================  ===============================  ==================================

With the ``|g|`` weighting switched off the loss is ``1{g != 0} * loss(z, t)`` and
``g`` above becomes ``sign(g)``.  Units with ``g = 0`` have no target and get no
gradient either way.  The qReLU losses are the sign losses scaled and shifted to the
qReLU domain (``u = 2z - 1``, halved because ``qrelu ~ (sign(u) + 1) / 2``), except
``step_hinges``: the sum of one saturated hinge per step function, each weighted by
``|dL/d step_i| = |g| / k``.

Each rule is defined once, loss, backward and fused formula together, in
:mod:`hardtarget.torch.rules`, and found through the entry-point group
``hardtarget.torch_rules``; :data:`RULES` lists the registered names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..errors import HardTargetError
from .rules import RuleDefinition, qrelu_thresholds

__all__ = [
    "Rule",
    "RULES",  # noqa: F822 (module __getattr__: read from the registry)
    "RULE_ALIASES",  # noqa: F822
    "get_rule",
    "qrelu_thresholds",
    "rule_definitions",
    "rule_names",
]


def rule_definitions() -> dict[str, RuleDefinition]:
    """The registered rules by name (entry-point group ``hardtarget.torch_rules``).

    Returns
    -------
    dict
        Name -> :class:`~hardtarget.torch.rules.RuleDefinition`.
    """
    from .. import registry

    return {c.name: c.obj for c in registry.components("torch_rules")}


def rule_names() -> tuple[str, ...]:
    """The registered rules' names: the built-ins in their order, then plugins by name.

    Returns
    -------
    tuple of str
    """
    names = list(rule_definitions())
    return tuple(sorted(names, key=lambda n: (_BUILTIN.index(n) if n in _BUILTIN else 99, n)))


def _aliases() -> dict[str, str]:
    return {a: d.name for d in rule_definitions().values() for a in d.aliases}


def __getattr__(name: str):
    if name == "RULES":  # read from the registry when asked: plugins included
        return rule_names()
    if name == "RULE_ALIASES":
        return _aliases()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_BUILTIN = ("soft_hinge", "saturated_hinge", "hinge", "ste", "step_hinges")


@dataclass(frozen=True)
class Rule:
    """A rule for one activation kind: its definition applied to ``sign``, ``step`` or a
    ``k``-step ``qrelu`` (:mod:`hardtarget.torch.rules`).

    Parameters
    ----------
    name : str
        One of :data:`RULES`.
    kind : str
        ``"sign"``, ``"step"`` or ``"qrelu"``.
    k : int
        Steps of a qReLU (1 otherwise).
    definition : RuleDefinition
        The registered definition (looked up by ``name`` when not given).
    """

    name: str
    kind: str
    k: int = 1
    definition: RuleDefinition = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.definition is None:
            object.__setattr__(self, "definition", _definition(self.name))

    def loss(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Unweighted elementwise layer loss ``loss(z, t)`` for ±1 targets ``t``."""
        if self.kind != "qrelu":
            return self.definition.loss(z, t)
        return self.definition.qrelu_loss(z, t, self.k)

    def grad(self, z: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Backward ``w * s(z)``: ``w`` is ``g`` (weighted) or ``sign(g)``."""
        if self.kind != "qrelu":
            return self.definition.grad(z, w)
        return self.definition.qrelu_grad(z, w, self.k)


def _definition(name: str) -> RuleDefinition:
    from .. import registry

    return registry.get("torch_rules", name).obj


def canonical_rule(name: str) -> str:
    """Resolve aliases (``sste``, ``ftp-sh``, ``soft-hinge``) to a name in :data:`RULES`.

    The names are those of the numpy side (:mod:`hardtarget.units`): ``hinge``,
    ``soft_hinge``, ``saturated_hinge``.
    """
    if not isinstance(name, str):
        raise HardTargetError(f"rule must be a string, got {type(name).__name__}")
    aliases = _aliases()
    s = name.strip().lower()
    s = aliases.get(s, s).replace("-", "_")
    s = aliases.get(s, s)
    if s not in rule_definitions():
        raise HardTargetError(
            f"unknown rule {name!r}; valid: {', '.join(rule_names())} (hyphenated "
            "spellings and the aliases ftp-sh, sste, identity are accepted too)"
        )
    return s


def get_rule(name: str, kind: str, k: int = 1) -> Rule:
    """The rule ``name`` for activation ``kind``; refuses pairs that do not exist.

    Parameters
    ----------
    name : str
        A rule name or alias (see :data:`RULES`).
    kind : str
        The activation kind: ``sign``, ``step`` or ``qrelu``.
    k : int, default=1
        Steps of a quantized ReLU.

    Returns
    -------
    Rule

    Examples
    --------

    >>> get_rule("sste", "sign").name
    'saturated_hinge'
    """
    s = canonical_rule(name)
    definition = _definition(s)
    if definition.qrelu_only and kind != "qrelu":
        raise HardTargetError(
            f"rule {s!r} ({definition.summary}) exists only for qrelu<k> activations, "
            f"not {kind!r}; use saturated_hinge or soft_hinge"
        )
    return Rule(s, kind, k, definition)

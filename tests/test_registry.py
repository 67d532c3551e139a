"""The component registry: declarations, entry points, session registrations, errors."""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
import warnings

import pytest

from hardtarget import registry
from hardtarget.errors import HardTargetError
from hardtarget.params import NO_DEFAULT, Param, declare
from hardtarget.registry import Component, PluginWarning


@pytest.fixture
def fresh():
    """A registry that forgets the entry points read before and after the test."""
    registry.refresh()
    yield registry
    registry.refresh()


def _fake_dist(root, dist: str, group: str, lines: list[str], modules: dict[str, str]) -> None:
    """An installed distribution on ``root`` (a dist-info folder and its modules)."""
    info = root / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n" + "\n".join(lines) + "\n")
    for name, text in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(text))


# -- Param ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "param, text, expected",
    [
        (Param("int", "w", low=1), "8", 8),
        (Param("int", "w", low=1), "8.0", 8),
        (Param("float", "x", low=0, high=1), "0.5", 0.5),
        (Param("bool", "b"), "yes", True),
        (Param("bool", "b"), "off", False),
        (Param("str", "s", choices=("a", "b")), "b", "b"),
        (Param("int", "n", none=True), "none", None),
        (Param("float", "c", low=0, choices=("auto",)), "auto", "auto"),
        (Param("object", "o"), [1, 2], [1, 2]),
    ],
)
def test_param_converts_valid_values(param, text, expected):
    assert param.convert("demo", "opt", text) == expected


@pytest.mark.parametrize(
    "param, value",
    [
        (Param("int", "w", low=1), "0"),
        (Param("int", "w", low=1), "8.5"),
        (Param("int", "w"), True),
        (Param("float", "x", high=1), "nan"),
        (Param("float", "x", high=1), 2.0),
        (Param("bool", "b"), "maybe"),
        (Param("str", "s", choices=("a", "b")), "c"),
        (Param("int", "n"), None),
    ],
)
def test_param_refuses_invalid_values_saying_what_is_valid(param, value):
    with pytest.raises(HardTargetError, match=r"unit solver 'demo' option opt must be"):
        param.convert("demo", "opt", value, noun="unit solver")


def test_param_type_must_be_known():
    with pytest.raises(HardTargetError, match="Param kind must be one of"):
        Param("integer", "w")


# -- session registrations -----------------------------------------------------------------------
@declare(
    params={
        "steps": Param("int", "iterations", low=1),
        "mode": Param("str", "how", choices=("a", "b"), default="a"),
    },
    result_type=dict,
)
def _toy_solver(A, t, s, steps=10, mode="b", *, budget=None):
    """A toy unit solver.

    More text that is not the summary.
    """
    return {"steps": steps}


def test_register_get_unregister(fresh):
    registry.register("unit_solvers", _toy_solver, name="toy")
    try:
        comp = registry.get("unit_solvers", "toy")
        assert isinstance(comp, Component)
        assert comp.obj is _toy_solver and comp.name == "toy" and comp.kind == "unit_solvers"
        assert comp.summary == "A toy unit solver."
        assert comp.distribution is None and comp.entry_point is None
        assert comp.result_type is dict
        # the signature gives steps' default, the declaration overrides mode's
        assert comp.defaults() == {"steps": 10, "mode": "a"}
        assert comp.check_options({"steps": "3"}) == {"steps": 3}
        assert "toy" in registry.names("unit_solvers")
        assert "toy" in registry.choices("unit_solvers")
        assert registry.mapping("unit_solvers")["toy"] is _toy_solver
        d = comp.to_dict()
        assert d["params"]["steps"]["default"] == 10 and d["result_type"] == "builtins.dict"
    finally:
        registry.unregister("unit_solvers", "toy")
    assert "toy" not in registry.names("unit_solvers")
    with pytest.raises(HardTargetError, match="unknown unit solver 'toy'; valid:"):
        registry.get("unit_solvers", "toy")


def test_check_options_names_the_valid_ones(fresh):
    registry.register("unit_solvers", _toy_solver, name="toy")
    try:
        comp = registry.get("unit_solvers", "toy")
        with pytest.raises(HardTargetError, match=r"has no option\(s\) bogus; valid: mode, steps"):
            comp.check_options({"bogus": 1})
        with pytest.raises(HardTargetError, match=r"option steps must be an integer >= 1"):
            comp.check_options({"steps": "0"})
    finally:
        registry.unregister("unit_solvers", "toy")


def test_register_as_decorator_uses_the_name_attribute(fresh):
    def thing(A, t, s, k=3, *, budget=None):
        """A thing."""

    thing.name = "thing"
    thing.params = {"k": Param("int", "k")}
    assert registry.register("unit_solvers")(thing) is thing
    try:
        comp = registry.get("unit_solvers", "thing")
        assert comp.defaults() == {"k": 3} and comp.summary == "A thing."
    finally:
        registry.unregister("unit_solvers", "thing")


def test_the_kind_check_refuses_what_is_not_a_component(fresh):
    with pytest.raises(HardTargetError, match="cannot register 'x' as a unit solver: a unit "):
        registry.register("unit_solvers", int, name="x")
    with pytest.raises(HardTargetError, match="must take the keyword argument `budget`"):
        registry.register("unit_solvers", lambda A, t, s: None, name="x")


def test_register_refuses_bad_declarations(fresh):
    with pytest.raises(HardTargetError, match="needs a non-empty name"):
        registry.register("strategies", object())
    bad = declare(params={"k": "an int"})(lambda A, t, s, budget=None: None)
    with pytest.raises(HardTargetError, match="must map option names to hardtarget.params.Param"):
        registry.register("unit_solvers", bad, name="bad")
    with pytest.raises(HardTargetError, match="no unit solver 'never' was added by register"):
        registry.unregister("unit_solvers", "never")


def test_unknown_kind_lists_the_kinds():
    with pytest.raises(HardTargetError, match="unknown component kind 'solvers'; valid: strat"):
        registry.names("solvers")


def test_every_kind_has_its_group():
    assert [registry.group(k) for k in registry.KINDS] == [
        "hardtarget.strategies",
        "hardtarget.unit_solvers",
        "hardtarget.exporters",
        "hardtarget.torch_rules",
        "hardtarget.models",
        "hardtarget.datasets",
        "hardtarget.training_methods",
    ]


# -- entry points ----------------------------------------------------------------------------
def test_entry_points_are_found_and_loaded_lazily(fresh, tmp_path, monkeypatch):
    _fake_dist(
        tmp_path,
        "demo_dist",
        "hardtarget.unit_solvers",
        ["demo = demo_mod:solver"],
        {
            "demo_mod": """
                import hardtarget.params as p
                LOADED = True

                @p.declare(params={"k": p.Param("int", "k", low=0)})
                def solver(A, t, s, k=1, budget=None):
                    '''Demo solver.'''
            """
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.refresh()
    assert "demo" in registry.names("unit_solvers")
    assert "demo_mod" not in sys.modules  # names() reads metadata only
    comp = registry.get("unit_solvers", "demo")
    assert "demo_mod" in sys.modules
    assert comp.distribution == "demo_dist" and comp.entry_point == "demo_mod:solver"
    assert comp.summary == "Demo solver." and comp.defaults() == {"k": 1}
    assert [c.name for c in registry.components("unit_solvers")].count("demo") == 1
    sys.modules.pop("demo_mod", None)


def test_a_broken_entry_point_warns_and_is_skipped(fresh, tmp_path, monkeypatch):
    _fake_dist(
        tmp_path,
        "broken_dist",
        "hardtarget.unit_solvers",
        ["broken = broken_mod:nothing_here", "fine = fine_mod:solve"],
        {
            "broken_mod": "import not_a_module_anywhere_xyz\n",
            "fine_mod": "def solve(A, t, s, budget=None):\n    '''Fine.'''\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.refresh()
    with pytest.warns(
        PluginWarning,
        match=r"entry point broken = 'broken_mod:nothing_here'.*"
        r"distribution broken_dist.*ModuleNotFoundError",
    ):
        found = [c.name for c in registry.components("unit_solvers")]
    assert "fine" in found and "broken" not in found
    assert "broken" not in registry.names("unit_solvers")
    with pytest.raises(HardTargetError, match="distribution broken_dist.*Fix or uninstall"):
        registry.get("unit_solvers", "broken")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once, not at every use
        registry.components("unit_solvers")
    sys.modules.pop("fine_mod", None)


def test_an_entry_point_that_is_not_a_param_map_is_skipped(fresh, tmp_path, monkeypatch):
    _fake_dist(
        tmp_path,
        "odd_dist",
        "hardtarget.unit_solvers",
        ["odd = odd_mod:solve"],
        {"odd_mod": "def solve(A, t, s, budget=None):\n    pass\nsolve.params = {'n': 3}\n"},
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.refresh()
    with pytest.warns(PluginWarning, match="odd_dist.*must map option names"):
        assert "odd" not in [c.name for c in registry.components("unit_solvers")]
    sys.modules.pop("odd_mod", None)


def test_a_name_declared_twice_warns_and_keeps_the_first(fresh, tmp_path, monkeypatch):
    for dist, mod in (("aaa_dist", "aaa_mod"), ("bbb_dist", "bbb_mod")):
        root = tmp_path / dist
        root.mkdir()
        _fake_dist(
            root,
            dist,
            "hardtarget.unit_solvers",
            [f"same = {mod}:solve"],
            {mod: "def solve(A, t, s, budget=None):\n    '''Solve.'''\n"},
        )
        monkeypatch.syspath_prepend(str(root))
    registry.refresh()
    with pytest.warns(PluginWarning, match="'same' is declared twice"):
        registry.names("unit_solvers")
    assert registry.get("unit_solvers", "same").distribution in ("aaa_dist", "bbb_dist")
    sys.modules.pop("aaa_mod", None)
    sys.modules.pop("bbb_mod", None)


def test_a_session_registration_wins_over_an_entry_point(fresh, tmp_path, monkeypatch):
    _fake_dist(
        tmp_path,
        "shadow_dist",
        "hardtarget.unit_solvers",
        ["shadow = shadow_mod:solve"],
        {"shadow_mod": "def solve(A, t, s, budget=None):\n    '''From the distribution.'''\n"},
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.refresh()

    def solve(A, t, s, budget=None):
        """From the session."""

    registry.register("unit_solvers", solve, name="shadow")
    try:
        assert registry.get("unit_solvers", "shadow").summary == "From the session."
        assert registry.names("unit_solvers").count("shadow") == 1
    finally:
        registry.unregister("unit_solvers", "shadow")
    assert registry.get("unit_solvers", "shadow").summary == "From the distribution."
    sys.modules.pop("shadow_mod", None)


# -- argparse and imports --------------------------------------------------------------------
def test_choices_work_as_argparse_choices(fresh):
    registry.register("unit_solvers", _toy_solver, name="toy")
    try:
        parser = argparse.ArgumentParser(exit_on_error=False)
        parser.add_argument("--solver", choices=registry.choices("unit_solvers", extra=("x",)))
        assert parser.parse_args(["--solver", "toy"]).solver == "toy"
        assert parser.parse_args(["--solver", "x"]).solver == "x"
        with pytest.raises(argparse.ArgumentError, match="'toy'"):
            parser.parse_args(["--solver", "nope"])
    finally:
        registry.unregister("unit_solvers", "toy")


def test_import_loads_no_entry_point_and_no_torch():
    code = (
        "import sys, hardtarget, hardtarget.registry as r\n"
        "hardtarget.registry.names('strategies')\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert not any(r._loaded.values()), r._loaded\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_no_default_is_named():
    assert repr(NO_DEFAULT) == "NO_DEFAULT"

"""One grammar for option texts: ``-o``, ``--model-option`` and declared parameters agree."""

from __future__ import annotations

import pytest

from hardtarget._keyvalue import parse_value, split_options
from hardtarget.errors import HardTargetError
from hardtarget.params import Param

TEXTS = ["8", " 8 ", "8.0", "8.5", "1e3", "-2", "true", "Off", "YES", "1", "0", "2"]
TEXTS += ["none", "NULL", "abc", "64,32", "[1]", "inf", "nan", ""]


def _convert(param: Param, value):
    try:
        return param.convert("s", "x", value)
    except HardTargetError:
        return "refused"


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("kind", ["int", "float", "bool"])
def test_a_declared_parameter_reads_a_text_as_the_grammar_reads_it(kind, text):
    # the text given to the parameter and the value the grammar reads from it are the same
    for none in (False, True):
        param = Param(kind, "x", none=none)
        assert _convert(param, text) == _convert(param, parse_value(text))


def test_the_grammar_on_declared_parameters():
    assert Param("int", "x").convert("s", "x", "8.0") == 8
    assert Param("int", "x", low=1).convert("s", "x", "1e3") == 1000
    assert Param("bool", "x").convert("s", "x", "off") is False
    assert Param("bool", "x").convert("s", "x", "1") is True
    assert Param("float", "x", none=True).convert("s", "x", "null") is None
    assert Param("str", "x", choices=("a", "1")).convert("s", "x", "1") == "1"  # text kept
    bad = [("int", "8.5"), ("bool", "2"), ("float", "inf"), ("int", "64,32"), ("int", "'8'")]
    for kind, text in bad:  # a quoted value is text, not a number
        with pytest.raises(HardTargetError, match="option x must be"):
            Param(kind, "x").convert("s", "x", text)


def test_items_are_key_equals_value_once():
    assert split_options(["width=8", " init = random "]) == {"width": "8", "init": "random"}
    with pytest.raises(HardTargetError, match="KEY=VALUE"):
        split_options(["width"])
    with pytest.raises(HardTargetError, match="given twice"):
        split_options(["width=8", "width=9"], flag="--model-option")

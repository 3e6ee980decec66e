"""The examples in the engine's docstrings (decide, evolve, view) run as tests."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

import engine.budget
import engine.rules
import engine.views


@pytest.mark.parametrize("module", [engine.budget, engine.rules, engine.views], ids=lambda m: m.__name__)
def test_the_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{module.__name__} has no examples"
    assert result.failed == 0

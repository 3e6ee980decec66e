"""The engine is pure: no server imports, no sockets or databases, no clock, no unseeded randomness."""

from __future__ import annotations

import ast
from pathlib import Path

import engine

ENGINE = Path(engine.__file__).parent
FORBIDDEN_MODULES = {
    "server",
    "socket",
    "sqlite3",
    "redis",
    "asyncio",
    "http",
    "urllib",
    "time",
    "uuid",
    "secrets",
}
FORBIDDEN_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}


def engine_modules() -> list[Path]:
    return sorted(ENGINE.glob("*.py"))


def test_the_engine_imports_no_io_modules() -> None:
    for path in engine_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name} imports {name}"


def test_the_engine_reads_no_clock_and_draws_only_seeded_randomness() -> None:
    for path in engine_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls .{node.func.attr}()"
                if isinstance(node.func.value, ast.Name) and node.func.value.id == "random":
                    # Only random.Random(seed) is allowed; module-level random.* draws are unseeded.
                    assert node.func.attr == "Random", f"{path.name}:{node.lineno} uses random.{node.func.attr}"

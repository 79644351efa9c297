"""The rooms stay in their layers, no modules import each other in a circle, and
ARCHITECTURE.md shows the stage list the code declares."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from tests.conftest import REPO

# Each room may import only rooms on a lower layer (its own layer excluded).
LAYERS = {
    "kikigaki": 1,
    "transcribe": 2, "postprocess": 2,
    "pipeline": 3, "publish": 3,
    "flows": 4,
    "commands": 5,
}


def _modules() -> dict[str, Path]:
    found = {}
    for room in LAYERS:
        for path in (REPO / room).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _run_time_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (imports for annotations only)."""
    nodes, todo = [], [tree]
    while todo:
        node = todo.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return nodes


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in _run_time_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for imported in _imports(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                graph[name].add(imported)
    return graph


def test_no_room_imports_a_room_above_or_beside_it() -> None:
    wrong = sorted(
        (module, imported)
        for module, targets in _graph().items()
        for imported in targets
        if module.split(".")[0] != imported.split(".")[0]
        and LAYERS[imported.split(".")[0]] >= LAYERS[module.split(".")[0]]
    )
    assert wrong == []


def test_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path, node, target]
            if target not in state and (cycle := visit(target, [*path, node])):
                return cycle
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            assert visit(module, []) is None


def test_flows_hold_only_prefect_flows_and_their_service() -> None:
    names = sorted(p.name for p in (REPO / "flows").glob("*.py"))
    assert names == ["__init__.py", "backfill.py", "caching.py", "episode.py",
                     "local_server.py", "progress.py", "serve.py", "service.py", "settings.py"]


def test_architecture_shows_the_declared_stages() -> None:
    from pipeline.stages import describe

    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    begin, end = "<!-- stages: begin -->\n", "<!-- stages: end -->"
    assert begin in text and end in text
    shown = text.split(begin, 1)[1].split(end, 1)[0]
    assert shown.strip() == describe().strip(), "regenerate with: python -m pipeline.stages"

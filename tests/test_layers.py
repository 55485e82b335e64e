"""Queries only in repositories: SQL is built and run in `repository.py` modules (or a
`repository/` package), so one place says what touches a table."""

from __future__ import annotations

import ast
from pathlib import Path

import congdan

ROOT = Path(congdan.__file__).parent
# What builds a statement, when imported from SQLAlchemy.
BUILDERS = {"select", "update", "delete", "insert", "text"}
# What runs one, or reads or removes a row by identity, when called on a session, a connection or a cursor.
RUNNERS = {"get", "execute", "scalar", "scalars", "delete", "merge"}
RECEIVERS = ("session", "conn", "cur")

# Files allowed to query outside a repository, each with why (paths relative to src/congdan).
ALLOWED = {
    "db.py": "engine set-up: SQLite pragmas run on every new connection",
    "models/outbox.py": "text() is an index expression in the table definition, not a query",
    "models/reports.py": "text() is a partial index's condition in the table definition, not a query",
    "models/routing.py": "text() is a partial unique index's condition in the table definition, not a query",
}


def _is_repository(relative: Path) -> bool:
    return relative.name == "repository.py" or "repository" in relative.parts[:-1]


def _sqlalchemy_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to SQLAlchemy's statement builders, and aliases of SQLAlchemy itself."""
    builders: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            builders |= {alias.asname or alias.name for alias in node.names if alias.name in BUILDERS}
        elif isinstance(node, ast.Import):
            modules |= {
                alias.asname or alias.name for alias in node.names if alias.name.startswith("sqlalchemy")
            }
    return builders, modules


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def queries_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    builders, modules = _sqlalchemy_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in builders:
            found.append(f"{func.id}( line {node.lineno}")
        elif isinstance(func, ast.Attribute):
            owner = _receiver(func.value)
            builds = func.attr in BUILDERS and owner in modules
            runs = func.attr in RUNNERS and any(name in owner.lower() for name in RECEIVERS)
            if builds or runs:
                found.append(f"{owner}.{func.attr}( line {node.lineno}")
    return found


def test_queries_are_built_and_run_only_in_repositories() -> None:
    offenders = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if _is_repository(relative) or relative.as_posix() in ALLOWED:
            continue
        if found := queries_in(path):
            offenders[relative.as_posix()] = found
    assert offenders == {}, "SQL outside repository modules (move it to the domain's repository.py)"


def test_the_allow_list_names_files_that_exist_and_still_query() -> None:
    # An entry outlives its reason once the file is gone or queries no more: it must then go.
    stale = [name for name in ALLOWED if not (ROOT / name).exists() or not queries_in(ROOT / name)]
    assert stale == []


def test_the_walk_finds_a_query_built_outside_a_repository(tmp_path: Path) -> None:
    module = tmp_path / "service.py"
    module.write_text(
        "from sqlalchemy import select\n"
        "async def f(session):\n"
        "    await session.scalar(select(1))\n"
        "    await self.session.get(A, 1)\n"
        "    await session.delete(a); await session.merge(a)\n"
        "    clean_plain_text('x'); {}.update(a=1); names.delete(1)\n",
        encoding="utf-8",
    )
    assert sorted(queries_in(module)) == [
        "select( line 3",
        "session.delete( line 5",
        "session.get( line 4",
        "session.merge( line 5",
        "session.scalar( line 3",
    ]
    assert _is_repository(Path("x/repository.py")) and _is_repository(Path("x/repository/a.py"))
    assert not _is_repository(Path("x/service.py"))

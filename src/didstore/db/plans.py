"""Statements compiled once: SQLAlchemy Core builds and compiles SQL, the driver runs it.

A *plan* is one statement compiled for one dialect, with what turns the caller's values into
driver parameters (SQLAlchemy's bind processors: aware datetimes to naive UTC, JSON to text
on SQLite...) and driver rows into ``Row`` objects (its result processors: text to datetime
and integers to booleans on SQLite, UTC time zones on both). Plans are found two ways:

- by the statement object itself (a weak-keyed memo): a statement built once, at import
  time, with named ``bindparam``s, is compiled once per dialect and costs a dictionary
  look-up per execution; this is how every hot query is written (``db/queries.py``);
- by SQLAlchemy's cache key, for a statement built per call with literal values: the key
  (cheaper than compiling) finds the compiled form and ``construct_params`` extracts this
  call's values, as SQLAlchemy's own engine does. A statement whose SQL depends on its
  values (an ``IN`` list of literals) is compiled for the call.

Why not SQLAlchemy's engine: its execution layer measured 2-3x the cost of the raw driver per
statement (docs/adr/0013-one-request-path.md); the statements, types and dialects are still
SQLAlchemy's, so there is one way to write a query for both databases.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]
PLAN_CACHE_SIZE = 2000


class Row(tuple[Any, ...]):
    """A result row: a tuple that also answers ``row.column`` and ``row._mapping``."""

    __slots__ = ()
    _fields: ClassVar[dict[str, int]] = {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self[type(self)._fields[name]]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> dict[str, Any]:
        return dict(zip(type(self)._fields, self, strict=False))


def row_type(keys: Sequence[str]) -> type[Row]:
    return type("Row", (Row,), {"__slots__": (), "_fields": {k: i for i, k in enumerate(keys)}})


class Plan:
    """One statement compiled for one dialect."""

    __slots__ = (
        "binds",
        "compiled",
        "expanded",
        "expanding",
        "lists",
        "prepare",
        "procs",
        "row",
        "sql",
    )

    def __init__(self, stmt: ClauseElement, compiled: SQLCompiler, dialect: Dialect) -> None:
        self.compiled = compiled
        self.sql = compiled.string
        late = compiled.post_compile_params
        # ``IN`` lists written with their values (``state.in_([...])``) are expanded once,
        # here; only a list given at execution (``bindparam(..., expanding=True)``) is expanded
        # per call.
        self.expanding = any(bp.value is None or bp.callable for bp in late)
        self.expanded: dict[str, Any] = {}
        self.lists = tuple(compiled.bind_names[bp] for bp in late)
        if late and not self.expanding:
            placeholders = {n: None for bp, n in compiled.bind_names.items() if bp not in late}
            state = compiled.construct_expanded_state(placeholders)
            self.sql = state.statement
            self.expanded = {
                name: (state.processors[name](v) if name in state.processors else v)
                for name, v in state.parameters.items()
                if name not in compiled.binds or compiled.binds[name] in late
            }
        binds: dict[str, Processor] = {}  # one per name: a parameter may appear twice
        for bind, name in compiled.bind_names.items():
            proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                binds.setdefault(name, proc)
        self.binds = tuple(binds.items())
        columns = _result_columns(stmt)
        self.row = row_type([key for key, _ in columns])
        procs: list[tuple[int, Processor]] = []
        for index, (_, type_) in enumerate(columns):
            proc = type_.dialect_impl(dialect).result_processor(dialect, None)
            if proc is not None:
                procs.append((index, proc))
        self.procs = tuple(procs)
        # PostgreSQL: statements marked ``execution_options(prepare=False)`` (substring
        # searches) are never prepared, so each is planned for its own values.
        options = stmt.get_execution_options() if isinstance(stmt, Executable) else {}
        self.prepare: bool | None = None if options.get("prepare", True) else False

    def parameters(
        self, given: Mapping[str, Any] | None, extracted: Sequence[Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """The SQL text and driver parameters for one execution."""
        if self.expanding:
            state = self.compiled.construct_expanded_state(given)
            params = dict(state.parameters)
            for name, expanded in state.processors.items():
                value = params.get(name)
                if value is not None:
                    params[name] = expanded(value)
            sql = state.statement
        else:
            params = dict(self.compiled.construct_params(given, extracted_parameters=extracted))
            if self.expanded:
                for name in self.lists:
                    del params[name]
                params.update(self.expanded)
            sql = self.sql
        for name, proc in self.binds:
            value = params.get(name)
            if value is not None:
                params[name] = proc(value)
        return sql, params

    def rows(self, raw: Iterable[Sequence[Any]]) -> list[Row]:
        make = self.row
        if not self.procs:
            return [make(r) for r in raw]
        out = []
        procs = self.procs
        for r in raw:
            values = list(r)
            for index, proc in procs:
                value = values[index]
                if value is not None:
                    values[index] = proc(value)
            out.append(make(values))
        return out


def _result_columns(stmt: ClauseElement) -> list[tuple[str, Any]]:
    """(key, type) of each column a statement returns (a SELECT's columns, a RETURNING)."""
    columns = getattr(stmt, "selected_columns", None)
    if columns is None:
        columns = getattr(stmt, "exported_columns", None)
    if columns is None:
        return []
    return [(key, col.type) for key, col in zip(columns.keys(), columns, strict=True)]


class Plans:
    """The plans of one dialect (one per database kind and server version)."""

    _registry: ClassVar[dict[tuple[str, Any, str], Plans]] = {}

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._by_statement: weakref.WeakKeyDictionary[ClauseElement, dict[Any, Plan]] = (
            weakref.WeakKeyDictionary()
        )
        self._by_key: OrderedDict[Any, Plan] = OrderedDict()

    @classmethod
    def for_dialect(cls, dialect: Dialect) -> Plans:
        key = (dialect.name, dialect.server_version_info, str(dialect.paramstyle))
        found = cls._registry.get(key)
        if found is None:
            found = cls._registry[key] = cls(dialect)
        return found

    def _compile(
        self, stmt: ClauseElement, column_keys: Sequence[str] | None, cache_key: Any = None
    ) -> Plan:
        kwargs: dict[str, Any] = {"dialect": self.dialect}
        if column_keys is not None:
            kwargs["column_keys"] = list(column_keys)
        if cache_key is not None:
            kwargs["cache_key"] = cache_key
        compiled = stmt.compile(**kwargs)
        assert isinstance(compiled, SQLCompiler)
        return Plan(stmt, compiled, self.dialect)

    def statement(
        self,
        stmt: ClauseElement,
        params: Mapping[str, Any] | None,
        column_keys: Sequence[str] | None = None,
    ) -> tuple[Plan, str, dict[str, Any]]:
        """The plan for ``stmt`` and the SQL and parameters of this execution."""
        shape = tuple(column_keys) if column_keys is not None else None
        memo = self._by_statement.get(stmt)
        if memo is not None:
            plan = memo.get(shape)
            if plan is not None:
                sql, values = plan.parameters(params)
                return plan, sql, values
        key = stmt._generate_cache_key()
        if key is None:  # not cacheable: compile for this call only
            plan = self._compile(stmt, column_keys)
            sql, values = plan.parameters(params)
            return plan, sql, values
        # The first execution of a statement object is compiled as a constant (its literal
        # values stay compiled in); later objects of the same shape reuse that compiled form
        # with their own values, unless the SQL depends on them (an expanding IN list).
        # An ``IN`` list written with its values makes SQL that depends on them: its plan is
        # found by those values too. It is never memoised by the statement object: a plan
        # holds its statement, so a statement built per call would be kept for good.
        lists = tuple(
            tuple(bp.value) for bp in key.bindparams if bp.expanding and bp.value is not None
        )
        lookup = (key.key, shape, lists) if lists else (key.key, shape)
        plan = self._by_key.get(lookup)
        if plan is None:
            plan = self._compile(stmt, column_keys, cache_key=key)
            if not plan.expanded:
                self._by_statement.setdefault(stmt, {})[shape] = plan
            if not plan.expanding:  # SQL fixed by the shape (and the written-in lists)
                self._by_key[lookup] = plan
                if len(self._by_key) > PLAN_CACHE_SIZE:
                    self._by_key.popitem(last=False)
            sql, values = plan.parameters(params)
            return plan, sql, values
        self._by_key.move_to_end(lookup)
        sql, values = plan.parameters(params, key.bindparams)
        return plan, sql, values

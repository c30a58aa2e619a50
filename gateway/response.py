"""Shape merged subgraph data into the response the operation asked for.

The shape is compiled once per planned operation: for every selection set and runtime type,
which response keys to produce, where their values live in the merged data, nullability
and allowed enum values. Applying it is a single walk with spec null propagation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import GraphQLEnumType, GraphQLSchema

from .planner.fetches import Registry
from .planner.normalize import FNode, SelSet

__all__ = ["ResponseShape", "compile_shape"]

_INVALID: Any = object()

# (non-null, list item shape or None for a named type)
_TypeShape = tuple[bool, "Any"]


def _type_shape(type_str: str) -> _TypeShape:
    s = type_str
    nonnull = s.endswith("!")
    if nonnull:
        s = s[:-1]
    if s.startswith("["):
        return (nonnull, _type_shape(s[1:-1]))
    return (nonnull, None)


_TYPENAME, _LEAF, _LEAF_NON_NULL, _OTHER = 0, 1, 2, 3


class _Field:
    __slots__ = ("data_key", "enum", "key", "kind", "label", "obj", "ts", "typename")

    def __init__(
        self,
        key: str,
        data_key: str | None,
        typename: bool,
        ts: _TypeShape,
        obj: _Object | None,
        enum: frozenset[str] | None,
        label: str,
    ) -> None:
        self.key = key
        self.data_key = data_key
        self.typename = typename
        self.ts = ts
        self.obj = obj
        self.enum = enum
        self.label = label
        if typename:
            self.kind = _TYPENAME
        elif obj is None and enum is None and ts[1] is None:
            self.kind = _LEAF_NON_NULL if ts[0] else _LEAF
        else:
            self.kind = _OTHER


_FastField = tuple[int, str, "str | None", _Field]


class _Object:
    __slots__ = (
        "abstract",
        "by_type",
        "fallback",
        "fast",
        "fast_fallback",
        "hidden",
        "needs_runtime",
        "type_name",
    )

    def __init__(self, type_name: str, abstract: bool) -> None:
        self.type_name = type_name
        self.abstract = abstract
        self.hidden: frozenset[str] = frozenset()
        # Whether the selection depends on the runtime type (`__typename` or a type
        # condition): then an object whose runtime type is unknown cannot be completed.
        self.needs_runtime = False
        self.by_type: dict[str, tuple[_Field, ...]] = {}
        self.fallback: tuple[_Field, ...] = ()
        self.fast: dict[str, tuple[_FastField, ...]] = {}
        self.fast_fallback: tuple[_FastField, ...] = ()


class _Removed:
    """Response keys removed by field authorization, as a tree (list levels left out)."""

    __slots__ = ("children", "here")

    def __init__(self) -> None:
        self.here = False
        self.children: dict[str, _Removed] = {}

    @classmethod
    def tree(cls, paths: Iterable[tuple[str, ...]]) -> dict[str, _Removed]:
        root: dict[str, _Removed] = {}
        for path in paths:
            level = root
            node = None
            for key in path:
                if key == "@":
                    continue
                node = level.get(key)
                if node is None:
                    node = level[key] = cls()
                level = node.children
            if node is not None:
                node.here = True
        return root


def _restored(
    t: str, compiled: list[_Field], original: list[FNode] | None, removed: dict[str, _Removed]
) -> list[_Field]:
    """``compiled`` in the order of ``original`` (the fields selected before authorization),
    with a ``null`` leaf for each removed one: a nullable leaf whose data key is ``None`` is
    always ``null`` and costs the shaping nothing more."""
    if original is None:
        return compiled
    by_key = {f.key: f for f in compiled}
    out: list[_Field] = []
    for of in original:
        f = by_key.pop(of.key, None)
        if f is not None:
            out.append(f)
        else:
            node = removed.get(of.key)
            if node is not None and node.here:
                out.append(_Field(of.key, None, False, (False, None), None, None, f"{t}.{of.name}"))
    out.extend(by_key.values())
    return out


def _compile(
    sel: SelSet,
    reg: Registry | None,
    api: GraphQLSchema,
    original: SelSet | None = None,
    removed: dict[str, _Removed] | None = None,
) -> _Object:
    obj = _Object(sel.type_name, sel.abstract)
    for t, fields in sel.by_type.items():
        compiled: list[_Field] = []
        before: dict[str, FNode] = {}
        if original is not None and removed:
            before = {f.key: f for f in original.by_type.get(t, ())}
        for f in fields:
            if f.name == "__typename":
                compiled.append(_Field(f.key, None, True, (True, None), None, None, ""))
                continue
            dk = None
            if reg is not None:
                fid = reg.field_id(f.key, f.args)
                dk = reg.find(t, f.name, fid, (f.name, fid, f.type_str))
            sub = None
            if f.sub is not None:
                child = reg.children.get(dk) if reg is not None and dk is not None else None
                node = removed.get(f.key) if removed else None
                prior = before.get(f.key) if node is not None and node.children else None
                if node is not None and prior is not None and prior.sub is not None:
                    sub = _compile(f.sub, child, api, prior.sub, node.children)
                else:
                    sub = _compile(f.sub, child, api)
            named = api.type_map.get(f.named_type)
            enum = frozenset(named.values) if isinstance(named, GraphQLEnumType) else None
            label = f"{t}.{f.name}"
            compiled.append(_Field(f.key, dk, False, _type_shape(f.type_str), sub, enum, label))
        if original is not None and removed:
            compiled = _restored(t, compiled, original.by_type.get(t), removed)
        obj.by_type[t] = tuple(compiled)
    obj.fallback = obj.by_type.get(sel.type_name, ())
    obj.fast = {
        t: tuple((f.kind, f.key, f.data_key, f) for f in fields)
        for t, fields in obj.by_type.items()
    }
    obj.fast_fallback = obj.fast.get(sel.type_name, ())
    if sel.abstract:
        obj.hidden = frozenset(t for t in sel.by_type if t not in api.type_map)
        base = [f.key for f in obj.fallback]
        obj.needs_runtime = any(f.typename for f in obj.fallback) or any(
            [f.key for f in fields] != base for fields in obj.by_type.values()
        )
    return obj


class _Run:
    __slots__ = ("error_paths", "errors")

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        self.error_paths: set[tuple[Any, ...]] | None = None

    def error(self, path: list[Any], message: str) -> None:
        if self.error_paths is None:
            self.error_paths = {tuple(e.get("path") or ()) for e in self.errors}
        key = tuple(path)
        if key in self.error_paths:
            return
        self.error_paths.add(key)
        self.errors.append({"message": message, "path": list(path)})

    def obj(self, shape: _Object, d: dict[str, Any], path: list[Any]) -> Any:
        if shape.abstract:
            t = d.get("__typename") or shape.type_name
            fields = shape.by_type.get(t)
            if fields is None or t == shape.type_name:
                # No subgraph told the object's runtime type (e.g. an interface object
                # whose owner could not resolve it).
                if shape.needs_runtime:
                    self.error(path, f"Could not resolve the runtime type of {shape.type_name}.")
                    return _INVALID
                fields = shape.fallback
            elif t in shape.hidden:
                return None  # an @inaccessible runtime type cannot be shown: null
        else:
            t = shape.type_name
            fields = shape.by_type[t]
        out: dict[str, Any] = {}
        for fs in fields:
            if fs.typename:
                out[fs.key] = t
                continue
            v = d.get(fs.data_key) if fs.data_key is not None else None
            path.append(fs.key)
            r = self.value(fs, fs.ts, v, path)
            path.pop()
            if r is _INVALID:
                return _INVALID
            out[fs.key] = r
        return out

    def value(self, fs: _Field, ts: _TypeShape, v: Any, path: list[Any]) -> Any:
        nonnull, item = ts
        if v is None:
            if nonnull:
                self.error(path, f"Cannot return null for non-nullable field {fs.label}.")
                return _INVALID
            return None
        if item is not None:
            if not isinstance(v, list):
                return _INVALID if nonnull else None
            out = []
            for i, x in enumerate(v):
                path.append(i)
                r = self.value(fs, item, x, path)
                path.pop()
                if r is _INVALID:
                    return _INVALID if nonnull else None
                out.append(r)
            return out
        if fs.obj is not None:
            if not isinstance(v, dict):
                return _INVALID if nonnull else None
            r = self.obj(fs.obj, v, path)
            if r is _INVALID or r is None:
                return _INVALID if nonnull else None
            return r
        if fs.enum is not None and v not in fs.enum:
            self.error(path, f"Enum value {v!r} is not allowed for {fs.label}.")
            return _INVALID if nonnull else None
        return v


class _FastRun:
    """The common case: no error to report, so no response path is tracked. When anything
    goes wrong `failed` is set and the caller reruns the shaping with `_Run`."""

    __slots__ = ("failed",)

    def __init__(self) -> None:
        self.failed = False

    def obj(self, shape: _Object, d: dict[str, Any]) -> Any:
        if shape.abstract:
            t = d.get("__typename") or shape.type_name
            fields = shape.fast.get(t)
            if fields is None or t == shape.type_name:
                if shape.needs_runtime:
                    self.failed = True
                    return _INVALID
                fields = shape.fast_fallback
            elif t in shape.hidden:
                return None
        else:
            t = shape.type_name
            fields = shape.fast[t]
        out: dict[str, Any] = {}
        for kind, key, dk, fs in fields:
            if kind == _LEAF:
                out[key] = d.get(dk)  # type: ignore[arg-type]
            elif kind == _LEAF_NON_NULL:
                v = d.get(dk)  # type: ignore[arg-type]
                if v is None:
                    self.failed = True
                    return _INVALID
                out[key] = v
            elif kind == _TYPENAME:
                out[key] = t
            else:
                r = self.value(fs, fs.ts, d.get(dk))  # type: ignore[arg-type]
                if r is _INVALID:
                    return _INVALID
                out[key] = r
        return out

    def value(self, fs: _Field, ts: _TypeShape, v: Any) -> Any:
        nonnull, item = ts
        if v is None:
            if nonnull:
                self.failed = True
                return _INVALID
            return None
        if item is not None:
            if type(v) is not list:
                self.failed = True
                return _INVALID if nonnull else None
            out: list[Any] = []
            append = out.append
            value = self.value
            for x in v:
                r = value(fs, item, x)
                if r is _INVALID:
                    return _INVALID if nonnull else None
                append(r)
            return out
        if fs.obj is not None:
            if type(v) is not dict:
                self.failed = True
                return _INVALID if nonnull else None
            r = self.obj(fs.obj, v)
            if r is _INVALID or r is None:
                return _INVALID if nonnull else None
            return r
        if fs.enum is not None and v not in fs.enum:
            self.failed = True
            return _INVALID if nonnull else None
        return v


class ResponseShape:
    """A compiled projection from merged subgraph data to the operation's response data."""

    __slots__ = ("_root",)

    def __init__(self, root: _Object) -> None:
        self._root = root

    def apply(self, data: dict[str, Any] | None, errors: list[dict[str, Any]]) -> Any:
        """Return the response `data`; appends null-propagation errors to `errors`."""
        fast = _FastRun()
        r = fast.obj(self._root, data or {})
        if not fast.failed:
            return None if r is _INVALID else r
        run = _Run(errors)
        r = run.obj(self._root, data or {}, [])
        return None if r is _INVALID else r


def compile_shape(
    sel: SelSet,
    reg: Registry,
    api_schema: GraphQLSchema,
    original: SelSet | None = None,
    removed: Iterable[tuple[str, ...]] = (),
) -> ResponseShape:
    """Compile the response shape of a normalized operation once its data keys are known.

    ``original`` is the operation before field authorization removed the fields at the
    response paths ``removed``: their ``null`` comes where ``original`` selected them."""
    if original is None:
        return ResponseShape(_compile(sel, reg, api_schema))
    return ResponseShape(_compile(sel, reg, api_schema, original, _Removed.tree(removed)))

"""A Terraform module directory, instantiated: variables, locals, resources, module calls."""

from __future__ import annotations

import bisect
import json
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ecslint.limits import Budget
from ecslint.model import InputProblem, Location, Unknown
from ecslint.sources.hcl import template, types
from ecslint.sources.hcl.evaluate import Evaluator, settle, unknown
from ecslint.sources.hcl.functions import FunctionError
from ecslint.sources.hcl.syntax import Block, Body
from ecslint.sources.values import (EvalError, PosDict, PosList, SourceMap, SrcStr, keep_origin,
                                    passed)

if TYPE_CHECKING:
    from ecslint.cache.fsio import FileSystem
    from ecslint.sources.hcl.parser import HclParser


@dataclass
class ModuleFiles:
    """The parsed files of one directory, merged."""

    dir: str
    bodies: dict[str, Body] = field(default_factory=dict)
    problems: list[InputProblem] = field(default_factory=list)
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)  # name -> Attribute
    resources: dict[str, Block] = field(default_factory=dict)  # "type.name" -> Block
    modules: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    tfvars: dict[str, Any] = field(default_factory=dict)  # name -> Attribute (root only)

    def index(self) -> None:
        for body in self.bodies.values():
            for block in body.blocks:
                label = block.labels
                if block.type == "variable" and label:
                    self.variables[label[0]] = block
                elif block.type == "locals":
                    self.locals.update(block.body.attributes)
                elif block.type == "resource" and len(label) == 2:
                    self.resources[f"{label[0]}.{label[1]}"] = block
                elif block.type == "module" and label:
                    self.modules[label[0]] = block
                elif block.type == "output" and label:
                    self.outputs[label[0]] = block


@dataclass
class ResourceRecord:
    """One evaluated resource instance, the common input of the model builder."""

    address: str
    type: str
    values: PosDict
    where: Location
    module_dir: str  # the module directory (or the plan file) it was declared in
    calls: tuple[Location, ...] = ()  # the `module` blocks that instantiated it


class Loader:
    """Shared state of one run: parsed directories and files read by functions."""

    def __init__(self, read_module: Callable[[str], ModuleFiles | None], parser: HclParser,
                 fs: FileSystem) -> None:
        self.read_module = read_module
        self.parser = parser  # also parses template fragments
        self.fs = fs
        self.texts: dict[str, str | None] = {}
        self.templates: dict[str, Any] = {}
        self.problems: list[InputProblem] = []  # modules that could not be loaded (ECS003)
        self.manifests: dict[str, dict[str, str]] = {}
        self.budget = Budget()  # of the root being read: the reader sets one per root

    def installed_module(self, root_dir: str, key: str) -> str | None:
        """Directory of a non-local module from `.terraform/modules/modules.json`."""
        if root_dir not in self.manifests:
            path = os.path.join(root_dir, ".terraform", "modules", "modules.json")
            try:
                entries = json.loads(self.fs.read_bytes(path)).get("Modules") or []
                self.manifests[root_dir] = {e["Key"]: e["Dir"] for e in entries
                                            if isinstance(e, dict) and "Key" in e and "Dir" in e}
            except (OSError, ValueError, AttributeError, TypeError):
                self.manifests[root_dir] = {}
        rel = self.manifests[root_dir].get(key)
        return os.path.normpath(os.path.join(root_dir, rel)) if rel else None

    def read_text(self, path: str) -> str:
        if path not in self.texts:
            try:
                text = self.fs.read_bytes(path).decode("utf-8")
                # As open() in text mode: universal newlines.
                self.texts[path] = text.replace("\r\n", "\n").replace("\r", "\n")
            except (OSError, UnicodeDecodeError):
                self.texts[path] = None
        text = self.texts[path]
        if text is None:
            raise FunctionError(f"cannot read {path}")
        return text


def _line_locator(text: str, file: str):
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def locate(offset: int) -> Location:
        i = bisect.bisect_right(starts, offset) - 1
        return Location(file, i + 1, offset - starts[i] + 1)

    return locate


class _VarNS:
    def __init__(self, mod: ModuleInstance) -> None:
        self.mod = mod

    def attr(self, name: str) -> Any:
        return self.mod.variable(name)

    def index(self, key: Any) -> Any:
        raise EvalError("var is not indexable")

    def settle(self) -> Any:
        return Unknown()


class _LocalNS(_VarNS):
    def attr(self, name: str) -> Any:
        return self.mod.local(name)


class _ModuleNS(_VarNS):
    def attr(self, name: str) -> Any:
        return self.mod.child_value(name)


class _Deferred:
    """A resource, resource type or data source reached by a reference: unknown unless an
    attribute that is set in configuration is read from it."""

    def __init__(self, mod: ModuleInstance, address: str, block: Block | None = None,
                 env: dict | None = None, multi: bool = False) -> None:
        self.mod, self.address, self.block, self.env, self.multi = mod, address, block, env, multi

    def attr(self, name: str) -> Any:
        if self.block is None:  # a resource type namespace or a data source
            return _Deferred(self.mod, f"{self.address}.{name}",
                             self.mod.files.resources.get(f"{self.address}.{name}"),
                             multi=self._multi(f"{self.address}.{name}"))
        if self.multi:
            return Unknown(frozenset({self.mod.prefix + self.address}))
        return self.mod.resource_attr(self.address, self.block, self.env or {}, name)

    def _multi(self, key: str) -> bool:
        block = self.mod.files.resources.get(key)
        return block is not None and bool({"count", "for_each"} & set(block.body.attributes))

    def index(self, key: Any) -> Any:
        if self.block is None or not self.multi:
            return Unknown(frozenset({self.mod.prefix + self.address}))
        for suffix, env in self.mod.instances(self.block):
            if suffix == _suffix(key):
                return _Deferred(self.mod, self.address + suffix, self.block, env)
        return Unknown(frozenset({self.mod.prefix + self.address}))

    def settle(self) -> Any:
        return Unknown(frozenset({self.mod.prefix + self.address}))


def _suffix(key: Any) -> str:
    return f"[{key}]" if isinstance(key, int) else f'["{key}"]'


_META = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner",
         "connection", "source", "version", "providers"}


class ModuleInstance:
    """One instance of a module: evaluates expressions in its scope (implements Scope)."""

    def __init__(self, loader: Loader, files: ModuleFiles, prefix: str, root_dir: str,
                 args: dict[str, Any] | None = None, key: str = "",
                 calls: tuple[Location, ...] = ()) -> None:
        self.loader, self.files, self.prefix, self.root_dir = loader, files, prefix, root_dir
        self.args = args  # None for the root module; name -> thunk for a child
        self.key = key  # module path as in .terraform/modules/modules.json ("a.b")
        self.calls = calls  # the `module` blocks that led here, from the root inward
        self._call_name = ""  # the module block's name and its arguments' places (a child)
        self._arg_where: dict[str, Location] = {}
        self._vars: dict[str, Any] = {}
        self._locals: dict[str, Any] = {}
        self._busy: set[str] = set()
        self._children: dict[str, list[tuple[str, ModuleInstance]]] = {}
        self._attrs: dict[tuple[str, str], Any] = {}

    # ------------------------------------------------------------------ Scope
    @property
    def budget(self) -> Budget:
        """The budget of the root module being read (ecslint.limits)."""
        return self.loader.budget

    def ev(self, file: str) -> Evaluator:
        return Evaluator(self, file)

    def parse_expression(self, text: str) -> Any:
        return self.loader.parser.parse_expression(text)

    def root(self, name: str) -> Any:
        if name == "var":
            return _VarNS(self)
        if name == "local":
            return _LocalNS(self)
        if name == "module":
            return _ModuleNS(self)
        if name == "path":
            return {"module": self.files.dir, "root": self.root_dir, "cwd": self.root_dir}
        if name == "terraform":
            return {"workspace": "default"}
        if name == "data":
            return _Deferred(self, "data")
        if any(k.startswith(name + ".") for k in self.files.resources):
            return _Deferred(self, name)
        return Unknown()

    def call(self, name: str, args: list[Any], raw: list[Any], env: dict) -> Any:
        """The functions that need this scope (functions.FUNCTIONS: scope "raw", "files")."""
        if name in ("try", "can"):
            return self._try(name, raw, env)
        if not args or isinstance(args[0], Unknown):
            return unknown(*args)
        path = str(args[0])
        path = path if os.path.isabs(path) else os.path.join(self.root_dir, path)
        if name == "fileexists":
            return self.loader.fs.isfile(path)
        text = self.loader.read_text(path)
        if name == "file":
            return SrcStr(text, SourceMap.whole_file(path, text))
        if name == "templatefile":
            return self._templatefile(path, text, args[1] if len(args) > 1 else {})
        raise FunctionError(f"{name}() is not a scope function")

    def _try(self, name: str, raw: list[Any], env: dict) -> Any:
        file = self.files.dir
        for expr in raw:
            try:
                value = self.ev(file).strict(expr, env)
            except EvalError:
                if name == "can":
                    return False
                continue
            if name == "can":
                return value if isinstance(value, Unknown) else True
            return value
        raise FunctionError("try(): no argument could be evaluated")

    def _templatefile(self, path: str, text: str, variables: Any) -> Any:
        if isinstance(variables, Unknown):
            return variables
        if path not in self.loader.templates:
            ev = self.ev(path)
            try:
                self.loader.templates[path] = template.build(
                    template.scan(text, _line_locator(text, path), ev.parse_fragment))
            except template.TemplateError as exc:
                self.loader.templates[path] = exc
        tpl = self.loader.templates[path]
        if isinstance(tpl, Exception):
            raise FunctionError(str(tpl))
        ev = self.ev(path)
        return template.render(tpl, ev._eval_settled, dict(variables), self.budget,
                               Location(path, 1, 1))

    # ------------------------------------------------------------------ names
    def variable(self, name: str) -> Any:
        if name not in self._vars:
            value = self._variable(name)
            block = self.files.variables.get(name)
            attrs = block.body.attributes if block else {}
            if value is None and "nullable" in attrs and "default" in attrs:
                # `nullable = false`: a null given means the default.
                nullable = self.ev(attrs["nullable"].where.file).evaluate(attrs["nullable"].expr)
                if nullable is False:
                    value = self._default(block)
            type_attr = attrs.get("type")
            if type_attr is not None:
                ev = self.ev(type_attr.where.file)
                value = keep_origin(types.apply(type_attr.expr, value, ev.evaluate), value)
            self._vars[name] = value
        return self._vars[name]

    def _variable(self, name: str) -> Any:
        """The value given (a module argument, tfvars; null included) or the default."""
        block = self.files.variables.get(name)
        if self.args is not None and name in self.args:
            value = self.args[name]()
            if block is not None or value is not None:
                where = self._arg_where.get(name)
                return passed(value, where, f"passed to module {self._call_name} as {name}")
        elif self.args is None and name in self.files.tfvars:
            attr = self.files.tfvars[name]
            return self.ev(attr.where.file).evaluate(attr.expr)
        if block is None:
            return Unknown()
        return self._default(block)

    def _default(self, block: Block) -> Any:
        default = block.body.attributes.get("default")
        if default is None:
            # No default and no value: Terraform would ask; we cannot know it.
            return Unknown()
        return self.ev(default.where.file).evaluate(default.expr)

    def local(self, name: str) -> Any:
        if name in self._locals:
            return self._locals[name]
        attr = self.files.locals.get(name)
        if attr is None:
            raise EvalError(f"no local {name!r}")
        key = "local." + name
        if key in self._busy:
            return Unknown()
        self._busy.add(key)
        try:
            value = passed(self.ev(attr.where.file).evaluate(attr.expr), attr.where,
                           f"through local.{name}")
        finally:
            self._busy.discard(key)
        self._locals[name] = value
        return value

    def resource_attr(self, address: str, block: Block, env: dict, name: str) -> Any:
        key = (address, name)
        if key in self._attrs:
            return self._attrs[key]
        if key in self._busy:
            return Unknown(frozenset({self.prefix + address}))
        self._busy.add(key)
        try:
            attr = block.body.attributes.get(name)
            if attr is not None and name not in _META:
                value = self.ev(attr.where.file).evaluate(attr.expr, env)
            elif block.body.blocks_of(name):
                value = PosList(self.eval_body(b.body, env) for b in block.body.blocks_of(name))
            else:
                value = Unknown(frozenset({self.prefix + address}))
        finally:
            self._busy.discard(key)
        self._attrs[key] = value
        return value

    # ------------------------------------------------------------------ instances
    def instances(self, block: Block, env: dict | None = None) -> list[tuple[str, dict]]:
        """(address suffix, env) per instance of a counted / for_each block; one instance
        without a key when the count or the keys cannot be known (or are invalid)."""
        env = dict(env or {})
        attrs = block.body.attributes
        if "count" in attrs:
            n = self.ev(attrs["count"].where.file).evaluate(attrs["count"].expr, env)
            try:
                n = types.convert(n, types.NUMBER)  # count = "2" is 2
            except EvalError:
                n = None
            if not isinstance(n, int) or isinstance(n, bool) or n < 0 or \
                    not self.loader.budget.collection(n, attrs["count"].where, "count"):
                return [("", {**env, "count": {"index": Unknown()}})]
            return [(f"[{i}]", {**env, "count": {"index": i}}) for i in range(n)]
        if "for_each" in attrs:
            coll = self.ev(attrs["for_each"].where.file).evaluate(attrs["for_each"].expr, env)
            if isinstance(coll, (dict, types.TfSet)) and not self.loader.budget.collection(
                    len(coll), attrs["for_each"].where, "for_each"):
                coll = Unknown()
            # A map (keys in order) or a set of strings; a list or tuple is an error.
            if isinstance(coll, dict) or (isinstance(coll, types.TfSet)
                                          and all(isinstance(x, str) for x in coll)):
                items = types.items(coll)
            else:
                return [("", {**env, "each": {"key": Unknown(), "value": Unknown()}})]
            return [(f'["{k}"]', {**env, "each": {"key": k, "value": v}}) for k, v in items]
        return [("", env)]

    def eval_body(self, body: Body, env: dict) -> PosDict:
        """All attributes and nested blocks of a body; nested blocks become lists of dicts."""
        out = PosDict()
        for name, attr in body.attributes.items():
            if name in _META:
                continue
            out[name] = self.ev(attr.where.file).evaluate(attr.expr, env)
            out.pos[name] = attr.where
        for block in body.blocks:
            if block.type in ("lifecycle", "provisioner", "connection"):
                continue
            if block.type == "dynamic" and block.labels:
                self._dynamic(out, block, env)
                continue
            lst = out.setdefault(block.type, PosList())
            if isinstance(lst, PosList):
                lst.append(self.eval_body(block.body, env))
                lst.pos.append(block.where)
                out.pos.setdefault(block.type, block.where)
        return out

    def _dynamic(self, out: PosDict, block: Block, env: dict) -> None:
        name = block.labels[0]
        attrs = block.body.attributes
        content = next((b for b in block.body.blocks if b.type == "content"), None)
        # `iterator = strategy` names the iterator: a bare name, not an expression.
        iterator = (types.identifier(attrs["iterator"].expr) or name) if "iterator" in attrs \
            else name
        coll = (self.ev(attrs["for_each"].where.file).evaluate(attrs["for_each"].expr, env)
                if "for_each" in attrs else Unknown())
        out.pos.setdefault(name, block.where)
        if content is None or not isinstance(coll, (dict, list)):
            out[name] = settle(coll) if isinstance(coll, Unknown) else Unknown()
            return
        items = types.items(coll)  # maps by key, sets by element, lists by index
        budget = self.loader.budget
        if not (budget.collection(len(items), attrs["for_each"].where, "dynamic for_each")
                and budget.steps(len(items), attrs["for_each"].where, "dynamic for_each")):
            out[name] = Unknown()
            return
        lst = out.setdefault(name, PosList())
        if not isinstance(lst, PosList):
            return
        for k, v in items:  # maps by key, sets by element, lists by index
            lst.append(self.eval_body(content.body, {**env, iterator: {"key": k, "value": v}}))
            lst.pos.append(content.where)

    # ------------------------------------------------------------------ child modules
    def children(self, name: str) -> list[tuple[str, ModuleInstance]]:
        if name in self._children:
            return self._children[name]
        self._children[name] = []
        block = self.files.modules[name]
        if block.broken:
            return []
        instances = self.instances(block)
        if not instances:
            return []  # count = 0 or an empty for_each: the module does not exist
        files = self._module_files(name, block)
        if files is None:
            return []
        key = f"{self.key}.{name}" if self.key else name
        for suffix, env in instances:
            args = {n: self._thunk(a, env) for n, a in block.body.attributes.items()
                    if n not in _META}
            child = ModuleInstance(self.loader, files, f"{self.prefix}module.{name}{suffix}.",
                                   self.root_dir, args, key, self.calls + (block.where,))
            child._call_name = name
            child._arg_where = {n: a.where for n, a in block.body.attributes.items()}
            self._children[name].append((suffix, child))
        return self._children[name]

    def _module_files(self, name: str, block: Block) -> ModuleFiles | None:
        """The files of a called module; None, and an ECS003 problem at its `source`, when
        they cannot be read (so that a module never read is said, not passed over)."""
        src = block.body.attributes.get("source")
        source = self.ev(src.where.file).evaluate(src.expr) if src else None
        key = f"{self.key}.{name}" if self.key else name
        local = isinstance(source, str) and source.startswith(("./", "../"))
        if local:
            child_dir = os.path.normpath(os.path.join(self.files.dir, source))
        else:
            # Registry / git modules: followed where `terraform init` has installed them.
            child_dir = self.loader.installed_module(self.root_dir, key)
        files = self.loader.read_module(child_dir) if child_dir is not None else None
        if files is None:
            if not isinstance(source, str):
                why = "its source is not a literal string"
            elif local:
                why = f"its local source {source} does not exist"
            else:
                version = block.body.attributes.get("version")
                pinned = self.ev(version.where.file).evaluate(version.expr) if version else None
                what = f"{source} {pinned}" if isinstance(pinned, str) else source
                why = (f"{what} is not installed under .terraform/modules (run `terraform "
                       "init`)")
            where = (src or block).where
            address = re.sub(r"\[[^\]]*\]", "", f"{self.prefix}module.{name}")
            self.loader.problems.append(InputProblem(
                where.file, f"module '{name}' was not loaded: {why}; nothing inside it was "
                            "checked", where.line, where.column, "ECS003", address))
        return files

    def _thunk(self, attr: Any, env: dict):
        return lambda: self.ev(attr.where.file).evaluate(attr.expr, env)

    def child_value(self, name: str) -> Any:
        if name not in self.files.modules:
            raise EvalError(f"no module {name!r}")
        kids = self.children(name)
        if len(kids) == 1 and kids[0][0] == "":
            return _Outputs(kids[0][1])
        if not kids:
            block = self.files.modules[name]
            if not self.instances(block):  # count = 0 or for_each = {}: no instances
                return PosList() if "count" in block.body.attributes else PosDict()
            return Unknown()
        return {suffix.strip('[]"'): _Outputs(child) for suffix, child in kids} \
            if kids[0][0].startswith('["') else [_Outputs(child) for _s, child in kids]

    def output(self, name: str) -> Any:
        block = self.files.outputs.get(name)
        if block is None or "value" not in block.body.attributes:
            raise EvalError(f"no output {name!r}")
        attr = block.body.attributes["value"]
        key = "output." + name
        if key in self._busy:
            return Unknown()
        self._busy.add(key)
        try:
            return passed(self.ev(attr.where.file).evaluate(attr.expr), attr.where,
                          f"through output {name}")
        finally:
            self._busy.discard(key)

    # ------------------------------------------------------------------ records
    def records(self, types: frozenset[str]) -> Iterator[ResourceRecord]:
        for key, block in self.files.resources.items():
            rtype = block.labels[0]
            if rtype not in types or block.broken:
                continue
            for suffix, env in self.instances(block):
                values = self.eval_body(block.body, env)
                yield ResourceRecord(self.prefix + key + suffix, rtype, values, block.where,
                                     self.files.dir, self.calls)
        for name in self.files.modules:
            for _, child in self.children(name):
                yield from child.records(types)


class _Outputs:
    def __init__(self, mod: ModuleInstance) -> None:
        self.mod = mod

    def attr(self, name: str) -> Any:
        return self.mod.output(name)

    def index(self, key: Any) -> Any:
        raise EvalError("a module is not indexable")

    def settle(self) -> Any:
        return Unknown()

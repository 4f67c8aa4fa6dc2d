"""Container definitions and task-definition JSON (all three forms) -> model objects."""

from __future__ import annotations

import json
from typing import Any, Callable

from ecslint.model import (UNKNOWN, Container, ContainerHealthCheck, Entity, Location,
                           Origin, Step, TaskDefinition, Unknown)
from ecslint.sources import jsonpos
from ecslint.sources.values import (JsonStr, PartialJson, PartialText, PosDict, SrcStr,
                                    origin_of)
from ecslint.unknown import boolean, number, text, texts
from ecslint.units import task_size

Convert = Callable[[Any], Any]

# (model field, ECS API key, converter) of a container definition ...
_CONTAINER_FIELDS: tuple[tuple[str, str, Convert], ...] = (
    ("name", "name", text),
    ("image", "image", text),
    ("essential", "essential", lambda v: boolean(v, True)),
    ("cpu", "cpu", number),
    ("memory", "memory", number),
    ("memory_reservation", "memoryReservation", number),
    ("command", "command", texts),
    ("entry_point", "entryPoint", texts),
)
# ... and of its healthCheck.
_HEALTH_CHECK_FIELDS: tuple[tuple[str, str, Convert], ...] = (
    ("command", "command", texts),
    ("interval", "interval", number),
    ("timeout", "timeout", number),
    ("retries", "retries", number),
    ("start_period", "startPeriod", number),
)
# (model field, ECS API key) of a task definition.
_TASK_FIELDS = (("family", "family"), ("cpu", "cpu"), ("memory", "memory"),
                ("requires_compatibilities", "requiresCompatibilities"),
                ("network_mode", "networkMode"), ("containers", "containerDefinitions"))


def parse_cpu(value: Any) -> Any:
    """Task cpu: units, or "1 vCPU" / "0.5 vcpu" forms."""
    return task_size(value, "vcpu")


def parse_memory(value: Any) -> Any:
    """Task memory: MiB, or "2 GB" / "2GB" forms."""
    return task_size(value, "gb")


def position(obj: Any, key: Any) -> Location | None:
    """Where the entry `key` of a positioned dict or list (sources.values) was written."""
    pos = getattr(obj, "pos", None)
    if isinstance(pos, dict):
        return pos.get(key)
    if isinstance(pos, list) and isinstance(key, int) and key < len(pos):
        return pos[key]
    return None


def take(entity: Entity, path: str, source: Any, key: str, convert: Convert,
         target: Any = None) -> None:
    """Set the model field `path` of `entity` (or of `target`, a nested object such as a
    health check, when given) from `source[key]`, converted once, and record where the
    value was written when the source knows (plan JSON and the live API do not)."""
    value = source.get(key) if isinstance(source, dict) else None
    setattr(target if target is not None else entity, path.rpartition(".")[2], convert(value))
    where = position(source, key)
    origin = origin_of(value)
    if origin is not None and not _in_place(origin, where):
        # Written elsewhere (a variable default, a module argument) and set here: the place
        # it was written decides, the entry is one more step on its way.
        steps = origin.via if where is None or where == origin.loc else \
            origin.via + (Step(where, "set here"),)
        entity.record(path, Origin(origin.loc, steps))
    elif where is not None:
        entity.record(path, where)


def _in_place(origin: Origin, where: Location | None) -> bool:
    """A literal written in the entry itself (`memory = 512`): the entry is its place."""
    return where is not None and not origin.via and origin.loc.file == where.file \
        and origin.loc.line == where.line


def _fold(key: str) -> str:
    """A JSON key as Go's encoding/json compares it with a field name (bytes.EqualFold:
    case-insensitively, with the long s and the Kelvin sign folded)."""
    return key.replace("\u017f", "s").replace("\u212a", "k").lower()


def matched(raw: dict, keys: tuple[str, ...]) -> dict[str, Any]:
    """API key -> the key of `raw` that sets it, as the AWS provider reads a container
    definition (Go's encoding/json into the SDK's structs): matched case-insensitively,
    and when two keys match one field (`Memory` and `memory`), the last one written."""
    names = {k.lower(): k for k in keys}
    out: dict[str, Any] = {}
    for key in raw:  # document order (jsonencode sorts: "Memory" before "memory")
        if isinstance(key, str):
            canon = names.get(_fold(key))
            if canon is not None:
                out[canon] = key
    return out


def _environment(value: Any) -> Any:
    if value is None or isinstance(value, Unknown):
        return value
    if not isinstance(value, list):
        return UNKNOWN
    env: dict[str, Any] = {}
    for item in value:
        if not isinstance(item, dict):
            continue
        keys = matched(item, ("name", "value"))
        name = item.get(keys["name"]) if "name" in keys else None
        if isinstance(name, str):
            env[name] = item.get(keys["value"]) if "value" in keys else None
    return env


_CONTAINER_KEYS = tuple(key for _f, key, _c in _CONTAINER_FIELDS) + (
    "environment", "healthCheck", "firelensConfiguration")
_HEALTH_CHECK_KEYS = tuple(key for _f, key, _c in _HEALTH_CHECK_FIELDS)


def container_from(raw: Any, address: str, where: Location, source: str,
                   tags: dict | None = None, calls: tuple[Location, ...] = ()) -> Container:
    """One container definition dict (ECS API field names) -> Container with locations."""
    c = Container(address=address, where=where, source=source, tags=dict(tags or {}),
                  calls=calls)
    if not isinstance(raw, dict):
        c.name = c.image = c.cpu = c.memory = c.memory_reservation = UNKNOWN
        c.essential = c.health_check = c.command = c.entry_point = c.environment = UNKNOWN
        return c
    keys = matched(raw, _CONTAINER_KEYS)  # entrypoint, Memory, ... as the provider reads them
    for field, key, convert in _CONTAINER_FIELDS:
        take(c, field, raw, keys.get(key, key), convert)
    take(c, "environment", raw, keys.get("environment", "environment"), _environment)
    c.firelens = raw.get(keys.get("firelensConfiguration", "firelensConfiguration")) is not None
    hc_key = keys.get("healthCheck", "healthCheck")
    hc = raw.get(hc_key)
    if isinstance(hc, dict):
        c.health_check = ContainerHealthCheck()
        if position(raw, hc_key) is not None:
            c.record("health_check", position(raw, hc_key))
        hc_keys = matched(hc, _HEALTH_CHECK_KEYS)
        for field, key, convert in _HEALTH_CHECK_FIELDS:
            take(c, f"health_check.{field}", hc, hc_keys.get(key, key), convert, c.health_check)
    else:
        c.health_check = hc if isinstance(hc, Unknown) else None
    return c


def decode_container_definitions(value: Any) -> Any:
    """The value of `container_definitions` (JSON text in any of its forms) -> list or Unknown."""
    if isinstance(value, JsonStr):
        return value.decoded
    if isinstance(value, PartialJson):
        return value.decoded
    try:
        if isinstance(value, PartialText):
            return jsonpos.loads(value.text, smap=value.smap)
        if isinstance(value, SrcStr) and value.smap is not None:
            return jsonpos.loads(str(value), smap=value.smap)
        if isinstance(value, str):
            # No source to point into (plan JSON): plain values, locations fall back.
            return json.loads(value)
    except (ValueError, RecursionError):  # JsonError included; RecursionError: json.loads
        return UNKNOWN
    if isinstance(value, list):
        return value
    return UNKNOWN


def containers_from(defs: Any, address: str, where: Location, source: str,
                    tags: dict | None = None, calls: tuple[Location, ...] = ()
                    ) -> list[Container] | Unknown:
    if not isinstance(defs, list):
        return UNKNOWN
    # A container is where its object was written (a literal passed through variables and
    # modules stays where the user wrote it), else where the list holds it.
    return [container_from(raw, address, getattr(raw, "where", None) or position(defs, i)
                           or where, source, tags, calls)
            for i, raw in enumerate(defs)]


# ------------------------------------------------------------------ task-definition JSON files

def classify(doc: Any) -> str | None:
    """'register' / 'describe' / 'containers' when doc is a task definition, else None."""
    if isinstance(doc, dict):
        if isinstance(doc.get("taskDefinition"), dict) and \
                isinstance(doc["taskDefinition"].get("containerDefinitions"), list):
            return "describe"
        if isinstance(doc.get("containerDefinitions"), list):
            return "register"
        return None
    if isinstance(doc, list) and doc and all(isinstance(x, dict) for x in doc) and \
            all(("image" in x or "name" in x) for x in doc) and \
            any(k in doc[0] for k in ("image", "essential", "portMappings", "memory", "cpu")):
        return "containers"
    return None


def task_definition_from_json(doc: Any, kind: str, path: str) -> TaskDefinition:
    """A JSON document of the given kind (positioned by jsonpos, or a plain dict from the
    API) -> TaskDefinition."""
    if kind == "describe":
        td_doc = doc["taskDefinition"]
        tags_list = doc.get("tags")
    elif kind == "register":
        td_doc, tags_list = doc, doc.get("tags")
    else:
        td_doc, tags_list = PosDict({"containerDefinitions": doc}), []
        td_doc.pos["containerDefinitions"] = Location(path, 1, 1)
    tags = {t["key"]: t.get("value") for t in tags_list if isinstance(t, dict)
            and isinstance(t.get("key"), str)} if isinstance(tags_list, list) else {}
    family = td_doc.get("family")
    address = family if isinstance(family, str) else path
    where = getattr(td_doc, "where", None) or Location(path, 1, 1)
    td = TaskDefinition(address=address, where=where, source=path, tags=tags)
    converters: dict[str, Convert] = {"family": text, "cpu": parse_cpu, "memory": parse_memory,
                                      "requires_compatibilities": texts, "network_mode": text,
                                      "containers": lambda v: None}
    for field, key in _TASK_FIELDS:
        take(td, field, td_doc, key, converters[field])
    td.containers = containers_from(td_doc.get("containerDefinitions"), address,
                                    td.where, path, tags)
    return td

"""Container definitions and task-definition JSON (all three forms) -> model objects."""

from __future__ import annotations

import json
from typing import Any

from ecslint.model import (UNKNOWN, Container, ContainerHealthCheck, Location, TaskDefinition,
                           Unknown)
from ecslint.sources import jsonpos
from ecslint.units import number, task_size
from ecslint.sources.values import JsonStr, PartialJson, PartialText, PosDict, SrcStr

_HC_FIELDS = {"command": "command", "interval": "interval", "timeout": "timeout",
              "retries": "retries", "startPeriod": "start_period"}


def _int(value: Any) -> Any:
    """Numbers may arrive as strings from templates; anything else non-numeric is unknown."""
    return number(value)


def parse_cpu(value: Any) -> Any:
    """Task cpu: units, or "1 vCPU" / "0.5 vcpu" forms."""
    return task_size(value, "vcpu")


def parse_memory(value: Any) -> Any:
    """Task memory: MiB, or "2 GB" / "2GB" forms."""
    return task_size(value, "gb")


def _loc(obj: Any, key: Any) -> Location | None:
    pos = getattr(obj, "pos", None)
    if isinstance(pos, dict):
        return pos.get(key)
    if isinstance(pos, list) and isinstance(key, int) and key < len(pos):
        return pos[key]
    return None


def _environment(value: Any) -> Any:
    if value is None or isinstance(value, Unknown):
        return value
    if not isinstance(value, list):
        return UNKNOWN
    env: dict[str, Any] = {}
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            env[item["name"]] = item.get("value")
    return env


def container_from(raw: Any, address: str, where: Location, origin: str,
                   tags: dict | None = None) -> Container:
    """One container definition dict (ECS API field names) -> Container with locations."""
    c = Container(address=address, where=where, origin=origin, tags=dict(tags or {}), raw=raw)
    if not isinstance(raw, dict):
        c.name = c.image = c.cpu = c.memory = c.memory_reservation = UNKNOWN
        c.essential = c.health_check = c.command = c.entry_point = c.environment = UNKNOWN
        return c
    for key in raw:
        loc = _loc(raw, key)
        if loc is not None:
            c.locs[key] = loc
    c.name = raw.get("name")
    c.image = raw.get("image")
    essential = raw.get("essential", True)
    c.essential = True if essential is None else essential
    if isinstance(c.essential, str):
        c.essential = {"true": True, "false": False}.get(c.essential.lower(), UNKNOWN)
    c.cpu = _int(raw.get("cpu"))
    c.memory = _int(raw.get("memory"))
    c.memory_reservation = _int(raw.get("memoryReservation"))
    c.command = raw.get("command")
    c.entry_point = raw.get("entryPoint")
    c.environment = _environment(raw.get("environment"))
    c.firelens = raw.get("firelensConfiguration") is not None
    hc = raw.get("healthCheck")
    if isinstance(hc, dict):
        c.health_check = ContainerHealthCheck(**{
            attr: (_int(hc.get(k)) if k != "command" else hc.get(k))
            for k, attr in _HC_FIELDS.items()})
        for k in hc:
            loc = _loc(hc, k)
            if loc is not None:
                c.locs[f"healthCheck.{k}"] = loc
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
            return jsonpos.loads(value.text, locate=value.smap.locate if value.smap else None)
        if isinstance(value, SrcStr) and value.smap is not None:
            return jsonpos.loads(str(value), locate=value.smap.locate)
        if isinstance(value, str):
            # No source to point into (plan JSON): plain values, locations fall back.
            return json.loads(value)
    except (jsonpos.JsonError, ValueError):
        return UNKNOWN
    if isinstance(value, list):
        return value
    return UNKNOWN


def containers_from(defs: Any, address: str, where: Location, origin: str,
                    tags: dict | None = None) -> list[Container] | Unknown:
    if not isinstance(defs, list):
        return UNKNOWN
    out = []
    for i, raw in enumerate(defs):
        loc = _loc(defs, i) or where
        c = container_from(raw, address, loc, origin, tags)
        out.append(c)
    return out


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
    """A positioned JSON document (jsonpos) of the given kind -> TaskDefinition."""
    if kind == "describe":
        td_doc = doc["taskDefinition"]
        tags_list = doc.get("tags") or []
    elif kind == "register":
        td_doc, tags_list = doc, doc.get("tags") or []
    else:
        td_doc, tags_list = PosDict({"containerDefinitions": doc}), []
        td_doc.pos["containerDefinitions"] = Location(path, 1, 1)
    tags = {t.get("key"): t.get("value") for t in tags_list if isinstance(t, dict)}
    family = td_doc.get("family")
    address = family if isinstance(family, str) else path
    where = getattr(td_doc, "where", None) or Location(path, 1, 1)
    td = TaskDefinition(address=address, where=where, origin=path, tags=tags, family=family)
    for src, key in (("cpu", "cpu"), ("memory", "memory"),
                     ("requiresCompatibilities", "requires_compatibilities"),
                     ("containerDefinitions", "container_definitions"),
                     ("networkMode", "network_mode")):
        loc = _loc(td_doc, src)
        if loc is not None:
            td.locs[key] = loc
    td.cpu = parse_cpu(td_doc.get("cpu"))
    td.memory = parse_memory(td_doc.get("memory"))
    td.requires_compatibilities = td_doc.get("requiresCompatibilities")
    td.network_mode = td_doc.get("networkMode")
    td.containers = containers_from(td_doc.get("containerDefinitions"), address,
                                    td.where, path, tags)
    return td


def load_json_file(path: str, text: str) -> TaskDefinition | None:
    """A task definition from a JSON file, or None when the JSON is something else.

    Raises jsonpos.JsonError for malformed JSON.
    """
    try:
        quick = json.loads(text)
    except ValueError:
        jsonpos.loads(text, path)  # raises with line and column
        raise
    kind = classify(quick)
    if kind is None:
        return None
    return task_definition_from_json(jsonpos.loads(text, path), kind, path)


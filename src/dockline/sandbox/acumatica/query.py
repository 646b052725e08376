"""Reading and answering `$filter`, `$select`, `$expand` and request bodies against the endpoint's entities.

Every field name is checked against the official model (`model.ENTITIES`): a name the entity does
not have is refused with 400 and a message naming the field and the entity, in `$filter`,
`$select`, `$expand` and in a PUT body alike. Answers are built only from model fields; a record
holding anything else is a sandbox bug and answers 500.

`$filter` takes `eq ne gt ge lt le` joined by `and`, on fields of the entity or of a linked entity
(`MainContact/Email`), with strings in quotes, times as `datetimeoffset'...'`, numbers, `true`,
`false`, `null`. Filtering on detail rows is not supported by Acumatica and is refused here.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime

from dockline.sandbox.acumatica.instance import ApiError
from dockline.sandbox.acumatica.model import ENTITIES, SYSTEM_FIELDS, kind, target

CLAUSE = re.compile(r"^([\w/]+) (eq|ne|gt|ge|lt|le) (?:datetimeoffset'([^']*)'|'((?:[^']|'')*)'|(\S+))$")
OPS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b,
       "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b}


def _unknown(parameter: str, name: str, entity: str) -> ApiError:
    return ApiError(400, f"The {parameter} parameter is not valid: {entity} has no field '{name}'.")


def paths(text: str) -> dict:
    """`Details,ShippingSettings/ShipToAddress` -> {"Details": {}, "ShippingSettings": {"ShipToAddress": {}}}."""
    tree: dict = {}
    for path in filter(None, (p.strip() for p in (text or "").split(","))):
        node = tree
        for part in path.split("/"):
            node = node.setdefault(part, {})
    return tree


def check_expand(entity: str, tree: dict) -> None:
    fields = ENTITIES[entity]
    for name, below in tree.items():
        if name == "files":
            continue
        if name not in fields:
            raise _unknown("$expand", name, entity)
        if kind(fields[name]) == "value":
            raise ApiError(400, f"The $expand parameter is not valid: {entity}.{name} is a field, not a linked "
                                "or detail entity.")
        check_expand(target(fields[name]), below)


def check_select(entity: str, tree: dict) -> None:
    fields = ENTITIES[entity]
    for name, below in tree.items():
        if name not in fields:
            raise _unknown("$select", name, entity)
        if below:
            if kind(fields[name]) == "value":
                raise _unknown("$select", f"{name}/{next(iter(below))}", entity)
            check_select(target(fields[name]), below)


def _literal(field_type: str, path: str, when, text, bare):
    if when is not None:
        if field_type != "DateTime":
            raise ApiError(400, f"The $filter parameter is not valid: {path} is not a date and time.")
        return datetime.fromisoformat(when)
    if text is not None:
        return text.replace("''", "'")
    if bare in ("null",):
        return None
    if bare in ("true", "false"):
        return bare == "true"
    try:
        return float(bare)
    except ValueError:
        raise ApiError(400, f"The $filter parameter is not valid: {bare} is not a value.") from None


def parse_filter(entity: str, text: str) -> list[tuple[list[str], str, object]]:
    clauses = []
    for part in [p.strip() for p in text.split(" and ")] if (text or "").strip() else []:
        m = CLAUSE.match(part)
        if m is None:
            raise ApiError(400, f"The $filter parameter is not valid: {part}")
        path, op, when, quoted, bare = m.groups()
        names, current = path.split("/"), entity
        for n, name in enumerate(names):
            fields = ENTITIES[current]
            if name not in fields:
                raise _unknown("$filter", name, current)
            field_type = fields[name]
            last = n == len(names) - 1
            if kind(field_type) == "detail":
                raise ApiError(400, f"The $filter parameter is not valid: {current}.{name} holds detail rows, "
                                    "and filtering on detail rows is not supported.")
            if last and kind(field_type) != "value":
                raise ApiError(400, f"The $filter parameter is not valid: {current}.{name} is an entity, not a field.")
            if not last and kind(field_type) == "value":
                raise _unknown("$filter", names[n + 1], f"{current}.{name}")
            current = target(field_type)
        clauses.append((names, op, _literal(field_type, path, when, quoted, bare)))
    return clauses


def matches(record: dict, clauses: list[tuple[list[str], str, object]]) -> bool:
    for names, op, want in clauses:
        have = record
        for name in names:
            have = have.get(name) if isinstance(have, dict) else None
        if (have is None or want is None) and op not in ("eq", "ne"):
            return False
        if isinstance(want, float) and isinstance(have, (int, float)):
            have = float(have)
        try:
            if not OPS[op](have, want):
                return False
        except TypeError:
            raise ApiError(400, f"The $filter parameter is not valid: {'/'.join(names)} cannot be compared "
                                f"with {want!r}.") from None
    return True


def wrap(record: dict, entity: str, expand: dict, select: dict | None = None) -> dict:
    """A stored record as Acumatica answers it: values wrapped, linked and detail entities only when expanded."""
    fields = ENTITIES[entity]
    out: dict = {"id": record.get("id") or str(uuid.uuid5(uuid.NAMESPACE_OID, json.dumps(record, default=str))),
                 "rowNumber": 1, "note": {"value": ""}, "custom": {}}
    for key, value in record.items():
        if key == "id":
            continue
        if key not in fields:
            raise ApiError(500, f"Sandbox bug: {entity} record holds '{key}', which the official model lacks.")
        field_kind, below = kind(fields[key]), target(fields[key])
        if field_kind == "value":
            if not select or key in select:
                out[key] = {"value": value.isoformat() if isinstance(value, datetime) else value}
        elif key in expand:
            inner_select = (select or {}).get(key) or None
            if field_kind == "detail":
                out[key] = [{**wrap(row, below, expand[key], inner_select), "rowNumber": n}
                            for n, row in enumerate(value, start=1)]
            else:
                out[key] = wrap(value, below, expand[key], inner_select)
    return out


def unwrap(body, entity: str):
    """A request body as plain values, refusing any field the entity does not have."""
    if not isinstance(body, dict):
        raise ApiError(400, f"The request is invalid: {entity} must be a JSON object.")
    fields, plain = ENTITIES[entity], {}
    for key, value in body.items():
        if key in SYSTEM_FIELDS:
            if key in ("id", "delete"):
                plain[key] = value
            continue
        if key not in fields:
            raise ApiError(400, f"The request is invalid: {entity} has no field '{key}'.")
        field_kind, below = kind(fields[key]), target(fields[key])
        if field_kind == "detail":
            plain[key] = [unwrap(row, below) for row in value or []]
        elif field_kind == "linked":
            plain[key] = unwrap(value, below)
        else:
            plain[key] = value.get("value") if isinstance(value, dict) else value
    return plain

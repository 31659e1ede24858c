"""Activity JSON -> the SDK's models, without msrest's Deserializer.

msrest's generic deserializer copies every attribute description, runs its key
extractors and parses timestamps with isodate for every field of every nested model: a
large share of a turn. The SDK's models are plain (no validation, no subtypes, no
flattened keys), so for JSON of the expected types the same objects can be built
straight from each model's `_attribute_map`: the same attributes, the same
`additional_properties` for keys the model does not name. Anything else (a number where
a string belongs, an odd timestamp) is left to msrest, which then decides exactly as it
always did. tests/test_sdk_models.py holds both paths to the same result.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from botbuilder.schema import Activity
from msrest.serialization import Deserializer, Model, Serializer

M = TypeVar("M", bound=Model)
Convert = Callable[[Any], Any]


class Unusual(Exception):
    """A value of a type msrest would convert (or refuse): msrest decides."""


def activity_from_json(data: dict[str, Any]) -> Activity:
    try:
        return build(Activity, data)
    except Unusual:
        return Activity().deserialize(data)


def build(cls: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise Unusual(cls.__name__)
    plan = _plan(cls)
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        slot = plan.get(key)
        if slot is None:
            extra[key] = value
        elif value is not None:
            kwargs[slot[0]] = slot[1](value)
    model = cls(**kwargs)
    if extra:  # as msrest: the keys the model does not name, kept as they came
        model.additional_properties = extra
    return model


_PLANS: dict[type[Model], dict[str, tuple[str, Convert]]] = {}


def _plan(cls: type[Model]) -> dict[str, tuple[str, Convert]]:
    """JSON key -> (attribute, converter), from the model's attribute map (kept)."""
    plan = _PLANS.get(cls)
    if plan is None:
        models = Activity._infer_class_models()
        plan = _PLANS[cls] = {
            desc["key"]: (attr, _converter(desc["type"], models))
            for attr, desc in cls._attribute_map.items()
            if desc["key"]  # "" is msrest's additional_properties slot
        }
    return plan


def _converter(type_name: str, models: dict[str, Any]) -> Convert:
    if type_name.startswith("[") and type_name.endswith("]"):
        item = _converter(type_name[1:-1], models)
        return lambda value: [item(v) for v in _list(value)]
    if type_name in models:
        model = models[type_name]
        return lambda value: build(model, value)
    simple = _SIMPLE.get(type_name)
    if simple is None:
        raise TypeError(f"no lean converter for msrest type {type_name!r}")
    return simple


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise Unusual("list")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise Unusual("str")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Unusual("bool")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Unusual("int")
    return value


def _timestamp(value: Any) -> datetime:
    """ISO 8601 with an offset, as Teams sends it ("...T10:00:00.1234567Z"), in the form
    msrest accepts: Python reads it (to microseconds, as msrest does). Anything else
    goes to msrest."""
    if isinstance(value, str) and Deserializer.valid_date.match(value.upper()):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    raise Unusual("iso-8601")


_SIMPLE: dict[str, Convert] = {
    "str": _str,
    "bool": _bool,
    "int": _int,
    "object": lambda value: value,
    "iso-8601": _timestamp,
}


def to_json(model: Model) -> dict[str, Any]:
    """A model's JSON as msrest's serializer writes it for a model of these types: the
    mapped attributes that are set (not `additional_properties`, which these models
    do not map)."""
    out: dict[str, Any] = {}
    for key, (attr, _) in _plan(type(model)).items():
        value = getattr(model, attr, None)
        if value is not None:
            out[key] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return to_json(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return Serializer.serialize_iso(value)
    return value

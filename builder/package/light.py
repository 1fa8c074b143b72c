"""Table Schema objects for the table checks, read straight from the descriptor: what the checks'
fast path asks of a resource, schema or field (type, format, constraints, missing values, keys),
without importing frictionless (a fifth of a second of a validate's start).

Anything else asked of a field or schema (a cell reader for a value the fast path does not
recognise, a list's item type) comes from frictionless's own object, made on first use. A value
is only given here when it is exactly what frictionless would hold for a valid descriptor: a field
whose options are unusual (a `fmt:` format, non-text missing values, an untyped field) is
frictionless's from the start. The descriptor itself is checked first (builder.check.structure:
by frictionless, or by builder.check.plain where it is one frictionless accepts);
tests/test_plain.py compares every attribute and value reader with frictionless's.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

ORDERED = ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"]  # types with an order
SUPPORTED_CONSTRAINTS = {  # frictionless.fields.*.supported_constraints
    "string": ["required", "minLength", "maxLength", "pattern", "enum"],
    "integer": ORDERED,
    "number": ORDERED,
    "date": ORDERED,
    "boolean": ["required", "enum"],
}
FAST_TYPES = tuple(SUPPORTED_CONSTRAINTS)  # the types light reads itself
DEFAULT_TRUE_VALUES = ["true", "True", "TRUE", "1"]  # frictionless.settings
DEFAULT_FALSE_VALUES = ["false", "False", "FALSE", "0"]
DEFAULT_MISSING_VALUES = [""]


def _string_value(cell):  # frictionless.fields.StringField, format "default"
    return cell if isinstance(cell, str) else None


def _integer_value(cell):  # frictionless.fields.IntegerField, bareNumber true
    if isinstance(cell, str):
        try:
            return int(cell.strip())
        except Exception:
            return None
    if cell is True or cell is False:
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if isinstance(cell, Decimal) and cell % 1 == 0:
        return int(cell)
    return None


def _date_value(cell, pattern: str):  # frictionless.fields.DateField, any format but "any"
    if isinstance(cell, datetime):
        at = cell.time()
        return datetime(cell.year, cell.month, cell.day).date() if (at.hour, at.minute, at.second) == (0, 0, 0) else None
    if isinstance(cell, date):
        return cell
    if not isinstance(cell, str):
        return None
    try:
        return datetime.strptime(cell, pattern).date()
    except Exception:
        return None


def texts(value) -> bool:
    """A list of strings."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def as_list(value) -> list:
    """A Table Schema name list, which may be written as one name."""
    return [value] if isinstance(value, str) else list(value)


class LightField:
    """A field of a LightSchema: its own attributes where they are plain, frictionless's otherwise."""

    def __init__(self, descriptor: dict, schema: LightSchema):
        self._descriptor = descriptor
        self._schema = schema
        self.name = descriptor["name"]
        kind, form = descriptor.get("type"), descriptor.get("format", "default")
        options = {
            "bareNumber": (bool, True),
            "groupChar": (str, ""),
            "decimalChar": (str, "."),
        }
        plain = (
            kind in FAST_TYPES
            and isinstance(form, str)
            and not form.startswith("fmt:")
            and isinstance(descriptor.get("constraints", {}), dict)
            and all(isinstance(descriptor.get(key, default), cast) for key, (cast, default) in options.items())
            and all(texts(descriptor.get(key, [])) for key in ("trueValues", "falseValues", "missingValues"))
        )
        if not plain:
            return  # every attribute is frictionless's (__getattr__)
        self.type = kind
        self.format = form
        self.constraints = dict(descriptor.get("constraints", {}))
        self.supported_constraints = SUPPORTED_CONSTRAINTS[kind]
        self.bare_number, self.group_char, self.decimal_char = (
            descriptor.get(key, default) for key, (_, default) in options.items()
        )
        self.true_values = list(descriptor.get("trueValues", DEFAULT_TRUE_VALUES))
        self.false_values = list(descriptor.get("falseValues", DEFAULT_FALSE_VALUES))
        self.missing_values = list(descriptor.get("missingValues", DEFAULT_MISSING_VALUES))

    def create_value_reader(self):
        """frictionless's value reader, copied for the plain cases (enum and bounds are read with
        it on every table: asking frictionless would wait for its import)."""
        kind, form = self.__dict__.get("type"), self.__dict__.get("format")
        if kind == "string" and form == "default":
            return _string_value
        if kind == "boolean":
            mapping = {value: True for value in self.true_values} | {value: False for value in self.false_values}
            return lambda cell: cell if cell is True or cell is False else mapping.get(cell) if isinstance(cell, str) else None
        if kind == "integer" and self.bare_number is True:
            return _integer_value
        if kind == "date" and form != "any":
            pattern = "%Y-%m-%d" if form == "default" else form
            return lambda cell: _date_value(cell, pattern)
        return self._schema.real_field(self.name).create_value_reader()

    @property
    def schema(self) -> LightSchema:
        return self._schema

    def has_defined(self, name: str) -> bool:
        if name == "missing_values" and "type" in self.__dict__:
            return "missingValues" in self._descriptor
        return self._schema.real_field(self.name).has_defined(name)

    def __getattr__(self, name: str):  # only for what __init__ did not set
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._schema.real_field(self.name), name)


class LightSchema:
    """A Table Schema as the checks read it; frictionless's Schema made once, on first need."""

    def __init__(self, descriptor: dict):
        self._descriptor = descriptor
        self._real = None
        self._lock = threading.Lock()
        self.fields = [LightField(field, self) for field in descriptor["fields"]]
        self._by_name = {field.name: field for field in self.fields}
        self.primary_key = as_list(descriptor.get("primaryKey", []))
        self.foreign_keys = [  # as frictionless holds them: lists of names, "" for the table itself
            {
                "fields": as_list(fk["fields"]),
                "reference": {"resource": fk["reference"]["resource"], "fields": as_list(fk["reference"]["fields"])},
            }
            for fk in descriptor.get("foreignKeys", [])
        ]
        self.missing_values = list(descriptor.get("missingValues", DEFAULT_MISSING_VALUES))

    def get_field(self, name: str) -> LightField:
        return self._by_name[name]

    def has_field(self, name: str) -> bool:
        return name in self._by_name

    def has_defined(self, name: str) -> bool:
        if name == "fields_match":
            return "fieldsMatch" in self._descriptor
        return self.real().has_defined(name)

    @property
    def fields_match(self):
        return self._descriptor.get("fieldsMatch", "exact")

    def real(self):
        """frictionless's Schema of the same descriptor."""
        with self._lock:
            if self._real is None:
                from frictionless import Schema

                self._real = Schema.from_descriptor(self._descriptor)
            return self._real

    def real_field(self, name: str):
        return self.real().get_field(name)


def readable(resource: dict) -> bool:
    """Whether the resource's schema and dialect have the plain shape these objects read (else
    frictionless's own object is used)."""
    schema, dialect = resource.get("schema"), resource.get("dialect", {})
    if not (isinstance(schema, dict) and isinstance(dialect, dict) and isinstance(schema.get("fields"), list)):
        return False
    if not all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in schema["fields"]):
        return False
    if not isinstance(dialect.get("headerCase", True), bool) or not texts(schema.get("missingValues", [])):
        return False
    key = schema.get("primaryKey", [])
    if not (isinstance(key, str) or texts(key)) or not isinstance(schema.get("fieldsMatch", "exact"), str):
        return False
    if not isinstance(schema.get("foreignKeys", []), list):
        return False
    for fk in schema.get("foreignKeys", []):
        reference = fk.get("reference") if isinstance(fk, dict) else None
        if not isinstance(reference, dict) or not isinstance(reference.get("resource"), str):
            return False
        if not all(isinstance(part, str) or texts(part) for part in (fk.get("fields"), reference.get("fields"))):
            return False
    return True


def light_resource(resource: dict):
    """The resource as the table checks read it, or None when frictionless's own object must be used."""
    if not readable(resource):
        return None
    schema, dialect = resource["schema"], resource.get("dialect", {})
    return SimpleNamespace(
        name=resource["name"], schema=LightSchema(schema), dialect=SimpleNamespace(header_case=dialect.get("headerCase", True))
    )

"""builder.check.plain and builder.package.light stand in for frictionless on plain packages: the
first may only accept a descriptor frictionless accepts, the second must hold what frictionless's
objects hold. Both are checked against frictionless itself."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from frictionless import FrictionlessException, Package

from builder.check import plain
from builder.check.structure import check_descriptor
from builder.package import formats, light, load

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "ledger": ROOT / "datapackage.json",
    "bookshelf": ROOT / "tests" / "fixtures" / "bookshelf" / "datapackage.json",
}
HOSTILE = [None, True, False, 0, 7, -1, 1.5, "", " ", "X Y", "a", "Name", "../x.csv", "/etc/x.csv", "~/x.csv",
           "$HOME/x.csv", "%APPDATA%/x.csv", "file:///x.csv", "http://example.com/x.csv", "fmt:%Y", "default", "any",
           "%d/%m/%Y", "exact", "utf-16", [], ["a"], [1], [None], {}, {"a": 1}, {"name": "a"}]  # fmt: skip
FEW = [None, True, 1, "a", "default", ["a"], {"a": 1}]  # for the properties a package did not have
# Properties frictionless gives a meaning to, added where the package had none.
EXTRA = ["$schema", "profile", "type", "created", "sources", "id", "missingValues", "fieldsMatch", "bareNumber",
         "groupChar", "decimalChar", "trueValues", "falseValues", "example", "rdfType", "required", "url", "data",
         "compression", "layout", "extrapaths", "scheme", "hash", "bytes", "exclusiveMinimum", "format", "encoding",
         "categoriesOrdered", "headerCase", "skipInitialSpace", "escapeChar", "lineTerminator", "custom"]  # fmt: skip


def frictionless_accepts(descriptor: dict) -> bool:
    try:
        Package(load.with_default_dialect(copy.deepcopy(descriptor)), basepath=str(ROOT))
    except FrictionlessException:
        return False
    return True


def small(descriptor: dict) -> dict:
    """The package with its first two resources (mutations copy it thousands of times)."""
    return {**descriptor, "resources": descriptor["resources"][:2]}


def places(descriptor: dict):
    """Paths to the objects a mutation changes: the package, its licence and contributor, and
    for each resource: the resource, its dialect, schema, a field of each type and its
    constraints, each foreign key and its reference."""
    yield ()
    for key in ("licenses", "contributors"):
        if descriptor.get(key):
            yield (key, 0)
    for i, resource in enumerate(descriptor["resources"]):
        yield ("resources", i)
        if "dialect" in resource:
            yield ("resources", i, "dialect")
        yield ("resources", i, "schema")
        seen = set()
        for j, field in enumerate(resource["schema"]["fields"]):
            kind = (field.get("type"), bool(field.get("constraints")))
            if kind in seen:
                continue
            seen.add(kind)
            yield ("resources", i, "schema", "fields", j)
            if field.get("constraints"):
                yield ("resources", i, "schema", "fields", j, "constraints")
        for k, _ in enumerate(resource["schema"].get("foreignKeys", [])[:1]):
            yield ("resources", i, "schema", "foreignKeys", k)
            yield ("resources", i, "schema", "foreignKeys", k, "reference")


def at(descriptor: dict, place: tuple):
    for step in place:
        descriptor = descriptor[step]
    return descriptor


def mutations(descriptor: dict):
    for place in places(descriptor):
        target = at(descriptor, place)
        for key in list(target) + [k for k in EXTRA if k not in target]:
            values = HOSTILE + ["<removed>"] if key in target else FEW
            for value in values:
                if value == "<removed>" and key not in target:
                    continue
                changed = copy.deepcopy(descriptor)
                item = at(changed, place)
                if value == "<removed>":
                    del item[key]
                else:
                    item[key] = copy.deepcopy(value)
                yield f"{'/'.join(map(str, place))}/{key}={value!r}", changed


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_plain_accepts_only_what_frictionless_accepts(name):
    descriptor = small(json.loads(PACKAGES[name].read_text(encoding="utf-8")))
    assert plain.accepted(descriptor) and frictionless_accepts(descriptor)
    tried, accepted, wrong = 0, 0, []
    for label, changed in mutations(descriptor):
        tried += 1
        if plain.accepted(changed):
            accepted += 1
            if not frictionless_accepts(changed):
                wrong.append(label)
    assert not wrong, wrong
    assert tried > 1000 and accepted > 100, (tried, accepted)  # the test looked at both sides


def test_a_refused_descriptor_is_worded_by_frictionless():
    descriptor = json.loads(PACKAGES["bookshelf"].read_text(encoding="utf-8"))
    descriptor["resources"][0]["schema"]["fields"][0]["type"] = "integer-ish"
    assert not plain.accepted(descriptor)
    package, problems = check_descriptor(descriptor, ROOT, recognise_plain=True)
    assert package is None
    assert [p.type for p in problems] == ["descriptor-invalid"]
    assert problems[0].message == 'datapackage.json is not a valid data package: field type "integer-ish" is not supported.'


# builder.package.light against frictionless's objects -------------------------------------------

PROBES = [None, True, False, 0, 1, -3, 2.0, 2.5, Decimal("4"), Decimal("4.5"), "", " ", "12", " 12 ", "+5",
          "1_000", "1.0", "1e3", "٣", "abc", "true", "TRUE", "yes", "0", "1", "2024-02-29", "2023-02-29",
          "2024-2-9", "29/02/2024", " 2024-02-29", date(2024, 2, 29), datetime(2024, 2, 29),
          datetime(2024, 2, 29, 12, 0)]  # fmt: skip
FIELD_ATTRIBUTES = ["type", "format", "constraints", "supported_constraints", "bare_number", "group_char",
                    "decimal_char", "true_values", "false_values", "missing_values"]  # fmt: skip


def descriptors():
    for name, path in sorted(PACKAGES.items()):
        yield name, json.loads(path.read_text(encoding="utf-8"))
    options = {"name": "options", "resources": [{"name": "t", "path": "t.csv", "schema": {
        "fields": [
            {"name": "n", "type": "integer", "bareNumber": False, "constraints": {"minimum": "2", "enum": [1, "2"]}},
            {"name": "b", "type": "boolean", "trueValues": ["Y"], "falseValues": ["N"], "missingValues": ["-"]},
            {"name": "d", "type": "date", "format": "%d/%m/%Y", "constraints": {"maximum": "01/01/2030"}},
            {"name": "s", "type": "string", "format": "email"},
            {"name": "x", "type": "number", "decimalChar": ",", "groupChar": "."},
            {"name": "f", "type": "date", "format": "fmt:%Y-%m"},
            {"name": "u"},
        ],
        "primaryKey": "n", "missingValues": ["", "NA"],
        "foreignKeys": [{"fields": "n", "reference": {"resource": "", "fields": "n"}}],
    }}]}  # fmt: skip
    yield "options", options


@pytest.mark.parametrize("name,descriptor", list(descriptors()), ids=[name for name, _ in descriptors()])
def test_light_objects_hold_what_frictionless_holds(name, descriptor):
    package = Package(load.with_default_dialect(descriptor), basepath=str(ROOT))
    compared = 0
    for resource in load.resources(descriptor):
        ours = light.light_resource(resource)
        if ours is None or not formats.is_plain_csv(resource):
            continue
        theirs = package.get_resource(resource["name"])
        assert ours.dialect.header_case == theirs.dialect.header_case
        assert ours.schema.primary_key == theirs.schema.primary_key
        assert ours.schema.foreign_keys == theirs.schema.foreign_keys
        assert ours.schema.missing_values == theirs.schema.missing_values
        assert ours.schema.has_defined("fields_match") == theirs.schema.has_defined("fields_match")
        for mine, field in zip(ours.schema.fields, theirs.schema.fields, strict=True):
            assert mine.name == field.name
            for attribute in FIELD_ATTRIBUTES:
                if hasattr(field, attribute):
                    assert getattr(mine, attribute) == getattr(field, attribute), (field.name, attribute)
            assert mine.has_defined("missing_values") == field.has_defined("missing_values"), field.name
            read_mine, read_theirs = mine.create_value_reader(), field.create_value_reader()
            for probe in PROBES:
                assert read_mine(probe) == read_theirs(probe), (field.name, probe)
            compared += 1
    assert compared >= 3

"""Words for codes: the labels a data package declares for a field's values.

A field names its vocabulary with Data Package v2 `categories` given as {"value", "label"}
objects; the site shows the label wherever the value would be shown, and the downloads keep the
value. A field without labels shows its values as they are (the builder is for anyone's data).
"""

from __future__ import annotations


def vocabulary(field: dict) -> dict:
    """value → label for the categories of `field` that carry a non-empty label."""
    categories = field.get("categories")
    if not isinstance(categories, list):
        return {}
    return {
        c["value"]: c["label"]
        for c in categories
        if isinstance(c, dict) and "value" in c and isinstance(c.get("label"), str) and c["label"].strip()
    }


def enumerated(field: dict) -> bool:
    """Whether the field's values come from a closed list (`enum` or v2 `categories`)."""
    return bool(field.get("constraints", {}).get("enum")) or isinstance(field.get("categories"), list)


def values(field: dict) -> list:
    """The values of a closed list, in the descriptor's order: `enum`, else `categories`."""
    enum = field.get("constraints", {}).get("enum")
    if enum:
        return list(enum)
    categories = field.get("categories")
    return [c.get("value") if isinstance(c, dict) else c for c in categories] if isinstance(categories, list) else []


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 row', '4,096 rows': a count in words, with the thousands separator the site uses everywhere."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"


def number(value) -> str:
    """A number as pages show it: 4,096 and 131,072 (downloads keep the raw value)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,}"
    return str(value)

"""Dates as readers see them, no more exact than the data knows: "18 July 2023", "June 2023", "2023".

A leaf module: the pages, the story's sentences and `builder diff` all write dates this one way."""

from __future__ import annotations

import datetime as dt

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def format_date(value: dt.date, precision: str | None) -> str:
    if precision == "year":
        return str(value.year)
    if precision == "month":
        return f"{MONTHS[value.month - 1]} {value.year}"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"

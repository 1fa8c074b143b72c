"""Property: whatever text, numbers and dates a curator types, every download format gives them back."""

import datetime as dt
import json
import sqlite3
import zipfile

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.outputs import export

# Text a curator could type: any printable unicode, commas, quotes, newlines, formula-like prefixes.
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r")
    | st.sampled_from([",", '"', "\n", "=", "+", "@", "-"]),
    max_size=40,
)
rows = st.lists(
    st.tuples(texts, st.integers(-(2**53), 2**53), st.dates(dt.date(1800, 1, 1), dt.date(2100, 1, 1)), st.booleans()),
    min_size=1,
    max_size=8,
)
SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer"},
        {"name": "text", "type": "string"},
        {"name": "n", "type": "integer"},
        {"name": "day", "type": "date"},
        {"name": "flag", "type": "boolean"},
    ],
    "primaryKey": ["id"],
}


def frame_of(values) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": list(range(len(values))),
            "text": [v[0] for v in values],
            "n": [v[1] for v in values],
            "day": [v[2] for v in values],
            "flag": [v[3] for v in values],
        },
        schema={"id": pl.Int64, "text": pl.String, "n": pl.Int64, "day": pl.Date, "flag": pl.Boolean},
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=rows)
def test_every_format_round_trips(tmp_path, values):
    frame = frame_of(values)
    table = export.Table("t", "T", "", SCHEMA, frame, False)
    export.write_csv(frame, tmp_path / "t.csv")
    export.write_json(frame, tmp_path / "t.json")
    export.write_parquet(frame, tmp_path / "t.parquet")
    export.write_sqlite([table], tmp_path / "t.sqlite")
    export.write_xlsx([table], tmp_path / "t.xlsx", title="t")

    assert pl.read_csv(tmp_path / "t.csv", schema=frame.schema).equals(frame)
    assert pl.read_parquet(tmp_path / "t.parquet").equals(frame)
    records = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert [r["text"] for r in records] == frame["text"].to_list()
    assert [r["day"] for r in records] == [d.isoformat() for d in frame["day"]]
    with sqlite3.connect(tmp_path / "t.sqlite") as connection:
        stored = connection.execute("SELECT text, n, day, flag FROM t ORDER BY id").fetchall()
    assert stored == [(v[0], v[1], v[2].isoformat(), int(v[3])) for v in values]
    with zipfile.ZipFile(tmp_path / "t.xlsx") as book:
        for name in (n for n in book.namelist() if n.startswith("xl/worksheets/sheet")):  # README and data
            assert "<f>" not in book.read(name).decode()

"""The Llama story's own rules, on a copy of the real package; and failed runs leave nothing behind."""

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from builder.cli import cli
from tests.conftest import without_a_precision


def problems(root: Path) -> list[list]:
    result = CliRunner().invoke(cli, ["validate", "--root", str(root), "--json"])
    return [[p["path"], p["row"], p["field"], p["type"]] for p in json.loads(result.output)["problems"]]


def table(root: Path, name: str) -> Path:
    return root / "seeds" / f"{name}.csv"


def row_of(root: Path, name: str, starts: str) -> int:
    """Spreadsheet row number (header = 1) of the line starting with `starts`."""
    lines = table(root, name).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(starts))


def replace_line(root: Path, name: str, starts: str, change) -> None:
    path = table(root, name)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(change(line) if line.startswith(starts) else line for line in lines) + "\n", encoding="utf-8")


def drop_lines(root: Path, name: str, starts: str) -> None:
    path = table(root, name)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(line for line in lines if not line.startswith(starts)) + "\n", encoding="utf-8")


def test_real_package_is_valid(ledger):
    assert problems(ledger) == []


def test_person_who_left_needs_a_departure(ledger):
    drop_lines(ledger, "departures", "edouard-grave-")
    drop_lines(ledger, "citations", "departures,edouard-grave-")  # or they would point at nothing
    assert problems(ledger) == [
        ["seeds/people.csv", row_of(ledger, "people", "edouard-grave,"), "status", "left-without-departure"]
    ]


def test_person_at_meta_has_no_departure(ledger):
    replace_line(ledger, "people", "edouard-grave,", lambda line: line.replace(",left,", ",at-meta,", 1))
    assert problems(ledger) == [
        ["seeds/people.csv", row_of(ledger, "people", "edouard-grave,"), "status", "at-meta-with-departure"]
    ]


def test_every_claim_needs_evidence(ledger):
    drop_lines(ledger, "claim_evidence", "llama2-launched-july,")
    assert problems(ledger) == [
        ["seeds/claims.csv", row_of(ledger, "claims", "llama2-launched-july,"), "claim_id", "claim-without-evidence"]
    ]


def test_all_fourteen_authors_are_required(ledger):
    replace_line(ledger, "people", "hugo-touvron,", lambda line: line.replace(",1,", ",,", 1))
    assert problems(ledger) == [["seeds/people.csv", None, "llama_paper_position", "paper-author-missing"]]


def test_departure_after_the_status_report(ledger):
    replace_line(ledger, "departures", "edouard-grave-", lambda line: line.replace(",2023-11-01,", ",2025-11-01,", 1))
    row = row_of(ledger, "departures", "edouard-grave-")
    assert problems(ledger) == [["seeds/departures.csv", row, "date", "departure-after-status"]]


def test_model_released_before_its_predecessor(ledger):
    replace_line(ledger, "releases", "llama-2-", lambda line: line.replace(",2023-07-18,", ",2022-07-18,"))
    found = problems(ledger)
    assert ["seeds/models.csv", row_of(ledger, "models", "llama-2,"), "predecessor_id", "release-before-predecessor"] in found


def test_a_quote_changed_by_one_character_is_not_found(ledger):
    replace_line(ledger, "claims", "llama2-launched-july,", lambda line: line.replace("launched in July", "launched in june"))
    assert problems(ledger) == [
        ["seeds/claims.csv", row_of(ledger, "claims", "llama2-launched-july,"), "quote", "quote-not-found"]
    ]


BREAKAGES = {
    "bad date": lambda root: replace_line(root, "releases", "llama-2-", lambda line: line.replace("2023-07-18", "2023-02-30")),
    "empty file": lambda root: table(root, "people").write_text(""),
    "missing file": lambda root: table(root, "claims").unlink(),
    "descriptor syntax": lambda root: (root / "datapackage.json").write_text("{"),
    "not utf-8": lambda root: table(root, "sources").write_bytes(table(root, "sources").read_bytes() + b"\xff\n"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_failed_build_leaves_no_partial_output(ledger, breakage):
    BREAKAGES[breakage](ledger)
    result = CliRunner().invoke(cli, ["build", "--root", str(ledger)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert not (ledger / "dist").exists() and not (ledger / "site").exists()
    assert not list((ledger / ".build").glob("build-*"))


def test_view_invariants_are_reported_as_problems():

    from builder.views.derive import View

    view = View(
        name="v",
        title="V",
        description="",
        frame=pl.DataFrame({"a": [1]}),
        fields={"a": "A"},
        primary_key=["a"],
        invariants=[("v-count", "counts differ", False), ("v-order", "sorted", True)],
    )
    assert [p.key() for p in view.problems()] == [["views/v", None, None, "v-count"]]


def break_a_rule(ledger: Path) -> None:
    with open(table(ledger, "citations"), "a", encoding="utf-8") as out:
        out.write("models,llama-5,meta-blog-llama,supports,No such model.\n")


def test_a_citation_must_point_at_an_existing_row(ledger):
    break_a_rule(ledger)
    rows = table(ledger, "citations").read_text(encoding="utf-8").splitlines()
    assert problems(ledger) == [["seeds/citations.csv", len(rows), "row_id", "row-not-found"]]


def messages(root: Path) -> list[list]:
    result = CliRunner().invoke(cli, ["validate", "--root", str(root), "--json"])
    return [[p["row"], p["type"], p["message"], p["fix"]] for p in json.loads(result.output)["problems"]]


# One edit to one line of a table, and the one problem it must give, on that line's row:
# (table, the line's start, text replaced, replacement, problem type, message, fix).
ONE_LINE_FAULTS = [
    pytest.param(
        "sources",
        "meta-llama-departures-article-source,",
        "`theinformation-2023-excerpt`",
        "`the-information-feud`",
        "note-names-unknown-id",
        "The note names `the-information-feud`, which is not the id of any row.",
        "Correct the id, add the row it names, or drop the backticks (they mark ids only).",
        id="a note may only name ids that exist",
    ),
    pytest.param(
        "people",
        "hugo-touvron,",
        ",2025-05-26,",
        ",2025-06-30,",
        "status-date-mismatch",
        "`hugo-touvron` has status as of 2025-06-30, but its source `bi-2025-llama-talent` is dated 2025-05-26.",
        "Set `status_as_of` to the source's publication date, or cite a dated report of the status.",
        id="the status date is the date of its source",
    ),
    pytest.param(
        "departures",
        "eric-hambro-",
        ",unknown,2025-05-26,",
        ",unknown,,",
        "undated-exit-without-report",
        "The exit's date is unknown but `left_by` is empty.",
        "Write the publication date of the earliest source that reports the person had left.",
        id="an undated exit names the report that it happened",
    ),
    pytest.param(
        "departures",
        "eric-hambro-",
        ",,unknown,",
        ",2024-01-01,unknown,",
        "precision-mismatch",
        "`date_precision` is unknown but `date` is 2024-01-01.",
        "Empty `date`, or set `date_precision` to day, month or year.",
        id="unknown precision means no date",
    ),
    pytest.param(
        "departures",
        "edouard-grave-",
        ",month,,",
        ",month,2025-05-26,",
        "left-by-with-date",
        "`left_by` is 2025-05-26 but the exit's date is known.",
        "Empty `left_by`, or empty `date` and set `date_precision` to unknown.",
        id="a known exit date has no left_by",
    ),
    pytest.param(
        "claims",
        "employees-embittered-and-quit,",
        ",reported,",
        ",supported,",
        "support-from-one-origin",
        "Claim `employees-embittered-and-quit` is supported on only one origin, `theinformation-2023-excerpt`, "
        "and no primary source.",
        "Add a primary source or a second independent origin to seeds/claim_evidence.csv, or set the verdict to reported.",
        id="a supported claim needs a primary source or two origins",
    ),
    pytest.param(
        "sources",
        "arxiv-gemma-2,",
        ",2024-07-31,",
        ",,",
        "undated-source-unexplained",
        "`arxiv-gemma-2` has no `published` date but `dated` says dated.",
        "Write the publication date, or set `dated` to undated-page or date-not-seen.",
        id="an empty published date says why",
    ),
    pytest.param(
        "claims",
        "departures-came-after-both-releases,",
        "five of the Ledger's dated exits",
        "two of the Ledger's dated exits",
        "rationale-count-mismatch",
        "The rationale of `departures-came-after-both-releases` says two of the Ledger's dated exits from Meta came before "
        "18 July 2023; seeds/departures.csv dates 5.",
        "Correct the figure in the rationale, or the departures it counts.",
        id="a rationale's count of exits agrees with the departures",
    ),
    pytest.param(
        "model_licences",
        "llama-guard-3-11b-",
        ",11B,",
        ",11.5B,",
        "licence-size-unknown",
        "`llama-guard-3` has no size 11.5B in its parameters (1B; 8B; 11B).",
        "Write the size as the model's `parameters` gives it, or add the size there.",
        id="a licence row names a released size",
    ),
]


@pytest.mark.parametrize(("name", "starts", "old", "new", "kind", "message", "fix"), ONE_LINE_FAULTS)
def test_one_line_fault_gives_its_problem(ledger, name, starts, old, new, kind, message, fix):
    replace_line(ledger, name, starts, lambda line: line.replace(old, new, 1))
    assert messages(ledger) == [[row_of(ledger, name, starts), kind, message, fix]]


def test_every_claim_is_tied_to_what_it_is_about(ledger):
    for name in ("claim_models", "claim_people", "claim_organizations"):
        drop_lines(ledger, name, "llama2-launched-july,")
    assert messages(ledger) == [
        [
            row_of(ledger, "claims", "llama2-launched-july,"),
            "claim-without-subject",
            "Claim `llama2-launched-july` is not tied to any model, person or organization.",
            "Add a row for it to seeds/claim_models.csv, seeds/claim_people.csv, seeds/claim_organizations.csv.",
        ]
    ]


def test_a_claim_verdict_must_be_defined(ledger):
    drop_lines(ledger, "verdicts", "not-checkable,")
    found = problems(ledger)
    assert found and {p[3] for p in found} == {"foreign-key"}
    assert {p[0] for p in found} == {"seeds/claims.csv"}


def test_echoes_of_one_report_count_as_one_origin(ledger):
    # skynews.icu repeats The Information; read as its own origin, the reported claim would count two origins.
    unlinked = lambda line: line.replace(",theinformation-2023-excerpt,true", ",,true")  # noqa: E731
    replace_line(ledger, "sources", "skynews-llama-engineers-quit,", unlinked)
    assert messages(ledger) == [
        [
            row_of(ledger, "claims", "compute-dispute-previously-undisclosed,"),
            "reported-but-confirmed",
            "Claim `compute-dispute-previously-undisclosed` is rated reported, but 2 independent origins support it.",
            "Set the verdict to supported, or correct the evidence's stance or the sources' origins.",
        ],
        [
            row_of(ledger, "claims", "employees-embittered-and-quit,"),
            "reported-but-confirmed",
            "Claim `employees-embittered-and-quit` is rated reported, but 2 independent origins support it.",
            "Set the verdict to supported, or correct the evidence's stance or the sources' origins.",
        ],
    ]


def test_a_rationale_count_follows_the_departures(ledger):
    # Izacard's exit moved after Llama 2's launch: the rationale's "five" no longer matches what the data dates.
    later = lambda line: line.replace(",2023-04-01,month,", ",2023-08-01,month,")  # noqa: E731
    replace_line(ledger, "departures", "gautier-izacard-meta,", later)
    assert messages(ledger) == [
        [
            row_of(ledger, "claims", "departures-came-after-both-releases,"),
            "rationale-count-mismatch",
            "The rationale of `departures-came-after-both-releases` says five of the Ledger's dated exits from Meta came before "
            "18 July 2023; seeds/departures.csv dates 4.",
            "Correct the figure in the rationale, or the departures it counts.",
        ]
    ]


def test_quotes_that_overlap_or_are_prefixes_of_each_other_are_each_found(ledger):
    """One pass finds every quote (Aho–Corasick, overlapping): a quote inside another, a prefix of
    another, two that overlap; a change of case is not the same text."""
    quotes = {
        "headline-scientists-engineers-leave-meta,": "Scientists and Engineers",  # a prefix of the next
        "llama2-launched-july,": "Scientists and Engineers Leave Meta",
        "meta-parent-company-of-facebook,": "Engineers Leave Meta as AI Model",  # overlaps the one before
        "llama-is-generative-ai-bot,": "Leave",  # inside both
        "contributors-left-for-companies-startups,": "Scientists And Engineers",  # case differs: not found
    }
    for starts, quote in quotes.items():
        replace_line(ledger, "claims", starts, lambda line, quote=quote: _with_quote(line, quote))
    assert problems(ledger) == [
        ["seeds/claims.csv", row_of(ledger, "claims", "contributors-left-for-companies-startups,"), "quote", "quote-not-found"]
    ]


def _with_quote(line: str, quote: str) -> str:
    import csv
    import io

    cells = next(csv.reader([line]))
    cells[2] = quote
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def test_absent_quotes_are_exactly_those_python_does_not_find(monkeypatch):

    from builder.check import rules

    text = "abcabd café ’quoted’ the cathedral, the cat\nsecond line"
    quotes = ["abc", "bca", "cab", "abd", "abcabd", "abcabe", "a", "café", "cafe", "’quoted’", "'quoted'", "cat", "cathedral",
              "the cat\nsecond", "Cathedral", "", "line ", "abc", "zzz"]  # fmt: skip
    monkeypatch.setattr(rules, "QUOTES_PER_PASS", 3)  # several batches: each quote judged in its own
    found = rules.absent(text, pl.Series(quotes, dtype=pl.String)).to_list()
    assert found == list(dict.fromkeys(q for q in quotes if q not in text))
    assert found == ["abcabe", "cafe", "'quoted'", "Cathedral", "line ", "zzz"]


def test_origins_follow_chains_stop_at_loops_and_ignore_unknown_parents():
    """The origin of each source, as following `origin_source_id` one source at a time finds it."""

    from builder.stories import sourcing

    parent = {"a": "b", "b": "c", "c": None, "x": "y", "y": "x", "m": "nowhere", "e": "", "long0": None}
    parent |= {f"long{i}": f"long{i - 1}" for i in range(1, 30)}
    sources = pl.DataFrame({"source_id": list(parent), "origin_source_id": list(parent.values())})

    def by_hand(sid):
        node, seen = sid, 0
        while parent.get(node) and parent[node] in parent and seen < sourcing.MAX_ECHOES:
            node, seen = parent[node], seen + 1
        return node

    found = dict(sourcing.origins(sources).rows())
    assert found == {sid: by_hand(sid) for sid in parent}
    assert (found["a"], found["m"], found["e"], found["long5"], found["long29"]) == ("c", "m", "e", "long0", "long9")


def test_origins_follow_chains_to_their_end_and_stop_in_loops():
    """sourcing.origins against a plain walk: chains end at a source that repeats none, an unknown
    or empty parent ends one too, and a loop stops after MAX_ECHOES steps."""

    from builder.stories import sourcing

    parents = {"a": "b", "b": "c", "c": None, "x": "y", "y": "x", "z": "gone", "e": "", "s": "s", "t": "a"}
    sources = pl.DataFrame({"source_id": list(parents), "origin_source_id": list(parents.values())})

    def walk(source):
        for _ in range(sourcing.MAX_ECHOES):
            parent = parents.get(source)
            if not parent or parent not in parents:
                break
            source = parent
        return source

    found = dict(sourcing.origins(sources).rows())
    assert found == {source: walk(source) for source in parents}
    assert found["a"] == found["t"] == "c" and found["z"] == "z" and found["e"] == "e"


def test_origins_of_some_sources_are_their_rows_of_all_origins():
    """origins(sources, of) follows only the chains of the ids asked for (the sourcing rule asks for
    the supporting sources'), through sources not asked for, with the last row of a repeated id."""
    from builder.stories import sourcing

    sources = pl.DataFrame(
        {
            "source_id": ["a", "b", "c", "d", "d", None, "e"],
            "origin_source_id": ["b", "c", None, "a", "e", "a", None],
        }
    )
    every = dict(sourcing.origins(sources).rows())
    asked = pl.Series(["a", "d", "gone", None])
    some = dict(sourcing.origins(sources, asked).rows())
    assert some == {"a": "c", "d": "e"} == {sid: every[sid] for sid in ("a", "d")}
    plain = sources.drop("origin_source_id")
    assert dict(sourcing.origins(plain, asked).rows()) == {"a": "a", "d": "d"}


def test_links_to_missing_rows_and_tables_are_named_in_row_order(tmp_path):
    """rows_exist on a link table whose rows point at two tables, one table with a two-field key
    and one that does not exist: each dangling link once, in file order; a null id is not looked up."""
    from builder.check import rules

    descriptor = {
        "resources": [
            {"name": name, "path": f"{name}.csv", "schema": {"fields": [{"name": "id"}, {"name": "b"}], "primaryKey": key}}
            for name, key in (("a", ["id"]), ("b", ["id"]), ("pairs", ["id", "b"]))
        ]
    }
    links = {"name": "links", "path": "links.csv", "schema": {"fields": [{"name": "resource"}, {"name": "row_id"}]}}
    tables = {
        "a": pl.DataFrame({"id": ["x", "y"], "b": [1, 2]}),
        "b": pl.DataFrame({"id": [1, 2], "b": [1, 2]}),
        "pairs": pl.DataFrame({"id": ["x"], "b": [1]}),
    }
    frame = pl.DataFrame(
        {
            "resource": ["a", "b", "a", "nowhere", "b", "pairs", "a", None],
            "row_id": ["x", "3", "z", "x", "1", "x", None, "q"],
        }
    )
    found = [(p.row, p.field, p.type, p.message) for p in rules.rows_exist(links, frame, tables, descriptor, tmp_path)]
    assert found == [
        (3, "row_id", "row-not-found", '"3" is not a row of `b`.'),
        (4, "row_id", "row-not-found", '"z" is not a row of `a`.'),
        (5, "resource", "table-not-found", '"nowhere" is not a table with a single-field key.'),
        (7, "resource", "table-not-found", '"pairs" is not a table with a single-field key.'),
    ]


def test_views_are_derived_beside_the_rules_and_count_only_when_the_rules_pass(ledger, monkeypatch):
    """The views' checks run while the rules do (issue 20). Views assume the rules hold: on a
    package that breaks one, a view's fault or finding is not reported, only the rule's problem;
    on a package that passes, the view's fault is raised as before."""
    from builder.check.validate import validate_package
    from builder.package.paths import Paths
    from builder.stories import llama

    derived = llama.views

    def failing(tables):
        raise ZeroDivisionError("a view that assumes the rules hold")

    monkeypatch.setattr(llama, "views", failing)
    with pytest.raises(ZeroDivisionError):
        validate_package(Paths.at(ledger))
    break_a_rule(ledger)
    assert problems(ledger) == [
        ["seeds/citations.csv", len(table(ledger, "citations").read_text().splitlines()), "row_id", "row-not-found"]
    ]

    monkeypatch.setattr(llama, "views", without_a_precision(derived))
    assert [p[3] for p in problems(ledger)] == ["row-not-found"]


def test_views_start_beside_the_key_checks_only_on_tables_without_a_problem(ledger, monkeypatch):
    """The views start while the foreign keys are checked (issue 20), but only when no table has a
    problem yet: on a repeated key a view's join could multiply rows without bound. A broken
    foreign key is found later, and then the views' results are dropped."""
    from builder.stories import llama

    derived, calls = llama.views, []

    def counted(tables):
        calls.append(tables["people"].height)
        return derived(tables)

    monkeypatch.setattr(llama, "views", counted)
    people = table(ledger, "people")
    rows = people.read_text(encoding="utf-8").splitlines()
    people.write_text("\n".join([*rows, rows[1]]) + "\n", encoding="utf-8")  # the first person twice
    assert {p[3] for p in problems(ledger)} == {"primary-key", "unique-error"}
    assert calls == []

    people.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with open(table(ledger, "departures"), "a", encoding="utf-8") as out:
        out.write("nobody-leaves,nobody,meta,,2024-01-01,day,,,medium,meta-blog-llama,\n")
    last = len(table(ledger, "departures").read_text(encoding="utf-8").splitlines())
    assert problems(ledger) == [["seeds/departures.csv", last, "person_id", "foreign-key"]]
    assert calls == [len(rows) - 1]  # derived beside the key checks, and dropped

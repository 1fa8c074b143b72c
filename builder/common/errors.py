"""Problems are data; BuilderError means the build cannot continue."""

from __future__ import annotations

import tarfile
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the package, located as precisely as we can.

    `row` counts like frictionless and spreadsheets: the header is row 1, so the first data
    row is row 2. For the descriptor, `row` is the line of the JSON file.
    """

    path: str
    row: int | None
    field: str | None
    type: str
    message: str
    fix: str = ""
    resource: str | None = None
    column: int | None = None

    def to_dict(self) -> dict:
        return dict(vars(self))  # every field is text, a number or None: asdict's deep copy is wasted work

    def key(self) -> list:
        """The [file, row, field, type] tuple tests compare."""
        return [self.path, self.row, self.field, self.type]


def _sort_key(problem: Problem) -> tuple:
    return (problem.path, problem.row or 0, problem.field or "", problem.type, problem.message)


@dataclass
class Report:
    """Every problem found, in a stable order. Valid means no problem."""

    package: str = ""
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # worth knowing, but the package is valid

    def add(self, problems) -> None:
        self.problems.extend(problems)

    def warn(self, warnings) -> None:
        self.warnings.extend(warnings)

    @property
    def valid(self) -> bool:
        return not self.problems

    def sorted_problems(self) -> list[Problem]:
        return sorted(set(self.problems), key=_sort_key)

    def to_dict(self) -> dict:
        problems = self.sorted_problems()
        return {
            "valid": self.valid,
            "package": self.package,
            "problem_count": len(problems),
            "problems": [p.to_dict() for p in problems],
            "warnings": [p.to_dict() for p in self.sorted_warnings()],
        }

    def sorted_warnings(self) -> list[Problem]:
        return sorted(set(self.warnings), key=_sort_key)


class BuilderError(Exception):
    """The build cannot continue; the message says why and what to do."""


class InvalidPackage(BuilderError):
    """Validation found problems; the report holds them all."""

    def __init__(self, report: Report):
        super().__init__(f"the package has {len(set(report.problems))} problem(s)")
        self.report = report


class StageFailed(BuilderError):
    """A later stage (derive, export, render, publish) failed."""


def in_words(error: BaseException) -> str:
    """Why something could not be read, fit to publish: our own messages as they are, never a
    library's (tarfile's and the OS's name absolute paths and the builder's cache folders), only
    the kind of fault."""
    if isinstance(error, BuilderError):
        return str(error)
    if isinstance(error, tarfile.TarError):
        return "it holds a link or a special file that the builder never unpacks"
    if isinstance(error, UnicodeError):
        return "one of its files is not UTF-8"
    if isinstance(error, OSError):
        return "one of its files could not be read"
    if isinstance(error, ValueError):
        return "its descriptor or one of its tables could not be read"
    return "it could not be read"

"""Problems are data; BuilderError means the build cannot continue."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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
        return asdict(self)

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
            "warnings": [p.to_dict() for p in sorted(set(self.warnings), key=_sort_key)],
        }

    def by_path(self) -> dict[str, list[Problem]]:
        grouped: dict[str, list[Problem]] = {}
        for problem in self.sorted_problems():
            grouped.setdefault(problem.path, []).append(problem)
        return grouped


class BuilderError(Exception):
    """The build cannot continue; the message says why and what to do."""


class InvalidPackage(BuilderError):
    """Validation found problems; the report holds them all."""

    def __init__(self, report: Report):
        super().__init__(f"the package has {len(report.sorted_problems())} problem(s)")
        self.report = report


class StageFailed(BuilderError):
    """A later stage (derive, export, render, publish) failed."""

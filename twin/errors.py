"""Domain errors: bad input is reported with the file, the field, the value and what was expected."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where it is, what was found, what was expected."""

    file: str
    field: str
    value: object
    expected: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field} = {self.value!r}: expected {self.expected}"


class TwinError(Exception):
    """Base class of every error twin reports to a user (the CLI prints it without a traceback, exit 2)."""


class InputError(TwinError):
    """One or more problems found while loading and validating an input file."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class ProblemList:
    """Collects problems while validating, so a user sees all of them at once rather than one per run."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, fld: str, value: object, expected: str) -> None:
        self.problems.append(Problem(self.file, fld, value, expected))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)


def display_path(path: str | Path) -> str:
    """Path as shown in messages: relative to the working directory when below it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)

"""What went wrong while loading: one LoadIssue per bad row or value, gathered in a LoadReport."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LoadIssue:
    """One rejected row (or value) of a source."""

    source: str  # file path, or a description such as "pandas DataFrame"
    line: int | None  # 1-based line in the file (the header is line 1), or row position + 1
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = [self.source]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        value = f" value {self.value!r}:" if self.value is not None else ""
        return f"{', '.join(where)}:{value} {self.reason}"


@dataclass
class LoadReport:
    """The outcome of one load into a table."""

    source: str
    rows_loaded: int = 0
    issues: list[LoadIssue] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"{self.source}: {self.rows_loaded} rows loaded, {len(self.issues)} rejected"
        return "\n".join([head, *(f"  {issue}" for issue in self.issues)])

"""Errors that a researcher can act on."""

from __future__ import annotations


class PipelineInputError(ValueError):
    """Bad input (data or configuration), with every problem found and how to fix it.

    Parameters
    ----------
    summary : str
        One line saying what is wrong and where (file, panel).
    problems : list of str
        One line per problem: row, column, value, what is allowed, how to fix it.
    limit : int
        At most this many problems are printed; the rest are counted.
    """

    def __init__(self, summary: str, problems: list[str] | None = None, limit: int = 20) -> None:
        self.summary = summary
        self.problems = list(problems or [])
        lines = [summary]
        for p in self.problems[:limit]:
            lines.append(f"  - {p}")
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more problems of the same kind")
        super().__init__("\n".join(lines))

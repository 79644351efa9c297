"""The one exception the format parsers raise; ``read_transcript`` adds the file name."""

from __future__ import annotations


class TranscriptProblem(ValueError):
    """What is wrong with a transcript's content, and what the user can do about it."""

    def __init__(self, problem: str, hint: str) -> None:
        super().__init__(f"{problem}; {hint}")
        self.problem = problem
        self.hint = hint

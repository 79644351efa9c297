"""Errors users see: one line that names the input, what is wrong and what to do."""

from __future__ import annotations

from pathlib import Path


class KikigakiError(Exception):
    """A problem with the user's input or environment, reported as one line.

    ``str(error)`` is ``"<where>: <problem>; <what to do>"``; the CLI prints it and
    exits non-zero without a traceback.
    """

    def __init__(self, where: str | Path, problem: str, hint: str = "") -> None:
        self.where = str(where)
        self.problem = problem
        self.hint = hint
        super().__init__(self.one_line())

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        # Errors cross process boundaries (Dask workers, Prefect results) by pickling.
        return type(self), (self.where, self.problem, self.hint)

    def one_line(self) -> str:
        message = f"{self.where}: {self.problem}"
        if self.hint:
            message += f"; {self.hint}"
        return " ".join(message.split())


class InputError(KikigakiError):
    """The input file is missing, empty, binary, undecodable or has no transcript."""


class GlossaryError(KikigakiError):
    """A glossary file cannot be read or has a broken entry."""


class PublishError(KikigakiError):
    """The site could not be written; the previous site is left as it was."""

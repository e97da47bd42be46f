"""Exceptions with messages that tell the learner what to do next.

Every error the course raises on purpose derives from :class:`CourseError`,
so a notebook can catch them all at once. Each also derives from the builtin
type a Python programmer would expect (``ValueError``, ``KeyError``...), so
ordinary ``except`` clauses keep working.
"""


class CourseError(Exception):
    """Base class for the course's own, explained errors."""


class MissingDependencyError(CourseError, ImportError):
    """An optional package or asset is not installed; the message names the install command."""


class AssetError(CourseError, RuntimeError):
    """A data or model asset is missing, corrupt, or cannot be fetched offline."""


class ShapeError(CourseError, ValueError):
    """Arrays have shapes that do not fit together; the message names them."""


class EmptyInputError(CourseError, ValueError):
    """An empty corpus, query, sentence list or index where content is needed."""


class UnknownWordError(CourseError, KeyError):
    """A word is not in a model's vocabulary; the message suggests close spellings."""

    def __str__(self) -> str:  # KeyError would repr() the message and add quotes
        return str(self.args[0]) if self.args else ""


def require(module: str, pip_name: str | None = None):
    """Import ``module`` or raise :class:`MissingDependencyError` naming the pip command.

    Returns the imported module.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        name = pip_name or module
        raise MissingDependencyError(
            f"The package '{name}' is needed here but is not installed ({exc}). "
            f"Install the course's pinned set with `make setup`, or just this one with "
            f"`pip install -c constraints.txt {name}`."
        ) from exc


def text_list(items, what: str = "texts") -> list[str]:
    """Return ``items`` as a non-empty list of str, or raise an error that says how to fix the call.

    Introduced in notebooks/02_attention; every encoder of the course checks its input with it.
    """
    if isinstance(items, str):
        raise TypeError(f"Expected a list of {what}; wrap a single one in a list: encode([text]).")
    items = list(items)
    if not items:
        raise EmptyInputError(f"encode got an empty list of {what} (shape (0,)); pass at least one string.")
    bad = [i for i, t in enumerate(items) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"Every item must be a str; {what} {bad[:5]} are {type(items[bad[0]]).__name__}.")
    return items

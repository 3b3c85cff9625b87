"""The exception and warning hierarchy of evalkit.

Every error a user can cause is an :class:`EvalkitError`; the CLI turns it into a one-line message
and exit code 2. Anything else escaping the library is an internal failure (exit code 1).

As in scikit-learn and pandas, every :class:`EvalkitError` is also a :class:`ValueError` (a bad
value, table or design), and :class:`ArgumentTypeError` also a :class:`TypeError` (an argument of
the wrong kind), so ``except ValueError`` in an analyst's code catches them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from evalkit.i18n import TEXTS, Bilingual, Message, Text


class _InChinese:
    """An exception or warning whose message is English, with ``zh`` the same message in
    Chinese (:meth:`text`).

    Inside evalkit the message is a :class:`~evalkit.i18n.Message`, a key of the translation
    catalog (``evalkit/locale/``) with its values, which gives both texts; ``zh=`` with a literal
    text is for code outside the package (a source-scan test keeps evalkit's sites on the
    catalog).
    """

    def __init__(self, message: str | Text = "", *, zh: str | None = None) -> None:
        self.catalog_key = message.key if isinstance(message, Message) else None
        if isinstance(message, TEXTS):
            message, zh = message.text("en"), message.text("zh")
        super().__init__(message)
        self.zh = zh

    def text(self, lang: str = "en") -> str:
        """The one-line message in ``lang`` ("en" or "zh"; English where no Chinese was given)."""
        return self.zh if lang == "zh" and self.zh else str(self)


class EvalkitError(_InChinese, ValueError):
    """Base class of every error caused by input, configuration or design.

    The message is English; ``zh`` is the same message in Chinese, shown by the CLI with
    ``--lang zh``. Raise sites give a catalog key and its values, which hold both:
    ``ConfigError(Message("errors.study.unknown_column", column=c))``.
    """


@dataclass(frozen=True)
class Location:
    """Where in the input a problem sits. ``row`` is the physical row as a spreadsheet shows it
    (the header is row 1, the first record row 2)."""

    file: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = [p for p in (self.file, None if self.row is None else str(self.row), self.column) if p]
        return ":".join(parts)


class DataError(EvalkitError):
    """Bad input data. Carries the location (file, row, column) and what to do about it.

    ``detail`` and ``fix_detail`` are the message and the fix as given (a
    :class:`~evalkit.i18n.Message` inside evalkit), to say the same at another location:
    ``DataError(err.detail, file=store, fix=err.fix_detail)``.
    """

    def __init__(self, message: str | Text, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, fix: str | Text | None = None,
                 zh: str | None = None, fix_zh: str | None = None) -> None:
        key = message.key if isinstance(message, Message) else None
        self.detail: str | Text = message if zh is None else Bilingual(str(message), zh)
        self.fix_detail: str | Text | None = (fix if fix is None or fix_zh is None
                                              else Bilingual(str(fix), fix_zh))
        if isinstance(message, TEXTS):
            message, zh = message.text("en"), message.text("zh")
        if isinstance(fix, TEXTS):
            fix, fix_zh = fix.text("en"), fix.text("zh")
        self.location = Location(file, row, column)
        self.message, self.message_zh = message, zh
        self.fix, self.fix_zh = fix, fix_zh
        loc = str(self.location)
        text = f"{loc}: {message}" if loc else message
        if fix:
            text = f"{text} ({fix})"
        text_zh = None
        if zh:
            text_zh = f"{loc}：{zh}" if loc else zh
            if fix_zh or fix:
                text_zh = f"{text_zh}（{fix_zh or fix}）"
        super().__init__(text, zh=text_zh)
        self.catalog_key = key

    def located(self, *, file: str | None = None, row: int | None = None,
                column: str | None = None, detail: str | Text | None = None) -> DataError:
        """The same error (its fix, and its message unless ``detail`` replaces it) at another
        location: a fault named after a store rather than its temporary copy."""
        return type(self)(self.detail if detail is None else detail, file=file, row=row,
                          column=column, fix=self.fix_detail)


class ConfigError(EvalkitError):
    """An invalid study file or option."""


class ArgumentTypeError(ConfigError, TypeError):
    """An argument of the wrong kind (a result object where another was expected, ...): both a
    :class:`ConfigError` (exit code 2 in the CLI) and a :class:`TypeError`."""


class DesignError(EvalkitError):
    """A design that cannot be estimated (no pre-period, no controls, ...)."""


class IdentificationError(DesignError):
    """The estimand is not identified from this data (e.g. propensity scores at 0 or 1)."""


class FontError(EvalkitError):
    """No usable CJK font is installed (:mod:`evalkit.style.fonts`)."""


class RenderError(EvalkitError):
    """A template cell failed, a cross-reference is unresolved, or pandoc/Typst failed
    (:mod:`evalkit.report.fallback`, :mod:`evalkit.report.quarto`)."""


class ConvergenceError(DesignError):
    """An iterative fit (e.g. the propensity-score logit) stopped before it converged, so its
    result would not be the estimator's."""


class EvalkitWarning(_InChinese, UserWarning):
    """Base class of evalkit's warnings to users; like :class:`EvalkitError`, the message is a
    catalog key with its values: ``warnings.warn(DataWarning(Message("warnings.x.y", n=n)),
    stacklevel=2)``."""


class DataWarning(EvalkitWarning):
    """Suspicious but accepted data (a 万元 value in a 元 column, a gap in a firm's years)."""


class EvalkitDeprecationWarning(EvalkitWarning, FutureWarning):
    """A parameter name that still works but will go (``seed=``: use ``rng=``); a
    :class:`FutureWarning`, so that analysts see it (the pandas convention)."""


class EvalkitInternalWarning(EvalkitWarning):
    """A condition that should never happen; tests turn it into an error."""


def check_choice(name: str, value: object, allowed: tuple | list | frozenset) -> None:
    """Validate an option with a fixed set of values; the one place such checks are made.

    Raises :class:`ConfigError` listing the allowed values and the value received.
    """
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ConfigError(Message("errors.errors.one", name=name, shown=shown, value=value))


def require_columns(table: object, columns: Iterable[object], what: str | Text | None = None,
                    what_zh: str | None = None, *, file: str | None = None) -> None:
    """Check that ``table`` (anything with ``.columns``, e.g. a pandas DataFrame) has every
    column in ``columns``; the one place "table has no column" checks are made.

    Raises :class:`DataError` naming every missing column, the table (``what``: a
    ``labels.table.*`` message, default "the data", or an English name with ``what_zh`` its
    Chinese; ``file`` for a data table, so the CLI names it) and the columns the table has.
    """
    have = list(table.columns)
    present = set(have)
    missing = [c for c in dict.fromkeys(columns) if c not in present]
    if not missing:
        return
    shown = ", ".join(map(str, have[:20])) + (", ..." if len(have) > 20 else "")
    names = ", ".join(repr(c) for c in missing)
    if what is None:
        what = Message("labels.table.data")
    elif isinstance(what, str):
        what = Bilingual(what, what if what_zh is None else what_zh)
    if len(missing) > 1:
        raise DataError(Message("errors.errors.no_columns", what=what, names=names, shown=shown),
                        file=file, column=str(missing[0]),
                        fix=Message("errors.errors.fix_column_name"))
    raise DataError(Message("errors.errors.no_column", what=what, names=names, shown=shown),
                    file=file, column=str(missing[0]), fix=Message("errors.errors.fix_column_name"))

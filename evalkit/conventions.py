"""One name and one convention per common parameter, and the one helper that reads the others.

=================== ====================================== =====================================
canonical name      meaning                                aliases kept (documented)
=================== ====================================== =====================================
``alpha``           significance level: 1 - alpha          ``alp`` (R ``did``)
                    intervals
``rng``             randomness: a ``numpy.random``         ``seed`` (deprecated: a
                    ``Generator``, an int seed or None     :class:`EvalkitDeprecationWarning`)
``n_draws``         number of bootstrap / simulation /     ``biters`` (R ``did``), ``B``
                    permutation draws                      (R ``fwildclusterboot``), ``R``
                                                           (permutations), ``n_sim``
``bootstrap_weights`` multiplier weights: ``"mammen"`` or  ``weights`` (wild cluster bootstrap)
                    ``"rademacher"``
=================== ====================================== =====================================

R ``did``'s ``bstrap`` (whether to bootstrap) keeps its name. A function takes the canonical
name and its aliases as keyword arguments (default None) and resolves them with :func:`pick`
and :func:`as_rng`; passing two names for the same parameter is a :class:`ConfigError`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from evalkit.errors import ConfigError, EvalkitDeprecationWarning
from evalkit.i18n import Message

RngLike = np.random.Generator | int | None


def pick(name: str, value: Any, default: Any, **aliases: Any) -> Any:
    """The value of parameter ``name`` given under its name or one alias (None = not given),
    else ``default``."""
    given = {k: v for k, v in {name: value, **aliases}.items() if v is not None}
    if len(given) > 1:
        names = ", ".join(sorted(given))
        raise ConfigError(Message("errors.conventions.same_parameter_pass_one", names=names,
                                  name=name))
    return next(iter(given.values()), default)


def as_rng(rng: RngLike = None, seed: int | None = None, *, default: RngLike = None,
           stacklevel: int = 3) -> RngLike:
    """The ``rng`` argument with the deprecated ``seed`` folded in (a FutureWarning), or
    ``default`` when neither is given. Returns what was passed (an int seed stays an int, so a
    result can record it); ``numpy.random.default_rng`` of it gives the Generator."""
    if seed is not None:
        warnings.warn(EvalkitDeprecationWarning(Message("warnings.conventions.seed_deprecated_pass_rng")),
            stacklevel=stacklevel)
    value = pick("rng", rng, default, seed=seed)
    if not (value is None or isinstance(value, (np.random.Generator, int, np.integer))):
        raise ConfigError(Message("errors.conventions.rng_numpy_generator_int",
                                  type_name=type(value).__name__))
    return int(value) if isinstance(value, np.integer) else value


def seed_of(rng: RngLike) -> int | None:
    """The int seed a result records for ``rng`` (None for a Generator or None)."""
    return rng if isinstance(rng, int) else None

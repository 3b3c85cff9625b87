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

RngLike = np.random.Generator | int | None


def pick(name: str, value: Any, default: Any, **aliases: Any) -> Any:
    """The value of parameter ``name`` given under its name or one alias (None = not given),
    else ``default``."""
    given = {k: v for k, v in {name: value, **aliases}.items() if v is not None}
    if len(given) > 1:
        names = ", ".join(sorted(given))
        raise ConfigError(f"{names} are the same parameter ({name}); pass one of them",
                          zh=f"{names} 是同一个参数（{name}）；请只传入其中一个")
    return next(iter(given.values()), default)


def as_rng(rng: RngLike = None, seed: int | None = None, *, default: RngLike = None,
           stacklevel: int = 3) -> RngLike:
    """The ``rng`` argument with the deprecated ``seed`` folded in (a FutureWarning), or
    ``default`` when neither is given. Returns what was passed (an int seed stays an int, so a
    result can record it); ``numpy.random.default_rng`` of it gives the Generator."""
    if seed is not None:
        warnings.warn(EvalkitDeprecationWarning(
            "seed= is deprecated; pass rng= (a numpy Generator, an int seed or None)",
            zh="seed= 已弃用；请改用 rng=（numpy Generator、整数种子或 None）"),
            stacklevel=stacklevel)
    value = pick("rng", rng, default, seed=seed)
    if not (value is None or isinstance(value, (np.random.Generator, int, np.integer))):
        raise ConfigError(f"rng must be a numpy Generator, an int or None; received "
                          f"{type(value).__name__}",
                          zh=f"rng 须为 numpy Generator、整数或 None；收到的是 "
                             f"{type(value).__name__}")
    return int(value) if isinstance(value, np.integer) else value


def seed_of(rng: RngLike) -> int | None:
    """The int seed a result records for ``rng`` (None for a Generator or None)."""
    return rng if isinstance(rng, int) else None

"""The additional outcome a policy caused over an evaluation window, from ATT(g, t) cells.

With cohorts g of N_g treated firms and group-time effects ATT(g, t) (Callaway & Sant'Anna 2021),
the total additional outcome caused in calendar years t of the window W, valued at a base year
with discount factors d_t, is::

    Total = sum_{g} sum_{t in W, t >= g} N_g * d_t * ATT(g, t)

a linear combination of the cells, so its influence function is the same combination of the
cells' influence functions (:func:`evalkit.fiscal.linear.lincomb`). ``per_year=True`` divides by
the number of calendar years of the window the cells cover: the average additional stock per year
(e.g. jobs sustained).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from evalkit.errors import DesignError
from evalkit.fiscal.cost import discount_factors
from evalkit.fiscal.linear import LinearEstimate, lincomb
from evalkit.i18n import Message

__all__ = ["total_effect"]


def total_effect(att_cells: Sequence[LinearEstimate], cohort_sizes: Mapping[int, int],
                 window: tuple[int, int], discount: float | Mapping[int, float] | None = None,
                 base_year: int | None = None, per_year: bool = False,
                 name: str = "total_effect") -> LinearEstimate:
    """Total additional outcome over ``window`` = (first, last) calendar year, inclusive.

    ``att_cells`` are ATT(g, t) estimates with ``group`` and ``time`` set; ``cohort_sizes`` maps
    g -> N_g (treated firms in cohort g), or (g, t) -> N_gt (treated firms of cohort g present in
    year t, for unbalanced panels where firms exit); a (g, t) entry takes precedence. ``discount`` is a rate (with ``base_year``, default
    the window's first year), a mapping year -> factor, or None (no discounting). Every post
    cell (t >= g) of a cohort that lies in the window and within the periods the cells cover
    must be supplied; pre-treatment cells are ignored.
    """
    first, last = int(window[0]), int(window[1])
    if first > last:
        raise DesignError(Message("errors.fiscal.effects.window_first_year_after", window=window))
    cells: dict[tuple[int, int], LinearEstimate] = {}
    for c in att_cells:
        if c.group is None or c.time is None:
            raise DesignError(Message("errors.fiscal.effects.cell_group_time_build", name=c.name))
        key = (int(c.group), int(c.time))
        if key in cells:
            raise DesignError(Message("errors.fiscal.effects.att_supplied_twice", key_=key))
        cells[key] = c
    years = range(first, last + 1)
    if discount is None:
        factors = dict.fromkeys(years, 1.0)
    elif isinstance(discount, Mapping):
        factors = {int(y): float(v) for y, v in discount.items()}
    else:
        factors = discount_factors(years, first if base_year is None else base_year,
                                   float(discount))
    t_max = max(t for _, t in cells) if cells else last
    used, weights = [], []
    for g in sorted({g for g, _ in cells}):
        for t in range(max(g, first), min(last, t_max) + 1):
            size = cohort_sizes.get((g, t), cohort_sizes.get(g))
            if size is None:
                raise DesignError(Message("errors.fiscal.effects.cohort_att_cells_but", g=g))
            if (g, t) not in cells:
                raise DesignError(Message("errors.fiscal.effects.att_needed_window_but", g=g, t=t,
                                          first=first, last=last))
            if t not in factors:
                raise DesignError(Message("errors.fiscal.effects.discount_factor_year", t=t))
            used.append(cells[(g, t)])
            weights.append(float(size) * factors[t])
    if not used:
        raise DesignError(Message("errors.fiscal.effects.post_treatment_att_t", first=first,
                                  last=last))
    if per_year:
        n_years = min(last, t_max) - first + 1
        weights = [w / n_years for w in weights]
    return lincomb(used, weights, name=name)

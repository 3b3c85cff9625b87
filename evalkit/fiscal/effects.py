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
        raise DesignError(f"window {window!r}: first year after last year",
                          zh=f"窗口 {window!r}：起始年份晚于结束年份")
    cells: dict[tuple[int, int], LinearEstimate] = {}
    for c in att_cells:
        if c.group is None or c.time is None:
            raise DesignError(f"cell {c.name!r} has no (group, time); build it with group= and "
                              "time= or LinearEstimate.from_did",
                              zh=f"单元 {c.name!r} 缺少 (group, time)；请用 group= 和 time= "
                                 "或 LinearEstimate.from_did 构建")
        key = (int(c.group), int(c.time))
        if key in cells:
            raise DesignError(f"ATT{key} supplied twice", zh=f"ATT{key} 重复提供")
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
                raise DesignError(f"cohort {g} has ATT cells but no size in cohort_sizes",
                                  zh=f"批次 {g} 有 ATT 单元，但 cohort_sizes 中没有其规模")
            if (g, t) not in cells:
                raise DesignError(f"ATT({g},{t}) is needed for the window {first}-{last} but was "
                                  "not supplied",
                                  zh=f"窗口 {first}-{last} 需要 ATT({g},{t})，但未提供")
            if t not in factors:
                raise DesignError(f"no discount factor for year {t}",
                                  zh=f"缺少 {t} 年的贴现因子")
            used.append(cells[(g, t)])
            weights.append(float(size) * factors[t])
    if not used:
        raise DesignError(f"no post-treatment ATT(g, t) cell lies in the window {first}-{last}",
                          zh=f"窗口 {first}-{last} 内没有政策后时期的 ATT(g, t) 单元")
    if per_year:
        n_years = min(last, t_max) - first + 1
        weights = [w / n_years for w in weights]
    return lincomb(used, weights, name=name)

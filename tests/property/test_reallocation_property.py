"""Property tests: the reallocation LP always respects its constraints, is deterministic, and
reaches the optimum of the greedy (fractional-knapsack) solution."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.portfolio import reallocate

money = st.floats(min_value=0.0, max_value=1e8, allow_nan=False)


@st.composite
def problems(draw):
    p = draw(st.integers(min_value=1, max_value=8))
    current = draw(st.lists(money, min_size=p, max_size=p))
    ret = draw(st.lists(st.floats(min_value=-2, max_value=5, allow_nan=False), min_size=p,
                        max_size=p))
    cap = draw(st.lists(st.one_of(st.just(np.nan), money), min_size=p, max_size=p))
    max_change = draw(st.floats(min_value=0.0, max_value=1.0))
    df = pd.DataFrame({"policy_id": [f"P{j:02d}" for j in range(p)], "current": current,
                       "estimate": ret, "capacity": cap})
    b = np.array(current)
    c = np.where(np.isnan(cap), np.inf, cap)
    upper = np.minimum(b * (1 + max_change), c)
    lower = np.minimum(b * (1 - max_change), upper)
    frac = draw(st.floats(min_value=0.0, max_value=1.0))
    total = lower.sum() + frac * (upper.sum() - lower.sum())
    return df, float(total), max_change, lower, upper


def _greedy(r, ids, lower, upper, total):
    x = lower.copy()
    left = total - lower.sum()
    for j in sorted(range(r.size), key=lambda j: (-r[j], ids[j])):
        add = min(upper[j] - lower[j], max(left, 0.0))
        x[j] += add
        left -= add
    return x


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_constraints_hold_and_output_is_deterministic(prob):
    df, total, max_change, lower, upper = prob
    res = reallocate(df, total=total, max_change=max_change)
    t = res.table.set_index("policy_id").loc[df["policy_id"]]
    x = t["proposed"].to_numpy()
    tol = 1e-6 * max(1.0, total)
    assert abs(x.sum() - total) <= tol
    assert np.all(x >= lower - tol) and np.all(x <= upper + tol)
    b = df["current"].to_numpy()
    cap = np.nan_to_num(df["capacity"].to_numpy(), nan=np.inf)
    assert np.all(x <= cap + tol)                                  # never beyond capacity
    assert np.all(x - b <= max_change * b + tol)                   # bounded increase
    # bounded decrease, unless capacity is below the smallest allowed budget (capacity wins)
    room = cap >= b * (1 - max_change)
    assert np.all(~room | (b - x <= max_change * b + tol))
    again = reallocate(df.copy(), total=total, max_change=max_change)
    assert again.table.equals(res.table)                           # deterministic
    shuffled = reallocate(df.iloc[::-1].reset_index(drop=True), total=total,
                          max_change=max_change)
    assert np.allclose(shuffled.table["proposed"], res.table["proposed"], rtol=0, atol=tol)
    r = df["estimate"].to_numpy()
    g = _greedy(r, list(df["policy_id"]), lower, upper, total)
    assert float(r @ x) >= float(r @ g) - 1e-6 * max(1.0, float(np.abs(r) @ upper))  # optimal

"""One-off conversion: the LaLonde NSW-CPS subsample of R DRDID's examples -> lalonde_cps.csv.

Not run by the tests. It reads ``data/nsw_long.rda`` of the R package DRDID (pedrohcgs/DRDID)
with the PyPI package ``rdata`` (not an evalkit dependency; install it anywhere, e.g.
``pip install --target <a scratch folder> rdata``) and repeats the example of ``?drdid``, ``?ipwdid``
and ``?ordid``::

    eval_lalonde_cps <- subset(nsw_long, nsw_long$treated == 0 | nsw_long$sample == 2)
    set.seed(123)
    unit_random <- sample(unique(eval_lalonde_cps$id), 5000)
    eval_lalonde_cps <- eval_lalonde_cps[eval_lalonde_cps$id %in% unit_random,]

R's ``set.seed``/``sample`` are reproduced by :func:`r_sample` (Mersenne-Twister with R's seed
scrambling, and the rejection sampling of R >= 3.6); the tests check it on known R outputs.

Usage: ``python tests/reference/lalonde_make.py path/to/nsw_long.rda``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "lalonde_cps.csv"
COLUMNS = ["id", "year", "experimental", "re", "age", "educ", "black", "married", "nodegree",
           "hisp", "re74"]


class RRandom:
    """R's default generator (``RNGkind("Mersenne-Twister", "Inversion", "Rejection")``) after
    ``set.seed(seed)``: src/main/RNG.c (``Randomize``: 50 rounds of ``seed = 69069 * seed + 1``,
    then 625 more give ``dummy[0..624]``, ``dummy[0] = mti = 624``) and ``MT_genrand``."""

    def __init__(self, seed: int) -> None:
        s = seed & 0xFFFFFFFF
        for _ in range(50):
            s = (69069 * s + 1) & 0xFFFFFFFF
        state = []
        for _ in range(625):
            s = (69069 * s + 1) & 0xFFFFFFFF
            state.append(s)
        self._mt = np.random.MT19937(0)
        self._mt.state = {"bit_generator": "MT19937",
                          "state": {"key": np.array(state[1:], dtype=np.uint32), "pos": 624}}

    def unif_rand(self) -> float:
        """One ``unif_rand()``: the 32-bit MT output times 2^-32, kept inside (0, 1)."""
        v = int(self._mt.random_raw()) * 2.3283064365386963e-10
        if v <= 0.0:
            return 0.5 * 2.328306437080797e-10
        if 1.0 - v <= 0.0:
            return 1.0 - 0.5 * 2.328306437080797e-10
        return v

    def unif_index(self, dn: int) -> int:
        """``R_unif_index``: rejection sampling of ``ceil(log2(dn))`` random bits."""
        if dn <= 0:
            return 0
        bits = int(np.ceil(np.log2(dn)))
        while True:
            v = 0
            for _ in range(0, bits + 1, 16):
                v = 65536 * v + int(np.floor(self.unif_rand() * 65536))
            v &= (1 << bits) - 1
            if v < dn:
                return v


def r_sample(seed: int, n: int, size: int | None = None) -> list[int]:
    """``set.seed(seed); sample.int(n, size)`` (without replacement, R >= 3.6): 1-based."""
    rng = RRandom(seed)
    size = n if size is None else size
    x = list(range(n))
    out = []
    for _ in range(size):
        j = rng.unif_index(n)
        out.append(x[j] + 1)
        n -= 1
        x[j] = x[n]
    return out


def main(rda: str) -> None:
    import pandas as pd
    import rdata

    nsw_long = rdata.read_rda(rda)["nsw_long"].reset_index(drop=True)
    keep = (nsw_long["treated"] == 0) | (nsw_long["sample"] == 2)   # R: NA | FALSE is dropped
    cps = nsw_long[keep.to_numpy()]
    ids = pd.unique(cps["id"])                                       # R unique(): first seen
    chosen = ids[np.array(r_sample(123, len(ids), 5000)) - 1]
    sub = cps[cps["id"].isin(chosen)][COLUMNS]
    for c in COLUMNS:
        if c not in ("re", "re74"):
            sub[c] = sub[c].astype("int64")
    sub.to_csv(OUT, index=False)                                     # repr: exact float64
    print(f"{OUT}: {len(sub)} rows, {sub['id'].nunique()} units, "
          f"{int(sub.groupby('id')['experimental'].first().sum())} experimental")


if __name__ == "__main__":
    main(sys.argv[1])

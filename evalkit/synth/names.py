"""Synthetic firm identifiers and names.

Firm ids are valid unified social credit codes (GB 32100-2015): ``'9'`` (registered by the market
regulator) ``'1'`` (enterprise), administrative division ``310104`` (Shanghai, Xuhui District), a
9-character organisation code (8 body characters and their GB 11714-1997 check character) and the
GB 32100 check character from :func:`evalkit.io.uscc.make_uscc`.

Names read ``上海<brand><industry word>有限公司`` (``股份有限公司`` for listed firms), with a 2- or
3-character brand drawn without replacement per industry word, so names are unique.
"""

from __future__ import annotations

import numpy as np

from evalkit.io.uscc import ALPHABET, make_uscc
from evalkit.synth.params import BRAND_CHARS

PREFIX = "91" + "310104"
#: GB 11714-1997 organisation code weights for the 8 body characters.
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])


def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def org_check(body8: str) -> str:
    """GB 11714-1997 check character of an organisation code body (8 characters)."""
    total = sum(_org_value(c) * int(w) for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else ("0" if c == 11 else str(c))


def make_firm_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid USCCs of Xuhui enterprises (object array of str)."""
    digits = np.array(list("0123456789"))
    letters = np.array([c for c in ALPHABET if c.isalpha()])
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        m = n - len(out)
        body = rng.choice(digits, size=(m, 8))
        # newer codes: 'MA' followed by mixed characters (e.g. 91310104MA1FR...)
        newer = rng.random(m) < 0.45
        body[newer, 0] = "M"
        body[newer, 1] = "A"
        mixed = newer[:, None] & (rng.random((m, 8)) < 0.35)
        mixed[:, :2] = False
        body[mixed] = rng.choice(letters, size=int(mixed.sum()))
        for row in body:
            b = "".join(row)
            code = make_uscc(PREFIX + b + org_check(b))
            if code not in seen:
                seen.add(code)
                out.append(code)
    return np.array(out, dtype=object)


def _brands() -> list[str]:
    chars = BRAND_CHARS
    two = [a + b for a in chars for b in chars if a != b]
    three = [a + b + c for a in chars for b in chars for c in chars if len({a, b, c}) == 3]
    return two + three


def make_names(rng: np.random.Generator, industry_word: np.ndarray, listed: np.ndarray
               ) -> np.ndarray:
    """Unique Chinese firm names; shape (n,) like ``industry_word``."""
    brands = np.array(_brands(), dtype=object)
    n_two = len(BRAND_CHARS) * (len(BRAND_CHARS) - 1)
    out = np.empty(industry_word.size, dtype=object)
    for word in np.unique(industry_word):
        rows = np.flatnonzero(industry_word == word)
        pool = n_two if rows.size <= n_two // 2 else brands.size
        if rows.size > pool:
            raise ValueError(f"too many firms ({rows.size}) for unique names with word {word}")
        pick = brands[rng.choice(pool, size=rows.size, replace=False)]
        out[rows] = "上海" + pick + word
    suffix = np.where(listed, "股份有限公司", "有限公司")
    return (out + suffix).astype(object)

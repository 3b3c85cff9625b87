"""Unified social credit codes (统一社会信用代码), GB 32100-2015.

An 18-character code: registration-authority code (1), entity-type code (1), administrative
division (6), organisation code (9) and a check character (1). The alphabet is the digits and the
capital letters without I, O, Z, S, V (31 characters); the check character is
``31 - (sum(value_i * 3**i mod 31) mod 31)`` over the first 17 characters, with 31 written as 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a code."""
    if len(first17) != 17:
        raise ValueError(f"need 17 characters, got {len(first17)}")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: object) -> str | None:
    """Why ``code`` is not a valid unified social credit code, or ``None`` if it is."""
    if not isinstance(code, str):
        return "missing"
    if len(code) != 18:
        return f"has {len(code)} characters, a unified social credit code has 18"
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        return f"contains characters outside GB 32100-2015's alphabet: {''.join(bad)}"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]!r}, GB 32100-2015 gives {expected!r}"
    return None


def is_valid_uscc(code: object) -> bool:
    """True when ``code`` is an 18-character code with a correct check character."""
    return uscc_problem(code) is None


def valid_uscc_mask(codes: pd.Series) -> np.ndarray:
    """Vectorised validity over a Series of codes (boolean array, same length)."""
    return np.fromiter((uscc_problem(c) is None for c in codes), dtype=bool, count=len(codes))


def make_uscc(body17: str) -> str:
    """Append the check character to 17 characters (used by the synthetic district)."""
    return body17 + check_character(body17)


_LUT = np.full(256, -1, dtype=np.int64)
for _c, _v in _VALUE.items():
    _LUT[ord(_c)] = _v


def valid_uscc_array(codes) -> np.ndarray:
    """Vectorised :func:`is_valid_uscc` over many codes (boolean array, same length).

    The same rule as :func:`check_character`, computed with numpy over an (n, 18) array of
    character values, for validating hundreds of thousands of codes quickly.
    """
    codes = list(codes)
    out = np.zeros(len(codes), dtype=bool)
    idx = [i for i, c in enumerate(codes) if isinstance(c, str) and len(c) == 18 and c.isascii()]
    if not idx:
        return out
    raw = np.frombuffer("".join(codes[i] for i in idx).encode("ascii"), dtype=np.uint8)
    vals = _LUT[raw.reshape(-1, 18)]
    total = (vals[:, :17] * np.asarray(WEIGHTS, dtype=np.int64)).sum(axis=1)
    ok = (vals >= 0).all(axis=1) & (vals[:, 17] == (31 - total % 31) % 31)
    out[np.asarray(idx)] = ok
    return out

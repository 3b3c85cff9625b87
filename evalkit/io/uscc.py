"""Unified social credit codes (统一社会信用代码), GB 32100-2015.

An 18-character code: registration-authority code (1), entity-type code (1), administrative
division (6), organisation code (9) and a check character (1). The alphabet is the digits and the
capital letters without I, O, Z, S, V (31 characters); the check character is
``31 - (sum(value_i * 3**i mod 31) mod 31)`` over the first 17 characters, with 31 written as 0.
"""

from __future__ import annotations

import numpy as np

from evalkit.i18n import Message

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a code."""
    if len(first17) != 17:
        raise ValueError(f"need 17 characters, got {len(first17)}")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: object, lang: str = "en") -> str | None:
    """Why ``code`` is not a valid unified social credit code (in ``lang``, "en" or "zh"), or
    ``None`` if it is."""
    why = uscc_message(code)
    return None if why is None else why.text(lang)


def uscc_message(code: object) -> Message | None:
    """Why ``code`` is not a valid unified social credit code, as a catalog message
    (``reasons.uscc.*``), or ``None`` if it is."""
    if not isinstance(code, str):
        return Message("reasons.uscc.missing")
    if len(code) != 18:
        return Message("reasons.uscc.length", n=len(code))
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        return Message("reasons.uscc.alphabet", bad="".join(bad))
    expected = check_character(code[:17])
    if code[17] != expected:
        return Message("reasons.uscc.check_character", found=code[17], expected=expected)
    return None


def is_valid_uscc(code: object) -> bool:
    """True when ``code`` is an 18-character code with a correct check character."""
    return uscc_problem(code) is None


def make_uscc(body17: str) -> str:
    """Append the check character to 17 characters (used by the synthetic district)."""
    return body17 + check_character(body17)


_LUT = np.full(256, -1, dtype=np.int8)
for _c, _v in _VALUE.items():
    _LUT[ord(_c)] = _v


def valid_uscc_array(codes) -> np.ndarray:
    """Vectorised :func:`is_valid_uscc` over many codes (boolean array, same length).

    The same rule as :func:`check_character`, computed with numpy over an (n, 18) byte matrix of
    the 18-character ASCII codes. ``codes`` is an Arrow string array (read without Python
    objects) or any sequence (non-strings are invalid).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from evalkit.io.arrowtext import value_bytes

    if not isinstance(codes, pa.Array | pa.ChunkedArray):
        codes = list(codes)
        codes = pa.array([c if isinstance(c, str) else None for c in codes], pa.string())
    n = len(codes)
    shaped = pc.and_(pc.equal(pc.binary_length(codes), 18), pc.string_is_ascii(codes))
    shaped = np.asarray(pc.fill_null(shaped, False).to_numpy(zero_copy_only=False), dtype=bool)
    out = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(shaped)
    if len(idx) == 0:
        return out
    fixed = codes if len(idx) == n else pc.take(codes, pa.array(idx))
    parts = fixed.chunks if isinstance(fixed, pa.ChunkedArray) else [fixed]
    ok = []
    for part in parts:                   # chunk by chunk: no copy of the codes
        chars = value_bytes(part).reshape(-1, 18)
        good = np.ones(len(chars), dtype=bool)
        total = np.zeros(len(chars), dtype=np.int32)
        for k in range(18):              # one column of characters at a time
            v = _LUT[chars[:, k]]
            good &= v >= 0
            if k < 17:
                total += v.astype(np.int32) * WEIGHTS[k]
            else:
                good &= v == (31 - total % 31) % 31
        ok.append(good)
    out[idx] = np.concatenate(ok) if ok else np.zeros(0, dtype=bool)
    return out

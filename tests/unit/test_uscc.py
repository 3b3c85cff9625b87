import pytest

from evalkit.io.uscc import ALPHABET, check_character, is_valid_uscc, make_uscc, uscc_problem

# Codes published on real business licences (public registry entries).
REAL_CODES = ("91350100M000100Y43", "91110000802100433B")


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_validate(code):
    assert is_valid_uscc(code)


def test_every_wrong_check_character_is_rejected():
    body = REAL_CODES[0][:17]
    good = check_character(body)
    for c in ALPHABET:
        assert is_valid_uscc(body + c) == (c == good)


def test_problems_are_named():
    assert "18" in uscc_problem("9131")
    assert "alphabet" in uscc_problem("91310104MA1FL4XI2A")  # I is not in the alphabet
    assert "check character" in uscc_problem(REAL_CODES[0][:17] + "0")
    assert uscc_problem(None) == "missing"


def test_make_uscc_round_trip():
    assert is_valid_uscc(make_uscc("91310104MA1FL4X2Q"))

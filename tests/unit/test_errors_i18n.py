import pytest

from evalkit.errors import ConfigError, DataError, check_choice
from evalkit.i18n import LANGS, STRINGS, t


def test_check_choice_lists_allowed_and_received():
    with pytest.raises(ConfigError) as e:
        check_choice("est_method", "dd", ("dr", "ipw", "reg"))
    msg = str(e.value)
    assert "'dr', 'ipw', 'reg'" in msg and "'dd'" in msg


def test_data_error_carries_location_and_fix():
    e = DataError("not a number", file="firm_years.csv", row=12, column="revenue", fix="type digits")
    assert str(e) == "firm_years.csv:12:revenue: not a number (type digits)"
    assert e.location.row == 12


def test_every_string_has_both_languages_and_same_placeholders():
    import string

    for key, texts in STRINGS.items():
        assert set(texts) == set(LANGS), key
        fields = [{f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f} for lang in LANGS]
        assert fields[0] == fields[1], key


def test_unknown_language_rejected():
    with pytest.raises(ConfigError):
        t("cli.error", "fr")

"""evalkit's errors are also the builtin exceptions an analyst catches (ValueError, TypeError)."""

import pytest

from evalkit import errors
from evalkit.errors import ArgumentTypeError, ConfigError, DataError, DesignError, EvalkitError


@pytest.mark.parametrize("cls", [EvalkitError, ConfigError, DataError, DesignError,
                                 errors.IdentificationError, errors.ConvergenceError])
def test_every_error_is_a_value_error(cls):
    assert issubclass(cls, ValueError)


def test_argument_type_error_is_both_a_type_error_and_a_config_error():
    err = ArgumentTypeError("expected an AggteResult", zh="应为 AggteResult")
    assert isinstance(err, TypeError) and isinstance(err, ConfigError)
    with pytest.raises(TypeError):
        raise err
    assert err.text("zh") == "应为 AggteResult"


def test_except_value_error_catches_a_data_error_with_its_location():
    try:
        raise DataError("bad", file="a.csv", row=3, column="x", zh="坏")
    except ValueError as e:
        assert str(e) == "a.csv:3:x: bad"

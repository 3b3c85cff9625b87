"""One "required columns" check (evalkit.errors.require_columns) with one wording everywhere."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.did import att_gt
from evalkit.errors import DataError, require_columns
from evalkit.fe import prepare_panel
from evalkit.fiscal.cost import policy_cost
from evalkit.portfolio.process import budget_execution_rate


def test_names_every_missing_column_in_both_languages_and_the_file():
    t = pd.DataFrame({"firm_id": [1], "year": [2020]})
    require_columns(t, ["firm_id", "year"])                   # nothing missing: no error
    with pytest.raises(DataError) as e:
        require_columns(t, ["firm_id", "amount", "date", "amount"], "the disbursement ledger",
                        "拨付台账", file="disbursements")
    err = e.value
    assert err.location.file == "disbursements" and err.location.column == "amount"
    assert "the disbursement ledger has no columns 'amount', 'date'" in str(err)
    assert "missing from its columns firm_id, year" in str(err)
    assert "拨付台账缺少列 'amount', 'date'（现有列：firm_id, year）" in err.text("zh")


@pytest.mark.parametrize("call", [
    lambda d: prepare_panel(d, "y", "t", "id", "g"),
    lambda d: att_gt(d, "y", "t", "id", "g"),
    lambda d: policy_cost(d, "P01", 2020),
    lambda d: budget_execution_rate(d, d, "P01", 2020),
])
def test_estimators_and_domain_code_use_the_one_wording(call):
    d = pd.DataFrame({"id": [1, 1], "t": [1, 2]})
    with pytest.raises(DataError, match=r"has no columns? '") as e:
        call(d)
    assert "缺少列" in e.value.text("zh")

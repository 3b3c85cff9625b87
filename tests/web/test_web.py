"""The review workspace (issue 15) through Django's test client: roles and permissions, CSRF,
decisions appended to the hash-chained log under the account's name, ids outside the cycle
refused, throttled logins, escaped text, the exports."""

from __future__ import annotations

import io
import re

import duckdb
import pytest

from evalkit.portfolio.review_log import audit_review_log, review_history


def _store(web):
    return web["cycle"].store


def _csrf(client, url):
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.content.decode()).group(1)


def test_logged_out_pages_redirect_to_login(web):
    from django.test import Client

    c = Client()
    pk = web["cycle"].pk
    for url in ("/", f"/cycles/{pk}/", f"/cycles/{pk}/policy/P01/", f"/cycles/{pk}/decide/2026-01/",
                "/log/verify/", f"/cycles/{pk}/budget.xlsx"):
        r = c.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/"), url


def test_overview_shows_ranking_grades_proposal_and_flags(web, client_for):
    r = client_for("auditor").get(f"/cycles/{web['cycle'].pk}/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "2026-01" in html and "2026-08" in html and "良" in html
    assert re.search(r"\[-?[\d,.]+, -?[\d,.]+\]", html)          # intervals
    # a flag with its reason (the demo's designs flag by the selection-balance test; a level
    # design by its pre-trend test, a proportional one without selection columns by the dip)
    assert any(reason in html for reason in ("选择协变量", "selection covariates", "处理前",
                                             "pre-treatment trends", "阿申费尔特")), html
    # the report is named after its study (evalkit.report.identity)
    assert re.search(r"reports/portfolio/portfolio_[^\"'<>]+\.zh\.html", html)


def test_only_reviewers_decide(web, client_for):
    pk = web["cycle"].pk
    for name in ("evaluator", "auditor", "kewei"):
        assert client_for(name).get(f"/cycles/{pk}/decide/2026-01/").status_code == 403, name
    assert client_for("reviewer").get(f"/cycles/{pk}/decide/2026-01/").status_code == 200


def test_a_department_sees_only_its_own_policies(web, client_for):
    pk = web["cycle"].pk
    kewei = client_for("kewei")
    assert kewei.get(f"/cycles/{pk}/policy/P01/").status_code == 200      # 区科委's
    assert kewei.get(f"/cycles/{pk}/policy/P03/").status_code == 403      # 区商务委's
    html = kewei.get(f"/cycles/{pk}/").content.decode()
    assert "rec-2026-01" in html and "rec-2026-03" not in html
    assert client_for("shangwu").get(f"/cycles/{pk}/policy/P01/").status_code == 403


def test_a_post_without_csrf_token_is_refused_and_nothing_is_logged(web, client_for):
    before = len(review_history(_store(web)))
    r = client_for("reviewer").post(f"/cycles/{web['cycle'].pk}/decide/2026-01/",
                                    {"decision": "accept"})
    assert r.status_code == 403
    assert len(review_history(_store(web))) == before


def test_decisions_are_appended_with_the_account_and_the_manifest(web, client_for):
    c = client_for("reviewer")
    pk, cycle = web["cycle"].pk, web["cycle"]
    url = f"/cycles/{pk}/decide/2026-02/"
    # modify without amount or reason: refused, nothing logged
    before = len(review_history(_store(web)))
    r = c.post(url, {"decision": "modify", "csrfmiddlewaretoken": _csrf(c, url)})
    assert r.status_code == 200 and len(review_history(_store(web))) == before
    r = c.post(url, {"decision": "modify", "amount_wan": "52.5", "reason": "少减一些",
                     "csrfmiddlewaretoken": _csrf(c, url)})
    assert r.status_code == 302
    last = review_history(_store(web)).iloc[-1]
    assert (last["recommendation_id"], last["decision"], last["reviewer"]) == \
        ("2026-02", "modify", "reviewer")
    assert (last["amount_wan"], last["comment"], last["cycle"]) == ("52.5", "少减一些", "2026")
    assert last["bundle_sha256"] == cycle.manifest_sha256
    # superseded by a later entry, never edited
    r = c.post(url, {"decision": "reject", "reason": "暂缓", "csrfmiddlewaretoken": _csrf(c, url)})
    h = review_history(_store(web))
    assert h.iloc[-2]["decision"] == "modify" and h.iloc[-1]["decision"] == "reject"
    assert audit_review_log(_store(web)).ok
    html = c.get(f"/cycles/{pk}/").content.decode()
    assert "supersedes 1" in html or "取代" in html


def test_an_id_outside_the_cycle_is_not_found(web, client_for):
    assert client_for("reviewer").get(f"/cycles/{web['cycle'].pk}/decide/banana/").status_code \
        == 404


def test_repeated_failed_logins_are_throttled(web):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from evalkit.web.publish import create_account

    if not get_user_model().objects.filter(username="victim").exists():
        create_account("victim", "auditor", "Correct-Horse-9")
    c = Client()
    for k in range(5):                              # the 5th failure locks the account
        r = c.post("/accounts/login/", {"username": "victim", "password": "wrong-guess-1"})
        assert r.status_code == (200 if k < 4 else 429), k
    r = c.post("/accounts/login/", {"username": "victim", "password": "Correct-Horse-9"})
    assert r.status_code == 429                     # locked even with the right password
    assert not c.session.get("_auth_user_id")


def test_a_good_login_works_and_the_session_expires(web):
    from django.conf import settings
    from django.test import Client

    c = Client()
    r = c.post("/accounts/login/", {"username": "auditor",
                                    "password": web["passwords"]["auditor"]})
    assert r.status_code == 302 and c.session.get("_auth_user_id")
    assert settings.SESSION_COOKIE_AGE <= 3600 and settings.SESSION_SAVE_EVERY_REQUEST


def test_verify_page_reports_an_edited_row_with_its_sequence(web, client_for, tmp_path):
    from evalkit.web import logbook

    c = client_for("reviewer")
    url = f"/cycles/{web['cycle'].pk}/decide/2026-04/"
    c.post(url, {"decision": "accept", "csrfmiddlewaretoken": _csrf(c, url)})
    seq = int(review_history(_store(web)).iloc[-1]["seq"])
    html = client_for("auditor").get("/log/verify/").content.decode()
    assert 'class="ok" id="verdict"' in html
    store = _store(web)
    with logbook.LOCK:
        con = duckdb.connect(store)
        con.execute("UPDATE review_log SET comment = 'edited' WHERE seq = ?", [seq])
        con.close()
    try:
        html = client_for("auditor").get("/log/verify/").content.decode()
        assert f"entry {seq}" in html or f"第 {seq} 条" in html
        assert 'class="bad" id="verdict"' in html
    finally:
        with logbook.LOCK:
            con = duckdb.connect(store)
            con.execute("UPDATE review_log SET comment = '' WHERE seq = ?", [seq])
            con.close()
    assert audit_review_log(store).ok


def test_script_in_a_comment_shows_as_text(web, client_for):
    c = client_for("reviewer")
    url = f"/cycles/{web['cycle'].pk}/decide/2026-05/"
    c.post(url, {"decision": "reject", "reason": "<script>alert(1)</script>",
                 "csrfmiddlewaretoken": _csrf(c, url)})
    html = client_for("auditor").get("/log/verify/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_budget_xlsx_holds_the_adopted_amounts(web, client_for):
    from openpyxl import load_workbook

    c = client_for("reviewer")
    url = f"/cycles/{web['cycle'].pk}/decide/2026-06/"
    c.post(url, {"decision": "modify", "amount_wan": "17.25", "reason": "调整",
                 "csrfmiddlewaretoken": _csrf(c, url)})
    r = c.get(f"/cycles/{web['cycle'].pk}/budget.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = {row[0]: row for row in ws.iter_rows(min_row=2, values_only=True) if row and row[0]}
    assert rows["2026-06"][5] == "modify" and rows["2026-06"][6] == pytest.approx(17.25)
    assert client_for("kewei").get(f"/cycles/{web['cycle'].pk}/budget.xlsx").status_code == 403


def test_department_self_evaluation_and_differences(web, client_for):
    pk = web["cycle"].pk
    c = client_for("kewei")
    url = f"/cycles/{pk}/policy/P01/self/"
    html = c.get(url).content.decode()
    names = re.findall(r'name="([\w.]+)-indicator"', html)
    assert names and all(n.split(".")[0] in ("decision", "process", "effect") for n in names)
    data = {"csrfmiddlewaretoken": _csrf(c, url)}
    for n in names:
        data.update({f"{n}-indicator": n, f"{n}-share": "100", f"{n}-evidence": f"证据 {n}"})
    r = c.post(url, data)
    assert r.status_code == 302
    html = client_for("auditor").get(f"/cycles/{pk}/").content.decode()
    assert 'id="differences"' in html and "证据 decision.targets" in html
    assert client_for("shangwu").get(url).status_code == 403
    assert client_for("reviewer").get(url).status_code == 403


def test_decision_record_pdf_prints_the_head_hash(web, client_for, tmp_path):
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    r = client_for("auditor").get(f"/cycles/{web['cycle'].pk}/record.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(r.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    head = audit_review_log(_store(web)).head
    assert head in text.replace("\n", "").replace(" ", "")
    assert client_for("evaluator").get(f"/cycles/{web['cycle'].pk}/record.pdf").status_code == 403


def test_admin_static_files_are_served_from_django(web):
    from django.test import Client

    r = Client().get("/static/admin/css/base.css")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/css")
    assert b"body" in b"".join(r.streaming_content)
    assert Client().get("/static/admin/../../settings.py").status_code in (400, 404)


def test_createuser_help_needs_no_store():
    from tests.web.conftest import run_evalkit

    r = run_evalkit("serve", "createuser", "--help", timeout=120)
    assert r.returncode == 0 and "--role" in r.stdout, r.stderr
    r = run_evalkit("serve", "createuser", "x", "--role", "reviewer", "--password-stdin",
                    timeout=120)
    assert r.returncode == 2 and "--store" in r.stderr


def test_the_policy_page_shows_pre_trends_and_honestdid(web, client_for):
    """Issue 15: the policy page shows the pre-trend and HonestDiD results of the ex-post bundle.
    The demo studies ask HonestDiD for their main outcome (``robustness.honestdid``); for every
    demo policy the main outcome's row shows the pre-trend p-value, the breakdown value of Mbar
    and the robust interval at Mbar = 1, the numbers of the bundle."""
    from evalkit.contract.bundle import read_bundle

    pk = web["cycle"].pk
    c = client_for("auditor")
    for k in range(1, 9):
        pid = f"P{k:02d}"
        res = read_bundle(web["demo"] / "bundles" / f"ex_post_{pid}").results
        main = res["outcomes"][res["main_outcome"]]
        h = main["honestdid"]
        html = c.get(f"/cycles/{pk}/policy/{pid}/").content.decode()
        row = re.search(r"<tr><td>[a-z_]+ ★.*?</tr>", html, re.S).group(0)
        assert f"{main['pretrend']['p_value']:,.3f} (df {main['pretrend']['df']})" in row, row
        one = h["mbar"].index(1.0)
        shown_bd = re.search(r'<span class="breakdown">([^<]+)</span>', row).group(1)
        if h["breakdown"] is None:        # no Mbar up to the largest has 0 in its interval
            assert shown_bd == f"&gt; {max(h['mbar']):,.1f}", (pid, shown_bd)
        else:
            assert float(shown_bd) == pytest.approx(h["breakdown"], abs=0.005), (pid, shown_bd)
        lo, hi = re.search(r'<span class="robust-ci">\[([^,]+(?:,\d{3})*\.\d), '
                           r'([^\]]+)\]</span>', row).groups()
        for shown, value, edge in ((lo, h["lb"][one], "≤ "), (hi, h["ub"][one], "≥ ")):
            at_edge = abs(value) >= max(abs(g) for g in h["grid"]) * (1 - 1e-9)
            assert shown.startswith(edge) == at_edge, (pid, shown, value)
            assert float(shown.removeprefix(edge).replace(",", "")) == pytest.approx(value,
                                                                                     abs=0.05)
    assert "Rambachan" in html

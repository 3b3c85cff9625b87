"""Seeding the application database of a live test's server, in a process of its own (Django is
configured once per process, and the server is another process): accounts in bulk, and a cycle
whose names carry markup, with every URL of the URL conf filled in.

    python -m tests.web.seed accounts STORE   < [[name, role, department, password], ...]
    python -m tests.web.seed markup STORE     < {"bundle_folder": ..., "reports": ..., ...}

``EVALKIT_WEB_DATABASE_URL`` names the application database, as for the server. Prints JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: Markup that would run if a page put it into the HTML unescaped (element and attribute).
SCRIPT = "<script>window.__xss=1</script>"
ATTR = '"><img src=x onerror="window.__xss=2">'
#: A firm's name as the warehouse's firm register (``firms.name``, free text) could hold it, and
#: its unified social credit code. No page shows firm names (evalkit/web/README.md).
FIRM = "<script>alert(1)</script>"
FIRM_ID = "91310104MA1XSS001X"


def _setup(store: Path) -> None:
    from evalkit.web import server

    server.setup(store.parent)


def accounts(store: Path, rows: list[list[str]]) -> dict:
    """Make the accounts (Django's password validation and hashing, as createuser does)."""
    _setup(store)
    from evalkit.web.publish import create_account

    for name, role, dept, password in rows:
        create_account(name, role, password, dept)
    return {"made": [r[0] for r in rows]}


def plant_firm(store: Path) -> None:
    """The firm :data:`FIRM_ID` named :data:`FIRM` in the warehouse's ``firms`` table, a
    recipient of Q00 in its ``disbursements`` (the columns the pages could reach it by)."""
    import duckdb

    con = duckdb.connect(str(store))
    try:
        con.execute("CREATE TABLE firms (firm_id VARCHAR, name VARCHAR)")
        con.execute("INSERT INTO firms VALUES (?, ?)", [FIRM_ID, FIRM])
        con.execute("CREATE TABLE disbursements (firm_id VARCHAR, policy_id VARCHAR, "
                    "amount DOUBLE)")
        con.execute("INSERT INTO disbursements VALUES (?, 'Q00', 1e6)", [FIRM_ID])
    finally:
        con.close()


def evidence_bundle(folder: Path) -> Path:
    """Q00's ex-post bundle: an outcome named :data:`SCRIPT` whose HonestDiD note is
    :data:`SCRIPT` + :data:`ATTR`, the main outcome with a pre-trend test and HonestDiD, and the
    per-firm contributions (``psi``) of the planted firm (by its code, as the stage writes
    them)."""
    import pandas as pd

    from evalkit.contract.bundle import write_bundle

    main = {"simple": {"estimates": {"estimate": [1.5e5], "conf_low": [-2e4],
                                     "conf_high": [3.2e5]}},
            "pretrend": {"p_value": 0.4321, "df": 4}, "dip": {"detected": False, "p_value": 0.5},
            "honestdid": {"mbar": [0.0, 1.0], "lb": [-1e4, -3e5], "ub": [3e5, 6e5],
                          "original": [-2e4, 3.2e5], "breakdown": 0.0, "grid": [-8e5, 8e5]}}
    odd = {"simple": {"estimates": {"estimate": [1.0]}},
           "honestdid": {"note": SCRIPT + ATTR, "note_zh": SCRIPT + ATTR}}
    path = folder / "ex_post_Q00"
    write_bundle(path, stage="ex_post",
                 results={"kind": "ex_post", "policy": {"policy_id": "Q00"},
                          "main_outcome": "tax_paid", "outcomes": {"tax_paid": main, SCRIPT: odd}},
                 tables={"psi": pd.DataFrame({"firm_id": [FIRM_ID], "fiscal_return_total": [0.5]})},
                 provenance={}, created=0)
    return path


def markup_bundle(store: Path, folder: Path) -> Path:
    """A portfolio bundle (two recommendations, policies Q00 of department :data:`ATTR` and
    Q01) whose every shown text field carries :data:`SCRIPT` or :data:`ATTR`, with Q00's
    ex-post bundle (:func:`evidence_bundle`)."""
    from evalkit.contract.bundle import read_bundle
    from tests.review_cycle import make_cycle

    both = SCRIPT + ATTR
    policies = {"policy_id": ["Q00", "Q01"], "name_zh": [SCRIPT, "其他政策"],
                "name_en": [SCRIPT, "other"], "department": [ATTR, "区商务委"]}
    cards = [{"policy_id": "Q00", "rows": {
        "indicator": ["qualitative.x", "effect.y"], "zh": [SCRIPT, "效果"], "en": [SCRIPT, "effect"],
        "type": ["qualitative", "measured"], "weight": [10.0, 20.0], "share": [0.5, 0.8],
        "note": [ATTR, ""]}}]
    columns = {"action": [both, "expand"], "rationale_zh": [both, ""], "rationale_en": [both, ""],
               "evidence_flag": [both, ""], "grade": [SCRIPT, "良"], "score": [71.0, 60.0],
               "rank": [1, 2], "rank_low": [1, 1], "rank_high": [2, 2],
               "metric_estimate": [1.5, 0.5], "metric_conf_low": [0.5, -0.5],
               "metric_conf_high": [2.5, 1.5], "budget_change": [0.1, 0.0]}
    evidence = read_bundle(evidence_bundle(folder))
    provenance = {"bundles": [evidence.path.name], "bundle_manifests": [evidence.manifest_sha256]}
    return make_cycle(store, ("2026-01", "2026-02"), folder=folder,
                      results={"policies": policies, "scorecards": cards, "metric": SCRIPT,
                               "provenance": provenance},
                      columns=columns)


def _urls(values: dict) -> tuple[list[dict], list[str]]:
    """Every named pattern of the URL conf with its arguments filled from ``values`` (by
    argument name), and the routes of the unnamed ones."""
    from django.urls import URLResolver, get_resolver, reverse

    named, unnamed = [], []

    def walk(patterns, prefix: str, ns: str | None):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern),
                     ":".join(x for x in (ns, p.namespace) if x) or None)
                continue
            if not p.name:
                unnamed.append(prefix + str(p.pattern))
                continue
            name = f"{ns}:{p.name}" if ns else p.name
            args = getattr(p.pattern, "converters", None) or p.pattern.regex.groupindex
            kwargs = {a: values[(name, a)] if (name, a) in values else values[a] for a in args}
            named.append({"name": name, "url": reverse(name, kwargs=kwargs)})

    walk(get_resolver().url_patterns, "", None)
    return named, unnamed


def markup(store: Path, spec: dict) -> dict:
    """Publish the :func:`markup_bundle` cycle (not recomputed: it has no study), with a
    self-evaluation, a decision and an account group carrying the markup; return the filled
    URLs of the whole URL conf."""
    _setup(store)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    from evalkit.web import logbook
    from evalkit.web.models import SelfEvaluation
    from evalkit.web.publish import publish_cycle

    plant_firm(store)
    bundle = markup_bundle(store, Path(spec["bundle_folder"]))
    reports = Path(spec["reports"])
    (reports / "portfolio").mkdir(parents=True, exist_ok=True)
    (reports / "portfolio" / "portfolio.zh.html").write_text(
        "<!doctype html><title>report</title><p>report</p>", encoding="utf-8")
    User = get_user_model()
    row = publish_cycle(bundle, reports, User.objects.get(username=spec["evaluator"]),
                        recompute=False)
    SelfEvaluation.objects.create(cycle=row, policy_id="Q00", indicator="qualitative.x",
                                  share=10, evidence=ATTR + SCRIPT,
                                  submitted_by=User.objects.get(username=spec["department"]))
    logbook.record(logbook.cycle_of(row), "2026-01", "reject", SCRIPT + ATTR,
                   spec["reviewer"], None)
    group = Group.objects.create(name=SCRIPT)
    admin = User.objects.get(username=spec["admin"])
    values = {"pk": row.pk, "pid": "Q00", "rid": "2026-01", "rel": "portfolio/portfolio.zh.html",
              "app_label": "auth", "object_id": str(admin.pk), "id": str(admin.pk),
              "path": "css/base.css",
              "content_type_id": ContentType.objects.get_for_model(Group).pk}
    for view in ("change", "delete", "history"):
        values[(f"admin:auth_group_{view}", "object_id")] = str(group.pk)
    values[("admin:view_on_site", "object_id")] = str(group.pk)
    named, unnamed = _urls(values)
    return {"cycle": row.pk, "urls": named, "unnamed": unnamed}


def main(argv: list[str]) -> None:
    what, store = argv[0], Path(argv[1])
    spec = json.load(sys.stdin)
    out = accounts(store, spec) if what == "accounts" else markup(store, spec)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])

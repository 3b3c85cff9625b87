"""The workspace's pages. Every page needs a logged-in account; what it may see or do follows
its role (:func:`need`). Pages read the published bundles and the review log, never recompute."""

from __future__ import annotations

import math
from functools import wraps
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from evalkit.errors import EvalkitError
from evalkit.web.models import Cycle, SelfEvaluation

#: Scorecard indicators whose score an evaluator enters with evidence (not measured from data).
ENTERED = ("qualitative",)


def _logbook():
    """:mod:`evalkit.web.logbook`, imported on first use: it brings the analysis stack (pandas,
    scipy), which the login page does not need; ``evalkit serve`` imports it once listening
    (:func:`evalkit.web.server.warm`)."""
    from evalkit.web import logbook

    return logbook


def role_of(user) -> str | None:
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    return profile.role if profile is not None else None


def role_context(request) -> dict:
    """Template context: the account's role and department."""
    user = request.user
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    return {"role": profile.role if profile else None,
            "department": profile.department if profile else ""}


def need(*roles: str):
    """Login required (else a redirect to the login page); then one of ``roles`` (else 403)."""
    def wrap(view):
        @login_required
        @wraps(view)
        def inner(request, *args, **kwargs):
            if role_of(request.user) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)
        return inner
    return wrap


ALL = ("department", "evaluator", "reviewer", "auditor", "admin")


def _err(exc: EvalkitError) -> str:
    return exc.text("zh" if (get_language() or "").startswith("zh") else "en")


def _num(x, digits: int = 3) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(v) else f"{v:,.{digits}f}"


def _policies(cycle) -> dict[str, dict]:
    """Policy id -> its row of the bundle's policies (name, department, ...)."""
    pol = cycle.bundle.results.get("policies") or {}
    ids = pol.get("policy_id") or []
    return {pid: {k: v[i] for k, v in pol.items()} for i, pid in enumerate(ids)}


def _own(request, policy: dict) -> bool:
    """Whether the account may see the policy: a department only its own."""
    profile = request.user.profile
    return profile.role != "department" or policy.get("department") == profile.department


def _cycle(pk: int):
    row = get_object_or_404(Cycle, pk=pk)
    return row, _logbook().cycle_of(row)


def _own_policy(request, pk: int, pid: str):
    """The cycle, its bundle and policy ``pid``'s row; 404 when the bundle has no such policy,
    403 when the account may not see it (:func:`_own`)."""
    row, cyc = _cycle(pk)
    pol = _policies(cyc).get(pid)
    if pol is None:
        raise Http404
    if not _own(request, pol):
        raise PermissionDenied
    return row, cyc, pol


@need(*ALL)
def cycles(request):
    return render(request, "web/cycles.html", {"cycles": Cycle.objects.all()})


class PublishForm(forms.Form):
    bundle = forms.CharField(label=gettext_lazy("Portfolio bundle folder"), max_length=1024)
    reports = forms.CharField(label=gettext_lazy("Rendered reports folder"), max_length=1024,
                              required=False)


@need("evaluator")
def publish(request):
    form = PublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from evalkit.web.publish import publish_cycle
        try:
            row = publish_cycle(form.cleaned_data["bundle"], form.cleaned_data["reports"] or None,
                                request.user)
        except EvalkitError as exc:
            form.add_error(None, _err(exc))
        else:
            messages.success(request, _("Cycle %(name)s published.") % {"name": row.name})
            return redirect("cycle", pk=row.pk)
    return render(request, "web/publish.html", {"form": form})


def _reports(row: Cycle) -> list[dict]:
    """Every rendered report of the cycle: relative path, stage folder, language, format."""
    if not row.reports or not Path(row.reports).is_dir():
        return []
    root = Path(row.reports)
    out = []
    for p in sorted(root.rglob("*")):
        if p.suffix in (".html", ".pdf") and p.is_file():
            rel = p.relative_to(root).as_posix()
            out.append({"rel": rel, "folder": p.parent.name if p.parent != root else "",
                        "name": p.name})
    return out


@need(*ALL)
def cycle(request, pk: int):
    row, cyc = _cycle(pk)
    policies = _policies(cyc)
    status = _logbook().status(cyc).set_index("recommendation_id")
    zh = (get_language() or "").startswith("zh")
    rows = []
    for rec in cyc.recommendations.to_dict(orient="records"):
        pol = policies.get(rec["policy_id"], {"department": ""})
        if not _own(request, pol):
            continue
        st = status.loc[rec["recommendation_id"]]
        ranked = int(rec.get("rank") or 0) > 0
        rows.append({
            "id": rec["recommendation_id"], "policy": rec["policy_id"],
            "name": pol.get("name_zh" if zh else "name_en", ""),
            "department": pol.get("department", ""),
            "estimate": _num(rec.get("metric_estimate")),
            "ci": f"[{_num(rec.get('metric_conf_low'))}, {_num(rec.get('metric_conf_high'))}]",
            "rank": f"{rec['rank']} ({rec['rank_low']}-{rec['rank_high']})" if ranked else "—",
            "grade": rec.get("grade", ""), "score": _num(rec.get("score"), 1),
            "action": rec.get("action", ""),
            "change": _num(100 * float(rec.get("budget_change") or 0), 0) + " %",
            "change_wan": _num(float(rec.get("budget_change_amount") or 0) / 10_000, 1),
            "flag": rec.get("evidence_flag") or "",
            "rationale": rec.get("rationale_zh" if zh else "rationale_en", ""),
            "decision": st["decision"], "reviewer": st["reviewer"], "seq": st["seq"],
            "amount": st["amount_wan"], "superseded": st["superseded"],
        })
    decided = sum(1 for r in rows if r["decision"])
    return render(request, "web/cycle.html", {
        "row": row, "cycle": cyc, "rows": rows, "decided": decided, "pending": len(rows) - decided,
        "reports": _reports(row) if role_of(request.user) != "department" else [],
        "metric": cyc.bundle.results.get("metric", ""),
        "differences": _self_differences(row, cyc, request),
    })


def _scorecard(cyc, pid: str) -> list[dict]:
    for card in cyc.bundle.results.get("scorecards") or []:
        if card.get("policy_id") == pid:
            rows = card["rows"]
            return [{k: rows[k][i] for k in rows} for i in range(len(rows["indicator"]))]
    return []


def _latest_self(row: Cycle, pid: str) -> dict[str, SelfEvaluation]:
    out: dict[str, SelfEvaluation] = {}
    for s in SelfEvaluation.objects.filter(cycle=row, policy_id=pid).order_by("submitted_at",
                                                                                "id"):
        out[s.indicator] = s
    return out


#: A self-score differs from the evaluators' when the shares are this far apart (percentage points).
DIFFER_PP = 10


def _self_differences(row: Cycle, cyc, request) -> list[dict]:
    """Indicators where a department's latest self-score differs from the bundle's score."""
    out = []
    policies = _policies(cyc)
    for pid, pol in policies.items():
        if not _own(request, pol):
            continue
        mine = _latest_self(row, pid)
        for ind in _scorecard(cyc, pid):
            s = mine.get(ind["indicator"])
            if s is None or ind.get("share") is None:
                continue
            gap = float(s.share) - 100 * float(ind["share"])
            if abs(gap) >= DIFFER_PP:
                out.append({"policy": pid, "indicator": ind["indicator"],
                            "label": ind["zh"] if (get_language() or "").startswith("zh")
                            else ind["en"], "self": float(s.share),
                            "measured": 100 * float(ind["share"]), "gap": gap,
                            "evidence": s.evidence, "department": pol.get("department")})
    return out


#: The Mbar at which the policy page shows HonestDiD's robust interval: post-award violations
#: of parallel trends as large as the largest pre-award one (Rambachan & Roth 2023).
HONEST_MBAR = 1.0


def _honest(h: dict | None, zh: bool) -> dict | None:
    """What the policy page shows of an outcome's HonestDiD result in the ex-post bundle
    (:mod:`evalkit.stages.ex_post_honestdid`): the breakdown value of Mbar and the robust
    interval at :data:`HONEST_MBAR` with the usual one; an interval end at the edge of the
    search grid is shown open (the set reaches at least that far)."""
    if not h:
        return None
    if "lb" not in h:
        return {"note": h.get("note_zh" if zh else "note") or ""}
    mbar = [float(m) for m in h["mbar"]]
    edge = max(abs(float(g)) for g in h["grid"])

    def end(x, upper: bool) -> str:
        if x is None:
            return ""
        if abs(float(x)) >= edge * (1 - 1e-9):
            return ("≥ " if upper else "≤ ") + _num(x, 1)
        return _num(x, 1)
    k = mbar.index(HONEST_MBAR) if HONEST_MBAR in mbar else None
    bd = h.get("breakdown")
    return {"mbar": _num(HONEST_MBAR, 1),
            "robust": f"[{end(h['lb'][k], False)}, {end(h['ub'][k], True)}]"
            if k is not None else "",
            "original": f"[{_num(h['original'][0], 1)}, {_num(h['original'][1], 1)}]",
            "breakdown": _num(bd, 2) if bd is not None else f"> {_num(max(mbar), 1)}"}


@need(*ALL)
def policy(request, pk: int, pid: str):
    row, cyc, pol = _own_policy(request, pk, pid)
    zh = (get_language() or "").startswith("zh")
    recs = cyc.recommendations
    rec = recs[recs["policy_id"] == pid].to_dict(orient="records")
    evidence = _logbook().evidence_bundles(cyc).get(pid)
    checks = []
    if evidence is not None:
        for name, out in sorted((evidence.results.get("outcomes") or {}).items()):
            pre = out.get("pretrend") or {}
            dip = out.get("dip") or {}
            simple = ((out.get("simple") or {}).get("estimates") or {})
            honest = _honest(out.get("honestdid"), zh)
            checks.append({
                "outcome": name, "main": name == evidence.results.get("main_outcome"),
                "att": _num((simple.get("estimate") or [None])[0], 1),
                "ci": f"[{_num((simple.get('conf_low') or [None])[0], 1)}, "
                      f"{_num((simple.get('conf_high') or [None])[0], 1)}]",
                "pretrend_p": _num(pre.get("p_value")), "pretrend_df": pre.get("df"),
                "dip": dip.get("detected"), "dip_p": _num(dip.get("p_value")),
                "honest": honest,
            })
    mine = _latest_self(row, pid)
    card = [{**ind, "label": ind["zh"] if zh else ind["en"],
             "entered": ind["type"] in ENTERED, "share_pct": _num(100 * float(ind["share"]), 0)
             if ind.get("share") is not None else "",
             "self": mine.get(ind["indicator"])} for ind in _scorecard(cyc, pid)]
    return render(request, "web/policy.html", {
        "row": row, "pid": pid, "pol": pol, "name": pol.get("name_zh" if zh else "name_en"),
        "rec": rec[0] if rec else None, "checks": checks, "card": card,
        "honest_shown": any(c["honest"] and "note" not in c["honest"] for c in checks),
        "evidence": evidence, "reports": [r for r in _reports(row) if pid in r["folder"]]
        if role_of(request.user) != "department" else [],
    })


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), widget=forms.RadioSelect, choices=(
        ("accept", gettext_lazy("accept")), ("modify", gettext_lazy("modify")), ("reject", gettext_lazy("reject"))))
    amount_wan = forms.CharField(label=gettext_lazy("Adopted budget (10,000 yuan)"), required=False,
                                 max_length=32)
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        d = data.get("decision")
        if d in ("modify", "reject") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("A reason is required for modify and reject."))
        if d == "modify" and not (data.get("amount_wan") or "").strip():
            self.add_error("amount_wan", _("The adopted amount is required for modify."))
        if d != "modify" and (data.get("amount_wan") or "").strip():
            self.add_error("amount_wan", _("Only a modify decision carries an amount."))
        return data


@need("reviewer")
def decide(request, pk: int, rid: str):
    row, cyc = _cycle(pk)
    if rid not in cyc.ids:
        raise Http404
    recs = cyc.recommendations
    rec = recs[recs["recommendation_id"] == rid].to_dict(orient="records")[0]
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            entry = _logbook().record(cyc, rid, d["decision"], d["reason"],
                                   request.user.get_username(), d["amount_wan"] or None)
        except EvalkitError as exc:
            form.add_error(None, _err(exc))
        else:
            messages.success(request, _("Decision recorded as entry %(seq)s; head of the log "
                                        "%(head)s.") % {"seq": entry["seq"],
                                                        "head": entry["hash"]})
            return redirect("cycle", pk=row.pk)
    pol = _policies(cyc).get(rec["policy_id"], {})
    zh = (get_language() or "").startswith("zh")
    current = _logbook().status(cyc).set_index("recommendation_id").loc[rid]
    return render(request, "web/decide.html", {
        "row": row, "rec": rec, "form": form, "current": current,
        "name": pol.get("name_zh" if zh else "name_en", ""),
        "rationale": rec.get("rationale_zh" if zh else "rationale_en", ""),
        "change_wan": _num(float(rec.get("budget_change_amount") or 0) / 10_000, 1),
        "reports": [r for r in _reports(row) if r["folder"] in ("portfolio",
                                                               f"ex_post_{rec['policy_id']}")],
    })


@need("evaluator", "reviewer", "auditor", "admin")
def report_file(request, pk: int, rel: str):
    row = get_object_or_404(Cycle, pk=pk)
    if not row.reports:
        raise Http404
    root = Path(row.reports).resolve()
    path = (root / rel).resolve()
    if root not in path.parents or not path.is_file() or path.suffix not in (
            ".html", ".pdf", ".png", ".svg", ".css", ".js", ".woff2", ".json"):
        raise Http404
    return FileResponse(open(path, "rb"))


@need("evaluator", "reviewer", "auditor", "admin")
def verify(request):
    stores = sorted({c.store for c in Cycle.objects.all()})
    results = []
    for store in stores:
        try:
            a = _logbook().audit(store)
        except EvalkitError as exc:
            results.append({"store": store, "error": _err(exc)})
            continue
        zh = (get_language() or "").startswith("zh")
        results.append({"store": store, "audit": a,
                        "problems": [p[1] if zh else p[0] for p in a.problems],
                        "entries": _logbook().history(store).to_dict(orient="records")})
    return render(request, "web/verify.html", {"results": results})


class SelfEvaluationForm(forms.Form):
    indicator = forms.CharField(widget=forms.HiddenInput, max_length=64)
    share = forms.DecimalField(label=gettext_lazy("Self-score (% of weight)"), min_value=0,
                               max_value=100, decimal_places=2)
    evidence = forms.CharField(label=gettext_lazy("Evidence"), max_length=4000,
                               widget=forms.Textarea(attrs={"rows": 2}))


@need("department")
def self_evaluation(request, pk: int, pid: str):
    row, cyc, pol = _own_policy(request, pk, pid)
    entered = [i for i in _scorecard(cyc, pid) if i["type"] in ENTERED]
    names = {i["indicator"] for i in entered}
    mine = _latest_self(row, pid)
    zh = (get_language() or "").startswith("zh")
    if request.method == "POST":
        forms_ = [SelfEvaluationForm(request.POST, prefix=i["indicator"]) for i in entered]
        if all(f.is_valid() for f in forms_):
            for f in forms_:
                if f.cleaned_data["indicator"] not in names:
                    raise PermissionDenied
            for f in forms_:
                SelfEvaluation.objects.create(cycle=row, policy_id=pid,
                                              indicator=f.cleaned_data["indicator"],
                                              share=f.cleaned_data["share"],
                                              evidence=f.cleaned_data["evidence"],
                                              submitted_by=request.user)
            messages.success(request, _("Self-evaluation submitted."))
            return redirect("policy", pk=row.pk, pid=pid)
    else:
        forms_ = [SelfEvaluationForm(prefix=i["indicator"], initial={
            "indicator": i["indicator"],
            "share": mine[i["indicator"]].share if i["indicator"] in mine else None,
            "evidence": mine[i["indicator"]].evidence if i["indicator"] in mine else ""})
            for i in entered]
    items = [{"ind": i, "label": i["zh"] if zh else i["en"], "form": f}
             for i, f in zip(entered, forms_, strict=True)]
    return render(request, "web/self.html", {"row": row, "pid": pid, "pol": pol,
                                             "items": items})


@need("reviewer", "auditor", "evaluator")
def budget_xlsx(request, pk: int):
    from evalkit.web.exports import budget_workbook

    row, cyc = _cycle(pk)
    data = budget_workbook(row, _logbook().budget(cyc))
    resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument."
                                           "spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="budget-{row.name}.xlsx"'
    return resp


@need("reviewer", "auditor")
def decision_record(request, pk: int):
    from evalkit.web.exports import decision_record_pdf

    row, cyc = _cycle(pk)
    audit = _logbook().audit(cyc.store)
    data = decision_record_pdf(row, cyc, _logbook().budget(cyc), audit, request.user.get_username())
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="decisions-{row.name}.pdf"'
    return resp

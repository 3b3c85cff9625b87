"""Aggregations of ATT(g, t) (Callaway & Sant'Anna 2021, Section 3; R ``did::aggte``).

``simple``   post-treatment cells weighted by cohort size P(G = g);
``group``    per cohort the mean of its post-treatment cells, overall weighted by cohort size;
``dynamic``  per event time e = t - g the cohort-size-weighted mean, overall the mean over e >= 0;
``calendar`` per period t the cohort-size-weighted mean of post cells, overall the mean over t.

Influence functions combine the cell influence functions with the aggregation weights plus the
term for estimating the cohort-size weights (R ``did``'s ``wif``). That term is itself linear in
the per-cohort columns ``w_i * 1(G_i = g)``: for weights pg_k / s over kept cells k (s = sum of
their pg, P = sum pg_k att_k) it equals ``sum_g w_i 1(G_i = g) (a_g / s - c_g P / s^2)`` with a_g
the sum of att and c_g the number of kept cells of cohort g. So every aggregate is represented by
a weight matrix over cells ``Wc`` (m, K) and over cohort columns ``Wa`` (n_g, K): its influence
function is ``inf_func @ Wc + A @ Wa`` and its multiplier-bootstrap draws are the same
combination of the draws att_gt stored -- one shared bootstrap. For ``group`` the weight term
compares each unit's cohort with the list of cohorts (as csdid 0.4.3 and moderndid do; see
``tests/reference/PROVENANCE.md``).
"""

from __future__ import annotations

import math
import warnings
from statistics import NormalDist
from typing import Any

import numpy as np

import evalkit
from evalkit.conventions import RngLike, as_rng, pick, seed_of
from evalkit.did.bootstrap import (
    multiplier_draws,
    single_blas_thread,
    summarise_draws,
    sup_t_crit,
)
from evalkit.did.results import SE_FLOOR, AggteResult, ATTgtResult, se_from_inf_func
from evalkit.errors import DataWarning, DesignError, EvalkitWarning, check_choice
from evalkit.i18n import Message

__all__ = ["AGGTE_TYPES", "aggte"]

AGGTE_TYPES = ("simple", "group", "dynamic", "calendar")


def _weighted(sel: np.ndarray, pg: np.ndarray, att: np.ndarray, group: np.ndarray,
              glist: np.ndarray, m: int, estimated_weights: bool = True):
    """Weights (Wc (m,), Wa (n_g,)) of sum_k pg_k att_k / sum pg_k over cells ``sel``, with the
    cohort-share term when the pg are estimated."""
    wc = np.zeros(m)
    pk = pg[sel]
    s = pk.sum()
    wc[sel] = pk / s
    wa = np.zeros(glist.size)
    if estimated_weights:
        P = float(np.dot(pk, att[sel]))
        gi = np.searchsorted(glist, group[sel])
        a_g = np.bincount(gi, weights=att[sel], minlength=glist.size)
        c_g = np.bincount(gi, minlength=glist.size).astype(float)
        wa = a_g / s - c_g * P / s ** 2
    return wc, wa


def _aggregate_inf(inf: np.ndarray, Wfull: np.ndarray, G: np.ndarray, w: np.ndarray,
                   glist: np.ndarray, Wa: np.ndarray, chunk_rows: int = 8192) -> np.ndarray:
    """Influence functions of the aggregates, ``inf @ Wfull + A @ Wa`` (n, K), with the cohort
    columns ``A = w_i 1(G_i = g)`` (n, n_g) never formed: row i gains ``w_i Wa[g_i]`` (nothing
    for units outside glist). Computed in row chunks that stay in cache, no (n, K) temporary."""
    code = np.searchsorted(glist, G)
    inside = code < glist.size
    inside[inside] = glist[code[inside]] == G[inside]
    code[~inside] = glist.size
    padded = np.vstack([Wa, np.zeros((1, Wa.shape[1]))])
    out = np.empty((inf.shape[0], Wfull.shape[1]))
    for start in range(0, out.shape[0], chunk_rows):
        rows = slice(start, start + chunk_rows)
        np.matmul(inf[rows], Wfull, out=out[rows])
        out[rows] += w[rows, None] * padded[code[rows]]
    return out


def _entering(type: str, group: np.ndarray, time: np.ndarray, min_e: float, max_e: float,
              balance_e: int | None) -> np.ndarray:
    """(m,) True for the cells that enter some estimate of an aggregation of ``type``."""
    event = time - group
    post = group <= time
    if type in ("simple", "group"):
        return post & (event <= max_e)
    if type == "calendar":
        return post
    enters = (event >= min_e) & (event <= max_e)
    if balance_e is not None:
        tmax, tmin = time.max(), time.min()
        enters &= ((tmax - group) >= balance_e) & (event <= balance_e) \
            & (event >= balance_e - tmax + tmin)
    return enters


def _check_missing(type: str, group: np.ndarray, time: np.ndarray, finite: np.ndarray,
                   min_e: float, max_e: float, balance_e: int | None,
                   na_rm: bool | None) -> list[str]:
    """Apply the missing-cell rule (see :func:`aggte`); returns the labels of missing cells
    that are left out of an estimate they would have entered (after warning about them)."""
    enters = _entering(type, group, time, min_e, max_e, balance_e) & ~finite
    post = group <= time
    label = [f"ATT({g},{t})" for g, t in zip(group.tolist(), time.tolist(), strict=True)]
    blocking = enters if na_rm is False else (enters & post if na_rm is None else enters & False)
    if blocking.any():
        cells = ", ".join(label[k] for k in np.flatnonzero(blocking))
        raise DesignError(Message("errors.did.aggte.aggte_type_missing_estimable", type=type,
                                  cells=cells))
    dropped = [label[k] for k in np.flatnonzero(enters)]
    if dropped:
        warnings.warn(DataWarning(Message("warnings.did.aggte.aggte_type_left_out", type=type,
                                          n_dropped=len(dropped), dropped=', '.join(dropped))), stacklevel=3)
    return dropped


def aggte(result: ATTgtResult, type: str = "group", min_e: float = -math.inf,
          max_e: float = math.inf, balance_e: int | None = None, na_rm: bool | None = None,
          bstrap: bool | None = None, biters: int | None = None, cband: bool | None = None,
          alp: float | None = None, seed: int | None = None, *, alpha: float | None = None,
          rng: RngLike = None, n_draws: int | None = None) -> AggteResult:
    """Aggregate ATT(g, t) as R ``did::compute.aggte`` does (see the module docstring).

    ``min_e``/``max_e`` restrict event times (``dynamic``) and ``max_e`` the post-treatment
    cells of ``simple`` and ``group``; ``balance_e`` keeps only cohorts observed at least
    ``balance_e`` periods after treatment (``dynamic``). ``bstrap``, ``n_draws`` (R's
    ``biters``), ``cband``, ``alpha`` (R's ``alp``) default to att_gt's values.
    Bootstrap: the draws stored by att_gt are reused (same draws for cells and aggregates) when
    ``n_draws`` and ``rng`` are unchanged (``rng`` None or att_gt's int seed); otherwise new
    draws from ``rng`` (``seed`` is its deprecated alias). Shapes:
    ``inf_func_egt`` (n_units, n_keys), ``inf_func_overall`` (n_units,).

    Missing cells (ATT(g,t) that att_gt could not estimate, NaN, e.g. no unit of the cohort
    observed in both periods of an unbalanced panel): a missing cell that enters none of the
    requested estimates is ignored. One that would enter an estimate is, as with R's
    ``na.rm = TRUE``, left out of it (the estimate averages the remaining cells, its weights
    renormalised; a DataWarning lists such cells) when ``na_rm=True``; an error when
    ``na_rm=False`` (R's default); and with the default ``na_rm=None`` left out only if it is a
    pre-treatment cell (t < g: it can only enter pre-period event times of ``dynamic``, never
    an overall effect), an error if it is a post-treatment cell.
    """
    check_choice("type", type, AGGTE_TYPES)
    alp = pick("alpha", alpha, None, alp=alp)
    biters = pick("n_draws", n_draws, None, biters=biters)
    rng = as_rng(rng, seed)
    seed = seed_of(rng)
    opts = result.options
    bstrap = opts.get("bstrap", False) if bstrap is None else bstrap
    biters = opts.get("biters", 999) if biters is None else int(biters)
    cband = opts.get("cband", False) if cband is None else cband
    alp = result.alp if alp is None else alp
    reuse = (result.boot_draws is not None and biters == opts.get("biters")
             and (rng is None or seed == opts.get("seed")))
    if rng is None:
        rng = seed = opts.get("seed")

    group, time, att, inf = result.group, result.time, result.att, result.inf_func
    glist = np.unique(group)
    tmax, tmin = time.max(), time.min()
    keep_cells = np.isfinite(att)
    dropped: list[str] = []
    if not keep_cells.all():
        dropped = _check_missing(type, group, time, keep_cells, min_e, max_e, balance_e, na_rm)
    cell_index = np.flatnonzero(keep_cells)
    group, time, att = group[keep_cells], time[keep_cells], att[keep_cells]
    m = att.size
    G, w, n = result.unit_group, result.unit_weights, result.n_units
    pgg = np.array([np.mean(w * (g == G)) for g in glist])
    pg = pgg[np.searchsorted(glist, group)]
    event = time - group
    post = group <= time

    keys: list[int] = []
    wcs: list[np.ndarray] = []
    was: list[np.ndarray] = []
    if type == "simple":
        wc, wa = _weighted(np.flatnonzero(post & (event <= max_e)), pg, att, group, glist, m)
        overall_wc, overall_wa = wc, wa
    elif type == "group":
        for g in glist:
            sel = np.flatnonzero((group == g) & post & (event <= max_e))
            if sel.size:
                wc, wa = _weighted(sel, pg, att, group, glist, m, estimated_weights=False)
                keys.append(int(g))
                wcs.append(wc)
                was.append(wa)
        if not keys:
            raise DesignError(Message("errors.did.aggte.post_treatment_cell_within"))
        Wc = np.column_stack(wcs)
        theta = att @ Wc
        gk = np.array(keys)
        pk = pgg[np.searchsorted(glist, gk)]
        # overall = sum_g pgg_g theta_g / sum pgg, weights estimated over the list of cohorts.
        overall_wc = Wc @ (pk / pk.sum())
        P = float(np.dot(pk, theta))
        overall_wa = np.zeros(glist.size)
        overall_wa[np.searchsorted(glist, gk)] = theta / pk.sum() - P / pk.sum() ** 2
    else:
        if type == "dynamic":
            eseq = np.unique(event)
            include = np.ones(m, dtype=bool)
            if balance_e is not None:
                eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - tmax + tmin)]
                include = (tmax - group) >= balance_e
            eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
            selections = [(int(e), np.flatnonzero((event == e) & include)) for e in eseq]
        else:
            selections = [(int(t1), np.flatnonzero((time == t1) & post))
                          for t1 in np.unique(time[time >= group.min()])]
        for key, sel in selections:
            if sel.size:
                wc, wa = _weighted(sel, pg, att, group, glist, m)
                keys.append(key)
                wcs.append(wc)
                was.append(wa)
        use = np.array(keys) >= 0 if type == "dynamic" else np.ones(len(keys), dtype=bool)
        if not use.any():
            raise DesignError(Message("errors.did.aggte.post_treatment_event_time"))
        overall_wc = np.column_stack(wcs)[:, use].mean(axis=1)
        overall_wa = np.column_stack(was)[:, use].mean(axis=1)

    Wc = np.column_stack([*wcs, overall_wc])          # (m, K + 1), last column overall
    Wa = np.column_stack([*was, overall_wa])          # (n_g, K + 1)
    est = att @ Wc
    Wfull = np.zeros((inf.shape[1], Wc.shape[1]))     # weights over all cells, 0 if dropped
    Wfull[cell_index] = Wc
    with single_blas_thread():
        everything = _aggregate_inf(inf, Wfull, G, w, glist, Wa)      # (n, K + 1)
    se_all = se_from_inf_func(everything, result.cluster)
    z = NormalDist().inv_cdf(1 - alp / 2)
    crit = z
    k = len(keys)
    if bstrap or (cband and k):
        if reuse:
            d = result.boot_draws
            bres = d[:, cell_index] @ Wc + d[:, inf.shape[1]:] @ Wa
            n_c = n if result.cluster is None else int(result.cluster.max()) + 1
        else:
            bres, n_c = multiplier_draws(everything, np.random.default_rng(rng), biters,
                                         result.cluster, opts.get("bootstrap_weights", "mammen"))
        boot = summarise_draws(bres, n, n_c, alp)
        if bstrap:
            se_all = boot.se
        if cband and k:
            sub = sup_t_crit(bres[:, :k], alp)
            if not np.isfinite(sub) or sub < z:
                warnings.warn(EvalkitWarning(Message("warnings.did.aggte.simultaneous_critical_value_finite")),
                    stacklevel=2)
            else:
                crit = sub
    se_all = np.where(se_all <= SE_FLOOR, np.nan, se_all)

    options: dict[str, Any] = {
        "type": type, "min_e": min_e, "max_e": max_e, "balance_e": balance_e, "na_rm": na_rm,
        "bstrap": bool(bstrap), "biters": int(biters), "cband": bool(cband), "alp": alp,
        "seed": seed, "cells_left_out": dropped, "reused_att_gt_draws": bool(reuse and (bstrap or (cband and k))),
        "att_gt": opts,
    }
    provenance = {
        "estimator": "Callaway & Sant'Anna (2021) aggte",
        "evalkit_version": evalkit.__version__,
        "options": options,
        "n_units": n,
        "seed": seed,
    }
    return AggteResult(
        type=type, overall_att=float(est[-1]), overall_se=float(se_all[-1]),
        inf_func_overall=everything[:, -1], egt=np.array(keys, dtype=np.int64),
        att_egt=est[:-1], se_egt=se_all[:-1], inf_func_egt=everything[:, :-1],
        crit_val_egt=float(crit), unit_ids=result.unit_ids, alp=alp, n_units=n,
        options=options, provenance=provenance)

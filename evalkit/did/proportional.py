"""ATT(g, t) in levels under proportional parallel trends (multiplicative untreated growth).

Firm outcomes such as tax paid or revenue are non-negative and heavy-tailed: a few large firms
carry most of the level, so a difference-in-differences in yuan is dominated by their
idiosyncratic shocks (one firm's 10 % swing outweighs a hundred small firms). When untreated
outcomes grow multiplicatively, parallel trends hold in logs, and the log-scale Callaway &
Sant'Anna (2021) estimator weights firms equally, which is far more precise.

Estimator (Chen & Roth 2024, "Logs with zeros? Some problems and solutions", QJE: report the
effect as a share of the counterfactual level; Wooldridge 2023 for the multiplicative model):

1. theta(g, t): the ATT(g, t) of :func:`evalkit.did.att_gt` on ``log(y)`` (its estimators,
   covariates, control group and base period), the average proportional effect in log points
   among cohort g's firms;
2. the level effect of cohort g in year t, in the outcome's unit::

       ATT_level(g, t) = m(g, t) * (1 - exp(-theta(g, t)))

   with m(g, t) the mean observed (treated) outcome of cohort g in year t: the observed level
   minus the counterfactual level exp(-theta) m(g, t) implied by the proportional effect;
3. its influence function by the delta method::

       IF_level = (1 - exp(-theta)) IF_m + m exp(-theta) IF_theta,
       IF_m,i = (y_it - m(g, t)) n / n(g, t)   for the firms of cohort g observed in t.

The mapping is exact when the proportional effect is common to the cohort's firms; when it
varies with firm size the level effect is weighted towards large firms, which an equal-weighted
theta does not see. ``strata`` (e.g. a size-class column fixed before treatment) estimates
theta per stratum within each cohort and maps each stratum with its own level, so such
heterogeneity is carried into the level effect.

The outcome must be strictly positive in every firm-year used (logs); outcomes with zeros need a
level or a Poisson design (:mod:`evalkit.did.etwfe` where available).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from statistics import NormalDist

import numpy as np
import pandas as pd

from evalkit.conventions import RngLike, as_rng, pick, seed_of
from evalkit.did.att_gt import att_gt
from evalkit.did.bootstrap import multiplier_draws, summarise_draws
from evalkit.did.results import ATTgtResult, se_from_inf_func
from evalkit.errors import DesignError, check_choice
from evalkit.i18n import Message

__all__ = ["att_gt_proportional", "positive_share"]

_LOG = "__log_outcome"
#: how post-treatment log effects are pooled before the mapping to levels (see att_gt_proportional)
POOLS = ("post", "event", "none")


def positive_share(values: pd.Series) -> float:
    """Share of non-missing values that are strictly positive (logs defined)."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float((v > 0).mean()) if len(v) else 0.0


def att_gt_proportional(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
                        covariates: Sequence[str] = (), *, strata: str | None = None,
                        pool: str = "post",
                        bstrap: bool = False, biters: int | None = None, cband: bool = False,
                        alp: float | None = None, seed: int | None = None,
                        bootstrap_weights: str = "mammen", alpha: float | None = None,
                        rng: RngLike = None, n_draws: int | None = None,
                        **kwargs) -> ATTgtResult:
    """ATT(g, t) in the outcome's level under proportional parallel trends (module doc).

    Arguments as :func:`evalkit.did.att_gt` (``kwargs`` pass ``control_group``,
    ``est_method``, ``anticipation``, ``base_period``, ``clustervars``,
    ``allow_unbalanced_panel``); ``strata`` names a time-invariant column of ``data`` within
    which theta is estimated separately for each cohort (every stratum keeps all comparison
    firms). ``pool``: the post-treatment log effects mapped to levels are pooled over all post
    cells (``post``, most precise), over the cells of one event time (``event``) or not at all
    (``none``); pre-treatment cells are never pooled. Returns an :class:`ATTgtResult` whose
    cells, influence functions, standard errors and bands are on the level scale, so
    :func:`evalkit.did.aggte` and :func:`evalkit.fiscal.effects.total_effect` apply unchanged;
    ``provenance["log_scale"]`` keeps the log-point cells (after pooling) and their standard
    errors (before pooling).
    """
    alp = pick("alpha", alpha, 0.05, alp=alp)
    biters = int(pick("n_draws", n_draws, 999, biters=biters))
    rng = as_rng(rng, seed)
    check_choice("pool", pool, POOLS)
    if kwargs.get("weights"):
        raise DesignError(Message("errors.did.proportional.sampling_weights_supported_proportional"))
    y = pd.to_numeric(data[yname], errors="coerce")
    bad = y.notna() & (y <= 0)
    if bad.any():
        raise DesignError(Message("errors.did.proportional.firm_years_proportional_scale",
                                  yname=yname, sum_bad=int(bad.sum())))
    frame = data.copy()
    frame[_LOG] = np.log(y.where(y > 0))
    common = dict(bstrap=False, cband=False, alpha=alp, rng=seed_of(rng), **kwargs)
    if strata is None:
        parts = [(None, att_gt(frame, _LOG, tname, idname, gname, covariates, **common))]
    else:
        parts = []
        for s in sorted(frame.loc[frame[gname] > 0, strata].dropna().unique().tolist()):
            sub = frame[(frame[gname] == 0) | (frame[strata] == s)]
            if (sub[gname] > 0).sum() == 0:
                continue
            parts.append((s, att_gt(sub, _LOG, tname, idname, gname, covariates, **common)))
    parts = [(s, _pooled(p, pool)) for s, p in parts]
    return _to_levels(frame, yname, tname, idname, gname, parts, strata, bstrap, biters, cband,
                      alp, rng, bootstrap_weights, pool)


def _pooled(p: ATTgtResult, pool: str) -> ATTgtResult:
    """The part with each post-treatment cell's theta (and influence function) replaced by the
    firm-weighted mean of the post cells it is pooled with: all post cells (``post``), the post
    cells of the same event time (``event``), or none (``none``). Pre-treatment cells keep their
    own theta (the pre-trend test reads them)."""
    if pool == "none":
        return p
    att, inf = p.att.copy(), p.inf_func.copy()
    ok = np.isfinite(p.att)
    sizes = np.array([(p.unit_group == g).sum() for g in p.group], dtype=float)
    key = np.where(p.post, 0 if pool == "post" else p.event, -1)
    for k in np.unique(key[p.post & ok]):
        sel = p.post & ok & (key == k)
        w = sizes[sel] / sizes[sel].sum()
        att[sel] = float(np.dot(w, p.att[sel]))
        inf[:, sel] = (p.inf_func[:, sel] @ w)[:, None]
    return replace(p, att=att, inf_func=inf)


def _to_levels(frame, yname, tname, idname, gname, parts, strata, bstrap, biters, cband, alp,
               rng, bootstrap_weights, pool) -> ATTgtResult:
    """Map each part's log-scale cells to levels and sum the strata of each (g, t) cell."""
    base = parts[0][1]
    ids_all = pd.Index(pd.unique(np.concatenate([p.unit_ids for _, p in parts])))
    ids_all = ids_all.sort_values()
    n = ids_all.size
    cells = sorted({(int(g), int(t)) for _, p in parts
                    for g, t in zip(p.group.tolist(), p.time.tolist(), strict=True)})
    pos = {c: k for k, c in enumerate(cells)}
    m = len(cells)
    att = np.zeros(m)
    inf = np.zeros((n, m))
    valid = np.ones(m, dtype=bool)
    wide = frame.pivot_table(index=idname, columns=tname, values=yname, aggfunc="first")
    wide = wide.reindex(ids_all)
    unit_g = (frame.drop_duplicates(idname).set_index(idname)[gname].reindex(ids_all)
              .to_numpy())
    observed = wide.notna()
    n_seen = {(g, t): int(observed.loc[unit_g == g, t].sum()) if t in observed.columns else 0
              for g, t in cells}
    log_rows = []
    for s, p in parts:
        rows = ids_all.get_indexer(p.unit_ids)
        for k in range(p.att.size):
            g, t = int(p.group[k]), int(p.time[k])
            theta = float(p.att[k])
            j = pos[(g, t)]
            members = np.flatnonzero(p.unit_group == g)
            yt = wide.loc[p.unit_ids[members], t].to_numpy(dtype=float) if t in wide.columns \
                else np.full(members.size, np.nan)
            seen = np.isfinite(yt)
            log_rows.append({"stratum": s, "group": g, "time": t, "theta": theta,
                             "se": float(p.se[k]), "n": int(seen.sum())})
            if not np.isfinite(theta) or not seen.any():
                valid[j] = False
                continue
            mean = float(yt[seen].mean())
            shrink = np.exp(-theta)
            # the stratum's share of the cohort's firms observed in t (1 without strata)
            share = seen.sum() / n_seen[(g, t)]
            att[j] += share * mean * (1.0 - shrink)
            # IF of the level mean, in the n-unit normalisation of the whole result
            f = np.zeros(n)
            f[rows[members[seen]]] = (yt[seen] - mean) * n / seen.sum()
            # the part's own IF is normalised by its n_units: rescale to n
            f_theta = np.zeros(n)
            f_theta[rows] = p.inf_func[:, k] * (n / p.n_units)
            inf[:, j] += share * ((1.0 - shrink) * f + mean * shrink * f_theta)
    att[~valid] = np.nan
    inf[:, ~valid] = 0.0
    cluster = None
    if base.cluster is not None and strata is None:
        cluster = np.zeros(n, dtype=base.cluster.dtype)
        cluster[ids_all.get_indexer(base.unit_ids)] = base.cluster
    se = se_from_inf_func(inf, cluster)
    se[~valid] = np.nan
    crit = NormalDist().inv_cdf(1 - alp / 2)
    if bstrap or cband:
        draws, n_c = multiplier_draws(inf, np.random.default_rng(rng), biters, cluster,
                                      bootstrap_weights)
        boot = summarise_draws(draws, n, n_c, alp)
        if bstrap:
            se = np.where(valid, boot.se, np.nan)
        if cband and np.isfinite(boot.crit_val):
            crit = max(crit, boot.crit_val)
    group = np.array([c[0] for c in cells], dtype=np.int64)
    time = np.array([c[1] for c in cells], dtype=np.int64)
    options = {**base.options, "yname": yname, "bstrap": bool(bstrap), "biters": int(biters),
               "cband": bool(cband), "scale": "proportional", "strata": strata, "pool": pool,
               "bootstrap_weights": bootstrap_weights}
    provenance = {**base.provenance,
                  "estimator": "Callaway & Sant'Anna (2021) att_gt on log(y), mapped to levels "
                               "(evalkit.did.proportional; Chen & Roth 2024)",
                  "options": options, "log_scale": log_rows}
    return replace(base, group=group, time=time, att=att, se=se, inf_func=inf,
                   unit_ids=ids_all.to_numpy(), unit_group=unit_g.astype(np.int64),
                   unit_weights=np.ones(n), cluster=cluster, crit_val=crit, n_units=n,
                   options=options, provenance=provenance, boot_draws=None)

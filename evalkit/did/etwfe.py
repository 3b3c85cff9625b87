"""Poisson QMLE extended two-way fixed effects (ETWFE) for non-negative, skewed outcomes.

Wooldridge, J. M. (2023), "Simple approaches to nonlinear difference-in-differences with panel
data", The Econometrics Journal 26(3), C31-C66; implemented as R ``etwfe`` (McDermott,
github.com/grantmcdermott/etwfe, ``etwfe(..., family = "poisson")`` then ``emfx()``).

Model (the pooled-QMLE form, which for the Poisson case equals fixed-effects Poisson with unit
effects on a balanced panel, Wooldridge 2023 Section 5)::

    E[y_it | g, t, x_i] = exp( a + a_g + b_t + sum_{(h, s) cells} D_it(h, s) (delta_hs + x_dm_i' gamma_hs)
                                + x_i' (c + c_g + c_t) )

with cohort dummies a_g (reference: the never treated, or without them the last cohort, as R
``etwfe``'s ``gref``), year dummies b_t (reference: the first period, ``tref``), one treatment
dummy D_it(h, s) = 1(g_i = h, t = s) per treated cell and, for time-invariant covariates x_i,
the covariate, its interactions with cohort and year dummies, and the cell dummies interacted
with ``x_dm`` = x demeaned within cohort (R ``etwfe``'s ``ctrls``). Cells: with
``control_group="notyettreated"`` (R ``cgroup = "notyet"``) every post-treatment cell t >= g;
with ``"nevertreated"`` (``cgroup = "never"``) every cell of a treated cohort except its
reference year t = g - 1, so the pre-treatment cells are placebo effects (an event study).

ATT(g, t) on the outcome's level scale is the average partial effect over the firms of cohort g
observed in year t (R ``emfx``: ``marginaleffects::slopes(variables = ".Dtreat")``, the
contrast of the prediction with the treatment dummies on and off)::

    ATT(g, t) = mean_{i in g} [ exp(xb_it) - exp(xb_it - delta_gt - x_dm_i' gamma_gt) ]

and the proportional effect of the cell is ``exp(delta_gt) - 1``.

Inference: the per-firm influence function of every cell (R ``did`` convention, ``se =
sqrt(sum_c (sum_{i in c} IF_i)^2) / n``, firms as clusters unless ``cluster`` names a coarser
column) is ``n [G_gt' H^-1 s_i + 1(i in g, t) (m_it - ATT(g,t)) / N_gt]``: the delta method
through the QMLE (H the Hessian, s_i firm i's score summed over its years) plus the sampling
variation of the average over the cohort's firms (zero without covariates). So the result is an
:class:`~evalkit.did.results.ATTgtResult` that :func:`~evalkit.did.aggte.aggte`,
:meth:`evalkit.fiscal.linear.LinearEstimate.from_did` and
:func:`evalkit.fiscal.effects.total_effect` use unchanged. R ``etwfe`` reports fixest's
clustered standard errors, which treat the averaging sample as fixed (no second term) and
multiply the variance by ``G / (G - 1) * (N - 1) / (N - K)`` (G clusters, N rows, K
coefficients); :attr:`ETWFEResult.vcov` and :attr:`ETWFEResult.inf_func_param` give those
pieces (see ``tests/reference/PROVENANCE.md``). aggte's aggregations weight cells by estimated
cohort shares and include that estimation in their influence functions, as for Callaway &
Sant'Anna; R ``emfx`` treats the weights as fixed.

Zeros (zero-heavy outcomes, small cohorts), following fixest and Correia, Guimaraes & Zylkin
(2021, "Verifying the existence of maximum likelihood estimates for generalized linear models"):
firm-years whose outcome is 0 and that a regressor singles out (separation: all-zero cells,
cohort x covariate groups without a positive outcome) have fitted means that go to 0; they
leave the fit, their effect is 0 (or minus the counterfactual when the firm's untreated years
remain in the fit, e.g. a cell whose outcome is zero for every firm: exp(delta) - 1 = -1), and
they count in the cell sizes. A treated cohort whose outcome is 0 in every year has zero effects
(no influence function). Regressors that are zero or collinear on the rows used are dropped, as
fixest does (``provenance["dropped_collinear"]``). A cohort that is 0 before treatment but
positive after it has no proportional effect: an error says to use the level design.

Computation: the index is linear in ``[1, x_i]`` within each (cohort, year) cell, so scores and
Hessians are built from per-cell sums (``n T q^2`` work per Newton step, q = 1 + covariates)
and mapped to the coefficients by a (cohorts, years, q, p) selection array: no (rows x p)
design matrix is formed. Newton-Raphson with step halving on the (concave) quasi-likelihood,
outcomes divided by their mean for conditioning; convergence is checked.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from scipy.linalg import solve_triangular

import evalkit
from evalkit.conventions import pick
from evalkit.did.bootstrap import single_blas_thread
from evalkit.did.drdid import _solve_sym
from evalkit.did.pre_process import CONTROL_GROUPS, PivotedPanel
from evalkit.did.results import ATTgtResult, se_from_inf_func
from evalkit.errors import DataError, DataWarning, DesignError, EvalkitError, check_choice
from evalkit.results import json_safe

__all__ = ["FAMILIES", "ETWFEResult", "etwfe"]

FAMILIES = ("poisson",)
_SE_FLOOR = np.sqrt(np.finfo(float).eps) * 10
_SEPARATION_ROUNDS = 6


@dataclass(frozen=True, eq=False, repr=False)
class ETWFEResult(ATTgtResult):
    """:class:`~evalkit.did.results.ATTgtResult` of a Poisson ETWFE fit, with the model's extras.

    ``att``/``se``/``inf_func`` are the level-scale ATT(g, t). Extras, per cell (m,):
    ``proportional`` exp(delta_gt) - 1 with ``proportional_se`` and influence functions
    ``proportional_inf_func`` (n, m); ``counterfactual`` the mean untreated outcome the model
    predicts for the cell's firms (so att / counterfactual is the effect relative to the level);
    ``cell_size`` firms in the cell. Model: ``coef`` (named as R etwfe names them, intercept on
    the outcome's scale), ``vcov`` (p, p) = sum over clusters of the summed per-firm
    contributions ``inf_func_param / n`` (no small-sample factor), ``inf_func_param`` (n, p) the
    coefficients' influence functions, ``jacobian`` (p, m) the derivatives of the cells' ATT
    with respect to ``coef`` (so ``jacobian.T @ vcov @ jacobian`` is the covariance of the cells
    conditional on the firms averaged over, R etwfe's delta method), ``n_obs`` rows used,
    ``iterations`` Newton steps.
    """

    proportional: np.ndarray = field(default_factory=lambda: np.zeros(0))
    proportional_se: np.ndarray = field(default_factory=lambda: np.zeros(0))
    proportional_inf_func: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    counterfactual: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cell_size: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    coef: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    vcov: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    jacobian: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    inf_func_param: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    n_obs: int = 0
    iterations: int = 0

    def tidy(self) -> pd.DataFrame:
        """:meth:`ATTgtResult.tidy` plus ``proportional``, ``proportional_se``,
        ``counterfactual`` and ``n_firms`` per cell."""
        out = super().tidy()
        out["proportional"] = self.proportional
        out["proportional_se"] = self.proportional_se
        out["counterfactual"] = self.counterfactual
        out["n_firms"] = self.cell_size
        return out

    def summary(self) -> str:
        lines = [
            "Poisson QMLE extended TWFE (Wooldridge 2023; R etwfe family = 'poisson')",
            f"  control group: {self.options.get('control_group')}, units: {self.n_units}, "
            f"rows: {self.n_obs}, Newton steps: {self.iterations}",
            f"  {'group':>6} {'time':>6} {'ATT':>12} {'SE':>12} {'exp(d)-1':>9} {'SE':>8}",
        ]
        for r in self.tidy().itertuples():
            lines.append(f"  {r.group:>6} {r.time:>6} {r.estimate:>12.4f} {r.std_error:>12.4f}"
                         f" {r.proportional:>9.4f} {r.proportional_se:>8.4f}")
        return "\n".join(lines)

    def to_dict(self, include_inf_func: bool = False) -> dict[str, Any]:
        out = super().to_dict(include_inf_func)
        out["kind"] = "etwfe"
        out["coef"] = json_safe(self.coef.to_dict())
        return out


# --------------------------------------------------------------------------------------------
# The design: a (cohorts, periods, q, p) map from coefficients to each cell's index on [1, x]
# --------------------------------------------------------------------------------------------

class _Design:
    """Coefficient layout and the selection arrays ``L`` (C, T, q, p) (full index) and ``LD``
    (C, T, q, p) (treatment part only) with index_it = Z_it' L[c_i, t] beta."""

    def __init__(self, cohorts: np.ndarray, ref: int, tlist: np.ndarray, cells: list,
                 cov_names: list[str], means: np.ndarray, gname: str, tname: str):
        C, T, k = cohorts.size, tlist.size, len(cov_names)
        q = 1 + k
        names: list[str] = ["(Intercept)"]
        cidx = {c: len(names) + j for j, c in enumerate(c for c in range(C) if c != ref)}
        names += [f"{gname}::{cohorts[c]}" for c in cidx]
        tidx = {s: len(names) + j for j, s in enumerate(range(1, T))}
        names += [f"{tname}::{tlist[s]}" for s in tidx]
        didx = {cell: len(names) + j for j, cell in enumerate(cells)}
        names += [f".Dtreat:{gname}::{cohorts[c]}:{tname}::{tlist[s]}" for c, s in cells]
        xmain, xc, xt, xd = [], [], [], []
        for x in cov_names:
            xmain.append(len(names))
            names.append(x)
            xc.append({c: len(names) + j for j, c in enumerate(cidx)})
            names += [f"{gname}::{cohorts[c]}:{x}" for c in cidx]
            xt.append({s: len(names) + j for j, s in enumerate(tidx)})
            names += [f"{tname}::{tlist[s]}:{x}" for s in tidx]
            xd.append({cell: len(names) + j for j, cell in enumerate(cells)})
            names += [f".Dtreat:{gname}::{cohorts[c]}:{tname}::{tlist[s]}:{x}_dm"
                      for c, s in cells]
        p = len(names)
        L = np.zeros((C, T, q, p))
        LD = np.zeros((C, T, q, p))
        L[:, :, 0, 0] = 1.0
        for c, j in cidx.items():
            L[c, :, 0, j] = 1.0
        for s, j in tidx.items():
            L[:, s, 0, j] = 1.0
        for cell, j in didx.items():
            LD[cell[0], cell[1], 0, j] = 1.0
        for v in range(k):
            L[:, :, 1 + v, xmain[v]] = 1.0
            for c, j in xc[v].items():
                L[c, :, 1 + v, j] = 1.0
            for s, j in xt[v].items():
                L[:, s, 1 + v, j] = 1.0
            for (c, s), j in xd[v].items():
                # x_dm gamma = x gamma - mean_c(x) gamma
                LD[c, s, 1 + v, j] = 1.0
                LD[c, s, 0, j] = -means[c, v]
        L += LD
        self.names, self.p, self.q = names, p, q
        self.L, self.LD = L, LD
        self.delta_index = np.array([didx[cell] for cell in cells], dtype=np.int64)
        self.dropped: list[str] = []

    def restrict(self, keep: np.ndarray, no_delta: list[int]) -> None:
        """Keep only the coefficients ``keep`` (boolean (p,)). Cells ``no_delta`` (positions)
        may lose their dummy (no row in the fit); every other cell keeps it. A dropped cell's
        ``delta_index`` becomes -1."""
        lost = ~keep[self.delta_index]
        lost[no_delta] = False
        if lost.any():
            raise DesignError("a treatment cell's dummy is collinear with the cohort and year "
                              "dummies",
                              zh="某处理单元的虚拟变量与批次、年份虚拟变量共线")
        self.dropped = [nm for nm, k in zip(self.names, keep, strict=True) if not k]
        new_pos = np.cumsum(keep) - 1
        self.delta_index = np.where(keep[self.delta_index], new_pos[self.delta_index], -1)
        self.names = [nm for nm, k in zip(self.names, keep, strict=True) if k]
        self.L, self.LD = self.L[..., keep], self.LD[..., keep]
        self.p = int(keep.sum())


def _independent_columns(gram: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """(p,) True for a maximal set of linearly independent regressors, chosen in order (an
    incremental Cholesky factorisation of the Jacobi-scaled Gram matrix): a regressor that is
    zero on every row used, or a combination of earlier ones, is left out, as fixest removes
    collinear variables (e.g. a covariate x cohort interaction where the cohort's firms all
    share one value)."""
    d = np.diag(gram).copy()
    p = d.size
    keep = np.zeros(p, dtype=bool)
    scale = np.where(d > 0, 1.0 / np.sqrt(np.where(d > 0, d, 1.0)), 0.0)
    A = gram * scale[:, None] * scale[None, :]
    R = np.zeros((p, p))                 # upper Cholesky factor of the kept block, R'R = A_KK
    kept: list[int] = []
    for j in range(p):
        if d[j] <= 0:
            continue
        if kept:
            r = solve_triangular(R[:len(kept), :len(kept)], A[kept, j], trans="T")
            resid = A[j, j] - r @ r
        else:
            r, resid = np.zeros(0), A[j, j]
        if resid > tol:
            k = len(kept)
            R[:k, k] = r
            R[k, k] = np.sqrt(resid)
            kept.append(j)
            keep[j] = True
    return keep


def _cohort_blocks(panel: PivotedPanel, cohorts: np.ndarray):
    """Per cohort code c: (member rows, Y (n_c, T) with 0 where unobserved, observed mask,
    Z (n_c, T, q) view), one tuple per cohort in ``cohorts`` order."""
    code = np.searchsorted(cohorts, panel.G)
    blocks = []
    for c in range(cohorts.size):
        rows = np.flatnonzero(code == c)
        obs = np.asarray(panel.observed[rows], dtype=bool)
        Y = np.where(obs, panel.Y[rows], 0.0)
        if panel.X.shape[0] == 1:
            Z = np.broadcast_to(panel.X[0][rows][:, None, :], (rows.size, obs.shape[1],
                                                                panel.X.shape[2]))
        else:
            Z = np.transpose(panel.X[:, rows], (1, 0, 2))
        blocks.append((rows, Y, obs, Z))
    return blocks


def _index(block, Lc: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """(n_c, T) linear index of one cohort's rows."""
    _rows, _Y, _obs, Z = block
    theta = Lc @ beta                                               # (T, q)
    return np.einsum("itq,tq->it", Z, theta)


def _objective(blocks, L, beta) -> float:
    """Poisson quasi-log-likelihood sum(y eta - exp(eta)) over observed rows."""
    total = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for c, b in enumerate(blocks):
            eta = _index(b, L[c], beta)
            total += float(np.sum(np.where(b[2], b[1] * eta - np.exp(eta), 0.0)))
    return total if np.isfinite(total) else -np.inf


def _score_hessian(blocks, L, beta):
    """Gradient (p,) and Hessian sum mu x x' (p, p) of the quasi-log-likelihood."""
    C, T, q, p = L.shape
    S = np.zeros((C, T, q))
    Hc = np.zeros((C, T, q, q))
    for c, b in enumerate(blocks):
        _rows, Y, obs, Z = b
        mu = np.where(obs, np.exp(_index(b, L[c], beta)), 0.0)
        S[c] = np.einsum("it,itq->tq", Y - mu, Z)
        Hc[c] = np.einsum("it,itq,itr->tqr", mu, Z, Z)
    Lf = L.reshape(C * T * q, p)
    grad = Lf.T @ S.reshape(-1)
    HL = np.einsum("ctqr,ctrp->ctqp", Hc, L).reshape(C * T * q, p)
    return grad, Lf.T @ HL


def _newton(blocks, L, p: int, tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """Maximise the concave quasi-log-likelihood by Newton-Raphson with step halving."""
    beta = np.zeros(p)                          # outcomes are scaled to mean 1: log(1) = 0
    ll = _objective(blocks, L, beta)
    for it in range(1, max_iter + 1):
        grad, H = _score_hessian(blocks, L, beta)
        step = _solve_sym(H, grad, "poisson-qmle")
        decrement = float(grad @ step)          # Newton decrement^2 ~ 2 (ll_max - ll)
        if decrement <= tol * (abs(ll) + 1.0):
            return beta + step, it              # the last, tiny step: quadratic accuracy
        a = 1.0
        for _ in range(40):
            new = beta + a * step
            ll_new = _objective(blocks, L, new)
            if ll_new >= ll - 1e-12 * (abs(ll) + 1.0):
                break
            a /= 2
        else:
            break
        beta, ll = new, ll_new
    raise EvalkitError(
        f"the Poisson QMLE did not converge in {max_iter} Newton steps; the fit may not exist "
        "(e.g. a cell, cohort or year whose outcome is zero for every firm, or a covariate "
        "that separates zeros from positive outcomes): drop or recode such covariates",
        zh=f"泊松准极大似然估计在 {max_iter} 步牛顿迭代内未收敛；估计值可能不存在"
           "（例如某单元、批次或年份的结果变量对所有企业均为 0，或某协变量将零值与正值完全分开）："
           "请删除或重新编码此类协变量")


def _separated_rows(blocks, L, beta, floor: float = 1e-9) -> list[np.ndarray]:
    """Per cohort block, the fitted rows whose mean was driven towards 0 (outcomes scaled to
    mean 1) while their outcome is 0: the quasi-likelihood has no finite maximum there
    (separation; Santos Silva & Tenreyro 2010; Correia, Guimaraes & Zylkin 2021 drop such
    rows, as fixest does)."""
    out = []
    for c, b in enumerate(blocks):
        with np.errstate(over="ignore"):
            mu = np.exp(_index(b, L[c], beta))
        out.append(b[2] & (mu < floor) & (b[1] == 0))
    return out


def _nonnegative_separation(blocks, L) -> list[np.ndarray]:
    """Rows separated by a non-negative regressor (a dummy or a dummy times a non-negative
    covariate, such as a cohort x cluster interaction): when the regressor's rows all have a
    zero outcome its coefficient diverges to -inf and their fitted means to 0. This is the
    simple rule of Correia, Guimaraes & Zylkin (2021, Section 4.1), applied until no regressor
    is left with that pattern; :func:`_separated_rows` catches the remaining cases after a fit."""
    C, T, q, _p = L.shape
    out = [np.zeros_like(b[2]) for b in blocks]
    while True:
        zmin = np.full((C, T, q), np.inf)
        sxy = np.zeros((C, T, q))
        sx = np.zeros((C, T, q))
        for c, (_r, Y, obs, Z) in enumerate(blocks):
            live = obs & ~out[c]
            for t in np.flatnonzero(live.any(axis=0)):
                Zt = Z[live[:, t], t]
                zmin[c, t] = Zt.min(axis=0)
                sx[c, t] = Zt.sum(axis=0)
                sxy[c, t] = Y[live[:, t], t] @ Zt
        has = np.isfinite(zmin)
        active = (L != 0) & has[..., None]
        ok = np.all(~active | ((L == 1) & (zmin[..., None] >= 0)), axis=(0, 1, 2))
        sum_x = np.einsum("ctq,ctqj->j", np.where(has, sx, 0.0), L)
        sum_xy = np.einsum("ctq,ctqj->j", np.where(has, sxy, 0.0), L)
        bad = np.flatnonzero(ok & (sum_x > 0) & (sum_xy <= 0))
        if bad.size == 0:
            return out
        for j in bad:
            for c, t, qq in zip(*np.nonzero(active[..., j]), strict=True):
                _r, _Y, obs, Z = blocks[c]
                out[c][:, t] |= obs[:, t] & (Z[:, t, qq] > 0)


def _separation_error():
    raise DesignError(
        "the Poisson QMLE does not exist: dropping the firm-years whose outcome is zero and "
        "that the covariates single out (separation) did not settle the fit; drop or recode "
        "the covariates (e.g. a dummy for firms that never report a positive outcome)",
        zh="泊松准极大似然估计不存在：剔除结果变量为 0 且被协变量完全分离的企业-年份后，"
           "估计仍不收敛；请删除或重新编码协变量（例如结果从不为正的企业的虚拟变量）")


def _check_outcome(panel: PivotedPanel, yname: str) -> None:
    y = panel.Y[np.asarray(panel.observed, dtype=bool)]
    if np.any(y < 0):
        raise DataError(f"outcome {yname!r} has negative values; the Poisson QMLE needs a "
                        "non-negative outcome", column=yname,
                        fix="use a non-negative outcome (e.g. tax paid, not net tax)",
                        zh=f"结果变量 {yname!r} 存在负值；泊松准极大似然估计要求结果变量非负",
                        fix_zh="请使用非负的结果变量（如实缴税额而非净税额）")
    if not np.any(y > 0):
        raise DataError(f"outcome {yname!r} is zero for every row", column=yname,
                        zh=f"结果变量 {yname!r} 在所有行均为 0")


def _cells(cohorts, ref, tlist, control_group):
    """(cohort code, period code) of the treatment cells, by cohort then period."""
    cells = []
    for c in range(cohorts.size):
        if c == ref or cohorts[c] == 0:
            continue
        g = cohorts[c]
        for s, t in enumerate(tlist):
            if (control_group == "notyettreated" and t >= g) or \
                    (control_group == "nevertreated" and t != g - 1):
                cells.append((c, s))
    return cells


def etwfe(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str, *,
          family: str = "poisson", covariates: Sequence[str] = (),
          control_group: str = "notyettreated", cluster: str | None = None,
          alp: float | None = None, allow_unbalanced_panel: bool = True, tol: float = 1e-13,
          max_iter: int = 100, alpha: float | None = None) -> ETWFEResult:
    """Poisson QMLE extended TWFE and its level-scale ATT(g, t) (Wooldridge 2023; R ``etwfe``).

    Arguments as :func:`~evalkit.did.att_gt.att_gt`: ``yname`` a non-negative outcome,
    ``tname`` integer period, ``idname`` firm id, ``gname`` first treated period (0 = never
    treated; cohorts first treated after the last period count as never treated).
    ``covariates`` time-invariant columns (each enters with its cohort and year interactions,
    and demeaned within cohort in interaction with the treatment cells, as R etwfe's
    ``ctrls``). ``control_group`` ``"notyettreated"`` (default, R's ``cgroup = "notyet"``: only
    post-treatment cells) or ``"nevertreated"`` (R's ``"never"``: also pre-treatment placebo
    cells, reference year g - 1). ``cluster`` a time-invariant column coarser than the firm
    (default: firms). Unbalanced panels are used as they are (every observed row enters, as
    in R etwfe) unless ``allow_unbalanced_panel=False``, which keeps only the firms observed in
    every period (att_gt's default; then the pooled cohort-dummy fit equals fixed-effects
    Poisson exactly, Wooldridge 2023).
    See the module docstring for the model, the ATT and its influence function.

    Returns :class:`ETWFEResult` (an ``ATTgtResult``): cells ordered by g then t, ``inf_func``
    (n_units, n_cells) with rows in the order of ``unit_ids``. Errors: :class:`DataError`
    (columns, negative outcome, a time-varying covariate), :class:`DesignError` (no treated
    cohort, a cohort treated from the first period, no never-treated firms with
    ``"nevertreated"``, a cohort whose outcome is zero only before treatment, separation that
    dropping firm-years does not settle, a singular design), :class:`EvalkitError` when the QMLE does not converge.
    """
    check_choice("family", family, FAMILIES)
    check_choice("control_group", control_group, CONTROL_GROUPS)
    alp = pick("alpha", alpha, 0.05, alp=alp)
    if not 0 < alp < 1:
        raise DesignError(f"alp must lie in (0, 1); received {alp!r}",
                          zh=f"alp 须位于 (0, 1) 内；收到的是 {alp!r}")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    clustervars = [cluster] if cluster and cluster != idname else []
    with single_blas_thread():
        panel = PivotedPanel(data, yname, tname, idname, gname, covariates, None, clustervars, 0,
                       allow_unbalanced_panel=allow_unbalanced_panel)
        if panel.time_varying_x:
            raise DataError(f"covariates {covariates} must be constant within each firm (e.g. "
                            "base-year values)", fix="use base-year values of the covariates",
                            zh=f"协变量 {covariates} 须在每个企业内保持不变（例如基期值）",
                            fix_zh="请使用协变量的基期值")
        _check_outcome(panel, yname)
        return _fit(panel, yname, tname, idname, gname, covariates, control_group, clustervars,
                    alp, allow_unbalanced_panel, tol, max_iter)


def _fit(panel, yname, tname, idname, gname, covariates, control_group, clustervars, alp,
         allow_unbalanced_panel, tol, max_iter) -> ETWFEResult:
    tlist = panel.tlist
    glist = np.unique(panel.G[panel.G > 0])
    if glist.size == 0:
        raise DesignError(f"no treated cohort: every unit has {gname} = 0 (or is first treated "
                          "after the last period)",
                          zh=f"没有受资助批次：所有个体的 {gname} 均为 0（或首次受资助时间晚于最后一期）")
    early = glist[glist <= tlist[0]]
    if early.size:
        shown = ", ".join(map(str, early.tolist()))
        raise DesignError(f"cohort(s) {shown} of {gname!r} are treated in or before the first "
                          f"period {tlist[0]}, so they have no pre-treatment period; drop these "
                          "firms or add earlier periods",
                          zh=f"{gname!r} 的批次 {shown} 在首期 {tlist[0]} 或更早即受资助，"
                             "因而没有政策前时期；请删除这些企业或在数据中补充更早的时期")
    coerced = None
    if not (panel.G == 0).any():
        if control_group == "nevertreated":
            raise DesignError("no never-treated units, so control_group='nevertreated' has no "
                              "comparison group; use control_group='notyettreated'",
                              zh="没有从未受资助的个体，control_group='nevertreated' 没有对照组；"
                                 "请使用 control_group='notyettreated'")
        coerced = int(glist.max())
        warnings.warn(DataWarning(
            f"no never-treated units: the last cohort ({coerced}) is the reference cohort and "
            f"periods from {coerced} on are dropped, as R etwfe does",
            zh=f"没有从未受资助的个体：与 R etwfe 一致，以最后一个批次（{coerced}）为参照批次，"
               f"删除 {coerced} 期及以后的时期"), stacklevel=3)
        panel.drop_periods_from(coerced)
        tlist = panel.tlist
        if tlist.size < 2 or glist.size < 2:
            raise DesignError("too few cohorts or periods remain once the last cohort serves "
                              "as comparison group",
                              zh="以最后一个批次作为对照组后，剩余的批次或时期过少")
    cohorts = np.unique(panel.G)
    ref = 0 if coerced is None else int(np.searchsorted(cohorts, coerced))
    cells = _cells(cohorts, ref, tlist, control_group)
    blocks = _cohort_blocks(panel, cohorts)

    # Outcomes scaled to mean 1 (conditioning; the coefficients other than the intercept and
    # the effects' ratios do not depend on the scale).
    obs_all = np.asarray(panel.observed, dtype=bool)
    n_obs = int(obs_all.sum())
    scale = float(sum(b[1].sum() for b in blocks)) / n_obs
    blocks = [(r, Y / scale, o, Z) for r, Y, o, Z in blocks]
    k = len(covariates)
    means = np.zeros((cohorts.size, k))
    for c, (_r, _Y, obs, Z) in enumerate(blocks):
        if k and obs.any():
            means[c] = Z[..., 1:][obs].mean(axis=0)
    # Cells no firm is observed in are not estimable (NaN, as att_gt reports them); cells whose
    # outcome is zero for every firm have delta = -inf: their rows are fitted exactly (mean 0)
    # and leave the likelihood, the ATT is minus the counterfactual mean.
    # A treated cohort whose outcome is zero in every row (no R&D, no patents) has a zero
    # counterfactual and zero effects under proportional trends: its rows leave the fit.
    empty, zero = set(), set()
    fit_blocks = list(blocks)
    null_cohorts = [c for c, (_r, Y, obs, _Z) in enumerate(blocks)
                    if c != ref and cohorts[c] > 0 and not np.any(Y[obs] > 0)]
    for c in null_cohorts:
        rows, Y, obs, Z = fit_blocks[c]
        fit_blocks[c] = (rows, Y, np.zeros_like(obs), Z)
    for c, s_ in cells:
        rows, Y, obs, Z = fit_blocks[c]
        if c in null_cohorts:
            if not blocks[c][2][:, s_].any():
                empty.add((c, s_))
        elif not obs[:, s_].any():
            empty.add((c, s_))
        elif not np.any(Y[obs[:, s_], s_] > 0):
            zero.add((c, s_))
            obs = obs.copy()
            obs[:, s_] = False
            fit_blocks[c] = (rows, Y, obs, Z)
    treated_cell = np.zeros((cohorts.size, tlist.size), dtype=bool)
    for c, s_ in cells:
        treated_cell[c, s_] = True
    for c, (_r, Y, obs, _Z) in enumerate(fit_blocks):
        untreated = obs & ~treated_cell[c][None, :]
        if c != ref and untreated.any() and not np.any(Y[untreated] > 0):
            g = int(cohorts[c])
            raise DesignError(
                f"cohort {g}: the outcome is zero for every firm in every untreated year but "
                "positive after treatment, so under proportional trends its counterfactual is 0 "
                "and the proportional effect infinite; evaluate this outcome on the level scale "
                "(att_gt), or merge the cohort with a neighbouring one",
                zh=f"批次 {g}：所有企业在全部未受资助年份的结果变量均为 0、受资助后为正，按比例趋势"
                   "假设其反事实为 0、比例效应无穷大，无法识别；请改用水平尺度（att_gt）评估该结果"
                   "变量，或将该批次与相邻批次合并")
    # Fit; rows whose fitted mean is driven to 0 (separation) leave the fit, their regressors
    # are dropped when zero or collinear on the remaining rows, and the model is refitted.
    full = _Design(cohorts, ref, tlist, cells, covariates, means, gname, tname)
    separated = _nonnegative_separation(fit_blocks, full.L)
    for c, m_ in enumerate(separated):
        rows, Y, obs, Z = fit_blocks[c]
        fit_blocks[c] = (rows, Y, obs & ~m_, Z)
    for _round in range(_SEPARATION_ROUNDS):
        design = _Design(cohorts, ref, tlist, cells, covariates, means, gname, tname)
        keep = _independent_columns(_score_hessian(fit_blocks, design.L,
                                                   np.zeros(design.p))[1])
        if not keep.all():
            design.restrict(keep, [j for j, (c, s_) in enumerate(cells)
                                   if not fit_blocks[c][2][:, s_].any()])
        L, LD, p = design.L, design.LD, design.p
        try:
            beta, iters = _newton(fit_blocks, L, p, tol, max_iter)
        except DesignError as exc:
            raise DesignError(f"Poisson ETWFE: {exc}; remove covariates that are collinear with "
                              "the cohort and year dummies",
                              zh=f"泊松 ETWFE：{exc.text('zh')}；请删除与批次、年份虚拟变量共线的"
                                 "协变量") from exc
        newly = _separated_rows(fit_blocks, L, beta)
        if not any(m_.any() for m_ in newly):
            break
        for c, m_ in enumerate(newly):
            separated[c] |= m_
            rows, Y, obs, Z = fit_blocks[c]
            fit_blocks[c] = (rows, Y, obs & ~m_, Z)
    else:
        _separation_error()
    n_obs = int(sum(int(b_[2].sum()) for b_ in fit_blocks))
    grad, H = _score_hessian(fit_blocks, L, beta)

    # Per-firm scores and the coefficients' influence functions (n, p).
    n = panel.Y.shape[0]
    scores = np.zeros((n, p))
    m = len(cells)
    att = np.zeros(m)
    counterfactual = np.zeros(m)
    sizes = np.zeros(m, dtype=np.int64)
    Gmat = np.zeros((p, m))
    sample_part: list[tuple[np.ndarray, int, np.ndarray]] = []
    cell_pos = {cell: j for j, cell in enumerate(cells)}
    for c, b in enumerate(blocks):
        rows, Y, obs, Z = b
        fit_obs = fit_blocks[c][2]
        sep = separated[c]
        # a separated firm-year of a treated cell: fitted 0; its counterfactual is 0 too
        # unless the firm has untreated years left in the fit (then the effect took it to 0)
        anchored = (fit_obs & ~treated_cell[c][None, :]).any(axis=1)
        eta = _index(b, L[c], beta)
        mu = np.where(fit_obs, np.exp(eta), 0.0)
        resid = ((Y - mu) * fit_obs)[..., None] * Z
        scores[rows] = resid.reshape(rows.size, -1) @ L[c].reshape(-1, p)
        tau = np.einsum("itq,tq->it", Z, LD[c] @ beta)
        for s in range(tlist.size):
            j = cell_pos.get((c, s))
            if j is None or (c, s) in empty:
                continue
            o = obs[:, s]
            if c in null_cohorts:                   # zero effect, zero counterfactual, IF 0
                sizes[j] = int(o.sum())
                continue
            mu0 = np.exp(eta[o, s] - tau[o, s])
            mu1 = np.zeros_like(mu0) if (c, s) in zero else mu[o, s]
            if sep[o, s].any():
                mu1 = np.where(sep[o, s], 0.0, mu1)
                mu0 = np.where(sep[o, s] & ~anchored[o], 0.0, mu0)
            effect = mu1 - mu0
            sizes[j] = int(o.sum())
            att[j] = effect.mean()
            counterfactual[j] = mu0.mean()
            Zs = Z[o, s]
            Gmat[:, j] = L[c, s].T @ (effect @ Zs) / sizes[j] + LD[c, s].T @ (mu0 @ Zs) / sizes[j]
            sample_part.append((rows[o], j, (effect - att[j]) / sizes[j]))
    Hinv = np.linalg.inv(H)
    phi = scores @ Hinv                                  # per-firm contributions to beta_hat
    inf = n * (phi @ Gmat)
    for r, j, v in sample_part:
        inf[r, j] += n * v
    att *= scale
    counterfactual *= scale
    inf *= scale
    inf_param = n * phi
    cl = panel.cluster
    if cl is None:
        vcov = phi.T @ phi
    else:
        sums = np.zeros((int(cl.max()) + 1, p))
        np.add.at(sums, cl, phi)
        vcov = sums.T @ sums
    se = se_from_inf_func(inf, cl)
    se[se <= _SE_FLOOR] = np.nan
    est = design.delta_index >= 0
    delta = np.where(est, beta[np.maximum(design.delta_index, 0)], -np.inf)
    prop = np.expm1(delta)
    prop_inf = np.zeros((n, m))
    prop_inf[:, est] = inf_param[:, design.delta_index[est]] * np.exp(delta[est])[None, :]
    prop_se = se_from_inf_func(prop_inf, cl)
    prop_se[prop_se <= _SE_FLOOR] = np.nan
    missing = [j for j, cell in enumerate(cells) if cell in empty]
    null_cells = [j for j, cell in enumerate(cells) if cell[0] in null_cohorts]
    prop[null_cells] = np.nan
    att[missing] = np.nan
    prop[missing] = np.nan
    counterfactual[missing] = np.nan
    labels = [f"ATT({int(cohorts[c])},{int(tlist[s_])})" for c, s_ in cells]
    if null_cohorts:
        shown = ", ".join(str(int(cohorts[c])) for c in null_cohorts)
        warnings.warn(DataWarning(
            f"outcome {yname!r} is zero for every firm and year of cohort(s) {shown}: their "
            "effects are 0 (a zero counterfactual under proportional trends) and their "
            "proportional effects undefined (NaN)",
            zh=f"批次 {shown} 的所有企业在所有年份的结果变量 {yname!r} 均为 0：其效应为 0"
               "（按比例趋势假设反事实为 0），比例效应无定义（NaN）"), stacklevel=3)
    if missing:
        shown = ", ".join(labels[j] for j in missing)
        warnings.warn(DataWarning(
            f"{len(missing)} of {m} ATT(g,t) cells have no firm observed and are reported as "
            f"missing (NaN): {shown}",
            zh=f"{m} 个 ATT(g,t) 单元中有 {len(missing)} 个没有观测到企业，报告为缺失（NaN）："
               f"{shown}"), stacklevel=3)
    coef = beta.copy()
    coef[0] += np.log(scale)
    group = np.array([int(cohorts[c]) for c, _ in cells], dtype=np.int64)
    time = np.array([int(tlist[s]) for _, s in cells], dtype=np.int64)
    options: dict[str, Any] = {
        "yname": yname, "tname": tname, "idname": idname, "gname": gname,
        "covariates": covariates, "control_group": control_group, "family": "poisson",
        "est_method": "etwfe-poisson", "anticipation": 0, "base_period": "etwfe",
        "weights": None, "clustervars": clustervars, "bstrap": False, "biters": 0,
        "cband": False, "alp": alp, "seed": None,
        "allow_unbalanced_panel": bool(allow_unbalanced_panel),
    }
    provenance = {
        "estimator": "Poisson QMLE extended TWFE (Wooldridge 2023; R etwfe family='poisson'), "
                     "ATT(g,t) as average partial effects (R etwfe emfx)",
        "evalkit_version": evalkit.__version__,
        "options": options,
        "n_units": n,
        "n_obs": n_obs,
        "periods": tlist.tolist(),
        "cohorts": glist.tolist(),
        "reference_cohort": int(cohorts[ref]),
        "dropped_collinear": design.dropped,
        "cells_not_estimable": [{"group": int(group[j]), "time": int(time[j]),
                                 "reason": "no firm observed"} for j in missing],
        "cells_all_zero": [labels[j] for j, cell in enumerate(cells) if cell in zero],
        "cohorts_all_zero": [int(cohorts[c]) for c in null_cohorts],
        "rows_separated": int(sum(int(m_.sum()) for m_ in separated)),
        "last_cohort_as_control": coerced,
        "newton_steps": iters,
        "max_abs_score": float(np.max(np.abs(grad))) * scale,
    }
    return ETWFEResult(
        group=group, time=time, att=att, se=se, inf_func=inf, unit_ids=panel.ids,
        unit_group=panel.G.copy(), unit_weights=np.ones(n), cluster=cl,
        crit_val=NormalDist().inv_cdf(1 - alp / 2), alp=alp, n_units=n, options=options,
        provenance=provenance, proportional=prop, proportional_se=prop_se,
        proportional_inf_func=prop_inf, counterfactual=counterfactual, cell_size=sizes,
        coef=pd.Series(coef, index=design.names, name="estimate"), vcov=vcov,
        jacobian=Gmat * scale, inf_func_param=inf_param, n_obs=n_obs, iterations=iters)

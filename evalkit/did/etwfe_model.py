"""The Poisson ETWFE model of :func:`evalkit.did.etwfe.etwfe`: its design and its QMLE fit.

Wooldridge, J. M. (2023), "Simple approaches to nonlinear difference-in-differences with panel
data", The Econometrics Journal 26(3), C31-C66 (R ``etwfe``, ``family = "poisson"``).
:class:`Design` lays out the coefficients (cohort and year dummies, one treatment dummy per
cell, covariate interactions) as a (cohorts, periods, q, p) map from coefficients to each
cell's index on ``[1, x]``; :func:`cohort_blocks` arranges the pivoted panel by cohort;
:func:`newton` maximises the Poisson quasi-likelihood from per-cell sums; the separation checks
(:func:`nonnegative_separation`, :func:`separated_rows`) follow fixest and Correia, Guimaraes &
Zylkin (2021). The model, the ATT and its influence function: :mod:`evalkit.did.etwfe`.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

from evalkit.did.drdid import _solve_sym
from evalkit.did.pre_process import PivotedPanel
from evalkit.errors import DesignError, EvalkitError
from evalkit.i18n import Message

__all__ = ["SEPARATION_ROUNDS", "Design", "cell_index", "cohort_blocks", "independent_columns",
           "newton", "nonnegative_separation", "objective", "score_hessian", "separated_rows",
           "separation_error", "treatment_cells"]

class Design:
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
            raise DesignError(Message("errors.did.etwfe_model.treatment_cell_dummy_collinear"))
        self.dropped = [nm for nm, k in zip(self.names, keep, strict=True) if not k]
        new_pos = np.cumsum(keep) - 1
        self.delta_index = np.where(keep[self.delta_index], new_pos[self.delta_index], -1)
        self.names = [nm for nm, k in zip(self.names, keep, strict=True) if k]
        self.L, self.LD = self.L[..., keep], self.LD[..., keep]
        self.p = int(keep.sum())


def treatment_cells(cohorts, ref, tlist, control_group):
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


def independent_columns(gram: np.ndarray, tol: float = 1e-9) -> np.ndarray:
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


def cohort_blocks(panel: PivotedPanel, cohorts: np.ndarray):
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


def cell_index(block, Lc: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """(n_c, T) linear index of one cohort's rows."""
    _rows, _Y, _obs, Z = block
    theta = Lc @ beta                                               # (T, q)
    return np.einsum("itq,tq->it", Z, theta)


def objective(blocks, L, beta) -> float:
    """Poisson quasi-log-likelihood sum(y eta - exp(eta)) over observed rows."""
    total = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for c, b in enumerate(blocks):
            eta = cell_index(b, L[c], beta)
            total += float(np.sum(np.where(b[2], b[1] * eta - np.exp(eta), 0.0)))
    return total if np.isfinite(total) else -np.inf


def score_hessian(blocks, L, beta):
    """Gradient (p,) and Hessian sum mu x x' (p, p) of the quasi-log-likelihood."""
    C, T, q, p = L.shape
    S = np.zeros((C, T, q))
    Hc = np.zeros((C, T, q, q))
    for c, b in enumerate(blocks):
        _rows, Y, obs, Z = b
        mu = np.where(obs, np.exp(cell_index(b, L[c], beta)), 0.0)
        S[c] = np.einsum("it,itq->tq", Y - mu, Z)
        Hc[c] = np.einsum("it,itq,itr->tqr", mu, Z, Z)
    Lf = L.reshape(C * T * q, p)
    grad = Lf.T @ S.reshape(-1)
    HL = np.einsum("ctqr,ctrp->ctqp", Hc, L).reshape(C * T * q, p)
    return grad, Lf.T @ HL


def newton(blocks, L, p: int, tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """Maximise the concave quasi-log-likelihood by Newton-Raphson with step halving."""
    beta = np.zeros(p)                          # outcomes are scaled to mean 1: log(1) = 0
    ll = objective(blocks, L, beta)
    for it in range(1, max_iter + 1):
        grad, H = score_hessian(blocks, L, beta)
        step = _solve_sym(H, grad, "poisson-qmle")
        decrement = float(grad @ step)          # Newton decrement^2 ~ 2 (ll_max - ll)
        if decrement <= tol * (abs(ll) + 1.0):
            return beta + step, it              # the last, tiny step: quadratic accuracy
        a = 1.0
        for _ in range(40):
            new = beta + a * step
            ll_new = objective(blocks, L, new)
            if ll_new >= ll - 1e-12 * (abs(ll) + 1.0):
                break
            a /= 2
        else:
            break
        beta, ll = new, ll_new
    raise EvalkitError(Message("errors.did.etwfe_model.poisson_qmle_did_converge",
                               max_iter=max_iter))


def separated_rows(blocks, L, beta, floor: float = 1e-9) -> list[np.ndarray]:
    """Per cohort block, the fitted rows whose mean was driven towards 0 (outcomes scaled to
    mean 1) while their outcome is 0: the quasi-likelihood has no finite maximum there
    (separation; Santos Silva & Tenreyro 2010; Correia, Guimaraes & Zylkin 2021 drop such
    rows, as fixest does)."""
    out = []
    for c, b in enumerate(blocks):
        with np.errstate(over="ignore"):
            mu = np.exp(cell_index(b, L[c], beta))
        out.append(b[2] & (mu < floor) & (b[1] == 0))
    return out


def nonnegative_separation(blocks, L) -> list[np.ndarray]:
    """Rows separated by a non-negative regressor (a dummy or a dummy times a non-negative
    covariate, such as a cohort x cluster interaction): when the regressor's rows all have a
    zero outcome its coefficient diverges to -inf and their fitted means to 0. This is the
    simple rule of Correia, Guimaraes & Zylkin (2021, Section 4.1), applied until no regressor
    is left with that pattern; :func:`separated_rows` catches the remaining cases after a fit."""
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


def separation_error():
    raise DesignError(Message("errors.did.etwfe_model.poisson_qmle_does_exist"))


SEPARATION_ROUNDS = 6

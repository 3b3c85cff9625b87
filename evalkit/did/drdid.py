"""Two-period (2x2) difference-in-differences estimators for panel data, with influence functions.

The three panel estimators of Sant'Anna & Zhao (2020), "Doubly robust difference-in-differences
estimators", Journal of Econometrics 219(1), as R ``DRDID`` implements them and R ``did``
(Callaway & Sant'Anna 2021) calls them for each ATT(g, t):

* :func:`drdid_panel` -- the locally efficient doubly robust estimator (``DRDID::drdid_panel``,
  the "traditional" DR estimator, R ``did``'s default ``est_method = "dr"``): logit propensity
  score fitted by maximum likelihood plus a linear regression of the outcome change on covariates
  among comparison units, Hajek-normalised weights, propensity scores of comparison units trimmed
  at ``trim_level``.
* :func:`std_ipw_panel` -- normalised (Hajek) inverse probability weighting (Abadie 2005).
* :func:`reg_did_panel` -- outcome regression (Heckman, Ichimura & Todd 1997).

Each is a pure function of ``(delta_y, D, X, weights)``:

``delta_y``  (m,) or (m, c): outcome change(s) y_post - y_pre of the m units; c columns are c
             outcomes sharing the same units, treatment and covariates (e.g. several periods of
             one cohort), estimated in one pass.
``D``        (m,) 1 for treated, 0 for comparison units.
``X``        (m, p) covariates *including* the intercept column.
``weights``  (m,) non-negative sampling weights or None.

and returns ``(att, inf_func)``: ``att`` (c,) (a float for 1-D ``delta_y``) and ``inf_func``
(m, c) (or (m,)), normalised as DRDID's: ``se = sqrt(mean(inf_func**2) / m)``.
"""

from __future__ import annotations

import numpy as np

from evalkit.errors import DesignError, IdentificationError

__all__ = ["OVERLAP_LIMIT", "drdid_panel", "logit_fit", "reg_did_panel", "std_ipw_panel"]

# R did flags a cell when the (preliminary) propensity score reaches 0.999
# (compute.att_gt: `max(preliminary_pscores) >= 0.999` -> "overlap condition violated").
OVERLAP_LIMIT = 0.999
# DRDID caps fitted scores at 1 - 1e-6 to avoid division by zero.
_PS_CAP = 1 - 1e-6
_EPS = np.finfo(float).eps
# The design names passed to :func:`_solve_sym`, in Chinese for the ``zh`` messages.
_DESIGN_ZH = {"outcome-regression": "结果回归", "propensity-score": "倾向得分",
              "poisson-qmle": "泊松准极大似然"}


def logit_fit(X: np.ndarray, D: np.ndarray, w: np.ndarray, tol: float = 1e-12,
              max_iter: int = 100) -> np.ndarray:
    """Weighted logit MLE by Newton-Raphson; returns fitted probabilities (m,).

    Raises :class:`IdentificationError` when the scores separate (some fitted probability
    reaches 0 or 1), since the ATT is then not identified from overlapping units.
    """
    _m, p = X.shape
    share = np.average(D, weights=w)
    beta = np.zeros(p)
    beta[0] = np.log(share / (1 - share)) if 0 < share < 1 else 0.0
    for _ in range(max_iter):
        eta = X @ beta
        mu = 1.0 / (1.0 + np.exp(-eta))
        wv = w * mu * (1 - mu)
        grad = X.T @ (w * (D - mu))
        hess = (X * wv[:, None]).T @ X
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError as exc:
            raise DesignError("the propensity-score design matrix is singular; remove "
                              "collinear or constant covariates",
                              zh="倾向得分的设计矩阵奇异；请删除共线或取值恒定的协变量") from exc
        beta += step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
            break
        if np.max(np.abs(beta)) > 50:
            break
    eta = X @ beta
    return 1.0 / (1.0 + np.exp(-eta))


def _prepare(delta_y, D, X, weights):
    dy = np.asarray(delta_y, dtype=float)
    vec = dy.ndim == 1
    if vec:
        dy = dy[:, None]
    D = np.asarray(D, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    m = D.shape[0]
    w = np.ones(m) if weights is None else np.asarray(weights, dtype=float)
    if np.any(w < 0):
        raise DesignError("weights must be non-negative", zh="权重须为非负")
    w = w / w.mean()
    return dy, vec, D, X, w, m


def _solve_sym(A: np.ndarray, B: np.ndarray, what: str) -> np.ndarray:
    """Solve A x = B for a symmetric positive semi-definite Gram matrix A, refusing a singular one.

    Singularity is judged on the Jacobi-scaled matrix D^-1/2 A D^-1/2 (D = diag A), so covariates
    measured in yuan next to 0/1 dummies are not mistaken for collinear ones (R ``DRDID`` checks
    the unscaled matrix, which depends on the covariates' units)."""
    d = np.diag(A).copy()
    if np.any(~(d > 0)):
        raise DesignError(f"the {what} design matrix is singular: a covariate is zero for every "
                          "unit used; remove it",
                          zh=f"{_DESIGN_ZH.get(what, what)}的设计矩阵奇异："
                             "某一协变量在所用的全部个体上均为 0；请将其删除")
    s = 1.0 / np.sqrt(d)
    if 1.0 / np.linalg.cond(A * s[:, None] * s[None, :], 1) < _EPS:
        raise DesignError(f"the {what} design matrix is singular; remove collinear or constant "
                          "covariates, or use fewer covariates",
                          zh=f"{_DESIGN_ZH.get(what, what)}的设计矩阵奇异；"
                             "请删除共线或取值恒定的协变量，或减少协变量")
    return np.linalg.solve(A, B)


def _ols_control(dy, D, X, w, m):
    """Weighted OLS of dy on X among comparison units: fitted values (m, c) and pieces of the
    asymptotic linear representation (weights_ols (m,), XpX (p, p) = X'W0X/m)."""
    w_ols = w * (1 - D)
    XpX = (X * w_ols[:, None]).T @ X / m
    beta = _solve_sym(XpX, (X * w_ols[:, None]).T @ dy / m, "outcome-regression")
    return X @ beta, w_ols, XpX


def _pscore(D, X, w):
    ps = logit_fit(X, D, w)
    if np.max(ps) >= OVERLAP_LIMIT:
        raise IdentificationError("propensity scores reach 1 (overlap violated)",
                                  zh="倾向得分达到 1（违反共同支撑）")
    ps = np.minimum(ps, _PS_CAP)
    return ps


def _ps_lin_rep(D, X, w, ps, m, with_score: bool = True):
    """score (m, p) (None unless ``with_score``) and Hessian^{-1} * m of the logit, as DRDID
    builds them."""
    W = ps * (1 - ps) * w
    score = (w * (D - ps))[:, None] * X if with_score else None
    H = _solve_sym((X * W[:, None]).T @ X, np.eye(X.shape[1]), "propensity-score") * m
    return score, H


def drdid_panel(delta_y, D, X, weights=None, trim_level: float = 0.995,
                overwrite: bool = False, chunk_elems: int = 1 << 20):
    """Locally efficient doubly robust DiD ATT for panel data (Sant'Anna & Zhao 2020, eq. 3.1;
    R ``DRDID::drdid_panel``). Shapes as in the module docstring.

    The influence function of every column is ``inf = a * r + (w_c eta_c / mwc - w_t eta_t /
    mwt) - score H M2 / mwc`` (r = dy - X beta the outcome-regression residuals, ``a = (w_t -
    w_ols h_0) / mwt - (w_c - w_ols h_1) / mwc``: DRDID's ``inf.treat - inf.control`` regrouped
    per unit). It is formed in row chunks of about ``chunk_elems`` values, so besides the (m, c)
    result only chunk-sized temporaries exist; with ``overwrite=True`` (a float64 C-ordered
    ``delta_y`` the caller no longer needs) the result is written into ``delta_y`` itself.
    """
    dy, vec, D, X, w, m = _prepare(delta_y, D, X, weights)
    c = dy.shape[1]
    ps = _pscore(D, X, w)
    trim = np.where(D == 1, True, ps < trim_level)
    w_ols = w * (1 - D)
    Xw = X * w_ols[:, None]
    XpX = Xw.T @ X / m
    beta = _solve_sym(XpX, Xw.T @ dy / m, "outcome-regression")          # (p, c)
    del Xw
    w_treat = trim * w * D
    w_cont = trim * w * ps * (1 - D) / (1 - ps)
    mwt, mwc = w_treat.mean(), w_cont.mean()
    step = max(1, chunk_elems // max(1, c))
    chunks = [slice(i, min(i + step, m)) for i in range(0, m, step)]
    # Pass 1: weighted sums of the residuals r = dy - X beta (never stored whole).
    st, sc = np.zeros(c), np.zeros(c)
    xr = np.zeros((X.shape[1], c))                                        # X' (w_c r)
    for ch in chunks:
        r = dy[ch] - X[ch] @ beta
        st += w_treat[ch] @ r
        sc += w_cont[ch] @ r
        xr += (X[ch] * w_cont[ch, None]).T @ r
    eta_t = st / m / mwt                                                  # (c,)
    eta_c = sc / m / mwc
    att = eta_t - eta_c
    # Estimation effect of the OLS coefficients: asy_lin_rep_ols @ M = w_ols*resid*(X XpX^-1 M).
    M1 = (w_treat @ X) / m
    M3 = (w_cont @ X) / m
    h = X @ np.linalg.solve(XpX, np.column_stack([M1, M3]))              # (m, 2)
    a = (w_treat - w_ols * h[:, 0]) / mwt - (w_cont - w_ols * h[:, 1]) / mwc
    del h
    # Estimation effect of the propensity score: score (m, p) @ H @ M2, M2 = X' w_c (r - eta_c).
    _score, H = _ps_lin_rep(D, X, w, ps, m, with_score=False)
    M2 = (xr - np.outer(M3 * m, eta_c)) / m                               # (p, c)
    HM2 = H @ M2 / mwc
    sw = w * (D - ps)                                                     # score = sw * X
    out = dy if overwrite and dy is delta_y and dy.flags.c_contiguous else np.empty((m, c))
    for ch in chunks:
        r = dy[ch] - X[ch] @ beta
        r *= a[ch, None]
        r -= np.multiply.outer(w_treat[ch] / mwt, eta_t)
        r += np.multiply.outer(w_cont[ch] / mwc, eta_c)
        r -= (X[ch] * sw[ch, None]) @ HM2
        out[ch] = r
    return (float(att[0]), out[:, 0]) if vec else (att, out)


def std_ipw_panel(delta_y, D, X, weights=None, trim_level: float = 0.995):
    """Normalised inverse-probability-weighted DiD ATT for panel data (Abadie 2005; Sant'Anna &
    Zhao 2020; R ``DRDID::std_ipw_did_panel``). Shapes as in the module docstring."""
    dy, vec, D, X, w, m = _prepare(delta_y, D, X, weights)
    ps = _pscore(D, X, w)
    trim = np.where(D == 1, True, ps < trim_level)
    w_treat = trim * w * D
    w_cont = trim * w * ps * (1 - D) / (1 - ps)
    mwt, mwc = w_treat.mean(), w_cont.mean()
    eta_t = (w_treat @ dy) / m / mwt
    eta_c = (w_cont @ dy) / m / mwc
    att = eta_t - eta_c
    score, H = _ps_lin_rep(D, X, w, ps, m)
    M2 = X.T @ (w_cont[:, None] * (dy - eta_c)) / m
    inf_treat = w_treat[:, None] * (dy - eta_t) / mwt
    inf_cont = (w_cont[:, None] * (dy - eta_c) + score @ (H @ M2)) / mwc
    inf = inf_treat - inf_cont
    return (float(att[0]), inf[:, 0]) if vec else (att, inf)


def reg_did_panel(delta_y, D, X, weights=None):
    """Outcome-regression DiD ATT for panel data (Heckman, Ichimura & Todd 1997; Sant'Anna &
    Zhao 2020; R ``DRDID::reg_did_panel``). Shapes as in the module docstring."""
    dy, vec, D, X, w, m = _prepare(delta_y, D, X, weights)
    out, w_ols, XpX = _ols_control(dy, D, X, w, m)
    w_treat = w * D
    mwt = w_treat.mean()
    eta_t = (w_treat @ dy) / m / mwt
    eta_c = (w_treat @ out) / m / mwt
    att = eta_t - eta_c
    M1 = (w_treat @ X) / m
    h = X @ np.linalg.solve(XpX, M1)                           # (m,)
    inf_treat = w_treat[:, None] * (dy - eta_t) / mwt
    inf_cont = (w_treat[:, None] * (out - eta_c) + (w_ols * h)[:, None] * (dy - out)) / mwt
    inf = inf_treat - inf_cont
    return (float(att[0]), inf[:, 0]) if vec else (att, inf)

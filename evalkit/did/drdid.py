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

from evalkit.errors import ConvergenceError, DesignError, IdentificationError
from evalkit.i18n import Message

__all__ = ["LOGIT_MAX_ITER", "OVERLAP_LIMIT", "drdid_panel", "logit_fit", "reg_did_panel",
           "std_ipw_panel"]

# R did flags a cell when the (preliminary) propensity score reaches 0.999
# (compute.att_gt: `max(preliminary_pscores) >= 0.999` -> "overlap condition violated").
OVERLAP_LIMIT = 0.999
# DRDID caps fitted scores at 1 - 1e-6 to avoid division by zero.
_PS_CAP = 1 - 1e-6
_EPS = np.finfo(float).eps
# Iteration limit of the propensity-score logit (R glm: 25); halvings of one step; the rise of
# the deviance (relative) that a step may cause by rounding alone.
LOGIT_MAX_ITER = 50
_MAX_HALVINGS = 40
_EPS_DEV = 1e-13
# The design names passed to :func:`_solve_sym`, in Chinese for the ``zh`` messages.
_DESIGNS = {"outcome-regression": Message("labels.design.outcome_regression"),
            "propensity-score": Message("labels.design.propensity_score"),
            "poisson-qmle": Message("labels.design.poisson_qmle")}


def _logit_eval(eta: np.ndarray, D: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Binomial deviance (-2 x the weighted log-likelihood) and fitted probabilities of a logit
    with linear predictor ``eta``, from one ``exp`` and without overflow for any finite
    ``eta``."""
    a = np.exp(-np.abs(eta))
    dev = 2.0 * float(w @ (np.maximum(eta, 0.0) + np.log1p(a) - D * eta))
    return dev, np.where(eta >= 0, 1.0, a) / (1.0 + a)


def logit_fit(X: np.ndarray, D: np.ndarray, w: np.ndarray, tol: float = 1e-10,
              max_iter: int | None = None) -> np.ndarray:
    """Weighted logit MLE; returns the fitted probabilities (m,).

    Iteratively reweighted least squares as R ``glm.fit`` with the binomial family: the first
    step starts from glm's ``mustart = (w D + 0.5) / (w + 1)``, the following ones are the
    Newton-Raphson (= IRLS, canonical link) steps of the log-likelihood. A step that raises the
    deviance is halved toward the previous coefficients (R ``fastglm``, which DRDID >= 1.2 uses,
    does the same; ``glm.fit`` halves only non-finite deviances), so the fit cannot overshoot
    to spurious scores of 0 or 1 as an undamped Newton iteration can on imbalanced covariates
    (LaLonde's NSW-CPS panel). Converged when the Newton decrement ``g' H^-1 g`` -- the fall of
    the deviance a full step still promises -- is below ``tol * (|deviance| + 0.1)`` (glm's
    relative criterion, with ``epsilon = tol``; glm's default is 1e-8); that last step is then
    taken (its error is of second order). Under (quasi-)complete
    separation the deviance still converges while coefficients drift to infinity and some
    scores reach 0 or 1; the caller's overlap check (:func:`_pscore`) reports that.

    Raises :class:`DesignError` for a singular covariate design and :class:`ConvergenceError`
    when the fit has not converged after ``max_iter`` iterations (default
    :data:`LOGIT_MAX_ITER`) or no step-halving lowers the deviance.
    """
    max_iter = LOGIT_MAX_ITER if max_iter is None else max_iter
    p = X.shape[1]
    # glm's start: IRLS step from mu = (w D + 0.5) / (w + 1).
    mu = (w * D + 0.5) / (w + 1.0)
    v = mu * (1 - mu)
    z = np.log(mu / (1 - mu)) + (D - mu) / v
    XW = X * (w * v)[:, None]
    beta_new = _solve_sym(XW.T @ X, XW.T @ z, "propensity-score")
    beta = np.zeros(p)                        # the fall-back of a halved first step
    dev = 2.0 * np.log(2.0) * float(w.sum())  # its deviance (all scores 1/2)
    crit = np.inf
    for _ in range(max_iter):
        for _half in range(_MAX_HALVINGS):
            dev_new, mu = _logit_eval(X @ beta_new, D, w)
            if np.isfinite(dev_new) and dev_new <= dev + _EPS_DEV * (abs(dev) + 0.1):
                break
            beta_new = (beta + beta_new) / 2
        else:
            _not_converged(max_iter, crit, Message("errors.did.drdid.why.no_step_halving"))
        beta, dev = beta_new, dev_new
        grad = X.T @ (w * (D - mu))
        hess = (X * (w * mu * (1 - mu))[:, None]).T @ X
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = np.full(p, np.nan)
        crit = float(grad @ step) / (abs(dev) + 0.1)
        if not np.isfinite(crit):
            # Scores at 0 or 1 leave no curvature: the deviance has converged iff it is ~0.
            if dev <= tol:
                return mu
            _not_converged(max_iter, crit, Message("errors.did.drdid.why.singular_hessian"))
        if crit < tol:
            # The last step is tiny and exact to second order: take it, as glm does.
            return _logit_eval(X @ (beta + step), D, w)[1]
        beta_new = beta + step
    _not_converged(max_iter, crit, Message("errors.did.drdid.why.max_iter", max_iter=max_iter))
    raise AssertionError("unreachable")  # pragma: no cover


def _not_converged(max_iter: int, crit: float, why: Message) -> None:
    raise ConvergenceError(Message("errors.did.drdid.not_converged", why=why, crit=crit,
                                   max_iter=max_iter))


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
        raise DesignError(Message("errors.did.drdid.weights_non_negative"))
    w = w / w.mean()
    return dy, vec, D, X, w, m


def _solve_sym(A: np.ndarray, B: np.ndarray, what: str) -> np.ndarray:
    """Solve A x = B for a symmetric positive semi-definite Gram matrix A, refusing a singular one.

    Singularity is judged on the Jacobi-scaled matrix D^-1/2 A D^-1/2 (D = diag A), so covariates
    measured in yuan next to 0/1 dummies are not mistaken for collinear ones (R ``DRDID`` checks
    the unscaled matrix, which depends on the covariates' units)."""
    d = np.diag(A).copy()
    if np.any(~(d > 0)):
        raise DesignError(Message("errors.did.drdid.singular_zero_covariate",
                                  what=_DESIGNS.get(what, what)))
    s = 1.0 / np.sqrt(d)
    if 1.0 / np.linalg.cond(A * s[:, None] * s[None, :], 1) < _EPS:
        raise DesignError(Message("errors.did.drdid.singular_collinear",
                                  what=_DESIGNS.get(what, what)))
    return np.linalg.solve(A, B)


def _ols_control(dy, D, X, w, m):
    """Weighted OLS of dy on X among comparison units: fitted values (m, c) and pieces of the
    asymptotic linear representation (weights_ols (m,), XpX (p, p) = X'W0X/m)."""
    w_ols = w * (1 - D)
    XpX = (X * w_ols[:, None]).T @ X / m
    beta = _solve_sym(XpX, (X * w_ols[:, None]).T @ dy / m, "outcome-regression")
    return X @ beta, w_ols, XpX


def _pscore(D, X, w):
    """Fitted propensity scores, checked for overlap (R did's 0.999 rule) once the logit has
    converged (:func:`logit_fit` raises otherwise), then capped at 1 - 1e-6 as DRDID."""
    ps = logit_fit(X, D, w)
    if np.max(ps) >= OVERLAP_LIMIT:
        raise IdentificationError(Message("errors.did.drdid.propensity_scores_reach_overlap"))
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

"""Synthetic difference-in-differences, synthetic control and DiD from one machinery.

Arkhangelsky, Athey, Hirshberg, Imbens & Wager (2021), "Synthetic Difference-in-Differences",
American Economic Review 111(12): 4088-4118. The algorithm follows the paper (Algorithm 1 for the
estimate; Algorithms 2-4 for the bootstrap, jackknife and placebo variances) and the reference R
package ``synthdid`` (functions ``synthdid_estimate``, ``sc_estimate``, ``did_estimate``,
``vcov.synthdid_estimate``): unit weights ``omega`` and time weights ``lambda`` are found by
Frank-Wolfe with exact line search on the ridge-penalised least-squares problems of the paper, with
regularisation ``zeta_omega = (N_tr * T_post)^(1/4) * sigma`` where ``sigma`` is the standard
deviation of the first differences of the control units' pre-period outcomes, and
``zeta_lambda = 1e-6 * sigma``. After 100 iterations the weights are sparsified (weights below a
quarter of the largest set to zero) and the solver restarts from there, as R ``synthdid`` does.

Shapes: ``Y`` is ``(N, T)`` with the ``N0`` control units in the first rows and the ``T0``
pre-treatment periods in the first columns (block design: the ``N1 = N - N0`` treated units are
treated in the last ``T1 = T - T0`` periods). ``omega`` has shape ``(N0,)``, ``lambda`` ``(T0,)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import DataError, DesignError, check_choice, require_columns
from evalkit.i18n import Message
from evalkit.results import Result, json_safe, tidy_frame

METHODS = ("sdid", "sc", "did")
SE_METHODS = ("placebo", "bootstrap", "jackknife")
MAX_ITER = 10_000
MAX_ITER_PRE_SPARSIFY = 100


# --------------------------------------------------------------------------- solver
def _sc_weight_fw(Y: np.ndarray, zeta: float, intercept: bool, init: np.ndarray | None,
                  min_decrease: float, max_iter: int) -> np.ndarray:
    """Frank-Wolfe with exact line search, run on ``R`` independent problems at once.

    Solves ``min_w zeta^2 ||w||^2 + ||A w - b||^2 / n`` over the unit simplex, where for each
    replication ``r`` the matrix ``Y[r]`` of shape ``(n, k + 1)`` holds ``A`` in its first ``k``
    columns and the target ``b`` in the last (columns centred first when ``intercept``). ``init``
    is ``(R, k)`` (uniform when None). Each problem stops on its own when an iteration lowers the
    objective by less than ``min_decrease^2`` (R synthdid's ``sc.weight.fw``). Returns ``(R, k)``.
    """
    R, n, k1 = Y.shape
    k = k1 - 1
    w = np.full((R, k), 1.0 / k) if init is None else np.array(init, dtype=float, copy=True)
    if intercept:
        Y = Y - Y.mean(axis=1, keepdims=True)
    A, b = Y[:, :, :k], Y[:, :, k]
    eta = n * zeta ** 2
    rows = np.arange(R)
    active = np.ones(R, dtype=bool)
    prev = np.full(R, np.inf)
    prev2 = np.full(R, np.inf)
    for t in range(max_iter):
        idx = rows[active]
        Aa, wa, ba = A[idx], w[idx], b[idx]
        Ax = np.einsum("rnk,rk->rn", Aa, wa)
        half_grad = np.einsum("rn,rnk->rk", Ax - ba, Aa) + eta * wa
        i = np.argmin(half_grad, axis=1)
        d_x = -wa
        d_x[np.arange(len(idx)), i] += 1.0
        d_err = Aa[np.arange(len(idx)), :, i] - Ax
        denom = np.einsum("rn,rn->r", d_err, d_err) + eta * np.einsum("rk,rk->r", d_x, d_x)
        num = -np.einsum("rk,rk->r", half_grad, d_x)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.where(denom > 0, num / denom, 0.0)
        step = np.clip(step, 0.0, 1.0)
        wa = wa + step[:, None] * d_x
        w[idx] = wa
        err = np.einsum("rnk,rk->rn", Aa, wa) - ba
        val = zeta ** 2 * np.einsum("rk,rk->r", wa, wa) + np.einsum("rn,rn->r", err, err) / n
        prev2[idx], prev[idx] = prev[idx], val
        if t >= 1:
            active[idx] = prev2[idx] - prev[idx] > min_decrease ** 2
            if not active.any():
                break
    return w


def _sparsify(v: np.ndarray) -> np.ndarray:
    """Zero weights at or below a quarter of the row maximum and renormalise; ``v`` is (R, k)."""
    v = np.where(v <= v.max(axis=1, keepdims=True) / 4, 0.0, v)
    return v / v.sum(axis=1, keepdims=True)


def _collapsed_form(Y: np.ndarray, N0: int, T0: int) -> np.ndarray:
    """``(R, N0 + 1, T0 + 1)`` from ``(R, N, T)``: controls x pre with the controls' post means
    in the last column, and the treated units' mean in the last row."""
    top = np.concatenate([Y[:, :N0, :T0], Y[:, :N0, T0:].mean(axis=2, keepdims=True)], axis=2)
    bottom = np.concatenate([Y[:, N0:, :T0].mean(axis=1),
                             Y[:, N0:, T0:].mean(axis=(1, 2))[:, None]], axis=1)
    return np.concatenate([top, bottom[:, None, :]], axis=1)


@dataclass(frozen=True)
class _Options:
    """Options carried into re-estimation for standard errors (R's ``attr(estimate, 'opts')``)."""

    zeta_omega: float
    zeta_lambda: float
    omega_intercept: bool
    lambda_intercept: bool
    update_omega: bool
    update_lambda: bool
    min_decrease: float


def _fit(Y: np.ndarray, N0: int, T0: int, opts: _Options, omega: np.ndarray | None,
         lam: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights and estimates for ``R`` panels ``Y`` ``(R, N, T)`` of equal shape.

    ``omega`` ``(R, N0)`` and ``lam`` ``(R, T0)`` initialise the weights (when updated) or fix
    them (when not). Returns estimates ``(R,)``, omega ``(R, N0)``, lambda ``(R, T0)``.
    """
    N1, T1 = Y.shape[1] - N0, Y.shape[2] - T0
    Yc = _collapsed_form(Y, N0, T0)
    if opts.update_lambda:
        Yl = Yc[:, :N0, :]
        lam = _sc_weight_fw(Yl, opts.zeta_lambda, opts.lambda_intercept, lam,
                            opts.min_decrease, MAX_ITER_PRE_SPARSIFY)
        lam = _sc_weight_fw(Yl, opts.zeta_lambda, opts.lambda_intercept, _sparsify(lam),
                            opts.min_decrease, MAX_ITER)
    if opts.update_omega:
        Yt = np.transpose(Yc[:, :, :T0], (0, 2, 1))
        omega = _sc_weight_fw(Yt, opts.zeta_omega, opts.omega_intercept, omega,
                              opts.min_decrease, MAX_ITER_PRE_SPARSIFY)
        omega = _sc_weight_fw(Yt, opts.zeta_omega, opts.omega_intercept, _sparsify(omega),
                              opts.min_decrease, MAX_ITER)
    assert omega is not None and lam is not None
    row = np.concatenate([-omega, np.full((len(Y), N1), 1.0 / N1)], axis=1)
    col = np.concatenate([-lam, np.full((len(Y), T1), 1.0 / T1)], axis=1)
    return np.einsum("rn,rnt,rt->r", row, Y, col), omega, lam


def _sum_normalize(x: np.ndarray) -> np.ndarray:
    s = x.sum()
    return x / s if s != 0 else np.full(len(x), 1.0 / len(x))


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False, repr=False)
class SynthDIDResult(Result):
    """Synthetic DiD / synthetic control / DiD estimate with its weights.

    ``omega`` ``(N0,)`` unit weights on ``control_units``; ``lambda_weights`` ``(T0,)`` time
    weights on the pre-periods ``times[:T0]``. ``treated_trajectory`` and
    ``synthetic_trajectory`` ``(T,)`` are the treated units' mean outcome and the
    omega-weighted control outcome (no intercept shift); ``replicates`` holds the re-estimates
    behind the standard error.
    """

    method: str
    estimate: float
    std_error: float
    se_method: str | None
    omega: np.ndarray
    lambda_weights: np.ndarray
    control_units: tuple
    treated_units: tuple
    times: tuple
    N0: int
    T0: int
    noise_level: float
    zeta_omega: float
    zeta_lambda: float
    treated_trajectory: np.ndarray
    synthetic_trajectory: np.ndarray
    replicates: np.ndarray = field(default_factory=lambda: np.empty(0))
    alpha: float = 0.05
    provenance: dict = field(default_factory=dict)

    @property
    def weights(self) -> dict[str, pd.Series]:
        """Unit weights (indexed by control unit) and time weights (indexed by pre-period)."""
        return {"omega": pd.Series(self.omega, index=list(self.control_units), name="omega"),
                "lambda": pd.Series(self.lambda_weights, index=list(self.times[: self.T0]),
                                    name="lambda")}

    def tidy(self) -> pd.DataFrame:
        return tidy_frame([f"att_{self.method}"], [self.estimate], [self.std_error],
                          alpha=self.alpha)

    def summary(self) -> str:
        t = self.tidy().iloc[0]
        se = "n/a" if not np.isfinite(self.std_error) else f"{self.std_error:.4f}"
        n_used = int((self.omega > 0).sum())
        return (f"{self.method.upper()} estimate {self.estimate:.4f} (SE {se}, {self.se_method})"
                f"; {1 - self.alpha:.0%} CI [{t.conf_low:.4f}, {t.conf_high:.4f}]\n"
                f"N0={self.N0} controls ({n_used} with weight > 0), "
                f"N1={len(self.treated_units)} treated, T0={self.T0}, "
                f"T1={len(self.times) - self.T0}")

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return json_safe(d)


# --------------------------------------------------------------------------- inputs
def _long_to_matrix(df: pd.DataFrame, unit: str, time: str, outcome: str, treated: str):
    require_columns(df, (unit, time, outcome, treated))
    if df[[unit, time]].duplicated().any():
        row = int(np.flatnonzero(df[[unit, time]].duplicated().to_numpy())[0]) + 2
        raise DataError(Message("errors.robust.synthdid.duplicate_unit_time_pair"), row=row,
                        column=unit)
    Y = df.pivot(index=unit, columns=time, values=outcome)
    W = df.pivot(index=unit, columns=time, values=treated)
    if Y.isna().any().any() or W.isna().any().any():
        bad = Y.isna().any(axis=1) | W.isna().any(axis=1)
        raise DataError(Message("errors.robust.synthdid.panel_balanced_unit_lacks",
                                index=bad[bad].index[0], outcome=outcome), column=outcome,
                        fix=Message("errors.robust.synthdid.fix_synthetic_did_needs_balanced"))
    Wv = W.to_numpy(dtype=float)
    if not np.isin(Wv, (0.0, 1.0)).all():
        raise DataError(Message("errors.robust.synthdid.message", treated=treated), column=treated)
    ever = Wv.max(axis=1) > 0
    if not ever.any() or ever.all():
        raise DesignError(Message("errors.robust.synthdid.synthetic_did_needs_both"))
    post = Wv[ever].max(axis=0) > 0
    T0 = int(np.argmax(post))
    if not (post[T0:].all() and (Wv[ever][:, T0:] == 1).all() and (Wv[ever][:, :T0] == 0).all()):
        raise DesignError(Message("errors.robust.synthdid.treatment_block_all_treated"))
    order = np.concatenate([np.flatnonzero(~ever), np.flatnonzero(ever)])
    Ym = Y.to_numpy(dtype=float)[order]
    units = Y.index.to_numpy()[order]
    return Ym, int((~ever).sum()), T0, units, tuple(Y.columns)


# --------------------------------------------------------------------------- API
def synthdid(Y, N0: int | None = None, T0: int | None = None, method: str = "sdid", *,
             unit: str = "unit", time: str = "time", outcome: str = "outcome",
             treated: str = "treated", se_method: str | None = "placebo",
             replications: int = 200, rng: np.random.Generator | None = None,
             alpha: float = 0.05) -> SynthDIDResult:
    """Estimate the ATT of a block treatment by synthetic DiD (``"sdid"``), synthetic control
    (``"sc"``) or DiD (``"did"``), as in R ``synthdid``.

    ``Y`` is an ``(N, T)`` array (controls first, pre-periods first; give ``N0`` and ``T0``) or a
    long DataFrame with columns ``unit, time, outcome, treated`` (0/1 indicator of being treated
    in that period; names configurable). ``se_method`` is ``"placebo"`` (Algorithm 4),
    ``"bootstrap"`` (Algorithm 2), ``"jackknife"`` (Algorithm 3, fixed weights) or None;
    resampling uses ``rng`` (a seeded ``numpy.random.Generator``, required for placebo and
    bootstrap).
    """
    check_choice("method", method, METHODS)
    if se_method is not None:
        check_choice("se_method", se_method, SE_METHODS)
    if isinstance(Y, pd.DataFrame):
        Ym, N0, T0, units, times = _long_to_matrix(Y, unit, time, outcome, treated)
    else:
        Ym = np.asarray(Y, dtype=float)
        if Ym.ndim != 2 or N0 is None or T0 is None:
            raise DesignError(Message("errors.robust.synthdid.give_y_n_t"))
        units, times = np.arange(Ym.shape[0]), tuple(range(Ym.shape[1]))
        if not np.isfinite(Ym).all():
            r, c = np.argwhere(~np.isfinite(Ym))[0]
            raise DataError(Message("errors.robust.synthdid.y_non_finite_value", r=r, c=c))
    N, T = Ym.shape
    if not (1 <= N0 < N and 1 <= T0 < T):
        raise DesignError(Message("errors.robust.synthdid.need_n0_n_t0", n0=N0, t0=T0,
                                  shape=Ym.shape))
    if T0 < 2 and method != "did":
        raise DesignError(Message("errors.robust.synthdid.synthetic_did_sc_need"))
    N1, T1 = N - N0, T - T0
    noise = float(np.std(np.diff(Ym[:N0, :T0], axis=1), ddof=1)) if T0 > 1 else 0.0
    if method == "sdid":
        opts = _Options(zeta_omega=(N1 * T1) ** 0.25 * noise, zeta_lambda=1e-6 * noise,
                        omega_intercept=True, lambda_intercept=True, update_omega=True,
                        update_lambda=True, min_decrease=1e-5 * noise)
        omega0, lam0 = None, None
    elif method == "sc":
        opts = _Options(zeta_omega=1e-6 * noise, zeta_lambda=1e-6 * noise,
                        omega_intercept=False, lambda_intercept=True, update_omega=True,
                        update_lambda=False, min_decrease=1e-5 * noise)
        omega0, lam0 = None, np.zeros(T0)
    else:
        opts = _Options(zeta_omega=(N1 * T1) ** 0.25 * noise, zeta_lambda=1e-6 * noise,
                        omega_intercept=True, lambda_intercept=True, update_omega=False,
                        update_lambda=False, min_decrease=1e-5 * noise)
        omega0, lam0 = np.full(N0, 1.0 / N0), np.full(T0, 1.0 / T0)
    ests, omegas, lams = _fit(Ym[None], N0, T0, opts,
                              None if omega0 is None else omega0[None],
                              None if lam0 is None else lam0[None])
    est, omega, lam = float(ests[0]), omegas[0], lams[0]

    reps = np.empty(0)
    se = np.nan
    if se_method is not None:
        if se_method in ("placebo", "bootstrap") and rng is None:
            raise DesignError(Message("errors.robust.synthdid.se_method_resamples_pass",
                                      se_method=se_method))
        reps, se = _standard_error(se_method, Ym, N0, T0, opts, omega, lam, replications, rng)

    treated_traj = Ym[N0:].mean(axis=0)
    synth_traj = omega @ Ym[:N0]
    return SynthDIDResult(
        method=method, estimate=est, std_error=float(se), se_method=se_method, omega=omega,
        lambda_weights=lam, control_units=tuple(units[:N0].tolist()),
        treated_units=tuple(units[N0:].tolist()), times=tuple(times), N0=N0, T0=T0,
        noise_level=noise, zeta_omega=opts.zeta_omega, zeta_lambda=opts.zeta_lambda,
        treated_trajectory=treated_traj, synthetic_trajectory=synth_traj, replicates=reps,
        alpha=alpha,
        provenance={"estimator": "synthdid", "method": method,
                    "paper": "Arkhangelsky et al. (2021, AER)",
                    "reference_implementation": "R synthdid (synthdid_estimate / sc_estimate / "
                                                "did_estimate, vcov methods)",
                    "se_method": se_method, "replications": replications if se_method in
                    ("placebo", "bootstrap") else None},
    )


def _standard_error(se_method: str, Y: np.ndarray, N0: int, T0: int, opts: _Options,
                    omega: np.ndarray, lam: np.ndarray, replications: int,
                    rng: np.random.Generator | None) -> tuple[np.ndarray, float]:
    N = Y.shape[0]
    N1 = N - N0
    if se_method == "placebo":
        if N0 <= N1:
            raise DesignError(Message("errors.robust.synthdid.placebo_standard_errors_need"))
        n0 = N0 - N1
        inds = np.array([rng.permutation(N0) for _ in range(replications)])
        omega_init = np.array([_sum_normalize(omega[ind[:n0]]) for ind in inds])
        lam_init = np.repeat(lam[None], replications, axis=0)
        reps = _fit(Y[inds], n0, T0, opts, omega_init, lam_init)[0]
        return reps, float(np.sqrt((replications - 1) / replications) * reps.std(ddof=1))
    if N0 == N - 1 and se_method == "bootstrap":
        raise DesignError(Message("errors.robust.synthdid.bootstrap_standard_errors_need"))
    if se_method == "bootstrap":
        reps = np.empty(replications)
        count = 0
        while count < replications:
            ind = np.sort(rng.integers(0, N, size=N))
            is_co = ind < N0
            if is_co.all() or (~is_co).all():
                continue
            reps[count] = _fit(Y[ind][None], int(is_co.sum()), T0, opts,
                               _sum_normalize(omega[ind[is_co]])[None], lam[None])[0][0]
            count += 1
        return reps, float(np.sqrt((replications - 1) / replications) * reps.std(ddof=1))
    # jackknife with fixed weights (Algorithm 3)
    if N0 == N - 1 or (omega != 0).sum() == 1:
        raise DesignError(Message("errors.robust.synthdid.jackknife_needs_more_than"))
    fixed = dataclasses.replace(opts, update_omega=False, update_lambda=False)
    reps = np.empty(N)
    for i in range(N):
        ind = np.delete(np.arange(N), i)
        is_co = ind < N0
        reps[i] = _fit(Y[ind][None], int(is_co.sum()), T0, fixed,
                       _sum_normalize(omega[ind[is_co]])[None], lam[None])[0][0]
    return reps, float(np.sqrt((N - 1) / N * (N - 1) * reps.var(ddof=1)))

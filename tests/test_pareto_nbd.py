"""Pareto/NBD: lifetimes' ParetoNBDFitter on CDNOW, closed forms by hand, the likelihood as
an integral, recovery of simulated parameters, the fit checks.

Reference: lifetimes 0.11.3's ``ParetoNBDFitter`` (where lifetimes is installed). Its
Nelder-Mead stops at ``tol=1e-4`` by default, which on the full CDNOW log leaves beta 2e-4
(relative) short of the optimum; the comparisons therefore run lifetimes with
``tol=1e-10`` and show separately that clvlib's optimum is at least as likely as lifetimes'
default answer.
"""

from __future__ import annotations

import warnings
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from clvlib.methods.btyd import EdgeOfParameterSpaceWarning
from clvlib.methods.pareto_nbd import ParetoNBDModel, _loglik, _loglik_terms

DATA = Path(__file__).resolve().parent / "data"
PARAMS = ["r", "alpha", "s", "beta"]


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """Published CDNOW 1/10-sample calibration summary (weeks), clvlib's column names."""
    raw = pd.read_csv(DATA / "models_cdnow_summary.csv", index_col="ID")
    return raw.rename(columns={"x": "frequency", "t_x": "recency"})[["frequency", "recency", "T"]]


@pytest.fixture(scope="module")
def cdnow_model(cdnow) -> ParetoNBDModel:
    return ParetoNBDModel().fit(cdnow)


def _lifetimes_fit(summary: pd.DataFrame, tol: float):
    lifetimes = pytest.importorskip("lifetimes", reason="lifetimes is the reference")
    return lifetimes.ParetoNBDFitter().fit(
        summary["frequency"],
        summary["recency"],
        summary["T"],
        initial_params=np.ones(4),  # the centre of lifetimes' random start: reproducible
        tol=tol,
        maxiter=20000,
    )


def _simulate(n, r, alpha, s, beta, T, rng) -> pd.DataFrame:
    """Pareto/NBD histories: Poisson purchases until an exponential death (or T)."""
    lam = rng.gamma(r, 1 / alpha, n)
    life = rng.exponential(1 / rng.gamma(s, 1 / beta, n)) if s > 0 else np.full(n, np.inf)
    end = np.minimum(life, T)
    x = rng.poisson(lam * end)
    # the last of x uniform purchase times on (0, end) is end * Beta(x, 1)
    t_x = np.where(x > 0, end * rng.beta(np.maximum(x, 1), 1), 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": np.full(n, float(T))})


# --------------------------------------------------------------------------------------
# lifetimes on CDNOW
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        [0.55, 10.6, 0.61, 11.7],  # alpha < beta, 2F1 by SciPy (argument near 0)
        [0.55, 11.7, 0.61, 10.6],  # alpha > beta
        [2.0, 3.0, 0.3, 3.0],  # alpha = beta
        [0.55, 0.3, 0.61, 40.0],  # alpha << beta: argument near 1, A0 by quadrature
        [0.55, 40.0, 2.5, 0.3],  # beta << alpha
        [7.2, 47.7, 22.1, 0.09],
    ],
)
def test_loglik_equals_lifetimes_on_every_branch_of_a0(cdnow, params):
    lifetimes = pytest.importorskip("lifetimes", reason="lifetimes is the reference")
    x, t_x, age = (cdnow[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    ours = _loglik(np.array(params), x, t_x, age)
    ref = lifetimes.ParetoNBDFitter._conditional_log_likelihood(params, x, t_x, age)
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-10)


def test_params_equal_lifetimes_on_cdnow_sample_to_4_significant_figures(cdnow, cdnow_model):
    reference = _lifetimes_fit(cdnow, tol=1e-10).params_
    np.testing.assert_allclose(cdnow_model.params_[PARAMS], reference[PARAMS], rtol=5e-4)
    # the CDNOW log-likelihood Fader & Hardie report for Pareto/NBD (weeks): -9595.0
    assert cdnow_model.log_likelihood_ == pytest.approx(-9595.0, abs=0.05)


def test_predictions_equal_lifetimes_at_the_same_params(cdnow, cdnow_model):
    lifetimes = pytest.importorskip("lifetimes", reason="lifetimes is the reference")
    ref = lifetimes.ParetoNBDFitter()
    ref.params_ = cdnow_model.params_.copy()
    f, r, T = (cdnow[c] for c in ("frequency", "recency", "T"))
    for t in (1.0, 39.0, 78.0):
        np.testing.assert_allclose(
            cdnow_model.expected_purchases(t, cdnow),
            ref.conditional_expected_number_of_purchases_up_to_time(t, f, r, T),
            rtol=1e-6,
        )
    np.testing.assert_allclose(
        cdnow_model.probability_alive(cdnow), ref.conditional_probability_alive(f, r, T), rtol=1e-6
    )


@pytest.mark.slow
def test_params_equal_lifetimes_on_full_cdnow_log():
    """All 23,570 customers, 39-week calibration to 1997-09-30 (lifetimes' raw file)."""
    pytest.importorskip("lifetimes", reason="the full CDNOW log ships with lifetimes")
    raw = pd.read_csv(
        files("lifetimes.datasets").joinpath("CDNOW_master.txt"),
        sep=r"\s+",
        header=0,
        names=["customer_id", "date", "quantity", "amount"],
        dtype={"date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    end = pd.Timestamp("1997-09-30")
    days = raw.loc[raw["date"] <= end, ["customer_id", "date"]].drop_duplicates()
    by = days.groupby("customer_id")["date"]
    first, last = by.min(), by.max()
    summary = pd.DataFrame(
        {
            "frequency": by.size() - 1,
            "recency": (last - first).dt.days / 7,
            "T": (end - first).dt.days / 7,
        }
    )
    assert len(summary) == 23570
    model = ParetoNBDModel().fit(summary)
    tight = _lifetimes_fit(summary, tol=1e-10).params_
    np.testing.assert_allclose(model.params_[PARAMS], tight[PARAMS], rtol=5e-4)
    # lifetimes' default stopping rule ends short of the optimum, never beyond it
    default = _lifetimes_fit(summary, tol=1e-4).params_
    x, t_x, age = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    assert model.log_likelihood_ >= _loglik(default[PARAMS].to_numpy(), x, t_x, age).sum()


# --------------------------------------------------------------------------------------
# by hand and by integral
# --------------------------------------------------------------------------------------


def _set(params: dict[str, float]) -> ParetoNBDModel:
    model = ParetoNBDModel()
    model.params_ = pd.Series(params, dtype=float)
    return model


def test_alpha_equal_beta_closed_forms_by_hand():
    """alpha = beta makes 2F1's argument 0, so A0 = (a+t_x)^-(r+s+x) - (a+T)^-(r+s+x).

    r = s = alpha = beta = 1: customer A (x=0, t_x=0, T=1): A0 = 1 - 1/4 = 3/4, odds of
    being dead = s/(r+s+x) * (1+T)^(r+x) (1+T)^s * A0 = 1/2 * 2 * 2 * 3/4 = 3/2, P(alive) =
    0.4; at s = 1, E[Y(1)] = (r+x)(1+T)/(1+T) * log(1 + 1/2) * 0.4 = 0.4 log 1.5.
    Customer B (x=2, t_x=1, T=3): A0 = 2^-4 - 4^-4 = 15/256, odds = 1/4 * 4^3 * 4 * 15/256
    = 15/4, P(alive) = 4/19; E[Y(4)] = 3 * log(2) * 4/19.
    """
    model = _set({"r": 1.0, "alpha": 1.0, "s": 1.0, "beta": 1.0})
    summary = pd.DataFrame(
        {"frequency": [0, 2], "recency": [0.0, 1.0], "T": [1.0, 3.0]}, index=["A", "B"]
    )
    alive = model.probability_alive(summary)
    np.testing.assert_allclose(alive, [0.4, 4 / 19], rtol=1e-12)
    assert list(alive.index) == ["A", "B"]
    np.testing.assert_allclose(model.expected_purchases(1.0, summary)["A"], 0.4 * np.log(1.5))
    np.testing.assert_allclose(model.expected_purchases(4.0, summary)["B"], 3 * np.log(2) * 4 / 19)


def test_expectation_is_continuous_at_s_equal_1(cdnow):
    at_one = _set({"r": 0.5, "alpha": 10.0, "s": 1.0, "beta": 12.0}).expected_purchases(39, cdnow)
    for s in (1 - 1e-7, 1 + 1e-7):
        near = _set({"r": 0.5, "alpha": 10.0, "s": s, "beta": 12.0}).expected_purchases(39, cdnow)
        np.testing.assert_allclose(near, at_one, rtol=1e-6)


@pytest.mark.parametrize("alpha, beta", [(4.0, 7.0), (7.0, 4.0), (0.05, 60.0), (60.0, 0.05)])
def test_likelihood_equals_the_integral_over_the_death_time(alpha, beta):
    """Alive at T, or dead at u in (t_x, T]; lambda and mu integrated out of each:

    L = Gamma(r+x) alpha^r beta^s / Gamma(r)
        * [(alpha+T)^-(r+x) (beta+T)^-s + s * integral (alpha+u)^-(r+x) (beta+u)^-(s+1) du],

    for both orders of alpha and beta and both ways A0 is computed (2F1, quadrature).
    """
    r, s = 1.3, 0.7
    for x, t_x, T in [(0, 0.0, 5.0), (3, 4.0, 6.0), (1, 2.5, 2.5), (12, 0.5, 39.0)]:
        dead, _ = integrate.quad(
            lambda u, x=x: (alpha + u) ** -(r + x) * (beta + u) ** -(s + 1),
            t_x,
            T,
            epsabs=0,
            epsrel=1e-12,
            limit=200,
        )
        alive = (alpha + T) ** -(r + x) * (beta + T) ** -s
        head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        expected = head + np.log(alive + s * dead)
        ours = _loglik(np.array([r, alpha, s, beta]), np.array([x]), np.array([t_x]), np.array([T]))
        np.testing.assert_allclose(ours[0], expected, rtol=1e-9, err_msg=str((x, t_x, T)))


@pytest.mark.parametrize(
    "params", [[0.55, 0.3, 0.61, 40.0], [0.55, 40.0, 2.5, 0.3], [0.55, 10.6, 0.61, 11.7]]
)
def test_gradient_equals_finite_differences_of_the_likelihood(cdnow, params):
    """Analytic where A0 is integrated (alpha, beta far apart), differences elsewhere."""
    x, t_x, age = (cdnow[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    p = np.array(params)
    _, grad = _loglik_terms(p, x, t_x, age)
    step = 1e-6
    for k in range(4):
        up, down = p.copy(), p.copy()
        up[k] *= np.exp(step)
        down[k] *= np.exp(-step)
        numeric = (_loglik(up, x, t_x, age) - _loglik(down, x, t_x, age)) / (2 * step)
        np.testing.assert_allclose(grad[:, k], numeric, rtol=1e-6, atol=1e-6, err_msg=str(k))


def test_recovers_simulated_parameters():
    truth = {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}
    summary = _simulate(4000, *truth.values(), T=39.0, rng=np.random.default_rng(1))
    p = ParetoNBDModel().fit(summary).params_
    # r and alpha are well identified; s and beta mostly through their ratio (mean death rate)
    assert p["r"] == pytest.approx(truth["r"], rel=0.1)
    assert p["alpha"] == pytest.approx(truth["alpha"], rel=0.1)
    assert p["s"] / p["beta"] == pytest.approx(truth["s"] / truth["beta"], rel=0.1)


def test_time_unit_scales_alpha_and_beta_only(cdnow, cdnow_model):
    days = cdnow.assign(recency=cdnow["recency"] * 7, T=cdnow["T"] * 7)
    in_days = ParetoNBDModel().fit(days)
    np.testing.assert_allclose(
        in_days.params_[PARAMS], cdnow_model.params_[PARAMS] * [1, 7, 1, 7], rtol=1e-4
    )
    np.testing.assert_allclose(
        in_days.expected_purchases(39 * 7, days),
        cdnow_model.expected_purchases(39, cdnow),
        rtol=1e-4,
    )


# --------------------------------------------------------------------------------------
# fit checks, validation
# --------------------------------------------------------------------------------------


def test_no_dropout_is_flagged_as_the_edge_of_the_model():
    summary = _simulate(400, 0.8, 10.0, 0.0, 1.0, T=39.0, rng=np.random.default_rng(2))
    with pytest.warns(EdgeOfParameterSpaceWarning) as caught:
        model = ParetoNBDModel().fit(summary)
    assert len(caught) == 1  # said once, in words
    assert "no sign of drop-out" in str(caught[0].message)
    assert model.dropout_share_ < 0.01


def test_drop_out_data_fit_without_warning(cdnow, cdnow_model):
    with warnings.catch_warnings():
        warnings.simplefilter("error", EdgeOfParameterSpaceWarning)
        ParetoNBDModel().fit(cdnow)
    # 1 - (beta / (beta + max T))^s = 1 - (11.668 / (11.668 + 38.86))^0.6062 = 0.589
    assert cdnow_model.dropout_share_ == pytest.approx(0.589, abs=0.001)


def test_penalizer_shrinks_the_unit_free_parameters(cdnow, cdnow_model):
    penalised = ParetoNBDModel(penalizer=0.1).fit(cdnow)
    scale = np.array([1, 1 / cdnow["T"].max(), 1, 1 / cdnow["T"].max()])
    plain = np.sum((cdnow_model.params_[PARAMS].to_numpy() * scale) ** 2)
    assert np.sum((penalised.params_[PARAMS].to_numpy() * scale) ** 2) < plain
    assert penalised.log_likelihood_ < cdnow_model.log_likelihood_


def test_parameters_are_validated_by_scikit_learn(cdnow):
    with pytest.raises(InvalidParameterError, match="penalizer"):
        ParetoNBDModel(penalizer=-1.0).fit(cdnow)
    with pytest.raises(InvalidParameterError, match="penalizer"):
        ParetoNBDModel(penalizer="a little").fit(cdnow)


def test_unfitted_and_bad_inputs_are_refused(cdnow):
    with pytest.raises(NotFittedError):
        ParetoNBDModel().probability_alive(cdnow)
    with pytest.raises(KeyError, match=r"\['T'\]"):
        ParetoNBDModel().fit(cdnow.drop(columns="T"))
    with pytest.raises(ValueError, match="no customer has a repeat purchase"):
        ParetoNBDModel().fit(cdnow.assign(frequency=0, recency=0.0))
    with pytest.raises(ValueError, match="recency is larger than T"):
        ParetoNBDModel().fit(cdnow.assign(recency=cdnow["T"] + 1))
    with pytest.raises(ValueError, match="horizon"):
        _set({"r": 1.0, "alpha": 1.0, "s": 1.0, "beta": 1.0}).expected_purchases(-1, cdnow)


def test_probabilistic_clv_with_pareto_nbd_is_its_purchases_times_gamma_gamma(cdnow):
    """The pareto_nbd reference: Pareto/NBD purchases x the Gamma-Gamma of BG/NBD + GG."""
    from clvlib.methods.btyd import ProbabilisticCLV

    summary = cdnow.assign(monetary_value=np.where(cdnow["frequency"] > 0, 30.0, 0.0))
    summary.loc[summary.index[::7], "monetary_value"] *= 2
    both = ProbabilisticCLV(purchases="pareto_nbd").fit(summary)
    bg = ProbabilisticCLV().fit(summary)
    assert isinstance(both.purchases_model_, ParetoNBDModel)
    pd.testing.assert_series_equal(both.value_model_.params_, bg.value_model_.params_)
    parts = both.predict_components(summary, horizon=39.0)
    expected = both.purchases_model_.expected_purchases(39.0, summary)
    np.testing.assert_allclose(parts["expected_purchases"], expected)
    np.testing.assert_allclose(both.predict(summary, horizon=39.0), parts["predicted_value"])
    assert both.dropout_share_ == both.purchases_model_.dropout_share_


def test_the_death_integral_in_chunks_is_the_one_of_a_single_call():
    # chunks of customers bound the memory (145 nodes per customer); each customer is
    # reduced over its own nodes, so the values are the same floats
    from clvlib.methods import pareto_nbd as pnbd

    rng = np.random.default_rng(1)
    n = 2 * pnbd._QUADRATURE_ROWS + 5
    x = rng.integers(0, 30, n).astype(float)
    age = rng.uniform(0.05, 1.0, n)
    t_x = age * rng.uniform(0, 1, n)
    for params in ([0.8, 0.3, 0.5, 2.0], [1.2, 4.0, 0.7, 0.2]):
        whole = pnbd._log_death_integral_rows(np.array(params), x, t_x, age)
        chunked = pnbd._log_death_integral(np.array(params), x, t_x, age)
        assert np.array_equal(whole[0], chunked[0]) and np.array_equal(whole[1], chunked[1])


def _repeated_histories(n: int = 3000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Histories on a coarse grid, so that many share a history, (x, t_x) or (x, T)."""
    rng = np.random.default_rng(2)
    x = rng.integers(0, 12, n).astype(float)
    age = rng.integers(1, 40, n) / 40.0
    t_x = np.where(x > 0, np.floor(age * 40 * rng.uniform(0, 1, n)) / 40.0, 0.0)
    return x, t_x, age


@pytest.mark.parametrize(
    "params",
    [[0.8, 0.2, 0.5, 1.0], [1.2, 4.0, 0.7, 0.2], [0.6, 2.0, 0.9, 2.5], [2.0, 1.0, 0.3, 1.0]],
)
def test_a0_per_pair_and_scores_per_history_are_the_same_floats(params):
    # F(t_x) and F(T) computed once per distinct (x, t_x) / (x, T), the likelihood terms with
    # them, and probability_alive once per distinct history: each row's value is the one it
    # gets on its own (branches: 2F1 with either b', the integral, both in one call)
    from clvlib.methods import pareto_nbd as pnbd

    x, t_x, age = _repeated_histories()
    params = np.array(params)
    pairs = pnbd._Pairs.of(x, t_x, age)
    assert len(pairs.last_x) < x.size and len(pairs.end_x) < x.size
    assert np.array_equal(
        pnbd._log_a0(params, x, t_x, age), pnbd._log_a0(params, x, t_x, age, pairs)
    )
    plain, shared = _loglik_terms(params, x, t_x, age), _loglik_terms(params, x, t_x, age, pairs)
    assert np.array_equal(plain[0], shared[0]) and np.array_equal(plain[1], shared[1])
    model = ParetoNBDModel()
    model.params_ = pd.Series(dict(zip(["r", "alpha", "s", "beta"], params, strict=True)))
    by_row = np.concatenate(
        [model._probability_alive(x[i : i + 1], t_x[i : i + 1], age[i : i + 1]) for i in range(50)]
    )
    assert np.array_equal(by_row, model._probability_alive(x, t_x, age)[:50])

"""A Gaussian negative log-likelihood: SymPy's π in a definition, and in an answer."""
from sympy import Rational, Sum, exp, log, pi, sqrt

from derive.spec import D, Spec

SPEC = Spec(id="gauss-nll", title="Gaussian NLL", source="test course",
            statement=r"$L = \frac1N \sum_n \left(\frac12 \log 2\pi + \log \sigma_n "
                      r"+ \frac{(x_n - \mu_n)^2}{2\sigma_n^2}\right)$; the density $p_n$ of $x_n$.")
N = SPEC.dim("N")
n, m = SPEC.indices("n m", range=N)
x = SPEC.tensor("x", N)
mu = SPEC.tensor("mu", N, latex=r"\mu", text="μ")
sig = SPEC.tensor("sigma", N, latex=r"\sigma", text="σ", sample="positive")
L = SPEC.scalar("L")
SPEC.define(L, Sum(Rational(1, 2) * log(2 * pi) + log(sig[m]) + (x[m] - mu[m]) ** 2 / (2 * sig[m] ** 2),
                   (m, 1, N)) / N)
SPEC.part("dL-dmu", r"Find $\partial L/\partial \mu$.", target=D(L, mu[n]),
          reference=(mu[n] - x[n]) / (N * sig[n] ** 2), free=(n,), matrix=True)
SPEC.part("dL-dsigma", r"Find $\partial L/\partial \sigma$.", target=D(L, sig[n]),
          reference=(1 / sig[n] - (x[n] - mu[n]) ** 2 / sig[n] ** 3) / N, free=(n,), matrix=True)
SPEC.part("density", r"Find $\partial p_n/\partial \mu_n$ for $p_n = e^{-(x_n - \mu_n)^2/2}/\sqrt{2\pi}$.",
          target=D(exp(-(x[n] - mu[n]) ** 2 / 2) / sqrt(2 * pi), mu[n]),
          reference=(x[n] - mu[n]) * exp(-(x[n] - mu[n]) ** 2 / 2) / sqrt(2 * pi), free=(n,))

"""Probability distributions of measures, cell by cell: ``tt.stats.t.ppf(0.975, degrees_of_freedom=m["n"] - 1)``.

Each distribution module has ``cdf``, ``pdf`` and ``ppf`` (the inverse of the cdf). They are
experimental in atoti 0.9: call them inside ``with tt.experimental({"stats.t.ppf"}):``.

A confidence interval of a mean, for example, is the Student quantile times the standard error::

    with tt.experimental({"stats.t.ppf"}):
        m["t"] = tt.stats.t.ppf(0.975, degrees_of_freedom=m["contributors.COUNT"] - 1)
    m["CI 95%"] = m["t"] * m["x.STD"] / tt.math.sqrt(m["contributors.COUNT"])
"""

from . import beta, chi2, f, normal, t

__all__ = ["beta", "chi2", "f", "normal", "t"]

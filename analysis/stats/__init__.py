"""The statistics API: one function per test, each returning its documented tidy long frame.

``crosstab``            chi-square tests, Fisher's exact test, phi / Cramer's V (SPSS CROSSTABS)
``mann_whitney``        Mann-Whitney U with ranks, W, Z, exact p, r (SPSS NPAR TESTS /M-W)
``welch_t``             Welch's unequal-variance t-test with Hedges' g
``logistic_regression`` binary logistic regression (SPSS LOGISTIC REGRESSION); Firth if separated
``lilliefors``          Kolmogorov-Smirnov with the Lilliefors correction (SPSS EXAMINE)
``shapiro_wilk``        Shapiro-Wilk (SPSS EXAMINE)
``normality_table``     both normality tests for several variables and groups
``holm``, ``benjamini_hochberg``  multiplicity-adjusted p-values
``wilson_interval``     Wilson score interval of a proportion
``svy_crosstab``        design-based crosstab: weighted shares, Rao-Scott chi-square (survey)
``svy_logit``           survey-weighted logistic regression, linearized standard errors
``svy_rank_test``       design-based Wilcoxon-Mann-Whitney rank test (Lumley & Scott)

:mod:`analysis.stats.registry` describes each test the engine can run (its function, the row
that decides significance, its effect size, its tables and figures).
"""

from analysis.stats._common import wilson_interval
from analysis.stats.contingency import crosstab
from analysis.stats.multiplicity import benjamini_hochberg, holm
from analysis.stats.nonparametric import mann_whitney
from analysis.stats.normality import lilliefors, normality_table, shapiro_wilk
from analysis.stats.parametric import welch_t
from analysis.stats.regression import logistic_regression
from analysis.stats.survey import svy_crosstab, svy_logit, svy_rank_test

__all__ = [
    "benjamini_hochberg",
    "crosstab",
    "holm",
    "lilliefors",
    "logistic_regression",
    "mann_whitney",
    "normality_table",
    "shapiro_wilk",
    "svy_crosstab",
    "svy_logit",
    "svy_rank_test",
    "welch_t",
    "wilson_interval",
]

"""Replication pipeline for a mixed-methods study of SME internationalization.

Modules, in the order data flows through them:

``synthetic``   seeded generator of firm-year panels with the study's design
``config``      loading and checking the configuration, presets
``ingest``      reading a panel file and mapping it onto the canonical variables
``validate``    checking a canonical panel against the codebook; exclusions ledger
``derive``      derived variables (SME status, internationalization, bands, ROTA, age)
``pool``        pooling the country panels, reconciled counts
``normality``   Kolmogorov-Smirnov (Lilliefors) and Shapiro-Wilk tables
``tests``       chi-square crosstabs, Mann-Whitney, binary logistic regression
``hypotheses``  the generic engine that runs hypothesis specs; verdicts
``tables``      SPSS-style and journal tables
``plots``       figures
``report``      the HTML report and provenance
``cases``       the qualitative arm: case firms, coding frame, pathways
``pathways``    pathways of internationalization from panel data
``integration`` the mixed-methods joint display

Helpers: ``errors`` (input errors that name file, row, column and value), ``runlog`` (running a
stage from a Snakemake script with its log; deterministic CSV/JSON writers).

Importing the package imports nothing heavy; import the submodule you need.
"""

__version__ = "0.1.0"

"""Replication pipeline for a mixed-methods study of SME internationalization.

Subpackages, in the order data flows through them (each imports only from those before it):

``data``     synthetic (seeded generator), ingest (file -> canonical variables), validate
             (codebook checks, exclusions ledger), derive (SME status, bands, ROTA), pool
``stats``    one module per family of tests -- contingency, nonparametric, parametric,
             regression, normality, multiplicity -- and ``registry``, one entry per test the
             engine can run; ``analysis.stats`` is the public statistics API
``engine``   specs (hypotheses.yaml and its schema), choice (normality pretests), comparisons
             (runs every spec year by year and pooled), verdicts, stages
``render``   format (the one formatter of p-values and numbers), table (the Table, its
             readers and writers), spss (SPSS-layout tables: the builders registry entries
             name, and declarative tables), journal (summaries, Table 1, Table 2), figures,
             report; each reads what a test is from ``stats.registry``
``qual``     the qualitative arm: cases (case firms, coding frame), pathways (panel firms),
             integration (the joint display)

Helpers: ``columns`` (the results schema's column constants), ``config`` (loading and checking
configuration against the schemas in ``schemas/``), ``errors`` (input errors that name file,
row, column and value), ``runlog`` (running a stage with its log; deterministic writers).

Importing the package imports nothing heavy; import the submodule you need.
"""

__version__ = "0.1.0"

"""How much to believe each verdict: simulated error rates and power of the whole decision rule,
a calibrated synthetic process, a specification curve and firm-level bootstrap intervals.

Every function here reuses the engine (:func:`analysis.engine.comparisons.run_hypotheses`) on
simulated or resampled panels; nothing here re-implements a test. Outputs are CSV files under
``results/believe/`` that the render layer reads (render never imports this package).
"""

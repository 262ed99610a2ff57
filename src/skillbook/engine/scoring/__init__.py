"""Scoring: which checks a lesson's graders hold (known), the points a run's reported verdicts earn (points), and the result objects every report reads (results)."""

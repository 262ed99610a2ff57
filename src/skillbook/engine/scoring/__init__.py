"""Scoring: which checks a lesson's graders hold (known), and the points a run's reported verdicts earn (points)."""

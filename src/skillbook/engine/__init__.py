"""Grading one notebook: load it without a kernel (loading/), run the lesson's pytest graders on it in
a worker process (grade, worker, pytest_plugin), warm (forkserver) and walled in (sandbox, limits),
on an isolated database (databases); results and their cache.

It serves the learner, the instructor and the skill wings, and imports none of them."""

"""Apps the L09 graders run the learner's code against, and the learner's tests on.

- reference.py: a correct service layer and app (FilterError, Page, filter_conditions, paginate, save,
  ServiceBase, ProjectService, TaskService, get_session, create_app). The graders of one exercise put
  these in place of the learner's other exercises, so a bug costs points where it is, not twice.
- every other module: the reference app with one mistake a client can see. The testing exercise
  (L09.app_tests) runs the learner's tests on each: at least one test must fail.

Each app module has `create_app(database_url)` and the `get_session` dependency its routes use.
"""

BROKEN = ("created_200", "missing_200", "conflict_500", "filters_ignored", "page_off_by_one", "no_rollback", "patch_resets_fields")

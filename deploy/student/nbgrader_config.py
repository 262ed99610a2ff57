"""nbgrader for every single-user server (/etc/jupyter/nbgrader_config.py in the user image).

Students see the course's assignments in the exchange that every server mounts, and JupyterHub's
groups decide who is in the course (nbgrader-build-your-database-skill) or grades it
(formgrade-build-your-database-skill). A learner submits under their JupyterHub name, not the OS
account their server runs as (jovyan in most images; every server shares one account in
deploy/local/).
"""

import os

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821 (nbgrader provides it)

c.CourseDirectory.course_id = "build-your-database-skill"
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True
c.Authenticator.plugin_class = JupyterHubAuthPlugin
if os.environ.get("JUPYTERHUB_USER"):  # set by the hub in every single-user server
    c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]

"""JupyterHub for Build Your Database Skill beyond one machine (deploy/README.md says how to run it).

Every student and instructor gets a single-user server from the spawner you choose (DockerSpawner
on a swarm, KubeSpawner, SystemdSpawner on one big host); each server mounts the same exchange
folder, so nbgrader's release/fetch/submit/collect work between them. The course's formgrader runs
as a hub service under a grader account; its gradebook is a PostgreSQL database any grader can reach.
Nothing secret is written here: it all comes from the environment.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub provides it)

COURSE_ID = "build-your-database-skill"  # = the service's name = CourseDirectory.course_id everywhere
GRADER = f"grader-{COURSE_ID}"  # the account that owns the course directory and runs the formgrader
INSTRUCTORS = set(filter(None, os.environ.get("COURSE_INSTRUCTORS", "").split(",")))
ROSTER = Path(os.environ.get("COURSE_ROSTER", "/srv/jupyterhub/students.txt"))  # one username a line
STUDENTS = set(ROSTER.read_text().split()) if ROSTER.is_file() else set()

c.JupyterHub.bind_url = os.environ.get("HUB_BIND_URL", "http://:8000")
# The hub's own state; PostgreSQL when the hub itself is replicated or moved.
c.JupyterHub.db_url = os.environ.get("JUPYTERHUB_DB_URL", "sqlite:////srv/jupyterhub/jupyterhub.sqlite")
c.JupyterHub.authenticator_class = os.environ.get("HUB_AUTHENTICATOR", "pam")
c.Authenticator.admin_users = INSTRUCTORS
c.Authenticator.allowed_users = INSTRUCTORS | STUDENTS | {GRADER}

c.Spawner.default_url = "/lab"
# nbgrader's JupyterHubAuthPlugin asks the hub, with the server's own token, which groups (courses)
# its learner is in: the token needs read:users:groups on its user besides the default two scopes.
c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server", "read:users:groups!user"]
c.Spawner.mem_limit = os.environ.get("HUB_MEM_LIMIT", "2G")  # container spawners enforce these
c.Spawner.cpu_limit = float(os.environ.get("HUB_CPU_LIMIT", "1"))

# nbgrader's JupyterHubAuthPlugin reads course membership from these two groups.
c.JupyterHub.load_groups = {
    f"formgrade-{COURSE_ID}": {"users": sorted(INSTRUCTORS | {GRADER})},
    f"nbgrader-{COURSE_ID}": {"users": sorted(STUDENTS)},
}
c.JupyterHub.load_roles = [
    # instructors may open the course's formgrader service; students may not
    {"name": "formgrader", "groups": [f"formgrade-{COURSE_ID}"], "scopes": [f"access:services!service={COURSE_ID}"]},
    # the service adds students to the course group (`nbgrader db student add`) and lists them
    {"name": "course-service", "services": [COURSE_ID],
     "scopes": ["list:users", "read:users", "list:groups", "read:groups", "groups"]},
]
c.JupyterHub.services = [
    {
        "name": COURSE_ID,
        "url": "http://127.0.0.1:9999",
        "command": ["jupyterhub-singleuser", "--port=9999"],
        "user": GRADER,
        "cwd": f"/home/{GRADER}",
        # what the grader's nbgrader_config.py reads, forwarded from the hub's environment when set
        "environment": {"JUPYTERHUB_DEFAULT_URL": "/lab", **{
            name: os.environ[name] for name in ("COURSE_DIR", "SKILLBOOK_KIT", "NBGRADER_DB_URL", "NBGRADER_EXCHANGE")
            if name in os.environ}},
        "oauth_no_confirm": True,
    }
]

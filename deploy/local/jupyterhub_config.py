"""deploy/jupyterhub_config.py on one machine, every user as this machine's own OS user: for trying the
set-up and for tests/instructor/test_hub.py. Never for a class (deploy/README.md, "One machine").

    HUB_LOCAL_DIR=/tmp/hub HUB_LOCAL_PASSWORD=... COURSE_INSTRUCTORS=grace COURSE_ROSTER=students.txt \
        .venv/bin/jupyterhub -f deploy/local/jupyterhub_config.py

It loads deploy/jupyterhub_config.py, then changes only what one machine without accounts needs:

- DummyAuthenticator: every allowed user logs in with HUB_LOCAL_PASSWORD;
- SimpleLocalProcessSpawner: each user's JupyterLab is a local process with its own home folder,
  HUB_LOCAL_DIR/home/<user> (as root, with --allow-root); it reads deploy/student/ as its
  /etc/jupyter (JUPYTER_CONFIG_PATH);
- the formgrader service runs as this OS user too, in HUB_LOCAL_DIR/home/grader-<course>, reading
  deploy/instructor/ the same way instead of ~/.jupyter; its course folder is course/ there (releases
  in course/release, never the kit's lessons/), its gradebook NBGRADER_DB_URL (default SQLite in it);
- the exchange is HUB_LOCAL_DIR/exchange (mode 1777, as on a real shared volume), the hub's database and
  cookie secret are in HUB_LOCAL_DIR, and the proxy is the Python configurable-http-proxy installed
  beside JupyterHub by `make setup` (the Node.js one takes the same options);
- the hub's own ports are free ones picked at start; HUB_BIND_URL is the one to open.
"""

import os
import socket
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub provides it)
DEPLOY = Path(__file__).resolve().parents[1]
load_subconfig(str(DEPLOY / "jupyterhub_config.py"))  # noqa: F821

STATE = Path(os.environ["HUB_LOCAL_DIR"]).resolve()
HOMES = STATE / "home"
EXCHANGE = Path(os.environ.setdefault("NBGRADER_EXCHANGE", str(STATE / "exchange")))
as_root = ["--allow-root"] if os.getuid() == 0 else []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


for folder in (HOMES, EXCHANGE):
    folder.mkdir(parents=True, exist_ok=True)
EXCHANGE.chmod(0o1777)  # deploy/README.md step 2: everyone writes, nobody removes another's files

c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [str(Path(sys.executable).parent / "configurable-http-proxy")]

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["HUB_LOCAL_PASSWORD"]

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(HOMES / "{username}")
c.Spawner.args = as_root
c.Spawner.environment = {"JUPYTER_CONFIG_PATH": str(DEPLOY / "student"), "NBGRADER_EXCHANGE": str(EXCHANGE)}
# a loaded two-core machine starts four JupyterLabs at once
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180

service = c.JupyterHub.services[0]
grader_home = HOMES / service["user"]
(grader_home / "course").mkdir(parents=True, exist_ok=True)
port = free_port()
del service["user"]  # run as the hub's own OS user
service.update(
    url=f"http://127.0.0.1:{port}",
    command=["jupyterhub-singleuser", f"--port={port}", *as_root],
    cwd=str(grader_home),
    environment={
        **service["environment"],
        "HOME": str(grader_home),
        "JUPYTER_CONFIG_PATH": str(DEPLOY / "instructor"),
        "COURSE_DIR": os.environ.get("COURSE_DIR", str(grader_home / "course")),
        "SKILLBOOK_KIT": os.environ.get("SKILLBOOK_KIT", str(DEPLOY.parent)),
        # releases go into the course folder, never over the kit's own lessons/
        "SKILLBOOK_RELEASE_DIR": os.environ.get("SKILLBOOK_RELEASE_DIR", str(grader_home / "course" / "release")),
        "NBGRADER_DB_URL": os.environ.get("NBGRADER_DB_URL", f"sqlite:///{grader_home / 'course' / 'gradebook.db'}"),
        "NBGRADER_EXCHANGE": str(EXCHANGE),
    },
)

"""A class on a real JupyterHub: deploy/local/jupyterhub_config.py (which loads deploy/jupyterhub_config.py),
one instructor and three learners through L05, every step through the hub and the users' servers.

    hub        jupyterhub + the Python configurable-http-proxy, DummyAuthenticator (one fixed password),
               SimpleLocalProcessSpawner (each learner's JupyterLab a local process, its own home folder)
    instructor grace, through the formgrader service (the grader account's server, deploy/'s service):
               generate + release L05 -> the exchange; later collect, release_feedback
    learners   ada (the solution), linus (delete_task wrong), mary (blank), each in their own server
               through nbgrader's assignment handlers (fetch, submit, fetch_feedback) and Jupyter Server's
               contents API (open the fetched notebook, save the answers)
    grader     `skillbook grade-class`, `skillbook feedback`, `nbgrader export`: the commands an instructor
               types in the grader's terminal, in its home folder with its nbgrader_config.py

The gradebook is PostgreSQL (a database of its own) when TEST_DATABASE_URL is set, else SQLite.

Every user is this machine's one OS user (root here), so the exchange's Unix permissions protect
nothing in this test (root reads everything); what it shows is that nbgrader sets them as a shared
exchange needs (deploy/README.md, "The exchange's permissions"), that each learner submits under
their hub name, and that a learner's fetch_feedback brings back only their own page.
"""

import csv
import json
import os
import secrets
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nbformat
import psutil
import pytest
from sqlalchemy import make_url

from skillbook.course import manifest, paths
from tests.builders import solution_path
from tests.conftest import POSTGRES_URL
from tests.graders.cases.L05 import WRONG

# In the graded class's group (tests/instructor/conftest.py): never beside its time-limited grading.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900), pytest.mark.xdist_group("graded-class")]

COURSE = "build-your-database-skill"
LESSON = manifest.lesson("L05")
INSTRUCTOR, LEARNERS = "grace", ("ada", "linus", "mary")
PASSWORD = "test-password-for-the-kit's-hub"
BIN = Path(sys.executable).parent
WRONG_ANSWER, WRONG_EXERCISE = WRONG["delete-without-commit"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(what: str, ready, seconds: float = 240, every: float = 0.5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = ready()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"{what}: not after {seconds:g} s")


class Hub:
    def __init__(self, url: str, log: Path) -> None:
        self.url, self.log = url, log
        self.http = httpx.Client(base_url=url, timeout=120)
        self.tokens: dict[str, str] = {}

    def call(self, user: str, method: str, path: str, **kwargs) -> httpx.Response:
        reply = self.http.request(method, path, headers={"Authorization": f"token {self.tokens[user]}"}, **kwargs)
        assert reply.status_code < 400, f"{method} {path} as {user}: {reply.status_code} {reply.text[:2000]}"
        return reply

    def log_in(self, user: str) -> None:
        """A token for the user, from their password (the hub's API, as a script logs in)."""
        reply = self.http.post(f"/hub/api/users/{user}/tokens",
                               json={"auth": {"username": user, "password": PASSWORD}, "note": "test"})
        assert reply.status_code == 201, reply.text
        self.tokens[user] = reply.json()["token"]

    def server_ready(self, user: str) -> bool:
        servers = self.call(user, "GET", f"/hub/api/users/{user}").json().get("servers", {})
        return bool(servers.get("", {}).get("ready"))

    def formgrader(self, action: str) -> dict:
        """POST /formgrader/api/assignment/L05_crud/<action> on the course's service, as the instructor."""
        reply = self.call(INSTRUCTOR, "POST", f"/services/{COURSE}/formgrader/api/assignment/{LESSON.dir}/{action}")
        done = reply.json()
        assert done["success"], f"{action}: {done}"
        return done

    def assignments(self, learner: str, action: str | None = None) -> dict[str, dict]:
        """nbgrader's assignment handlers in the learner's server (after an action: fetch, submit, ...):
        L05 as released or fetched ("released"), and the learner's submissions ("submitted")."""
        base = f"/user/{learner}/assignments"
        if action:
            reply = self.call(learner, "POST", f"{base}/{action}", json={"course_id": COURSE, "assignment_id": LESSON.dir})
        else:
            reply = self.call(learner, "GET", base, params={"course_id": COURSE})
        listed = reply.json()
        assert listed.get("success", True), f"{learner} {action}: {listed}"
        found = {}
        for each in listed["value"]:
            if each["assignment_id"] == LESSON.dir:
                kind = "submitted" if "submissions" in each else "released"
                assert kind not in found, listed
                found[kind] = each
        return found

    def contents(self, user: str, path: str, model: dict | None = None) -> dict:
        url = f"/user/{user}/api/contents/{path}"
        if model is None:
            return self.call(user, "GET", url, params={"content": 1}).json()
        return self.call(user, "PUT", url, json=model).json()


def _start(tmp: Path, env: dict) -> tuple[subprocess.Popen, Hub]:
    log = tmp / "hub.log"
    with log.open("w") as out:
        hub = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(paths.repo_root() / "deploy/local/jupyterhub_config.py")],
                               cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    client = Hub(env["HUB_BIND_URL"], log)

    def up():
        if hub.poll() is not None:
            raise AssertionError(f"jupyterhub exited {hub.returncode}:\n{log.read_text()[-5000:]}")
        try:
            return client.http.get("/hub/api/").status_code == 200
        except httpx.TransportError:
            return False

    try:
        _wait("the hub answers", up)
    except BaseException:
        _stop(hub, client)
        raise
    return hub, client


def _stop(hub: subprocess.Popen, client: Hub) -> None:
    """The hub and everything it started (servers and the service run in sessions of their own)."""
    client.http.close()
    try:
        family = [psutil.Process(hub.pid), *psutil.Process(hub.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    for process in family:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(family, timeout=10)
    for process in alive:
        process.kill()
    hub.wait(timeout=30)


def _gradebook(tmp: Path):
    """(url for nbgrader, drop it afterwards): a database of its own on the test server, or SQLite."""
    if not POSTGRES_URL:
        return f"sqlite:///{tmp / 'gradebook.db'}", lambda: None
    from pg8000.native import Connection

    server = make_url(POSTGRES_URL).set(drivername="postgresql+pg8000")
    name = f"hub_gradebook_{secrets.token_hex(4)}"

    def admin(sql: str) -> None:
        db = Connection(server.username, host=server.host, port=server.port or 5432, database=server.database,
                        password=server.password)
        try:
            db.run(sql)
        finally:
            db.close()

    admin(f'CREATE DATABASE "{name}"')
    return server.set(database=name).render_as_string(hide_password=False), lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _answer(notebook: dict, learner: str) -> dict | None:
    """The fetched notebook with the learner's answers in its solution cells (None: left blank)."""
    if learner == "mary":
        return None
    solution = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source
                for cell in nbformat.read(solution_path("L05"), as_version=4).cells}
    if learner == "linus":
        solution.update(WRONG_ANSWER)
    for cell in notebook["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in solution:
            cell["source"] = solution[meta["grade_id"]]
    return notebook


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_class_through_jupyterhub_and_nbgrader_exchange(tmp_path):
    started = time.monotonic()
    phases = []

    def phase(name: str) -> None:
        phases.append(f"{name} {time.monotonic() - started:.0f} s")

    roster = tmp_path / "students.txt"
    roster.write_text("\n".join(LEARNERS) + "\n")
    gradebook, drop_gradebook = _gradebook(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL", "COURSE_DIR")}
    env.update(PATH=f"{BIN}{os.pathsep}{env['PATH']}", HUB_BIND_URL=f"http://127.0.0.1:{_free_port()}",
               HUB_LOCAL_DIR=str(tmp_path / "hub"), HUB_LOCAL_PASSWORD=PASSWORD, COURSE_INSTRUCTORS=INSTRUCTOR,
               COURSE_ROSTER=str(roster), SKILLBOOK_KIT=str(paths.repo_root()), NBGRADER_DB_URL=gradebook)
    grader_home = tmp_path / "hub" / "home" / f"grader-{COURSE}"
    course, exchange = grader_home / "course", tmp_path / "hub" / "exchange"
    hub, client = _start(tmp_path, env)
    try:
        for user in (INSTRUCTOR, *LEARNERS):
            client.log_in(user)
        phase("hub up")
        for learner in LEARNERS:  # each learner starts their own JupyterLab
            client.call(learner, "POST", f"/hub/api/users/{learner}/server")
        for learner in LEARNERS:
            _wait(f"{learner}'s server", lambda: client.server_ready(learner))
        status = f"/services/{COURSE}/formgrader/api/status"
        _wait("the formgrader service", lambda: client.http.get(
            status, headers={"Authorization": f"token {client.tokens[INSTRUCTOR]}"}).status_code == 200)
        a_learner_is_refused = client.http.get(status, headers={"Authorization": f"token {client.tokens['ada']}"})
        assert a_learner_is_refused.status_code == 403
        phase("servers up")

        # The instructor generates L05 into the gradebook and releases it to the exchange.
        client.formgrader("assign")
        client.formgrader("release")
        inbound, outbound = exchange / COURSE / "inbound", exchange / COURSE / "outbound"
        assert _mode(exchange) == 0o1777 and _mode(outbound) == 0o755
        assert _mode(inbound) == 0o2733  # learners may drop submissions in, never list or read them
        phase("released")

        # Each learner sees it, fetches it into their home, answers in their server, submits.
        fetched = {}
        for learner in LEARNERS:
            assert client.assignments(learner)["released"]["status"] == "released"
            mine = client.assignments(learner, "fetch")["released"]
            assert mine["status"] == "fetched"
            [notebook] = mine["notebooks"]
            fetched[learner] = notebook["path"]
            model = client.contents(learner, fetched[learner])
            answered = _answer(model["content"], learner)
            if answered is not None:
                client.contents(learner, fetched[learner], {"type": "notebook", "format": "json", "content": answered})
            [mine] = client.assignments(learner, "submit")["submitted"]["submissions"]
            assert mine["status"] == "submitted" and mine["student_id"] == learner
        assert sorted(path.name.split("+")[0] for path in inbound.iterdir()) == sorted(LEARNERS)  # by hub name
        phase("submitted")

        # The instructor collects; grade-class, feedback, export run in the grader's terminal.
        client.formgrader("collect")
        grader = {**env, "HOME": str(grader_home), "JUPYTER_CONFIG_PATH": str(paths.repo_root() / "deploy/instructor"),
                  "COURSE_DIR": str(course), "SKILLBOOK_RELEASE_DIR": str(course / "release"), "NBGRADER_EXCHANGE": str(exchange)}

        def terminal(*command: str) -> str:
            done = subprocess.run(command, cwd=grader_home, env=grader, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
            return done.stdout

        graded = terminal(str(BIN / "skillbook"), "grade-class", "--course", str(course), "--gradebook", gradebook,
                          "--lesson", "L05", "--jobs", "2")
        assert "Graded 3 submissions" in graded and "Could not be graded normally" not in graded, graded
        assert f"points in the gradebook {gradebook}" in graded  # PostgreSQL when TEST_DATABASE_URL is set
        phase("graded")
        full, wrong_points = LESSON.max_points, LESSON.exercise(WRONG_EXERCISE).points
        results = {learner: json.loads((course / "autograded" / learner / LESSON.dir / "results.json").read_text())["result"]
                   for learner in LEARNERS}
        assert results["ada"]["points"] == full and results["mary"]["points"] == 0
        for exercise in results["linus"]["exercises"]:  # only delete_task lost points
            assert exercise["passed"] == (exercise["id"] != WRONG_EXERCISE), exercise
        assert full - wrong_points <= results["linus"]["points"] < full
        terminal(str(BIN / "skillbook"), "feedback", "--course", str(course))
        client.formgrader("release_feedback")
        assert _mode(exchange / COURSE / "feedback") == 0o711  # pages found only by the hash a learner holds

        # Each learner fetches their feedback: their own page, their points, no hidden checks.
        graders = (paths.repo_root() / "graders" / f"test_{LESSON.dir}.py").read_text(encoding="utf-8")
        hidden = {line.strip() for line in graders.splitlines() if line.strip().startswith(("assert ", "def test_", "@"))}
        for learner in LEARNERS:
            [mine] = client.assignments(learner, "fetch_feedback")["submitted"]["submissions"]
            assert mine["has_local_feedback"], mine
            page = client.contents(learner, f"{mine['local_feedback_path']}/{LESSON.dir}.html")["content"]
            assert f"feedback for {learner}" in page and all(f"feedback for {other}" not in page for other in LEARNERS if other != learner)
            assert not [line for line in hidden if line in page], f"{learner}'s feedback shows grader source"
            assert "BEGIN HIDDEN TESTS" not in page and "def test_" not in page
            assert f"{results[learner]['points']:g} of {full:g} points" in page, page

        # nbgrader export (the gradebook formgrader shows) has each learner's points.
        terminal(str(BIN / "nbgrader"), "export", "--to", str(tmp_path / "grades.csv"), "--log-level=ERROR")
        with (tmp_path / "grades.csv").open(newline="") as rows:
            scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(rows) if row["assignment"] == LESSON.dir}
        assert scores == {learner: results[learner]["points"] for learner in LEARNERS}
        if not POSTGRES_URL:  # and so does formgrader (whose submission views fail on PostgreSQL: deploy/README.md)
            shown = client.call(INSTRUCTOR, "GET", f"/services/{COURSE}/formgrader/api/submissions/{LESSON.dir}").json()
            assert {each["student"]: each["score"] for each in shown} == scores
        phase("feedback fetched, exported")
    finally:
        _stop(hub, client)
        drop_gradebook()
        print(f"\nhub test wall time: {time.monotonic() - started:.1f} s ({', '.join(phases)})")


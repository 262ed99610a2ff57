"""Malformed and hostile submissions, as data: how to build each one and what grading must say about it.

    CASES = {name: Case(build, expect, says, ...)}

build is one of
    Cells({...})     the lesson's solution with cells replaced (tests/builders.submission_from; None deletes)
    Prepend({...})   the solution with code put before a cell's own source
    Raw(b"...")      the notebook file's bytes
    Special("...")   a file that is not a plain notebook (a folder, a symbolic link, 10 MB of outputs, ...)
Sources may name {classmate} (a correct classmate's submitted notebook), {solution} (the lesson's
master notebook in solutions/) and {gradebook} (the course's gradebook.db); building fills them in.

expect is "zero" (every exercise 0), "full" (the lesson's max points), "less" (some points lost), "at
most" (no more than its answers earn, less with a reason where the machine's limits stopped it) or
None (its own result forged: OWN_FORGERIES, the documented limit); says is a phrase its messages must
hold; broken says whether grade-class lists it as not graded normally. sandbox_only cases would harm
the machine or other submissions without the bubblewrap sandbox (they are the sandbox's tests);
blocked cases read what only the sandbox keeps from them (without it they succeed: a documented limit).
"""

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat

from skillbook.course import cells, manifest
from tests.builders import lesson_path, solution_path, submission_from


@dataclass(frozen=True)
class Cells:
    replacements: dict


@dataclass(frozen=True)
class Prepend:
    before: dict


@dataclass(frozen=True)
class Raw:
    data: bytes


@dataclass(frozen=True)
class Special:
    kind: str
    arg: str = ""


@dataclass(frozen=True)
class Case:
    build: object
    expect: str | None
    says: str | None = None
    broken: bool | None = False  # None: listed as broken or not, as the machine's limits decide
    lesson: str = "L00"
    sandbox_only: bool = False
    blocked: bool = False
    family: str = "malformed"
    folder: bytes | None = None  # the student folder's name as bytes, when it is not the case's name
    database: str = "sqlite"  # "postgresql": graded in a class of its own on TEST_DATABASE_URL
    needs: str = ""  # the engine work (issue 11 item, module) that holds this case

    def student(self, name: str) -> str:
        """The student name grade-class reads from the folder (undecodable bytes as os.fsdecode keeps them)."""
        return os.fsdecode(self.folder) if self.folder is not None else name


STEAL = """import json
# Copies the answers instead of writing them: every solution cell of another notebook, run here.
for _cell in json.load(open("{path}", encoding="utf-8"))["cells"]:
    if _cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
        exec("".join(_cell["source"]), globals())
"""
FORGE = """import json, os
# Appends passing checks to the results file the grading process writes (one folder up).
with open(os.path.join(os.getcwd(), os.pardir, "results.jsonl"), "a") as _out:
    for _exercise in ("L00.skill_description", "L00.task_model"):
        _out.write(json.dumps({"event": "check", "exercise": _exercise, "check": "forged", "weight": 1000,
                               "passed": True, "message": ""}) + "\\n")
"""
DROP_EVERYTHING = """import os
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine
# Drops every table and deletes every row it can reach, before the checks run.
_engine = create_async_engine(os.environ["DATABASE_URL"])
async with _engine.begin() as _conn:
    _meta = MetaData()
    await _conn.run_sync(_meta.reflect)
    for _table in reversed(_meta.sorted_tables):
        await _conn.execute(_table.delete())
    await _conn.run_sync(_meta.drop_all)
await _engine.dispose()
"""
# The hangs below sleep rather than spin (`endless-loop` spins): the limits stop both alike, and a
# sleeping hang leaves the CPUs to the rest of the batch.
HANGING_TASK = """import time
from datetime import UTC, datetime
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel
class Base(SQLModel, registry=registry()):
    pass
def now():
    time.sleep(3600)
class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str = "pending"
    created_at: datetime = Field(default_factory=now)
"""
DELETE_EVERY_ROW = """from sqlmodel import delete
from taskflow.models import Task
async def delete_task(session, task_id):
    await session.exec(delete(Task))  # every task, not the one asked for
    await session.commit()
    return True
"""
FORK_CHILDREN = 20
FORK_MARK = "301.5"  # `sleep 301.5`: the fork bomb's children, found by their command line afterwards
DAEMON_MARK = "302.5"
GROUP_MARK = "303.5"  # a child in a process group of its own
STUBBORN_MARK = "304.5"  # a child that ignores SIGTERM and SIGHUP
SLEEPERS_MARK = "305.5"  # 200 children
SURVIVOR_NAME = "hostile-surv"  # the thread name (/proc/<pid>/task/<tid>/comm) of a thread that outlives its process
# Set in the instructor's environment while the class is graded: no notebook may see any of them.
SECRET = "hostile-secret-7f3a"
SECRETS = {"DB_PASS": SECRET, "GH_PAT": SECRET, "REDIS_URL": f"redis://:{SECRET}@localhost:6379/0",
           "SENTRY_DSN": f"https://{SECRET}@sentry.example/1", "SQLALCHEMY_DATABASE_URI": f"postgresql://u:{SECRET}@h/db"}


# The forgeries of one's own result that no design closes (docs/instructor.md, "What remains open").
OWN_FORGERIES = ("forges-its-own-known-checks", "forges-duplicate-checks")


def forge(*records: str) -> str:
    """A cell that appends raw lines (JSON or not) wherever the grading process may read check results
    from: the results file one folder up, and any open file whose name says results."""
    return f"""import os
_records = {list(records)!r}
_targets = {{os.path.realpath(os.path.join(os.getcwd(), os.pardir, "results.jsonl"))}}
for _fd in os.listdir("/proc/self/fd"):
    try:
        _target = os.readlink(f"/proc/self/fd/{{_fd}}")
    except OSError:
        continue
    if "results" in os.path.basename(_target):
        _targets.add(_target)
for _target in _targets:
    try:
        with open(_target, "a") as _out:
            _out.write("".join(_record + "\\n" for _record in _records))
    except OSError:
        pass
"""


def check_record(exercise: str, check: str, weight="1", passed="true") -> str:
    """One results line as the grading plugin writes it; weight and passed as raw JSON text."""
    return (f'{{"event": "check", "exercise": "{exercise}", "check": "{check}", "weight": {weight}, '
            f'"passed": {passed}, "message": "forged"}}')


L00_CHECKS = {"L00.skill_description": ("test_description_starts_with_use_when", "test_description_fits_the_frontmatter_rules",
                                        "test_description_says_what_the_skill_does"),
              "L00.task_model": ("test_task_has_integer_primary_key", "test_task_title_is_a_required_string",
                                 "test_task_status_defaults_to_pending", "test_task_created_at_is_aware_and_per_row")}
NO_ANSWERS = {"L00-skill_description": None, "L00-task_model": None}


def forged(*records: str) -> Cells:
    """A notebook with no answers that forges `records` (so it earns 0 from real checks)."""
    return Cells({"l00-create-skill": forge(*records), **NO_ANSWERS})


def _every_check(weight="1", passed="true", times=1) -> list[str]:
    return [check_record(ex, check, weight, passed) for ex, checks in L00_CHECKS.items() for check in checks] * times


# The fork server's reply pipe is its stdout: a notebook that reaches it through /proc can tell the
# grading process that any submission ended, with any exit code.
FORGE_REPLIES = """import os
_lines = ('{"pid": 1}\\n' + '{"exit": 0}\\n') * 200
for _pid in {pids}:
    for _fd in (1, 2):
        try:
            _out = os.open(f"/proc/{_pid}/fd/{_fd}", os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            os.write(_out, _lines.encode())
        except OSError:
            pass
        os.close(_out)
"""
# pid 1 is bwrap's own in the sandbox; outside it, it is the machine's init, which is left alone.
PID1_IF_SANDBOX = "[1] if open('/proc/1/cmdline', 'rb').read().startswith((b'bwrap', b'/usr/bin/bwrap')) else []"
# A thread that outlives its process's main thread (the process stays, state Z, until the thread ends)
# and for 12 s appends failing checks to every other grading folder's results it can find.
SURVIVOR = """import ctypes, glob, json, os, threading, time
def _poison():
    ctypes.CDLL(None).prctl(15, b"{name}", 0, 0, 0)  # PR_SET_NAME
    mine = os.path.realpath(os.path.join(os.getcwd(), os.pardir))
    roots = {os.path.dirname(mine), os.path.dirname(os.path.dirname(mine))}
    line = json.dumps({"event": "check", "exercise": "L00.task_model", "check": "test_task_has_integer_primary_key",
                       "weight": 1, "passed": False, "message": "forged failure"}) + "\\n"
    end = time.monotonic() + 12
    while time.monotonic() < end:
        for root in roots:
            for path in glob.glob(os.path.join(root, "*", "results.jsonl")) + glob.glob(os.path.join(root, "*", "*", "results.jsonl")):
                if not os.path.realpath(path).startswith(mine + os.sep):
                    try:
                        with open(path, "a") as out:
                            out.write(line)
                    except OSError:
                        pass
        time.sleep(0.2)
if os.fork() == 0:
    threading.Thread(target=_poison).start()
    ctypes.CDLL(None).pthread_exit(None)  # the main thread ends; the poisoner runs on
""".replace("{name}", SURVIVOR_NAME)
EXIT_IN_CHECKS = """import os, signal
from datetime import UTC, datetime
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel
class Base(SQLModel, registry=registry()):
    pass
def now():
    if os.environ.get("PYTEST_CURRENT_TEST"):  # while a check runs, not while the notebook loads
        {how}
    return datetime.now(UTC)
class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str = "pending"
    created_at: datetime = Field(default_factory=now)
"""
# A thread that ends the process as soon as the first check of skill_description starts (pytest names
# the running check in PYTEST_CURRENT_TEST), so no check of either exercise reports.
EXIT_IN_FIRST_CHECK = """import os, threading, time
def _watch():
    while "test_description" not in os.environ.get("PYTEST_CURRENT_TEST", ""):
        time.sleep(0.001)
    os._exit(0)
threading.Thread(target=_watch, daemon=True).start()
skill_description = "Use when writing async database code with SQLModel; covers sessions, loading and transactions."
"""
FORK_AND_EXEC = """import os, signal
if os.fork() == 0:
    {before}
    os.execv("/bin/sleep", ["sleep", "{mark}"])
"""
MEMORY_IN_CHILDREN = """import mmap, os, time
# Three children of 700 MB each (every page touched): 2.1 GB together, under 2 GB each.
for _ in range(3):
    if os.fork() == 0:
        try:
            _block = mmap.mmap(-1, 700 * 1024 * 1024)
            for _page in range(0, len(_block), 4096):
                _block[_page] = 1
            time.sleep(3)
        finally:
            os._exit(0)
"""
FILL_SCRATCH = """import os, tempfile
# 320 MB into TMPDIR (its grading folder), in 1 MB writes, until the disk or its limit says no.
_chunk = b"d" * (1024 * 1024)
try:
    with open(os.path.join(tempfile.gettempdir(), "filler.bin"), "wb") as _out:
        for _ in range(320):
            _out.write(_chunk)
except OSError:
    pass
"""
FLOOD_FD = """import os
# 200 MB straight to file descriptors 1 and 2, under any capture.
_chunk = b"f" * (1024 * 1024)
for _ in range(100):
    for _fd in (1, 2):
        try:
            os.write(_fd, _chunk)
        except OSError:
            pass
"""
ESCAPES = "\x1b[2J\x1b[31mred\x1b[0m\x07\x1b]0;owned\x07\x1b]8;;http://evil.example\x1b\\link\x9b1m"
SEES_SECRETS = """import os
_seen = [k for k, v in os.environ.items() if "%s" in v]
try:
    _seen += ["/proc/self/environ"] if b"%s" in open("/proc/self/environ", "rb").read() else []
    _seen += ["/proc/<parent>/environ"] if b"%s" in open(f"/proc/{os.getppid()}/environ", "rb").read() else []
except OSError:
    pass
if _seen:
    raise RuntimeError(f"the instructor's secrets are visible: {_seen}")
""" % (SECRET, SECRET, SECRET)
# PostgreSQL: each attempt, when refused, raises the server's error and costs skill_description its
# points (the message says what was refused); were it allowed, the answer would stand and score full.
PG_CONNECT = """import os
import asyncpg
from sqlalchemy.engine import make_url
_url = make_url(os.environ["DATABASE_URL"])
_dsn = _url.set(drivername="postgresql").render_as_string(hide_password=False)
_conn = await asyncpg.connect(_dsn)
"""
PG_ATTEMPTS = {
    "pg-reads-pg-authid": ("await _conn.fetch('SELECT rolname, rolpassword FROM pg_authid')", "permission denied for table pg_authid"),
    "pg-copy-to-program": ("await _conn.execute(\"COPY (SELECT 1) TO PROGRAM 'id > /tmp/hostile-pg-program'\")",
                           "pg_execute_server_program"),
    "pg-connects-to-another-database": ("await asyncpg.connect(_url.set(drivername='postgresql', database='postgres')"
                                        ".render_as_string(hide_password=False))", "only-to-its-own-database"),
    "pg-drops-another-database": ("await _conn.execute('DROP DATABASE \"{canary}\"')", "must be owner of database"),
    "pg-creates-a-role": ("await _conn.execute(\"CREATE ROLE hostile_admin LOGIN CREATEDB PASSWORD 'x'\")",
                          "permission denied to create role"),
    "pg-makes-itself-superuser": ("await _conn.execute('ALTER ROLE CURRENT_USER SUPERUSER')", "superuser"),
    "pg-creates-a-database": ("await _conn.execute('CREATE DATABASE hostile_db')", "permission denied to create database"),
}

W11 = "issue 11 item 1: engine/isolation.py (no reachable descriptor, a pid namespace per run)"
W11_KNOWN = "issue 11 item 2: engine/scoring (checks and weights known before the notebook runs)"
W11_LIMITS = "issue 11 item 4: engine/isolation.py (disk, memory and process limits per run)"
W11_ENV = "issue 11 item 5: engine/forkserver.py (an allow-listed environment)"
W11_READ = "issue 11 item 6: engine/grade.py, forkserver.py (student-sized data read with a bound)"
CASES = {
    # -- not a notebook at all: a zero that says why, listed as broken -------------------------------
    "invalid-json": Case(Raw(b'{"cells": [ {"cell_type": "code", '), "zero", "not valid JSON", broken=True),
    "empty-file": Case(Raw(b""), "zero", "not valid JSON", broken=True),
    "not-utf8": Case(Raw(b'{"cells": [], "metadata": {"x": "\xff\xfe\xfa"}}'), "zero", "not UTF-8", broken=True),
    "json-not-a-notebook": Case(Raw(b'["not", "a", "notebook"]'), "zero", "not a notebook", broken=True),
    "nbformat-3": Case(Raw(json.dumps({"nbformat": 3, "nbformat_minor": 0, "cells": [], "worksheets": []}).encode()),
                       "zero", "old (version 3)", broken=True),
    "notebook-is-a-folder": Case(Special("folder"), "zero", "is a folder", broken=True),
    "symlink-to-etc-passwd": Case(Special("symlink", "/etc/passwd"), "zero", "symbolic link", broken=True),
    "symlink-to-classmate": Case(Special("symlink", "{classmate}"), "zero", "symbolic link", broken=True),
    "[bold]name-with-markup": Case(Raw(b"[not json"), "zero", "not valid JSON", broken=True),  # printed as is
    "oversized-21-mb": Case(Special("oversized"), "zero", "not graded", broken=True),
    # -- a notebook, edited badly or on purpose: each exercise scored on its own ---------------------
    "deleted-answer-cells": Case(Cells({"L00-skill_description": None, "L00-task_model": None}), "zero", "does not define"),
    "duplicated-cells": Case(Special("duplicated"), "full"),
    "test-cells-return-zero": Case(Cells({"L00-skill_description-check": "0", "L00-task_model-check": "0"}), "full"),
    "test-cell-prints-fake-score": Case(Cells({"L00-skill_description": None,
                                              "L00-skill_description-check": "print('L00: 7/7 points')\n7"}),
                                       "less", "does not define `skill_description`"),
    "html-in-message": Case(Cells({"L00-skill_description": "raise ValueError('<script>alert(1)</script>')"}),
                            "less", "<script>"),
    "syntax-error": Case(Cells({"L00-task_model": "class Task(:\n    pass"}), "less", "SyntaxError"),
    "endless-loop": Case(Cells({"l00-create-skill": "while True:\n    pass"}), "full"),
    "exercise-never-returns": Case(Cells({"L00-task_model": HANGING_TASK}), "less", "did not finish"),
    "catches-base-exception-forever": Case(Cells({"l00-create-skill": (
        "import time\nwhile True:\n    try:\n        time.sleep(3600)\n    except BaseException:\n        pass")}),
        "zero", "grading stopped after", broken=True),
    "sys-exit": Case(Cells({"l00-create-skill": "import sys\nsys.exit(3)"}), "full"),
    "os-exit": Case(Cells({"l00-create-skill": "import os\nos._exit(0)"}), "zero", "ended early", broken=True),
    "allocates-10-gb": Case(Prepend({"L00-skill_description": "hoard = bytearray(10 * 1024**3)\n"}),
                            "less", "ran out of memory"),
    "stderr-noise": Case(Cells({"l00-create-skill": "import sys\nfor _ in range(2000):\n    print('noise ' * 50, file=sys.stderr)"}), "full"),
    "stdout-flood-50-mb": Case(Cells({"l00-create-skill": "print('x' * 50_000_000)"}), "full"),
    "outputs-10-mb": Case(Special("outputs"), "full"),
    "timestamp-garbage": Case(Special("timestamp", "the day before the deadline, honest"), "full"),
    "fork-bomb-limited": Case(Cells({"l00-create-skill": (
        f"import os\nfor _ in range({FORK_CHILDREN}):\n    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', ['sleep', '{FORK_MARK}'])")}), "full"),
    "writes-results-file": Case(Cells({"l00-create-skill": FORGE, "L00-skill_description": None, "L00-task_model": None}), "zero",
                                needs=W11_KNOWN),
    "drops-tables-deletes-rows": Case(Prepend({"L05-create_task": DROP_EVERYTHING}), "full", lesson="L05"),
    "delete-removes-every-row": Case(Cells({"L05-delete_task": DELETE_EVERY_ROW}), "less", "delete", lesson="L05"),
    # -- reads what is not its own: blocked by the sandbox, a documented limit without it ----------
    "steals-from-solutions": Case(Cells({"L00-skill_description": STEAL.replace("{path}", "{solution}"), "L00-task_model": None}),
                                  "zero", "No such file", blocked=True),
    "steals-from-classmate": Case(Cells({"L00-skill_description": STEAL.replace("{path}", "{classmate}"), "L00-task_model": None}),
                                  "zero", "No such file", blocked=True),
    "reads-gradebook": Case(Prepend({"L00-skill_description": "open('{gradebook}', 'rb').read(16)\n"}),
                            "less", "No such file", blocked=True),
    # -- would harm other submissions or the machine without the sandbox -----------------------------
    "tampers-with-gradebook": Case(Prepend({"L00-skill_description": (
        "import sqlite3\n_db = sqlite3.connect('file:{gradebook}?mode=rw', uri=True)\n"
        "_db.execute('UPDATE grade SET auto_score = 100')\n_db.commit()\n")}),
        "less", "unable to open database file", sandbox_only=True),
    "daemon-escapes-its-session": Case(Cells({"l00-create-skill": (
        "import os\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', ['sleep', '{DAEMON_MARK}'])\n    os._exit(0)")}), "full", needs=W11),
    "kills-its-parent": Case(Cells({"l00-create-skill": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"}),
                             "full", sandbox_only=True),
}
NEW_CASES = {
    # -- forged replies to the fork server, through /proc/<pid>/fd ------------------------------------
    "forges-replies-through-parent-fd": Case(Cells({"l00-create-skill": FORGE_REPLIES.replace("{pids}", "[os.getppid()]"),
                                                    **NO_ANSWERS}), "zero", family="forged replies", needs=W11),
    "forges-replies-through-pid-1": Case(Cells({"l00-create-skill": FORGE_REPLIES.replace("{pids}", PID1_IF_SANDBOX),
                                                **NO_ANSWERS}), "zero", family="forged replies", needs=W11),
    # -- processes and threads that outlive their notebook --------------------------------------------
    "thread-outlives-its-process": Case(Cells({"l00-create-skill": SURVIVOR}), "full", family="survivors", needs=W11),
    "child-in-its-own-process-group": Case(Cells({"l00-create-skill": FORK_AND_EXEC.format(
        before="os.setpgid(0, 0)", mark=GROUP_MARK)}), "full", family="survivors", needs=W11),
    "child-ignores-sigterm": Case(Cells({"l00-create-skill": FORK_AND_EXEC.format(
        before="signal.signal(signal.SIGTERM, signal.SIG_IGN); signal.signal(signal.SIGHUP, signal.SIG_IGN)",
        mark=STUBBORN_MARK)}), "full", family="survivors"),
    # -- forged check records: weights, duplicates, unknown checks, malformed lines --------------------
    "forges-negative-weight": Case(forged(check_record("L00.task_model", "forged-fail", "-1000", "false"),
                                          check_record("L00.task_model", "forged-pass", "1")), "zero",
                                   family="forged records", needs=W11_KNOWN),
    "forges-huge-weight": Case(forged(check_record("L00.task_model", "forged", "1e300")), "zero",
                               family="forged records", needs=W11_KNOWN),
    "forges-nan-weight": Case(forged(check_record("L00.task_model", "forged", "NaN")), "zero",
                              family="forged records", needs=W11_KNOWN),
    "forges-infinite-weight": Case(forged(check_record("L00.skill_description", "forged", "Infinity")), "zero",
                                   family="forged records", needs=W11_KNOWN),
    "forges-string-weight": Case(forged(check_record("L00.skill_description", "forged", '"1e9"')), "zero",
                                 family="forged records", needs=W11_KNOWN),
    # Its own known checks, passed, three times each, before the real ones report: the same forgery as
    # `forges-its-own-known-checks` (a notebook could as well stop the real ones from reporting).
    "forges-duplicate-checks": Case(forged(*_every_check(times=3)), None, family="forged records"),
    "forges-unknown-exercise": Case(forged(check_record("L00.bonus", "test_bonus"),
                                           check_record("L99.anything", "test_anything")), "zero",
                                    family="forged records", needs=W11_KNOWN),
    "forges-malformed-records": Case(forged("not json", "[1, 2]", '{"event": "check"}', '{"event": "check", "exercise": 7}',
                                            check_record("L00.task_model", "forged", "1", '"yes"'),
                                            '{"event": "check", "exercise": "L00.task_model", "check": null, "weight": 1, "passed": true}'),
                                     "zero", family="forged records"),
    "forges-end-then-exits": Case(Cells({"l00-create-skill": forge('{"event": "end", "exit": 0}') + "os._exit(0)\n",
                                         **NO_ANSWERS}), "zero", broken=True, family="forged records", needs=W11_KNOWN),
    # The one forgery no design closes: the notebook runs in the process that runs its checks, so it can
    # report its own known checks as passed. It can never reach anyone else's result or exceed the maximum.
    "forges-its-own-known-checks": Case(Cells({"l00-create-skill": forge(*_every_check()) + "os._exit(0)\n", **NO_ANSWERS}),
                                        None, broken=True, family="forged records"),
    # -- the process ends in the middle of a check -------------------------------------------------------
    "os-exit-in-third-task-model-check": Case(Cells({"L00-task_model": EXIT_IN_CHECKS.format(how="os._exit(0)")}), "less",
                                              broken=True, family="ends mid-check", needs=W11_KNOWN),
    "sigkill-in-a-check": Case(Cells({"L00-task_model": EXIT_IN_CHECKS.format(how="os.kill(os.getpid(), signal.SIGKILL)")}),
                               "less", broken=True, family="ends mid-check", needs=W11_KNOWN),
    "segfault-in-a-check": Case(Cells({"L00-task_model": EXIT_IN_CHECKS.format(
        how="import ctypes; ctypes.string_at(0)")}), "less", broken=True, family="ends mid-check", needs=W11_KNOWN),
    "system-exit-in-a-check": Case(Cells({"L00-task_model": EXIT_IN_CHECKS.format(how="raise SystemExit(0)")}), "less",
                                   family="ends mid-check"),
    "os-exit-in-first-check": Case(Cells({"L00-skill_description": EXIT_IN_FIRST_CHECK}), "zero", broken=True,
                                   family="ends mid-check", needs=W11_KNOWN),
    # -- disk, memory and processes ----------------------------------------------------------------------
    # What these earn depends on the machine's limits (a 256 MB scratch it fills itself, a process count
    # that stops it): never more than their answers, and never anything of anyone else's.
    "fills-its-scratch-320-mb": Case(Prepend({"L00-skill_description": FILL_SCRATCH}), "at most", broken=None,
                                     family="resources", needs=W11_LIMITS),
    "memory-across-children": Case(Cells({"l00-create-skill": MEMORY_IN_CHILDREN}), "at most", broken=None,
                                   family="resources", needs=W11_LIMITS),
    "forks-200-sleepers": Case(Cells({"l00-create-skill": (
        "import os\nfor _ in range(200):\n    try:\n        _pid = os.fork()\n    except OSError:\n        break\n"
        f"    if _pid == 0:\n        os.execv('/bin/sleep', ['sleep', '{SLEEPERS_MARK}'])")}), "at most", broken=None,
                               family="resources", needs=W11_LIMITS),
    # -- huge outputs and files --------------------------------------------------------------------------
    "floods-fd-1-and-2-200-mb": Case(Cells({"l00-create-skill": FLOOD_FD}), "full", family="huge data", needs=W11_READ),
    "timestamp-sparse-2-gb": Case(Special("timestamp-sparse"), "full", family="huge data"),
    "timestamp-symlink-to-shadow": Case(Special("timestamp-symlink", "/etc/shadow"), "full", family="huge data"),
    "notebook-sparse-2-gb": Case(Special("sparse-notebook"), "zero", "not graded", broken=True, family="huge data",
                                 needs=W11_READ),
    "notebook-nested-100000-deep": Case(Raw(b"[" * 100_000), "zero", "nested too deeply", broken=True, family="huge data"),
    # -- the instructor's secrets ------------------------------------------------------------------------
    "looks-for-instructor-secrets": Case(Prepend({"L00-skill_description": SEES_SECRETS}), "full", family="secrets",
                                         needs=W11_ENV),
    # -- text a student controls: escape codes, spreadsheet formulas, names that are not UTF-8 ----------
    "raises-escape-codes": Case(Cells({"L00-skill_description": f"raise ValueError({ESCAPES!r})"}), "less",
                                family="student text"),
    "prints-escape-codes": Case(Cells({"l00-create-skill": f"print({ESCAPES!r} * 100)"}), "full", family="student text"),
    "=2+3": Case(Special("solution"), "full", family="student text"),
    "+SUM(1;2)": Case(Special("solution"), "full", family="student text"),
    "-2+3": Case(Special("solution"), "full", family="student text"),
    "@SUM(A1:A9)": Case(Special("solution"), "full", family="student text"),
    "escape-in-folder-name": Case(Special("solution"), "full", family="student text",
                                  folder=b"evil\x1b[2J\x1b]0;owned\x07name"),
    "latin-1-folder-name": Case(Special("solution"), "full", family="student text", folder=b"caf\xe9-\xff"),
    "latin-1-name-blank-notebook": Case(Special("blank"), "zero", family="student text", folder=b"na\xefve"),
}
NEW_CASES.update({name: Case(Prepend({"L00-skill_description": PG_CONNECT + attempt + "\n"}), "less", says,
                             family="postgresql", database="postgresql")
                  for name, (attempt, says) in PG_ATTEMPTS.items()})
CASES.update(NEW_CASES)
# The family of each case written before the families were named (the rest say theirs above).
_EARLIER = {"hangs": ("endless-loop", "exercise-never-returns", "catches-base-exception-forever"),
            "ends mid-check": ("sys-exit", "os-exit"),
            "resources": ("allocates-10-gb", "fork-bomb-limited"),
            "huge data": ("stderr-noise", "stdout-flood-50-mb", "outputs-10-mb", "timestamp-garbage", "oversized-21-mb"),
            "forged records": ("writes-results-file", "test-cells-return-zero", "test-cell-prints-fake-score"),
            "student text": ("html-in-message", "[bold]name-with-markup"),
            "database": ("drops-tables-deletes-rows", "delete-removes-every-row"),
            "reads others": ("steals-from-solutions", "steals-from-classmate", "reads-gradebook", "tampers-with-gradebook",
                             "symlink-to-etc-passwd", "symlink-to-classmate"),
            "survivors": ("daemon-escapes-its-session", "kills-its-parent")}
for _family, _names in _EARLIER.items():
    for _name in _names:
        CASES[_name] = replace(CASES[_name], family=_family)
FAMILIES = {
    "malformed": "not a notebook, or a notebook edited badly",
    "forged replies": "fake replies to the fork server through /proc/<pid>/fd",
    "survivors": "processes and threads that outlive their notebook",
    "forged records": "forged check records: weights negative, huge, NaN, duplicate, unknown",
    "ends mid-check": "os._exit, a signal or a crash in the middle of a check",
    "resources": "disk, memory across children, fork bombs",
    "huge data": "huge outputs, timestamp.txt and notebook files",
    "secrets": "the instructor's environment",
    "student text": "escape codes, CSV formulas, names that are not UTF-8, HTML",
    "hangs": "endless loops and checks that never return",
    "database": "a notebook that destroys its own database",
    "reads others": "reading or changing what is not its own (the sandbox's part)",
    "postgresql": "privilege escalation on the grading server",
}


def _fill(source: str | None, places: dict[str, str]) -> str | None:
    if source is None:
        return None
    for name, value in places.items():
        source = source.replace("{" + name + "}", value)
    return source


def _solution_with(lesson_id: str, change) -> nbformat.NotebookNode:
    nb = nbformat.read(solution_path(lesson_id), as_version=4)
    change(nb)
    return nb


def build(case: Case, folder: Path, places: dict[str, str]) -> None:
    """Write the case's submission into folder (submitted/<student>/<lesson dir>/)."""
    lesson = manifest.lesson(case.lesson)
    target = folder / lesson.notebook_name
    folder.mkdir(parents=True, exist_ok=True)
    kind = case.build
    if isinstance(kind, Raw):
        target.write_bytes(kind.data)
    elif isinstance(kind, Cells):
        submission_from(case.lesson, {k: _fill(v, places) for k, v in kind.replacements.items()}, folder)
    elif isinstance(kind, Prepend):
        def prepend(nb):
            for cell in nb.cells:
                key = cells.grade_id(cell) or cell.get("id")
                if key in kind.before:
                    cell.source = _fill(kind.before[key], places) + cell.source

        nbformat.write(_solution_with(case.lesson, prepend), target)
    elif kind.kind == "folder":
        target.mkdir()
    elif kind.kind == "symlink":
        os.symlink(_fill(kind.arg, places), target)
    elif kind.kind == "duplicated":
        def duplicate(nb):
            nb.cells = [copy for cell in nb.cells for copy in ((cell, cell) if cell.cell_type == "code" else (cell,))]

        target.write_text(json.dumps(_solution_with(case.lesson, duplicate)))  # nbformat would renumber the ids
    elif kind.kind == "outputs":
        def outputs(nb):
            code = next(cell for cell in nb.cells if cell.cell_type == "code")
            code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="y" * 1024 * 1024) for _ in range(10)]

        nbformat.write(_solution_with(case.lesson, outputs), target)
    elif kind.kind == "oversized":
        nb = _solution_with(case.lesson, lambda nb: None)
        nb.metadata["padding"] = "z" * (21 * 1024 * 1024)
        nbformat.write(nb, target)
    elif kind.kind == "timestamp":
        target.write_bytes(solution_path(case.lesson).read_bytes())
        (folder / "timestamp.txt").write_text(kind.arg)
    elif kind.kind == "timestamp-sparse":
        target.write_bytes(solution_path(case.lesson).read_bytes())
        with open(folder / "timestamp.txt", "wb") as stamp:
            stamp.write(b"2026-11-30 12:00:00.000000 UTC\n")
            stamp.truncate(2 * 1024**3)  # 2 GB that take no disk
    elif kind.kind == "timestamp-symlink":
        target.write_bytes(solution_path(case.lesson).read_bytes())
        os.symlink(kind.arg, folder / "timestamp.txt")
    elif kind.kind == "sparse-notebook":
        with open(target, "wb") as notebook:
            notebook.write(b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "padding": "')
            notebook.truncate(2 * 1024**3)
    elif kind.kind in ("solution", "blank"):
        target.write_bytes((solution_path if kind.kind == "solution" else lesson_path)(case.lesson).read_bytes())
    else:
        raise ValueError(f"unknown special case {kind.kind}")

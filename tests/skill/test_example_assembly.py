"""Does the learner's passing code become a standalone example: course imports gone, tables on SQLModel,
the notebook's scaffolding left to the template, and code that cannot stand on its own left out with a reason?"""

from skillbook.course import paths
from skillbook.skill import example


def _template(name: str) -> str:
    return (paths.reflections_dir() / "examples" / name).read_text(encoding="utf-8")


L00_CELL = '''\
from datetime import UTC, datetime

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

### BEGIN SOLUTION
class Base(SQLModel, registry=registry()):
    pass


class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str = "pending"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
### END SOLUTION
'''


def test_a_private_registry_becomes_sqlmodel():
    """Is the notebook's `registry()` base dropped and the table put on SQLModel, with no unused import added?"""
    piece = example.learner_piece("L00.task_model", L00_CELL, _template("first_model.py"))
    assert piece.code.startswith("class Task(SQLModel, table=True):")
    assert "registry" not in piece.code and piece.imports == []
    built = example.build({"first_model.py": _template("first_model.py")}, {"L00.task_model": piece}, run=False)
    assert "registry" not in built.files["first_model.py"] and built.included == ["L00.task_model"]


L04_CELL = '''\
from collections.abc import AsyncIterator

from taskflow.config import database_url
from taskflow.db import make_engine

engine = make_engine(database_url())  # one engine for the whole program
SessionLocal = make_sessionmaker(engine)

async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise
'''


def test_course_imports_and_scaffolding_are_left_to_the_template():
    """Are `from taskflow ...` and the notebook's own engine lines dropped, and only the learner's function kept?"""
    piece = example.learner_piece("L04.get_session", L04_CELL, _template("sessions.py"))
    assert piece.code.startswith("async def get_session()")
    assert "taskflow" not in piece.code and "make_engine" not in piece.code and piece.imports == []


def test_code_needing_a_name_the_example_lacks_is_left_out():
    """A get_task that calls a helper defined elsewhere in the learner's notebook: left out, and the reason names it?"""
    cell = "async def get_task(session, task_id):\n    return await fetch_one(session, task_id)\n"
    template = _template("crud.py")
    pieces = {"L05.get_task": example.learner_piece("L05.get_task", cell, template)}
    built = example.build({"crud.py": template}, pieces, run=False)
    assert built.included == [] and "fetch_one" in built.left_out["L05.get_task"]
    assert "await get_task(" not in built.files["crud.py"]


def test_code_that_keeps_the_program_from_running_is_left_out(tmp_path):
    """Of two passing functions, one breaks the example when it runs: is only that one left out, with the error?"""
    template = _template("crud.py")
    good = "async def get_task(session, task_id):\n    return await session.get(Task, task_id)\n"
    bad = "async def list_tasks(session, **filters):\n    raise RuntimeError('not like this')\n"
    pieces = {"L05.get_task": example.learner_piece("L05.get_task", good, template),
              "L05.list_tasks": example.learner_piece("L05.list_tasks", bad, template)}
    built = example.build({"crud.py": template}, pieces)
    assert built.included == ["L05.get_task"]
    assert "not like this" in built.left_out["L05.list_tasks"]
    assert example.run_examples(built.files) is None


def test_an_env_py_written_from_a_string_or_a_file(tmp_path):
    """L08's env.py: taken from the string the cell writes, or else from migrations/env.py beside the notebook."""
    template = _template("migrations.py")
    env_py = "import models\nfrom alembic import context\ncontext.configure(url='x')\n"
    cell = f"env_py.write_text('''{env_py}''', encoding='utf-8')\n"
    piece = example.learner_piece("L08.alembic_project", cell, template, option="text=ENV_PY:migrations/env.py")
    assert piece.code.startswith("ENV_PY = '''\\\n") and "context.configure(url='x')" in piece.code
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "env.py").write_text(env_py + "# from the file\n")
    cell = "text = env_py.read_text().replace('target_metadata = None', 'target_metadata = SQLModel.metadata')\n"
    piece = example.learner_piece("L08.alembic_project", cell, template, option="text=ENV_PY:migrations/env.py",
                                  lesson_folder=tmp_path)
    assert "# from the file" in piece.code
    assert isinstance(example.learner_piece("L08.alembic_project", cell, template, option="text=ENV_PY:migrations/env.py"), str)

"""The one command: learner commands at the top level, author commands under `dev`.

    skillbook check L05                 check your lessons/ notebook, in words, with hints, on your database
    skillbook watch L05                 check again on every save: the first failing exercise, the rest in a line
    skillbook runs L05                  does your notebook run from the top in a fresh kernel? (nbval)
    skillbook hint L05.create_task      hints up to --level N (--all for every hint)
    skillbook progress                  every lesson's points and reflect, and a chart
    skillbook grade PATH [--json]       grade any notebook (instructors, CI)
    skillbook grade-class [--course DIR] [--jobs N] [--lesson L05 ...] [--scheduler ADDRESS]   grade every submission into the gradebook
    skillbook feedback [--course DIR]   an HTML page per student and lesson, without the graders' source
    skillbook grades [--course DIR]     grades/grades.csv and a chart of the class
    skillbook check-generated FILE --lesson L04   code an assistant wrote, against the lesson's checklist
                                    [--example service_layer.py]  (L09: one part's rules)
    skillbook verify-skill [DIR]        check a skill against the skill rules
    skillbook export-skill              verify, install for Claude Code, build dist/*.skill
    skillbook dev check                 course.toml, notebooks and graders agree
    skillbook dev record-outputs [L05 ...]   re-record the solutions' expected outputs (# NBVAL_CHECK_OUTPUT cells)
"""

import argparse
import json
import os
import sys
from pathlib import Path

from skillbook.course import manifest, paths


class Usage(Exception):
    """The command cannot run as asked: `skillbook COMMAND: message` on stderr, exit status 2."""


def _lesson(name: str) -> manifest.Lesson:
    try:
        return manifest.lesson(name)
    except KeyError as exc:
        raise Usage(exc.args[0]) from None


def _grade(args) -> int:
    from skillbook.engine.grade import GradingError, grade_notebook
    from skillbook.learner.report import lesson_text

    try:
        result = grade_notebook(Path(args.path), lesson=args.lesson, database_url=args.database_url)
    except GradingError as exc:
        if args.json:
            print(json.dumps({"error": str(exc)}))
        raise Usage(str(exc)) from None
    from skillbook.engine.databases import backend, grading_base_url

    on = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(backend(grading_base_url(args.database_url)), "")
    print(json.dumps(result.to_json(), indent=2) if args.json else lesson_text(result, database=on))
    return 0


def _course(args) -> Path:
    from skillbook.instructor.coursedir import default_course

    return Path(args.course) if args.course else default_course()


def _grade_class(args) -> int:
    from skillbook.instructor.grade_class import run

    course = _course(args)
    if not course.is_dir():
        raise Usage(f"no course directory {course}")
    lessons = [_lesson(each).id for each in args.lesson or ()]
    limits = {"cell_seconds": args.cell_seconds, "check_seconds": args.check_seconds, "total_seconds": args.total_seconds,
              "memory_bytes": args.memory_mb * 1024 * 1024 if args.memory_mb else None}
    limits = {name: value for name, value in limits.items() if value}  # the rest: skillbook.engine.grade's defaults
    options = dict(jobs=args.jobs, lessons=lessons, database_url=args.database_url, sandbox=not args.no_sandbox,
                   gradebook_url=args.gradebook, limits=limits)
    if not args.scheduler:
        return run(course, **options)
    from skillbook.instructor.cluster import Cluster, ClusterError

    try:
        with Cluster.connect(args.scheduler) as cluster:
            return run(course, cluster=cluster, **options)
    except ClusterError as exc:
        raise Usage(str(exc)) from None


def _graded(course: Path) -> list:
    """What grade-class stored for the course, after saying which results files could not be read."""
    from skillbook.instructor.coursedir import stored_results

    results, unreadable = stored_results(course)
    for problem in unreadable:
        print(f"Could not read {problem}")
    if not results:
        print(f"No results in {course / 'autograded'}: run `skillbook grade-class` (make autograde) first.")
    return results


def _feedback(args) -> int:
    from skillbook.instructor.feedback import write_all

    course = _course(args)
    results = _graded(course)
    if not results:
        return 1
    written = write_all(course, results)
    print(f"Wrote {len(written)} feedback pages in {course / 'feedback'} (<student>/<lesson>/<lesson>.html)")
    return 0


def _grades(args) -> int:
    from skillbook.instructor.grades import chart, write_csv

    course = _course(args)
    results = _graded(course)
    if not results:
        return 1
    out = Path(args.out) if args.out else course / "grades"
    print(f"Grades: {write_csv(results, out / 'grades.csv')}")
    print(f"Chart:  {chart(results, out / 'grades.png')}")
    return 0


def _learner_notebook(args, lesson: manifest.Lesson) -> Path:
    """--notebook, else the lesson's notebook in lessons/; a Usage error when it cannot be checked."""
    from skillbook.learner.notebooks import problem

    notebook = Path(args.notebook) if args.notebook else paths.lessons_dir() / lesson.dir / lesson.notebook_name
    if why := problem(notebook, lesson):
        raise Usage(why)
    return notebook


def _check_once(notebook: Path, lesson: manifest.Lesson, where, *, fork_server=None):
    """Grade the saved notebook on `where` (a learner's database.Target), saying what runs after 2 s."""
    from skillbook.engine.cache import cached_grade
    from skillbook.learner.kernel import scratch
    from skillbook.learner.report import Running, shown_in_terminal

    with shown_in_terminal(Running(lesson.id, where.name)) as running:
        return cached_grade(notebook, lesson, database_url=where.url, fork_server=fork_server, on_event=running,
                            scratch=scratch())


def _check(args) -> int:
    from skillbook.learner.database import target
    from skillbook.learner.report import lesson_text

    lesson = _lesson(args.lesson)
    notebook = _learner_notebook(args, lesson)
    where = target(args.database_url)
    print(f"Checking {notebook} (as saved) on {where.name}")
    if where.note:
        print(f"  ({where.note})")
    result = _check_once(notebook, lesson, where)
    print(lesson_text(result, lesson.title, where.name))
    return 0


def _watch(args) -> int:
    from skillbook.engine.forkserver import ForkServer
    from skillbook.learner.database import target
    from skillbook.learner.notebooks import problem
    from skillbook.learner.report import first_failure_text
    from skillbook.learner.watch import watch

    lesson = _lesson(args.lesson)
    notebook = _learner_notebook(args, lesson)
    where = target(args.database_url)
    if where.note:
        print(f"({where.note})")

    with ForkServer() as server:  # warm: a save is graded by a forked, ready process
        def check() -> None:
            if why := problem(notebook, lesson):  # caught mid-save, or broken: say so, keep watching
                print(f"Could not check: {why}", flush=True)
                return
            result = _check_once(notebook, lesson, where, fork_server=server)
            print(first_failure_text(result, lesson.title, where.name), flush=True)

        watch(notebook, check, stop_event=args.stop_event)
    return 0


def _runs(args) -> int:
    import nbformat

    from skillbook.learner.runs import RunError, runs_lesson

    lesson = _lesson(args.lesson)
    notebook = Path(args.notebook) if args.notebook else paths.lessons_dir() / lesson.dir / lesson.notebook_name
    if not notebook.is_file():
        raise Usage(f"no notebook at {notebook}")
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception as exc:  # nbformat says what is wrong, in one line, whatever the breakage
        raise Usage(f"cannot read {notebook}: {str(exc).splitlines()[0]}") from None
    print(f"Running {notebook.name} from the top in a fresh kernel...", flush=True)
    try:
        text, ok = runs_lesson(lesson, notebook, nb, args.database_url)
    except RunError as exc:
        raise Usage(str(exc)) from None
    print(text)
    return 0 if ok else 1


def _hint(args) -> int:
    from skillbook.learner.hint import HintLevelError, hint_lines

    if "." not in args.exercise:
        lesson = _lesson(args.exercise)
        raise Usage(f"{args.exercise} is a lesson; name one of its exercises: "
                    + ", ".join(e.id for e in lesson.exercises))
    try:
        exercise = manifest.exercise(args.exercise)
        lines = hint_lines(exercise, args.level, show_all=args.all)
    except KeyError as exc:
        raise Usage(exc.args[0]) from None
    except HintLevelError as exc:
        raise Usage(str(exc)) from None
    print("\n".join(lines))
    return 0


def _verify_skill(args) -> int:
    from skillbook.skill.export import verify_skill

    skill = Path(args.dir) if args.dir else paths.skill_dir()
    if not (skill / "SKILL.md").exists():
        raise Usage(f"no SKILL.md in {skill}")
    problems = verify_skill(skill, run_examples=not args.no_run_examples)
    for problem in problems:
        print(problem)
    print(f"{skill}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


def _export_skill(args) -> int:
    from skillbook.skill.export import ExportError, export_skill

    dest = Path(args.dest) if args.dest else None
    # Installing moves what is at DEST aside: only ever a skill folder (or an empty one), never a file.
    if dest is not None and dest.exists() and not (dest.is_dir() and ((dest / "SKILL.md").exists() or not any(dest.iterdir()))):
        raise Usage(f"{dest} is not a skill folder (no SKILL.md in it): give a new or empty folder, "
                    "or a skill installed before")
    try:
        done = export_skill(args.skill, args.dest, args.dist)
    except ExportError as exc:
        print(f"skillbook export-skill: {exc}", file=sys.stderr)
        return 1
    print(f"Installed your skill in {done['installed']}")
    if done["installed_backup"]:
        print(f"  the copy that was there is backed up in {done['installed_backup']}")
    if done["left_out"]:
        print(f"  left out (caches, databases, .env): {', '.join(done['left_out'])}")
    print(f"Packaged it as {done['package']} (verified from the zip)")
    if done["package_backup"]:
        print(f"  the older package is backed up in {done['package_backup']}")
    for warning in done["warnings"]:
        print(f"  warning: {warning}")
    return 0


def _check_generated(args) -> int:
    from skillbook.learner.generated import check_source, report

    lesson = _lesson(args.lesson)
    if not lesson.checks:
        raise Usage(f"{lesson.id} has no checklist")
    path = Path(args.file)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Usage(f"cannot read {path}: {exc}") from None
    parts = sorted({rule.example for rule in lesson.checks if rule.example})
    if args.example and args.example not in parts:
        raise Usage(f"{lesson.id}'s checklist has " + (f"these parts: {', '.join(parts)}" if parts else "no parts"))
    syntax_error, findings = check_source(source, lesson.checklist(args.example))
    print(report(path, lesson.id, syntax_error, findings))
    if parts and not args.example:
        print(f"  (the whole {lesson.id} checklist; one part of it: --example {' or --example '.join(parts)})")
    return 1 if syntax_error or not all(f.ok for f in findings) else 0


def _progress(args) -> int:
    from rich.console import Console

    from skillbook.learner.database import target
    from skillbook.learner.progress import chart, collect, problems, table
    from skillbook.skill.folder import is_reflected

    rows = collect(reflected=is_reflected, database_url=target().url)
    Console().print(table(rows))
    for line in problems(rows):
        print(line)
    target = chart(rows, Path(args.chart) if args.chart else paths.repo_root() / "dist" / "progress.png")
    print(f"Chart: {target}")
    return 0


def _dev_check(args) -> int:
    from skillbook.course.devcheck import problems
    from skillbook.engine.scoring.known import known_checks

    found = problems(known_checks)
    for problem in found:
        print(problem)
    print("dev check: " + ("OK" if not found else f"{len(found)} problem(s)"))
    return 1 if found else 0


def _dev_record_outputs(args) -> int:
    import os
    from concurrent.futures import ThreadPoolExecutor

    import nbformat

    from skillbook.course import expected
    from skillbook.engine.databases import backend
    from skillbook.learner.runs import RunError, left_out, run_in_scratch

    chosen = [_lesson(name) for name in args.lesson] or list(manifest.lessons().values())
    notebooks = {lesson.id: nbformat.read(expected.solution_path(lesson), as_version=4) for lesson in chosen}
    chosen = [lesson for lesson in chosen if expected.checked_cells(notebooks[lesson.id])]
    postgres = args.database_url or os.environ.get("TEST_DATABASE_URL")
    urls = [None, postgres] if postgres else [None]
    if not postgres:
        print("PostgreSQL: not recorded (set TEST_DATABASE_URL); its expected outputs stay as they are.")

    def fresh_run(lesson, url):
        nb = notebooks[lesson.id]
        return run_in_scratch(nb, lesson, database_url=url, skip=left_out(nb, checks=True), compare=False)

    failed = 0
    with ThreadPoolExecutor(max_workers=2) as pool:  # each run is a kernel in a child process
        pending = {lesson.id: {backend(url): pool.submit(fresh_run, lesson, url) for url in urls}
                   for lesson in chosen}
        for lesson in chosen:
            try:
                runs = {db: future.result() for db, future in pending[lesson.id].items()}
            except RunError as exc:
                raise Usage(str(exc)) from None
            broken = [(db, r) for db, results in runs.items() for r in results if r.outcome == "failed"]
            for db, r in broken:
                print(f"{lesson.id} on {db}: cell {r.cell_id} failed ({r.ename or r.problem}: {r.evalue.splitlines()[0] if r.evalue else ''})")
            if broken:
                print(f"{lesson.id}: nothing recorded; fix the notebook first.")
                failed += 1
                continue
            outputs = {db: {r.cell_id: r.outputs for r in results} for db, results in runs.items()}
            changed = expected.record(lesson, outputs["sqlite"], outputs.get("postgresql"))
            count = len(expected.checked_cells(notebooks[lesson.id]))
            print(f"{lesson.id}: {count} checked cells; " + (f"updated {', '.join(changed)}" if changed else "nothing changed"), flush=True)
    return 1 if failed else 0


class _Parser(argparse.ArgumentParser):
    """argparse that answers a bad command line in one line (not its usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} ({self.prog} --help lists what it takes)\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="skillbook", description="Build Your Database Skill: the course kit's command.")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="check your notebook for a lesson")
    c.add_argument("lesson", help="L05 or L05_crud")
    c.add_argument("--notebook", help="another copy of the lesson's notebook")
    c.add_argument("--database-url", help="grade on this PostgreSQL server instead of SQLite")
    c.set_defaults(run=_check)

    w = sub.add_parser("watch", help="check your notebook again every time you save it")
    w.add_argument("lesson")
    w.add_argument("--notebook")
    w.add_argument("--database-url")
    w.set_defaults(run=_watch, stop_event=None)

    r = sub.add_parser("runs", help="run your notebook from the top in a fresh kernel and say which cells fail")
    r.add_argument("lesson", help="L05 or L05_crud")
    r.add_argument("--notebook", help="another copy of the lesson's notebook")
    r.add_argument("--database-url", help="run the lesson on this database (default: DATABASE_URL, else SQLite)")
    r.set_defaults(run=_runs)

    h = sub.add_parser("hint", help="hints for an exercise, one at a time")
    h.add_argument("exercise", help="for example L05.create_task")
    h.add_argument("--level", type=int, default=1, help="how many hints to show (1 to the number of hints)")
    h.add_argument("--all", action="store_true")
    h.set_defaults(run=_hint)

    g = sub.add_parser("grade", help="grade a notebook")
    g.add_argument("path")
    g.add_argument("--lesson", help="which lesson (default: from the file name)")
    g.add_argument("--database-url", help="a PostgreSQL server to grade on (default: SQLite)")
    g.add_argument("--json", action="store_true", help="print the result as JSON")
    g.set_defaults(run=_grade)

    gc = sub.add_parser("grade-class", help="grade every submission of a course into nbgrader's gradebook (instructors)")
    gc.add_argument("--course", help="nbgrader's course directory (default: COURSE_DIR, else this repository)")
    gc.add_argument("--jobs", type=int, default=None,
                    help="notebooks graded at once (default: one per CPU; with --scheduler the workers' threads decide)")
    gc.add_argument("--lesson", action="append", help="only this lesson (repeat for more; default: all)")
    gc.add_argument("--database-url", help="a PostgreSQL server to grade on (default: SQLite)")
    gc.add_argument("--gradebook", help="nbgrader's gradebook URL (default: sqlite:///COURSE/gradebook.db)")
    gc.add_argument("--no-sandbox", action="store_true", help="do not use bubblewrap even if it is installed")
    gc.add_argument("--scheduler", help="grade on a Dask cluster: its scheduler's address, e.g. tcp://host:8786 "
                                        "(docs/instructor.md); results and gradebook stay here")
    gc.add_argument("--cell-seconds", type=float, help="time limit for one notebook cell (default 30)")
    gc.add_argument("--check-seconds", type=float, help="time limit for one check (default 20)")
    gc.add_argument("--total-seconds", type=float, help="time limit for one notebook, all in (default 240)")
    gc.add_argument("--memory-mb", type=int, help="memory limit of one grading process (default 2048)")
    gc.set_defaults(run=_grade_class)

    fb = sub.add_parser("feedback", help="an HTML feedback page per student and lesson, from grade-class's results")
    fb.add_argument("--course", help="nbgrader's course directory (default: COURSE_DIR, else this repository)")
    fb.set_defaults(run=_feedback)

    gr = sub.add_parser("grades", help="grades.csv and a chart of the class, from grade-class's results")
    gr.add_argument("--course", help="nbgrader's course directory (default: COURSE_DIR, else this repository)")
    gr.add_argument("--out", help="folder for grades.csv and grades.png (default: COURSE/grades)")
    gr.set_defaults(run=_grades)

    v = sub.add_parser("verify-skill", help="check a skill folder")
    v.add_argument("dir", nargs="?")
    v.add_argument("--no-run-examples", action="store_true")
    v.set_defaults(run=_verify_skill)

    e = sub.add_parser("export-skill", help="install and package your skill")
    e.add_argument("--skill", help="the skill folder (default: my-skill/relational-db-agent)")
    e.add_argument("--dest", help="install here (default: .claude/skills/relational-db-agent)")
    e.add_argument("--dist", help="put the .skill file here (default: dist/)")
    e.set_defaults(run=_export_skill)

    pr = sub.add_parser("progress", help="points, exercises and reflect across all lessons, with a chart")
    pr.add_argument("--chart", help="where to write the PNG (default: dist/progress.png)")
    pr.set_defaults(run=_progress)

    cg = sub.add_parser("check-generated", help="check code an AI assistant wrote against a lesson's checklist")
    cg.add_argument("file")
    cg.add_argument("--lesson", required=True)
    cg.add_argument("--example", help="a lesson in parts (L09): check against one part's rules (service_layer.py, ...)")
    cg.set_defaults(run=_check_generated)

    d = sub.add_parser("dev", help="author tools")
    dsub = d.add_subparsers(dest="dev_command", required=True)
    dc = dsub.add_parser("check", help="course.toml, notebooks and graders agree")
    dc.set_defaults(run=_dev_check)
    dr = dsub.add_parser("record-outputs", help="re-record the expected outputs of the solutions' # NBVAL_CHECK_OUTPUT cells")
    dr.add_argument("lesson", nargs="*", help="L05 ... (default: every lesson)")
    dr.add_argument("--database-url", help="the PostgreSQL server to record on (default: TEST_DATABASE_URL)")
    dr.set_defaults(run=_dev_record_outputs)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except Usage as problem:
        print(f"skillbook {args.command}: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback; SKILLBOOK_DEBUG=1 shows it
        if os.environ.get("SKILLBOOK_DEBUG"):
            raise
        from skillbook.learner.notebooks import one_line

        print(f"skillbook {args.command}: {one_line(exc)} (SKILLBOOK_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

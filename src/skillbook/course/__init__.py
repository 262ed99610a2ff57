"""The course as data: course.toml's lessons and exercises (manifest), what each notebook cell is
(cells), where things live (paths, locate), and the author's consistency check (devcheck).

This wing imports nothing from the others but `skillbook.files`."""

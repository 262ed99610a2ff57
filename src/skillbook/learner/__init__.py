"""The learner's loop: the check cell (check), its words (report), hints, `watch`, `progress`, and
`check-generated` for code an assistant wrote (generated).

Imports only course/, engine/ and files.py."""

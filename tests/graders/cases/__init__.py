"""Each lesson's submissions, kept as data: realistic wrong answers and correct alternatives.

A module LXX.py here defines

    WRONG = {case id: (cell replacements, the exercise id, or ids, it breaks)}
    ALTERNATIVES = {case id: cell replacements}

Cell replacements map nbgrader grade ids (or cell ids) of the lesson's solution notebook to new
source (tests/builders.py). tests/graders/test_submissions.py turns every lesson's cases into tests.
"""

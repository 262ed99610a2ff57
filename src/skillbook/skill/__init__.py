"""The learner's skill: the folder and its managed blocks (folder), what each lesson's Reflect cell
writes into it (reflect), and checking (verify) and shipping it (export).

Imports only course/, engine/ and files.py."""

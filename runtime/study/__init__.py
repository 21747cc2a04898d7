"""Searches over node parameters and recipe fields with Optuna, on one machine or many.

`space` parses `PATH=SPEC` parameters, `targets` resolves them in a project
and sets values, `setup` is the record a study carries so any worker can
join, `storage` opens SQLite / PostgreSQL / journal storages, `trial` trains
one trial in an ordinary run folder, `worker` takes waiting trials until none
are left, and `launch` makes or resumes a study and runs local workers.
"""

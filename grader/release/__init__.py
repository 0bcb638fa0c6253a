"""Shipping the course to students: the student repository (:mod:`.bundle`) with its CI
workflow (:mod:`.workflow`), and the Gradescope autograder (:mod:`.gradescope`, run there by
:mod:`.autograder`). Every artefact carries the grader as source, installed with the project's
pinned versions (:mod:`.tree`), and none carries a model answer (:mod:`.leaks` proves it)."""

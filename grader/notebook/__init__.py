"""The whole course as an nbgrader course: one assignment (one notebook) per exercise.

Writing a course (``convgrade nbgrader COURSE_DIR``) is a pipeline of small steps, each a
function ``step(nb, exercise, build) -> nb`` over an nbformat notebook (:mod:`.course` lists
them): the explanation (:mod:`.intro`), the locked cell that arms the grader (:mod:`.arm`),
the solution cells taken from ``solutions/`` (:mod:`.answers`), one autograder test cell per
check (:mod:`.tests`). :mod:`.cells` builds cells with nbgrader's metadata; :mod:`.config`
writes ``nbgrader_config.py`` and :mod:`.kernelspec` the confined kernel's kernelspec;
:mod:`.cellcode` says which cells hold the student's code.

Grading a notebook never trusts the student's kernel:

* in the kernel (students working, ``nbgrader validate``), a test cell asks a judge process,
  started by the armed cell before any student code ran, to grade the code of the cells run so
  far in a confined worker (:mod:`.kernel`, :mod:`.judge`, :mod:`.verdict`), and checks that the
  kernel-side relay was not changed (:mod:`.integrity`);
* under ``nbgrader autograde`` the grades come from outside the kernel altogether: the notebook
  runs with its test cells deferred, in a confined kernel (:mod:`.sandboxed_kernel`, started by
  the course's kernelspec, :mod:`.kernelspec`), then :mod:`.autograde` grades the notebook's
  code cells in a confined worker and writes each test cell's verdict.
"""

"""nbgrader autograde steps: run the notebook with its test cells deferred, then grade the
notebook's code outside the student's kernel and write each test cell's verdict.

Whatever a student's cell does inside the kernel (redefine ``torch.allclose``, patch Tensor
methods, builtins or the grader, replace IPython's error display, add input transformers) only
changes that kernel's outputs, and every test cell's outputs are replaced here. The kernel itself
is confined (:mod:`grader.notebook.sandboxed_kernel`): it reads nothing of the course but the
student's own folder, writes nothing, and nothing it starts outlives it. The student's
code runs again only in a confined worker; the check and the comparison run in this process,
which warmed everything they use before the kernel started.
"""

from __future__ import annotations

import base64
from typing import Any

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Enum, Integer, Unicode

from grader.batch import counterexample_matrices
from grader.engine.outcome import CheckResult
from grader.engine.settings import DEFAULT_SEED, Settings
from grader.i18n import DEFAULT, LANGUAGES, _, set_language
from grader.notebook import cells
from grader.notebook.cellcode import module_code, uses_session
from grader.notebook.kernel import DEFER_VARIABLE, DEFERRED, CheckFailedError
from grader.notebook.kernelspec import KERNEL_NAME, spec_manager
from grader.notebook.verdict import NotebookGrader, verdict_lines, warm
from grader.outputs.pictures import counterexample_png


class DeferredExecute(Execute):
    """nbgrader's Execute with ``CONVGRADE_VERDICTS=outside`` in the kernel's environment: the
    armed cell starts no judge and every test cell fails until :class:`GradeOutsideKernel`
    writes its verdict (so a pipeline without that step scores 0, never full marks).

    The notebook runs in the course's confined kernel (:mod:`grader.notebook.kernelspec`),
    whatever kernel its metadata names: kernels are looked up only in the course's ``kernels/``
    folder (of ``CourseDirectory.root``), so a missing kernelspec fails the notebook loudly."""

    kernel_name = Unicode(KERNEL_NAME, help="the course's kernel that runs students' notebooks, in its "
                          "kernels/ folder (convgrade nbgrader writes the confined one)").tag(config=True)

    def create_kernel_manager(self) -> Any:
        course = CourseDirectory(config=self.config).root
        self.km = self.kernel_manager_class(kernel_name=self.kernel_name, config=self.config,
                                            kernel_spec_manager=spec_manager(course))
        return self.km

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        warm()
        with utils.setenv(**{DEFER_VARIABLE: DEFERRED}):
            return super().preprocess(nb, resources)


def student_code(notebook_cells: list[NotebookNode]) -> list[str]:
    """The sources of the code cells a student's functions come from: as in the kernel, every
    code cell that ran without error, except the grader's own (test cells, the armed cell and
    any cell using the session: :func:`grader.notebook.cellcode.uses_session`)."""
    return [cell.source for cell in notebook_cells
            if cell.cell_type == "code" and not cells.is_test(cell) and not uses_session(cell.source)
            and not any(output.output_type == "error" for output in cell.get("outputs", []))]


def verdict_outputs(passed: bool, lines: list[str], picture: bytes | None = None) -> list[NotebookNode]:
    """A test cell's outputs: the verdict on stdout when it passed, else an error whose
    traceback is the grader's feedback (what the kernel shows for a failed check), after a
    heatmap of expected, got and their difference when ``picture`` (a PNG) is given."""
    if passed:
        return [new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
    error = CheckFailedError(lines)
    shown = []
    if picture:
        shown.append(new_output("display_data", data={"image/png": base64.b64encode(picture).decode("ascii"),
                                                      "text/plain": _("expected, got and their difference")}))
    return shown + [new_output("error", ename=type(error).__name__, evalue=lines[0] if lines else "",
                               traceback=error._render_traceback_())]


def counterexample_picture(result: CheckResult) -> bytes | None:
    """Heatmaps of the failing check's 2-D counterexample, when it has one."""
    matrices = counterexample_matrices(result)
    return counterexample_png(matrices) if matrices else None


class GradeOutsideKernel(NbGraderPreprocessor):
    """Replace every convgrade test cell's outputs with the verdict of its check, graded on the
    code of the cells above it (:func:`student_code`), outside the kernel."""

    seed = Integer(DEFAULT_SEED, help="hypothesis seed of every check, which runs with the grading profile "
                   "(recorded: the same code always gets the same grade)").tag(config=True)
    lang = Enum(tuple(LANGUAGES), DEFAULT, help="language of the verdicts (recorded by convgrade nbgrader --lang)"
                ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        set_language(self.lang)
        settings = Settings(profile="grading", seed=self.seed)
        module = resources["nbgrader"]["notebook"]
        with NotebookGrader(module) as grader:
            for index, cell in enumerate(nb.cells):
                ids = cells.parse_test_id(cells.grade_id(cell) or "") if cells.is_test(cell) else None
                if ids is None:
                    continue
                code = module_code(student_code(nb.cells[:index]))
                try:
                    check, result = grader.grade(code, *ids, settings)
                except KeyError as exc:
                    self.log.error("%s: test cell %s names no check of the registry: %s", module,
                                   cells.grade_id(cell), exc)
                    cell.outputs = verdict_outputs(False, [_("convgrade has no check {task}[{check}] in {module}: "
                                                             "{error}").format(task=ids[0], check=ids[1],
                                                                               module=module, error=exc)])
                    continue
                self.log.info("%s %s[%s]: %s (%.1f s)", module, *ids, result.status, result.seconds)
                lines = verdict_lines(check, result, settings, grader.same_as(result, settings))
                cell.outputs = verdict_outputs(result.passed, lines, counterexample_picture(result))
        return nb, resources

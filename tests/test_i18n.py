"""Messages in the students' language: the catalogs hold exactly what the code uses, the
language is chosen as documented, and a run in Chinese prints Chinese."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from babel.messages.catalog import Catalog

from grader import i18n, messages
from grader.i18n import N_, _, choose, set_language
from tests.conftest import ROOT


@pytest.fixture
def chinese():
    set_language("zh")
    yield
    set_language("en")


@pytest.fixture(scope="module")
def template() -> Catalog:
    return messages.extract()


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
@pytest.mark.generated
def test_catalog_holds_exactly_the_messages_the_code_uses(language: str, template: Catalog) -> None:
    assert messages.problems(language, template) == [], "run: python -m grader.messages, then translate"


def test_the_code_marks_messages_everywhere_students_read(template: Catalog) -> None:
    files = {path for message in template for path, _line in message.locations}
    for module in ("grader/outputs/feedback.py", "grader/engine/checks.py", "grader/engine/points.py", "grader/cli.py",
                   "grader/catalog/ex01_cross_correlation.py", "grader/catalog/ex11_fcn.py"):
        assert module in files, f"{module} marks no message for translation"


def _catalog(translations: dict[str, str]) -> Catalog:
    catalog = Catalog(locale="zh_CN")
    for message_id, string in translations.items():
        catalog.add(message_id, string)
    return catalog


def _code_uses(*message_ids: str) -> Catalog:
    return _catalog(dict.fromkeys(message_ids, ""))


@pytest.fixture
def on_disk(monkeypatch: pytest.MonkeyPatch):
    """``on_disk(translations)``: make a catalog of ``translations`` the one problems() reads."""
    def put(translations: dict[str, str]) -> Catalog:
        catalog = _catalog(translations)
        monkeypatch.setattr(messages, "read_catalog", lambda language: catalog)
        return catalog
    return put


def test_a_complete_catalog_has_no_problems(on_disk) -> None:
    on_disk({"ran the call": "运行了调用", "the call of {name}": "{name} 的调用"})
    assert messages.problems("zh", _code_uses("ran the call", "the call of {name}")) == []


def test_a_message_the_catalog_lacks_is_reported(on_disk) -> None:
    on_disk({"ran the call": "运行了调用"})
    assert messages.problems("zh", _code_uses("ran the call", "a new message")) == ["zh: missing 'a new message'"]


def test_a_message_the_code_no_longer_uses_is_reported(on_disk) -> None:
    on_disk({"ran the call": "运行了调用", "an old message": "旧消息"})
    assert messages.problems("zh", _code_uses("ran the call")) == ["zh: unused 'an old message'"]


def test_untranslated_fuzzy_and_broken_translations_are_reported(on_disk) -> None:
    catalog = on_disk({"not yet": "", "needs review": "待审", "lost {name}": "丢失了", "kept {name}": "保留 {name}"})
    catalog["needs review"].flags.add("fuzzy")
    found = messages.problems("zh", _code_uses("not yet", "needs review", "lost {name}", "kept {name}"))
    assert sorted(found) == ["zh: fuzzy (to review) 'needs review'", "zh: placeholders differ in 'lost {name}'",
                             "zh: untranslated 'not yet'"]


def test_placeholders_must_survive_translation() -> None:
    assert messages.placeholders("{task} ran {small:g} ops; K_{a,b}") == ["{small:g}", "{task}"]
    assert messages.placeholders("{task} 运行了 {small:g} 次") == messages.placeholders("{small:g} ... {task}")
    assert messages.placeholders("{task} 运行了") != messages.placeholders("{task} ran {small:g}")


def test_lang_option_beats_the_variable_which_beats_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "CONVGRADE_LANG"):
        monkeypatch.delenv(variable, raising=False)
    assert choose() == "en"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert choose() == "zh"
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    assert choose() == "en", "a locale with no catalog falls back to English"
    monkeypatch.setenv("CONVGRADE_LANG", "zh")
    assert choose() == "zh"
    assert choose("en") == "en"
    with pytest.raises(i18n.UnknownLanguage, match="--lang 'fr'"):
        choose("fr")
    monkeypatch.setenv("CONVGRADE_LANG", "klingon")
    with pytest.raises(i18n.UnknownLanguage, match="CONVGRADE_LANG"):
        choose()


def test_messages_translate_when_shown_not_when_marked(chinese) -> None:
    marked = N_("language of the messages (default: CONVGRADE_LANG, else the locale)")
    assert marked.startswith("language of")
    assert _(marked) == "消息的语言（默认：CONVGRADE_LANG，否则按系统区域设置）"
    assert _("") == ""
    set_language("en")
    assert _(marked) == marked


def test_an_unknown_language_on_the_command_line_is_one_line(capsys: pytest.CaptureFixture) -> None:
    from grader.cli import main

    assert main(["grade", "--lang", "fr", "examples/class"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["convgrade: --lang 'fr': choose from en, zh"]


CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'-]+[A-Za-z]{2,}){2,}")
CODE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|`[^`]*`|'[^']*'|\"[^\"]*\"|\S*/\S*")
PYTEST_OWN = re.compile(r"^(_{3,} .* _{3,}|=+ [A-Za-z ]+ =+|\d+ (failed|passed)\b.*|[.FEsx]+ +\[ *\d+%\]|-[-+]+)$")


def english_prose(text: str) -> list[str]:
    """The lines of ``text`` a Chinese reader would find English prose in: a run of three or more
    English words outside Chinese text, once code, tuples, indices and quoted names are set
    aside (and paths). pytest's own frame (section rules, the summary line) is not ours and is skipped."""
    found = []
    for line in text.splitlines():
        if PYTEST_OWN.match(line.strip()):
            continue
        if any(ENGLISH_RUN.search(CODE.sub(" ", segment)) for segment in CJK.split(line)):
            found.append(line)
    return found


def test_the_english_prose_detector_tells_prose_from_code() -> None:
    assert english_prose("提示：创建结果时指定 dtype=X.dtype（torch.zeros(..., dtype=X.dtype)）") == []
    assert english_prose("[未提交：返回 (size, jump, start)：两个 int 和一个数值]") == []
    assert english_prose("    [ 1*  4*  7* ]\n预期： Tensor[shape=(3, 3), float64]") == []
    assert english_prose("提示：the output has H - kh + 1 rows") == ["提示：the output has H - kh + 1 rows"]
    assert english_prose("recognised mistake: kernel flipped") == ["recognised mistake: kernel flipped"]
    assert english_prose("已写入 /tmp/pytest-of-root/results.json") == []


STUDENTS_IN_PROCESS = ("ben_partial", "chen_flipped_kernel", "dana_true_division", "eli_notes_listings",
                       "hana_calls_conv2d", "jo_syntax_error", "kim_notes_cnnnet", "lee_pooling_bugs")
"""The sample class, less what only the batch grader's workers contain (a hang, a crash, a notebook)."""


@pytest.mark.slow
@pytest.mark.parametrize("student", STUDENTS_IN_PROCESS)
def test_pytest_exercises_in_chinese_prints_no_english_prose(student: str) -> None:
    run = subprocess.run([sys.executable, "-m", "pytest", "exercises/", "--submission", f"examples/class/{student}",
                          "--lang", "zh", "-q", "--show-capture=no", "-rN", "-p", "no:cacheprovider"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "convgrade 得分" in run.stdout and "总计" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
    assert english_prose(run.stdout) == []


@pytest.mark.slow
def test_convgrade_grade_in_chinese_on_the_sample_class(tmp_path, capsys: pytest.CaptureFixture) -> None:
    from grader.cli import main

    out = tmp_path / "results.json"
    try:
        main(["grade", str(ROOT / "examples" / "class"), "--lang", "zh", "--profile", "student", "--timeout", "3",
              "--out", str(out)])
    finally:
        set_language("en")
    printed = capsys.readouterr().out
    assert "convgrade 评阅结果" in printed and "已评阅 13 份提交" in printed and "超时" in printed and "部分提交" in printed, printed
    assert english_prose(printed) == []
    document = json.loads(out.read_text())
    assert document["language"] == "zh"
    records = {r["name"]: r for r in document["submissions"]}
    assert records["ada_complete"]["score"] == records["ada_complete"]["max_score"]
    messages_read = [check["message"] for record in records.values() for exercise in record["exercises"].values()
                     for check in exercise["checks"]]
    assert all(CJK.search(message) for message in messages_read if message)
    assert [line for message in messages_read for line in english_prose(message)] == []

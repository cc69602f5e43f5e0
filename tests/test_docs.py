"""The manual and the README against the repository: the files they name exist, the install
commands are the ones CI runs, and every results file says how it was made.

The manual itself is built by ``.ci/run`` with ``sphinx-build -W``; these checks need no Sphinx.
"""

import re
from pathlib import Path

import pytest

from recbole_vagnn.experiments.report import PROVENANCE_KEYS

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = REPO / "docs" / "source"
RESULTS = DOCS / "results"
CI = REPO / ".ci" / "run"
INSTALL_PAGE = DOCS / "get_started" / "install.rst"

# A literal path is checked when it starts in one of these folders or names one of these files;
# other literals are commands, config values, or paths in the user's working folder (dataset/NAME/).
CHECKED_ROOTS = {"recbole_vagnn", "properties", "dataset_converters", "tests", "docs", ".ci"}
ROOT_FILES = {
    "pyproject.toml",
    "uv-overrides.txt",
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
    "run_recbole.py",
    ".readthedocs.yaml",
}
# words that stand for a name the user chooses (properties/model/MODEL.yaml, ...)
PLACEHOLDERS = {"NAME", "MODEL", "PARAM", "LABEL", "OUT", "DIR", "RAW", "FILE", "X", "A", "B", "S", "K"}
# paths in RecBole's repository, which the upstream page names as such
RECBOLE_PATHS = {
    "tests/model/test_model_auto.py",
    "tests/test_data/vagnn-test/",
    "tests/evaluation_setting/",
    "docs/source/user_guide/model/general/vagnn.rst",
}
PROVENANCE = {
    "command": r"`recbole-vagnn \S.*`",
    "version": r"recbole-vagnn \d\S*, RecBole \S+, torch \S+, Python \S+",
    "date": r"\d{4}-\d{2}-\d{2}",
    "machine": r"\S.*",
}
BLOCK = re.compile(r"<!-- BEGIN (\S+)[^\n]*-->\n(.*?)<!-- END \1 -->", re.S)


def doc_files():
    return sorted(DOCS.rglob("*.rst")) + [README, REPO / "CHANGELOG.md"]


def without_fences(text):
    """Markdown text without its fenced code blocks (commands, not references)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def literals(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return re.findall(r"(?<!`)`([^`\n]+)`(?!`)", without_fences(text))
    return re.findall(r"``([^`\n]+)``", text) + re.findall(r":file:`([^`\n]+)`", text)


def is_repository_path(literal):
    if literal in ROOT_FILES:
        return True
    if " " in literal or "/" not in literal or "://" in literal:
        return False
    return literal.split("/", 1)[0] in CHECKED_ROOTS


def is_placeholder(literal):
    return any(word in PLACEHOLDERS for word in re.split(r"[/.\-_]", literal)) or re.search(r"[{*]|\.\.\.", literal)


def declared_results():
    """The results files the manual's results page includes (``.. benchmark-result:: FILE``)."""
    return set(re.findall(r"^\.\. benchmark-result:: (\S+)$", (RESULTS / "index.rst").read_text(), flags=re.M))


def results_files():
    return sorted(p for p in RESULTS.glob("*.md"))


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_repository_path_the_manual_names_exists(path):
    missing = [
        literal
        for literal in literals(path)
        if is_repository_path(literal)
        and not is_placeholder(literal)
        and literal not in RECBOLE_PATHS
        and not (REPO / literal).exists()
    ]
    assert not missing, f"{path.relative_to(REPO)} names files that do not exist: {missing}"


def test_every_relative_link_of_the_readme_names_a_file():
    text = without_fences(README.read_text(encoding="utf-8"))
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    assert targets
    missing = []
    for target in targets:
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        target = target.split("#", 1)[0]
        if (REPO / target).exists():
            continue
        # a results file the benchmark has not written yet, which the results page declares
        if Path(target).parent == RESULTS.relative_to(REPO) and Path(target).name in declared_results():
            continue
        missing.append(target)
    assert not missing, f"README.md links to files that do not exist: {missing}"


def code_blocks(text, language="bash"):
    return [block.strip() for block in re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)]


def ci_command(name):
    match = re.search(rf"^{name}=\$\(cat <<'EOF'\n(.*?)\nEOF\n\)", CI.read_text(), flags=re.S | re.M)
    assert match, f".ci/run defines no {name}"
    return match.group(1)


def test_the_readme_set_up_commands_are_those_ci_runs_and_the_install_page_shows():
    readme = README.read_text(encoding="utf-8")
    commands = [block for block in code_blocks(readme) if "uv-overrides.txt" in block and "\n" not in block]
    assert len(commands) == 2, "the README has one install-and-run and one install-and-test command"
    run_command, test_command = commands
    assert "recbole-vagnn run" in run_command and "pytest" in test_command
    assert ci_command("readme_run") == run_command
    assert ci_command("readme_test") == test_command
    page = INSTALL_PAGE.read_text(encoding="utf-8")
    shown = re.findall(r"^\.\. code-block:: bash\n\n   (.+)$", page, flags=re.M)
    assert shown[:2] == [run_command, test_command]
    ci = CI.read_text()
    assert ci.count('bash -c "$readme_run"') >= 2 and ci.count('bash -c "$readme_test"') >= 2


def test_python_versions_agree():
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.11,<3.14"' in pyproject
    classifiers = set(re.findall(r"Programming Language :: Python :: (3\.\d+)", pyproject))
    assert classifiers == {"3.11", "3.12", "3.13"}
    ci = CI.read_text()
    for version in classifiers:
        assert f"python_at {version}" in ci, f".ci/run runs nothing on Python {version}"


def test_every_results_file_says_how_it_was_made():
    """Each results file (none before the benchmark has written one) opens with the benchmark's header."""
    for path in results_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines and lines[0].startswith("### "), f"{path.name}: not a benchmark file (no title)"
        header = lines[2 : 2 + len(PROVENANCE_KEYS)]
        assert len(header) == len(PROVENANCE_KEYS), f"{path.name}: the header is cut short"
        for key, line in zip(PROVENANCE_KEYS, header, strict=True):
            assert re.fullmatch(rf"- {key}: {PROVENANCE[key]}", line), f"{path.name}: no '{key}' line, found {line!r}"


def test_every_results_file_is_on_the_results_page():
    assert {p.name for p in results_files()} <= declared_results()


def test_the_readme_copy_of_a_results_file_is_the_file():
    blocks = BLOCK.findall(README.read_text(encoding="utf-8"))
    assert blocks, "the README marks where its results table goes"
    for name, text in blocks:
        assert Path(name).name in declared_results(), f"{name} is not on the results page"
        source = REPO / name
        if source.is_file():
            assert text == source.read_text(encoding="utf-8"), (
                f"README.md's copy of {name} differs from the file: paste the file between the markers"
            )
        else:  # no numbers before the benchmark wrote them
            assert "|" not in text, f"README.md shows a table for {name}, which does not exist"


def test_the_config_keys_page_renders_from_the_schema():
    from recbole_vagnn.config.schema import render_table

    assert ".. config-keys::" in (DOCS / "user_guide" / "config.rst").read_text()
    assert "``learning_rate``" in render_table("rst")


def test_the_model_page_includes_the_upstream_page():
    page = (DOCS / "model" / "vagnn.rst").read_text()
    included = re.search(r"^\.\. include:: (\S+)$", page, flags=re.M).group(1)
    assert (DOCS / "model" / included).resolve() == REPO / "recbole_vagnn" / "upstream" / "docs" / "vagnn.rst"

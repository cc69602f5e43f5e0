"""Directives of this manual that read the code or the benchmark's output when the manual is built.

``.. config-keys::``
    The config keys' table, rendered by ``python -m recbole_vagnn.config.schema --rst`` from the
    declarations in ``properties/``: the manual cannot drift from the code.

``.. benchmark-result:: FILE.md`` (or ``FILE.png``)
    A results file the benchmark wrote, copied unchanged into ``docs/source/results/`` and
    included unchanged (a chart as an image). Until the file has been generated, a note names the file instead; a file
    that exists must carry the benchmark's header (command, version, date, machine), which
    ``tests/test_docs.py`` checks.
"""

from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList


class ConfigKeys(Directive):
    has_content = False

    def run(self):
        from recbole_vagnn.config.schema import render_table

        source = self.state_machine.input_lines.source(self.lineno - self.state_machine.input_offset - 1)
        lines = StringList(render_table("rst").splitlines(), source=f"{source} (config-keys)")
        self.state_machine.insert_input(lines, lines.source(0))
        return []


class BenchmarkResult(Directive):
    required_arguments = 1
    has_content = False
    option_spec = {"command": directives.unchanged}

    def run(self):
        env = self.state.document.settings.env
        relative, path = env.relfn2path(self.arguments[0])
        env.note_dependency(relative)
        if not Path(path).is_file():
            note = nodes.note()
            note += nodes.paragraph(
                "",
                "",
                nodes.Text("Not generated yet: "),
                nodes.literal(text=str(Path("docs/source") / relative)),
                nodes.Text(" is written by the command above it."),
            )
            return [note]
        if path.endswith(".png"):
            text = f".. image:: {self.arguments[0]}\n   :alt: {Path(path).stem}\n"
        else:
            text = f".. include:: {self.arguments[0]}\n   :parser: myst_parser.sphinx_\n"
        source = self.state_machine.input_lines.source(self.lineno - self.state_machine.input_offset - 1)
        self.state_machine.insert_input(StringList(text.splitlines(), source=source), source)
        return []


def setup(app):
    app.add_directive("config-keys", ConfigKeys)
    app.add_directive("benchmark-result", BenchmarkResult)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Running compiled Schematron with Saxon-HE.

One Saxon processor per process; each stylesheet is compiled into an ``XsltExecutable`` once per
process (per package version and ``type``) and reused for every document.  Saxon objects are not
safe to share between threads, so calls go through one lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from saxonche import PySaxonProcessor, PyXdmValue

from schematron.compiler import OWN, AssertInfo, compile_schema
from schematron.messages import fill
from schematron.package import InstalledPackage, compiled_rules

RULES_DIR = Path(__file__).resolve().parent / "rules"
TODAY = f"{{{OWN}}}today"  # the compiled rules' today (compiler.TODAY), by its expanded name
_lock = threading.RLock()


@dataclass(frozen=True)
class Failure:
    info: AssertInfo
    xpath: str
    values: tuple[str, ...]  # what the assert's value-of / name parts gave, in template order

    @property
    def message(self) -> str:
        return fill(self.info.message, self.values)

    @property
    def diagnostics(self) -> str:
        return fill(self.info.diagnostics, self.values)


@cache
def processor() -> PySaxonProcessor:
    return PySaxonProcessor(license=False)


EMBEDDED = "EmbeddedDocumentBinaryObject"


class CompiledRules:
    """A compiled stylesheet with its assert table; ``run`` gives the failures for one document."""

    def __init__(self, xslt: str, asserts: list[AssertInfo], parameters: dict[str, str]) -> None:
        self.asserts = asserts
        self.reads_embedded = EMBEDDED in xslt  # validation leaves the embedded files out when no rule names them
        self.executable = processor().new_xslt30_processor().compile_stylesheet(stylesheet_text=xslt)
        for name, value in parameters.items():
            self.executable.set_parameter(name, _xdm(value))

    def run(self, document, **parameters: str | PyXdmValue) -> list[Failure]:
        """``document`` is a Saxon node from ``parse``; ``parameters`` (strings, or nodes from
        ``parse``) are set before this run and stay set, so a rule that reads one must be given it
        on every run."""
        with _lock:
            for name, value in parameters.items():
                self.executable.set_parameter(name, _xdm(value))
            output = self.executable.transform_to_string(xdm_node=document)
        return [self._failure(line) for line in output.splitlines() if line]

    def _failure(self, line: str) -> Failure:
        index, xpath, *values = line.split("\t")
        return Failure(self.asserts[int(index)], xpath, tuple(values))


def _xdm(value: str | PyXdmValue) -> PyXdmValue:
    return processor().make_string_value(value) if isinstance(value, str) else value


def parse(text: str):
    """Parse for Saxon once per document; the text has already passed the safe lxml parse."""
    with _lock:
        return processor().parse_xml(xml_text=text, encoding="UTF-8")


@cache
def gib_rules(package: InstalledPackage, doc_type: str) -> CompiledRules:
    """GİB's schematron as compiled at install time; cached per package version and type."""
    xslt, asserts = compiled_rules(package)
    return CompiledRules(xslt, asserts, {"type": doc_type})


@cache
def platform_rules(name: str = "platform.sch") -> CompiledRules:
    """Our own rules: compiled on first use in the process (they ship with the code, not with GİB)."""
    compiled = compile_schema(RULES_DIR / name)
    return CompiledRules(compiled.xslt.decode("utf-8"), compiled.asserts, {})

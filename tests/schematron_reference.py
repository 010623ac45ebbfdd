"""The reference Schematron run: ISO's own skeleton (as shipped inside lxml) executed by Saxon, SVRL out.

Test code only.  It is what our compiler must agree with, so it stays as plain as possible: the
three published stages (include, abstract expansion, SVRL compilation), the generated stylesheet
run as XSLT 2.0 because GİB's tests use XPath 2.0 functions.
"""

from __future__ import annotations

from pathlib import Path

import lxml
from lxml import etree
from saxonche import PySaxonProcessor

SKELETON = Path(lxml.__file__).parent / "isoschematron" / "resources" / "xsl" / "iso-schematron-xslt1"
SVRL = "http://purl.oclc.org/dsdl/svrl"
STAGES = ("iso_dsdl_include.xsl", "iso_abstract_expand.xsl", "iso_svrl_for_xslt1.xsl")


class ReferenceSchematron:
    """Compiles once; ``failed(xml_bytes, type=...)`` gives the (rule context, test) of each failure."""

    def __init__(self, processor: PySaxonProcessor, schema_path: Path) -> None:
        self.processor = processor
        self.executable = self._compile(schema_path)

    def _compile(self, schema_path: Path):
        compiler = self.processor.new_xslt30_processor()
        current = self.processor.parse_xml(xml_file_name=str(schema_path))
        for stage in STAGES:
            stage_executable = compiler.compile_stylesheet(stylesheet_file=str(SKELETON / stage))
            text = stage_executable.transform_to_string(xdm_node=current)
            current = self._reparse(text, schema_path)
        return compiler.compile_stylesheet(stylesheet_text=self._as_xslt2(current.to_string()))

    @staticmethod
    def _as_xslt2(stylesheet: str) -> str:
        # GİB's tests call xs:date() etc.; XSLT 2.0 predeclares no prefixes, so declare xs as GİB assumes.
        root = etree.fromstring(stylesheet.encode("utf-8"))
        nsmap = {**root.nsmap, "xs": "http://www.w3.org/2001/XMLSchema"}
        fixed = etree.Element(root.tag, root.attrib, nsmap=nsmap)
        fixed.extend(list(root))
        fixed.set("version", "2.0")
        return etree.tostring(fixed, encoding="unicode")

    def _reparse(self, text: str, schema_path: Path):
        builder = self.processor.new_document_builder()
        # Relative includes resolve against the schema's folder.
        builder.set_base_uri(schema_path.as_uri())
        return builder.parse_xml(xml_text=text)

    def svrl(self, xml_bytes: bytes, *, doc_type: str) -> etree._Element:
        self.executable.set_parameter("type", self.processor.make_string_value(doc_type))
        document = self.processor.parse_xml(xml_text=xml_bytes.decode("utf-8-sig"))
        output = self.executable.transform_to_string(xdm_node=document)
        return etree.fromstring(output.encode("utf-8"))

    def failed(self, xml_bytes: bytes, *, doc_type: str) -> list[tuple[str, str, str]]:
        """(fired rule context, normalised test, location) for every failed assert, in output order."""
        failures, context = [], None
        for element in self.svrl(xml_bytes, doc_type=doc_type):
            if element.tag == f"{{{SVRL}}}fired-rule":
                context = element.get("context")
            elif element.tag == f"{{{SVRL}}}failed-assert":
                failures.append((context, " ".join(element.get("test").split()), element.get("location")))
        return failures

    def messages(self, xml_bytes: bytes, *, doc_type: str) -> list[tuple[str, str, str]]:
        """(fired rule context, normalised test, normalised message text) for every failed assert."""
        texts = [
            " ".join("".join(element.itertext()).split())
            for element in self.svrl(xml_bytes, doc_type=doc_type)
            if element.tag == f"{{{SVRL}}}failed-assert"
        ]
        return [(context, test, text) for (context, test, _), text in zip(self.failed(xml_bytes, doc_type=doc_type), texts)]

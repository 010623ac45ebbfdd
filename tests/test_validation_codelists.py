"""Code-list membership is compiled into map lookups; every answer must stay what GİB's contains() gives."""

from collections import Counter

import pytest

from schematron import engine
from schematron.compiler import compile_schema
from tests.schematron_reference import ReferenceSchematron

SCHEMA = """<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron">
  <sch:pattern id="codes">
    <sch:let name="Codes" value="',TRY,USD,EUR,,GBP,'"/>
    <sch:let name="Shadowed" value="',A,B,'"/>
  </sch:pattern>
  <sch:pattern id="checks">
    <sch:rule context="v">
      <sch:assert id="LISTED" test="contains($Codes, concat(',',.,','))">not listed: <sch:value-of select="."/></sch:assert>
      <sch:assert id="COLLATION" test="contains($Codes, concat(',',.,','), 'http://www.w3.org/2005/xpath-functions/collation/codepoint')">collation</sch:assert>
      <sch:assert id="LITERAL" test="not(. = 'contains($Codes, x)')">literal</sch:assert>
      <sch:assert id="RAW" test="contains($Codes, .)">raw</sch:assert>
      <sch:assert id="BOUND" test="some $Codes in ',JPY,' satisfies contains($Codes, concat(',',.,','))">bound</sch:assert>
    </sch:rule>
    <sch:rule context="w">
      <sch:let name="Shadowed" value="',C,'"/>
      <sch:assert id="SHADOWED" test="contains($Shadowed, concat(',',.,','))">shadowed</sch:assert>
    </sch:rule>
  </sch:pattern>
</sch:schema>
"""
# Items, a missing one, the empty item, neighbours joined by a comma (found by contains(), so
# listed), items that are not neighbours, a partial item, a literal that looks like a call.
VALUES = ["TRY", "EUR", "JPY", "", "USD,EUR", "TRY,EUR", "TR", "RY,US", "contains($Codes, x)", " TRY"]
DOCUMENT = "<doc>" + "".join(f"<v>{value}</v>" for value in VALUES) + "<w>C</w><w>A</w></doc>"


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("codelists") / "codes.sch"
    path.write_text(SCHEMA, encoding="utf-8")
    return path


def test_membership_is_looked_up_in_a_map(schema):
    xslt = compile_schema(schema).xslt.decode("utf-8")
    assert xslt.count("own:listed($own:list-Codes, $Codes,") == 2  # LISTED and RAW; not COLLATION, not BOUND's own $Codes
    assert "own:list-Shadowed" not in xslt  # a rule declares its own $Shadowed


def test_same_failures_as_the_reference_for_every_kind_of_value(schema):
    compiled = compile_schema(schema)
    failures = engine.CompiledRules(compiled.xslt.decode("utf-8"), compiled.asserts, {}).run(engine.parse(DOCUMENT))
    reference = ReferenceSchematron(engine.processor(), schema).failed(DOCUMENT.encode(), doc_type="efatura")
    assert Counter(failure.info.test for failure in failures) == Counter(test for _, test, _ in reference)
    listed = [failure.values[0] for failure in failures if failure.info.rule == "LISTED"]
    assert listed == ["JPY", "TRY,EUR", "TR", "RY,US", "contains($Codes, x)", " TRY"]
    assert [failure.xpath for failure in failures if failure.info.rule == "SHADOWED"] == ["/doc[1]/w[2]"]

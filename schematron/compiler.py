"""ISO Schematron → XSLT 3.0, our own compiler.

The output stylesheet writes one text line per failed assert (or fired report)::

    <assert index> TAB <location path> (TAB <value>)*

and the compiler returns, beside the stylesheet, the table the index points into (rule, context,
test, kind, message templates).  A value is what one ``sch:value-of`` / ``sch:name`` of the
assert's text, then of its diagnostics, gave; the templates hold ``{n}`` where value n goes.  Tests
and texts therefore never travel through the output, reading a run back is a ``str.split``, not an
SVRL parse, and the same values can fill GİB's Turkish text and our English one.

Semantics follow the ISO skeleton: every pattern walks the document (elements and attributes) in
its own mode; a node is handled by the first rule, in document order, whose context matches it;
top-level ``let``s become ``xsl:param``s (so ``type`` and ``today`` can be passed in), pattern
``let``s global variables and rule ``let``s local ones.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from lxml import etree

SCH = "http://purl.oclc.org/dsdl/schematron"
XSL = "http://www.w3.org/1999/XSL/Transform"
OWN = "urn:integrator:schematron"
NS = {"sch": SCH}
# Compiled stylesheets are stored with installed packages; they are valid only for the compiler
# that made them, so any change to this file makes installed packages compile again (package.py).
COMPILER_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


class SchematronError(Exception):
    """The schema cannot be compiled (missing include, unknown abstract rule, ...)."""


@dataclass(frozen=True)
class AssertInfo:
    """What a line of output refers to; ``rule`` is the assert id, else the (abstract) rule id.

    ``message`` and ``diagnostics`` are the assert's text and its diagnostics' text, whitespace
    normalised, with ``{n}`` for the n-th value of the output line.
    """

    rule: str
    context: str
    test: str
    kind: str
    pattern: str
    message: str
    diagnostics: str


@dataclass(frozen=True)
class Compiled:
    xslt: bytes
    asserts: list[AssertInfo]

    def asserts_as_dicts(self) -> list[dict[str, str]]:
        return [asdict(info) for info in self.asserts]


def _sch(tag: str) -> str:
    return f"{{{SCH}}}{tag}"


def _xsl(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{XSL}}}{tag}", {k.replace("_", "-"): v for k, v in attrs.items()})


def normalize_space(text: str) -> str:
    """XPath's normalize-space(): only space, tab, CR and LF count as white space."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip(" ")


def _parse_trusted(path: Path) -> etree._ElementTree:
    # Schemas come from GİB's package or our repository, still no reason to let them fetch anything.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    return etree.parse(str(path), parser)


# --- assembling: includes ---------------------------------------------------------------------


def _included_fragment(include: etree._Element, base: Path) -> etree._Element:
    href = include.get("href", "")
    file_part, _, fragment = href.partition("#")
    path = (base / file_part) if file_part else None
    if path is None or not path.is_file():
        raise SchematronError(f"sch:include {href!r}: file not found next to {base}")
    root = _parse_trusted(path).getroot()
    if not fragment:
        return root
    found = root.xpath("//*[@id=$id]", id=fragment)
    if not found:
        raise SchematronError(f"sch:include {href!r}: no element with id {fragment!r}")
    return found[0]


def _resolve_includes(element: etree._Element, base: Path, depth: int = 0) -> None:
    if depth > 20:
        raise SchematronError("sch:include nested too deeply (a cycle?)")
    for include in element.findall(".//sch:include", NS):
        fragment = copy.deepcopy(_included_fragment(include, base))
        _resolve_includes(fragment, base, depth + 1)
        include.getparent().replace(include, fragment)


def assemble(path: Path) -> etree._Element:
    """The schema with every ``sch:include`` replaced by the element it points at."""
    root = _parse_trusted(path).getroot()
    _resolve_includes(root, path.parent)
    return root


# --- expanding: abstract rules ------------------------------------------------------------------


def _abstract_rules(schema: etree._Element) -> dict[str, etree._Element]:
    return {rule.get("id"): rule for rule in schema.iterfind(".//sch:rule[@abstract='true']", NS)}


def _rule_items(rule: etree._Element, abstracts: dict[str, etree._Element], depth: int = 0):
    """Yield (let | assert | report, abstract rule id or None) in the order the skeleton emits them."""
    for child in rule:
        if child.tag == _sch("extends"):
            target = abstracts.get(child.get("rule"))
            if target is None or depth > 20:
                raise SchematronError(f"sch:extends: abstract rule {child.get('rule')!r} is not declared")
            for item, _owner in _rule_items(target, abstracts, depth + 1):
                yield item, child.get("rule")
        elif child.tag in (_sch("let"), _sch("assert"), _sch("report")):
            yield child, None


# --- selecting contexts ---------------------------------------------------------------------------


def _simple_context(context: str) -> bool:
    # A single path (no top-level union, no functions at the start) is also an expression.
    depth = 0
    for char in context:
        depth += char in "[("
        depth -= char in "])"
        if char == "|" and depth == 0:
            return False
    return not context.lstrip().startswith(("key(", "id(", "doc(", "element-with-id("))


def _selection(rules: list[etree._Element]) -> str | None:
    """An expression selecting every node some rule of the pattern can match, or None to walk the tree.

    A node matches pattern P exactly when it is in ``//P`` (``P`` itself when it starts with "/"),
    so applying templates to the union of those visits the same nodes as the ISO tree walk, in the
    same document order, while letting Saxon use its element-name index instead of a visit per node.
    """
    contexts = [rule.get("context", "").strip() for rule in rules]
    if not all(_simple_context(context) for context in contexts):
        return None
    return " | ".join(context if context.startswith("/") else f"//{context}" for context in contexts)


# --- code lists --------------------------------------------------------------------------------
# GİB tests membership as contains($List, concat(',', value, ',')) on lists such as ',TRY,USD,...,'
# of up to 15 KB, once per currencyID, unitCode, ...; Saxon scans the list string each time, which
# made these tests most of a run.  The compiled tests look the key up in a map built when the
# stylesheet is compiled instead (own:listed).

LITERAL_LIST = re.compile(r"\s*'(,[^']*,)'\s*")
LIST_MEMBERSHIP = re.compile(r"""('[^']*'|"[^"]*")|(?<![\w:.-])contains\(\s*\$([\w.-]+)\s*,""")
MAP_CONTAINS = "Q{http://www.w3.org/2005/xpath-functions/map}contains"


def _code_lists(schema: etree._Element) -> dict[str, list[str]]:
    """Pattern-level lets bound to a literal ',A,B,...,', with their items; a rule-level let of the
    same name would shadow the global one somewhere, so such names are left alone."""
    local = {let.get("name") for let in schema.iterfind(".//sch:rule/sch:let", NS)}
    lists = {}
    for let in schema.iterfind("sch:pattern/sch:let", NS):
        found = LITERAL_LIST.fullmatch(let.get("value", ""))
        if found and let.get("name") not in local:
            lists[let.get("name")] = list(dict.fromkeys(found[1][1:-1].split(",")))
    return lists


def _more_arguments(expression: str, start: int) -> bool:
    """Whether the call whose argument list continues at ``start`` has another top-level comma."""
    depth, quote = 1, None
    for char in expression[start:]:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return False
        elif char == "," and depth == 1:
            return True
    return False


def _binds(expression: str, name: str) -> bool:
    """Whether a for / let / some / every inside ``expression`` binds its own $name."""
    return re.search(rf"\${re.escape(name)}\s*(?:\bin\b|:=)", expression) is not None


def _with_list_lookups(expression: str, lists: dict[str, list[str]]) -> str:
    """``expression`` with each two-argument contains($List, key) on a code list as own:listed."""

    def replace(match: re.Match) -> str:
        name = match[2]
        if match[1] or name not in lists or _more_arguments(expression, match.end()) or _binds(expression, name):
            return match[0]
        return f"own:listed($own:list-{name}, ${name},"

    return LIST_MEMBERSHIP.sub(replace, expression)


# --- emitting ---------------------------------------------------------------------------------


# The day the rules take for today. GİB's rules ask current-date() (TimeCheck: an invoice may not be
# dated after today), which Saxon answers in the machine's time zone: on a server keeping UTC, from
# 21:00 to midnight an invoice dated today in Istanbul would be "in the future". GİB judges by
# Turkey's day, so every current-date() reads this parameter, which the validator sets to Istanbul's
# day (or the day it is asked to judge by); unset, it is current-date() as before.
TODAY = "own:today"
CURRENT_DATE = re.compile(r"(?<![\w.:-])current-date\(\s*\)")


def _today_from_parameter(root: etree._Element) -> None:
    for element in root.iter(f"{{{XSL}}}*"):
        if element.get("name") == TODAY:
            continue
        for attribute in ("test", "select"):
            value = element.get(attribute)
            if value and "current-date" in value:
                element.set(attribute, CURRENT_DATE.sub(f"xs:date(${TODAY})", value))



class _Emitter:
    """Builds the stylesheet; one instance per compilation."""

    def __init__(self, schema: etree._Element) -> None:
        self.schema = schema
        self.abstracts = _abstract_rules(schema)
        self.lists = _code_lists(schema)
        self.asserts: list[AssertInfo] = []
        nsmap = {"xsl": XSL, "xs": "http://www.w3.org/2001/XMLSchema", "own": OWN}
        nsmap.update({ns.get("prefix"): ns.get("uri") for ns in schema.iterfind("sch:ns", NS)})
        self.root = etree.Element(f"{{{XSL}}}stylesheet", nsmap=nsmap, version="3.0")
        self.root.set("exclude-result-prefixes", " ".join(p for p in nsmap if p != "xsl"))

    def build(self) -> Compiled:
        _xsl(self.root, "output", method="text", encoding="UTF-8")
        self._emit_globals()
        self._emit_path_function()
        self._emit_list_lookup()
        patterns = [p for p in self.schema.iterfind("sch:pattern", NS) if p.get("abstract") != "true"]
        modes = [self._emit_pattern(pattern, index, self._rules_of(pattern)) for index, pattern in enumerate(patterns)]
        self._emit_entry(mode for mode in modes if mode)
        _today_from_parameter(self.root)
        return Compiled(xslt=etree.tostring(self.root, xml_declaration=True, encoding="UTF-8"), asserts=self.asserts)

    def _emit_globals(self) -> None:
        _xsl(self.root, "param", name=TODAY, select="string(current-date())")
        for let in self.schema.iterfind("sch:let", NS):
            _xsl(self.root, "param", name=let.get("name"), select=let.get("value"))
        for let in self.schema.iterfind("sch:pattern/sch:let", NS):
            _xsl(self.root, "variable", name=let.get("name"), select=let.get("value"))
        for name, items in self.lists.items():
            entries = ", ".join(f"',{item},': true()" for item in items)
            _xsl(self.root, "variable", name=f"own:list-{name}", static="yes", select=f"map{{{entries}}}")

    def _emit_list_lookup(self) -> None:
        # A key found in the map (',item,') occurs in the list string, so contains() is true; any
        # other key is searched for in the string as before: the same answer for every key, and
        # only values that are not in the list (errors) pay for the scan.
        function = _xsl(self.root, "function", name="own:listed", **{"as": "xs:boolean"})
        _xsl(function, "param", name="set", **{"as": "map(*)"})
        _xsl(function, "param", name="list", **{"as": "xs:string?"})
        _xsl(function, "param", name="key", **{"as": "xs:string?"})
        _xsl(function, "sequence", select=f"exists($key) and {MAP_CONTAINS}($set, $key) or contains($list, $key)")

    def _emit_path_function(self) -> None:
        # Paths name nodes as the document does (prefix:local[n]), so they read like the source.
        function = _xsl(self.root, "function", name="own:path", **{"as": "xs:string"})
        _xsl(function, "param", name="node", **{"as": "node()"})
        steps = (
            "for $e in $node/ancestor-or-self::* return "
            "concat('/', name($e), '[', 1 + count($e/preceding-sibling::*[node-name(.) eq node-name($e)]), ']')"
        )
        attribute = "if ($node instance of attribute()) then concat('/@', name($node)) else ''"
        _xsl(function, "sequence", select=f"concat(string-join(({steps}), ''), {attribute})")

    def _emit_entry(self, modes) -> None:
        template = _xsl(self.root, "template", match="/")
        for mode, selection in modes:
            _xsl(template, "apply-templates", select=selection, mode=mode)

    def _rules_of(self, pattern: etree._Element) -> list[etree._Element]:
        """The pattern's concrete rules; the schema's first pattern also takes stray schema-level rules.

        GİB's main schema puts some rules straight under ``sch:schema``.  The ISO skeleton gives those
        the mode of the schema's first child, so they run when that child is a pattern (GİB's is the
        included code-list pattern) and never otherwise; we do the same.
        """
        rules = [r for r in pattern.iterfind("sch:rule", NS) if r.get("abstract") != "true"]
        first_child = next(iter(self.schema.iterchildren(etree.Element)), None)
        if pattern is first_child:
            rules = [r for r in self.schema.iterfind("sch:rule", NS) if r.get("abstract") != "true"] + rules
        return rules

    def _emit_pattern(self, pattern: etree._Element, index: int, rules: list[etree._Element]) -> tuple[str, str] | None:
        if not rules:
            return None
        mode = f"own:p{index}"
        selection = _selection(rules)
        for position, rule in enumerate(rules):
            self._emit_rule(rule, mode, priority=1000 + len(rules) - position, pattern=pattern.get("id", str(index)), walk=selection is None)
        _xsl(self.root, "template", match="text()", mode=mode, priority="-1")
        walk = _xsl(self.root, "template", match="@*|node()", mode=mode, priority="-2")
        if selection is None:
            _xsl(walk, "apply-templates", select="@*|*", mode=mode)
            return mode, "."
        # Selected nodes that no rule takes end in the empty fallback: never select again from there.
        return mode, selection

    def _emit_rule(self, rule: etree._Element, mode: str, *, priority: int, pattern: str, walk: bool) -> None:
        context = rule.get("context")
        if not context:
            raise SchematronError("sch:rule without context")
        template = _xsl(self.root, "template", match=context, mode=mode, priority=str(priority))
        for item, owner in _rule_items(rule, self.abstracts):
            if item.tag == _sch("let"):
                _xsl(template, "variable", name=item.get("name"), select=_with_list_lookups(item.get("value"), self.lists))
            else:
                self._emit_check(template, item, owner or rule.get("id") or context, context, pattern)
        if walk:
            _xsl(template, "apply-templates", select="@*|*", mode=mode)

    def _emit_check(self, template, check, rule_name: str, context: str, pattern: str) -> None:
        kind = etree.QName(check).localname
        test = check.get("test")
        fast = _with_list_lookups(test, self.lists)
        condition = f"not({fast})" if kind == "assert" else fast
        body = _xsl(template, "if", test=condition)
        values: list[str] = []
        message = normalize_space(message_template(check, values))
        refs = (check.get("diagnostics") or "").split()
        diagnostics = " ".join(normalize_space(message_template(self._diagnostic(ref), values)) for ref in refs)
        self._emit_line(body, len(self.asserts), values)
        info = AssertInfo(check.get("id") or rule_name, context, " ".join(test.split()), kind, pattern, message, diagnostics)
        self.asserts.append(info)

    def _emit_line(self, body: etree._Element, index: int, values: list[str]) -> None:
        # Each value as xsl:value-of makes it (joining a sequence with spaces, as the skeleton's
        # message would); tabs and newlines become spaces so the line still splits into fields.
        fields = [f"'{index}'", "own:path(.)"]
        for number, select in enumerate(values):
            variable = _xsl(body, "variable", name=f"own:v{number}")
            _xsl(variable, "value-of", select=select)
            fields.append(f"translate($own:v{number}, '\t\n\r', '   ')")
        _xsl(body, "value-of", select=f"string-join(({', '.join(fields)}), '\t')")
        _xsl(body, "text").text = "\n"

    def _diagnostic(self, ref: str) -> etree._Element:
        found = self.schema.xpath(".//sch:diagnostic[@id=$id]", namespaces=NS, id=ref)
        if not found:
            raise SchematronError(f"diagnostic {ref!r} is referenced but not declared")
        return found[0]


def message_template(source: etree._Element, values: list[str]) -> str:
    """The text of an assert or diagnostic, ``{n}`` standing for each value-of / name in it.

    The expressions are appended to ``values``, so an assert's diagnostics number on after its text.
    """
    parts = [source.text or ""]
    for child in source:
        if child.tag in (_sch("value-of"), _sch("name")):
            select = child.get("select", ".") if child.tag == _sch("value-of") else f"name({child.get('path', '.')})"
            values.append(select)
            parts.append(f"{{{len(values) - 1}}}")
        elif isinstance(child.tag, str):
            parts.append(message_template(child, values))
        parts.append(child.tail or "")
    return "".join(parts)


def compile_schema(path: Path) -> Compiled:
    """Compile the Schematron at ``path`` (with its includes) into one XSLT 3.0 stylesheet."""
    return _Emitter(assemble(path)).build()

#!/usr/bin/python3
"""Generates docs/descriptor-reference.md from schemas/*.schema.json.

    /usr/bin/python3 docs/gen_descriptor_reference.py           # write
    /usr/bin/python3 docs/gen_descriptor_reference.py --check   # verify

The JSON Schemas are the documentation of record for the shape of every
descriptor family; this page renders them for reading: one section per family
(one schema file), a table of fields per object (name, type, required,
default, constraints, description), and one table per variant of a
discriminated union (a `oneOf` whose branches fix a property with `const`,
such as a pipeline step's `op`).

--check exits 1 (printing a short diff) when the file on disk differs from
what would be generated, so CI catches a schema edit without a doc refresh.
Only the standard library is used; output is deterministic (it follows the
schemas' key order).
"""

import argparse
import difflib
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_SCHEMAS = os.path.join(ROOT, "schemas")
DEFAULT_OUT = os.path.join(HERE, "descriptor-reference.md")
GENERATOR = "docs/gen_descriptor_reference.py"


# ---------------------------------------------------------------------------
# Schema helpers
# ---------------------------------------------------------------------------

class Schema:
    """One schema document with $ref resolution inside it."""

    def __init__(self, path, doc):
        self.path = path
        self.doc = doc
        self.family = os.path.basename(path)[:-len(".schema.json")]

    def lookup(self, ref):
        if not ref.startswith("#"):
            raise ValueError("%s: only local $ref is supported: %s" %
                             (self.path, ref))
        node = self.doc
        for part in ref[1:].split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[part]
        return node

    def resolve(self, s):
        """Follows $ref chains; keywords next to a $ref (such as its
        description) override the target's. Returns (schema, def name)."""
        name = None
        seen = set()
        while isinstance(s, dict) and "$ref" in s:
            ref = s["$ref"]
            if ref in seen:
                raise ValueError("%s: $ref cycle at %s" % (self.path, ref))
            seen.add(ref)
            target = self.lookup(ref)
            if name is None:
                name = ref.rsplit("/", 1)[-1]
            merged = dict(target)
            merged.update({k: v for k, v in s.items() if k != "$ref"})
            s = merged
        return s, name


def is_record(s):
    """An object with named properties: rendered as its own table."""
    return isinstance(s, dict) and "properties" in s


def json_text(v):
    return json.dumps(v, ensure_ascii=False, sort_keys=False)


def code(v):
    text = v if isinstance(v, str) else json_text(v)
    if "`" in text:
        return "`` %s ``" % text
    return "`%s`" % text


def cell(text):
    """Makes text safe for one Markdown table cell."""
    text = " ".join(str(text).split())
    return text.replace("|", "\\|") if text else "—"


def slug(*parts):
    s = "-".join(parts).lower()
    return re.sub(r"[^a-z0-9_-]+", "-", s).strip("-")


def plural(t):
    """The plural of a type string: "object ([Rule](#...))" ->
    "objects ([Rule](#...))", "array of numbers" -> "arrays of numbers"."""
    for word in ("array", "object"):
        if t == word or t.startswith(word + " "):
            return word + "s" + t[len(word):]
    return {"string": "strings", "number": "numbers", "integer": "integers",
            "boolean": "booleans", "null": "nulls"}.get(t, t)


# ---------------------------------------------------------------------------
# Rendering of types and constraints
# ---------------------------------------------------------------------------

class Renderer:
    def __init__(self, schema):
        self.schema = schema
        self.family = schema.family
        self.sections = []      # (anchor, title, kind, schema, path)
        self.anchor_of = {}     # id(schema dict) / def name -> anchor
        self.shared = []        # (def name, schema) of simple shared defs

    # -- sections -----------------------------------------------------------

    def section_for(self, s, defname, title, path, kind="record"):
        key = defname or id(s)
        if key in self.anchor_of:
            return self.anchor_of[key]
        anchor = slug(self.family, defname or title)
        self.anchor_of[key] = anchor
        self.sections.append((anchor, title, kind, s, path))
        return anchor

    def discriminator(self, s):
        """For a oneOf/anyOf of records that each fix one property with
        `const`: (property, [(value, branch schema, def name)])."""
        for key in ("oneOf", "anyOf"):
            alts = s.get(key)
            if not alts:
                continue
            resolved = [self.schema.resolve(a) for a in alts]
            if not all(is_record(r) for r, _ in resolved):
                return None
            common = None
            for r, _ in resolved:
                consts = {p for p, ps in r["properties"].items()
                          if isinstance(ps, dict) and "const" in ps}
                common = consts if common is None else common & consts
            if not common:
                return None
            prop = sorted(common)[0]
            if "op" in common:
                prop = "op"
            return prop, [(r["properties"][prop]["const"], r, n)
                          for r, n in resolved]
        return None

    def title_of(self, s, defname, fallback):
        return s.get("title") or defname or fallback

    # -- types --------------------------------------------------------------

    def type_of(self, s, path):
        """A short type string; registers sections for nested records."""
        s, defname = self.schema.resolve(s)
        if is_record(s):
            title = self.title_of(s, defname, path)
            anchor = self.section_for(s, defname, title, path)
            return "object ([%s](#%s))" % (title, anchor)
        disc = self.discriminator(s)
        if disc is not None:
            title = self.title_of(s, defname, path)
            anchor = self.section_for(s, defname, title, path, kind="union")
            return "object ([%s](#%s))" % (title, anchor)
        if "const" in s:
            return self.json_type(s["const"])
        if "enum" in s:
            types = sorted({self.json_type(v) for v in s["enum"]})
            return " or ".join(types)
        t = s.get("type")
        if isinstance(t, list):
            return " or ".join(t)
        if t == "array":
            if "items" in s:
                return "array of %s" % plural(self.type_of(s["items"],
                                                           path + "[]"))
            alts = s.get("anyOf") or s.get("oneOf")
            if alts and all("items" in a for a in alts):
                return " or ".join(
                    "array of %s" % plural(self.type_of(a["items"],
                                                        path + "[]"))
                    for a in alts)
            return "array"
        if t == "object" and "additionalProperties" in s and \
                isinstance(s["additionalProperties"], dict):
            return "object of %s" % plural(
                self.type_of(s["additionalProperties"], path + ".*"))
        if t:
            return t
        alts = s.get("oneOf") or s.get("anyOf")
        if alts:
            return " or ".join(self.type_of(a, path) for a in alts)
        return "any"

    @staticmethod
    def json_type(v):
        if isinstance(v, bool):
            return "boolean"
        if isinstance(v, int):
            return "integer"
        if isinstance(v, float):
            return "number"
        if isinstance(v, str):
            return "string"
        if v is None:
            return "null"
        if isinstance(v, list):
            return "array"
        return "object"

    # -- constraints ----------------------------------------------------------

    def constraints(self, s, path, top=True):
        """Human-readable constraints of a (resolved) schema."""
        s, defname = self.schema.resolve(s)
        out = []
        if "const" in s:
            out.append("exactly %s" % code(s["const"]))
        if "enum" in s:
            out.append("one of " + ", ".join(code(v) for v in s["enum"]))
        for key, op in (("minimum", "≥"), ("exclusiveMinimum", ">"),
                        ("maximum", "≤"), ("exclusiveMaximum", "<")):
            if key in s:
                out.append("%s %s" % (op, json_text(s[key])))
        if "multipleOf" in s:
            out.append("multiple of %s" % json_text(s["multipleOf"]))
        if s.get("minLength") == 1:
            out.append("non-empty")
        elif "minLength" in s:
            out.append("length ≥ %d" % s["minLength"])
        if "maxLength" in s:
            out.append("length ≤ %d" % s["maxLength"])
        if "pattern" in s:
            out.append("matches %s" % code(s["pattern"]))
        if "format" in s:
            out.append("format %s" % s["format"])
        if "minItems" in s and s.get("maxItems") == s["minItems"]:
            out.append("exactly %d items" % s["minItems"])
        else:
            if s.get("minItems") == 1:
                out.append("non-empty")
            elif "minItems" in s:
                out.append("≥ %d items" % s["minItems"])
            if "maxItems" in s:
                out.append("≤ %d items" % s["maxItems"])
        if s.get("uniqueItems"):
            out.append("unique items")
        if s.get("minProperties") == 1:
            out.append("non-empty")
        elif "minProperties" in s:
            out.append("≥ %d entries" % s["minProperties"])
        if "maxProperties" in s:
            out.append("≤ %d entries" % s["maxProperties"])
        if s.get("type") == "array" and "items" in s:
            inner = self.constraints(s["items"], path + "[]", top=False)
            if inner:
                out.append("each item: " + ", ".join(inner))
        if s.get("type") == "array" and "items" not in s:
            alts = s.get("anyOf") or s.get("oneOf")
            if alts and all("items" in a for a in alts) and top:
                out.append("items all of one type")
        ap = s.get("additionalProperties")
        if isinstance(ap, dict) and "properties" not in s:
            inner = self.constraints(ap, path + ".*", top=False)
            if inner:
                out.append("each value: " + ", ".join(inner))
        alts = s.get("oneOf") or s.get("anyOf")
        if alts and "type" not in s and top and \
                self.discriminator(s) is None:
            parts = []
            for a in alts:
                ra, _ = self.schema.resolve(a)
                # type_of(a), not type_of(ra): the $ref names the section
                # (its anchor), the resolved copy would get a new one.
                t = self.type_of(a, path)
                c = self.constraints(ra, path, top=False)
                parts.append("%s%s" % (t, (" (" + ", ".join(c) + ")")
                                       if c else ""))
            out.append("either " + "; or ".join(parts))
        return out

    # -- rules an object states about its properties ------------------------

    def condition_text(self, cond):
        parts = []
        for prop, ps in cond.get("properties", {}).items():
            if "const" in ps:
                parts.append("%s is %s" % (code(prop), code(ps["const"])))
            elif "enum" in ps:
                parts.append("%s is one of %s" % (
                    code(prop), ", ".join(code(v) for v in ps["enum"])))
            else:
                c = self.constraints(ps, prop, top=False)
                parts.append("%s is %s" % (code(prop), ", ".join(c) or
                                           "present"))
        for prop in cond.get("required", []):
            if prop not in cond.get("properties", {}):
                parts.append("%s is present" % code(prop))
        return " and ".join(parts) or "always"

    def consequence_text(self, then):
        parts = []
        nt = then.get("not", {})
        if list(nt) == ["required"]:
            parts.append(", ".join(code(p) for p in nt["required"]) +
                         " must be absent")
        for prop in then.get("required", []):
            parts.append("%s is required" % code(prop))
        for prop, ps in then.get("properties", {}).items():
            c = self.constraints(ps, prop, top=False)
            if c:
                parts.append("%s: %s" % (code(prop), ", ".join(c)))
        return "; ".join(parts) or "(see the schema)"

    def rules(self, s):
        out = []
        for key in ("anyOf", "oneOf"):
            alts = s.get(key, [])
            if alts and all(list(a) == ["required"] for a in alts):
                props = [p for a in alts for p in a["required"]]
                word = "at least one" if key == "anyOf" else "exactly one"
                out.append("%s of %s is required." % (
                    word.capitalize(), ", ".join(code(p) for p in props)))
        for rule in s.get("allOf", []):
            if "if" in rule and "then" in rule:
                out.append("When %s: %s." % (self.condition_text(rule["if"]),
                                             self.consequence_text(
                                                 rule["then"])))
                if "else" in rule:
                    out.append("Otherwise: %s." %
                               self.consequence_text(rule["else"]))
            elif list(rule) == ["required"]:
                out.append("%s are required." %
                           ", ".join(code(p) for p in rule["required"]))
        if "dependentRequired" in s:
            for p, deps in s["dependentRequired"].items():
                out.append("With %s, %s are required." % (
                    code(p), ", ".join(code(d) for d in deps)))
        return out

    # -- tables ---------------------------------------------------------------

    def field_table(self, s, path):
        lines = ["| field | type | required | default | constraints | "
                 "description |",
                 "|---|---|---|---|---|---|"]
        required = set(s.get("required", []))
        for name, ps in s.get("properties", {}).items():
            rs, defname = self.schema.resolve(ps)
            own = ps.get("description") if isinstance(ps, dict) else None
            desc = own or rs.get("description", "")
            sub = "%s.%s" % (path, name) if path else name
            t = self.type_of(ps, sub)
            if defname and not is_record(rs) and \
                    self.discriminator(rs) is None:
                # A shared definition: link to its row.
                t += " ([%s](#%s))" % (defname, slug(self.family, "shared"))
            c = self.constraints(ps, sub)
            default = code(rs["default"]) if "default" in rs else "—"
            lines.append("| %s | %s | %s | %s | %s | %s |" % (
                code(name), cell(t), "yes" if name in required else "no",
                cell(default), cell(", ".join(c)), cell(desc)))
        extra = s.get("additionalProperties", True)
        note = None
        if extra is False:
            note = "No other fields are allowed."
        return lines, note

    def render_record(self, anchor, title, s, path, level):
        out = ['<a id="%s"></a>' % anchor, "",
               "%s %s" % ("#" * level, title), ""]
        if path:
            out += ["At `%s`." % path, ""]
        if s.get("description"):
            out += [s["description"], ""]
        table, note = self.field_table(s, path)
        out += table + [""]
        rules = self.rules(s)
        if note:
            rules.append(note)
        for r in rules:
            out.append("- " + r)
        if rules:
            out.append("")
        return out

    def render_union(self, anchor, title, s, path, level):
        prop, branches = self.discriminator(s)
        out = ['<a id="%s"></a>' % anchor, "",
               "%s %s" % ("#" * level, title), ""]
        if path:
            out += ["At `%s`." % path, ""]
        if s.get("description"):
            out += [s["description"], ""]
        links = []
        sub = []
        for value, branch, defname in branches:
            a = slug(self.family, title, str(value))
            links.append("[%s](#%s)" % (code(value), a))
            heading = "%s %s = %s" % ("#" * (level + 1), prop, code(value))
            bt = branch.get("title")
            if bt and bt != value:
                heading += " — " + bt
            body = ['<a id="%s"></a>' % a, "", heading, ""]
            if branch.get("description"):
                body += [branch["description"], ""]
            table, note = self.field_table(branch, path)
            body += table + [""]
            rules = self.rules(branch)
            if note:
                rules.append(note)
            for r in rules:
                body.append("- " + r)
            if rules:
                body.append("")
            sub += body
        out += ["Selected by %s: %s." % (code(prop), ", ".join(links)), ""]
        return out + sub

    def shared_defs(self):
        """$defs that are neither records nor unions: listed once."""
        defs = self.schema.doc.get("$defs", {})
        rows = []
        for name, d in defs.items():
            if is_record(d) or self.discriminator(d) is not None:
                continue
            rows.append("| %s | %s | %s | %s |" % (
                code(name), cell(self.type_of(d, name)),
                cell(", ".join(self.constraints(d, name))),
                cell(d.get("description", ""))))
        return rows

    def render(self):
        doc = self.schema.doc
        root_anchor = slug(self.family, "document")
        self.anchor_of[id(doc)] = root_anchor
        out = ['<a id="%s"></a>' % slug(self.family), "",
               "## `%s`" % self.family, ""]
        if doc.get("title"):
            out += ["**%s.** Schema: `schemas/%s`%s." % (
                doc["title"], os.path.basename(self.schema.path),
                (", `$id` " + code(doc["$id"])) if "$id" in doc else ""), ""]
        if doc.get("description"):
            out += [doc["description"], ""]
        semantics = os.path.join(HERE, "%s-semantics.md" % self.family)
        if os.path.exists(semantics):
            out += ["Meaning of every field: [%s-semantics.md](%s-semantics.md)."
                    % (self.family, self.family), ""]
        # The document itself first; nested records and unions are queued
        # while rendering and rendered in discovery order.
        body = []
        table, note = self.field_table(doc, "")
        body += ['<a id="%s"></a>' % root_anchor, "", "### Document", ""]
        body += table + [""]
        rules = self.rules(doc)
        if note:
            rules.append(note)
        body += ["- " + r for r in rules] + ([""] if rules else [])
        i = 0
        while i < len(self.sections):
            anchor, title, kind, s, path = self.sections[i]
            if kind == "union":
                body += self.render_union(anchor, title, s, path, 3)
            else:
                body += self.render_record(anchor, title, s, path, 3)
            i += 1
        out += body
        shared = self.shared_defs()
        if shared:
            out += ['<a id="%s"></a>' % slug(self.family, "shared"), "",
                    "### Shared definitions", "",
                    "| name | type | constraints | description |",
                    "|---|---|---|---|"] + shared + [""]
        examples = doc.get("examples", [])
        for n, ex in enumerate(examples):
            out += ["### Example%s" % (" %d" % (n + 1)
                                       if len(examples) > 1 else ""), "",
                    "```json", json.dumps(ex, indent=2, ensure_ascii=False),
                    "```", ""]
        return out


def generate(schema_dir):
    paths = sorted(glob.glob(os.path.join(schema_dir, "*.schema.json")))
    if not paths:
        raise SystemExit("%s: no schemas in %s" % (GENERATOR, schema_dir))
    schemas = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            schemas.append(Schema(p, json.load(f)))
    out = [
        "# Descriptor reference",
        "",
        "<!-- Generated by %s from schemas/*.schema.json; do not edit. -->"
        % GENERATOR,
        "<!-- Regenerate: /usr/bin/python3 %s -->" % GENERATOR,
        "",
        "The JSON Schemas in `schemas/` are the documentation of record for "
        "the shape of every descriptor; this page renders them. Each family "
        "has its own section; every object has a table of its fields, and a "
        "union selected by a field (such as a pipeline step's `op`) has one "
        "table per variant. Checks the schemas cannot express are listed in "
        "each family's description and made by the parser, which reports the "
        "JSON path of the fault.",
        "",
        "Families:",
        "",
    ]
    for s in schemas:
        out.append("- [`%s`](#%s)%s" % (
            s.family, slug(s.family),
            (" — " + s.doc["title"]) if s.doc.get("title") else ""))
    out.append("")
    for s in schemas:
        out += Renderer(s).render()
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schemas", default=DEFAULT_SCHEMAS,
                    help="directory of *.schema.json (default: %(default)s)")
    ap.add_argument("--out", default=DEFAULT_OUT,
                    help="output file (default: %(default)s)")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if the output file is out of date")
    args = ap.parse_args(argv)
    text = generate(args.schemas)
    if args.check:
        try:
            with open(args.out, encoding="utf-8") as f:
                current = f.read()
        except OSError as e:
            print("%s: cannot read %s: %s" % (GENERATOR, args.out, e),
                  file=sys.stderr)
            return 1
        if current != text:
            diff = list(difflib.unified_diff(
                current.splitlines(), text.splitlines(),
                "%s (on disk)" % args.out, "%s (generated)" % args.out,
                lineterm="", n=1))
            sys.stderr.write("\n".join(diff[:40]) + "\n")
            if len(diff) > 40:
                sys.stderr.write("... (%d more diff lines)\n" %
                                 (len(diff) - 40))
            print("%s: %s is out of date; run /usr/bin/python3 %s" %
                  (GENERATOR, os.path.relpath(args.out, ROOT), GENERATOR),
                  file=sys.stderr)
            return 1
        print("%s: %s is up to date" % (GENERATOR,
                                        os.path.relpath(args.out, ROOT)))
        return 0
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print("%s: wrote %s" % (GENERATOR, os.path.relpath(args.out, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

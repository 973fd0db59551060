#!/usr/bin/env python3
"""coawait_lint: finds co_await operands that g++ 12 destroys twice.

g++ before 13 destroys a temporary of aggregate or closure type that a
co_await full-expression creates twice: one constructor, two destructor calls
(a double free or heap-use-after-free when the temporary owns memory). clang
is not affected. magpie refuses the forms it can see at compile time
(runtime/coro/task.h, rule 8); the rest -- a braced temporary or a capturing
lambda nested in the arguments of a call inside the operand, e.g.
`co_await spawn(Job{p})` or `co_await run([p] { ... })` -- only a reader can
see, and this tool is that reader. docs/model.md, "Coroutine rules", has the
map of forms and the fix: bind the future (or the argument) to a named local
first.

What it flags, from each `co_await` to the end of its full-expression (a `;`
at the same nesting depth, or the bracket that closes the enclosing one):
  * a braced initializer: `Type{...}`, `f({...})`, `x = {...}`;
  * a lambda whose captures may copy a non-trivial object: any capture other
    than `&`, `&name` and `this` (those capture references only, and a closure
    of references is trivially destructible, so a second destruction is
    harmless).

A line that contains `coawait-lint: ok` in a comment is not reported (for a
braced initializer of a type with a constructor, which g++ handles).

Usage: coawait_lint.py [PATH ...]   (default: the current directory)
Exit status: 0 when nothing is found, 1 otherwise, 2 on a usage error.
"""

import os
import re
import sys

SOURCE_SUFFIXES = (".cc", ".h", ".cpp", ".hpp", ".cxx", ".hh", ".ipp")
SKIP_DIRS = {".git", "third_party", "bazel-out", "node_modules"}
SUPPRESS = "coawait-lint: ok"
# A `[` after one of these opens a lambda, not a subscript.
LAMBDA_KEYWORDS = {"co_await", "co_return", "co_yield", "return", "throw"}


def strip(text):
    """Blanks comments and string/char literals, keeping offsets and lines."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif c == 'R' and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i)
            end = n if end < 0 else end + len(m.group(1)) + 2
            for k in range(i + 1, end):
                if out[k] != "\n":
                    out[k] = " "
            i = end
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():
                i += 1  # digit separator: 1'000
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            for k in range(i + 1, min(j, n)):
                out[k] = " "
            i = j + 1
        else:
            i += 1
    return "".join(out)


def ident_before(code, i):
    j = i - 1
    while j >= 0 and code[j] in " \t\r\n":
        j -= 1
    return j, (code[j] if j >= 0 else "")


def capture_is_references_only(captures):
    for cap in (c.strip() for c in captures.split(",")):
        if cap in ("", "&", "this") or re.fullmatch(r"&\s*[A-Za-z_]\w*(\s*\.\.\.)?", cap):
            continue
        return False
    return True


def lambda_body(code, close):
    """The offset of the body `{` of the lambda whose captures end at `close`."""
    i, n = close + 1, len(code)
    depth = 0
    while i < n:
        c = code[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "{" and depth == 0:
            return i
        elif c == ";":
            return -1
        i += 1
    return -1


def scan_operand(code, start):
    """Yields (offset, message) for risky constructs in one full-expression."""
    depth = 0
    bodies = set()
    i, n = start, len(code)
    while i < n:
        c = code[i]
        if c in "([{":
            if c == "[" and code.startswith("[[", i):
                end = code.find("]]", i)
                i = n if end < 0 else end + 2
                continue
            if c == "[":
                j, prev = ident_before(code, i)
                word = re.search(r"\w*$", code[:j + 1]).group(0)
                if word in LAMBDA_KEYWORDS or not (prev.isalnum() or prev in "_)]"):
                    close = code.find("]", i)
                    if close > 0:
                        after = code[close + 1:close + 40].lstrip()
                        if after[:1] in ("(", "{") or after.startswith(("mutable", "->", "<")):
                            bodies.add(lambda_body(code, close))
                            captures = code[i + 1:close]
                            if not capture_is_references_only(captures):
                                yield i, "lambda capturing [%s] in a co_await operand" % captures.strip()
            if c == "{":
                _, prev = ident_before(code, i)
                if i not in bodies and (prev.isalnum() or prev in "_>(,="):
                    yield i, "braced temporary in a co_await operand"
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth < 0:
                return
        elif c == ";" and depth == 0:
            return
        i += 1


def lint_file(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        return [(path, 0, "cannot read: %s" % e)]
    code = strip(text)
    lines = text.split("\n")
    found = []
    for m in re.finditer(r"\bco_await\b", code):
        for off, msg in scan_operand(code, m.end()):
            line = code.count("\n", 0, off) + 1
            await_line = code.count("\n", 0, m.start()) + 1
            if SUPPRESS in lines[line - 1] or SUPPRESS in lines[await_line - 1]:
                continue
            found.append((path, line, msg))
    return found


def walk(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
            continue
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("bazel-"))
            for name in sorted(files):
                if name.endswith(SOURCE_SUFFIXES):
                    yield os.path.join(root, name)


def main(argv):
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    paths = argv or ["."]
    for p in paths:
        if not os.path.exists(p):
            print("coawait_lint: no such path: %s" % p, file=sys.stderr)
            return 2
    findings = []
    for path in walk(paths):
        findings.extend(lint_file(path))
    for path, line, msg in findings:
        print("%s:%d: %s (g++ 12 destroys it twice; bind it to a named local first)" % (path, line, msg))
    if findings:
        print("coawait_lint: %d finding(s); see docs/model.md, \"Coroutine rules\"" % len(findings), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Fails when magpie's two builds disagree about which files they build.

magpie builds with Bazel (BUILD.bazel) and with CMake (CMakeLists.txt, one
beside each BUILD.bazel). This compares them, directory by directory:

  runtime/, reactor/  every .cc and .h a BUILD.bazel lists (srcs, hdrs) must
                      be listed by the CMakeLists.txt in the same directory,
                      and the other way round;
  tests/              the same for .cc files (test binaries), and target by
                      target: every cc_test has a magpie_test() of the same
                      name, size and sources, unless
                      tools/build_drift_allowlist.txt names it as Bazel-only
                      (with a reason); sh_tests must be allow-listed;
  examples/http_hello :http_parser only (the tests link it);

and checks that every such CMakeLists.txt is reached by an add_subdirectory()
(the top-level CMakeLists.txt for runtime/ and reactor/, tests/CMakeLists.txt
for tests/), and that CHANGELOG.md's newest release is runtime/version.h's.

    tools/check_build_drift.py            # from anywhere in the checkout
    tools/check_build_drift.py --root DIR # check another tree

Prints what to add where and exits 1 on any difference; exits 0 quietly
otherwise (one summary line).
"""

import argparse
import ast
import pathlib
import re
import sys

# Directories whose BUILD.bazel files are compared, and the file kinds.
CHECKED = {"runtime": (".cc", ".h"), "reactor": (".cc", ".h"), "tests": (".cc",)}
# Where each tree's CMakeLists.txt files are added from.
PARENT_CMAKELISTS = {
    "runtime": "CMakeLists.txt",
    "reactor": "CMakeLists.txt",
    "tests": "tests/CMakeLists.txt",
}
# Packages outside CHECKED of which CMake builds only some targets (for the
# tests that link them): package -> (targets, file kinds, parent CMakeLists).
PARTIAL = {
    "examples/http_hello": (("http_parser",), (".cc", ".h"), "CMakeLists.txt"),
}
# Bazel test targets the CMake build does not mirror, one per line with why.
ALLOWLIST = "tools/build_drift_allowlist.txt"
# The rule attributes that list a target's files.
FILE_ATTRS = ("srcs", "hdrs", "textual_hdrs")
# Bazel's size when a test names none.
DEFAULT_SIZE = "medium"
# Top-level calls that declare no target.
NOT_RULES = {"load", "package", "licenses", "exports_files"}

READABLE = ("the drift check reads literal lists of file names, names bound "
            "to such lists at the top of the file, '+' of those, and "
            "[rule(...) for name in [\"a\", \"b\"]] with name + \".cc\"")


class Unreadable(Exception):
    """A BUILD.bazel construct the drift check cannot read. Never skipped."""


class Opaque:
    """A value the check does not evaluate (a loaded symbol, a select())."""

    def __init__(self, what):
        self.what = what


def strip_comments(text):
    """Drops '#' comments (both languages use them) outside string literals."""
    out = []
    for line in text.splitlines():
        in_string = False
        for i, ch in enumerate(line):
            if ch == '"':
                in_string = not in_string
            elif ch == "#" and not in_string:
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


def evaluate(node, env):
    """Starlark expression -> Python value, or Opaque when not evaluable."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [evaluate(e, env) for e in node.elts]
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        return Opaque(f"the name {node.id} (not a list bound in this file)")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = evaluate(node.left, env), evaluate(node.right, env)
        if (isinstance(left, str) and isinstance(right, str)) or (
                isinstance(left, list) and isinstance(right, list)):
            return left + right
        for side in (left, right):
            if isinstance(side, Opaque):
                return side
        return Opaque("a '+' of different kinds")
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else "a call"
        return Opaque(f"{name}()")
    return Opaque(f"a {type(node).__name__} expression")


class Rule:
    def __init__(self, kind, name, size, files, line):
        self.kind, self.name, self.size = kind, name, size
        self.files, self.line = files, line


def read_rule(call, env, where):
    """One rule call -> Rule, or None for load()/package()."""
    if not isinstance(call.func, ast.Name):
        raise Unreadable(f"{where}:{call.lineno}: a call of a non-name; "
                         + READABLE)
    kind = call.func.id
    if kind in NOT_RULES:
        return None
    if call.args or any(k.arg is None for k in call.keywords):
        raise Unreadable(f"{where}:{call.lineno}: {kind}() with positional or "
                         f"**kwargs arguments; pass name = ..., srcs = [...]")
    attrs = {k.arg: k.value for k in call.keywords}
    name = evaluate(attrs["name"], env) if "name" in attrs else None
    if not isinstance(name, str):
        raise Unreadable(f"{where}:{call.lineno}: {kind}() without a literal "
                         f"name; " + READABLE)
    size = evaluate(attrs["size"], env) if "size" in attrs else DEFAULT_SIZE
    if not isinstance(size, str):
        raise Unreadable(f"{where}:{call.lineno}: {kind}(name = \"{name}\") "
                         f"has a size that is not a literal")
    files = []
    for attr in FILE_ATTRS:
        if attr not in attrs:
            continue
        value = evaluate(attrs[attr], env)
        if isinstance(value, Opaque):
            hint = (" (list files explicitly so the CMake build can mirror "
                    "them)" if value.what == "glob()" else "")
            raise Unreadable(f"{where}:{call.lineno}: {kind}(name = \"{name}\")"
                             f" {attr} uses {value.what}{hint}; " + READABLE)
        if not (isinstance(value, list)
                and all(isinstance(v, str) for v in value)):
            raise Unreadable(f"{where}:{call.lineno}: {kind}(name = \"{name}\")"
                             f" {attr} is not a list of strings; " + READABLE)
        files += value
    return Rule(kind, name, size, files, call.lineno)


def bazel_rules(build_file, root):
    """Every target a BUILD.bazel declares, with its files. Raises Unreadable
    on anything it cannot evaluate, rather than guessing."""
    where = build_file.relative_to(root).as_posix()
    try:
        tree = ast.parse(build_file.read_text(), filename=where)
    except SyntaxError as e:
        raise Unreadable(f"{where}:{e.lineno}: not parseable as Starlark: "
                         f"{e.msg}") from e
    env, rules = {}, []
    for stmt in tree.body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            env[stmt.targets[0].id] = evaluate(stmt.value, env)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            rules.append(read_rule(stmt.value, env, where))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value,
                                                       ast.ListComp):
            comp = stmt.value
            gen = comp.generators[0] if len(comp.generators) == 1 else None
            if (gen is None or gen.ifs or not isinstance(gen.target, ast.Name)
                    or not isinstance(comp.elt, ast.Call)):
                raise Unreadable(f"{where}:{stmt.lineno}: a list comprehension "
                                 f"other than [rule(...) for name in [...]]; "
                                 + READABLE)
            names = evaluate(gen.iter, env)
            if not (isinstance(names, list)
                    and all(isinstance(n, str) for n in names)):
                raise Unreadable(f"{where}:{stmt.lineno}: the comprehension "
                                 f"does not iterate a literal list of strings; "
                                 + READABLE)
            for value in names:
                rules.append(read_rule(comp.elt, {**env, gen.target.id: value},
                                       where))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value,
                                                       ast.Constant):
            continue  # a docstring
        else:
            raise Unreadable(f"{where}:{stmt.lineno}: a top-level "
                             f"{type(stmt).__name__}; " + READABLE)
    return [r for r in rules if r is not None]


def local_files(rules, kinds):
    """The package's own file names among the rules' files: labels (":x",
    "//p:x", "@r//:x") are other targets, not files."""
    return {f for r in rules for f in r.files
            if f.endswith(kinds) and not any(c in f for c in ":@/")}


def cmake_files(cmake_file, kinds):
    text = strip_comments(cmake_file.read_text())
    names = re.findall(r'[A-Za-z0-9_./-]+', text)
    return {n for n in names if n.endswith(kinds) and "/" not in n}


def cmake_tests(cmake_file):
    """magpie_test(name SIZE s SRCS a.cc ...) calls -> {name: (size, srcs)}."""
    text = strip_comments(cmake_file.read_text())
    tests = {}
    for name, args in re.findall(r"magpie_test\(\s*([^\s)]+)([^)]*)\)", text):
        words = args.split()
        size = words[words.index("SIZE") + 1] if "SIZE" in words[:-1] else None
        srcs, in_srcs = set(), False
        for w in words:
            if w in ("SIZE", "SRCS", "DEPS"):
                in_srcs = w == "SRCS"
            elif in_srcs:
                srcs.add(w)
        tests[name] = (size, srcs)
    return tests


def read_allowlist(root, problems):
    """tools/build_drift_allowlist.txt: '<package>:<test>  <reason>' lines."""
    path = root / ALLOWLIST
    allowed = {}
    if not path.exists():
        return allowed
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        label, reason = (line.split(None, 1) + [""])[:2]
        if ":" not in label or not reason.strip():
            problems.append(f"{ALLOWLIST}:{number}: want '<package>:<test>  "
                            f"<reason>', got '{line}'")
            continue
        allowed[label] = number
    return allowed


def added_subdirectories(cmake_file):
    text = strip_comments(cmake_file.read_text())
    base = cmake_file.parent
    return {(base / d).resolve() for d in
            re.findall(r"add_subdirectory\(\s*([^\s)]+)", text)}


def check_version(root, problems):
    header = (root / "runtime/version.h").read_text()
    parts = [re.search(rf"#define MAGPIE_VERSION_{p} +(\d+)", header)
             for p in ("MAJOR", "MINOR", "PATCH")]
    string = re.search(r'#define MAGPIE_VERSION_STRING +"([^"]+)"', header)
    if not all(parts) or not string:
        problems.append("runtime/version.h: MAGPIE_VERSION_MAJOR/MINOR/PATCH "
                        "and MAGPIE_VERSION_STRING must all be defined")
        return None
    version = ".".join(p.group(1) for p in parts)
    if string.group(1) != version:
        problems.append(f"runtime/version.h: MAGPIE_VERSION_STRING is "
                        f'"{string.group(1)}" but the numbers say {version}')
    changelog = root / "CHANGELOG.md"
    newest = None
    if changelog.exists():
        newest = re.search(r"^## \[?(\d+\.\d+\.\d+)\]?", changelog.read_text(),
                           re.M)
    if not newest:
        problems.append("CHANGELOG.md: no '## [X.Y.Z]' release heading")
    elif newest.group(1) != version:
        problems.append(f"CHANGELOG.md: newest release is {newest.group(1)}, "
                        f"runtime/version.h says {version}")
    return version


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parent.parent)
    root = parser.parse_args().root.resolve()

    problems = []
    compared = 0
    allowed = read_allowlist(root, problems)
    seen_tests = set()
    packages = [(top, kinds, PARENT_CMAKELISTS[top], None, build_file)
                for top, kinds in CHECKED.items()
                for build_file in sorted((root / top).rglob("BUILD.bazel"))]
    packages += [(pkg, kinds, parent, targets, root / pkg / "BUILD.bazel")
                 for pkg, (targets, kinds, parent) in PARTIAL.items()]
    for top, kinds, parent, targets, build_file in packages:
        directory = build_file.parent
        rel = directory.relative_to(root).as_posix()
        reached = added_subdirectories(root / parent)
        try:
            rules = bazel_rules(build_file, root)
        except Unreadable as e:
            problems.append(str(e))
            continue
        if targets is not None:
            rules = [r for r in rules if r.name in targets]
            missing = set(targets) - {r.name for r in rules}
            if missing:
                problems.append(f"{rel}/BUILD.bazel: no target "
                                f"{', '.join(sorted(missing))} (PARTIAL in "
                                f"tools/check_build_drift.py)")
        cmake_file = directory / "CMakeLists.txt"
        bazel_tests = {}
        if top == "tests":
            for r in rules:
                if not r.kind.endswith("_test"):
                    continue
                label = f"{rel}:{r.name}"
                seen_tests.add(label)
                if label in allowed:
                    continue
                if r.kind != "cc_test":
                    problems.append(
                        f"{label}: a {r.kind} the CMake build cannot run; add "
                        f"'{label}  <why>' to {ALLOWLIST}")
                    continue
                bazel_tests[r.name] = r
            # Bazel-only tests' files are not expected in CMake.
            rules = [r for r in rules if not (r.kind.endswith("_test") and
                                              f"{rel}:{r.name}" in allowed)]
        in_bazel = local_files(rules, kinds)
        if not cmake_file.exists():
            if in_bazel:
                problems.append(
                    f"{rel}/CMakeLists.txt is missing: {rel}/BUILD.bazel "
                    f"lists {', '.join(sorted(in_bazel))} (mirror it, and "
                    f"add_subdirectory() it from {parent})")
            continue
        if directory.resolve() not in reached:
            problems.append(f"{rel}/CMakeLists.txt is not reached: add "
                            f"add_subdirectory() for it to {parent}")
        in_cmake = cmake_files(cmake_file, kinds)
        compared += len(in_bazel | in_cmake)
        for name in sorted(in_bazel - in_cmake):
            problems.append(f"{rel}/{name}: in {rel}/BUILD.bazel, not in "
                            f"{rel}/CMakeLists.txt")
        for name in sorted(in_cmake - in_bazel):
            problems.append(f"{rel}/{name}: in {rel}/CMakeLists.txt, not "
                            f"in {rel}/BUILD.bazel")
        for name in sorted(in_bazel | in_cmake):
            if not (directory / name).exists():
                problems.append(f"{rel}/{name}: listed but no such file")
        if top != "tests":
            continue
        mirrored = cmake_tests(cmake_file)
        for name, r in sorted(bazel_tests.items()):
            if name not in mirrored:
                problems.append(
                    f"{rel}:{name}: cc_test without a magpie_test({name} SIZE "
                    f"{r.size} SRCS ...) in {rel}/CMakeLists.txt")
                continue
            size, srcs = mirrored[name]
            if size != r.size:
                problems.append(f"{rel}:{name}: size {r.size} in Bazel, "
                                f"{size} in {rel}/CMakeLists.txt")
            want = local_files([r], (".cc",))
            if srcs != want:
                problems.append(f"{rel}:{name}: srcs {sorted(want)} in Bazel, "
                                f"SRCS {sorted(srcs)} in CMake")
        for name in sorted(set(mirrored) - set(bazel_tests)):
            why = (f"is Bazel-only in {ALLOWLIST}"
                   if f"{rel}:{name}" in allowed else "has no cc_test")
            problems.append(f"{rel}:{name}: magpie_test in "
                            f"{rel}/CMakeLists.txt {why}")
    for label, number in sorted(allowed.items()):
        if label not in seen_tests:
            problems.append(f"{ALLOWLIST}:{number}: {label} is no Bazel test "
                            f"target (stale entry?)")

    version = check_version(root, problems)

    if problems:
        print("check_build_drift: the Bazel and CMake builds disagree:")
        for p in problems:
            print(f"  {p}")
        print("Each BUILD.bazel under runtime/, reactor/ and tests/ has a "
              "CMakeLists.txt beside it listing the same files "
              "(magpie_package / magpie_test, cmake/magpie_package.cmake).")
        return 1
    print(f"check_build_drift: ok ({compared} files agree, version {version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

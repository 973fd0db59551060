#!/usr/bin/env python3
"""Fails when magpie's two builds disagree about which files they build.

magpie builds with Bazel (BUILD.bazel) and with CMake (CMakeLists.txt, one
beside each BUILD.bazel). This compares them, directory by directory:

  runtime/, reactor/  every .cc and .h a BUILD.bazel lists (srcs, hdrs) must
                      be listed by the CMakeLists.txt in the same directory,
                      and the other way round;
  tests/              the same for .cc files (test binaries);

and checks that every such CMakeLists.txt is reached by an add_subdirectory()
(the top-level CMakeLists.txt for runtime/ and reactor/, tests/CMakeLists.txt
for tests/), and that CHANGELOG.md's newest release is runtime/version.h's.

    tools/check_build_drift.py            # from anywhere in the checkout
    tools/check_build_drift.py --root DIR # check another tree

Prints what to add where and exits 1 on any difference; exits 0 quietly
otherwise (one summary line).
"""

import argparse
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


def bazel_files(build_file, kinds):
    """The local file names a BUILD.bazel lists, of the given kinds."""
    text = strip_comments(build_file.read_text())
    if "glob(" in text:
        raise SystemExit(f"{build_file}: uses glob(); list files explicitly so "
                         "the CMake build can mirror them")
    names = re.findall(r'"([^"]*)"', text)
    # Plain file names of this package; labels (":x", "//p:x", "@r//:x") are
    # dependencies, not files.
    return {n for n in names
            if n.endswith(kinds) and not any(c in n for c in ":@/")}


def cmake_files(cmake_file, kinds):
    text = strip_comments(cmake_file.read_text())
    names = re.findall(r'[A-Za-z0-9_./-]+', text)
    return {n for n in names if n.endswith(kinds) and "/" not in n}


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
    for top, kinds in CHECKED.items():
        reached = added_subdirectories(root / PARENT_CMAKELISTS[top])
        for build_file in sorted((root / top).rglob("BUILD.bazel")):
            directory = build_file.parent
            rel = directory.relative_to(root)
            in_bazel = bazel_files(build_file, kinds)
            cmake_file = directory / "CMakeLists.txt"
            if not cmake_file.exists():
                if in_bazel:
                    problems.append(
                        f"{rel}/CMakeLists.txt is missing: {rel}/BUILD.bazel "
                        f"lists {', '.join(sorted(in_bazel))} (mirror it, and "
                        f"add_subdirectory() it from {PARENT_CMAKELISTS[top]})")
                continue
            if directory.resolve() not in reached:
                problems.append(f"{rel}/CMakeLists.txt is not reached: add "
                                f"add_subdirectory() for it to "
                                f"{PARENT_CMAKELISTS[top]}")
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

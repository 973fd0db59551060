"""absl_aliases: upstream Abseil target names, each an alias of //:debian_absl."""

def absl_aliases(names):
    for name in names:
        native.alias(
            name = name,
            actual = "//:debian_absl",
            visibility = ["//visibility:public"],
        )

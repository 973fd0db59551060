"""Who may depend on magpie's internal libraries (users depend on //:magpie).

Two sets, so Bazel enforces the layering (runtime/core <- task <- scheduler
<- runtime, with the reactor beside them): the reactor
depends on runtime/core (and park, sync, coro) only, never on tasks, the
scheduler or the Runtime.
"""

# Everything in magpie, the reactor included.
MAGPIE_INTERNAL = [
    "//:__pkg__",
    "//bench:__subpackages__",
    "//examples:__subpackages__",
    "//reactor:__subpackages__",
    "//runtime:__subpackages__",
    "//tests:__subpackages__",
    "//tools:__subpackages__",
]

# Everything but the reactor: tasks, the scheduler, the Runtime.
ABOVE_REACTOR = [
    "//:__pkg__",
    "//bench:__subpackages__",
    "//examples:__subpackages__",
    "//runtime:__subpackages__",
    "//tests:__subpackages__",
    "//tools:__subpackages__",
]

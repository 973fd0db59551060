# magpie::concurrentqueue — moodycamel::ConcurrentQueue (header only), which
# runtime/scheduler/inject.h includes as <concurrentqueue/concurrentqueue.h>.
# Debian's libconcurrentqueue-dev ships no CMake or pkg-config file, so it is
# found the usual way: by its header. Used by magpie's build and, installed
# beside magpieConfig.cmake, by every consumer's find_package(magpie).

if(NOT TARGET magpie::concurrentqueue)
  find_path(MAGPIE_CONCURRENTQUEUE_INCLUDE_DIR
    NAMES concurrentqueue/concurrentqueue.h
    DOC "Directory holding concurrentqueue/concurrentqueue.h (libconcurrentqueue-dev)")
  if(MAGPIE_CONCURRENTQUEUE_INCLUDE_DIR)
    add_library(magpie::concurrentqueue INTERFACE IMPORTED)
    set_target_properties(magpie::concurrentqueue PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${MAGPIE_CONCURRENTQUEUE_INCLUDE_DIR}")
  endif()
endif()

# First-party targets link natty_warnings PRIVATE; third-party headers are included as SYSTEM.
add_library(natty_warnings INTERFACE)
target_compile_options(natty_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wdouble-promotion -Wformat=2
  -Wimplicit-fallthrough -Wconversion -Wsign-conversion)
if(NATTY_SANITIZE)
  # Sanitizer instrumentation makes GCC 12's -Wmaybe-uninitialized report false positives in
  # libstdc++ (<regex>, used by Catch2 and the request check); it must follow -Wall to count.
  target_compile_options(natty_warnings INTERFACE -Wno-maybe-uninitialized)
endif()
if(NATTY_WARNINGS_AS_ERRORS)
  target_compile_options(natty_warnings INTERFACE -Werror)
endif()

# NATTY_SANITIZE=address,undefined adds the sanitizers to every first-party target.
add_library(natty_sanitizers INTERFACE)
if(NATTY_SANITIZE)
  target_compile_options(natty_sanitizers INTERFACE
    -fsanitize=${NATTY_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(natty_sanitizers INTERFACE -fsanitize=${NATTY_SANITIZE})
  target_compile_definitions(natty_sanitizers INTERFACE _GLIBCXX_ASSERTIONS)
endif()

// The Catch2 v2 main, compiled once for both test binaries; other files only define test cases.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

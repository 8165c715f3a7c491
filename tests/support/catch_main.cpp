// The Catch2 v2 main for natty_integration_tests; every other file only defines test cases.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

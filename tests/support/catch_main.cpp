// The Catch2 v2 main, compiled once for both test binaries; other files only define test cases.
// Like natty's own main, it prepares the process for nats.c and OpenSSL first (in-process tests
// open nats.c lazily too, see nats::prepare_process).
#define CATCH_CONFIG_RUNNER
#include <natty/nats/library.hpp>

#include <catch2/catch.hpp>

int main(int argc, char** argv) {
    natty::nats::prepare_process();
    return Catch::Session().run(argc, argv);
}

# Every dependency comes from Debian 12 packages (see README).
find_package(PkgConfig REQUIRED)
# Debian's cnats CMake config names a static library the package does not ship: use pkg-config.
pkg_check_modules(NATS REQUIRED IMPORTED_TARGET libnats)
find_package(OpenSSL REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(toml11 CONFIG REQUIRED)
find_program(NATS_SERVER_EXECUTABLE nats-server HINTS /usr/sbin /usr/bin)

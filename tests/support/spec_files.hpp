#pragma once
// Where the tests find the RFC material (../shared/spec) and the built binaries.
// A user's clone has no ../shared: tests that need it call PARLEY_SKIP and ctest reports
// them as skipped (SKIP_REGULAR_EXPRESSION "PARLEY-SKIP" in tests/CMakeLists.txt).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#define PARLEY_SKIP(why)                  \
    do {                                  \
        WARN("PARLEY-SKIP: " << why);     \
        return;                           \
    } while (0)

namespace parley::test {

// $PARLEY_SPEC_DIR, else <source>/../shared/spec; nullopt when absent.
std::optional<std::filesystem::path> specDir();

// Files of spec/<sub> whose names start with prefix, sorted.
std::vector<std::filesystem::path> specFiles(const std::string& sub, const std::string& prefix);

std::string readFile(const std::filesystem::path& p);

std::filesystem::path sourceDir();
std::filesystem::path binaryDir();     // the build tree; binaries in binaryDir()/bin

}  // namespace parley::test

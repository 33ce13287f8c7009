#include "tests/support/spec_files.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace parley::test {

std::optional<std::filesystem::path> specDir() {
    namespace fs = std::filesystem;
    if (const char* env = std::getenv("PARLEY_SPEC_DIR"); env && *env) {
        if (fs::is_directory(env)) return fs::path(env);
        return std::nullopt;
    }
    fs::path p = fs::path(PARLEY_SOURCE_DIR) / ".." / "shared" / "spec";
    if (fs::is_directory(p)) return fs::canonical(p);
    return std::nullopt;
}

std::vector<std::filesystem::path> specFiles(const std::string& sub, const std::string& prefix) {
    std::vector<std::filesystem::path> out;
    auto dir = specDir();
    if (!dir || !std::filesystem::is_directory(*dir / sub)) return out;
    for (const auto& e : std::filesystem::directory_iterator(*dir / sub)) {
        if (e.is_regular_file() && e.path().filename().string().rfind(prefix, 0) == 0)
            out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string readFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::filesystem::path sourceDir() { return PARLEY_SOURCE_DIR; }
std::filesystem::path binaryDir() { return PARLEY_BINARY_DIR; }

}  // namespace parley::test

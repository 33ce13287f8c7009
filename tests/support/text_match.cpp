#include "tests/support/text_match.hpp"

#include <map>
#include <mutex>
#include <regex>

namespace parley::test {
namespace {

// Tests call these in loops (a line at a time): each pattern is compiled once per process.
const std::regex& compiled(const std::string& pattern) {
    static std::mutex mutex;
    static std::map<std::string, std::regex> cache;
    std::lock_guard lock(mutex);
    auto it = cache.find(pattern);
    if (it == cache.end()) it = cache.emplace(pattern, std::regex(pattern)).first;
    return it->second;
}

std::vector<std::string> groups(const std::smatch& m) {
    std::vector<std::string> out;
    out.reserve(m.size());
    for (const auto& g : m) out.push_back(g.matched ? g.str() : std::string());
    return out;
}

}  // namespace

std::vector<std::string> reSearch(const std::string& text, const std::string& pattern) {
    std::smatch m;
    if (!std::regex_search(text, m, compiled(pattern))) return {};
    return groups(m);
}

std::vector<std::string> reMatch(const std::string& text, const std::string& pattern) {
    std::smatch m;
    if (!std::regex_match(text, m, compiled(pattern))) return {};
    return groups(m);
}

std::vector<std::vector<std::string>> reSearchAll(const std::string& text, const std::string& pattern) {
    std::vector<std::vector<std::string>> out;
    const std::regex& re = compiled(pattern);
    for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) out.push_back(groups(*it));
    return out;
}

std::optional<std::string> reCapture(const std::string& text, const std::string& pattern, std::size_t group) {
    std::vector<std::string> m = reSearch(text, pattern);
    if (m.empty() || group >= m.size()) return std::nullopt;
    return m[group];
}

std::string reReplace(const std::string& text, const std::string& pattern, const std::string& with) {
    return std::regex_replace(text, compiled(pattern), with);
}

std::uint16_t portAfter(const std::string& log, const std::string& needle) {
    std::optional<std::string> port = reCapture(log, needle + " 127\\.0\\.0\\.1:([0-9]+)");
    return port ? static_cast<std::uint16_t>(std::stoi(*port)) : 0;
}

}  // namespace parley::test

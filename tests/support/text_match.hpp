#pragma once
// Regular expressions for tests, compiled in this one file: std::regex costs seconds of
// compile time in every file that instantiates it (about 9 s under ASan + UBSan), which
// across the suites was minutes of tests/run.sh. Patterns are ECMAScript, as std::regex.
// A pattern that does not compile is a test bug: the functions throw std::regex_error.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::test {

// The first match of pattern anywhere in text: [0] is the whole match, [1..] the groups
// (an unmatched group is ""). Empty when there is no match.
std::vector<std::string> reSearch(const std::string& text, const std::string& pattern);

// Like reSearch, but the pattern must match the whole text.
std::vector<std::string> reMatch(const std::string& text, const std::string& pattern);

// Every non-overlapping match, left to right, each as reSearch returns it.
std::vector<std::vector<std::string>> reSearchAll(const std::string& text, const std::string& pattern);

// Group `group` of the first match, nullopt when there is no match.
std::optional<std::string> reCapture(const std::string& text, const std::string& pattern,
                                     std::size_t group = 1);

// Every match replaced by `with` ($1.. refer to groups, as std::regex_replace).
std::string reReplace(const std::string& text, const std::string& pattern, const std::string& with);

// The port of the first "<needle> 127.0.0.1:<port>" in a process's log (how parley-as and
// parley-ms print their listeners when started on port 0); 0 when absent.
std::uint16_t portAfter(const std::string& log, const std::string& needle);

}  // namespace parley::test

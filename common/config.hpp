#pragma once
// Command-line flags and a config file, over Poco::Util.
//
//   parley-ms --sip-listen 127.0.0.1:5070 --config /etc/parley/ms.conf
//
// Every option can be given as a flag (--name VALUE or --name=VALUE) or as a line
// "name = VALUE" in the file named by --config (Poco property-file syntax, # comments).
// A flag beats the file, the file beats the built-in default. Repeatable options take
// every flag occurrence, or a comma-separated list in the file. Unknown flags, unknown
// file keys, missing values and unreadable files are errors with a message fit for the
// user; main() prints it with the usage and exits non-zero.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace parley::common {

struct OptionSpec {
    std::string name;          // long name without dashes: "sip-listen"
    std::string argName;       // "HOST:PORT"; empty for an on/off switch
    std::string defaultValue;  // "" when none
    std::string help;
    bool repeatable = false;
};

class Config {
public:
    static Result<Config> parse(const std::string& program, const std::string& summary,
                                std::vector<OptionSpec> specs, int argc, const char* const* argv);

    bool helpRequested() const { return help_; }
    bool versionRequested() const { return version_; }
    std::string usage() const;

    // The effective value: flag, else file, else default. Asserts the option is declared.
    const std::string& get(const std::string& name) const;
    std::vector<std::string> getAll(const std::string& name) const;
    bool isSet(const std::string& name) const;  // given by flag or file
    bool getSwitch(const std::string& name) const;
    Result<long> getInt(const std::string& name, long min, long max) const;

private:
    const OptionSpec* find(const std::string& name) const;

    std::string program_;
    std::string summary_;
    std::vector<OptionSpec> specs_;
    std::map<std::string, std::vector<std::string>> values_;
    bool help_ = false;
    bool version_ = false;
};

// For main(): parses the command line the way both binaries do. On --help or --version it
// prints them to stdout and sets exitCode 0; on an error it prints "<program>: <message>"
// and the usage to stderr and sets exitCode 2; in those cases it returns nullopt.
std::optional<Config> parseCommandLine(const std::string& program, const std::string& version,
                                       const std::string& summary, std::vector<OptionSpec> specs,
                                       int argc, const char* const* argv, int& exitCode);

}  // namespace parley::common

#include "common/config.hpp"

#include <cassert>
#include <charconv>
#include <iostream>
#include <sstream>

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/PropertyFileConfiguration.h>

namespace parley::common {
namespace {

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

std::vector<std::string> splitList(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) {
        item = trim(item);
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

}  // namespace

const OptionSpec* Config::find(const std::string& name) const {
    for (const auto& s : specs_)
        if (s.name == name) return &s;
    return nullptr;
}

Result<Config> Config::parse(const std::string& program, const std::string& summary,
                             std::vector<OptionSpec> specs, int argc, const char* const* argv) {
    Config cfg;
    cfg.program_ = program;
    cfg.summary_ = summary;
    specs.push_back({"config", "FILE", "", "read options from FILE (name = value lines)", false});
    specs.push_back({"help", "", "", "print this help and exit", false});
    specs.push_back({"version", "", "", "print the version and exit", false});
    cfg.specs_ = std::move(specs);

    Poco::Util::OptionSet set;
    for (const auto& s : cfg.specs_) {
        Poco::Util::Option opt(s.name, "", s.help, false);
        if (!s.argName.empty()) opt.argument(s.argName, true);
        opt.repeatable(true);  // repeats of single-valued options: last one wins
        set.addOption(opt);
    }

    std::map<std::string, std::vector<std::string>> flags;
    try {
        Poco::Util::OptionProcessor proc(set);
        proc.setUnixStyle(true);
        for (int i = 1; i < argc; ++i) {
            std::string name, value;
            const std::string arg = argv[i];
            if (!proc.process(arg, name, value)) return Error(2, "unexpected argument '" + arg + "'");
            if (!name.empty()) flags[name].push_back(value);
        }
        proc.checkRequired();
    } catch (const Poco::Util::UnknownOptionException& e) {
        return Error(2, "unknown option " + e.message());
    } catch (const Poco::Util::MissingArgumentException& e) {
        return Error(2, "option needs a value: " + e.message());
    } catch (const Poco::Util::OptionException& e) {
        return Error(2, e.displayText());
    }

    // A trailing option whose value never came.
    for (const auto& [name, vals] : flags) {
        const OptionSpec* s = cfg.find(name);
        if (s && !s->argName.empty())
            for (const auto& v : vals)
                if (v.empty()) return Error(2, "option --" + name + " needs a value (" + s->argName + ")");
    }

    cfg.help_ = flags.count("help") > 0;
    cfg.version_ = flags.count("version") > 0;

    std::map<std::string, std::vector<std::string>> file;
    if (flags.count("config")) {
        const std::string path = flags["config"].back();
        try {
            Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> pf(
                new Poco::Util::PropertyFileConfiguration(path));
            Poco::Util::AbstractConfiguration::Keys keys;
            pf->keys(keys);
            for (const auto& k : keys) {
                const OptionSpec* s = cfg.find(k);
                if (!s || k == "config" || k == "help" || k == "version")
                    return Error(2, path + ": unknown setting '" + k + "'");
                std::string v = trim(pf->getRawString(k));
                if (s->repeatable) file[k] = splitList(v);
                else file[k] = {v};
            }
        } catch (const Poco::FileNotFoundException&) {
            return Error(2, "cannot read config file " + path);
        } catch (const Poco::Exception& e) {
            return Error(2, "config file " + path + ": " + e.displayText());
        }
    }

    for (const auto& s : cfg.specs_) {
        if (flags.count(s.name)) cfg.values_[s.name] = flags[s.name];
        else if (file.count(s.name)) cfg.values_[s.name] = file[s.name];
    }
    return cfg;
}

const std::string& Config::get(const std::string& name) const {
    const OptionSpec* s = find(name);
    assert(s && "option not declared");
    auto it = values_.find(name);
    if (it != values_.end() && !it->second.empty()) return it->second.back();
    return s->defaultValue;
}

std::vector<std::string> Config::getAll(const std::string& name) const {
    auto it = values_.find(name);
    if (it != values_.end()) return it->second;
    const OptionSpec* s = find(name);
    if (s && !s->defaultValue.empty()) return splitList(s->defaultValue);
    return {};
}

bool Config::isSet(const std::string& name) const { return values_.count(name) > 0; }

bool Config::getSwitch(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return false;
    const std::string& v = it->second.back();
    return v.empty() || v == "true" || v == "1" || v == "yes" || v == "on";
}

Result<long> Config::getInt(const std::string& name, long min, long max) const {
    const std::string& v = get(name);
    long value = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
    if (ec != std::errc() || p != v.data() + v.size())
        return Error(2, "--" + name + " must be a whole number, not '" + v + "'");
    if (value < min || value > max)
        return Error(2, "--" + name + " must be between " + std::to_string(min) + " and " +
                            std::to_string(max) + ", not " + v);
    return value;
}

std::string Config::usage() const {
    std::ostringstream os;
    os << "usage: " << program_ << " [options]\n" << summary_ << "\n\noptions:\n";
    for (const auto& s : specs_) {
        std::string left = "  --" + s.name + (s.argName.empty() ? "" : " " + s.argName);
        os << left;
        if (left.size() < 30) os << std::string(30 - left.size(), ' ');
        else os << "\n" << std::string(30, ' ');
        os << s.help;
        if (!s.defaultValue.empty()) os << " (default " << s.defaultValue << ")";
        if (s.repeatable) os << " [repeatable]";
        os << "\n";
    }
    return os.str();
}

std::optional<Config> parseCommandLine(const std::string& program, const std::string& version,
                                       const std::string& summary, std::vector<OptionSpec> specs,
                                       int argc, const char* const* argv, int& exitCode) {
    const char* bare[] = {program.c_str()};
    auto config = Config::parse(program, summary, specs, argc, argv);
    if (!config) {
        auto plain = Config::parse(program, summary, std::move(specs), 1, bare);
        std::cerr << program << ": " << config.error().message << "\n\n"
                  << (plain ? plain->usage() : std::string());
        exitCode = 2;
        return std::nullopt;
    }
    if (config->helpRequested()) {
        std::cout << config->usage();
        exitCode = 0;
        return std::nullopt;
    }
    if (config->versionRequested()) {
        std::cout << program << " " << version << "\n";
        exitCode = 0;
        return std::nullopt;
    }
    return std::move(config).value();
}

}  // namespace parley::common

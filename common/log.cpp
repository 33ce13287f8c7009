#include "common/log.hpp"

#include <array>
#include <mutex>

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/PatternFormatter.h>

namespace parley::common {
namespace {

struct LevelName {
    const char* name;
    LogLevel level;
    int prio;
};

constexpr std::array<LevelName, 8> kLevels{{
    {"trace", LogLevel::Trace, Poco::Message::PRIO_TRACE},
    {"debug", LogLevel::Debug, Poco::Message::PRIO_DEBUG},
    {"info", LogLevel::Info, Poco::Message::PRIO_INFORMATION},
    {"notice", LogLevel::Notice, Poco::Message::PRIO_NOTICE},
    {"warning", LogLevel::Warning, Poco::Message::PRIO_WARNING},
    {"warn", LogLevel::Warning, Poco::Message::PRIO_WARNING},
    {"error", LogLevel::Error, Poco::Message::PRIO_ERROR},
    {"critical", LogLevel::Critical, Poco::Message::PRIO_CRITICAL},
}};

int prioOf(LogLevel level) {
    for (const auto& l : kLevels)
        if (l.level == level) return l.prio;
    return Poco::Message::PRIO_INFORMATION;
}

std::once_flag gDefaultOnce;

void ensureDefault() {
    std::call_once(gDefaultOnce, [] {
        // Until setupLogging() runs (unit tests, early start-up), log to stderr at info.
        Poco::AutoPtr<Poco::PatternFormatter> fmt(
            new Poco::PatternFormatter("%Y-%m-%d %H:%M:%S.%i %q [%s] %t"));
        Poco::AutoPtr<Poco::ConsoleChannel> console(new Poco::ConsoleChannel);
        Poco::AutoPtr<Poco::FormattingChannel> chan(new Poco::FormattingChannel(fmt, console));
        Poco::Logger::root().setChannel(chan);
        Poco::Logger::root().setLevel(Poco::Message::PRIO_INFORMATION);
    });
}

}  // namespace

bool parseLogLevel(const std::string& text, LogLevel& out) {
    for (const auto& l : kLevels) {
        if (text == l.name) {
            out = l.level;
            return true;
        }
    }
    return false;
}

const char* logLevelName(LogLevel level) {
    for (const auto& l : kLevels)
        if (l.level == level) return l.name;
    return "info";
}

void setupLogging(LogLevel level) {
    ensureDefault();
    // Loggers created before this call keep their own level: set them all.
    Poco::Logger::setLevel("", prioOf(level));
}

Poco::Logger& logger(const std::string& area) {
    ensureDefault();
    return Poco::Logger::get(area);
}

}  // namespace parley::common

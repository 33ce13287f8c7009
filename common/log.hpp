#pragma once
// Logging with levels, over Poco::Logger. One logger per area ("ms.cfw", "as.sip", ...).
//
//   PARLEY_LOG_INFO(log, "channel " << id << " up");
//
// The stream expression is evaluated only when the level is enabled. setupLogging() is
// called once at start-up; before it, messages go to stderr at level information.

#include <sstream>
#include <string>

#include <Poco/Logger.h>

namespace parley::common {

enum class LogLevel { Trace, Debug, Info, Notice, Warning, Error, Critical };

// "trace", "debug", "info", "notice", "warning", "error", "critical"; false when unknown.
bool parseLogLevel(const std::string& text, LogLevel& out);
const char* logLevelName(LogLevel level);

// Routes every logger to stderr with a timestamp, thread and source area, at `level`.
void setupLogging(LogLevel level);

Poco::Logger& logger(const std::string& area);

}  // namespace parley::common

#define PARLEY_LOG_AT(lg, prio, expr)                                   \
    do {                                                                \
        Poco::Logger& parley_lg_ = (lg);                                \
        if (parley_lg_.getLevel() >= (prio)) {                          \
            std::ostringstream parley_os_;                              \
            parley_os_ << expr;                                         \
            parley_lg_.log(Poco::Message(parley_lg_.name(), parley_os_.str(), \
                                         static_cast<Poco::Message::Priority>(prio))); \
        }                                                               \
    } while (0)

#define PARLEY_LOG_TRACE(lg, expr) PARLEY_LOG_AT(lg, Poco::Message::PRIO_TRACE, expr)
#define PARLEY_LOG_DEBUG(lg, expr) PARLEY_LOG_AT(lg, Poco::Message::PRIO_DEBUG, expr)
#define PARLEY_LOG_INFO(lg, expr) PARLEY_LOG_AT(lg, Poco::Message::PRIO_INFORMATION, expr)
#define PARLEY_LOG_NOTICE(lg, expr) PARLEY_LOG_AT(lg, Poco::Message::PRIO_NOTICE, expr)
#define PARLEY_LOG_WARN(lg, expr) PARLEY_LOG_AT(lg, Poco::Message::PRIO_WARNING, expr)
#define PARLEY_LOG_ERROR(lg, expr) PARLEY_LOG_AT(lg, Poco::Message::PRIO_ERROR, expr)

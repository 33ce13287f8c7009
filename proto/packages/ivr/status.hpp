#pragma once
// msc-ivr/1.0 status codes (RFC 6231 section 4.5, registry of RFC 6623) and <dialogexit>
// status values (section 4.2.5.1).
//
// Contract: reasonPhrase() knows every registered code and returns "" for others;
// normalizeStatus() maps an unrecognized code to the x00 of its class as the RFC asks an
// AS to do; normalizeExitStatus() maps an unknown dialogexit status to 4 (execution error).

#include <cstdint>
#include <string_view>

namespace parley::proto::ivr {

namespace status {
inline constexpr int kOk = 200;
inline constexpr int kSyntaxError = 400;
inline constexpr int kDialogIdExists = 405;
inline constexpr int kDialogIdNotFound = 406;
inline constexpr int kConnectionIdNotFound = 407;
inline constexpr int kConferenceIdNotFound = 408;
inline constexpr int kResourceNotRetrieved = 409;
inline constexpr int kDialogCanceled = 410;
inline constexpr int kIncompatibleStream = 411;
inline constexpr int kStreamNotAvailable = 412;
inline constexpr int kControlKeysSameValue = 413;
inline constexpr int kOtherExecutionError = 419;
inline constexpr int kUnsupportedUriScheme = 420;
inline constexpr int kUnsupportedDialogLanguage = 421;
inline constexpr int kUnsupportedPlaybackFormat = 422;
inline constexpr int kUnsupportedRecordFormat = 423;
inline constexpr int kUnsupportedGrammarFormat = 424;
inline constexpr int kUnsupportedVariable = 425;
inline constexpr int kUnsupportedDtmf = 426;
inline constexpr int kUnsupportedParameter = 427;
inline constexpr int kUnsupportedStream = 428;
inline constexpr int kUnsupportedPlayback = 429;
inline constexpr int kUnsupportedRecord = 430;
inline constexpr int kUnsupportedForeign = 431;
inline constexpr int kUnsupportedMultipleDialogs = 432;
inline constexpr int kUnsupportedCollectAndRecord = 433;
inline constexpr int kUnsupportedVad = 434;
inline constexpr int kUnsupportedParallelPlayback = 435;
inline constexpr int kOtherUnsupported = 439;
}  // namespace status

// "Syntax error", "dialogid already exists", ...; "" for an unregistered code.
std::string_view reasonPhrase(int statusCode);
bool isRegisteredStatus(int statusCode);
// A registered code as it is; otherwise the x00 of its class (e.g. 437 -> 400).
int normalizeStatus(int statusCode);

namespace exit_status {
inline constexpr std::uint32_t kTerminated = 0;      // ended by <dialogterminate>
inline constexpr std::uint32_t kSuccess = 1;         // completed
inline constexpr std::uint32_t kTargetGone = 2;      // connection or conference went away
inline constexpr std::uint32_t kMaxDuration = 3;     // repeatDur expired
inline constexpr std::uint32_t kExecutionError = 4;  // error while executing
}  // namespace exit_status

inline std::uint32_t normalizeExitStatus(std::uint32_t s) {
    return s <= exit_status::kExecutionError ? s : exit_status::kExecutionError;
}

}  // namespace parley::proto::ivr

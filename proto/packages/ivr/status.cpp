#include "proto/packages/ivr/status.hpp"

#include <array>
#include <utility>

namespace parley::proto::ivr {

namespace {

constexpr std::array<std::pair<int, std::string_view>, 29> kPhrases{{
    {status::kOk, "OK"},
    {status::kSyntaxError, "Syntax error"},
    {status::kDialogIdExists, "dialogid already exists"},
    {status::kDialogIdNotFound, "dialogid does not exist"},
    {status::kConnectionIdNotFound, "connectionid does not exist"},
    {status::kConferenceIdNotFound, "conferenceid does not exist"},
    {status::kResourceNotRetrieved, "Resource cannot be retrieved"},
    {status::kDialogCanceled, "Dialog execution canceled"},
    {status::kIncompatibleStream, "Incompatible stream configuration"},
    {status::kStreamNotAvailable, "Media stream not available"},
    {status::kControlKeysSameValue, "Control keys with same value"},
    {status::kOtherExecutionError, "Other execution error"},
    {status::kUnsupportedUriScheme, "Unsupported URI scheme"},
    {status::kUnsupportedDialogLanguage, "Unsupported dialog language"},
    {status::kUnsupportedPlaybackFormat, "Unsupported playback format"},
    {status::kUnsupportedRecordFormat, "Unsupported record format"},
    {status::kUnsupportedGrammarFormat, "Unsupported grammar format"},
    {status::kUnsupportedVariable, "Unsupported variable configuration"},
    {status::kUnsupportedDtmf, "Unsupported DTMF configuration"},
    {status::kUnsupportedParameter, "Unsupported parameter"},
    {status::kUnsupportedStream, "Unsupported media stream configuration"},
    {status::kUnsupportedPlayback, "Unsupported playback configuration"},
    {status::kUnsupportedRecord, "Unsupported record configuration"},
    {status::kUnsupportedForeign, "Unsupported foreign namespace attribute or element"},
    {status::kUnsupportedMultipleDialogs, "Unsupported multiple dialog capability"},
    {status::kUnsupportedCollectAndRecord, "Unsupported collect and record capability"},
    {status::kUnsupportedVad, "Unsupported VAD capability"},
    {status::kUnsupportedParallelPlayback, "Unsupported parallel playback"},
    {status::kOtherUnsupported, "Other unsupported capability"},
}};

}  // namespace

std::string_view reasonPhrase(int statusCode) {
    for (const auto& [code, phrase] : kPhrases)
        if (code == statusCode) return phrase;
    return {};
}

bool isRegisteredStatus(int statusCode) {
    return !reasonPhrase(statusCode).empty();
}

int normalizeStatus(int statusCode) {
    if (isRegisteredStatus(statusCode)) return statusCode;
    return statusCode / 100 * 100;
}

}  // namespace parley::proto::ivr

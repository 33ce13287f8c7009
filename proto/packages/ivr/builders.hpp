#pragma once
// Building the messages a media server sends: responses, dialogexit and dtmfnotify events,
// audit responses with capabilities. All builders produce values that serialize() turns
// into schema-valid documents, provided the caller's strings are (DTMF strings are DTMF
// characters, MIME types are MIME types...).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "proto/packages/ivr/messages.hpp"
#include "proto/packages/ivr/status.hpp"

namespace parley::proto::ivr {

// <response status dialogid [reason]>.
Response makeResponse(int status, std::string dialogId,
                      std::optional<std::string> reason = std::nullopt);
// The response to a request that failed parse() or the media server's checks: the error's
// code becomes the status (anything outside 100..999 becomes 400) and its message the reason.
Response makeErrorResponse(const common::Error& error, std::string dialogId);
// The dialogid attribute of the message in a body, read even when parse() refuses the
// body (so an error response can name the dialog); nullopt when there is none.
std::optional<std::string> peekDialogId(std::string_view body);

// What a dialog reports when it exits (RFC 6231 section 4.3.2).
struct ExitReport {
    std::optional<PromptInfo> prompt;
    std::optional<ControlInfo> control;
    std::optional<CollectInfo> collect;
    std::optional<RecordInfo> record;
    std::optional<Params> params;
};

// <event dialogid><dialogexit status [reason]>...</dialogexit></event>.
Event makeDialogExit(std::string dialogId, std::uint32_t exitStatus, ExitReport report = {},
                     std::optional<std::string> reason = std::nullopt);
// <event dialogid><dtmfnotify matchmode dtmf timestamp/></event>.
Event makeDtmfNotify(std::string dialogId, MatchMode mode, std::string dtmf,
                     std::chrono::system_clock::time_point when);
ControlMatch makeControlMatch(std::string dtmf, std::chrono::system_clock::time_point when);
PromptInfo makePromptInfo(PromptTermMode mode, std::optional<Milliseconds> duration = std::nullopt);
CollectInfo makeCollectInfo(CollectTermMode mode, std::optional<std::string> dtmf = std::nullopt);
RecordInfo makeRecordInfo(RecordTermMode mode, std::optional<Milliseconds> duration,
                          std::vector<MediaInfo> media);

// Capabilities for <auditresponse>, built up piece by piece.
class CapabilitiesBuilder {
  public:
    CapabilitiesBuilder& dialogLanguage(std::string mimeType);
    CapabilitiesBuilder& grammarType(std::string mimeType);  // besides SRGS, which is implied
    CapabilitiesBuilder& recordType(std::string mimeType);
    CapabilitiesBuilder& promptType(std::string mimeType);
    CapabilitiesBuilder& variable(std::string type, std::vector<std::string> formats,
                                  std::optional<std::string> desc = std::nullopt);
    // date (mdy ymd dym dm), time (t12 t24), digits (gen crn ord) as RFC 6231 defines them.
    CapabilitiesBuilder& rfcVariables();
    CapabilitiesBuilder& maxPreparedDuration(Milliseconds d);
    CapabilitiesBuilder& maxRecordDuration(Milliseconds d);
    CapabilitiesBuilder& codec(std::string name, std::string subtype);

    const Capabilities& build() const { return caps_; }

  private:
    Capabilities caps_;
};

// The answer to an <audit>: capabilities when asked for, and the dialogs (only the one
// named by dialogid when given) when asked for; 406 when a named dialog is not among them.
AuditResponse makeAuditResponse(const Audit& request, const Capabilities& capabilities,
                                std::vector<DialogAudit> dialogs);

}  // namespace parley::proto::ivr

#pragma once
// msc-mixer/1.0 package status codes (RFC 6505 section 4.6) and small builders for replies.
//
// These are package statuses: they travel in <response status> / <auditresponse status>
// inside a framework 200 or REPORT, never as CFW status codes.
// Classes: 200 success; 400 syntax; 405-419 execution failure; 420-435 unsupported
// capability. An AS treats a code it does not know as the x00 of its class.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/packages/mixer/mixer_messages.hpp"

namespace parley::proto::mixer {

namespace status {
inline constexpr int kOk = 200;
inline constexpr int kSyntaxError = 400;
inline constexpr int kConferenceExists = 405;
inline constexpr int kConferenceNotFound = 406;
inline constexpr int kIncompatibleStream = 407;
inline constexpr int kAlreadyJoined = 408;
inline constexpr int kNotJoined = 409;
inline constexpr int kConferenceFull = 410;
inline constexpr int kJoinOperationFailed = 411;
inline constexpr int kConnectionNotFound = 412;
inline constexpr int kExecutionError = 419;
inline constexpr int kReservationFailed = 420;
inline constexpr int kAudioMixUnsupported = 421;
inline constexpr int kStreamUnsupported = 422;
inline constexpr int kVideoLayoutsUnsupported = 423;
inline constexpr int kVideoSwitchUnsupported = 424;
inline constexpr int kCodecsUnsupported = 425;
inline constexpr int kConnectionMixingUnsupported = 426;
inline constexpr int kConferenceMixingUnsupported = 427;
inline constexpr int kUnsupportedForeign = 428;
inline constexpr int kOtherUnsupported = 435;
}  // namespace status

// Every status RFC 6505 defines, ascending.
const std::vector<int>& knownStatuses();

// The RFC's summary for a status ("Conference does not exist"); for an unknown code, the
// summary of its x00 ("Syntax error" for 499); empty when not even that is known.
std::string_view reasonPhrase(int status);

// A status as an AS must read it: itself when RFC 6505 defines it, else the x00 of its class.
int normalizeStatus(int status);

inline bool isSuccess(int status) {
    return status >= 200 && status < 300;
}

// A <response>. An empty reason is replaced by the status's reason phrase.
Response makeResponse(int status, std::string reason = {},
                      std::optional<std::string> conferenceId = std::nullopt,
                      std::optional<std::string> connectionId = std::nullopt);

// An <auditresponse> with only a status (add capabilities/mixers to it).
AuditResponse makeAuditResponse(int status, std::string reason = {});

// Builds the <capabilities> of an audit response: the codecs the MS can mix.
//   auto caps = CapabilitiesBuilder().audio("PCMU").audio("PCMA").audio("telephone-event").build();
class CapabilitiesBuilder {
  public:
    CapabilitiesBuilder& codec(std::string name, std::string subtype,
                               std::vector<Param> params = {});
    CapabilitiesBuilder& audio(std::string subtype) { return codec("audio", std::move(subtype)); }
    CapabilitiesBuilder& video(std::string subtype) { return codec("video", std::move(subtype)); }
    Capabilities build() const { return caps_; }

  private:
    Capabilities caps_;
};

}  // namespace parley::proto::mixer

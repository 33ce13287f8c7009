#pragma once
// Admission policy of a room (RFC 4353 section 5.2 "conference policy"): small rules
// evaluated in order, the first that refuses gives the SIP answer.
//
//   1. deny pattern matches the caller          403 "Caller not allowed"
//   2. allow list given and none matches         403 "Caller not allowed"
//   3. room locked                               403 "Conference locked"
//   4. room full (maxParticipants reached)       486 "Conference full"
// Then: a PIN is asked when the room has a PIN or a moderator PIN.
// Unknown and destroyed rooms never get here (the focus answers 404 before).
//
// Pure functions of their arguments; no state, any thread.

#include <cstddef>
#include <string>
#include <string_view>

#include "as/store/room_store.hpp"

namespace parley::as {

struct AdmissionRequest {
    std::string callerUri;               // From URI of the INVITE (or the REFER target)
    std::size_t participants = 0;        // participants in the room now (not leaving)
    bool bypassLock = false;             // invited by the focus (dial-out): lock and PIN skipped
};

struct Admission {
    int status = 0;       // 0: admitted; otherwise the SIP status to answer
    std::string reason;   // reason phrase for the refusal
    std::string rule;     // which rule refused ("deny", "allow", "locked", "full")
    bool needPin = false; // admitted, but the caller must enter a PIN first
    bool admitted() const { return status == 0; }
};

Admission admit(const RoomConfig& room, const AdmissionRequest& request);

// "sip:alice@example.com:5062;transport=tcp" -> "sip:alice@example.com": what allow and deny
// patterns are also tried against.
std::string callerIdentity(std::string_view uri);

// True when `digits` is the room's moderator PIN (never for an empty moderator PIN).
bool isModeratorPin(const RoomConfig& room, std::string_view digits);
// True when `digits` admits the caller as a participant: the room's PIN, or anything at all
// (even nothing) when the room has only a moderator PIN.
bool isParticipantPin(const RoomConfig& room, std::string_view digits);

}  // namespace parley::as

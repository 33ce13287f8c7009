#pragma once
// The instructions a webhook answers with (docs/api.md "Webhook-scripted calls"), parsed
// into typed verbs. The parser is pure: no I/O, no loop, no clock.
//
// Accepted shapes: a JSON array of verb objects, or an object {"instructions": [...]}. Each
// verb object names its verb in "verb" (the long form) or is an object with one key, the
// verb, whose value holds the options: {"play": {"url": "..."}} (the short form).
//
//   answer                                           (no options)
//   reject     {status: 400..699 (486)}
//   play       {url: http(s)/file URL, loop: 0..100 (1; 0 = until the next verb stops it)}
//   say        {type: digits|date|time, value, format?}; date "YYYY-MM-DD", time "HH:MM"
//              or "HH:MM:SS", digits 0-9*# only; "now" for date/time: the current one
//   gather     {numDigits|max: 1..64 (1), timeout: 1..120 s (5), finishOnKey: one DTMF
//              key or "" (#), actionUrl?, prompt?: URL}
//   record     {maxLength: 1..3600 s (60), beep: bool (true), actionUrl?}
//   conference {room, muted: bool, role: participant|moderator}
//   dial       {uri: sip(s) URI, callerId?: sip(s) URI, timeout: 1..120 s (30), record: bool}
//   redirect   {url: http(s) URL}
//   hangup                                           (no options)
//
// Contract: parseInstructions() never throws. Errors are Error{code, message}:
//   400 "not JSON: ..." / "expected an array or {instructions: [...]}" /
//       "instructions[i]: <verb>: <field>: <what is wrong>" / "unknown verb 'x'"
//   413 body larger than ParseLimits::maxBodyBytes or more than maxInstructions verbs.
// Unknown option keys are ignored (forward compatibility); wrong types are errors.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.hpp"

namespace parley::as::apps {

struct AnswerVerb {};
struct RejectVerb {
    int status = 486;
};
struct PlayVerb {
    std::string url;
    std::uint32_t loop = 1;  // 0: until stopped
};
struct SayVerb {
    std::string type;  // "digits", "date", "time"
    std::string value; // "now" for date/time: the time the verb runs
    std::string format;
};
struct GatherVerb {
    std::uint32_t numDigits = 1;
    std::chrono::seconds timeout{5};
    std::string finishOnKey = "#";
    std::string actionUrl;
    std::string prompt;  // URL played first, "" none
};
struct RecordVerb {
    std::chrono::seconds maxLength{60};
    bool beep = true;
    std::string actionUrl;
};
struct ConferenceVerb {
    std::string room;
    bool muted = false;
    std::string role = "participant";
};
struct DialVerb {
    std::string uri;
    std::string callerId;
    std::chrono::seconds timeout{30};
    bool record = false;
};
struct RedirectVerb {
    std::string url;
};
struct HangupVerb {};

using Instruction = std::variant<AnswerVerb, RejectVerb, PlayVerb, SayVerb, GatherVerb, RecordVerb,
                                 ConferenceVerb, DialVerb, RedirectVerb, HangupVerb>;

// The verb's name as written in JSON ("play").
const char* verbName(const Instruction& instruction);

struct ParseLimits {
    std::size_t maxBodyBytes = 1u << 20;
    std::size_t maxInstructions = 100;
};

common::Result<std::vector<Instruction>> parseInstructions(std::string_view body,
                                                           const ParseLimits& limits = {});

// True for an http:// or https:// URL with a host.
bool isHttpUrl(std::string_view url);

}  // namespace parley::as::apps

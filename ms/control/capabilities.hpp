#pragma once
// What parley-ms tells an AS it can do, in one place: the <capabilities> of the msc-mixer
// and msc-ivr audit responses (RFC 6505 section 4.4, RFC 6231 section 4.4). The media
// formats are those of Parley's media path: G.711 (PCMU, PCMA) with RFC 4733 telephone
// events, WAV files for prompts and recordings; the RFC 6231 variables (date, time,
// digits); no dialog language other than the package's own, no grammar format besides
// SRGS (which is implied).

#include <chrono>

#include "proto/packages/ivr/messages.hpp"
#include "proto/packages/mixer/mixer_messages.hpp"

namespace parley::ms {

inline constexpr std::chrono::milliseconds kMaxPreparedDuration = std::chrono::minutes(5);
inline constexpr std::chrono::milliseconds kMaxRecordDuration = std::chrono::hours(1);

proto::mixer::Capabilities mixerCapabilities();
proto::ivr::Capabilities ivrCapabilities();

}  // namespace parley::ms

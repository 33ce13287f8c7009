#pragma once
// msc-mixer/1.0 messages (proto/packages/mixer) <-> the mixing engine's values
// (ms/mixer/mixer_types.hpp). Pure functions: the package handler decides, these convert.
//
// - Streams: media, label, direction, volume (setgain dB, setstate mute/unmute, automatic
//   with an optional numeric target level in dBFS), clamp (its tone list), priority.
//   Video regions are not carried (no video mixing yet).
// - Conference settings: audio-mixing and the active-talkers subscription. What the server
//   cannot do is refused with the RFC 6505 status: a codec other than audio PCMU, PCMA or
//   telephone-event (425), a video layout that is not one of the XCON layouts (423), a
//   video-switch policy other than vas/controller (424). XCON layouts and vas/controller
//   switching are accepted and have no effect while conferences carry no video.

#include <optional>
#include <vector>

#include "common/result.hpp"
#include "ms/mixer/mixer_types.hpp"
#include "proto/packages/mixer/mixer_messages.hpp"

namespace parley::ms {

std::vector<mixer::StreamRequest> toStreamRequests(
    const std::vector<proto::mixer::Stream>& streams);

// Error{423|424|425, reason} when the settings ask for something this server cannot do.
common::Status checkConferenceSettings(const proto::mixer::ConferenceSettings& settings);

mixer::ConferenceRequest toConferenceRequest(const proto::mixer::CreateConference& m);
mixer::ConferenceChange toConferenceChange(const proto::mixer::ConferenceSettings& settings);

proto::mixer::Event toEvent(const mixer::UnjoinNotice& notice);
proto::mixer::Event toEvent(const mixer::ConferenceExitNotice& notice);
proto::mixer::Event toEvent(const mixer::ActiveTalkersReport& report);

}  // namespace parley::ms

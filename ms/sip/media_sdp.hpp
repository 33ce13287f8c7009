#pragma once
// Offer/answer for parley-ms media dialogs (RFC 3264 over proto/sdp), as pure functions.
//
// Rules:
// - One audio stream per media dialog: the first m-line that isAcceptableAudio() (RTP/AVP,
//   PCMU or PCMA, optionally telephone-event/8000) is carried; every other m-line (video,
//   further audio, application...) is answered with port 0. No acceptable m-line: 488.
// - The answer has a=ptime:20 and an a=label on every m-line (the offer's label, else the
//   label the caller chose for the carried stream, else "stream<i>"), the codecs both
//   sides support in the offer's order with the offer's payload types, and the direction
//   RFC 3264 asks for (the offer's reversed).
// - A re-offer must keep the carried stream at the same index (m-lines are never removed):
//   fewer m-lines is 488; port 0 there disables the stream (answer port 0, nothing sent or
//   received); a codec change picks the new common codecs; c=0.0.0.0 or sendonly/inactive
//   is hold (we stop sending); a new address or port moves the stream.
// - The RTP parameters of a stream come from the remote description (address, port,
//   a=rtcp) and the answer (payload types, direction).

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/result.hpp"
#include "ms/rtp/rtp_session.hpp"
#include "proto/sdp/audio_answer.hpp"
#include "proto/sdp/session.hpp"

namespace parley::ms {

struct MediaSdpIdentity {
    std::string address;          // our RTP address, written in o= and c=
    std::uint64_t sessionId = 0;  // o= session id
    std::uint64_t version = 0;    // o= version: bump for every new description we send
};

struct MediaAnswer {
    std::string sdp;
    rtp::MediaParams params;
    std::string label;  // the carried stream's label
};

// Index of the audio m-line a new media dialog carries; Error{488} when there is none.
common::Result<std::size_t> pickAudioStream(const proto::sdp::Session& offer);

// Answers `offer`, carrying m-line `index` on `port` (0: the stream is disabled, every
// m-line rejected). Error{488} when that m-line can no longer be carried.
common::Result<MediaAnswer> answerMediaOffer(const proto::sdp::Session& offer, std::size_t index,
                                             std::uint16_t port, const std::string& label,
                                             const MediaSdpIdentity& id);

// Our offer for an offerless INVITE or re-INVITE: one audio m-line.
std::string makeMediaOffer(std::uint16_t port, const std::string& label,
                           const MediaSdpIdentity& id);

// The RTP parameters once the peer answered our offer (ACK body). Error{488} when the
// answer is unreadable, has no m-line, or accepts nothing we offered.
common::Result<rtp::MediaParams> paramsFromAnswer(std::string_view answerSdp);

// RTP parameters from the remote description of a stream and the answer m-line that
// fixed its codecs; `ourDirection` is what we do.
rtp::MediaParams mediaParams(const proto::sdp::Session& remote,
                             const proto::sdp::Media& remoteMedia,
                             const proto::sdp::Media& negotiated,
                             proto::sdp::Direction ourDirection);

}  // namespace parley::ms

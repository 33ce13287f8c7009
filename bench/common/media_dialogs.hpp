#pragma once
// MediaDialogs: the media legs of the load generators, as the AS sets them up. invite(leg)
// sends a media INVITE to parley-ms on the SipStack (PCMU, ptime 20, optionally
// telephone-event/8000 as payload type 101; the generator's RTP socket as c=/m=); when the
// final answer comes, `answered` gets the leg and the answer's RTP address (c= and
// m=audio), or why there is none (a failure answer, an answer without c=/m=audio, the dialog
// ending first). The dialog's connectionid is then what msc-mixer joins and msc-ivr dialogs
// name. Incoming INVITEs are declined (603).
//
// Also the control-body helpers both generators use on CFW responses.
//
// Contract: loop thread only; the stack outlives it; each invited leg's `answered` runs once,
// never from inside invite().

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/net.hpp"
#include "common/result.hpp"
#include "proto/sip/sip_handler.hpp"
#include "proto/sip/sip_stack.hpp"

namespace parley::bench {

// The value of the first name="..." (or '...') in a control body; "" when absent.
std::string attribute(const std::string& body, const std::string& name);
// `text` with its line breaks turned into spaces (a response body on one report line).
std::string oneLine(std::string text);
// The media offer of leg `leg`: o= session id originBase + leg, RTP at 127.0.0.1:rtpPort.
std::string audioOffer(std::uint16_t rtpPort, std::size_t originBase, std::size_t leg,
                       bool telephoneEvent);

struct MediaDialogsConfig {
    std::uint16_t msSipPort = 0;
    std::uint16_t rtpPort = 0;
    std::size_t originBase = 1000;
    bool telephoneEvent = false;
};

class MediaDialogs final : private proto::sip::SipHandler {
  public:
    using Answered =
        std::function<void(std::size_t leg, common::Result<common::SocketAddress> remote)>;

    MediaDialogs(proto::sip::SipStack& stack, MediaDialogsConfig config, Answered answered);
    ~MediaDialogs() override = default;
    MediaDialogs(const MediaDialogs&) = delete;
    MediaDialogs& operator=(const MediaDialogs&) = delete;

    // Sends leg `leg`'s INVITE (once per leg); the error says why it was not sent.
    common::Status invite(std::size_t leg);
    // The leg's dialog (empty before invite()).
    const proto::sip::DialogRef& dialog(std::size_t leg) const;

  private:
    struct Leg {
        proto::sip::DialogRef dialog;
        bool answered = false;
    };

    void onIncomingInvite(const proto::sip::DialogRef& d, const proto::sip::SipMessage&) override;
    void onInviteResponse(const proto::sip::DialogRef& d, const proto::sip::SipMessage& m) override;
    void onTerminated(const proto::sip::DialogRef& d, int status,
                      const std::string& reason) override;

    proto::sip::SipStack& stack_;
    MediaDialogsConfig config_;
    Answered answered_;
    std::vector<Leg> legs_;
    std::map<const proto::sip::Dialog*, std::size_t> legByDialog_;
};

}  // namespace parley::bench

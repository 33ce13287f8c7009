#pragma once
// SipAgent: what parley-ms does with SIP (the SipHandler of its SipStack).
//
// - INVITE with a COMEDIA control offer (RFC 6230 section 4): answered 200 with the SDP of
//   answerControlOffer(), and the dialog registered in the ControlDialogTable under the
//   AS's cfw-id, with the MS's own fresh cfw-id. Refusals get their status (415, 488) and a
//   Warning header with the reason; a cfw-id a live control dialog already uses gets 488.
// - Any other INVITE is a media dialog: handed to MediaDialogs (which then receives that
//   dialog's events itself); without a MediaDialogs it is refused 488.
// - ACK, BYE, and the end of a dialog are reported to the table (which ends the bound
//   control channel and frees its resources). OPTIONS is answered by the stack.
// - The table's hang-up function of a dialog sends BYE (or whatever ends it in its state).
//
// Loop thread only. The table must outlive the agent; the agent must outlive the stack.

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>

#include "ms/control/control_dialog_table.hpp"
#include "ms/sip/control_offer.hpp"
#include "ms/sip/media_dialogs.hpp"
#include "proto/sip/sip_handler.hpp"

namespace parley::ms {

class SipAgent final : public proto::sip::SipHandler {
  public:
    SipAgent(ControlDialogTable& dialogs, std::string cfwAddress, std::uint16_t cfwPort,
             MediaDialogs* media = nullptr);

    void onIncomingInvite(const proto::sip::DialogRef& dialog,
                          const proto::sip::SipMessage& invite) override;
    void onAck(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& ack) override;
    void onBye(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& bye) override;
    void onTerminated(const proto::sip::DialogRef& dialog, int status,
                      const std::string& reason) override;

    std::uint64_t invitesRefused() const { return refused_; }

  private:
    void refuse(const proto::sip::DialogRef& dialog, int status, const std::string& reason);
    std::string freshCfwId();

    ControlDialogTable& dialogs_;
    std::string cfwAddress_;
    std::uint16_t cfwPort_;
    MediaDialogs* media_;
    std::unordered_map<const proto::sip::Dialog*, std::string> controlKeys_;
    std::mt19937_64 rng_;
    std::uint64_t refused_ = 0;
};

}  // namespace parley::ms

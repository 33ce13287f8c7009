#pragma once
// MediaDialogs: the media dialogs of parley-ms (RFC 7058 section 6, figure 10): every
// INVITE that is not a control-channel offer. Each answered dialog is one leg of the
// MediaPlane, named by its connectionid "<From-tag>:<To-tag>" (known before we answer:
// the To-tag is ours).
//
// - INVITE with an offer: the audio stream is picked and answered (media_sdp.hpp), ports
//   come from the plane's allocator, the leg starts at once (RTP may flow before the ACK);
//   488 (with a Warning) when nothing can be carried, 503 when no RTP ports are left, 415
//   for a body that is not SDP.
// - Offerless INVITE: our offer goes in the 200 (the leg exists, on hold, from then on) and
//   the ACK's answer sets its remote address and codecs. An ACK without a usable answer
//   ends the dialog with BYE.
// - re-INVITE: with an offer, answered against the same stream (hold/resume, new address
//   or port, codec change); offerless, answered with our offer and completed by the ACK. A
//   re-offer that cannot be accepted gets 488 and leaves the leg as it was.
// - BYE (or any end of the dialog): the leg is removed from the plane, which frees its
//   ports and tells the owning channel (unjoin-notify status 2).
// - Ownership hint: when the INVITE's Contact names the same host and port as the Contact
//   of exactly one live control dialog bound to a channel, that channel owns the
//   connection from the start (the AS that set up the media dialog is the one that set up
//   that control dialog). Otherwise the first channel that names the connection owns it.
//
// Loop thread only. The plane and the dialog table must outlive this object.

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>

#include "ms/control/control_dialog_table.hpp"
#include "ms/plane/media_plane.hpp"
#include "ms/sip/media_sdp.hpp"
#include "proto/sip/sip_handler.hpp"

namespace parley::ms {

struct MediaDialogStats {
    std::uint64_t answered = 0;
    std::uint64_t refused = 0;
    std::uint64_t reinvites = 0;
    std::uint64_t reinvitesRefused = 0;
    std::uint64_t ended = 0;
    std::uint64_t live = 0;
};

class MediaDialogs final : public proto::sip::SipHandler {
  public:
    MediaDialogs(plane::MediaPlane& plane, const ControlDialogTable& controls,
                 std::string sdpAddress);
    ~MediaDialogs() override;

    void onIncomingInvite(const proto::sip::DialogRef& dialog,
                          const proto::sip::SipMessage& invite) override;
    void onReinvite(const proto::sip::DialogRef& dialog,
                    const proto::sip::SipMessage& invite) override;
    void onAck(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& ack) override;
    void onBye(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& bye) override;
    void onTerminated(const proto::sip::DialogRef& dialog, int status,
                      const std::string& reason) override;

    // BYE every media dialog (shutdown).
    void hangUpAll();
    MediaDialogStats stats() const;

  private:
    struct Leg {
        proto::sip::DialogRef dialog;
        std::string connectionId;
        std::string label;
        std::size_t streamIndex = 0;
        std::size_t mediaCount = 1;  // m-lines in the last offer
        std::uint16_t port = 0;
        MediaSdpIdentity sdp;
        bool awaitingAnswer = false;  // our offer went in a 200; the ACK brings the answer
        bool registered = false;      // the plane has the leg
    };

    void refuse(const proto::sip::DialogRef& dialog, int status, const std::string& reason);
    ChannelId ownerHint(const std::string& contact) const;
    std::string freshLabel();
    void endLeg(const proto::sip::Dialog* key, const std::string& why);

    plane::MediaPlane& plane_;
    const ControlDialogTable& controls_;
    std::string sdpAddress_;
    std::unordered_map<const proto::sip::Dialog*, Leg> legs_;
    std::mt19937_64 rng_;
    MediaDialogStats stats_;
};

// "host:port" of a SIP URI ("sip:user@host:port;params" -> "host:port"; port 5060 when
// absent); empty when unreadable.
std::string uriHostPort(std::string_view uri);

}  // namespace parley::ms

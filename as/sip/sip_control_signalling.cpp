#include "as/sip/sip_control_signalling.hpp"

#include "common/log.hpp"
#include "common/net.hpp"

namespace parley::as {

namespace sip = proto::sip;

namespace {

Poco::Logger& log() { return common::logger("as.sip"); }

// One control dialog: forwards its SIP events to the MediaServerClient until hung up.
class SipControlDialog final : public ControlDialog, private sip::SipHandler {
public:
    explicit SipControlDialog(ControlDialogHandler& handler) : handler_(&handler) {}
    ~SipControlDialog() override { hangup(); }

    void attach(sip::DialogRef dialog) { dialog_ = std::move(dialog); }
    sip::SipHandler& sipHandler() { return *this; }

    void hangup() override {
        if (!dialog_) return;
        handler_ = nullptr;
        dialog_->setHandler(nullptr);
        if (auto s = dialog_->hangup(); !s) {
            PARLEY_LOG_DEBUG(log(), "control dialog " << dialog_->callId()
                                                      << " hangup: " << s.error().message);
        }
        dialog_.reset();
    }

private:
    void onIncomingInvite(const sip::DialogRef& dialog, const sip::SipMessage&) override {
        // Never reached: a per-dialog handler sees only its own dialog's events.
        (void)dialog->respond(500, "Unexpected INVITE");
    }

    void onInviteResponse(const sip::DialogRef&, const sip::SipMessage& response) override {
        if (!handler_ || finished_ || response.status < 200) return;
        if (response.status < 300) {
            if (answered_) return;  // a retransmitted 2xx
            answered_ = true;
            handler_->onAnswered(response.body);
            return;
        }
        finished_ = true;
        handler_->onRefused(response.status, response.reason);
    }

    void onBye(const sip::DialogRef&, const sip::SipMessage&) override {
        if (!handler_ || finished_) return;
        finished_ = true;
        handler_->onEnded("BYE from the media server");
    }

    void onTerminated(const sip::DialogRef&, int status, const std::string& reason) override {
        if (!handler_ || finished_) return;
        finished_ = true;
        std::string why = reason.empty() ? "SIP status " + std::to_string(status) : reason;
        if (answered_) {
            handler_->onEnded("control dialog terminated: " + why);
        } else {
            handler_->onRefused(status, why);
        }
    }

    ControlDialogHandler* handler_;
    sip::DialogRef dialog_;
    bool answered_ = false;
    bool finished_ = false;
};

}  // namespace

void AsSipHandler::onIncomingInvite(const sip::DialogRef& dialog, const sip::SipMessage& invite) {
    PARLEY_LOG_INFO(log(), "INVITE for " << invite.requestUri << " from " << invite.fromUri
                                         << " refused: no conference service here");
    (void)dialog->respond(404, "No Such Conference");
}

void AsSipHandler::onTerminated(const sip::DialogRef& dialog, int status, const std::string& reason) {
    PARLEY_LOG_DEBUG(log(), "dialog " << dialog->callId() << " over: " << status << " " << reason);
}

common::Result<std::unique_ptr<ControlDialog>> SipControlSignalling::invite(
    const std::string& uri, const std::string& sdpOffer, ControlDialogHandler& handler) {
    auto dialog = std::make_unique<SipControlDialog>(handler);
    sip::InviteRequest request;
    request.to = uri;
    request.body = sdpOffer;
    request.contentType = "application/sdp";
    auto ref = stack_.invite(request, &dialog->sipHandler());
    if (!ref) return ref.error();
    dialog->attach(std::move(*ref));
    return std::unique_ptr<ControlDialog>(std::move(dialog));
}

std::string SipControlSignalling::localHost() const {
    auto hp = common::splitHostPort(stack_.hostPort());
    return hp ? hp->first : std::string("127.0.0.1");
}

}  // namespace parley::as

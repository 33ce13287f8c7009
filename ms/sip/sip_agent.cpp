#include "ms/sip/sip_agent.hpp"

#include <chrono>

#include "common/log.hpp"

namespace parley::ms {

namespace sip = proto::sip;

namespace {
Poco::Logger& log() {
    return common::logger("ms.sip");
}
}  // namespace

SipAgent::SipAgent(ControlDialogTable& dialogs, std::string cfwAddress, std::uint16_t cfwPort,
                   MediaDialogs* media)
    : dialogs_(dialogs), cfwAddress_(std::move(cfwAddress)), cfwPort_(cfwPort), media_(media) {
    std::random_device rd;
    std::seed_seq seed{
        rd(), rd(), rd(), rd(),
        static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count())};
    rng_.seed(seed);
}

std::string SipAgent::freshCfwId() {
    static constexpr char kHex[] = "0123456789abcdef";
    for (;;) {
        std::string id;
        std::uint64_t v = rng_();
        for (int i = 0; i < 12; ++i) {
            id += kHex[v & 0xf];
            v >>= 4;
        }
        if (!dialogs_.cfwIdInUse(id)) return id;
    }
}

void SipAgent::refuse(const sip::DialogRef& dialog, int status, const std::string& reason) {
    ++refused_;
    sip::HeaderList headers{{"Warning", warningValue("parley-ms", reason)}};
    if (status == 415) headers.emplace_back("Accept", "application/sdp");
    auto st = dialog->respond(status, {}, {}, {}, headers);
    if (!st)
        PARLEY_LOG_WARN(
            log(), "could not refuse INVITE " << dialog->callId() << ": " << st.error().message);
}

void SipAgent::onIncomingInvite(const sip::DialogRef& dialog, const sip::SipMessage& invite) {
    if (media_ && !isControlOffer(invite.contentType, invite.body)) {
        media_->onIncomingInvite(dialog, invite);
        return;
    }
    ControlAnswerSettings settings;
    settings.address = cfwAddress_;
    settings.port = cfwPort_;
    settings.sessionId = rng_() >> 1;
    const std::string msCfwId = freshCfwId();
    auto answer = answerControlOffer(invite.contentType, invite.body, settings, msCfwId);
    if (!answer) {
        PARLEY_LOG_INFO(log(), "INVITE " << invite.callId << " from " << invite.fromUri
                                         << " refused " << answer.error().code << ": "
                                         << answer.error().message);
        refuse(dialog, answer.error().code, answer.error().message);
        return;
    }
    ControlDialogInfo info;
    info.asCfwId = answer->asCfwId;
    info.msCfwId = msCfwId;
    info.callId = invite.callId;
    info.peer = invite.fromUri;
    info.contact = invite.contactUri;
    sip::DialogRef ref = dialog;
    auto added = dialogs_.add(info, [ref] {
        if (auto st = ref->hangup(); !st) {
            PARLEY_LOG_INFO(log(), "control dialog " << ref->callId()
                                                     << " not hung up: " << st.error().message);
        }
    });
    if (!added) {
        PARLEY_LOG_INFO(log(),
                        "INVITE " << invite.callId << " refused 488: " << added.error().message);
        refuse(dialog, 488, added.error().message);
        return;
    }
    auto st = dialog->respond(200, {}, answer->sdp, "application/sdp");
    if (!st) {
        PARLEY_LOG_WARN(log(),
                        "INVITE " << invite.callId << " not answered: " << st.error().message);
        dialogs_.remove(info.asCfwId, "answer failed");
        return;
    }
    controlKeys_[dialog.get()] = info.asCfwId;
    PARLEY_LOG_INFO(log(), "control dialog " << info.asCfwId << " (call " << invite.callId
                                             << " from " << invite.fromUri << ") answered: cfw-id "
                                             << msCfwId << " at " << cfwAddress_ << ":"
                                             << cfwPort_);
}

void SipAgent::onAck(const sip::DialogRef& dialog, const sip::SipMessage& ack) {
    (void)ack;
    auto it = controlKeys_.find(dialog.get());
    if (it == controlKeys_.end()) return;
    dialogs_.markAcked(it->second);
    PARLEY_LOG_DEBUG(log(), "control dialog " << it->second << " confirmed (ACK)");
}

void SipAgent::onBye(const sip::DialogRef& dialog, const sip::SipMessage& bye) {
    (void)bye;
    auto it = controlKeys_.find(dialog.get());
    if (it == controlKeys_.end()) return;
    PARLEY_LOG_INFO(log(), "control dialog " << it->second << ": BYE from the AS");
}

void SipAgent::onTerminated(const sip::DialogRef& dialog, int status, const std::string& reason) {
    auto it = controlKeys_.find(dialog.get());
    if (it == controlKeys_.end()) return;
    std::string key = it->second;
    controlKeys_.erase(it);
    PARLEY_LOG_INFO(log(), "control dialog " << key << " over (" << status << " " << reason << ")");
    dialogs_.remove(key, "control dialog ended");
}

}  // namespace parley::ms

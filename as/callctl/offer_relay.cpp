#include "as/callctl/offer_relay.hpp"

namespace parley::as {

namespace {

constexpr std::string_view kSdp = "application/sdp";

std::string_view sdpType(const proto::sip::SipMessage& m) {
    return m.body.empty() ? std::string_view{} : kSdp;
}

}  // namespace

common::Status OfferRelay::startReinvite(proto::sip::Dialog& ms,
                                         const proto::sip::SipMessage& invite) {
    if (auto s = ms.reinvite(invite.body, sdpType(invite)); !s) return s;
    state_ = invite.body.empty() ? State::OfferlessReinvite : State::Reinvite;
    return {};
}

common::Status OfferRelay::startUpdate(proto::sip::Dialog& ms, const proto::sip::SipMessage& update) {
    if (auto s = ms.reinvite(update.body, kSdp); !s) return s;
    state_ = State::Update;
    return {};
}

void OfferRelay::onMsFinal(proto::sip::Dialog& caller, proto::sip::Dialog& ms,
                           const proto::sip::SipMessage& response) {
    switch (state_) {
        case State::Reinvite:
            state_ = State::None;
            (void)caller.respond(response.status, response.reason, response.body, sdpType(response));
            break;
        case State::Update:
            state_ = State::None;
            (void)caller.respondUpdate(response.status, response.reason, response.body,
                                       sdpType(response));
            break;
        case State::OfferlessReinvite:
            if (response.status < 300 && !response.body.empty()) {
                state_ = State::AwaitAck;
                (void)caller.respond(200, {}, response.body, kSdp);
            } else {
                state_ = State::None;
                if (response.status < 300) (void)ms.ack();  // no offer: nothing to negotiate
                (void)caller.respond(response.status < 300 ? 500 : response.status, response.reason);
            }
            break;
        case State::None:
        case State::AwaitAck:
            break;
    }
}

OfferRelay::AckResult OfferRelay::onCallerAck(proto::sip::Dialog& ms,
                                              const proto::sip::SipMessage& ack) {
    if (state_ != State::AwaitAck) return AckResult::NotOurs;
    state_ = State::None;
    if (ack.body.empty()) return AckResult::NoAnswer;
    (void)ms.ack(ack.body, kSdp);
    return AckResult::Relayed;
}

}  // namespace parley::as

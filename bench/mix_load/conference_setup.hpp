#pragma once
// ConferenceSetup: the AS half of the mix benchmark. Over an up MediaServerClient (the
// production control channel of parley-as) it creates `conferences` conferences with
// msc-mixer <createconference/>, then for every leg sends a media INVITE (PCMU, ptime 20,
// the RtpLoad socket as c=/m=) on the SipStack, hands the answer's address to RtpLoad and
// joins the leg's connectionid to its conference. Requests are pipelined with at most
// `window` in flight. The first leg of each conference is RtpLoad's probe, the others
// are talkers with voices 0..8.
//
// The INVITEs and their answers are the shared MediaDialogs' (bench/common/media_dialogs.hpp).
//
// Contract: loop thread only; the loop, stack, client and load outlive it. done() is called
// once: ok, or the first failure's reason (the remaining steps still run to completion).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "as/msclient/media_server_client.hpp"
#include "bench/common/media_dialogs.hpp"
#include "bench/mix_load/rtp_load.hpp"
#include "common/event_loop.hpp"
#include "proto/sip/sip_stack.hpp"

namespace parley::bench {

struct SetupPlan {
    std::size_t conferences = 0;
    std::size_t legsPerConference = 10;  // 0: conferences without legs
    std::size_t window = 32;
};

class ConferenceSetup final {
  public:
    using Done = std::function<void(bool ok, const std::string& why)>;

    ConferenceSetup(proto::sip::SipStack& stack, as::MediaServerClient& client, RtpLoad& load,
                    std::uint16_t msSipPort, SetupPlan plan);

    // Registers every leg with the RtpLoad (call before RtpLoad::start()).
    void addLegs();
    void start(Done done);

    std::size_t conferencesCreated() const { return created_; }
    std::size_t legsJoined() const { return joined_; }
    std::size_t failures() const { return failures_; }
    std::size_t legs() const { return legs_.size(); }

  private:
    struct LegState {
        std::size_t conference = 0;
        std::size_t loadLeg = 0;
    };

    void pump();
    void createNext();
    void inviteNext();
    void join(std::size_t leg);
    void fail(const std::string& why);
    void finishOne();
    void onAnswered(std::size_t leg, common::Result<common::SocketAddress> remote);

    as::MediaServerClient& client_;
    RtpLoad& load_;
    SetupPlan plan_;
    MediaDialogs dialogs_;
    Done done_;

    std::vector<std::string> conferenceIds_;
    std::vector<LegState> legs_;
    std::size_t nextConference_ = 0;
    std::size_t nextLeg_ = 0;
    std::size_t inFlight_ = 0;
    std::size_t created_ = 0;
    std::size_t joined_ = 0;
    std::size_t failures_ = 0;
    std::string firstFailure_;
    bool finished_ = false;
};

}  // namespace parley::bench

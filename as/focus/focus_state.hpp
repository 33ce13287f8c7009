#pragma once
// The focus's run-time records (internal to as/focus: focus.cpp and focus_control.cpp).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "as/callctl/media_control.hpp"
#include "as/events/conference_events.hpp"
#include "as/focus/focus.hpp"
#include "as/callctl/offer_relay.hpp"
#include "proto/sip/dialog.hpp"
#include "proto/sip/subscription.hpp"

namespace parley::as {

namespace sip = proto::sip;

struct Focus::Participant {
    enum class Phase { Setup, Answering, Pin, Name, Waiting, Joining, Joined, Leaving };

    std::uint64_t id = 0;
    std::string key;       // "p<id>", the participant's name in events
    std::string roomName;
    Phase phase = Phase::Setup;
    bool dialOut = false;
    bool countedSetup = false;
    sip::DialogRef user;   // the caller's dialog (UAS) or the invitee's (UAC)
    sip::DialogRef ms;     // AS -> MS media dialog (UAC)
    bool userEnded = false;
    bool msEnded = false;
    bool userOffered = true;  // dial-in INVITE carried an offer
    bool early = false;       // in early media: 183 sent with `answer`, 200 still to come
    std::string answer;
    std::string connId;
    MediaControl* media = nullptr;

    std::string uri, display, contact;
    bool anonymous = false;
    bool moderator = false;
    bool muted = false;
    bool mutedDecided = false;   // muteOnJoin applied (or REST set it) already
    bool deaf = false;
    bool restHold = false;       // held by REST: neither hears nor is heard
    double volumeDb = 0.0;
    std::vector<std::uint64_t> coach;  // who alone hears this participant (direct joins)
    bool talking = false;
    bool held = false;
    bool needPin = false;
    int pinFailures = 0;
    std::string ivrDialog;         // the IVR dialog running on the connection, if any
    std::string nameRecording;     // roll call: URI of the recorded name
    std::chrono::system_clock::time_point joinedAt{};
    std::chrono::system_clock::time_point createdAt = std::chrono::system_clock::now();
    OfferRelay relay;  // the caller's mid-dialog offer on its way to parley-ms

    sip::SubscriptionRef referProgress;  // dial-out asked for by REFER
    bool progressDone = true;
    common::EventLoop::TimerId dialTimer = 0;
    std::chrono::milliseconds dialTimeout{0};  // 0: FocusOptions::dialOutTimeout
    std::string callerId;                      // From for a dial-out; "" the room's URI

    bool joinedNow() const { return phase == Phase::Joined; }
    JoinOptions joinOptions() const {
        JoinOptions o;
        o.muted = muted || restHold || !coach.empty();
        o.deaf = deaf || restHold;
        o.gainDb = volumeDb;
        return o;
    }
};

struct Focus::Room {
    RoomConfig config;
    std::string uri;
    MediaServerClient* server = nullptr;
    MediaControl* media = nullptr;
    enum class Conf { None, Creating, Ready } conf = Conf::None;
    std::string confId;
    std::uint64_t generation = 0;     // which createconference the MS's callbacks belong to
    std::vector<std::uint64_t> awaitingConference;
    std::set<std::uint64_t> members;  // every participant of the room, whatever the phase
    std::size_t moderators = 0;       // joined moderators
    std::unique_ptr<ConferenceEvents> events;
    bool ending = false;
    std::string sidebarOf;            // a sidebar: the main room it hears (quieter)
    struct Recording {
        std::string dialogId;
        std::string state = "recording";  // recording, ready, failed
        std::string uri;
        std::chrono::system_clock::time_point startedAt = std::chrono::system_clock::now();
    };
    std::map<std::string, Recording> recordings;  // by recording id
};

}  // namespace parley::as

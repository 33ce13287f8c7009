#pragma once
// Focus: the conference focus of parley-as (RFC 4353, RFC 4579): the SIP handler for
// everything that is not a control channel. It owns the rooms at run time, their
// participants and every participant's two SIP dialogs: the user's (caller or invitee) and
// the AS-to-MS media dialog (RFC 3725 third-party call control, RFC 7058 figure 10), and it
// drives the room's MS conference through MediaControl (msc-mixer/1.0, msc-ivr/1.0).
//
// A call's way through the focus (docs/architecture.md "parley-as focus" has the picture):
//   dial-in   INVITE -> room lookup (404) -> policy (403/486) -> 180 -> INVITE to the MS with
//             the caller's offer (or offerless) -> 200 to the caller with the MS's SDP ->
//             ACK -> [PIN prompt+collect, 3 tries] -> [name recording] -> [music on hold
//             until a moderator arrives] -> join the MS conference -> [announcement]
//   dial-out  REFER Refer-To <uri> -> offerless INVITE to the MS -> its offer to the invitee
//             -> the invitee's answer in the ACK to the MS -> join; sipfrag NOTIFYs report
//   leaving   BYE/CANCEL from either side, ejection (REFER ;method=BYE), room end, MS loss:
//             unjoin, BYE the MS leg, BYE (or 480/CANCEL) the user's dialog
// re-INVITE and UPDATE from a participant are carried to the MS leg (an UPDATE with an
// offer becomes a re-INVITE towards the MS, which does not take UPDATE offers) and the
// answer comes back the same way.
//
// Contracts:
// - Loop thread only (the SIP stack's thread). attach() once, before the stack runs.
// - Every participant ends with both dialogs terminated and is then forgotten; no MS leg
//   outlives its user's dialog (CANCEL, dangling INVITEs and errors included).
// - Limits: FocusOptions::maxCalls participants in all, maxSetups calls being set up at
//   once; beyond them new INVITEs get 503 with Retry-After.
// - Room configuration is read from the RoomStore when a room comes to life at run time
//   (first call or subscription), and read again whenever a call, subscription, REFER,
//   dial-out or move asks to enter the live room, so that a change made through another
//   parley-as sharing the database (lock, PIN, limits, allow/deny) applies to the next
//   entrant here too. A stored room deleted elsewhere takes no new entrants (404); those in
//   it stay until they leave.

#include <chrono>
#include <random>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "as/callctl/media_control.hpp"
#include "as/sip/sip_control_signalling.hpp"
#include "as/store/room_store.hpp"
#include "common/event_loop.hpp"
#include "proto/sip/sip_handler.hpp"
#include "proto/sip/sip_stack.hpp"

namespace parley::as {

class MediaServerRegistry;
class MediaServerClient;
class EventBus;
class CallRouter;

struct FocusOptions {
    std::string factoryUser = "conference";  // RFC 4579 conference factory URI user part
    std::string promptBase;                  // URI prefix of the focus's prompts, ends in '/'
    std::size_t maxCalls = 2000;
    std::size_t maxSetups = 200;
    int pinTries = 3;
    std::chrono::milliseconds dialOutTimeout{25000};  // below the MS's 32 s ACK wait
    std::chrono::milliseconds activeTalkersInterval{1000};
    std::chrono::milliseconds pinTimeout{10000};      // first digit
    std::chrono::milliseconds pinInterDigit{4000};
    std::chrono::milliseconds nameMaxTime{3000};
    // Early media: a caller whose INVITE has an offer gets 183 with the MS's SDP as soon as
    // the MS answered, hears the PIN prompt (and music on hold) before being answered, and
    // gets 200 when it is let into the room; a caller refused at the PIN gets 403, never a
    // 200. Off: 180 ringback, 200 once the MS answered, the PIN asked after the answer.
    bool earlyMedia = false;
};

// What GET-style callers (REST, tests) see of a room at run time.
struct RoomStatus {
    std::string name;
    std::string uri;
    std::size_t participants = 0;  // joined or being admitted
    std::size_t moderators = 0;    // joined moderators
    std::string conferenceId;      // the MS's, "" when none
    std::size_t subscribers = 0;
};

// A participant as the REST API shows it.
struct ParticipantInfo {
    std::string id;           // "p12"
    std::string room;
    std::string uri;          // the caller's From URI (or the invitee's URI); "" anonymous
    std::string displayName;
    std::string role;         // "participant" or "moderator"
    std::string state;        // "connecting", "pin", "waiting", "joined", "leaving"
    std::string direction;    // "inbound" or "outbound"
    std::string callId;       // of the user's dialog
    std::string connectionId; // of the MS media dialog
    bool muted = false;
    bool deaf = false;
    bool talking = false;
    bool held = false;
    double volumeDb = 0.0;
    std::vector<std::string> coach;  // who alone hears this participant; empty: everyone
    std::chrono::system_clock::time_point joinedAt{};  // epoch: not joined (yet)
};

// A change asked for by REST; fields left empty stay as they are.
struct ParticipantChange {
    std::optional<bool> muted;
    std::optional<bool> deaf;
    std::optional<bool> hold;          // the participant hears nothing and is not heard
    std::optional<double> volumeDb;    // gain on what the participant sends, -96..+24 dB
    std::optional<std::string> role;   // "participant" or "moderator"
    // Ids of the participants who alone hear this one (whisper/coach, RFC 7058 6.3.3);
    // an empty vector: everyone hears them again.
    std::optional<std::vector<std::string>> coach;
};

struct DialOutRequest {
    std::string uri;
    std::string callerId;   // From URI for the invitee; "" the room's URI
    std::string role = "participant";
    std::chrono::seconds timeout{25};
};

struct Announcement {
    std::vector<PromptItem> prompt;
    std::uint32_t repeatCount = 1;
};

class Focus final : public proto::sip::SipHandler {
public:
    using Done = std::function<void(common::Status)>;
    Focus(common::EventLoop& loop, RoomStore& store, MediaServerRegistry& registry,
          FocusOptions options);
    ~Focus() override;
    Focus(const Focus&) = delete;
    Focus& operator=(const Focus&) = delete;

    void attach(proto::sip::SipStack& stack);

    // RFC 4353 section 5.4: BYE everyone in the room, end its subscriptions (ad-hoc rooms)
    // or tell them (stored rooms), destroy the MS conference. Error{404} for no such room
    // at run time.
    common::Status endRoom(const std::string& name, const std::string& reason);
    // SIGTERM: every room ends; the stack's shutdown() then sends what is queued.
    void shutdown();

    std::size_t callCount() const { return participants_.size(); }
    std::vector<RoomStatus> rooms() const;
    // The run-time state of one room; nullopt when it is not live (no calls, no watchers).
    std::optional<RoomStatus> roomStatus(const std::string& name) const;

    // --- control (REST, scripted calls). Loop thread; every `done` exactly once, on the
    // loop, possibly before the call returns. Errors: 404 no such room/participant at run
    // time, 409 not in a state for it (not joined yet), 400 bad value, 503 no MS.
    void setEventBus(EventBus* bus) { bus_ = bus; }
    void setCallRouter(CallRouter* router) { router_ = router; }
    common::Result<std::vector<ParticipantInfo>> participants(const std::string& room) const;
    common::Result<ParticipantInfo> participant(const std::string& room, const std::string& id) const;
    void change(const std::string& room, const std::string& id, ParticipantChange c, Done done);
    common::Status kick(const std::string& room, const std::string& id);
    // Dials `r.uri` into the room (as a REFER would); the new participant's id.
    common::Result<std::string> dialOut(const std::string& room, const DialOutRequest& r);
    // Plays into the room's mix (participantId "") or to one participant.
    void announce(const std::string& room, const std::string& participantId, const Announcement& a,
                  Done done);
    // Records the room's mix (msc-ivr record on the conference); the id names the recording
    // in the store's index (state "recording", then "ready" with the MS's URI or "failed").
    void startRecording(const std::string& room, std::function<void(common::Result<std::string>)> done);
    void stopRecording(const std::string& room, const std::string& recordingId, Done done);
    // Moves a joined participant to another room (created at run time from the store).
    void move(const std::string& room, const std::string& id, const std::string& toRoom, Done done);
    // A sidebar (RFC 4353 section 5.9, RFC 7058 6.3.4): a new ad-hoc room holding `ids`, who
    // leave the main mix and hear the main room quieter; returnFromSidebar() brings them back.
    void sidebar(const std::string& room, const std::vector<std::string>& ids,
                 std::function<void(common::Result<std::string>)> done);
    void returnFromSidebar(const std::string& sidebarRoom, Done done);
    // The room's stored configuration changed (REST): lock, limits, display name take effect.
    common::Status roomChanged(const std::string& name);

    // A scripted call hands its two established dialogs to the focus ("conference" verb).
    struct Adoption {
        proto::sip::DialogRef user;
        proto::sip::DialogRef ms;
        MediaServerClient* server = nullptr;
        std::string room;
        std::string role = "participant";
        bool muted = false;
        std::string uri;
        std::string displayName;
    };
    // 404 unknown room, 403/486 by the room's rules (PIN skipped), 409 when the room's
    // conference lives on another MS than the call's leg. On success the focus owns both
    // dialogs (their handler is set to the focus).
    common::Status adopt(Adoption a);

    // SipHandler
    void onIncomingInvite(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& invite) override;
    void onReinvite(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& invite) override;
    void onInviteResponse(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& response) override;
    void onAck(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& ack) override;
    void onBye(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& bye) override;
    void onCancel(const proto::sip::DialogRef& dialog) override;
    void onUpdate(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& update) override;
    void onUpdateResponse(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& response) override;
    proto::sip::RequestAnswer onSubscribe(const proto::sip::SubscriptionRef& subscription,
                                          const proto::sip::SipMessage& subscribe) override;
    void onSubscriptionRefreshed(const proto::sip::SubscriptionRef& subscription,
                                 const proto::sip::SipMessage& subscribe) override;
    void onSubscriptionTerminated(const proto::sip::SubscriptionRef& subscription,
                                  const std::string& reason) override;
    proto::sip::RequestAnswer onRefer(const proto::sip::SubscriptionRef& progress,
                                      const proto::sip::ReferRequest& refer,
                                      const proto::sip::DialogRef& dialog) override;
    void onTerminated(const proto::sip::DialogRef& dialog, int status, const std::string& reason) override;

    struct Participant;
    struct Room;

private:
    enum class Why { Departed, Booted, Failed, Busy };
    struct Leg {
        std::uint64_t participant = 0;
        bool msSide = false;
    };

    Participant* participantOf(const proto::sip::Dialog* dialog, bool* msSide = nullptr);
    Participant* participant(std::uint64_t id);
    Room* room(const std::string& name);           // at run time only
    Room* loadRoom(const std::string& name);       // run time, else from the store
    // Reads a live stored room's configuration again (other parley-as sharing the database
    // may have changed it); false when the room is no longer in the store. A store failure
    // keeps the configuration it has.
    bool refreshConfig(Room& room);
    void applyConfig(Room& room, RoomConfig config);
    Room* createAdHocRoom();
    std::string roomUri(const std::string& name) const;
    std::string prompt(const std::string& name) const;
    MediaControl* mediaFor(MediaServerClient* server);
    bool bindServer(Room& room);
    std::size_t activeCount(const Room& room) const;
    RoomStatus statusOf(const Room& room) const;

    // Dial-in and dial-out set-up.
    void msAnswered(Participant& p, const proto::sip::SipMessage& response);
    void userAnsweredDialOut(Participant& p, const proto::sip::SipMessage& response);
    void admitted(Participant& p);
    bool answerEarly(Participant& p);
    void askPin(Participant& p, bool retry);
    void pinResult(std::uint64_t id, const DialogResult& result);
    void afterPin(Participant& p);
    void recordName(Participant& p);
    void enter(Participant& p);
    void startHold(Participant& p);
    void join(Participant& p);
    void joined(Participant& p);
    void releaseWaiting(Room& room);
    void announce(Room& room, const Participant& p, const char* what);
    common::Result<std::uint64_t> dialOut(Room& room, const std::string& target,
                                          const proto::sip::SubscriptionRef& progress,
                                          const std::string& referredBy, const DialOutRequest* extra);
    void reportProgress(Participant& p, int status, const std::string& reason = {});

    // Conference on the MS.
    void ensureConference(Room& room, std::uint64_t participantId);
    void conferenceReady(const std::string& roomName, std::uint64_t generation, MediaControl* media,
                         common::Result<std::string> id);
    void releaseConference(Room& room);
    void conferenceLost(const std::string& roomName, std::uint64_t generation, int status,
                        const std::string& reason);
    void talkers(const std::string& roomName, std::uint64_t generation,
                 const std::vector<std::string>& connectionIds);

    // Leaving.
    void leave(Participant& p, Why why, bool hangUpUser, const std::string& reason);
    void legEnded(const proto::sip::Dialog* dialog);
    void roomMaybeIdle(Room& room);
    void publish(Room& room, const Participant& p);

    Participant* findIn(const std::string& room, const std::string& id, common::Error* error);
    const Participant* findIn(const std::string& room, const std::string& id, common::Error* error) const;
    // The participant, joined (409 otherwise); the live room whose conference is up on the MS
    // (404 no such room at run time, 409 nobody joined yet).
    Participant* joinedIn(const std::string& room, const std::string& id, common::Error* error);
    Room* mixingRoom(const std::string& name, common::Error* error);
    ParticipantInfo infoOf(const Participant& p) const;
    void emit(const std::string& type, const Room& room, const Participant* p, std::string dataJson = "{}");
    void applyJoin(Participant& p, Done done);
    void returnWhenJoined(std::uint64_t pid, const std::string& sidebarRoom, const std::string& main, int attempts);

    common::EventLoop& loop_;
    EventBus* bus_ = nullptr;
    std::mt19937_64 rng_{std::random_device{}()};  // ad-hoc room and recording ids
    CallRouter* router_ = nullptr;
    RoomStore& store_;
    MediaServerRegistry& registry_;
    FocusOptions options_;
    proto::sip::SipStack* stack_ = nullptr;

    std::uint64_t nextId_ = 1;
    std::uint64_t nextGeneration_ = 1;
    std::size_t setups_ = 0;
    std::map<std::uint64_t, std::unique_ptr<Participant>> participants_;
    std::unordered_map<const proto::sip::Dialog*, Leg> legs_;
    std::map<std::string, std::unique_ptr<Room>> rooms_;
    std::unordered_map<const proto::sip::Subscription*, std::string> subscriptions_;
    std::map<MediaServerClient*, std::unique_ptr<MediaControl>> media_;
};

}  // namespace parley::as

#pragma once
// MediaControl: typed media control of one media server for the conference focus. The
// focus never writes XML or reads CFW: it calls this class, which builds msc-mixer/1.0
// (RFC 6505) and msc-ivr/1.0 (RFC 6231) messages with the package libraries, sends them over
// MediaServerClient::sendControl(), decodes the answers (leniently: foreign content is
// skipped) and routes the MS's package events to the conference watcher or dialog they
// belong to.
//
// Contracts:
// - Loop thread only. The EventLoop and the MediaServerClient outlive this object. The
//   constructor subscribes to the client's events and link state; the destructor
//   unsubscribes and drops every callback without calling it (also those of answers still
//   on their way and of errors already posted).
// - Every Done / IdDone is called exactly once: with the package's answer, Error{package
//   status, reason} for a package refusal (e.g. 406 unknown conference), Error{framework
//   status, reason} for a CFW refusal (403, 420...), Error{408} when no answer came in time
//   (the client's transaction timer), Error{500} for an answer that cannot be read, and
//   Error{503, "channel lost"} when the channel goes down before the answer. A request made
//   while the channel is not up (and any argument error, Error{400}) is answered from a
//   posted task, never from inside the call.
// - Conferences: createConference() registers the watcher under the MS's conferenceid once
//   the MS answers 200. The watcher hears active-talkers notifications (when an interval was
//   asked for), unjoin-notify for joins of that conference, and exited() once: from a
//   <conferenceexit>, or with status -1 when the channel goes down. destroyConference()
//   drops the watcher at once: no exited() for it.
// - Dialogs: startDialog() picks the dialogid itself (unique per MediaControl, with a random
//   part so that several ASes sharing an MS do not collide), so events can never outrun the
//   answer. `started` is called once with the id (or the error); `exited` exactly once
//   after it: the <dialogexit>, or status -1 when the start failed or the channel went down.
//   A dialogexit that arrives before the start's answer is held back until `started` ran.
// - Channel lost (the client's link leaves "up"): every pending callback gets Error{503,
//   "channel lost"}, then every started dialog's exited(-1), then every watcher's exited(-1).
//   The MS's resources of that channel are gone with it; ids are not reused afterwards.
// - Callbacks may call any method, and may destroy this object: callbacks not yet run are
//   then dropped.
// - Events the class does not know (dtmfnotify, other packages, ids it does not know) are
//   ignored with a debug log; bodies it cannot read are logged once at warning. The channel
//   has already answered every event 200 (proto/cfw).
//
// Joins: id1 is the participant's connection, id2 the conference. JoinOptions map to the
// direction of the audio <stream> relative to id1 (RFC 6505 4.2.2.2): sendrecv; muted ->
// recvonly; deaf -> sendonly; both -> inactive. A gain applies to what the participant
// sends only, so it goes on a sendonly <stream> with <volume controltype="setgain">, paired
// with a recvonly <stream> when the participant also hears the mix. join() sends no volume
// for gain 0; modifyJoin() always sends the gain while the participant sends (so 0 resets
// an earlier gain).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "as/msclient/media_server_client.hpp"
#include "common/event_loop.hpp"
#include "common/result.hpp"

namespace parley::as {

struct JoinOptions {      // a participant's connection <-> the room's conference
    bool muted = false;   // nothing from the participant reaches the mix
    bool deaf = false;    // the participant hears nothing
    double gainDb = 0.0;  // on what the participant sends (setgain)
};

struct PromptItem {  // one item of a <prompt>, in order
    enum class Kind { Media, Variable, Dtmf } kind = Kind::Media;
    std::string value;   // media: URI; variable: value ("20261121", "1234"); dtmf: digits
    std::string type;    // variable type: "date", "time", "digits"
    std::string format;  // variable format: "mdy", "t24", "gen"... ("" = MS default)
};

struct CollectSpec {
    std::uint32_t maxDigits = 0;  // 0: not sent (the package default, 5)
    std::string termChar = "#";   // one DTMF character
    std::chrono::milliseconds timeout{5000}, interDigitTimeout{4000};
    bool clearDigitBuffer = true;
};

struct RecordSpec {
    std::chrono::milliseconds maxTime{5000}, finalSilence{2000};
    bool beep = true;
    bool vadFinal = true;
};

struct DialogSpec {
    std::vector<PromptItem> prompt;  // may be empty when collect/record is set
    bool bargeIn = true;
    std::uint32_t repeatCount = 1;  // 0: repeat until terminated (music on hold)
    std::optional<CollectSpec> collect;
    std::optional<RecordSpec> record;
};

struct DialogResult {  // from <dialogexit> (or made up when the channel is lost)
    int status = 0;    // dialogexit status; -1: channel lost / dialog never ran
    std::string reason;
    std::string collectTermMode;  // "match", "noinput", "nomatch", "stopped"; "" w/o collect
    std::string digits;
    std::string recordingUri;  // recordinfo mediainfo loc, "" without one
    std::chrono::milliseconds recordDuration{0};
};

struct ConferenceOptions {
    std::uint32_t reservedTalkers = 0, reservedListeners = 0;  // 0: omitted
    std::chrono::milliseconds activeTalkersInterval{0};        // 0: no subscription; else
                                                               // rounded up to whole seconds
};

struct ConferenceWatcher {  // all optional
    std::function<void(const std::vector<std::string>& talkingConnectionIds)> activeTalkers;
    std::function<void(const std::string& connectionId, int status)> unjoined;  // unjoin-notify
    std::function<void(int status, const std::string& reason)> exited;  // conferenceexit, or
                                                                        // -1: channel lost
};

class MediaControl {
  public:
    MediaControl(common::EventLoop& loop, MediaServerClient& client);
    ~MediaControl();
    MediaControl(const MediaControl&) = delete;
    MediaControl& operator=(const MediaControl&) = delete;

    MediaServerClient& client() { return client_; }

    using Done = std::function<void(common::Status)>;                 // exactly once
    using IdDone = std::function<void(common::Result<std::string>)>;  // exactly once

    void createConference(const ConferenceOptions& options, ConferenceWatcher watcher,
                          IdDone done);  // id: the MS's conferenceid
    void destroyConference(const std::string& confId, Done done);
    void join(const std::string& connId, const std::string& confId, const JoinOptions& options,
              Done done);
    void modifyJoin(const std::string& connId, const std::string& confId,
                    const JoinOptions& options, Done done);
    void unjoin(const std::string& connId, const std::string& confId, Done done);

    // target: a connectionid, or a conferenceid when onConference.
    void startDialog(const std::string& target, bool onConference, const DialogSpec& spec,
                     IdDone started, std::function<void(const DialogResult&)> exited);
    // immediate: <dialogterminate immediate="true">. exited() still follows from the event.
    void terminateDialog(const std::string& dialogId, bool immediate, Done done);

    std::size_t pendingCount() const { return pending_.size(); }  // requests awaiting answers
    std::size_t conferenceCount() const { return conferences_.size(); }  // watched
    std::size_t dialogCount() const { return dialogs_.size(); }          // not yet exited

  private:
    // What a request's answer comes to: the body of a completed CFW transaction, or why
    // there is none.
    using Answer = std::function<void(common::Result<std::string>)>;
    using DialogExited = std::function<void(const DialogResult&)>;

    struct DialogEntry {
        DialogExited exited;
        bool startReported = false;             // `started` has run with the id
        std::optional<DialogResult> earlyExit;  // dialogexit before the start's answer
    };

    void sendMixer(std::string body, std::string what, Answer answer);
    void sendIvr(std::string body, std::string what, Answer answer);
    void send(std::string_view package, std::string_view contentType, std::string body,
              std::string what, Answer answer);
    void onCompleted(std::uint64_t requestId, const proto::cfw::ControlResult& result);
    void postError(Answer answer, common::Error error);
    void sendMixerRequest(std::string body, std::string what, Done done);

    void onEvent(const proto::cfw::IncomingControl& event);
    void onMixerEvent(const proto::cfw::IncomingControl& event);
    void onIvrEvent(const proto::cfw::IncomingControl& event);
    void onLinkState(LinkState state);
    void finishStart(const std::string& dialogId, const IdDone& started,
                     common::Result<std::string> outcome);
    std::string newDialogId();

    common::EventLoop& loop_;
    MediaServerClient& client_;
    MediaServerClient::SubscriptionId eventSub_ = 0;
    MediaServerClient::SubscriptionId stateSub_ = 0;
    std::string dialogPrefix_;
    std::uint64_t nextDialog_ = 1;
    std::uint64_t nextRequest_ = 1;
    std::map<std::uint64_t, Answer> pending_;
    std::map<std::string, ConferenceWatcher, std::less<>> conferences_;
    std::map<std::string, DialogEntry, std::less<>> dialogs_;
    // Expires with this object: answers, posted tasks and loops over callbacks check it.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace parley::as

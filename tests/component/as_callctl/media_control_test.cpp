// MediaControl (as/callctl) against a real parley-ms: the test thread drives one proto/sip
// SipStack (runOnce) that carries both the control dialog of a MediaServerClient (over
// SipControlSignalling) and the media dialogs of TestRtpEndpoint phones. Everything the
// focus will do with the MS goes through MediaControl's typed API; the phones listen to
// the result (tone detection) and send RFC 4733 digits.

#include <signal.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "as/callctl/media_control.hpp"
#include "as/msclient/media_server_client.hpp"
#include "as/sip/sip_control_signalling.hpp"
#include "common/event_loop.hpp"
#include "proto/sip/sip_stack.hpp"
#include "tests/component/ms/ms_harness.hpp"
#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/test_rtp_endpoint.hpp"
#include "tests/support/media/tone_generator.hpp"
#include "tests/support/process.hpp"

namespace parley::as {
namespace {

namespace psip = proto::sip;
using namespace std::chrono_literals;
using common::Result;
using common::Status;
using test::TempDir;
using test::TestRtpEndpoint;

constexpr double kHeard = -35.0;  // dBFS a phone must hear a tone at (median over 1 s)
constexpr auto kListen = 1000ms;

// The stack's handler: media dialogs are remembered by the test; what belongs to no one
// (a control dialog already hung up) goes to the AS's own handler.
class TestSipHandler final : public psip::SipHandler {
  public:
    std::set<const psip::Dialog*> media;
    std::map<const psip::Dialog*, std::pair<int, std::string>> finals;

    void onIncomingInvite(const psip::DialogRef& d, const psip::SipMessage& m) override {
        fallback_.onIncomingInvite(d, m);
    }
    void onInviteResponse(const psip::DialogRef& d, const psip::SipMessage& m) override {
        if (!media.count(d.get())) {
            fallback_.onInviteResponse(d, m);
            return;
        }
        if (m.status >= 200 && !finals.count(d.get())) finals[d.get()] = {m.status, m.body};
    }
    void onTerminated(const psip::DialogRef& d, int status, const std::string& reason) override {
        if (!media.count(d.get())) {
            fallback_.onTerminated(d, status, reason);
            return;
        }
        if (!finals.count(d.get())) finals[d.get()] = {status, ""};
    }

  private:
    AsSipHandler fallback_;
};

struct Phone {
    std::string name;
    std::unique_ptr<TestRtpEndpoint> ep;
    psip::DialogRef dialog;
    std::string connectionId;
};

// parley-ms with a media root of tone prompts, and the AS side on the test thread.
class Bench {
  public:
    explicit Bench(common::Duration transactionTimeout = 10s) : ms_(launch()) {
        msUri_ = "sip:ms@127.0.0.1:" + std::to_string(ms_.sipPort);
        psip::SipConfig config;
        config.listen = "127.0.0.1:0";
        config.user = "parley-as";
        config.shutdownTimeout = 1000ms;
        auto stack = psip::SipStack::create(loop_, config, handler_);
        REQUIRE(stack);
        stack_ = std::move(*stack);
        signalling_ = std::make_unique<SipControlSignalling>(*stack_);
        MediaServerClientOptions options;
        options.uri = msUri_;
        options.transactionTimeout = transactionTimeout;
        client_ = std::make_unique<MediaServerClient>(loop_, *signalling_, options);
        control = std::make_unique<MediaControl>(loop_, *client_);
        client_->start();
        REQUIRE(pump([&] { return client_->isUp(); }, 20s));
    }
    ~Bench() {
        control.reset();
        client_.reset();
        signalling_.reset();
        stack_.reset();
    }

    // Serves SIP, the control channel and timers until `done` or the timeout.
    bool pump(const std::function<bool()>& done, common::Duration timeout = 20s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            stack_->runOnce(20ms);
        }
        return true;
    }
    void pumpFor(common::Duration d) {
        const auto until = std::chrono::steady_clock::now() + d;
        pump([&] { return std::chrono::steady_clock::now() >= until; }, d + 1s);
    }

    // A media dialog to parley-ms for a phone that sends `tone` (0: silence).
    std::unique_ptr<Phone> call(const std::string& name, double tone) {
        auto phone = std::make_unique<Phone>();
        phone->name = name;
        auto ep = TestRtpEndpoint::create();
        REQUIRE(ep);
        phone->ep = std::move(*ep);
        psip::InviteRequest request;
        request.to = msUri_;
        request.body = phone->ep->sdpOffer("sendrecv", name);
        auto dialog = stack_->invite(request, &handler_);
        REQUIRE(dialog);
        phone->dialog = *dialog;
        handler_.media.insert(phone->dialog.get());
        REQUIRE(pump([&] { return handler_.finals.count(phone->dialog.get()) > 0; }, 15s));
        const auto& [status, body] = handler_.finals[phone->dialog.get()];
        REQUIRE(status == 200);
        REQUIRE(phone->ep->applyRemoteSdp(body));
        if (tone > 0) {
            phone->ep->sendTone(tone, -20);
        } else {
            phone->ep->sendSilence();
        }
        phone->connectionId = phone->dialog->connectionId();
        return phone;
    }

    // Pumps until the phone hears `freq` (or, with `heard` false, stops hearing it).
    bool hears(const Phone& p, double freq, bool heard = true, common::Duration timeout = 15s) {
        return pump(
            [&] {
                const double level = p.ep->heard(kListen).levelDb(freq);
                return heard ? level >= kHeard : level < -50.0;
            },
            timeout);
    }

    std::string file(const std::string& name) const {
        return "file://" + (media_.path() / name).string();
    }
    test::Process& msProcess() { return ms_.process; }
    MediaServerClient& client() { return *client_; }
    common::EventLoop& loop() { return loop_; }

    std::unique_ptr<MediaControl> control;

  private:
    test::ms::MsInstance launch() {
        writeTone("tone700.wav", 700, 1.0);
        writeTone("long900.wav", 900, 6.0);
        writeTone("moh500.wav", 500, 1.0);
        return test::ms::startMs({"--media-workers", "1", "--media-root", media_.path().string(),
                                  "--record-dir", records_.path().string()});
    }
    void writeTone(const std::string& name, double freq, double seconds) {
        auto pcm = test::makeTone(freq, -12, seconds);
        REQUIRE(test::writeWavPcm16(media_.path() / name, pcm));
    }

    TempDir media_{"parley-callctl-media"};
    TempDir records_{"parley-callctl-rec"};
    test::ms::MsInstance ms_;
    std::string msUri_;
    common::EventLoop loop_;
    TestSipHandler handler_;
    std::unique_ptr<psip::SipStack> stack_;
    std::unique_ptr<SipControlSignalling> signalling_;
    std::unique_ptr<MediaServerClient> client_;
};

// Outcomes of the asynchronous calls, filled by their callbacks.
struct StatusBox {
    std::optional<Status> value;
    MediaControl::Done fn() {
        return [this](Status s) { value = std::move(s); };
    }
    bool done() const { return value.has_value(); }
    bool ok() const { return value && value->ok(); }
    int code() const { return value && !value->ok() ? value->error().code : 0; }
};

struct IdBox {
    std::optional<Result<std::string>> value;
    int calls = 0;
    MediaControl::IdDone fn() {
        return [this](Result<std::string> r) {
            ++calls;
            value = std::move(r);
        };
    }
    bool done() const { return value.has_value(); }
    bool ok() const { return value && value->ok(); }
    std::string id() const { return ok() ? value->value() : std::string(); }
    int code() const { return value && !value->ok() ? value->error().code : 0; }
};

struct ExitBox {
    std::optional<DialogResult> value;
    int calls = 0;
    std::function<void(const DialogResult&)> fn() {
        return [this](const DialogResult& r) {
            ++calls;
            value = r;
        };
    }
    bool done() const { return value.has_value(); }
};

struct WatchLog {
    std::vector<std::vector<std::string>> talkers;
    std::vector<std::pair<std::string, int>> unjoins;
    std::vector<std::pair<int, std::string>> exits;
    ConferenceWatcher watcher() {
        ConferenceWatcher w;
        w.activeTalkers = [this](const std::vector<std::string>& ids) { talkers.push_back(ids); };
        w.unjoined = [this](const std::string& conn, int status) {
            unjoins.emplace_back(conn, status);
        };
        w.exited = [this](int status, const std::string& reason) {
            exits.emplace_back(status, reason);
        };
        return w;
    }
    bool talked(const std::string& conn) const {
        for (const auto& list : talkers)
            for (const auto& id : list)
                if (id == conn) return true;
        return false;
    }
};

DialogSpec playSpec(const std::string& uri, std::uint32_t repeat = 1) {
    DialogSpec spec;
    PromptItem item;
    item.kind = PromptItem::Kind::Media;
    item.value = uri;
    spec.prompt.push_back(item);
    spec.repeatCount = repeat;
    return spec;
}

std::string errorText(const std::optional<Status>& s) {
    return s && !s->ok() ? std::to_string(s->error().code) + " " + s->error().message : "";
}
std::string errorText(const std::optional<Result<std::string>>& r) {
    return r && !r->ok() ? std::to_string(r->error().code) + " " + r->error().message : "";
}

// Creates a conference and returns its id (REQUIREs success).
std::string createConference(Bench& b, WatchLog& log, ConferenceOptions options = {}) {
    IdBox created;
    b.control->createConference(options, log.watcher(), created.fn());
    REQUIRE(b.pump([&] { return created.done(); }));
    INFO(errorText(created.value));
    REQUIRE(created.ok());
    REQUIRE_FALSE(created.id().empty());
    return created.id();
}

Status runStatus(Bench& b, const std::function<void(MediaControl::Done)>& call) {
    StatusBox box;
    call(box.fn());
    REQUIRE(b.pump([&] { return box.done(); }));
    return *box.value;
}

}  // namespace

TEST_CASE("as callctl: conference, join, mute by modifyjoin, talkers, unjoin, destroy",
          "[as][callctl]") {
    Bench b;
    auto alice = b.call("alice", 400);
    auto bob = b.call("bob", 600);
    WatchLog log;
    ConferenceOptions options;
    options.reservedTalkers = 2;
    options.activeTalkersInterval = 1000ms;
    const std::string conf = createConference(b, log, options);
    CHECK(b.control->conferenceCount() == 1);

    auto joined =
        runStatus(b, [&](auto done) { b.control->join(alice->connectionId, conf, {}, done); });
    INFO(errorText(std::optional<Status>(joined)));
    REQUIRE(joined.ok());
    REQUIRE(
        runStatus(b, [&](auto done) { b.control->join(bob->connectionId, conf, {}, done); }).ok());
    CHECK(b.control->pendingCount() == 0);

    // Each hears the other through the mix, not itself.
    CHECK(b.hears(*alice, 600));
    CHECK(b.hears(*bob, 400));
    CHECK(alice->ep->heard(kListen).levelDb(400) < -45.0);
    // Bob's tone makes him an active talker.
    CHECK(b.pump([&] { return log.talked(bob->connectionId); }, 15s));

    // Muted: nothing from bob reaches the mix, bob still hears alice.
    JoinOptions muted;
    muted.muted = true;
    REQUIRE(runStatus(b, [&](auto done) {
                b.control->modifyJoin(bob->connectionId, conf, muted, done);
            }).ok());
    CHECK(b.hears(*alice, 600, false));
    CHECK(b.hears(*bob, 400));

    // Deaf and sending again with a gain: alice hears bob, bob hears nothing.
    JoinOptions deaf;
    deaf.deaf = true;
    deaf.gainDb = -6.0;
    REQUIRE(runStatus(b, [&](auto done) {
                b.control->modifyJoin(bob->connectionId, conf, deaf, done);
            }).ok());
    CHECK(b.hears(*alice, 600));
    CHECK(b.hears(*bob, 400, false));
    // The -6 dB gain is on what bob sends: alice hears him about 6 dB below his own -20
    // (measured over a whole window after the change).
    b.pumpFor(kListen + 200ms);
    const double withGain = alice->ep->heard(kListen).levelDb(600);
    CHECK(withGain < -23.5);
    CHECK(withGain > -28.5);

    // Unjoin: confirmed by the package, reported to the watcher as requested (0).
    REQUIRE(
        runStatus(b, [&](auto done) { b.control->unjoin(bob->connectionId, conf, done); }).ok());
    CHECK(b.hears(*alice, 600, false));
    CHECK(b.pump([&] { return !log.unjoins.empty(); }, 10s));
    REQUIRE_FALSE(log.unjoins.empty());
    CHECK(log.unjoins.front().first == bob->connectionId);
    CHECK(log.unjoins.front().second == 0);

    // The MS ends alice's media dialog: unjoin-notify with status 2.
    REQUIRE(alice->dialog->bye());
    CHECK(b.pump(
        [&] {
            for (const auto& [conn, st] : log.unjoins)
                if (conn == alice->connectionId && st == 2) return true;
            return false;
        },
        10s));

    // Destroy: the watcher is dropped, no exited() even though the MS sends conferenceexit.
    REQUIRE(runStatus(b, [&](auto done) { b.control->destroyConference(conf, done); }).ok());
    CHECK(b.control->conferenceCount() == 0);
    b.pumpFor(500ms);
    CHECK(log.exits.empty());
}

TEST_CASE("as callctl: package errors come back as Error with the package status",
          "[as][callctl]") {
    Bench b;
    auto alice = b.call("alice", 400);

    // Join to a conference the MS does not know: msc-mixer 406.
    StatusBox unknownConf;
    b.control->join(alice->connectionId, "no-such-conference", {}, unknownConf.fn());
    CHECK(b.control->pendingCount() == 1);
    REQUIRE(b.pump([&] { return unknownConf.done(); }));
    INFO(errorText(unknownConf.value));
    CHECK(unknownConf.code() == 406);
    CHECK(b.control->pendingCount() == 0);

    // Join of a connection the MS does not know: 412.
    WatchLog log;
    const std::string conf = createConference(b, log);
    StatusBox unknownConn;
    b.control->join("nobody:here", conf, {}, unknownConn.fn());
    REQUIRE(b.pump([&] { return unknownConn.done(); }));
    CHECK(unknownConn.code() == 412);

    // Destroying twice: the second gets 406.
    REQUIRE(runStatus(b, [&](auto done) { b.control->destroyConference(conf, done); }).ok());
    StatusBox again;
    b.control->destroyConference(conf, again.fn());
    REQUIRE(b.pump([&] { return again.done(); }));
    CHECK(again.code() == 406);

    // A dialog on a connection the MS does not know: started gets msc-ivr 407, then exited -1.
    IdBox started;
    ExitBox exited;
    b.control->startDialog("nobody:here", false, playSpec(b.file("tone700.wav")), started.fn(),
                           exited.fn());
    REQUIRE(b.pump([&] { return exited.done(); }));
    CHECK(started.calls == 1);
    CHECK(started.code() == 407);
    CHECK(exited.calls == 1);
    CHECK(exited.value->status == -1);
    CHECK(b.control->dialogCount() == 0);

    // A prompt that cannot be fetched (outside the media root): 409 from the package.
    IdBox badMedia;
    ExitBox badMediaExit;
    b.control->startDialog(alice->connectionId, false, playSpec("file:///etc/passwd"),
                           badMedia.fn(), badMediaExit.fn());
    REQUIRE(b.pump([&] { return badMediaExit.done(); }));
    INFO(errorText(badMedia.value));
    CHECK(badMedia.code() == 409);
    CHECK(badMediaExit.value->status == -1);

    // Argument errors never reach the MS, and are answered from a posted task.
    DialogSpec bad;
    bad.collect = CollectSpec{};
    bad.collect->termChar = "##";
    IdBox badStart;
    ExitBox badExit;
    b.control->startDialog(alice->connectionId, false, bad, badStart.fn(), badExit.fn());
    CHECK_FALSE(badStart.done());
    REQUIRE(b.pump([&] { return badExit.done(); }));
    CHECK(badStart.code() == 400);
    CHECK(badExit.value->status == -1);

    DialogSpec empty;  // no prompt, collect or record
    IdBox emptyStart;
    ExitBox emptyExit;
    b.control->startDialog(alice->connectionId, false, empty, emptyStart.fn(), emptyExit.fn());
    REQUIRE(b.pump([&] { return emptyExit.done(); }));
    CHECK(emptyStart.code() == 400);

    // Terminating a dialog that does not exist: 406.
    StatusBox term;
    b.control->terminateDialog("no-such-dialog", false, term.fn());
    REQUIRE(b.pump([&] { return term.done(); }));
    CHECK(term.code() == 406);
    CHECK(b.control->pendingCount() == 0);
}

TEST_CASE("as callctl: a prompt dialog plays and exits with status 1", "[as][callctl]") {
    Bench b;
    auto alice = b.call("alice", 0);
    IdBox started;
    ExitBox exited;
    b.control->startDialog(alice->connectionId, false, playSpec(b.file("tone700.wav")),
                           started.fn(), exited.fn());
    REQUIRE(b.pump([&] { return started.done(); }));
    INFO(errorText(started.value));
    REQUIRE(started.ok());
    CHECK(started.id().rfind("as", 0) == 0);
    CHECK(b.control->dialogCount() == 1);
    CHECK(b.hears(*alice, 700));
    REQUIRE(b.pump([&] { return exited.done(); }, 15s));
    CHECK(exited.calls == 1);
    CHECK(exited.value->status == 1);
    CHECK(exited.value->collectTermMode.empty());
    CHECK(exited.value->digits.empty());
    CHECK(b.control->dialogCount() == 0);

    // The same on a conference the phone is joined to.
    WatchLog log;
    const std::string conf = createConference(b, log);
    REQUIRE(runStatus(b, [&](auto done) {
                b.control->join(alice->connectionId, conf, {}, done);
            }).ok());
    IdBox confStarted;
    ExitBox confExited;
    b.control->startDialog(conf, true, playSpec(b.file("tone700.wav")), confStarted.fn(),
                           confExited.fn());
    REQUIRE(b.pump([&] { return confStarted.done(); }));
    INFO(errorText(confStarted.value));
    REQUIRE(confStarted.ok());
    CHECK(b.hears(*alice, 700));
    REQUIRE(b.pump([&] { return confExited.done(); }, 15s));
    CHECK(confExited.value->status == 1);
}

TEST_CASE("as callctl: collect RFC 4733 digits after a prompt, and a recording", "[as][callctl]") {
    Bench b;
    auto alice = b.call("alice", 0);
    DialogSpec spec = playSpec(b.file("long900.wav"));
    spec.collect = CollectSpec{};
    spec.collect->maxDigits = 4;
    spec.collect->timeout = 10s;
    IdBox started;
    ExitBox exited;
    b.control->startDialog(alice->connectionId, false, spec, started.fn(), exited.fn());
    REQUIRE(b.pump([&] { return started.done(); }));
    INFO(errorText(started.value));
    REQUIRE(started.ok());
    REQUIRE(b.hears(*alice, 900));
    alice->ep->sendDigits("1234");
    REQUIRE(b.pump([&] { return exited.done(); }, 20s));
    CHECK(exited.value->status == 1);
    CHECK(exited.value->collectTermMode == "match");
    CHECK(exited.value->digits == "1234");

    // Digits ended by the termchar, without a prompt.
    DialogSpec pin;
    pin.collect = CollectSpec{};
    pin.collect->timeout = 10s;
    IdBox pinStarted;
    ExitBox pinExited;
    b.control->startDialog(alice->connectionId, false, pin, pinStarted.fn(), pinExited.fn());
    REQUIRE(b.pump([&] { return pinStarted.done(); }));
    REQUIRE(pinStarted.ok());
    alice->ep->sendDigits("98#");
    REQUIRE(b.pump([&] { return pinExited.done(); }, 20s));
    CHECK(pinExited.value->status == 1);
    CHECK(pinExited.value->collectTermMode == "match");
    CHECK(pinExited.value->digits == "98");

    // No input at all: noinput.
    DialogSpec quiet;
    quiet.collect = CollectSpec{};
    quiet.collect->timeout = 1s;
    IdBox quietStarted;
    ExitBox quietExited;
    b.control->startDialog(alice->connectionId, false, quiet, quietStarted.fn(), quietExited.fn());
    REQUIRE(b.pump([&] { return quietExited.done(); }, 20s));
    REQUIRE(quietStarted.ok());
    CHECK(quietExited.value->collectTermMode == "noinput");

    // A recording of the phone's tone: the MS says where it is and how long it is.
    alice->ep->sendTone(800, -20);
    DialogSpec rec;
    rec.record = RecordSpec{};
    rec.record->maxTime = 2000ms;
    rec.record->beep = false;
    rec.record->vadFinal = false;
    IdBox recStarted;
    ExitBox recExited;
    b.control->startDialog(alice->connectionId, false, rec, recStarted.fn(), recExited.fn());
    REQUIRE(b.pump([&] { return recExited.done(); }, 20s));
    INFO(errorText(recStarted.value));
    REQUIRE(recStarted.ok());
    CHECK(recExited.value->status == 1);
    CHECK_FALSE(recExited.value->recordingUri.empty());
    CHECK(recExited.value->recordDuration >= 1500ms);
    CHECK(recExited.value->recordDuration <= 2600ms);
}

TEST_CASE("as callctl: music on hold repeats until terminateDialog, then exits", "[as][callctl]") {
    Bench b;
    auto alice = b.call("alice", 0);
    IdBox started;
    ExitBox exited;
    b.control->startDialog(alice->connectionId, false, playSpec(b.file("moh500.wav"), 0),
                           started.fn(), exited.fn());
    REQUIRE(b.pump([&] { return started.done(); }));
    REQUIRE(started.ok());
    REQUIRE(b.hears(*alice, 500));
    // Still playing after the one-second file ended twice over.
    b.pumpFor(2500ms);
    CHECK_FALSE(exited.done());
    CHECK(alice->ep->heard(kListen).levelDb(500) >= kHeard);

    StatusBox term;
    b.control->terminateDialog(started.id(), true, term.fn());
    REQUIRE(b.pump([&] { return term.done() && exited.done(); }, 15s));
    INFO(errorText(term.value));
    CHECK(term.ok());
    CHECK(exited.calls == 1);
    CHECK(exited.value->status == 0);
    CHECK(b.hears(*alice, 500, false));

    // A non-immediate terminate ends it too.
    IdBox again;
    ExitBox againExit;
    b.control->startDialog(alice->connectionId, false, playSpec(b.file("moh500.wav"), 0),
                           again.fn(), againExit.fn());
    REQUIRE(b.pump([&] { return again.done(); }));
    REQUIRE(again.ok());
    CHECK(again.id() != started.id());
    StatusBox term2;
    b.control->terminateDialog(again.id(), false, term2.fn());
    REQUIRE(b.pump([&] { return term2.done() && againExit.done(); }, 15s));
    CHECK(term2.ok());
    CHECK(againExit.value->status == 0);
    CHECK(b.control->dialogCount() == 0);
}

TEST_CASE("as callctl: no answer in time gives 408 and the MS killed fails everything with 503",
          "[as][callctl]") {
    Bench b(1s);  // the client gives up on a CONTROL after 2 x 1 s
    auto alice = b.call("alice", 0);
    WatchLog log;
    const std::string conf = createConference(b, log);
    REQUIRE(runStatus(b, [&](auto done) {
                b.control->join(alice->connectionId, conf, {}, done);
            }).ok());
    IdBox moh;
    ExitBox mohExit;
    b.control->startDialog(alice->connectionId, false, playSpec(b.file("moh500.wav"), 0), moh.fn(),
                           mohExit.fn());
    REQUIRE(b.pump([&] { return moh.done(); }));
    REQUIRE(moh.ok());

    // Frozen MS: the request times out.
    ::kill(b.msProcess().pid(), SIGSTOP);
    StatusBox late;
    b.control->modifyJoin(alice->connectionId, conf, JoinOptions{true, false, 0.0}, late.fn());
    REQUIRE(b.pump([&] { return late.done(); }, 10s));
    CHECK(late.code() == 408);

    // Requests in flight when the MS dies, a running dialog and a watched conference.
    StatusBox pendingJoin;
    StatusBox pendingTerm;
    IdBox pendingStart;
    ExitBox pendingStartExit;
    IdBox pendingCreate;
    b.control->unjoin(alice->connectionId, conf, pendingJoin.fn());
    b.control->terminateDialog("whatever", false, pendingTerm.fn());
    b.control->startDialog(alice->connectionId, false, playSpec(b.file("tone700.wav")),
                           pendingStart.fn(), pendingStartExit.fn());
    b.control->createConference({}, {}, pendingCreate.fn());
    b.pumpFor(100ms);
    CHECK(b.control->pendingCount() == 4);
    b.msProcess().stop(SIGKILL);

    REQUIRE(b.pump([&] { return !b.client().isUp(); }, 10s));
    CHECK(pendingJoin.code() == 503);
    CHECK(pendingTerm.code() == 503);
    CHECK(pendingCreate.code() == 503);
    CHECK(pendingStart.code() == 503);
    CHECK(pendingStartExit.calls == 1);
    CHECK(pendingStartExit.value->status == -1);
    CHECK(mohExit.calls == 1);
    CHECK(mohExit.value->status == -1);
    REQUIRE(log.exits.size() == 1);
    CHECK(log.exits.front().first == -1);
    CHECK(b.control->pendingCount() == 0);
    CHECK(b.control->dialogCount() == 0);
    CHECK(b.control->conferenceCount() == 0);

    // While down: Error 503 from a posted task, never inside the call.
    StatusBox down;
    b.control->join(alice->connectionId, conf, {}, down.fn());
    CHECK_FALSE(down.done());
    IdBox downStart;
    ExitBox downExit;
    b.control->startDialog(alice->connectionId, false, playSpec(b.file("tone700.wav")),
                           downStart.fn(), downExit.fn());
    CHECK_FALSE(downStart.done());
    REQUIRE(b.pump([&] { return down.done() && downExit.done(); }, 5s));
    CHECK(down.code() == 503);
    CHECK(downStart.code() == 503);
    CHECK(downExit.value->status == -1);
    // Nothing was called twice meanwhile.
    CHECK(pendingStart.calls == 1);
    CHECK(mohExit.calls == 1);
    CHECK(log.exits.size() == 1);
}

TEST_CASE("as callctl: destroying MediaControl drops callbacks without calling them",
          "[as][callctl]") {
    Bench b;
    auto alice = b.call("alice", 0);
    bool called = false;
    b.control->join(alice->connectionId, "no-such-conference", {}, [&](Status) { called = true; });
    b.control->startDialog(
        alice->connectionId, false, playSpec(b.file("tone700.wav")),
        [&](Result<std::string>) { called = true; }, [&](const DialogResult&) { called = true; });
    DialogSpec bad;  // answered from a posted task
    b.control->startDialog(
        alice->connectionId, false, bad, [&](Result<std::string>) { called = true; },
        [&](const DialogResult&) { called = true; });
    b.control.reset();
    b.pumpFor(2500ms);  // the answers and the dialog's exit arrive and find no one
    CHECK_FALSE(called);

    // A callback may destroy the MediaControl; the answers still due are then dropped.
    b.control = std::make_unique<MediaControl>(b.loop(), b.client());
    int answers = 0;
    for (int i = 0; i < 3; ++i) {
        b.control->join(alice->connectionId, "no-such-conference", {}, [&](Status) {
            ++answers;
            b.control.reset();
        });
    }
    REQUIRE(b.pump([&] { return answers > 0; }));
    b.pumpFor(1000ms);
    CHECK(answers == 1);
}

}  // namespace parley::as

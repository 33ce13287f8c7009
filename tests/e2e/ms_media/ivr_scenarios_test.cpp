// RFC 7058 IVR scenarios on parley-ms end to end, with the test acting as the AS:
// - 6.2.3 recording a conversation: two directly joined phones recorded by one dialog each,
//   the recordings fetched from parley-ms and listened to, then played together into a
//   hidden conference that a passive third phone listens to;
// - 6.4.3 DTMF-driven conference manipulation: a repeating <collect> with an SRGS grammar
//   and a dtmfsub subscription on one participant; each match the AS is notified of turns
//   into the modifyjoin (mute, own level, level received) or, for *0, the dialogterminate and
//   unjoin of the RFC's flow. Digits are RFC 4733 events from the TestRtpEndpoint.
// Every effect is checked by listening (Goertzel levels on what the phones receive).

#include <span>

#include <catch2/catch.hpp>

#include "tests/e2e/ms_media/media_fixture.hpp"
#include "tests/support/media/tone_analysis.hpp"

namespace parley::test::media {
namespace {

namespace pivr = proto::ivr;
namespace pm = proto::mixer;

constexpr double kToneA = 400;
constexpr double kToneB = 600;
constexpr double kToneC = 800;

// Level of `freq` in the middle of a recording (its first and last half second left out).
double recordedLevel(const WavAudio& wav, double freq) {
    const std::span<const std::int16_t> all(wav.samples);
    REQUIRE(all.size() > 8000 + 4000);
    return toneDbfs(all.subspan(4000, all.size() - 8000), freq);
}

// What `phone` hears of `freq` over a short window, once `settled` holds for that level:
// the history is then cleared and a whole new window is measured, so a window straddling
// the change cannot pass for the new state.
constexpr auto kShortListen = std::chrono::milliseconds(500);
template <typename Pred>
std::optional<double> settledLevel(const Phone& phone, double freq, Pred settled) {
    if (!phone.ep->waitUntil([&] { return settled(phone.level(freq, kShortListen)); },
                             kToneTimeout))
        return std::nullopt;
    phone.ep->clearReceived();
    if (!phone.ep->waitForPackets(kShortListen / std::chrono::milliseconds(20) + 3, kToneTimeout))
        return std::nullopt;
    return phone.level(freq, kShortListen);
}

}  // namespace

TEST_CASE("ms ivr: RFC 7058 6.2.3 recording a conversation and playing both sides together",
          "[ms][ivr][e2e][rfc7058]") {
    IvrTestServer s;
    auto as = s.ms().connectAs();

    // The call: UAC1 and UAC2 joined directly, each connection recorded by its own dialog.
    auto uac1 = as->call("uac1", kToneA);
    auto uac2 = as->call("uac2", kToneB);
    as->joinOk(uac1->connectionId, uac2->connectionId);
    REQUIRE(uac1->hears(kToneB));
    REQUIRE(uac2->hears(kToneA));
    for (const auto& [phone, id] : {std::pair{uac1.get(), "rec1"}, std::pair{uac2.get(), "rec2"}}) {
        auto r = as->ivrResponse(
            dialogStartBody(connectionAttr(*phone), id, "<record maxtime=\"4s\"/>"));
        INFO(r.reason.value_or(""));
        REQUIRE(r.status == 200);
    }
    std::string loc[2];
    for (int i = 0; i < 2; ++i) {
        const std::string id = i == 0 ? "rec1" : "rec2";
        auto exit = as->waitDialogExit(id);
        REQUIRE(exit);
        INFO(id << ": " << exit->reason.value_or(""));
        CHECK(exit->status == pivr::exit_status::kSuccess);
        REQUIRE(exit->recordInfo);
        CHECK(exit->recordInfo->termMode == pivr::RecordTermMode::MaxTime);
        REQUIRE(exit->recordInfo->media.size() == 1);
        CHECK(exit->recordInfo->media[0].type == "audio/wav");
        loc[i] = exit->recordInfo->media[0].loc;
    }
    CHECK(loc[0] != loc[1]);
    // The call ends.
    CHECK(as->unjoin(uac1->connectionId, uac2->connectionId) == 200);
    CHECK(as->hangUp(*uac1));
    CHECK(as->hangUp(*uac2));

    // Each recording holds its own side of the conversation only.
    const WavAudio rec1 = s.fetchRecording(loc[0]);
    const WavAudio rec2 = s.fetchRecording(loc[1]);
    CHECK(rec1.samples.size() > 8000 * 35 / 10);
    CHECK(rec2.samples.size() > 8000 * 35 / 10);
    CHECK(recordedLevel(rec1, kToneA) > kHeard);
    CHECK(recordedLevel(rec1, kToneB) < kNotHeard);
    CHECK(recordedLevel(rec2, kToneB) > kHeard);
    CHECK(recordedLevel(rec2, kToneA) < kNotHeard);

    // Playout (figure 24): a hidden conference, UAC3 joined as a passive participant, the two
    // recordings played on the conference at once.
    const std::string conf = as->createConference("reserved-talkers=\"0\" reserved-listeners=\"1\"",
                                                  "<audio-mixing type=\"controller\"/>");
    auto uac3 = as->call("uac3", kToneC);
    as->joinOk(uac3->connectionId, conf, "<stream media=\"audio\" direction=\"recvonly\"/>");
    const std::string onConf = "conferenceid=\"" + conf + "\"";
    // A recording of the mix, as a witness that UAC3 is not heard in it.
    {
        auto r = as->ivrResponse(dialogStartBody(onConf, "mix", "<record maxtime=\"2s\"/>"));
        INFO(r.reason.value_or(""));
        REQUIRE(r.status == 200);
    }
    for (int i = 0; i < 2; ++i) {
        auto r =
            as->ivrResponse(dialogStartBody(onConf, i == 0 ? "play1" : "play2", promptOf(loc[i])));
        INFO(r.reason.value_or(""));
        REQUIRE(r.status == 200);
    }
    {
        const bool both = uac3->ep->waitUntil(
            [&] {
                const ToneReport heard = uac3->ep->heard(kListen);
                return heard.hasTone(kToneA, kHeard) && heard.hasTone(kToneB, kHeard);
            },
            kToneTimeout);
        INFO(uac3->describe());
        CHECK(both);
    }
    for (const char* id : {"play1", "play2"}) {
        auto exit = as->waitDialogExit(id);
        REQUIRE(exit);
        INFO(id << ": " << exit->reason.value_or(""));
        CHECK(exit->status == pivr::exit_status::kSuccess);
        REQUIRE(exit->promptInfo);
        CHECK(exit->promptInfo->termMode == pivr::PromptTermMode::Completed);
        REQUIRE(exit->promptInfo->duration);
        CHECK(*exit->promptInfo->duration >= 3500);
        CHECK(*exit->promptInfo->duration <= 4800);
    }
    auto mixExit = as->waitDialogExit("mix");
    REQUIRE(mixExit);
    CHECK(mixExit->status == pivr::exit_status::kSuccess);
    REQUIRE(mixExit->recordInfo);
    REQUIRE(mixExit->recordInfo->media.size() == 1);
    const WavAudio mix = s.fetchRecording(mixExit->recordInfo->media[0].loc);
    CHECK(recordedLevel(mix, kToneA) > kHeard);
    CHECK(recordedLevel(mix, kToneB) > kHeard);
    CHECK(recordedLevel(mix, kToneC) < kNotHeard);

    // The AS cleans up: UAC3 out, the conference gone.
    CHECK(as->unjoin(uac3->connectionId, conf) == 200);
    CHECK(as->status(mixerBody("<destroyconference conferenceid=\"" + conf + "\"/>")) == 200);
    CHECK(s.ms().alive());
}

TEST_CASE("ms ivr: RFC 7058 6.4.3 DTMF-driven conference manipulation through dtmfsub",
          "[ms][ivr][e2e][rfc7058]") {
    IvrTestServer s;
    auto as = s.ms().connectAs();
    auto p1 = as->call("p1", kToneA);
    auto p2 = as->call("p2", kToneB);
    auto p3 = as->call("p3", kToneC);
    const std::string conf = as->createConference();
    for (auto* p : {p1.get(), p2.get(), p3.get()}) as->joinOk(p->connectionId, conf);
    REQUIRE(p2->hears(kToneA));
    REQUIRE(p3->hears(kToneA));
    REQUIRE(p1->hears(kToneB));

    // The recurring collection on P1: two keys, '*' then one of the six codes; termchar
    // and escapekey moved off '*'; matches notified as they happen.
    const std::string grammar =
        "<grammar><grammar xmlns=\"http://www.w3.org/2001/06/grammar\" version=\"1.0\" "
        "mode=\"dtmf\" root=\"code\"><rule id=\"code\" scope=\"public\"><item>*</item>"
        "<one-of><item>0</item><item>1</item><item>3</item><item>6</item><item>7</item>"
        "<item>9</item></one-of></rule></grammar></grammar>";
    auto started = as->ivrResponse(
        ivrBody("<dialogstart " + connectionAttr(*p1) +
                "><dialog repeatCount=\"0\">"
                "<collect maxdigits=\"2\" termchar=\"A\" escapekey=\"#\">" +
                grammar +
                "</collect>"
                "</dialog><subscribe><dtmfsub matchmode=\"collect\"/></subscribe></dialogstart>"));
    INFO(started.reason.value_or(""));
    REQUIRE(started.status == 200);
    const std::string dialog = started.dialogId;
    REQUIRE_FALSE(dialog.empty());

    // The AS's business logic: levels are absolute in setgain, so it keeps them.
    double ownGainDb = 0;
    double receivedGainDb = 0;
    bool muted = false;
    const auto sendStream = [](const std::string& volume) {
        return "<stream media=\"audio\" direction=\"sendonly\">" + volume + "</stream>";
    };
    const auto recvStream = [](const std::string& volume) {
        return "<stream media=\"audio\" direction=\"recvonly\">" + volume + "</stream>";
    };
    const auto gain = [](double db) {
        return "<volume controltype=\"setgain\" value=\"" + std::to_string(static_cast<int>(db)) +
               "\"/>";
    };
    // P1 presses `keys`; the AS waits for the dtmfnotify of the match `code` and acts on it.
    const auto press = [&](const std::string& keys, const std::string& code) {
        p1->ep->sendDigits(keys);
        auto e = as->waitIvrEvent(dialog, 15s);
        REQUIRE(e);
        const auto* n = std::get_if<pivr::DtmfNotify>(&e->notification);
        REQUIRE(n);
        CHECK(n->matchMode == pivr::MatchMode::Collect);
        REQUIRE(n->dtmf == code);
        CHECK_FALSE(n->timestamp.empty());
        if (code == "*0") return;  // leaving: the caller terminates and unjoins
        int st = 0;
        if (code == "*6") {
            muted = !muted;
            st =
                as->modifyJoin(p1->connectionId, conf,
                               sendStream(std::string("<volume controltype=\"setstate\" value=\"") +
                                          (muted ? "mute" : "unmute") + "\"/>") +
                                   recvStream(""));
        } else if (code == "*1" || code == "*3") {
            ownGainDb += code == "*1" ? -5 : 5;
            st = as->modifyJoin(p1->connectionId, conf,
                                sendStream(gain(ownGainDb)) + recvStream(""));
        } else if (code == "*7" || code == "*9") {
            receivedGainDb += code == "*7" ? -3 : 3;
            st = as->modifyJoin(p1->connectionId, conf,
                                recvStream(gain(receivedGainDb)) + sendStream(""));
        }
        CHECK(st == 200);
    };

    const double heardA = p2->level(kToneA, kShortListen);
    const double heardB = p1->level(kToneB, kShortListen);
    INFO("baseline: P2 hears A at " << heardA << ", P1 hears B at " << heardB);

    // *6: P1 is muted; P2 and P3 stop hearing A, P1 still hears the room.
    press("*6", "*6");
    CHECK(settledLevel(*p2, kToneA, [](double l) { return l < kNotHeard; }).value_or(0) <
          kNotHeard);
    CHECK(settledLevel(*p3, kToneA, [](double l) { return l < kNotHeard; }).value_or(0) <
          kNotHeard);
    CHECK(p1->hears(kToneB));
    // A key sequence outside the grammar is collected and dropped: no event for "*5", and
    // the next match ("*6" again: unmute) is reported on its own.
    press("*5*6", "*6");
    {
        auto a = settledLevel(*p2, kToneA, [&](double l) { return l > heardA - 1.5; });
        REQUIRE(a);
        CHECK(*a == Approx(heardA).margin(1.5));
    }
    CHECK(p3->hears(kToneA));

    // *9: the conference as P1 receives it is 3 dB louder; P1's own flow (the sendonly
    // placeholder) keeps its settings.
    press("*9", "*9");
    {
        auto b = settledLevel(*p1, kToneB, [&](double l) { return l > heardB + 1.5; });
        REQUIRE(b);
        CHECK(*b == Approx(heardB + 3).margin(1.5));
        CHECK(p2->level(kToneA, kShortListen) == Approx(heardA).margin(1.5));
    }
    // *7: back down.
    press("*7", "*7");
    {
        auto b = settledLevel(*p1, kToneB, [&](double l) { return l < heardB + 1.5; });
        REQUIRE(b);
        CHECK(*b == Approx(heardB).margin(1.5));
    }

    // *1: P1's own level in the mix down 5 dB, as P2 hears it; what P1 hears is unchanged.
    press("*1", "*1");
    {
        auto a = settledLevel(*p2, kToneA, [&](double l) { return l < heardA - 3; });
        REQUIRE(a);
        CHECK(*a == Approx(heardA - 5).margin(1.5));
        CHECK(p1->level(kToneB, kShortListen) == Approx(heardB).margin(1.5));
    }
    // *3: back up.
    press("*3", "*3");
    {
        auto a = settledLevel(*p2, kToneA, [&](double l) { return l > heardA - 2; });
        REQUIRE(a);
        CHECK(*a == Approx(heardA).margin(1.5));
    }

    // *0: P1 leaves. The AS stops the collection (dialogexit status 0, no report of the
    // interrupted iteration) and unjoins P1 (unjoin-notify status 0).
    press("*0", "*0");
    auto terminated = as->ivrResponse(
        ivrBody("<dialogterminate dialogid=\"" + dialog + "\" immediate=\"true\"/>"));
    CHECK(terminated.status == 200);
    auto exit = as->waitDialogExit(dialog);
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kTerminated);
    CHECK_FALSE(exit->collectInfo);
    CHECK(as->takeNotices(dialog).empty());
    CHECK(as->unjoin(p1->connectionId, conf) == 200);
    CHECK(as->waitEvent(
        [&](const pm::Event& e) { return isUnjoinNotify(e, p1->connectionId, conf, 0); }));
    CHECK(p1->ep->waitForSilence(kListen, kToneTimeout));
    CHECK(settledLevel(*p2, kToneA, [](double l) { return l < kNotHeard; }).value_or(0) <
          kNotHeard);
    CHECK(p2->hears(kToneC));
    CHECK(s.ms().alive());
}

}  // namespace parley::test::media

// DialogRunner: the RFC 6231 execution model with synthetic prompts and explicit times.

#include <catch2/catch.hpp>

#include "ms/ivr/dialog_runner.hpp"

namespace parley::ms::ivr {
namespace {

namespace pivr = proto::ivr;
using namespace std::chrono_literals;

PcmAudioPtr tone(std::chrono::milliseconds length) {
    auto a = std::make_shared<PcmAudio>();
    a->samples.assign(static_cast<std::size_t>(length.count() * 8), 1000);
    return a;
}

std::unique_ptr<PromptPlayer> player(std::chrono::milliseconds length) {
    Playlist p;
    Clip c;
    c.audio = tone(length);
    p.emplace_back(std::move(c));
    return std::make_unique<PromptPlayer>(std::move(p));
}

// Drives a runner 20 ms at a time and keeps what it reports.
struct Harness {
    std::vector<DialogNotice> notices;
    std::vector<DialogEnd> ends;
    std::unique_ptr<DialogRunner> runner;
    common::TimePoint now = common::TimePoint{} + 1000s;
    media::AudioFrame heard;
    int audible = 0;  // frames in which the runner played something

    explicit Harness(DialogSetup setup) {
        setup.dialogId = "d1";
        DialogEvents ev;
        ev.notice = [this](DialogNotice n) { notices.push_back(std::move(n)); };
        ev.ended = [this](DialogEnd e) { ends.push_back(std::move(e)); };
        runner = std::make_unique<DialogRunner>(std::move(setup), std::move(ev));
        heard.clear();
        runner->start(now);
    }
    void tick(int n = 1) {
        for (int i = 0; i < n && !runner->ended(); ++i) {
            now += 20ms;
            runner->onTick(now);
            runner->listen(heard, now);
            media::AudioFrame out;
            out.clear();
            runner->playout(out);
            if (!out.silent) ++audible;
        }
    }
    void key(char d) { runner->onRtpDigit(d, now - 100ms, now); }
    const DialogEnd& end() const {
        REQUIRE(ends.size() == 1);
        return ends[0];
    }
};

}  // namespace

TEST_CASE("ivr runner: a prompt plays once and exits with status 1 and promptinfo",
          "[ivr_runner]") {
    DialogSetup s;
    s.player = player(400ms);
    Harness h(std::move(s));
    h.tick(40);
    REQUIRE(h.runner->ended());
    const auto& e = h.end();
    CHECK(e.status == pivr::exit_status::kSuccess);
    REQUIRE(e.report.prompt);
    CHECK(e.report.prompt->termMode == pivr::PromptTermMode::Completed);
    CHECK(h.audible == 20);
    CHECK_FALSE(e.report.collect);
}

TEST_CASE("ivr runner: repeatCount plays the prompt that many times", "[ivr_runner]") {
    DialogSetup s;
    s.player = player(200ms);
    s.repeatCount = 3;
    Harness h(std::move(s));
    h.tick(100);
    REQUIRE(h.runner->ended());
    CHECK(h.end().status == pivr::exit_status::kSuccess);
    CHECK(h.audible == 30);
}

TEST_CASE("ivr runner: repeatDur ends an endless dialog with status 3", "[ivr_runner]") {
    DialogSetup s;
    s.player = player(200ms);
    s.repeatCount = 0;
    s.repeatDur = 1000ms;
    Harness h(std::move(s));
    h.tick(200);
    REQUIRE(h.runner->ended());
    CHECK(h.end().status == pivr::exit_status::kMaxDuration);
    CHECK(h.audible >= 40);
    CHECK(h.audible <= 50);
}

TEST_CASE("ivr runner: repeatUntilComplete stops at the first collect that matches",
          "[ivr_runner]") {
    DialogSetup s;
    s.repeatCount = 5;
    s.repeatUntilComplete = true;
    CollectSettings c;
    c.timeout = 200ms;
    c.maxDigits = 2;
    s.collect = c;
    Harness h(std::move(s));
    h.tick(12);  // first cycle: noinput after 200 ms, a second cycle starts
    REQUIRE_FALSE(h.runner->ended());
    h.key('4');
    h.tick(1);
    h.key('2');
    h.tick(5);
    REQUIRE(h.runner->ended());
    const auto& e = h.end();
    CHECK(e.status == pivr::exit_status::kSuccess);
    REQUIRE(e.report.collect);
    CHECK(e.report.collect->termMode == pivr::CollectTermMode::Match);
    CHECK(e.report.collect->dtmf.value_or("") == "42");
}

TEST_CASE("ivr runner: barge-in stops the prompt and the key starts the collect",
          "[ivr_runner]") {
    DialogSetup s;
    s.player = player(5000ms);
    CollectSettings c;
    c.maxDigits = 3;
    s.collect = c;
    s.subscriptions = {pivr::MatchMode::All, pivr::MatchMode::Collect};
    Harness h(std::move(s));
    h.tick(10);
    h.key('1');
    h.tick(2);
    h.key('2');
    h.tick(2);
    h.key('3');
    h.tick(5);
    REQUIRE(h.runner->ended());
    const auto& e = h.end();
    REQUIRE(e.report.prompt);
    CHECK(e.report.prompt->termMode == pivr::PromptTermMode::Bargein);
    REQUIRE(e.report.collect);
    CHECK(e.report.collect->dtmf.value_or("") == "123");
    // matchmode all: each key; collect: the whole input once.
    REQUIRE(h.notices.size() == 4);
    CHECK(h.notices[0].mode == pivr::MatchMode::All);
    CHECK(h.notices[3].mode == pivr::MatchMode::Collect);
    CHECK(h.notices[3].dtmf == "123");
}

TEST_CASE("ivr runner: without barge-in a key does not stop the prompt", "[ivr_runner]") {
    DialogSetup s;
    s.player = player(400ms);
    s.bargein = false;
    Harness h(std::move(s));
    h.tick(5);
    h.key('5');
    h.tick(40);
    REQUIRE(h.runner->ended());
    REQUIRE(h.end().report.prompt);
    CHECK(h.end().report.prompt->termMode == pivr::PromptTermMode::Completed);
    CHECK(h.audible == 20);
}

TEST_CASE("ivr runner: control keys act, are reported, and never barge in", "[ivr_runner]") {
    DialogSetup s;
    s.player = player(3000ms);
    pivr::Control ctl;
    ctl.gotoEndKey = '9';
    s.control = ctl;
    s.subscriptions = {pivr::MatchMode::Control};
    Harness h(std::move(s));
    h.tick(10);
    h.key('9');
    h.tick(5);
    REQUIRE(h.runner->ended());
    const auto& e = h.end();
    REQUIRE(e.report.prompt);
    CHECK(e.report.prompt->termMode == pivr::PromptTermMode::Completed);
    REQUIRE(e.report.control);
    REQUIRE(e.report.control->matches.size() == 1);
    CHECK(e.report.control->matches[0].dtmf.value_or("") == "9");
    REQUIRE(h.notices.size() == 1);
    CHECK(h.notices[0].mode == pivr::MatchMode::Control);
    CHECK(h.audible < 20);
}

TEST_CASE("ivr runner: dialogterminate immediate reports nothing, otherwise the cycle",
          "[ivr_runner]") {
    {
        DialogSetup s;
        s.player = player(2000ms);
        Harness h(std::move(s));
        h.tick(5);
        h.runner->terminate(true, h.now);
        REQUIRE(h.runner->ended());
        CHECK(h.end().status == pivr::exit_status::kTerminated);
        CHECK_FALSE(h.end().report.prompt);
    }
    {
        DialogSetup s;
        s.player = player(400ms);
        s.repeatCount = 0;
        Harness h(std::move(s));
        h.tick(5);
        h.runner->terminate(false, h.now);
        REQUIRE_FALSE(h.runner->ended());  // the current cycle finishes first
        h.tick(30);
        REQUIRE(h.runner->ended());
        CHECK(h.end().status == pivr::exit_status::kTerminated);
        REQUIRE(h.end().report.prompt);
        CHECK(h.end().report.prompt->termMode == pivr::PromptTermMode::Completed);
    }
}

TEST_CASE("ivr runner: the target going away ends the dialog with status 2", "[ivr_runner]") {
    DialogSetup s;
    CollectSettings c;
    c.timeout = 10s;
    s.collect = c;
    Harness h(std::move(s));
    h.tick(3);
    h.key('7');
    h.tick(1);
    h.runner->targetGone(h.now);
    REQUIRE(h.runner->ended());
    CHECK(h.end().status == pivr::exit_status::kTargetGone);
    REQUIRE(h.end().report.collect);
    CHECK(h.end().report.collect->termMode == pivr::CollectTermMode::Stopped);
    CHECK(h.end().report.collect->dtmf.value_or("") == "7");
    // Nothing more after the end.
    h.runner->terminate(true, h.now);
    CHECK(h.ends.size() == 1);
}

}  // namespace parley::ms::ivr

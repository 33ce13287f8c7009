// baresip (a full SIP user agent the project did not write), headless: its audio source is
// a tone file (aufile), its received audio is written to a WAV by the sndfile filter, the
// player is ALSA's null device. It calls a room where a sipp caller streams 800 Hz; the
// recording must hold 800 Hz and not baresip's own 600 Hz.

#include <catch2/catch.hpp>

#include <fstream>

#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/tone_analysis.hpp"
#include "tests/support/media/tone_generator.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::focus {

namespace {

constexpr const char* kModuleDir = "/usr/lib/baresip/modules";

bool haveBaresipModules() {
    for (const char* m : {"g711.so", "aufile.so", "sndfile.so", "alsa.so", "account.so", "menu.so"}) {
        std::error_code ec;
        if (!std::filesystem::exists(std::filesystem::path(kModuleDir) / m, ec)) return false;
    }
    return true;
}

// Loudest 1 s window level of `freq` in `samples`.
double loudestSecond(const std::vector<std::int16_t>& samples, double freq, int rate) {
    double best = kFloorDbfs;
    const std::size_t step = static_cast<std::size_t>(rate);
    for (std::size_t at = 0; at + step <= samples.size(); at += step / 2) {
        std::vector<std::int16_t> w(samples.begin() + static_cast<std::ptrdiff_t>(at),
                                    samples.begin() + static_cast<std::ptrdiff_t>(at + step));
        AnalysisOptions o;
        o.sampleRate = rate;
        best = std::max(best, analyseTones(w, {freq}, o).levelDb(freq));
    }
    return best;
}

// Runs baresip for `seconds` calling `uri`, sending 600 Hz; returns the WAV of what it
// received ("" when none was written) and baresip's output.
std::pair<std::filesystem::path, std::string> runBaresip(const std::filesystem::path& home,
                                                         const std::string& uri, int seconds) {
    const auto records = home / "records";
    std::filesystem::create_directories(records);
    const auto source = home / "tone-600.wav";
    // aufile ends the call at the end of its file: longer than the call.
    REQUIRE(writeWavPcm16(source, makeTone(600, -20, seconds + 20.0)));
    {
        std::ofstream cfg(home / "config");
        cfg << "poll_method epoll\n"
            << "sip_listen 127.0.0.1:" << freePort(true) << "\n"
            << "net_interface 127.0.0.1\n"
            << "audio_player alsa,null\n"
            << "audio_alert alsa,null\n"
            << "audio_source aufile," << source.string() << "\n"
            << "audio_level no\n"
            << "module_path " << kModuleDir << "\n"
            << "module g711.so\nmodule aufile.so\nmodule alsa.so\nmodule sndfile.so\n"
            << "module_app account.so\nmodule_app menu.so\n"
            << "snd_path " << records.string() << "\n";
        std::ofstream(home / "accounts") << "<sip:baresip@127.0.0.1>;regint=0\n";
    }
    Process baresip = Process::start(
        {"baresip", "-f", home.string(), "-e", "/dial " + uri, "-t", std::to_string(seconds)}, "baresip",
        home);
    auto rc = baresip.wait(std::chrono::seconds(seconds + 20));
    INFO(baresip.output());
    CHECK(rc.has_value());
    std::filesystem::path recording;
    for (const auto& e : std::filesystem::directory_iterator(records)) {
        const auto name = e.path().filename().string();
        if (name.size() > 8 && name.substr(name.size() - 8) == "-dec.wav") recording = e.path();
    }
    return {recording, baresip.output()};
}

void checkRecording(const std::filesystem::path& recording, double expected) {
    REQUIRE_FALSE(recording.empty());
    auto wav = readWav(recording);
    REQUIRE(wav);
    INFO(recording.string() << ": " << wav->samples.size() << " samples at " << wav->sampleRate);
    CHECK(loudestSecond(wav->samples, expected, wav->sampleRate) >= kHeard);
    CHECK(loudestSecond(wav->samples, 600, wav->sampleRate) < kNotHeard);
}

std::string skipReason() {
    if (!haveProgram("sipp")) return "sipp is not installed";
    if (!haveProgram("baresip")) return "baresip is not installed";
    if (!haveBaresipModules()) return std::string("baresip modules missing under ") + kModuleDir;
    return {};
}

}  // namespace

TEST_CASE("as focus: baresip calls a room and records the sipp caller's tone", "[focus][e2e][baresip]") {
    if (auto why = skipReason(); !why.empty()) PARLEY_SKIP(why);
    FocusSystem fx(roomsJson({room("r1")}));

    UacOptions s;
    s.fromUser = "sipp";
    s.afterAck = streamTone(toneFile(fx.dir(), 800)) + pauseMs(20000);
    SippPeer sipp = startUac(fx, "sipp", s);
    {
        bool answered = sipp.waitAnswered(20s);
        INFO(sipp.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    const auto home = fx.dir() / "baresip";
    std::filesystem::create_directories(home);
    auto [recording, output] = runBaresip(home, fx.roomUri("r1"), 10);
    INFO(output << "\n" << fx.logs(3000));
    CHECK(output.find("Call established") != std::string::npos);
    checkRecording(recording, 800);
}

TEST_CASE("as focus harness: baresip headless calls a sipp answerer and records its tone",
          "[focus][e2e][harness][baresip]") {
    if (auto why = skipReason(); !why.empty()) PARLEY_SKIP(why);
    TempDir root("parley-focus-harness");
    SippPeer uas = startUasAt(root.path(), "uas", toneFile(root.path(), 800), 40);
    const auto home = root.path() / "baresip";
    std::filesystem::create_directories(home);
    auto [recording, output] = runBaresip(home, "sip:uas@127.0.0.1:" + std::to_string(uas.sipPort), 5);
    INFO(output << "\n" << uas.describe());
    CHECK(output.find("Call established") != std::string::npos);
    checkRecording(recording, 800);
    CHECK(uas.wait(10s) == std::optional<int>(0));
}

}  // namespace parley::test::focus

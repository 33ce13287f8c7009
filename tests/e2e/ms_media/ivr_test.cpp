// msc-ivr/1.0 (RFC 6231) on parley-ms end to end, with the RFC 7058 IVR flows: the test is
// the AS, phones are TestRtpEndpoints; prompts are WAV files of known tones written by the
// test, digits go as RFC 4733 events or in-band tone pairs, recordings are fetched over
// HTTP from parley-ms and listened to.

#include <fstream>
#include <iterator>
#include <mutex>

#include <catch2/catch.hpp>

#include "tests/e2e/ms_media/media_fixture.hpp"
#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/tone_analysis.hpp"
#include "tests/support/media/tone_generator.hpp"
#include "tests/support/http_test_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::media {
namespace {

namespace pivr = proto::ivr;

// parley-ms with a media root holding tone prompts and a record directory of its own.
struct IvrServer {
    TempDir media{"parley-ivr-media"};
    TempDir records{"parley-ivr-rec"};
    std::unique_ptr<MediaServerUnderTest> ms;

    IvrServer() {
        writeTone("tone700.wav", 700, 2.0);
        writeTone("tone400.wav", 400, 2.0);
        writeTone("tone800.wav", 800, 2.0);
        writeTone("long900.wav", 900, 8.0);
        ms = std::make_unique<MediaServerUnderTest>(std::vector<std::string>{
            "--media-workers", "2", "--media-root", media.path().string(), "--record-dir",
            records.path().string()});
    }
    void writeTone(const std::string& name, double freq, double seconds) {
        auto pcm = makeTone(freq, -12, seconds);
        REQUIRE(writeWavPcm16(media.path() / name, pcm));
    }
    std::string file(const std::string& name) const { return "file://" + (media.path() / name).string(); }
};

std::string playDialog(const std::string& target, const std::string& id, const std::string& prompt,
                       const std::string& extra = "", const std::string& dialogAttrs = "") {
    return ivrBody("<dialogstart " + target + " dialogid=\"" + id + "\"><dialog" + dialogAttrs +
                   ">" + prompt + extra + "</dialog></dialogstart>");
}

std::string conn(const Phone& p) {
    return "connectionid=\"" + p.connectionId + "\"";
}

// What parley-ms serves at a recording's loc, decoded.
WavAudio fetchRecording(const IvrServer& s, const std::string& loc, const std::string& name) {
    const auto at = loc.find("/recordings/");
    REQUIRE(at != std::string::npos);
    auto [status, body] = test::ms::httpGet(s.ms->instance().httpPort, loc.substr(at));
    REQUIRE(status == 200);
    const auto tmp = s.records.path() / name;
    {
        std::ofstream out(tmp, std::ios::binary);
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
    }
    auto wav = readWav(tmp);
    REQUIRE(wav);
    REQUIRE(wav->samples.size() > 8000);
    return std::move(*wav);
}

}  // namespace

TEST_CASE("ms ivr: a prompt from the media root is heard and reported completed",
          "[ms][ivr][e2e]") {
    IvrServer s;
    auto as = s.ms->connectAs();
    auto a = as->call("a", 300);
    auto r = as->ivrResponse(
        playDialog(conn(*a), "p1", "<prompt><media loc=\"" + s.file("tone700.wav") + "\"/></prompt>"));
    INFO(r.reason.value_or(""));
    REQUIRE(r.status == 200);
    CHECK(r.dialogId == "p1");
    CHECK(a->hears(700));
    auto exit = as->waitDialogExit("p1");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kSuccess);
    REQUIRE(exit->promptInfo);
    CHECK(exit->promptInfo->termMode == pivr::PromptTermMode::Completed);
    REQUIRE(exit->promptInfo->duration);
    CHECK(*exit->promptInfo->duration >= 1900);
    CHECK(*exit->promptInfo->duration <= 2600);
    // After the prompt the phone hears nothing again.
    CHECK(a->ep->waitForSilence(kListen, kToneTimeout));
    CHECK(s.ms->alive());
}

TEST_CASE("ms ivr: collect RFC 4733 digits after a prompt, with barge-in and dtmfnotify",
          "[ms][ivr][e2e]") {
    IvrServer s;
    auto as = s.ms->connectAs();
    auto a = as->call("a", 300);
    auto r = as->ivrResponse(playDialog(
        conn(*a), "c1", "<prompt><media loc=\"" + s.file("long900.wav") + "\"/></prompt>",
        "<collect maxdigits=\"4\" timeout=\"10s\"/>") );
    REQUIRE(r.status == 200);
    REQUIRE(a->hears(900));
    a->ep->sendDigits("1234");
    auto exit = as->waitDialogExit("c1");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kSuccess);
    REQUIRE(exit->promptInfo);
    CHECK(exit->promptInfo->termMode == pivr::PromptTermMode::Bargein);
    REQUIRE(exit->collectInfo);
    CHECK(exit->collectInfo->termMode == pivr::CollectTermMode::Match);
    CHECK(exit->collectInfo->dtmf.value_or("") == "1234");
}

TEST_CASE("ms ivr: in-band DTMF tones are collected, termchar ends the input",
          "[ms][ivr][e2e]") {
    IvrServer s;
    auto as = s.ms->connectAs();
    auto a = as->call("a", 300);
    a->ep->sendSilence();
    auto r = as->ivrResponse(
        ivrBody("<dialogstart " + conn(*a) +
                " dialogid=\"ib\"><dialog><collect timeout=\"10s\"/></dialog>"
                "<subscribe><dtmfsub matchmode=\"collect\"/></subscribe></dialogstart>"));
    REQUIRE(r.status == 200);
    // "5", "9", "#" as tone pairs: 120 ms on, 100 ms off.
    std::vector<std::int16_t> pcm;
    const auto add = [&](double lo, double hi) {
        auto t = makeTones({{lo, -10}, {hi, -10}}, 0.12);
        pcm.insert(pcm.end(), t.begin(), t.end());
        pcm.insert(pcm.end(), 800, 0);
    };
    add(770, 1336);  // 5
    add(852, 1477);  // 9
    add(941, 1477);  // #
    a->ep->sendPcm(pcm, false);
    auto exit = as->waitDialogExit("ib");
    REQUIRE(exit);
    REQUIRE(exit->collectInfo);
    CHECK(exit->collectInfo->termMode == pivr::CollectTermMode::Match);
    CHECK(exit->collectInfo->dtmf.value_or("") == "59");
    auto notices = as->takeNotices("ib");
    REQUIRE(notices.size() == 1);
    CHECK(notices[0].matchMode == pivr::MatchMode::Collect);
    CHECK(notices[0].dtmf == "59");
}

TEST_CASE("ms ivr: no input gives noinput, a wrong key nomatch with an SRGS grammar",
          "[ms][ivr][e2e]") {
    IvrServer s;
    auto as = s.ms->connectAs();
    auto a = as->call("a", 300);
    auto r = as->ivrResponse(ivrBody("<dialogstart " + conn(*a) +
                                     " dialogid=\"n1\"><dialog><collect timeout=\"1s\"/>"
                                     "</dialog></dialogstart>"));
    REQUIRE(r.status == 200);
    auto exit = as->waitDialogExit("n1");
    REQUIRE(exit);
    REQUIRE(exit->collectInfo);
    CHECK(exit->collectInfo->termMode == pivr::CollectTermMode::NoInput);

    const std::string grammar =
        "<grammar><grammar xmlns=\"http://www.w3.org/2001/06/grammar\" version=\"1.0\" "
        "mode=\"dtmf\" root=\"yn\"><rule id=\"yn\"><one-of><item>1</item><item>2</item>"
        "</one-of></rule></grammar></grammar>";
    r = as->ivrResponse(ivrBody("<dialogstart " + conn(*a) +
                                " dialogid=\"g1\"><dialog><collect timeout=\"10s\">" + grammar +
                                "</collect></dialog></dialogstart>"));
    REQUIRE(r.status == 200);
    a->ep->sendDigits("7");
    exit = as->waitDialogExit("g1");
    REQUIRE(exit);
    REQUIRE(exit->collectInfo);
    CHECK(exit->collectInfo->termMode == pivr::CollectTermMode::NoMatch);

    r = as->ivrResponse(ivrBody("<dialogstart " + conn(*a) +
                                " dialogid=\"g2\"><dialog><collect timeout=\"10s\">" + grammar +
                                "</collect></dialog></dialogstart>"));
    REQUIRE(r.status == 200);
    a->ep->sendDigits("2");
    exit = as->waitDialogExit("g2");
    REQUIRE(exit);
    REQUIRE(exit->collectInfo);
    CHECK(exit->collectInfo->termMode == pivr::CollectTermMode::Match);
    CHECK(exit->collectInfo->dtmf.value_or("") == "2");
}

TEST_CASE("ms ivr: RFC 7058 6.1.2 echo based on recording: record, fetch, play back",
          "[ms][ivr][e2e]") {
    IvrServer s;
    auto as = s.ms->connectAs();
    auto a = as->call("a", 500);
    auto r = as->ivrResponse(ivrBody("<dialogstart " + conn(*a) +
                                     " dialogid=\"r1\"><dialog><record maxtime=\"2s\" "
                                     "beep=\"true\"/></dialog></dialogstart>"));
    REQUIRE(r.status == 200);
    auto exit = as->waitDialogExit("r1");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kSuccess);
    REQUIRE(exit->recordInfo);
    CHECK(exit->recordInfo->termMode == pivr::RecordTermMode::MaxTime);
    REQUIRE(exit->recordInfo->media.size() == 1);
    const auto& mi = exit->recordInfo->media[0];
    CHECK(mi.type == "audio/wav");
    REQUIRE(mi.size);
    CHECK(*mi.size > 44 + 2 * 8000 * 15 / 10);  // about 2 s of 8 kHz 16-bit audio

    // The recording is served over HTTP by parley-ms.
    auto wav = fetchRecording(s, mi.loc, "fetched.wav");
    CHECK(toneDbfs(std::span<const std::int16_t>(wav.samples).subspan(2000, 8000), 500) > -30);

    // Played back to the same phone (now sending another tone): it hears its 500 Hz.
    a->ep->sendTone(300, -12);
    r = as->ivrResponse(playDialog(conn(*a), "r2", "<prompt><media loc=\"" + mi.loc + "\"/></prompt>"));
    REQUIRE(r.status == 200);
    CHECK(a->hears(500));
    exit = as->waitDialogExit("r2");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kSuccess);
}

TEST_CASE("ms ivr: a recording to an http location is uploaded with PUT and reported there",
          "[ms][ivr][e2e]") {
    IvrServer s;
    TestHttpServer web;
    std::mutex mutex;
    std::string uploaded;
    std::string method;
    web.route("/up/rec.wav", [&](Poco::Net::HTTPServerRequest& req,
                                 Poco::Net::HTTPServerResponse& resp) {
        std::string body((std::istreambuf_iterator<char>(req.stream())),
                         std::istreambuf_iterator<char>());
        {
            std::lock_guard<std::mutex> lock(mutex);
            uploaded = std::move(body);
            method = req.getMethod();
        }
        resp.setStatus(Poco::Net::HTTPResponse::HTTP_CREATED);
        resp.setContentLength(0);
        resp.send();
    });
    auto as = s.ms->connectAs();
    auto a = as->call("a", 650);
    const std::string loc = web.url("/up/rec.wav");
    auto r = as->ivrResponse(ivrBody("<dialogstart " + conn(*a) +
                                     " dialogid=\"u1\"><dialog><record maxtime=\"1500ms\">"
                                     "<media loc=\"" + loc + "\" type=\"audio/wav\"/></record>"
                                     "</dialog></dialogstart>"));
    REQUIRE(r.status == 200);
    auto exit = as->waitDialogExit("u1");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kSuccess);
    REQUIRE(exit->recordInfo);
    REQUIRE(exit->recordInfo->media.size() == 1);
    CHECK(exit->recordInfo->media[0].loc == loc);
    std::string body;
    {
        std::lock_guard<std::mutex> lock(mutex);
        body = uploaded;
        CHECK(method == "PUT");
    }
    REQUIRE(body.size() > 44 + 16000);
    const auto tmp = s.records.path() / "uploaded.wav";
    {
        std::ofstream out(tmp, std::ios::binary);
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
    }
    auto wav = readWav(tmp);
    REQUIRE(wav);
    CHECK(toneDbfs(std::span<const std::int16_t>(wav->samples).subspan(2000, 6000), 650) > -30);
    // The local copy is gone once uploaded; only the test's own files are in the directory.
    for (const auto& f : std::filesystem::directory_iterator(s.records.path()))
        CHECK(f.path().filename().string().rfind(".upload-", 0) != 0);

    // A location that refuses the upload turns the exit into status 4.
    r = as->ivrResponse(ivrBody("<dialogstart " + conn(*a) +
                                " dialogid=\"u2\"><dialog><record maxtime=\"500ms\">"
                                "<media loc=\"" + web.url("/nowhere.wav") + "\"/></record>"
                                "</dialog></dialogstart>"));
    REQUIRE(r.status == 200);
    exit = as->waitDialogExit("u2");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kExecutionError);
    CHECK(exit->reason.value_or("").find("upload") != std::string::npos);
}

TEST_CASE("ms ivr: announcement into a conference and a recording of the mix (RFC 7058 6.2.2, 6.3.2)",
          "[ms][ivr][e2e]") {
    IvrServer s;
    auto as = s.ms->connectAs();
    auto a = as->call("a", 400);
    auto b = as->call("b", 600);
    auto conf = as->createConference();
    as->joinOk(a->connectionId, conf);
    as->joinOk(b->connectionId, conf);
    REQUIRE(a->hears(600));

    auto r = as->ivrResponse(playDialog("conferenceid=\"" + conf + "\"", "ann",
                                        "<prompt><media loc=\"" + s.file("tone700.wav") + "\"/></prompt>"));
    REQUIRE(r.status == 200);
    CHECK(a->hears(700));
    CHECK(b->hears(700));
    auto exit = as->waitDialogExit("ann");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kSuccess);

    // The internal participant is not shown to the AS.
    auto audit = as->request(mixerBody("<audit conferenceid=\"" + conf + "\"/>"));
    CHECK(audit.body.find("ivr#") == std::string::npos);

    r = as->ivrResponse(ivrBody("<dialogstart conferenceid=\"" + conf +
                                "\" dialogid=\"rec\"><dialog><record maxtime=\"2s\"/></dialog>"
                                "</dialogstart>"));
    REQUIRE(r.status == 200);
    exit = as->waitDialogExit("rec");
    REQUIRE(exit);
    REQUIRE(exit->recordInfo);
    REQUIRE(exit->recordInfo->media.size() == 1);
    auto wav = fetchRecording(s, exit->recordInfo->media[0].loc, "mix.wav");
    auto window = std::span<const std::int16_t>(wav.samples).subspan(2000, 8000);
    CHECK(toneDbfs(window, 400) > -35);
    CHECK(toneDbfs(window, 600) > -35);
}

TEST_CASE("ms ivr: dialog errors carry RFC 6231 status codes", "[ms][ivr][e2e]") {
    IvrServer s;
    auto as = s.ms->connectAs();
    auto a = as->call("a", 300);
    const std::string prompt = "<prompt><media loc=\"" + s.file("tone700.wav") + "\"/></prompt>";
    CHECK(as->ivrResponse(playDialog("connectionid=\"no:such\"", "e1", prompt)).status == 407);
    CHECK(as->ivrResponse(playDialog("conferenceid=\"nosuch\"", "e2", prompt)).status == 408);
    CHECK(as->ivrResponse(ivrBody("<dialogstart " + conn(*a) +
                                  " src=\"http://example.com/app.vxml\"/>"))
              .status == 421);
    CHECK(as->ivrResponse(ivrBody("<dialogstart " + conn(*a) +
                                  " dialogid=\"e3\"><dialog><collect/><record/></dialog>"
                                  "</dialogstart>"))
              .status == 433);
    CHECK(as->ivrResponse(playDialog(conn(*a), "e4",
                                     "<prompt><media loc=\"file:///etc/passwd\"/></prompt>"))
              .status == 409);
    CHECK(as->ivrResponse(playDialog(conn(*a), "e5",
                                     "<prompt><media loc=\"ftp://example.com/x.wav\"/></prompt>"))
              .status == 420);
    CHECK(as->ivrResponse(ivrBody("<dialogterminate dialogid=\"nope\"/>")).status == 406);
    // One dialog per connection.
    REQUIRE(as->ivrResponse(playDialog(conn(*a), "e6",
                                       "<prompt><media loc=\"" + s.file("long900.wav") + "\"/></prompt>"))
                .status == 200);
    CHECK(as->ivrResponse(playDialog(conn(*a), "e7", prompt)).status == 432);
    CHECK(as->ivrResponse(playDialog(conn(*a), "e6", prompt)).status == 405);
    // Immediate termination: status 0, no report.
    CHECK(as->ivrResponse(ivrBody("<dialogterminate dialogid=\"e6\" immediate=\"true\"/>")).status ==
          200);
    auto exit = as->waitDialogExit("e6");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kTerminated);
    CHECK_FALSE(exit->promptInfo);
    CHECK(s.ms->alive());
}

TEST_CASE("ms ivr: prepare then start by prepareddialogid, audit shows the states",
          "[ms][ivr][e2e]") {
    IvrServer s;
    auto as = s.ms->connectAs();
    auto a = as->call("a", 300);
    auto r = as->ivrResponse(ivrBody("<dialogprepare dialogid=\"pp\"><dialog><prompt><media loc=\"" +
                                     s.file("tone700.wav") + "\"/></prompt></dialog></dialogprepare>"));
    REQUIRE(r.status == 200);
    auto audit = as->ivrRequest(ivrBody("<audit capabilities=\"false\"/>"));
    REQUIRE(audit.status == 200);
    CHECK(audit.body.find("state=\"prepared\"") != std::string::npos);

    r = as->ivrResponse(ivrBody("<dialogstart prepareddialogid=\"pp\" " + conn(*a) + "/>"));
    REQUIRE(r.status == 200);
    CHECK(a->hears(700));
    auto exit = as->waitDialogExit("pp");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kSuccess);

    // A prepared dialog terminated before it starts: 200 and dialogexit status 0.
    r = as->ivrResponse(ivrBody("<dialogprepare dialogid=\"pq\"><dialog><prompt><media loc=\"" +
                                s.file("tone700.wav") + "\"/></prompt></dialog></dialogprepare>"));
    REQUIRE(r.status == 200);
    CHECK(as->ivrResponse(ivrBody("<dialogterminate dialogid=\"pq\"/>")).status == 200);
    exit = as->waitDialogExit("pq");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kTerminated);
}

TEST_CASE("ms ivr: VCR keys move the playback (RFC 7058 6.4.1) and are reported",
          "[ms][ivr][e2e]") {
    IvrServer s;
    auto as = s.ms->connectAs();
    auto a = as->call("a", 300);
    // 2 s of 400 Hz then 2 s of 800 Hz; '6' skips 2 s forward.
    auto r = as->ivrResponse(ivrBody(
        "<dialogstart " + conn(*a) +
        " dialogid=\"v1\"><dialog><prompt bargein=\"false\"><media loc=\"" + s.file("tone400.wav") +
        "\"/><media loc=\"" + s.file("tone800.wav") +
        "\"/></prompt><control ffkey=\"6\" skipinterval=\"2s\"/></dialog>"
        "<subscribe><dtmfsub matchmode=\"control\"/></subscribe></dialogstart>"));
    REQUIRE(r.status == 200);
    REQUIRE(a->hears(400));
    a->ep->sendDigits("6");
    CHECK(a->hears(800, 3s));
    auto exit = as->waitDialogExit("v1");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kSuccess);
    REQUIRE(exit->promptInfo);
    REQUIRE(exit->promptInfo->duration);
    CHECK(*exit->promptInfo->duration < 3800);  // 4 s of prompt, 2 s skipped
    REQUIRE(exit->controlInfo);
    REQUIRE(exit->controlInfo->matches.size() == 1);
    CHECK(exit->controlInfo->matches[0].dtmf.value_or("") == "6");
    auto notices = as->takeNotices("v1");
    REQUIRE(notices.size() == 1);
    CHECK(notices[0].matchMode == pivr::MatchMode::Control);
}

TEST_CASE("ms ivr: a key pressed by sipp (RFC 4733 capture) is collected", "[ms][ivr][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    const std::filesystem::path pcap = "/usr/share/sip-tester/dtmf_2833_7.pcap";
    if (!std::filesystem::exists(pcap)) PARLEY_SKIP("sipp's DTMF captures are not installed");
    IvrServer s;
    auto as = s.ms->connectAs();
    TempDir dir;
    auto sipp = startSippUac(dir.path(),
                             sippUacScenario("a phone pressing a key, RFC 4733",
                                             "m=audio [auto_media_port] RTP/AVP 0 101\n"
                                             "a=rtpmap:0 PCMU/8000\n"
                                             "a=rtpmap:101 telephone-event/8000\n"
                                             "a=fmtp:101 0-15",
                                             "  <pause milliseconds=\"4000\"/>\n"
                                             "  <nop><action><exec play_pcap_audio=\"" +
                                                 pcap.string() +
                                                 "\"/></action></nop>\n"
                                                 "  <pause milliseconds=\"3000\"/>"),
                             s.ms->sipPort());
    const std::string sippConn = sippConnectionId(*s.ms);
    REQUIRE_FALSE(sippConn.empty());
    auto r = as->ivrResponse(ivrBody("<dialogstart connectionid=\"" + sippConn +
                                     "\" dialogid=\"sp\"><dialog><collect maxdigits=\"1\" "
                                     "timeout=\"15s\"/></dialog></dialogstart>"));
    REQUIRE(r.status == 200);
    auto exit = as->waitDialogExit("sp", 30s);
    REQUIRE(exit);
    INFO("sipp: " << sipp.output());
    REQUIRE(exit->collectInfo);
    CHECK(exit->collectInfo->termMode == pivr::CollectTermMode::Match);
    CHECK(exit->collectInfo->dtmf.value_or("") == "7");
    CHECK(sipp.wait(30s) == 0);
}

TEST_CASE("ms ivr: spoken variables (RFC 7058 6.4.2 current time) play the rendered phrases",
          "[ms][ivr][e2e]") {
    if (!haveProgram("espeak-ng") || !haveProgram("sox"))
        PARLEY_SKIP("espeak-ng or sox is not installed");
    IvrServer s;
    const auto script = test::sourceDir() / "deploy" / "render-phrases.sh";
    auto render = Process::start({script.string(), s.media.path().string()}, "render-phrases");
    REQUIRE(render.wait(120s) == 0);
    auto as = s.ms->connectAs();
    auto a = as->call("a", 300);
    a->ep->sendSilence();
    auto r = as->ivrResponse(playDialog(
        conn(*a), "t1", "<prompt><variable type=\"time\" value=\"14:05\" format=\"t12\"/></prompt>"));
    INFO(r.reason.value_or(""));
    REQUIRE(r.status == 200);
    auto exit = as->waitDialogExit("t1");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kSuccess);
    REQUIRE(exit->promptInfo);
    REQUIRE(exit->promptInfo->duration);
    CHECK(*exit->promptInfo->duration > 800);  // "two oh five p m"
    // Speech reached the phone: it was not silent during the prompt.
    CHECK(a->ep->received().packets > 0);
    r = as->ivrResponse(playDialog(conn(*a), "t2",
                                   "<prompt><variable type=\"date\" value=\"2026-11-21\" "
                                   "format=\"xyz\"/></prompt>"));
    CHECK(r.status == 425);
    r = as->ivrResponse(playDialog(conn(*a), "t3",
                                   "<prompt><variable type=\"digits\" value=\"1234\" "
                                   "format=\"crn\"/></prompt>"));
    REQUIRE(r.status == 200);
    exit = as->waitDialogExit("t3");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kSuccess);
}

TEST_CASE("ms ivr: a connection that hangs up ends its dialog with status 2",
          "[ms][ivr][e2e]") {
    IvrServer s;
    auto as = s.ms->connectAs();
    auto a = as->call("a", 300);
    auto r = as->ivrResponse(playDialog(conn(*a), "h1",
                                        "<prompt><media loc=\"" + s.file("long900.wav") + "\"/></prompt>"));
    REQUIRE(r.status == 200);
    REQUIRE(a->hears(900));
    REQUIRE(as->hangUp(*a));
    auto exit = as->waitDialogExit("h1");
    REQUIRE(exit);
    CHECK(exit->status == pivr::exit_status::kTargetGone);
}

}  // namespace parley::test::media

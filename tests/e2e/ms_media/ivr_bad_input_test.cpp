// Bad input to parley-ms's IVR end to end (issue 5): a prompt URL that 404s or never
// answers, a 2 GiB file, WAVs whose headers lie, grammars that are not XML, file: paths
// that climb out of the media root with "..". Each bad dialog gets its RFC 6231 status and
// a reason that names the problem, and afterwards a good prompt on the same connection of
// the same parley-ms is still heard.

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <catch2/catch.hpp>

#include "tests/e2e/ms_media/media_fixture.hpp"
#include "tests/support/http_test_server.hpp"
#include "tests/support/media/tone_generator.hpp"

namespace parley::test::media {
namespace {

namespace pivr = proto::ivr;

constexpr double kGoodTone = 700;

// A TCP listener on 127.0.0.1 that accepts every connection and never sends or reads a
// byte. Connections are held until destruction.
class SilentTcpListener {
  public:
    SilentTcpListener() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
        thread_ = std::thread([this] {
            while (!stop_) {
                if (!socket_.poll(Poco::Timespan(0, 50000), Poco::Net::Socket::SELECT_READ))
                    continue;
                try {
                    held_.push_back(socket_.acceptConnection());
                    accepted_ = accepted_ + 1;
                } catch (const Poco::Exception&) {
                }
            }
        });
    }
    ~SilentTcpListener() {
        stop_ = true;
        thread_.join();
    }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + path;
    }
    int accepted() const { return accepted_; }

  private:
    Poco::Net::ServerSocket socket_;
    std::vector<Poco::Net::StreamSocket> held_;  // the accepting thread's only
    std::atomic<bool> stop_{false};
    std::atomic<int> accepted_{0};
    std::thread thread_;
};

// One parley-ms with a good prompt, one AS and one phone.
struct BadInputRig {
    IvrTestServer server;
    std::unique_ptr<ControlAs> as;
    std::unique_ptr<Phone> phone;
    int next = 0;

    BadInputRig() {
        server.writeTone("good.wav", kGoodTone, 1.5);
        as = server.ms().connectAs();
        phone = as->call("a", 300);
    }

    // Starts a dialog with `inner` on the phone; the package <response> (no response: 0).
    pivr::Response start(const std::string& inner) {
        const auto reply = as->ivrRequest(
            dialogStartBody(connectionAttr(*phone), "bad" + std::to_string(++next), inner), 20s);
        INFO(inner);
        REQUIRE(reply.status == 200);
        REQUIRE(reply.message);
        REQUIRE(std::holds_alternative<pivr::Response>(*reply.message));
        return std::get<pivr::Response>(*reply.message);
    }

    // The status and reason expected of a refused dialog.
    void expectRefused(const std::string& inner, int status, const std::string& reasonPart) {
        const pivr::Response r = start(inner);
        INFO(inner << " -> " << r.status << " " << r.reason.value_or("(no reason)"));
        CHECK(r.status == status);
        CHECK(r.reason.value_or("").find(reasonPart) != std::string::npos);
    }

    // A good prompt on the same connection is played, heard and completed.
    void expectStillServing() {
        const std::string id = "good" + std::to_string(++next);
        const auto r = as->ivrResponse(
            dialogStartBody(connectionAttr(*phone), id, promptOf(server.fileUri("good.wav"))));
        INFO(r.reason.value_or(""));
        REQUIRE(r.status == 200);
        {
            const bool heard = phone->hears(kGoodTone, 10s);
            INFO(phone->describe());
            CHECK(heard);
        }
        auto exit = as->waitDialogExit(id, 15s);
        REQUIRE(exit);
        CHECK(exit->status == pivr::exit_status::kSuccess);
        CHECK(server.ms().alive());
    }
};

// A canonical 44-byte header of a 16-bit mono 8 kHz WAV whose data chunk says `dataBytes`.
std::string wavHeader(std::uint32_t dataBytes, std::uint16_t blockAlign = 2,
                      std::uint32_t byteRate = 16000) {
    std::string h;
    const auto u32 = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) h.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    };
    const auto u16 = [&](std::uint16_t v) {
        h.push_back(static_cast<char>(v & 0xff));
        h.push_back(static_cast<char>(v >> 8));
    };
    h += "RIFF";
    u32(dataBytes > 0xffffffffu - 36 ? 0xffffffffu : dataBytes + 36);
    h += "WAVEfmt ";
    u32(16);
    u16(1);  // PCM
    u16(1);  // mono
    u32(8000);
    u32(byteRate);
    u16(blockAlign);
    u16(16);
    h += "data";
    u32(dataBytes);
    return h;
}

std::string pcmBytes(const std::vector<std::int16_t>& pcm) {
    std::string out;
    out.reserve(pcm.size() * 2);
    for (std::int16_t s : pcm) {
        const auto u = static_cast<std::uint16_t>(s);
        out.push_back(static_cast<char>(u & 0xff));
        out.push_back(static_cast<char>(u >> 8));
    }
    return out;
}

void writeFile(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

}  // namespace

TEST_CASE("ms ivr bad input: a prompt URL that answers 404 is 409 with the HTTP status",
          "[ms][ivr][e2e][bad-input]") {
    BadInputRig rig;
    TestHttpServer web;
    rig.expectRefused(promptOf(web.url("/no/such/prompt.wav")), 409, "404");
    CHECK(web.hits("/no/such/prompt.wav") == 1);
    rig.expectStillServing();
}

TEST_CASE("ms ivr bad input: a prompt server that never answers times out after fetchtimeout",
          "[ms][ivr][e2e][bad-input]") {
    BadInputRig rig;
    SilentTcpListener silent;
    const auto t0 = std::chrono::steady_clock::now();
    rig.expectRefused(
        "<prompt><media loc=\"" + silent.url("/slow.wav") + "\" fetchtimeout=\"1s\"/></prompt>",
        409, "timed out");
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(silent.accepted() >= 1);
    CHECK(took >= 900ms);
    CHECK(took < 6s);
    rig.expectStillServing();
}

TEST_CASE("ms ivr bad input: a 2 GiB prompt file is refused without being read",
          "[ms][ivr][e2e][bad-input]") {
    BadInputRig rig;
    // A valid header announcing 2 GiB of samples, the rest a hole (sparse: no disk used).
    const auto path = rig.server.mediaRoot() / "huge.wav";
    constexpr off_t kSize = off_t{2} << 30;
    writeFile(path, wavHeader(static_cast<std::uint32_t>(kSize - 44)));
    {
        const int fd = ::open(path.c_str(), O_WRONLY);
        REQUIRE(fd >= 0);
        const int rc = ::ftruncate(fd, kSize);
        ::close(fd);
        REQUIRE(rc == 0);
    }
    REQUIRE(std::filesystem::file_size(path) == static_cast<std::uintmax_t>(kSize));
    const auto t0 = std::chrono::steady_clock::now();
    rig.expectRefused(promptOf(rig.server.fileUri("huge.wav")), 409, "larger than");
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    rig.expectStillServing();
}

TEST_CASE("ms ivr bad input: WAVs whose headers lie", "[ms][ivr][e2e][bad-input]") {
    BadInputRig rig;
    const std::string tone = pcmBytes(makeTone(kGoodTone, -12, 1.0));
    // The format block contradicts itself (16-bit mono with 4-byte frames): 422.
    writeFile(rig.server.mediaRoot() / "frames.wav",
              wavHeader(static_cast<std::uint32_t>(tone.size()), 4, 32000) + tone);
    rig.expectRefused(promptOf(rig.server.fileUri("frames.wav")), 422, "frames.wav");
    // A chunk that claims far more bytes than the file has, before any fmt chunk: 422.
    {
        std::string h = "RIFF";
        h += std::string("\x24\x00\x00\x00", 4);
        h += "WAVE";
        h += "LIST";
        h += std::string("\xf0\xff\xff\x7f", 4);
        writeFile(rig.server.mediaRoot() / "chunk.wav", h + std::string(64, 'x'));
    }
    rig.expectRefused(promptOf(rig.server.fileUri("chunk.wav")), 422, "chunk.wav");
    // Not a WAV at all behind the .wav name: 422.
    writeFile(rig.server.mediaRoot() / "text.wav", "this is not audio\n");
    rig.expectRefused(promptOf(rig.server.fileUri("text.wav")), 422, "text.wav");
    // A data chunk that says 2 GiB over one second of samples: what is there is played.
    writeFile(rig.server.mediaRoot() / "short.wav", wavHeader(0x7ffffff0u) + tone);
    {
        const pivr::Response r = rig.start(promptOf(rig.server.fileUri("short.wav")));
        INFO(r.reason.value_or(""));
        REQUIRE(r.status == 200);
        CHECK(rig.phone->hears(kGoodTone, 10s));
        auto exit = rig.as->waitDialogExit(r.dialogId, 15s);
        REQUIRE(exit);
        CHECK(exit->status == pivr::exit_status::kSuccess);
        REQUIRE(exit->promptInfo);
        REQUIRE(exit->promptInfo->duration);
        CHECK(*exit->promptInfo->duration < 1600);
    }
    rig.expectStillServing();
}

TEST_CASE("ms ivr bad input: grammars that are not XML are 424", "[ms][ivr][e2e][bad-input]") {
    BadInputRig rig;
    // Inline: an ABNF grammar as text.
    rig.expectRefused(
        "<collect><grammar><![CDATA[#ABNF 1.0; mode dtmf; root $c; $c = * 6;]]>"
        "</grammar></collect>",
        424, "SRGS XML");
    // By reference: the same text in a file under the media root, and a truncated document.
    writeFile(rig.server.mediaRoot() / "codes.abnf",
              "#ABNF 1.0;\nmode dtmf;\nroot $c;\n$c = * 6;\n");
    writeFile(rig.server.mediaRoot() / "broken.grxml",
              "<grammar xmlns=\"http://www.w3.org/2001/06/grammar\" mode=\"dtmf\"><rule");
    for (const char* name : {"codes.abnf", "broken.grxml"}) {
        rig.expectRefused("<collect><grammar src=\"" + rig.server.fileUri(name) + "\"/></collect>",
                          424, "cannot be read as XML");
    }
    rig.expectStillServing();
}

TEST_CASE("ms ivr bad input: file: paths that climb out of the media root are 409",
          "[ms][ivr][e2e][bad-input]") {
    BadInputRig rig;
    // A real WAV next to the media root, so only the path check can refuse it.
    TempDir outside("parley-ivr-outside");
    REQUIRE(writeWavPcm16(outside.path() / "secret.wav", makeTone(900, -12, 1.0)));
    const std::string sibling = outside.path().filename().string();
    const std::string root = rig.server.mediaRoot().string();
    for (const std::string& loc :
         {"file://" + root + "/../" + sibling + "/secret.wav",
          "file://" + root + "/%2e%2e/" + sibling + "/secret.wav", "../" + sibling + "/secret.wav",
          "file://" + root + "/sub/../../" + sibling + "/secret.wav"}) {
        rig.expectRefused(promptOf(loc), 409, "outside the media root");
    }
    CHECK(rig.phone->level(900) < kNotHeard);
    rig.expectStillServing();
}

}  // namespace parley::test::media

#include "tests/component/as_rest/rest_fixture.hpp"

#include <poll.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/JSON/Parser.h>
#include <Poco/StreamCopier.h>

#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/tone_generator.hpp"
#include "tests/support/text_match.hpp"

namespace parley::test::rest {

namespace {

std::string tail(const std::string& s, std::size_t n) { return s.size() > n ? s.substr(s.size() - n) : s; }

std::string randomRtpBlock() {
    std::mt19937 rng{std::random_device{}()};
    int base = 20000 + static_cast<int>(rng() % 200) * 200;
    return std::to_string(base) + "-" + std::to_string(base + 199);
}

}  // namespace

std::filesystem::path sourceDir() { return std::filesystem::path(PARLEY_REST_SOURCE_DIR); }

HttpReply call(std::uint16_t port, const std::string& method, const std::string& path, const std::string& body,
               const std::string& token, const std::vector<std::pair<std::string, std::string>>& headers) {
    HttpReply reply;
    try {
        Poco::Net::HTTPClientSession session("127.0.0.1", port);
        session.setTimeout(Poco::Timespan(15, 0));
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        if (!token.empty()) request.set("Authorization", "Bearer " + token);
        for (const auto& [k, v] : headers) request.set(k, v);
        if (!body.empty() || method == "POST" || method == "PATCH") {
            request.setContentType("application/json");
            request.setContentLength(static_cast<std::streamsize>(body.size()));
        }
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        reply.status = static_cast<int>(response.getStatus());
        for (const auto& [k, v] : response) {
            std::string name = k;
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            reply.headers[name] = v;
        }
        Poco::StreamCopier::copyToString(in, reply.body);
    } catch (const std::exception& e) {
        reply.status = 0;
        reply.body = e.what();
    }
    return reply;
}

std::string rawExchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout,
                        std::size_t chunk, std::chrono::milliseconds pause) {
    std::string out;
    try {
        Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::size_t sent = 0;
        while (sent < bytes.size() && std::chrono::steady_clock::now() < deadline) {
            std::size_t n = chunk == 0 ? bytes.size() - sent : std::min(chunk, bytes.size() - sent);
            int w = socket.sendBytes(bytes.data() + sent, static_cast<int>(n));
            if (w <= 0) break;
            sent += static_cast<std::size_t>(w);
            if (chunk > 0 && sent < bytes.size()) {
                // Slowloris: stop early when the server already answered and closed.
                pollfd p{socket.impl()->sockfd(), POLLIN, 0};
                if (::poll(&p, 1, static_cast<int>(pause.count())) > 0) break;
            }
        }
        char buf[4096];
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{socket.impl()->sockfd(), POLLIN, 0};
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) break;
            int r = socket.receiveBytes(buf, sizeof buf);
            if (r <= 0) break;
            out.append(buf, static_cast<std::size_t>(r));
        }
    } catch (const std::exception&) {
        // Reset by the server: what came back so far is the answer.
    }
    return out;
}

int rawStatus(const std::string& response) {
    std::optional<std::string> code = parley::test::reCapture(response, "^HTTP/1\\.[01] ([0-9]{3})");
    return code ? std::stoi(*code) : 0;
}

bool RestSystem::supported(std::string& why) {
    static const std::string help = [] {
        TempDir d("parley-as-help");
        Process p = Process::start({binPath("parley-as").string(), "--help"}, "help", d.path());
        (void)p.wait(20s);
        return p.output();
    }();
    if (help.find("--api-token") == std::string::npos) {
        why = "this parley-as has no --api-token flag (the REST API is not wired into main.cpp)";
        return false;
    }
    return true;
}

RestSystem::RestSystem(const std::string& roomsJsonText, std::vector<std::string> asExtraArgs)
    : dir_("parley-rest") {
    const auto media = dir() / "media";
    focus::writePromptTones(media);
    // The MS says digits with phrases/en-US/<word>.wav: short tones will do.
    std::filesystem::create_directories(media / "phrases" / "en-US");
    const char* words[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
    for (int d = 0; d < 10; ++d) {
        auto st = writeWavPcm16(media / "phrases" / "en-US" / (std::string(words[d]) + ".wav"),
                                makeTone(400.0 + 100.0 * d, -20, 0.3));
        if (!st) throw std::runtime_error("cannot write the digit phrases");
    }
    std::filesystem::create_directories(dir() / "recordings");
    ms_ = std::make_unique<ms::MsInstance>(ms::startMs({"--media-root", media.string(), "--record-dir",
                                                        (dir() / "recordings").string(), "--rtp-ports",
                                                        randomRtpBlock()}));
    const auto roomsFile = dir() / "rooms.json";
    { std::ofstream(roomsFile) << roomsJsonText; }
    std::vector<std::string> argv = {binPath("parley-as").string(),
                                     "--sip-listen", "127.0.0.1:0",
                                     "--http-listen", "127.0.0.1:0",
                                     "--ms", "sip:ms@127.0.0.1:" + std::to_string(ms_->sipPort),
                                     "--db", "sqlite:" + (dir() / "as.db").string(),
                                     "--rooms", roomsFile.string(),
                                     "--prompts", "file://" + (media / "prompts" / "en-US").string() + "/"};
    argv.insert(argv.end(), asExtraArgs.begin(), asExtraArgs.end());
    as_ = std::make_unique<Process>(Process::start(argv, "parley-as", dir()));
    if (!as_->waitForOutput("HTTP listening on", 30s))
        throw std::runtime_error("parley-as did not start:\n" + tail(as_->output(), 4000));
    const std::string out = as_->output();
    asSipPort_ = portAfter(out, "SIP listening on");
    asHttpPort_ = portAfter(out, "HTTP listening on");
    if (!asSipPort_ || !asHttpPort_)
        throw std::runtime_error("no listening lines in parley-as's log:\n" + tail(out, 4000));
    std::string token;
    for (std::size_t i = 0; i + 1 < asExtraArgs.size(); ++i)
        if (asExtraArgs[i] == "--api-token") token = asExtraArgs[i + 1];
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = call(asHttpPort_, "GET", "/v1/media-servers", "", token);
        last = r.body;
        if (r.status == 200 && r.body.find("\"state\":\"up\"") != std::string::npos) return;
        std::this_thread::sleep_for(100ms);  // polling another process's state
    }
    throw std::runtime_error("the AS's media server never came up: " + last + "\n" + logs());
}

RestSystem::~RestSystem() {
    if (as_) as_->stop(15, 10s);
    if (ms_) ms_->process.stop(15, 10s);
}

std::string RestSystem::logs(std::size_t tailBytes) const {
    return "--- parley-as:\n" + tail(as_->output(), tailBytes) + "\n--- parley-ms:\n" +
           tail(ms_->process.output(), tailBytes);
}

Poco::JSON::Object::Ptr tryJson(const HttpReply& r) {
    try {
        return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
        return nullptr;
    }
}

Poco::JSON::Object::Ptr json(const HttpReply& r) {
    auto o = tryJson(r);
    if (!o) throw std::runtime_error("not a JSON object (HTTP " + std::to_string(r.status) + "): " + r.body);
    return o;
}

std::string errorCode(const HttpReply& r) {
    auto o = tryJson(r);
    auto e = o ? o->getObject("error") : nullptr;
    return e && e->has("code") ? e->getValue<std::string>("code") : "";
}

std::string errorMessage(const HttpReply& r) {
    auto o = tryJson(r);
    auto e = o ? o->getObject("error") : nullptr;
    return e && e->has("message") ? e->getValue<std::string>("message") : "";
}

}  // namespace parley::test::rest

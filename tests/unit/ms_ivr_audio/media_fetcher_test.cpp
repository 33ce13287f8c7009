// The media fetcher against real files (a media root in a temp dir) and a real HTTP server
// on 127.0.0.1 port 0: resolution and path escapes, schemes and types, the cache (files,
// HTTP freshness, maxage/maxstale, revalidation, LRU), coalescing, redirects, timeouts,
// size limits, uploads, back-pressure and shutdown.

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <thread>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timestamp.h>

#include "audio_test_util.hpp"
#include "ms/ivr/media_fetcher.hpp"
#include "ms/ivr/wav.hpp"
#include "tests/support/spec_files.hpp"

using namespace parley::ms::ivr;
using namespace parley::test::audio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using parley::common::Result;
using parley::common::Status;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

// A hand-driven clock for cache freshness.
struct ManualClock {
    std::shared_ptr<std::atomic<std::int64_t>> ms =
        std::make_shared<std::atomic<std::int64_t>>(1000000);
    std::function<parley::common::TimePoint()> fn() const {
        auto m = ms;
        return [m] { return parley::common::TimePoint(std::chrono::milliseconds(m->load())); };
    }
    void advance(std::chrono::milliseconds d) const { *ms += d.count(); }
};

struct Fixture {
    TempDir dir;
    fs::path root = dir.path() / "root";
    ManualClock clock;
    std::string wav16k = makeWav({Fmt::S16, 1, 16000}, tone(1000, 16000, 8000));  // 0.5 s

    Fixture() {
        fs::create_directories(root / "prompts");
        writeFile(root / "prompts" / "hello.wav", wav16k);
        writeFile(dir.path() / "secret.wav", wav16k);
    }

    MediaFetcherConfig config() const {
        MediaFetcherConfig c;
        c.mediaRoot = root;
        c.clock = clock.fn();
        return c;
    }
};

FetchRequest at(std::string loc, std::string base = "") {
    FetchRequest r;
    r.loc = std::move(loc);
    r.base = std::move(base);
    r.timeout = 5s;
    return r;
}

Result<PcmAudioPtr> getAudio(MediaFetcher& f, FetchRequest req, std::thread::id* ranOn = nullptr) {
    auto h = std::make_shared<Handoff<std::pair<Result<PcmAudioPtr>, std::thread::id>>>();
    f.fetchAudio(std::move(req), [h](Result<PcmAudioPtr> r) {
        h->set({std::move(r), std::this_thread::get_id()});
    });
    auto got = h->wait(20s);
    if (!got) return parley::common::Error(-1, "no callback");
    if (ranOn) *ranOn = got->second;
    return std::move(got->first);
}

Result<std::string> getText(MediaFetcher& f, FetchRequest req) {
    auto h = std::make_shared<Handoff<Result<std::string>>>();
    f.fetchText(std::move(req), [h](Result<std::string> r) { h->set(std::move(r)); });
    auto got = h->wait(20s);
    if (!got) return parley::common::Error(-1, "no callback");
    return std::move(*got);
}

int codeOf(const Result<PcmAudioPtr>& r) {
    return r.ok() ? 200 : r.error().code;
}

std::string httpDate(std::int64_t offsetSeconds) {
    Poco::Timestamp t;
    t += offsetSeconds * Poco::Timestamp::resolution();
    return Poco::DateTimeFormatter::format(t, Poco::DateTimeFormat::HTTP_FORMAT);
}

// Waits (bounded) until pred holds.
template <typename P>
bool eventually(P pred, std::chrono::milliseconds limit = 10s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(2ms);
    }
    return pred();
}

}  // namespace

TEST_CASE("ivr_audio: files under the media root, relative, file: and xml:base",
          "[ivr_audio][fetch]") {
    Fixture fx;
    MediaFetcher f(fx.config());
    REQUIRE(f.start().ok());
    CHECK(f.mediaRoot() == fx.root);

    std::thread::id ranOn;
    auto a = getAudio(f, at("prompts/hello.wav"), &ranOn);
    REQUIRE(a.ok());
    CHECK(ranOn != std::this_thread::get_id());
    CHECK((*a)->sampleRate == 8000);
    CHECK((*a)->samples.size() == 4000);  // 0.5 s resampled from 16 kHz
    CHECK(toneShare(std::span((*a)->samples).subspan(200, 3600), 1000, 8000) > 0.9);

    CHECK(getAudio(f, at("file://" + (fx.root / "prompts/hello.wav").string())).ok());
    CHECK(getAudio(f, at((fx.root / "prompts/hello.wav").string())).ok());
    CHECK(getAudio(f, at("hello.wav", "file://" + (fx.root / "prompts").string() + "/")).ok());
    CHECK(getAudio(f, at("hello.wav", "prompts/")).ok());
    CHECK(getAudio(f, at("prompts/hello.wav#frag")).ok());
    CHECK(getAudio(f, at("file://localhost" + (fx.root / "prompts/hello.wav").string())).ok());
    fs::create_symlink(fx.root / "prompts" / "hello.wav", fx.root / "alias.wav");
    CHECK(getAudio(f, at("alias.wav")).ok());

    auto missing = getAudio(f, at("prompts/nope.wav"));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == 409);
    CHECK(codeOf(getAudio(f, at("prompts"))) == 409);
    CHECK(codeOf(getAudio(f, at("file://elsewhere/prompts/hello.wav"))) == 409);
    writeFile(fx.root / "text.wav", "not a wav");
    auto text = getAudio(f, at("text.wav"));
    REQUIRE_FALSE(text.ok());
    CHECK(text.error().code == 422);
    CHECK(text.error().message.find("text.wav: ") != std::string::npos);  // names the file
}

TEST_CASE("ivr_audio: a missing media root refuses files but starts", "[ivr_audio][fetch]") {
    Fixture fx;
    auto cfg = fx.config();
    cfg.mediaRoot = fx.dir.path() / "absent";
    MediaFetcher f(cfg);
    REQUIRE(f.start().ok());
    auto r = getAudio(f, at("prompts/hello.wav"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == 409);
    TestHttpServer http;
    http.serve("/tone.wav", fx.wav16k, "audio/wav");
    CHECK(getAudio(f, at(http.url("/tone.wav"))).ok());
}

TEST_CASE("ivr_audio: paths that escape the media root are refused", "[ivr_audio][fetch]") {
    Fixture fx;
    fs::create_symlink(fx.dir.path() / "secret.wav", fx.root / "link.wav");
    fs::create_directory_symlink(fx.dir.path(), fx.root / "up");
    MediaFetcher f(fx.config());
    REQUIRE(f.start().ok());
    const std::string secret = (fx.dir.path() / "secret.wav").string();
    const std::vector<FetchRequest> escapes = {
        at("../secret.wav"),
        at("prompts/../../secret.wav"),
        at("%2e%2e/secret.wav"),
        at("prompts/%2E%2E/%2e%2e/secret.wav"),
        at("file://" + secret),
        at(secret),
        at("file://" + (fx.root / "prompts").string() + "/%2e%2e/%2e%2e/secret.wav"),
        at("link.wav"),
        at("up/secret.wav"),
        at("../../secret.wav", "file://" + (fx.root / "prompts").string() + "/"),
        at("secret.wav", "file://" + fx.dir.path().string() + "/"),
    };
    for (const auto& req : escapes) {
        INFO(req.loc << " base " << req.base);
        auto r = getAudio(f, req);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == 409);
        CHECK(r.error().message.find("outside the media root") != std::string::npos);
    }
    // A sibling directory whose name starts with the root's is not under it.
    fs::create_directories(fx.dir.path() / "root2");
    writeFile(fx.dir.path() / "root2" / "x.wav", fx.wav16k);
    CHECK(codeOf(getAudio(f, at("../root2/x.wav"))) == 409);
}

TEST_CASE("ivr_audio: schemes and media types", "[ivr_audio][fetch]") {
    Fixture fx;
    writeFile(fx.root / "g.grxml", "<grammar/>");
    MediaFetcher f(fx.config());
    REQUIRE(f.start().ok());
    for (const char* loc :
         {"ftp://host/x.wav", "nfs://voicebase/en/25th.wav", "rtsp://h/x", "data:,abc"}) {
        INFO(loc);
        CHECK(codeOf(getAudio(f, at(loc))) == 420);
    }
    auto typed = at("prompts/hello.wav");
    for (const char* type :
         {"audio/wav", "audio/x-wav", "Audio/WAVE", "audio/vnd.wave", "audio/wav; codecs=1"}) {
        typed.type = type;
        CHECK(codeOf(getAudio(f, typed)) == 200);
    }
    for (const char* type : {"audio/mpeg", "video/3gpp", "text/plain"}) {
        typed.type = type;
        CHECK(codeOf(getAudio(f, typed)) == 422);
    }
    auto g = at("g.grxml");
    auto text = getText(f, g);
    REQUIRE(text.ok());
    CHECK(*text == "<grammar/>");
    g.type = "application/srgs+xml";
    CHECK(getText(f, g).ok());
    g.type = "text/plain";
    auto bad = getText(f, g);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == 424);
    CHECK(getText(f, at("gopher://x/g")).error().code == 420);
}

TEST_CASE("ivr_audio: file cache: hits, change detection, maxage and LRU",
          "[ivr_audio][fetch][cache]") {
    Fixture fx;
    auto cfg = fx.config();
    // room for two decoded 0.5 s prompts (4000 samples, 8000 bytes each) but not three
    cfg.cacheBytes = 2 * (8000 + sizeof(PcmAudio)) + 100;
    MediaFetcher f(cfg);
    REQUIRE(f.start().ok());

    auto first = getAudio(f, at("prompts/hello.wav"));
    auto second = getAudio(f, at("prompts/hello.wav"));
    REQUIRE((first.ok() && second.ok()));
    CHECK(first->get() == second->get());  // the same shared decoded prompt
    CHECK(f.stats().misses == 1);
    CHECK(f.stats().hits == 1);
    CHECK(f.stats().cachedBytes == 8000 + sizeof(PcmAudio));

    // A changed file (different size) is read again.
    writeFile(fx.root / "prompts" / "hello.wav",
              makeWav({Fmt::S16, 1, 8000}, tone(500, 8000, 1000)));
    auto changed = getAudio(f, at("prompts/hello.wav"));
    REQUIRE(changed.ok());
    CHECK((*changed)->samples.size() == 1000);
    CHECK(f.stats().misses == 2);

    // maxAge: an entry older than it is not used.
    auto req = at("prompts/hello.wav");
    req.maxAge = 10s;
    CHECK(getAudio(f, req).ok());
    CHECK(f.stats().misses == 2);
    fx.clock.advance(11s);
    CHECK(getAudio(f, req).ok());
    CHECK(f.stats().misses == 3);

    // LRU by bytes
    for (const char* n : {"a.wav", "b.wav", "c.wav"}) {
        writeFile(fx.root / n, makeWav({Fmt::S16, 1, 8000}, tone(1000, 8000, 4000)));
    }
    const auto before = f.stats().misses;
    CHECK(getAudio(f, at("a.wav")).ok());
    CHECK(getAudio(f, at("b.wav")).ok());
    CHECK(getAudio(f, at("a.wav")).ok());  // a is now the most recent
    CHECK(getAudio(f, at("c.wav")).ok());  // evicts b
    CHECK(f.stats().misses == before + 3);
    CHECK(getAudio(f, at("a.wav")).ok());
    CHECK(f.stats().misses == before + 3);
    CHECK(getAudio(f, at("b.wav")).ok());
    CHECK(f.stats().misses == before + 4);
    CHECK(f.stats().cachedBytes <= cfg.cacheBytes);
}

TEST_CASE("ivr_audio: HTTP fetch and cache freshness", "[ivr_audio][fetch][http][cache]") {
    Fixture fx;
    TestHttpServer http;
    http.serve("/maxage.wav", fx.wav16k, "audio/wav", {{"Cache-Control", "public, max-age=10"}});
    http.serve("/expires.wav", fx.wav16k, "audio/wav",
               {{"Date", httpDate(0)}, {"Expires", httpDate(10)}});
    http.serve("/nostore.wav", fx.wav16k, "audio/wav", {{"Cache-Control", "no-store"}});
    http.serve("/plain.wav", fx.wav16k, "audio/wav");
    http.serve("/mustrev.wav", fx.wav16k, "audio/wav",
               {{"Cache-Control", "max-age=10, must-revalidate"}});
    http.serve("/grammar.grxml", "<grammar/>", "application/srgs+xml",
               {{"Cache-Control", "max-age=60"}});
    MediaFetcher f(fx.config());
    REQUIRE(f.start().ok());

    SECTION("max-age") {
        auto a = getAudio(f, at(http.url("/maxage.wav")));
        REQUIRE(a.ok());
        CHECK((*a)->samples.size() == 4000);
        CHECK(getAudio(f, at(http.url("/maxage.wav"))).ok());
        CHECK(http.hits("/maxage.wav") == 1);
        fx.clock.advance(9s);
        CHECK(getAudio(f, at(http.url("/maxage.wav"))).ok());
        CHECK(http.hits("/maxage.wav") == 1);
        fx.clock.advance(2s);  // 11 s: stale
        CHECK(getAudio(f, at(http.url("/maxage.wav"))).ok());
        CHECK(http.hits("/maxage.wav") == 2);
        CHECK(f.stats().hits == 2);
        CHECK(f.stats().misses == 2);
    }
    SECTION("request maxage narrows, maxstale widens") {
        CHECK(getAudio(f, at(http.url("/maxage.wav"))).ok());
        fx.clock.advance(5s);
        auto narrow = at(http.url("/maxage.wav"));
        narrow.maxAge = 3s;
        CHECK(getAudio(f, narrow).ok());
        CHECK(http.hits("/maxage.wav") == 2);
        auto zero = narrow;
        zero.maxAge = 0s;
        CHECK(getAudio(f, zero).ok());
        CHECK(http.hits("/maxage.wav") == 3);

        fx.clock.advance(12s);  // 2 s past freshness
        auto stale = at(http.url("/maxage.wav"));
        stale.maxStale = 5s;
        CHECK(getAudio(f, stale).ok());
        CHECK(http.hits("/maxage.wav") == 3);
        stale.maxStale = 1s;
        CHECK(getAudio(f, stale).ok());
        CHECK(http.hits("/maxage.wav") == 4);
    }
    SECTION("must-revalidate ignores maxstale") {
        CHECK(getAudio(f, at(http.url("/mustrev.wav"))).ok());
        fx.clock.advance(11s);
        auto stale = at(http.url("/mustrev.wav"));
        stale.maxStale = 60s;
        CHECK(getAudio(f, stale).ok());
        CHECK(http.hits("/mustrev.wav") == 2);
    }
    SECTION("Expires") {
        CHECK(getAudio(f, at(http.url("/expires.wav"))).ok());
        fx.clock.advance(5s);
        CHECK(getAudio(f, at(http.url("/expires.wav"))).ok());
        CHECK(http.hits("/expires.wav") == 1);
        fx.clock.advance(6s);
        CHECK(getAudio(f, at(http.url("/expires.wav"))).ok());
        CHECK(http.hits("/expires.wav") == 2);
    }
    SECTION("no-store and no freshness information") {
        CHECK(getAudio(f, at(http.url("/nostore.wav"))).ok());
        CHECK(getAudio(f, at(http.url("/nostore.wav"))).ok());
        CHECK(http.hits("/nostore.wav") == 2);
        CHECK(getAudio(f, at(http.url("/plain.wav"))).ok());
        CHECK(getAudio(f, at(http.url("/plain.wav"))).ok());
        CHECK(http.hits("/plain.wav") == 2);
        auto stale = at(http.url("/plain.wav"));
        stale.maxStale = 30s;  // stored, only stale: usable when the request allows it
        CHECK(getAudio(f, stale).ok());
        CHECK(http.hits("/plain.wav") == 2);
        CHECK(f.stats().cachedBytes == 8000 + sizeof(PcmAudio));
    }
    SECTION("grammars as text, cached") {
        auto g = at(http.url("/grammar.grxml"));
        g.type = "application/srgs+xml";
        auto t1 = getText(f, g);
        REQUIRE(t1.ok());
        CHECK(*t1 == "<grammar/>");
        CHECK(getText(f, g).ok());
        CHECK(http.hits("/grammar.grxml") == 1);
    }
}

TEST_CASE("ivr_audio: stale HTTP entries are revalidated with ETag",
          "[ivr_audio][fetch][http][cache]") {
    Fixture fx;
    TestHttpServer http;
    std::atomic<int> full{0}, notModified{0};
    const std::string body = fx.wav16k;
    http.route("/etag.wav", [&, body](HTTPServerRequest& req, HTTPServerResponse& resp) {
        resp.set("ETag", "\"v1\"");
        resp.set("Cache-Control", "max-age=5");
        if (req.get("If-None-Match", "") == "\"v1\"") {
            ++notModified;
            resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED);
            resp.setContentLength(0);
            resp.send();
            return;
        }
        ++full;
        resp.setContentType("audio/wav");
        resp.sendBuffer(body.data(), body.size());
    });
    MediaFetcher f(fx.config());
    REQUIRE(f.start().ok());
    auto first = getAudio(f, at(http.url("/etag.wav")));
    REQUIRE(first.ok());
    fx.clock.advance(6s);
    auto second = getAudio(f, at(http.url("/etag.wav")));
    REQUIRE(second.ok());
    CHECK(first->get() == second->get());
    CHECK(full == 1);
    CHECK(notModified == 1);
    CHECK(f.stats().revalidated == 1);
    // fresh again for another 5 s after the 304
    fx.clock.advance(4s);
    CHECK(getAudio(f, at(http.url("/etag.wav"))).ok());
    CHECK(notModified == 1);
}

TEST_CASE("ivr_audio: concurrent requests for one URI share one fetch",
          "[ivr_audio][fetch][http]") {
    Fixture fx;
    TestHttpServer http;
    auto gate = std::make_shared<std::pair<std::mutex, std::condition_variable>>();
    auto open = std::make_shared<bool>(false);
    const std::string body = fx.wav16k;
    http.route("/gate.wav", [gate, open, body](HTTPServerRequest&, HTTPServerResponse& resp) {
        {
            std::unique_lock<std::mutex> lock(gate->first);
            gate->second.wait_for(lock, 10s, [&] { return *open; });
        }
        resp.setContentType("audio/wav");
        resp.set("Cache-Control", "max-age=60");
        resp.sendBuffer(body.data(), body.size());
    });
    auto cfg = fx.config();
    cfg.threads = 3;
    MediaFetcher f(cfg);
    REQUIRE(f.start().ok());
    std::vector<std::shared_ptr<Handoff<Result<PcmAudioPtr>>>> results;
    for (int i = 0; i < 4; ++i) {
        auto h = std::make_shared<Handoff<Result<PcmAudioPtr>>>();
        results.push_back(h);
        f.fetchAudio(at(http.url("/gate.wav")),
                     [h](Result<PcmAudioPtr> r) { h->set(std::move(r)); });
    }
    REQUIRE(eventually([&] {
        const auto s = f.stats();
        return s.misses == 1 && s.coalesced == 3;
    }));
    {
        std::lock_guard<std::mutex> lock(gate->first);
        *open = true;
    }
    gate->second.notify_all();
    const PcmAudio* shared = nullptr;
    for (auto& h : results) {
        auto r = h->wait();
        REQUIRE(r);
        REQUIRE(r->ok());
        if (!shared) shared = r->value().get();
        CHECK(r->value().get() == shared);
    }
    CHECK(http.hits("/gate.wav") == 1);
}

TEST_CASE("ivr_audio: HTTP errors, size limits and redirects", "[ivr_audio][fetch][http]") {
    Fixture fx;
    TestHttpServer http;
    http.serve("/tone.wav", fx.wav16k, "audio/wav");
    for (int i = 1; i <= 6; ++i) {
        const std::string next = i == 1 ? "/tone.wav" : "/r" + std::to_string(i - 1);
        http.route("/r" + std::to_string(i), [next](HTTPServerRequest&, HTTPServerResponse& resp) {
            resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_FOUND);
            resp.set("Location", next);
            resp.setContentLength(0);
            resp.send();
        });
    }
    http.route("/tofile", [&](HTTPServerRequest&, HTTPServerResponse& resp) {
        resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_MOVED_PERMANENTLY);
        resp.set("Location", "file://" + (fx.root / "prompts/hello.wav").string());
        resp.setContentLength(0);
        resp.send();
    });
    http.route("/error", [](HTTPServerRequest&, HTTPServerResponse& resp) {
        resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
        resp.setContentLength(0);
        resp.send();
    });
    const std::string big(70000, 'x');
    http.serve("/big", big, "audio/wav");
    http.route("/bigchunked", [big](HTTPServerRequest&, HTTPServerResponse& resp) {
        resp.setChunkedTransferEncoding(true);
        std::ostream& os = resp.send();
        os << big;
    });
    auto cfg = fx.config();
    cfg.maxResourceBytes = 64 * 1024;
    MediaFetcher f(cfg);
    REQUIRE(f.start().ok());

    auto five = getAudio(f, at(http.url("/r5")));
    REQUIRE(five.ok());
    CHECK((*five)->samples.size() == 4000);
    auto six = getAudio(f, at(http.url("/r6")));
    REQUIRE_FALSE(six.ok());
    CHECK(six.error().code == 409);
    CHECK(six.error().message.find("redirect") != std::string::npos);
    CHECK(codeOf(getAudio(f, at(http.url("/tofile")))) == 409);

    auto missing = getAudio(f, at(http.url("/missing.wav")));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == 409);
    CHECK(missing.error().message.find("404") != std::string::npos);
    auto unavailable = getAudio(f, at(http.url("/error")));
    REQUIRE_FALSE(unavailable.ok());
    CHECK(unavailable.error().message.find("503") != std::string::npos);

    CHECK(codeOf(getAudio(f, at(http.url("/big")))) == 409);
    CHECK(codeOf(getAudio(f, at(http.url("/bigchunked")))) == 409);
    CHECK(codeOf(getAudio(f, at("http://127.0.0.1:1/x.wav"))) == 409);  // connection refused
    CHECK(codeOf(getAudio(f, at("http:///nohost.wav"))) == 409);
    CHECK(f.stats().errors >= 7);
}

TEST_CASE("ivr_audio: a server that never answers times out on time", "[ivr_audio][fetch][http]") {
    Fixture fx;
    // Accepts connections (the kernel's backlog) but never reads or answers.
    Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));
    const std::string url =
        "http://127.0.0.1:" + std::to_string(silent.address().port()) + "/x.wav";
    // And one that answers its headers, then trickles the body forever.
    TestHttpServer http;
    http.route("/trickle.wav", [](HTTPServerRequest&, HTTPServerResponse& resp) {
        resp.setContentLength(1000000);
        std::ostream& os = resp.send();
        const auto end = std::chrono::steady_clock::now() + 5s;
        while (os && std::chrono::steady_clock::now() < end) {
            os << "x" << std::flush;
            std::this_thread::sleep_for(20ms);
        }
    });
    MediaFetcher f(fx.config());
    REQUIRE(f.start().ok());
    for (const std::string& u : {url, http.url("/trickle.wav")}) {
        INFO(u);
        auto req = at(u);
        req.timeout = 400ms;
        const auto t0 = std::chrono::steady_clock::now();
        auto r = getAudio(f, req);
        const auto took = std::chrono::steady_clock::now() - t0;
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == 409);
        CHECK(r.error().message.find("timed out") != std::string::npos);
        CHECK(took >= 350ms);
        CHECK(took < 3s);
    }
}

TEST_CASE("ivr_audio: https to a plain HTTP port fails cleanly", "[ivr_audio][fetch][http]") {
    Fixture fx;
    TestHttpServer http;
    http.serve("/tone.wav", fx.wav16k, "audio/wav");
    MediaFetcher f(fx.config());
    REQUIRE(f.start().ok());
    std::string url = http.url("/tone.wav");
    url.replace(0, 4, "https");
    auto r = getAudio(f, at(url));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == 409);
}

namespace {

// A self-signed certificate for `subject` with `san`, written to dir; false without openssl.
bool makeCert(const fs::path& dir, const std::string& subject, const std::string& san) {
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj '/CN=" + subject +
        "' -addext 'subjectAltName=" + san + "' -keyout '" + (dir / "key.pem").string() +
        "' -out '" + (dir / "cert.pem").string() + "' >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

std::unique_ptr<TestHttpServer> httpsServer(const fs::path& dir) {
    Poco::Net::initializeSSL();
    Poco::Net::Context::Ptr tls =
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, (dir / "key.pem").string(),
                               (dir / "cert.pem").string(), "", Poco::Net::Context::VERIFY_NONE);
    return std::make_unique<TestHttpServer>(
        Poco::Net::SecureServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, tls), "https");
}

}  // namespace

TEST_CASE("ivr_audio: https verifies the server certificate and host name",
          "[ivr_audio][fetch][http]") {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) PARLEY_SKIP("no openssl command");
    Fixture fx;
    SECTION("an untrusted (self-signed) certificate is refused") {
        REQUIRE(makeCert(fx.dir.path(), "127.0.0.1", "IP:127.0.0.1"));
        auto https = httpsServer(fx.dir.path());
        https->serve("/tone.wav", fx.wav16k, "audio/wav");
        MediaFetcher f(fx.config());
        REQUIRE(f.start().ok());
        auto r = getAudio(f, at(https->url("/tone.wav")));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == 409);
        CHECK(https->hits("/tone.wav") == 0);
    }
    SECTION("a trusted certificate for this host is accepted") {
        REQUIRE(makeCert(fx.dir.path(), "127.0.0.1", "IP:127.0.0.1"));
        auto https = httpsServer(fx.dir.path());
        https->serve("/tone.wav", fx.wav16k, "audio/wav");
        auto cfg = fx.config();
        cfg.tlsCaLocation = (fx.dir.path() / "cert.pem").string();
        MediaFetcher f(cfg);
        REQUIRE(f.start().ok());
        auto r = getAudio(f, at(https->url("/tone.wav")));
        REQUIRE(r.ok());
        CHECK((*r)->samples.size() == 4000);
    }
    SECTION("a trusted certificate for another host is refused") {
        REQUIRE(makeCert(fx.dir.path(), "media.example.com", "DNS:media.example.com"));
        auto https = httpsServer(fx.dir.path());
        https->serve("/tone.wav", fx.wav16k, "audio/wav");
        auto cfg = fx.config();
        cfg.tlsCaLocation = (fx.dir.path() / "cert.pem").string();
        MediaFetcher f(cfg);
        REQUIRE(f.start().ok());
        auto r = getAudio(f, at(https->url("/tone.wav")));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == 409);
        CHECK(https->hits("/tone.wav") == 0);
    }
}

TEST_CASE("ivr_audio: upload PUTs a recording", "[ivr_audio][fetch][upload]") {
    Fixture fx;
    TestHttpServer http;
    auto received = std::make_shared<Handoff<std::pair<std::string, std::string>>>();
    http.route("/rec/up.wav", [received](HTTPServerRequest& req, HTTPServerResponse& resp) {
        std::string body;
        Poco::StreamCopier::copyToString(req.stream(), body);
        received->set({req.getMethod() + " " + req.getContentType(), body});
        resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_CREATED);
        resp.setContentLength(0);
        resp.send();
    });
    http.route("/moved", [](HTTPServerRequest& req, HTTPServerResponse& resp) {
        std::string ignore;
        Poco::StreamCopier::copyToString(req.stream(), ignore);
        resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_TEMPORARY_REDIRECT);
        resp.set("Location", "/rec/up.wav");
        resp.setContentLength(0);
        resp.send();
    });
    http.route("/fail", [](HTTPServerRequest& req, HTTPServerResponse& resp) {
        std::string ignore;
        Poco::StreamCopier::copyToString(req.stream(), ignore);
        resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
        resp.setContentLength(0);
        resp.send();
    });
    const auto file = fx.dir.path() / "rec.wav";
    const std::string bytes = makeWav({Fmt::S16, 1, 8000}, tone(1000, 8000, 40000));
    writeFile(file, bytes);
    MediaFetcher f(fx.config());
    REQUIRE(f.start().ok());
    const auto put = [&](const std::string& url, const fs::path& p) {
        auto h = std::make_shared<Handoff<Status>>();
        f.upload(url, p, "audio/wav", 5s, [h](Status s) { h->set(std::move(s)); });
        auto got = h->wait(20s);
        REQUIRE(got);
        return *got;
    };
    SECTION("direct") {
        CHECK(put(http.url("/rec/up.wav"), file).ok());
    }
    SECTION("through a 307") {
        CHECK(put(http.url("/moved"), file).ok());
    }
    auto got = received->wait(5s);
    REQUIRE(got);
    CHECK(got->first == "PUT audio/wav");
    CHECK(got->second == bytes);

    auto failed = put(http.url("/fail"), file);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().code == 419);
    CHECK(failed.error().message.find("500") != std::string::npos);
    CHECK(put("ftp://x/y.wav", file).error().code == 420);
    CHECK(put(http.url("/rec/up.wav"), fx.dir.path() / "missing.wav").error().code == 419);
}

TEST_CASE("ivr_audio: requests beyond maxPending are refused as busy", "[ivr_audio][fetch]") {
    Fixture fx;
    auto cfg = fx.config();
    cfg.maxPending = 2;
    MediaFetcher f(cfg);
    // Not started yet: requests queue, and the callbacks wait for the fetcher's threads.
    std::vector<std::shared_ptr<Handoff<Result<PcmAudioPtr>>>> results;
    for (int i = 0; i < 3; ++i) {
        auto h = std::make_shared<Handoff<Result<PcmAudioPtr>>>();
        results.push_back(h);
        f.fetchAudio(at("prompts/hello.wav"), [h](Result<PcmAudioPtr> r) { h->set(std::move(r)); });
    }
    CHECK_FALSE(results[2]->wait(20ms));  // never inside the call, not before start
    REQUIRE(f.start().ok());
    auto r0 = results[0]->wait();
    auto r1 = results[1]->wait();
    auto r2 = results[2]->wait();
    REQUIRE((r0 && r1 && r2));
    CHECK(r0->ok());
    CHECK(r1->ok());
    REQUIRE_FALSE(r2->ok());
    CHECK(r2->error().code == 409);
    CHECK(r2->error().message == "busy");
    // the slots are free again
    CHECK(getAudio(f, at("prompts/hello.wav")).ok());
}

TEST_CASE("ivr_audio: destruction answers pending requests and aborts transfers",
          "[ivr_audio][fetch]") {
    Fixture fx;
    SECTION("never started") {
        auto h = std::make_shared<Handoff<Result<PcmAudioPtr>>>();
        {
            MediaFetcher f(fx.config());
            f.fetchAudio(at("prompts/hello.wav"),
                         [h](Result<PcmAudioPtr> r) { h->set(std::move(r)); });
        }
        auto r = h->wait(0ms);
        REQUIRE(r);
        REQUIRE_FALSE(r->ok());
        CHECK(r->error().code == 409);
        CHECK(r->error().message == "shutting down");
    }
    SECTION("a transfer in progress") {
        Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));
        const std::string url =
            "http://127.0.0.1:" + std::to_string(silent.address().port()) + "/x.wav";
        auto cfg = fx.config();
        cfg.threads = 1;
        auto h1 = std::make_shared<Handoff<Result<PcmAudioPtr>>>();
        auto h2 = std::make_shared<Handoff<Result<PcmAudioPtr>>>();
        const auto t0 = std::chrono::steady_clock::now();
        {
            MediaFetcher f(cfg);
            REQUIRE(f.start().ok());
            auto req = at(url);
            req.timeout = 60s;
            f.fetchAudio(req, [h1](Result<PcmAudioPtr> r) { h1->set(std::move(r)); });
            f.fetchAudio(at("prompts/hello.wav"),
                         [h2](Result<PcmAudioPtr> r) { h2->set(std::move(r)); });
            std::this_thread::sleep_for(200ms);  // let the first request reach the socket
        }
        CHECK(std::chrono::steady_clock::now() - t0 < 5s);
        auto r1 = h1->wait(0ms);
        auto r2 = h2->wait(0ms);
        REQUIRE((r1 && r2));
        REQUIRE_FALSE(r1->ok());
        CHECK(r1->error().message == "shutting down");
        REQUIRE_FALSE(r2->ok());
        CHECK(r2->error().message == "shutting down");
    }
}

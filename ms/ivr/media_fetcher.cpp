#include "ms/ivr/media_fetcher.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <limits>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include "common/log.hpp"
#include "ms/ivr/wav.hpp"
#include "proto/packages/ivr/status.hpp"

namespace parley::ms::ivr {
namespace {

namespace status = proto::ivr::status;
namespace fs = std::filesystem;
using common::Duration;
using common::Error;
using common::TimePoint;
using RealClock = std::chrono::steady_clock;

constexpr int kMaxRedirects = 5;
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::chrono::seconds kMaxWavDuration{3600};

Poco::Logger& log() {
    return common::logger("ms.ivr");
}

Error notRetrieved(std::string reason) {
    return Error(status::kResourceNotRetrieved, std::move(reason));
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t");
    return std::string(s.substr(b, e - b + 1));
}

// "Audio/WAV; codecs=1" -> "audio/wav"
std::string mediaType(const std::string& type) {
    return lower(trim(std::string_view(type).substr(0, type.find(';'))));
}

bool isUnder(const fs::path& p, const fs::path& root) {
    auto pi = p.begin();
    for (auto ri = root.begin(); ri != root.end(); ++ri, ++pi) {
        if (ri->empty()) continue;  // trailing separator
        if (pi == p.end() || *pi != *ri) return false;
    }
    return true;
}

std::optional<std::int64_t> parseSeconds(const std::string& v) {
    if (v.empty() || v.size() > 12) return std::nullopt;
    std::int64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return n;
}

std::optional<std::int64_t> parseHttpDate(const std::string& v) {
    Poco::DateTime dt;
    int tzd = 0;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, v, dt, tzd) &&
        !Poco::DateTimeParser::tryParse(v, dt, tzd)) {
        return std::nullopt;
    }
    dt.makeUTC(tzd);
    return dt.timestamp().epochTime();
}

// What an HTTP response says about caching it (RFC 7234 / RFC 2616 section 13 and 14.9).
struct Freshness {
    bool store = true;
    bool explicitLifetime = false;  // the response said how long it stays fresh
    Duration lifetime{0};
    Duration initialAge{0};
    bool mustRevalidate = false;
    std::string etag;
    std::string lastModified;
};

Freshness parseFreshness(const Poco::Net::HTTPResponse& r) {
    Freshness f;
    std::optional<std::int64_t> maxAge, sMaxAge;
    bool noCache = false;
    for (const auto& [name, value] : r) {
        const std::string n = lower(name);
        if (n == "cache-control") {
            std::size_t start = 0;
            for (;;) {
                const auto comma = value.find(',', start);
                const std::string item = trim(std::string_view(value).substr(
                    start, comma == std::string::npos ? std::string::npos : comma - start));
                const auto eq = item.find('=');
                const std::string key = lower(trim(item.substr(0, eq)));
                std::string arg = eq == std::string::npos ? "" : trim(item.substr(eq + 1));
                if (arg.size() >= 2 && arg.front() == '"' && arg.back() == '"') {
                    arg = arg.substr(1, arg.size() - 2);
                }
                if (key == "no-store") f.store = false;
                if (key == "no-cache") noCache = true;
                if (key == "must-revalidate" || key == "proxy-revalidate") f.mustRevalidate = true;
                if (key == "max-age") maxAge = parseSeconds(arg).value_or(0);
                if (key == "s-maxage") sMaxAge = parseSeconds(arg).value_or(0);
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
        } else if (n == "age") {
            if (auto s = parseSeconds(trim(value))) f.initialAge = std::chrono::seconds(*s);
        } else if (n == "etag") {
            f.etag = trim(value);
        } else if (n == "last-modified") {
            f.lastModified = trim(value);
        }
    }
    if (noCache) {
        // stored, but never served without revalidation
        f.explicitLifetime = true;
        f.mustRevalidate = true;
        f.lifetime = Duration{0};
    } else if (sMaxAge || maxAge) {
        // s-maxage: the media server's cache is shared by every dialog
        f.explicitLifetime = true;
        f.lifetime = std::chrono::seconds(sMaxAge ? *sMaxAge : *maxAge);
    } else if (r.has("Expires")) {
        f.explicitLifetime = true;
        const auto expires = parseHttpDate(r.get("Expires"));
        std::optional<std::int64_t> date =
            r.has("Date") ? parseHttpDate(r.get("Date")) : std::nullopt;
        if (!date) date = Poco::Timestamp().epochTime();
        const std::int64_t secs = expires ? *expires - *date : 0;  // invalid: already expired
        f.lifetime = std::chrono::seconds(std::max<std::int64_t>(0, secs));
    }
    return f;
}

// Aborts transfers that outlive their deadline (or all of them at shutdown) by shutting
// their sockets down, which wakes a blocked recv/send on the fetcher thread. A socket is
// registered only while its session owns it open, so the descriptor cannot be reused.
class TransferWatchdog {
  public:
    TransferWatchdog() : thread_([this] { run(); }) {}
    ~TransferWatchdog() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

    std::uint64_t add(int fd, RealClock::time_point deadline) {
        std::lock_guard<std::mutex> lock(mutex_);
        const std::uint64_t id = ++nextId_;
        if (abortAll_) {
            ::shutdown(fd, SHUT_RDWR);
        } else {
            entries_[id] = Entry{fd, deadline};
            cv_.notify_all();
        }
        return id;
    }

    void remove(std::uint64_t id) {
        std::lock_guard<std::mutex> lock(mutex_);
        entries_.erase(id);
    }

    void abortAll() {
        std::lock_guard<std::mutex> lock(mutex_);
        abortAll_ = true;
        for (auto& [id, e] : entries_) ::shutdown(e.fd, SHUT_RDWR);
        entries_.clear();
    }

  private:
    struct Entry {
        int fd;
        RealClock::time_point deadline;
    };

    void run() {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stop_) {
            auto next = RealClock::time_point::max();
            const auto now = RealClock::now();
            for (auto it = entries_.begin(); it != entries_.end();) {
                if (it->second.deadline <= now) {
                    ::shutdown(it->second.fd, SHUT_RDWR);
                    it = entries_.erase(it);
                } else {
                    next = std::min(next, it->second.deadline);
                    ++it;
                }
            }
            if (next == RealClock::time_point::max()) {
                cv_.wait(lock);
            } else {
                cv_.wait_until(lock, next);
            }
        }
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::map<std::uint64_t, Entry> entries_;
    std::uint64_t nextId_ = 0;
    bool stop_ = false;
    bool abortAll_ = false;
    std::thread thread_;
};

class WatchGuard {
  public:
    WatchGuard(TransferWatchdog& w, int fd, RealClock::time_point deadline)
        : w_(w), id_(w.add(fd, deadline)) {}
    ~WatchGuard() { w_.remove(id_); }
    WatchGuard(const WatchGuard&) = delete;
    WatchGuard& operator=(const WatchGuard&) = delete;

  private:
    TransferWatchdog& w_;
    std::uint64_t id_;
};

Poco::Timespan remainingSpan(RealClock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline - RealClock::now());
    return Poco::Timespan(std::max<std::int64_t>(1000, left.count()));
}

bool isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

struct HttpBody {
    int status = 0;
    std::string body;
    Freshness freshness;
};

}  // namespace

bool isWavType(std::string_view type) {
    const std::string t = mediaType(std::string(type));
    return t == "audio/wav" || t == "audio/x-wav" || t == "audio/wave" || t == "audio/vnd.wave";
}

common::Result<fs::path> localPathUnder(std::string_view loc, const fs::path& root,
                                        std::string_view rootName) {
    Poco::URI uri;
    try {
        uri = Poco::URI(std::string(loc));
    } catch (const Poco::Exception& e) {
        return notRetrieved("bad location '" + std::string(loc) + "': " + e.message());
    }
    const std::string scheme = lower(uri.getScheme());
    if (!scheme.empty() && scheme != "file")
        return Error(status::kUnsupportedUriScheme, "URI scheme '" + scheme + "' not supported");
    if (!uri.getHost().empty() && lower(uri.getHost()) != "localhost")
        return notRetrieved("file URI on another host: " + uri.toString());
    fs::path p(uri.getPath());
    if (p.empty()) return notRetrieved("empty path in '" + std::string(loc) + "'");
    std::error_code ec;
    const fs::path base = fs::weakly_canonical(root, ec);
    if (ec || base.empty()) return notRetrieved("no usable " + std::string(rootName));
    if (p.is_relative()) p = base / p;
    const fs::path lexical = fs::weakly_canonical(p, ec);
    if (ec || !isUnder(lexical, base) || lexical == base)
        return notRetrieved(uri.toString() + " is outside " + std::string(rootName));
    return lexical;
}

// ---------------------------------------------------------------------------------------

struct MediaFetcher::Impl {
    enum class Kind { Audio, Text };

    struct Body {
        PcmAudioPtr audio;
        std::shared_ptr<const std::string> text;
    };
    using Outcome = common::Result<Body>;
    using Deliver = std::function<void(Outcome)>;

    struct Job {
        std::function<void()> run;
        std::function<void(Error)> cancel;
    };

    // Where a request points, after resolution.
    struct Target {
        bool isFile = false;
        Poco::URI uri;
        fs::path path;
        std::string key;  // kind + absolute URI
        std::uintmax_t size = 0;
        fs::file_time_type mtime{};
    };

    struct CacheEntry {
        std::string key;
        Body body;
        std::size_t bytes = 0;
        bool isFile = false;
        std::uintmax_t size = 0;
        fs::file_time_type mtime{};
        TimePoint storedAt{};
        Freshness freshness;
    };

    struct Inflight {
        std::vector<Deliver> waiters;
    };

    explicit Impl(MediaFetcherConfig c) : config(std::move(c)) {
        if (!config.clock) config.clock = [] { return common::Clock::now(); };
        if (config.threads == 0) config.threads = 1;
    }

    // ---- queue ----

    // Runs `job` on a fetcher thread; counted against maxPending unless `counted` is false.
    void post(Job job) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            jobs.push_back(std::move(job));
        }
        cv.notify_one();
    }

    bool admit() {
        std::lock_guard<std::mutex> lock(mutex);
        if (outstanding >= config.maxPending) return false;
        ++outstanding;
        return true;
    }

    void release() {
        std::lock_guard<std::mutex> lock(mutex);
        --outstanding;
    }

    void workerLoop() {
        for (;;) {
            Job job;
            bool cancel = false;
            {
                std::unique_lock<std::mutex> lock(mutex);
                cv.wait(lock, [this] { return stopping || !jobs.empty(); });
                if (jobs.empty()) return;
                job = std::move(jobs.front());
                jobs.pop_front();
                cancel = stopping;
            }
            if (cancel) {
                job.cancel(notRetrieved("shutting down"));
            } else {
                job.run();
            }
        }
    }

    template <typename F, typename... A>
    static void invoke(F& f, A&&... args) {
        try {
            f(std::forward<A>(args)...);
        } catch (const std::exception& e) {
            PARLEY_LOG_ERROR(log(), "media fetcher callback threw: " << e.what());
        } catch (...) {
            PARLEY_LOG_ERROR(log(), "media fetcher callback threw");
        }
    }

    // ---- requests ----

    void request(Kind kind, FetchRequest req, Deliver done) {
        const auto deadline = RealClock::now() + req.timeout;
        if (!admit()) {
            auto shared = std::make_shared<Deliver>(std::move(done));
            post(Job{[this, shared] { finishError(*shared, notRetrieved("busy")); },
                     [this, shared](Error e) { finishError(*shared, std::move(e)); }});
            return;
        }
        auto counted = std::make_shared<Deliver>([this, done = std::move(done)](Outcome o) mutable {
            release();
            invoke(done, std::move(o));
        });
        auto request = std::make_shared<FetchRequest>(std::move(req));
        post(Job{
            [this, kind, request, counted, deadline] { serve(kind, *request, deadline, *counted); },
            [this, counted](Error e) { finishError(*counted, std::move(e)); }});
    }

    void finishError(Deliver& d, Error e) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            ++stats.errors;
        }
        d(std::move(e));
    }

    common::Status checkType(Kind kind, const FetchRequest& req) const {
        if (!req.type) return {};
        if (kind == Kind::Audio) {
            if (!isWavType(*req.type)) {
                return Error(status::kUnsupportedPlaybackFormat,
                             "media type " + *req.type + " not supported (audio/wav only)");
            }
        } else if (mediaType(*req.type) != "application/srgs+xml") {
            return Error(status::kUnsupportedGrammarFormat,
                         "grammar type " + *req.type + " not supported");
        }
        return {};
    }

    common::Result<Target> resolve(Kind kind, const FetchRequest& req) const {
        Target t;
        try {
            if (!req.base.empty()) {
                t.uri = Poco::URI(req.base);
                t.uri.resolve(req.loc);
            } else {
                t.uri = Poco::URI(req.loc);
            }
        } catch (const Poco::Exception& e) {
            return notRetrieved("bad location '" + req.loc + "': " + e.message());
        }
        const std::string prefix = kind == Kind::Audio ? "audio " : "text ";
        const std::string scheme = lower(t.uri.getScheme());
        if (scheme == "http" || scheme == "https") {
            if (t.uri.getHost().empty()) return notRetrieved("no host in " + t.uri.toString());
            t.uri.setFragment("");
            t.key = prefix + t.uri.toString();
            return t;
        }
        if (!scheme.empty() && scheme != "file") {
            return Error(status::kUnsupportedUriScheme,
                         "URI scheme '" + scheme + "' not supported");
        }
        if (root.empty()) return notRetrieved("no usable media root for " + t.uri.toString());
        auto p = localPathUnder(t.uri.toString(), root, "the media root");
        if (!p) return p.error();
        std::error_code ec;
        const fs::path canon = fs::canonical(*p, ec);
        if (ec) return notRetrieved(t.uri.toString() + ": " + ec.message());
        if (!isUnder(canon, root))
            return notRetrieved(t.uri.toString() + " is outside the media root");
        const auto st = fs::status(canon, ec);
        if (ec || !fs::is_regular_file(st)) return notRetrieved(canon.string() + " is not a file");
        t.size = fs::file_size(canon, ec);
        if (ec) return notRetrieved(canon.string() + ": " + ec.message());
        t.mtime = fs::last_write_time(canon, ec);
        if (ec) return notRetrieved(canon.string() + ": " + ec.message());
        t.isFile = true;
        t.path = canon;
        t.key = prefix + "file://" + canon.string();
        return t;
    }

    // Caller holds mutex. The entry for key when the request may use it, else nullptr.
    CacheEntry* usable(const Target& t, const FetchRequest& req, TimePoint now) {
        auto it = index.find(t.key);
        if (it == index.end()) return nullptr;
        CacheEntry& e = *it->second;
        const Duration age = e.freshness.initialAge + (now - e.storedAt);
        if (req.maxAge && age >= *req.maxAge) return nullptr;
        if (e.isFile) {
            if (e.size != t.size || e.mtime != t.mtime) return nullptr;
        } else if (age >= e.freshness.lifetime) {
            const bool staleOk = req.maxStale && !e.freshness.mustRevalidate &&
                                 age - e.freshness.lifetime <= *req.maxStale;
            if (!staleOk) return nullptr;
        }
        lru.splice(lru.begin(), lru, it->second);
        return &e;
    }

    void serve(Kind kind, const FetchRequest& req, RealClock::time_point deadline, Deliver& done) {
        if (RealClock::now() >= deadline)
            return finishError(done, notRetrieved(req.loc + ": timed out"));
        if (auto st = checkType(kind, req); !st) return finishError(done, st.error());
        auto target = resolve(kind, req);
        if (!target) return finishError(done, target.error());
        const Target& t = *target;

        std::optional<Freshness> validators;
        Body cachedBody;
        std::optional<Body> hit;
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (CacheEntry* e = usable(t, req, config.clock())) {
                ++stats.hits;
                hit = e->body;
            } else if (auto in = inflight.find(t.key); in != inflight.end()) {
                ++stats.coalesced;
                in->second.waiters.push_back(std::move(done));
                return;
            } else {
                inflight[t.key].waiters.push_back(std::move(done));
                ++stats.misses;
                if (auto it = index.find(t.key); it != index.end() && !t.isFile &&
                                                 (!it->second->freshness.etag.empty() ||
                                                  !it->second->freshness.lastModified.empty())) {
                    validators = it->second->freshness;
                    cachedBody = it->second->body;
                }
            }
        }
        if (hit) return done(std::move(*hit));

        Outcome outcome = Error();
        Freshness fresh;
        bool revalidated = false;
        if (t.isFile) {
            outcome = loadFile(kind, t);
        } else {
            auto got = httpGet(t.uri, deadline, validators ? &*validators : nullptr);
            if (!got) {
                outcome = got.error();
            } else if (got->status == 304) {
                revalidated = true;
                fresh = got->freshness;
                outcome = cachedBody;
            } else {
                fresh = got->freshness;
                outcome = decodeBody(kind, t.uri.toString(), std::move(got->body));
            }
        }
        complete(t, outcome, fresh, revalidated);
    }

    Outcome loadFile(Kind kind, const Target& t) const {
        if (t.size > config.maxResourceBytes) {
            return notRetrieved(t.path.string() + " is larger than " +
                                std::to_string(config.maxResourceBytes) + " bytes");
        }
        std::ifstream in(t.path, std::ios::binary);
        if (!in) return notRetrieved("cannot read " + t.path.string());
        std::string bytes(static_cast<std::size_t>(t.size), '\0');
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        bytes.resize(static_cast<std::size_t>(in.gcount()));
        if (in.bad()) return notRetrieved("cannot read " + t.path.string());
        return decodeBody(kind, t.path.string(), std::move(bytes));
    }

    Outcome decodeBody(Kind kind, const std::string& origin, std::string bytes) const {
        Body b;
        if (kind == Kind::Text) {
            b.text = std::make_shared<const std::string>(std::move(bytes));
            return b;
        }
        auto pcm = decodeWav(bytes, origin, WavLimits{config.maxResourceBytes, kMaxWavDuration});
        // The reason names the resource, as the 409s do: a prompt may have several.
        if (!pcm) return Error(pcm.error().code, origin + ": " + pcm.error().message);
        b.audio = std::make_shared<const PcmAudio>(std::move(*pcm));
        return b;
    }

    void complete(const Target& t, Outcome& outcome, const Freshness& fresh, bool revalidated) {
        std::vector<Deliver> waiters;
        {
            std::lock_guard<std::mutex> lock(mutex);
            auto in = inflight.find(t.key);
            waiters = std::move(in->second.waiters);
            inflight.erase(in);
            if (!outcome) {
                stats.errors += waiters.size();
            } else if (revalidated) {
                ++stats.revalidated;
                if (auto it = index.find(t.key); it == index.end()) {
                    store(t, outcome.value(), fresh);
                } else {
                    CacheEntry& e = *it->second;
                    e.storedAt = config.clock();
                    Freshness merged = e.freshness;
                    merged.initialAge = fresh.initialAge;
                    if (fresh.explicitLifetime) {
                        merged.lifetime = fresh.lifetime;
                        merged.explicitLifetime = true;
                        merged.mustRevalidate = fresh.mustRevalidate;
                    }
                    if (!fresh.etag.empty()) merged.etag = fresh.etag;
                    if (!fresh.lastModified.empty()) merged.lastModified = fresh.lastModified;
                    e.freshness = merged;
                }
            } else {
                store(t, outcome.value(), fresh);
            }
        }
        if (stopping && !outcome) outcome = notRetrieved("shutting down");
        for (auto& w : waiters) w(outcome);
    }

    // Caller holds mutex.
    void store(const Target& t, const Body& body, const Freshness& fresh) {
        erase(t.key);
        if (!t.isFile && !fresh.store) return;
        const std::size_t bytes =
            body.audio ? body.audio->samples.size() * sizeof(std::int16_t) + sizeof(PcmAudio)
                       : body.text->size() + sizeof(std::string);
        if (bytes > config.cacheBytes) return;
        while (cachedBytes + bytes > config.cacheBytes && !lru.empty()) erase(lru.back().key);
        CacheEntry e;
        e.key = t.key;
        e.body = body;
        e.bytes = bytes;
        e.isFile = t.isFile;
        e.size = t.size;
        e.mtime = t.mtime;
        e.storedAt = config.clock();
        e.freshness = fresh;
        lru.push_front(std::move(e));
        index[t.key] = lru.begin();
        cachedBytes += bytes;
        stats.cachedBytes = cachedBytes;
    }

    // Caller holds mutex.
    void erase(const std::string& key) {
        auto it = index.find(key);
        if (it == index.end()) return;
        cachedBytes -= it->second->bytes;
        lru.erase(it->second);
        index.erase(it);
        stats.cachedBytes = cachedBytes;
    }

    // ---- HTTP ----

    common::Result<std::unique_ptr<Poco::Net::HTTPClientSession>> session(const Poco::URI& uri) {
        const std::string scheme = lower(uri.getScheme());
        if (scheme == "http") {
            return std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        }
        if (scheme == "https") {
            if (!tls) return notRetrieved("TLS not available: " + tlsError);
            return std::unique_ptr<Poco::Net::HTTPClientSession>(
                new Poco::Net::HTTPSClientSession(uri.getHost(), uri.getPort(), tls));
        }
        return Error(status::kUnsupportedUriScheme, "URI scheme '" + scheme + "' not supported");
    }

    Error transferError(const Poco::URI& uri, RealClock::time_point deadline,
                        const std::string& what) const {
        if (stopping) return notRetrieved("shutting down");
        if (RealClock::now() >= deadline) return notRetrieved(uri.toString() + ": timed out");
        return notRetrieved(uri.toString() + ": " + what);
    }

    common::Result<HttpBody> httpGet(Poco::URI uri, RealClock::time_point deadline,
                                     const Freshness* validators) {
        for (int hop = 0;; ++hop) {
            if (RealClock::now() >= deadline) return notRetrieved(uri.toString() + ": timed out");
            auto s = session(uri);
            if (!s) return s.error();
            Poco::Net::HTTPClientSession& sess = **s;
            try {
                const Poco::Timespan left = remainingSpan(deadline);
                sess.setTimeout(left, left, left);
                sess.setKeepAlive(false);
                std::string path = uri.getPathAndQuery();
                if (path.empty()) path = "/";
                Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path,
                                           Poco::Net::HTTPMessage::HTTP_1_1);
                req.set("User-Agent", "parley-ms");
                if (validators) {
                    if (!validators->etag.empty()) req.set("If-None-Match", validators->etag);
                    if (!validators->lastModified.empty()) {
                        req.set("If-Modified-Since", validators->lastModified);
                    }
                }
                sess.sendRequest(req);
                WatchGuard guard(*watchdog, sess.socket().impl()->sockfd(), deadline);
                Poco::Net::HTTPResponse resp;
                std::istream& rs = sess.receiveResponse(resp);
                const int code = resp.getStatus();
                if (isRedirect(code) && resp.has("Location")) {
                    if (hop >= kMaxRedirects)
                        return notRetrieved(uri.toString() + ": too many redirects");
                    Poco::URI next(uri);
                    next.resolve(resp.get("Location"));
                    const std::string ns = lower(next.getScheme());
                    if (ns != "http" && ns != "https") {
                        return notRetrieved(uri.toString() + ": redirect to " + next.toString() +
                                            " refused");
                    }
                    next.setFragment("");
                    uri = next;
                    continue;
                }
                HttpBody out;
                out.status = code;
                if (code == 304 && validators) {
                    out.freshness = parseFreshness(resp);
                    return out;
                }
                if (code != 200) {
                    return notRetrieved(uri.toString() + ": HTTP " + std::to_string(code) + " " +
                                        resp.getReason());
                }
                if (resp.hasContentLength() &&
                    resp.getContentLength64() > static_cast<Poco::Int64>(config.maxResourceBytes)) {
                    return notRetrieved(uri.toString() + ": larger than " +
                                        std::to_string(config.maxResourceBytes) + " bytes");
                }
                std::vector<char> buf(kReadChunk);
                while (rs) {
                    rs.read(buf.data(), static_cast<std::streamsize>(buf.size()));
                    out.body.append(buf.data(), static_cast<std::size_t>(rs.gcount()));
                    if (out.body.size() > config.maxResourceBytes) {
                        return notRetrieved(uri.toString() + ": larger than " +
                                            std::to_string(config.maxResourceBytes) + " bytes");
                    }
                }
                if (rs.bad()) return transferError(uri, deadline, "connection failed");
                if (resp.hasContentLength() &&
                    static_cast<Poco::Int64>(out.body.size()) != resp.getContentLength64()) {
                    return transferError(uri, deadline, "body truncated");
                }
                if (RealClock::now() >= deadline)
                    return notRetrieved(uri.toString() + ": timed out");
                out.freshness = parseFreshness(resp);
                return out;
            } catch (const Poco::TimeoutException&) {
                return notRetrieved(uri.toString() + ": timed out");
            } catch (const Poco::Exception& e) {
                return transferError(uri, deadline, e.displayText());
            } catch (const std::exception& e) {
                return transferError(uri, deadline, e.what());
            }
        }
    }

    common::Status put(Poco::URI uri, const fs::path& file, const std::string& contentType,
                       RealClock::time_point deadline) {
        constexpr int kFailed = status::kOtherExecutionError;
        const std::string scheme = lower(uri.getScheme());
        if (scheme != "http" && scheme != "https") {
            return Error(status::kUnsupportedUriScheme, "upload to '" + scheme + "' not supported");
        }
        std::error_code ec;
        const auto size = fs::file_size(file, ec);
        if (ec) return Error(kFailed, "cannot upload " + file.string() + ": " + ec.message());
        for (int hop = 0;; ++hop) {
            if (RealClock::now() >= deadline) return Error(kFailed, uri.toString() + ": timed out");
            std::ifstream in(file, std::ios::binary);
            if (!in) return Error(kFailed, "cannot read " + file.string());
            auto s = session(uri);
            if (!s)
                return Error(
                    s.error().code == status::kUnsupportedUriScheme ? s.error().code : kFailed,
                    s.error().message);
            Poco::Net::HTTPClientSession& sess = **s;
            try {
                const Poco::Timespan left = remainingSpan(deadline);
                sess.setTimeout(left, left, left);
                sess.setKeepAlive(false);
                std::string path = uri.getPathAndQuery();
                if (path.empty()) path = "/";
                Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_PUT, path,
                                           Poco::Net::HTTPMessage::HTTP_1_1);
                req.set("User-Agent", "parley-ms");
                req.setContentType(contentType);
                req.setContentLength64(static_cast<Poco::Int64>(size));
                std::ostream& os = sess.sendRequest(req);
                WatchGuard guard(*watchdog, sess.socket().impl()->sockfd(), deadline);
                std::vector<char> buf(kReadChunk);
                while (in) {
                    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
                    os.write(buf.data(), in.gcount());
                    if (!os) break;
                }
                os.flush();
                if (!os) {
                    const Error e = transferError(uri, deadline, "sending the body failed");
                    return Error(kFailed, e.message);
                }
                Poco::Net::HTTPResponse resp;
                std::istream& rs = sess.receiveResponse(resp);
                rs.ignore(std::numeric_limits<std::streamsize>::max());
                const int code = resp.getStatus();
                if ((code == 307 || code == 308) && resp.has("Location") && hop < kMaxRedirects) {
                    Poco::URI next(uri);
                    next.resolve(resp.get("Location"));
                    const std::string ns = lower(next.getScheme());
                    if (ns != "http" && ns != "https") {
                        return Error(kFailed, "upload redirected to " + next.toString());
                    }
                    uri = next;
                    continue;
                }
                if (code == 200 || code == 201 || code == 204) return {};
                return Error(kFailed, uri.toString() + ": HTTP " + std::to_string(code) + " " +
                                          resp.getReason());
            } catch (const Poco::TimeoutException&) {
                return Error(kFailed, uri.toString() + ": timed out");
            } catch (const Poco::Exception& e) {
                return Error(kFailed, transferError(uri, deadline, e.displayText()).message);
            } catch (const std::exception& e) {
                return Error(kFailed, transferError(uri, deadline, e.what()).message);
            }
        }
    }

    // ---- state ----

    MediaFetcherConfig config;
    fs::path root;  // canonical mediaRoot
    Poco::Net::Context::Ptr tls;
    std::string tlsError;
    std::unique_ptr<TransferWatchdog> watchdog;

    mutable std::mutex mutex;
    std::condition_variable cv;
    std::deque<Job> jobs;
    std::vector<std::thread> workers;
    bool started = false;
    std::atomic<bool> stopping{false};
    std::size_t outstanding = 0;
    std::unordered_map<std::string, Inflight> inflight;
    std::list<CacheEntry> lru;  // most recently used first
    std::unordered_map<std::string, std::list<CacheEntry>::iterator> index;
    std::size_t cachedBytes = 0;
    MediaFetcher::Stats stats;
};

// ---------------------------------------------------------------------------------------

MediaFetcher::MediaFetcher(MediaFetcherConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}

MediaFetcher::~MediaFetcher() {
    Impl& d = *impl_;
    {
        std::lock_guard<std::mutex> lock(d.mutex);
        d.stopping = true;
    }
    d.cv.notify_all();
    if (d.watchdog) d.watchdog->abortAll();
    for (auto& t : d.workers) t.join();
    // Never started (or raced with the last worker): answer what is left here.
    std::deque<Impl::Job> left;
    {
        std::lock_guard<std::mutex> lock(d.mutex);
        left.swap(d.jobs);
    }
    for (auto& job : left) job.cancel(notRetrieved("shutting down"));
    d.watchdog.reset();
}

common::Status MediaFetcher::start() {
    Impl& d = *impl_;
    if (d.started) return {};
    if (!d.config.mediaRoot.empty()) {
        std::error_code ec;
        d.root = fs::canonical(d.config.mediaRoot, ec);
        if (ec || !fs::is_directory(d.root)) {
            // Not fatal: http(s) prompts still work; every file request is refused (409).
            d.root.clear();
            PARLEY_LOG_WARN(log(), "media root " << d.config.mediaRoot.string()
                                                 << " is not a directory: file prompts fail");
        }
    }
    static std::once_flag sslInit;
    std::call_once(sslInit, [] { Poco::Net::initializeSSL(); });
    try {
        // VERIFY_STRICT: the chain is verified (SSL_VERIFY_PEER) and so is the host name, even
        // for loopback names, which Poco's VERIFY_RELAXED would let through unchecked.
        d.tls = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "",
                                       d.config.tlsCaLocation, Poco::Net::Context::VERIFY_STRICT, 9,
                                       true);
    } catch (const Poco::Exception& e) {
        d.tlsError = e.displayText();
        PARLEY_LOG_WARN(log(), "https prompts unavailable: " << d.tlsError);
    }
    try {
        d.watchdog = std::make_unique<TransferWatchdog>();
        for (std::size_t i = 0; i < d.config.threads; ++i) {
            d.workers.emplace_back([&d] { d.workerLoop(); });
        }
    } catch (const std::system_error& e) {
        return Error(status::kResourceNotRetrieved,
                     std::string("media fetcher threads: ") + e.what());
    }
    d.started = true;
    return {};
}

void MediaFetcher::fetchAudio(FetchRequest req, AudioCallback done) {
    impl_->request(Impl::Kind::Audio, std::move(req), [done = std::move(done)](Impl::Outcome o) {
        if (!o) return done(o.error());
        done(o->audio);
    });
}

void MediaFetcher::fetchText(FetchRequest req, TextCallback done) {
    impl_->request(Impl::Kind::Text, std::move(req), [done = std::move(done)](Impl::Outcome o) {
        if (!o) return done(o.error());
        done(*o->text);
    });
}

void MediaFetcher::upload(std::string url, std::filesystem::path file, std::string contentType,
                          std::chrono::milliseconds timeout,
                          std::function<void(common::Status)> done) {
    Impl& d = *impl_;
    const auto deadline = RealClock::now() + timeout;
    auto shared = std::make_shared<std::function<void(common::Status)>>(std::move(done));
    if (!d.admit()) {
        d.post(Impl::Job{
            [shared] { Impl::invoke(*shared, Error(status::kOtherExecutionError, "busy")); },
            [shared](Error e) { Impl::invoke(*shared, std::move(e)); }});
        return;
    }
    auto args = std::make_shared<std::tuple<std::string, fs::path, std::string>>(
        std::move(url), std::move(file), std::move(contentType));
    d.post(Impl::Job{[&d, shared, args, deadline] {
                         common::Status st;
                         try {
                             st = d.put(Poco::URI(std::get<0>(*args)), std::get<1>(*args),
                                        std::get<2>(*args), deadline);
                         } catch (const Poco::Exception& e) {
                             st = Error(status::kOtherExecutionError,
                                        "bad upload URI: " + e.displayText());
                         }
                         d.release();
                         if (!st) {
                             std::lock_guard<std::mutex> lock(d.mutex);
                             ++d.stats.errors;
                         }
                         Impl::invoke(*shared, std::move(st));
                     },
                     [&d, shared](Error e) {
                         d.release();
                         Impl::invoke(*shared, Error(status::kOtherExecutionError, e.message));
                     }});
}

MediaFetcher::Stats MediaFetcher::stats() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->stats;
}

const std::filesystem::path& MediaFetcher::mediaRoot() const {
    return impl_->config.mediaRoot;
}

}  // namespace parley::ms::ivr

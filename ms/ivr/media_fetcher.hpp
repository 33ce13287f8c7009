#pragma once
// MediaFetcher: fetches, decodes and caches what IVR dialogs play and parse (prompts as
// PcmAudio, SRGS grammars as text), and uploads finished recordings, on threads of its own.
//
// Threads: fetchAudio()/fetchText()/upload()/stats() may be called from any thread. Every
// callback runs exactly once, on a fetcher thread, never inside the call that asked for it.
// The destructor aborts transfers in progress, joins its threads and gives every request
// not yet answered Error{409, "shutting down"} (on a fetcher thread, or on the destroying
// thread when start() was never called).
//
// Locations: `loc` is resolved against `base` (xml:base) when relative (Poco::URI).
// - file: URIs and scheme-less paths (relative ones are relative to mediaRoot): the
//   canonical path (symlinks resolved, %2e%2e decoded) must lie under mediaRoot, else
//   Error{409, "... outside the media root"}; missing or unreadable files are 409.
// - http/https (Poco; HTTPS verifies the server's certificate chain against the system CAs
//   and its host name; tlsCaLocation adds a private CA): up to 5 redirects, a status other than 200
//   is 409 with the status, the whole request (connect, redirects, body) is bounded by `timeout`
//   (409 "timed out"), a body over maxResourceBytes is 409.
// - any other scheme: Error{420}.
// - fetchAudio with `type` not a WAV type (audio/wav, audio/x-wav, audio/wave,
//   audio/vnd.wave) is 422, and so is anything decodeWav() refuses; fetchText with `type`
//   other than application/srgs+xml is 424.
// Cache: decoded audio and texts keyed by absolute URI (files: by canonical path), LRU
// evicted by bytes (cacheBytes). HTTP freshness from Cache-Control (max-age, s-maxage,
// no-cache, no-store, must-revalidate), Expires/Date and Age; a stale entry with a
// validator (ETag, Last-Modified) is revalidated with a conditional GET. The request's
// maxAge (use only entries younger than it) and maxStale (accept entries up to that long
// past their freshness) apply as in HTTP/1.1 (RFC 2616 section 14.9.3). File entries are
// valid while the file's mtime and size match (maxAge applies to them too). Concurrent
// requests for one URI share one fetch (the first request's timeout governs it). At most
// maxPending requests are outstanding; beyond that Error{409, "busy"}.
// Upload: HTTP(S) PUT of a file (RFC 6231 recording to an http URI); 200, 201 and 204 are
// success, 307/308 redirects are followed, a scheme other than http/https is 420 and any
// other failure 419.
// The process must ignore SIGPIPE (parley-ms does): a peer that closes mid-transfer would
// otherwise kill it from inside Poco's send().

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "ms/ivr/pcm_audio.hpp"

namespace parley::ms::ivr {

struct MediaFetcherConfig {
    std::filesystem::path mediaRoot;
    std::size_t cacheBytes = 128u << 20;
    std::size_t maxResourceBytes = 32u << 20;
    std::size_t threads = 2;
    std::size_t maxPending = 512;
    // Extra CA certificates (a PEM file or a hashed directory) trusted for https besides the
    // system's; empty: the system's only.
    std::string tlsCaLocation;
    // Time for cache freshness (tests drive it); empty: the steady clock. Transfer
    // timeouts always use the real clock.
    std::function<common::TimePoint()> clock;
};

// audio/wav, audio/x-wav, audio/wave, audio/vnd.wave (parameters and case ignored).
bool isWavType(std::string_view type);

// The local file a `file:` URI or a bare path names: percent-decoded, "file://localhost/"
// accepted and other hosts refused (409), other schemes 420; a relative path is taken under
// `root`; the result (symlinks of its existing part resolved) must lie inside `root`, else
// Error{409, "... is outside <rootName>"}. The file itself need not exist (recordings are
// created there). Used for prompts (media root) and record targets (record directory).
common::Result<std::filesystem::path> localPathUnder(std::string_view loc,
                                                     const std::filesystem::path& root,
                                                     std::string_view rootName);

struct FetchRequest {
    std::string loc;
    std::string base;  // xml:base, may be ""
    std::chrono::milliseconds timeout{30000};
    std::optional<std::chrono::seconds> maxAge, maxStale;
    std::optional<std::string> type;  // <media type>, checked when given
};

class MediaFetcher {
  public:
    explicit MediaFetcher(MediaFetcherConfig config);
    ~MediaFetcher();
    MediaFetcher(const MediaFetcher&) = delete;
    MediaFetcher& operator=(const MediaFetcher&) = delete;

    // Starts the threads (requests made before are queued). Error only when a thread cannot
    // be started. A mediaRoot that is not an existing directory is logged, and every file
    // request then fails with 409 (http(s) still works).
    common::Status start();

    using AudioCallback = std::function<void(common::Result<PcmAudioPtr>)>;
    using TextCallback = std::function<void(common::Result<std::string>)>;

    void fetchAudio(FetchRequest req, AudioCallback done);
    void fetchText(FetchRequest req, TextCallback done);

    void upload(std::string url, std::filesystem::path file, std::string contentType,
                std::chrono::milliseconds timeout, std::function<void(common::Status)> done);

    struct Stats {
        std::uint64_t hits = 0;         // answered from the cache
        std::uint64_t misses = 0;       // fetched (file read or HTTP GET)
        std::uint64_t errors = 0;       // requests answered with an error
        std::uint64_t cachedBytes = 0;  // decoded bytes held
        std::uint64_t coalesced = 0;    // answered by joining another request's fetch
        std::uint64_t revalidated = 0;  // stale entries confirmed by a 304
    };
    Stats stats() const;

    const std::filesystem::path& mediaRoot() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace parley::ms::ivr

#pragma once
// Helpers for the ms_ivr audio tests: temporary directories, WAV files built from scratch in
// any format, tone analysis, and a Poco HTTP server on 127.0.0.1 port 0 with a route table.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include "tests/support/http_test_server.hpp"
#include "tests/support/process.hpp"

namespace parley::test::audio {

using parley::test::TempDir;

void writeFile(const std::filesystem::path& p, const std::string& bytes);
std::string readBytes(const std::filesystem::path& p);

// A sine of `freq` Hz, amplitude `amp` (full scale 1.0).
std::vector<double> tone(double freq, std::uint32_t rate, std::size_t count, double amp = 0.5);

enum class Fmt { U8, S16, S24, S32, F32, Ulaw, Alaw };

struct WavSpec {
    Fmt fmt = Fmt::S16;
    std::uint16_t channels = 1;
    std::uint32_t rate = 8000;
    bool extensible = false;
};

// A WAV file of `frames` (per channel: frames[ch][i]), values in -1..1.
std::string makeWav(const WavSpec& spec, const std::vector<std::vector<double>>& channels);
std::string makeWav(const WavSpec& spec, const std::vector<double>& mono);

// Relative power of `freq` in the signal (Goertzel), normalized by the signal's energy.
double toneShare(std::span<const std::int16_t> s, double freq, std::uint32_t rate);
std::size_t zeroCrossings(std::span<const std::int16_t> s);

// Waits for a value handed over from another thread, bounded.
template <typename T>
class Handoff {
  public:
    void set(T v) {
        std::lock_guard<std::mutex> lock(m_);
        if (!done_) {
            done_ = true;
            p_.set_value(std::move(v));
        }
    }
    // Empty when nothing came within `timeout`.
    std::optional<T> wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        if (f_.wait_for(timeout) != std::future_status::ready) return std::nullopt;
        return f_.get();
    }

  private:
    std::mutex m_;
    bool done_ = false;
    std::promise<T> p_;
    std::future<T> f_ = p_.get_future();
};

using parley::test::TestHttpServer;

}  // namespace parley::test::audio

#pragma once
// What the scripted-call e2e tests share: the customer's application as a web server
// written in the test (WebhookApp), and the rooms-file route entries that point at it.
//
// WebhookApp keeps every POST body per path; a path answers 200 application/json with the
// instructions it was given ("" until answer() names it). toneWav() serves a tone as an
// 8 kHz 16-bit mono WAV for the verbs that play media. Thread-safe: the server's threads
// record, the test thread waits (waitBody) and reads.

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/http_test_server.hpp"
#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/tone_generator.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::focus {

// One route object for the rooms file's "routes".
inline std::string route(const std::string& id, const std::string& match, const std::string& kind,
                         const std::string& target, const std::string& eventsUrl = "") {
    return "{\"id\":\"" + id + "\",\"match\":\"" + match + "\",\"kind\":\"" + kind + "\",\"target\":\"" +
           target + "\",\"eventsUrl\":\"" + eventsUrl + "\",\"priority\":10}";
}

class WebhookApp {
  public:
    void answer(const std::string& path, std::string instructions) {
        {
            std::lock_guard lock(m_);
            answers_[path] = std::move(instructions);
        }
        server_.route(path, [this, path](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) {
            std::ostringstream in;
            in << req.stream().rdbuf();
            std::string reply;
            {
                std::lock_guard lock(m_);
                bodies_[path].push_back(in.str());
                reply = answers_[path];
            }
            cv_.notify_all();
            res.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
            res.setContentType("application/json");
            res.setContentLength(static_cast<std::streamsize>(reply.size()));
            res.send() << reply;
        });
    }

    // Serves a tone of `seconds` at `freq` at `path` (the file is written in `dir`); its URL.
    std::string toneWav(const std::filesystem::path& dir, const std::string& path, double freq,
                        double seconds) {
        const auto file = dir / ("served-" + std::to_string(static_cast<int>(freq)) + ".wav");
        if (!writeWavPcm16(file, makeTone(freq, -20, seconds)))
            throw std::runtime_error("cannot write " + file.string());
        server_.serve(path, readFile(file), "audio/wav");
        return server_.url(path);
    }

    std::string url(const std::string& path) const { return server_.url(path); }
    int hits(const std::string& path) const { return server_.hits(path); }

    // The first body POSTed to `path` containing `needle`; nullopt at the deadline.
    std::optional<std::string> waitBody(const std::string& path, const std::string& needle,
                                        std::chrono::milliseconds timeout) {
        std::unique_lock lock(m_);
        std::optional<std::string> found;
        cv_.wait_for(lock, timeout, [&] {
            for (const auto& b : bodies_[path])
                if (b.find(needle) != std::string::npos) {
                    found = b;
                    return true;
                }
            return false;
        });
        return found;
    }
    // Every body POSTed to `path`, one per line (for failure messages).
    std::string all(const std::string& path) {
        std::lock_guard lock(m_);
        std::string s;
        for (const auto& b : bodies_[path]) s += b + "\n";
        return s;
    }

  private:
    std::mutex m_;
    std::condition_variable cv_;
    std::map<std::string, std::string> answers_;
    std::map<std::string, std::vector<std::string>> bodies_;
    TestHttpServer server_;
};

}  // namespace parley::test::focus

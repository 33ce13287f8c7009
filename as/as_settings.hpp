#pragma once
// parley-as settings: every command-line flag (or config-file key) and its checked value.

#include <cstdint>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/log.hpp"
#include "common/net.hpp"
#include "common/result.hpp"

namespace parley::as {

struct AsSettings {
    std::string sipListen;              // HOST:PORT for SIP over UDP and TCP (port 0: any)
    std::vector<std::string> mediaServers;  // SIP URIs, one control channel each
    common::SocketAddress httpListen;   // REST API (port 0: any)
    std::string db;                     // sqlite:PATH or postgresql://...; used by the store
    std::uint32_t cfwKeepAlive = 100;   // Keep-Alive asked for in SYNC, seconds
    std::string roomsFile;              // JSON rooms imported into the store at start; "" none
    std::string promptBase;             // URI prefix of the focus's prompts on the MS, ends in '/'
    std::string conferenceFactory = "conference";  // user part of the factory URI (RFC 4579)
    std::uint32_t sessionExpires = 1800;  // RFC 4028 session interval, 0: off
    std::uint32_t maxCalls = 2000;      // participants at once, all rooms together
    bool earlyMedia = false;            // 183 with the MS's SDP, 200 when let into the room
    std::vector<std::string> apiTokens; // REST bearer tokens
    double apiRate = 50;                // REST requests/s per client address, 0: no limit
    std::string webhookSecret;          // HMAC-SHA256 key of event webhooks
    std::string webhookCa;              // PEM CA file for https webhooks ("" : system CAs only)
    std::string msHttpBase;             // recording downloads: the MS's HTTP base as clients see it
    common::LogLevel logLevel = common::LogLevel::Info;
};

std::vector<common::OptionSpec> asOptionSpecs();
common::Result<AsSettings> asSettingsFrom(const common::Config& config);

// Accepts "sqlite:PATH" (PATH non-empty) and "postgresql://..." / "postgres://...".
common::Status checkDatabaseUri(const std::string& uri);
// Accepts "sip:" or "sips:" URIs with a host part.
common::Status checkSipUri(const std::string& uri);

}  // namespace parley::as

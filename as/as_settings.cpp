#include "as/as_settings.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace parley::as {

using common::Error;

std::vector<common::OptionSpec> asOptionSpecs() {
    return {
        {"sip-listen", "HOST:PORT", "127.0.0.1:5060", "SIP over UDP and TCP (port 0: any free port)", false},
        {"ms", "SIP-URI", "", "a media server to keep a control channel with, e.g. sip:ms@127.0.0.1:5070", true},
        {"http-listen", "HOST:PORT", "127.0.0.1:8080", "REST API (port 0: any free port)", false},
        {"db", "URI", "sqlite:/var/lib/parley/parley-as.db",
         "room store, sqlite:PATH (created when missing)", false},
        {"rooms", "FILE", "", "JSON rooms file imported into the store at start ({\"rooms\":[...]})", false},
        {"prompts", "URI", "file:///var/lib/parley/media/prompts/en-US/",
         "where the focus's prompts (enter-pin.wav, moh.wav...) are on the media servers", false},
        {"conference-factory", "USER", "conference",
         "user part of the conference factory URI: an INVITE to it makes an ad-hoc room", false},
        {"session-expires", "SECONDS", "1800", "RFC 4028 session interval on calls (0: off, else 90..86400)", false},
        {"max-calls", "N", "2000", "participants at once in all rooms (1..100000)", false},
        {"api-token", "TOKEN", "",
         "bearer token for the REST API (repeatable); none: the API answers only on a loopback listener",
         true},
        {"api-rate", "N", "50", "REST requests per second per client address (0: no limit)", false},
        {"webhook-secret", "SECRET", "", "shared secret of the event webhooks' HMAC-SHA256 signature", false},
        {"webhook-ca", "FILE", "",
         "PEM CA certificates trusted for https webhooks besides the system's (private CA, self-signed)",
         false},
        {"ms-http", "URL", "", "base URL of the media server's HTTP listener as clients reach it "
                               "(recording downloads); empty: as the media server reports it", false},
        {"early-media", "", "",
         "callers hear the PIN prompt in early media (183) and get 200 only when let in; "
         "off: 180 ringback, 200 as soon as the media server answered",
         false},
        {"cfw-keepalive", "SECONDS", "100", "Keep-Alive asked for on control channels (1..600)", false},
        {"log-level", "LEVEL", "info", "trace, debug, info, notice, warning, error", false},
    };
}

common::Status checkDatabaseUri(const std::string& uri) {
    const std::string sqlite = "sqlite:";
    if (uri.rfind(sqlite, 0) == 0) {
        if (uri.size() == sqlite.size()) return Error(2, "--db sqlite: needs a path, e.g. sqlite:/var/lib/parley/as.db");
        return {};
    }
    for (const std::string prefix : {"postgresql://", "postgres://"}) {
        if (uri.rfind(prefix, 0) == 0) {
            if (uri.size() == prefix.size()) return Error(2, "--db " + prefix + " needs a host or database");
            return {};
        }
    }
    return Error(2, "--db must be sqlite:PATH or postgresql://..., not '" + uri + "'");
}

common::Status checkSipUri(const std::string& uri) {
    std::string rest;
    if (uri.rfind("sip:", 0) == 0) {
        rest = uri.substr(4);
    } else if (uri.rfind("sips:", 0) == 0) {
        rest = uri.substr(5);
    } else {
        return Error(2, "--ms must be a sip: or sips: URI, not '" + uri + "'");
    }
    auto at = rest.find('@');
    std::string host = at == std::string::npos ? rest : rest.substr(at + 1);
    host = host.substr(0, host.find_first_of(";?"));
    bool bad = host.empty() || host[0] == ':' ||
               std::any_of(uri.begin(), uri.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
    if (bad) return Error(2, "--ms URI '" + uri + "' has no host");
    return {};
}

common::Result<AsSettings> asSettingsFrom(const common::Config& c) {
    AsSettings s;
    s.sipListen = c.get("sip-listen");
    if (auto hp = common::splitHostPort(s.sipListen); !hp) return Error(2, "--sip-listen: " + hp.error().message);

    for (const auto& uri : c.getAll("ms")) {
        if (auto ok = checkSipUri(uri); !ok) return ok.error();
        if (std::find(s.mediaServers.begin(), s.mediaServers.end(), uri) != s.mediaServers.end())
            return Error(2, "--ms " + uri + " given twice");
        s.mediaServers.push_back(uri);
    }

    auto http = common::SocketAddress::parse(c.get("http-listen"));
    if (!http) return Error(2, "--http-listen: " + http.error().message);
    s.httpListen = *http;

    s.db = c.get("db");
    if (auto ok = checkDatabaseUri(s.db); !ok) return ok.error();

    auto ka = c.getInt("cfw-keepalive", 1, 600);
    if (!ka) return ka.error();
    s.cfwKeepAlive = static_cast<std::uint32_t>(*ka);

    s.roomsFile = c.get("rooms");
    s.promptBase = c.get("prompts");
    if (s.promptBase.empty() || s.promptBase.find(':') == std::string::npos ||
        std::any_of(s.promptBase.begin(), s.promptBase.end(), [](unsigned char ch) { return ch <= ' '; }))
        return Error(2, "--prompts must be a URI such as file:///var/lib/parley/media/prompts/en-US/");
    if (s.promptBase.back() != '/') s.promptBase += '/';
    s.conferenceFactory = c.get("conference-factory");
    if (s.conferenceFactory.empty() ||
        !std::all_of(s.conferenceFactory.begin(), s.conferenceFactory.end(), [](unsigned char ch) {
            return std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~';
        }))
        return Error(2, "--conference-factory must be a SIP user part ([A-Za-z0-9._~-]+)");
    auto se = c.getInt("session-expires", 0, 86400);
    if (!se) return se.error();
    if (*se != 0 && *se < 90) return Error(2, "--session-expires must be 0 (off) or at least 90 (RFC 4028 Min-SE)");
    s.sessionExpires = static_cast<std::uint32_t>(*se);
    auto calls = c.getInt("max-calls", 1, 100000);
    if (!calls) return calls.error();
    s.maxCalls = static_cast<std::uint32_t>(*calls);
    s.earlyMedia = c.getSwitch("early-media");
    for (const auto& token : c.getAll("api-token")) {
        if (token.size() < 16 || std::any_of(token.begin(), token.end(), [](unsigned char ch) { return ch <= ' ' || ch >= 0x7f; }))
            return Error(2, "--api-token must be at least 16 printable characters without spaces");
        s.apiTokens.push_back(token);
    }
    auto rate = c.getInt("api-rate", 0, 100000);
    if (!rate) return rate.error();
    s.apiRate = static_cast<double>(*rate);
    s.webhookSecret = c.get("webhook-secret");
    s.webhookCa = c.get("webhook-ca");
    if (!s.webhookCa.empty() && ::access(s.webhookCa.c_str(), R_OK) != 0)
        return Error(2, "--webhook-ca: cannot read " + s.webhookCa);
    s.msHttpBase = c.get("ms-http");
    if (!s.msHttpBase.empty() && s.msHttpBase.rfind("http://", 0) != 0 && s.msHttpBase.rfind("https://", 0) != 0)
        return Error(2, "--ms-http must be an http:// or https:// URL");

    if (!common::parseLogLevel(c.get("log-level"), s.logLevel))
        return Error(2, "--log-level must be trace, debug, info, notice, warning or error, not '" +
                            c.get("log-level") + "'");
    return s;
}

}  // namespace parley::as

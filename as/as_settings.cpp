#include "as/as_settings.hpp"

#include <algorithm>

namespace parley::as {

using common::Error;

std::vector<common::OptionSpec> asOptionSpecs() {
    return {
        {"sip-listen", "HOST:PORT", "127.0.0.1:5060", "SIP over UDP and TCP (port 0: any free port)", false},
        {"ms", "SIP-URI", "", "a media server to keep a control channel with, e.g. sip:ms@127.0.0.1:5070", true},
        {"http-listen", "HOST:PORT", "127.0.0.1:8080", "REST API (port 0: any free port)", false},
        {"db", "URI", "sqlite:/var/lib/parley/parley-as.db",
         "database, sqlite:PATH or postgresql://...; checked now, used by the conference store "
         "of a later release",
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

    if (!common::parseLogLevel(c.get("log-level"), s.logLevel))
        return Error(2, "--log-level must be trace, debug, info, notice, warning or error, not '" +
                            c.get("log-level") + "'");
    return s;
}

}  // namespace parley::as

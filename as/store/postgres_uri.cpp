#include "as/store/postgres_uri.hpp"

#include <cstdio>
#include <utility>
#include <vector>

namespace parley::as {

using common::Error;
using common::Result;

namespace {


int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Result<std::string> percentDecode(std::string_view what, std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        const bool room = i + 2 < text.size();
        int hi = room ? hexValue(text[i + 1]) : -1;
        int lo = room ? hexValue(text[i + 2]) : -1;
        if (hi < 0 || lo < 0)
            return Error(400, std::string(what) + ": bad percent escape at position " +
                                  std::to_string(i + 1));
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

bool isKeyword(std::string_view key) {
    if (key.empty() || key.size() > 64) return false;
    for (char c : key)
        if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
    return true;
}

// A value as libpq reads it unquoted: backslash before quotes and backslashes.
Result<std::string> connValue(std::string_view key, const std::string& value) {
    std::string out;
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f)
            return Error(400, std::string(key) +
                                  ": spaces and control characters cannot be passed to "
                                  "PostgreSQL through this driver");
        if (c == '\\' || c == '\'') out += '\\';
        out += c;
    }
    return out;
}

struct Parts {
    std::vector<std::pair<std::string, std::string>> items;

    void set(const std::string& key, std::string value) {
        for (auto& item : items)
            if (item.first == key) {
                item.second = std::move(value);
                return;
            }
        items.emplace_back(key, std::move(value));
    }
};

// The offset of the authority's end and of the query ('?') in `rest` (after "scheme://").
std::size_t authorityEnd(std::string_view rest) {
    std::size_t end = rest.find_first_of("/?");
    return end == std::string_view::npos ? rest.size() : end;
}

}  // namespace

bool isPostgresUri(std::string_view uri) {
    return startsWithCaseless(uri, "postgresql://") || startsWithCaseless(uri, "postgres://");
}

Result<std::string> postgresConnectionString(std::string_view uri) {
    if (!isPostgresUri(uri)) return Error(400, "not a postgresql:// or postgres:// URI");
    std::string_view rest = uri.substr(uri.find("://") + 3);
    Parts parts;

    const std::size_t authEnd = authorityEnd(rest);
    std::string_view authority = rest.substr(0, authEnd);
    std::string_view tail = rest.substr(authEnd);

    std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        std::size_t colon = userinfo.find(':');
        auto user = percentDecode("user", userinfo.substr(0, colon));
        if (!user) return user.error();
        if (!user->empty()) parts.set("user", *user);
        if (colon != std::string_view::npos) {
            auto password = percentDecode("password", userinfo.substr(colon + 1));
            if (!password) return password.error();
            if (!password->empty()) parts.set("password", *password);
        }
    }
    if (!authority.empty()) {
        std::string_view host = authority;
        std::string_view port;
        if (authority.front() == '[') {
            std::size_t close = authority.find(']');
            if (close == std::string_view::npos) return Error(400, "host: '[' without ']'");
            host = authority.substr(1, close - 1);
            std::string_view after = authority.substr(close + 1);
            if (!after.empty()) {
                if (after.front() != ':') return Error(400, "host: junk after ']'");
                port = after.substr(1);
            }
        } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
        }
        auto decoded = percentDecode("host", host);
        if (!decoded) return decoded.error();
        if (!decoded->empty()) parts.set("host", *decoded);
        if (!port.empty()) {
            unsigned long value = 0;
            for (char c : port) {
                if (c < '0' || c > '9' || value > 65535)
                    return Error(400, "port: must be a number 1..65535");
                value = value * 10 + static_cast<unsigned long>(c - '0');
            }
            if (value == 0 || value > 65535) return Error(400, "port: must be a number 1..65535");
            parts.set("port", std::to_string(value));
        }
    }

    std::string_view path = tail.substr(0, tail.find('?'));
    if (path.size() > 1) {
        auto db = percentDecode("database", path.substr(1));
        if (!db) return db.error();
        parts.set("dbname", *db);
    }
    if (std::size_t q = tail.find('?'); q != std::string_view::npos) {
        std::string_view query = tail.substr(q + 1);
        while (!query.empty()) {
            std::size_t amp = query.find('&');
            std::string_view item = query.substr(0, amp);
            query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
            if (item.empty()) continue;
            std::size_t eq = item.find('=');
            if (eq == std::string_view::npos)
                return Error(
                    400, "parameter '" + std::string(item.substr(0, 64)) + "': needs key=value");
            std::string key(item.substr(0, eq));
            if (!isKeyword(key))
                return Error(
                    400, "parameter '" + key.substr(0, 64) + "': not a libpq keyword ([a-z_]+)");
            auto value = percentDecode(key, item.substr(eq + 1));
            if (!value) return value.error();
            parts.set(key, *value);
        }
    }
    if (parts.items.empty()) return Error(400, "nothing to connect to");

    std::string out;
    for (const auto& [key, value] : parts.items) {
        if (value.empty()) continue;
        auto escaped = connValue(key, value);
        if (!escaped) return escaped.error();
        if (!out.empty()) out += ' ';
        out += key + "=" + *escaped;
    }
    return out;
}

std::string hidePassword(std::string_view uri) {
    std::string out(uri);
    std::size_t scheme = out.find("://");
    if (scheme == std::string::npos) return out;
    std::size_t begin = scheme + 3;
    std::size_t end = out.find_first_of("/?", begin);
    if (end == std::string::npos) end = out.size();
    std::size_t at = out.rfind('@', end == 0 ? 0 : end - 1);
    if (at != std::string::npos && at >= begin) {
        std::size_t colon = out.find(':', begin);
        if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
    // ?password=... and &password=...
    for (std::size_t pos = out.find("password=", 0); pos != std::string::npos;
         pos = out.find("password=", pos + 1)) {
        if (pos == 0 || (out[pos - 1] != '?' && out[pos - 1] != '&')) continue;
        std::size_t valueBegin = pos + 9;
        std::size_t valueEnd = out.find('&', valueBegin);
        if (valueEnd == std::string::npos) valueEnd = out.size();
        out.replace(valueBegin, valueEnd - valueBegin, "***");
    }
    return out;
}

static char lowerAscii(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool startsWithCaseless(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (lowerAscii(text[i]) != prefix[i]) return false;
    return true;
}

}  // namespace parley::as

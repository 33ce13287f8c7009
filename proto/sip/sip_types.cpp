#include "proto/sip/sip_types.hpp"

#include <algorithm>
#include <cctype>

namespace parley::proto::sip {
namespace {

bool equalsNoCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// RFC 3261 token characters.
bool isTokenChar(char c) {
    if (std::isalnum(static_cast<unsigned char>(c))) return true;
    static constexpr std::string_view kMarks = "-.!%*_+`'~";
    return kMarks.find(c) != std::string_view::npos;
}

}  // namespace

std::string SipMessage::header(std::string_view name) const {
    for (const auto& [n, v] : otherHeaders)
        if (equalsNoCase(n, name)) return v;
    return {};
}

common::Result<std::string> renderHeaders(const HeaderList& headers) {
    std::string out;
    for (const auto& [name, value] : headers) {
        if (name.empty() || !std::all_of(name.begin(), name.end(), isTokenChar))
            return common::makeError(400, "bad SIP header name '" + name + "'");
        if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos)
            return common::makeError(400, "bad value for SIP header " + name);
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    return out;
}

std::string uriUser(std::string_view uri) {
    auto colon = uri.find(':');
    if (colon == std::string_view::npos) return {};
    auto at = uri.find('@', colon + 1);
    if (at == std::string_view::npos) return {};
    std::string user(uri.substr(colon + 1, at - colon - 1));
    if (auto semi = user.find(';'); semi != std::string::npos) user.resize(semi);
    return user;
}

}  // namespace parley::proto::sip

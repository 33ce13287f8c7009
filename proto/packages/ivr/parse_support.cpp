#include "proto/packages/ivr/parse_support.hpp"

#include <limits>

namespace parley::proto::ivr::detail {

bool ParseContext::fail(int code, std::string reason) {
    if (!error) error.emplace(code, std::move(reason));
    return false;
}

std::string quote(std::string_view value) {
    constexpr std::size_t kMax = 64;
    std::string out = "'";
    if (value.size() > kMax) {
        out.append(value.substr(0, kMax));
        out += "...";
    } else {
        out.append(value);
    }
    out += "'";
    return out;
}

bool isBlank(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string_view trimXml(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

ElementReader::ElementReader(const xml::Element& e, ParseContext& ctx)
    : e_(e), ctx_(ctx), used_(e.attributes.size(), false) {}

const std::string* ElementReader::take(std::string_view name, Need need) {
    for (std::size_t i = 0; i < e_.attributes.size(); ++i) {
        const auto& a = e_.attributes[i];
        if (a.ns.empty() && a.local == name) {
            used_[i] = true;
            return &a.value;
        }
    }
    if (need == Need::Required) missing(name);
    return nullptr;
}

bool ElementReader::missing(std::string_view name) {
    return ctx_.fail(400, "Attribute required: " + std::string(name) + " on " + where());
}

bool ElementReader::invalid(std::string_view name, std::string_view value,
                            std::string_view expected) {
    return ctx_.fail(400, std::string(name) + " attribute value invalid on " + where() + ": " +
                              quote(value) + " (" + std::string(expected) + ")");
}

bool ElementReader::text(std::string_view name, std::string& out, Need need) {
    const std::string* v = take(name, need);
    if (!v) return !ctx_.error;
    out = *v;
    return true;
}

bool ElementReader::text(std::string_view name, std::optional<std::string>& out) {
    const std::string* v = take(name, Need::Optional);
    if (v) out = *v;
    return true;
}

bool ElementReader::time(std::string_view name, Milliseconds& out) {
    const std::string* v = take(name, Need::Optional);
    if (!v) return true;
    auto t = parseTimeDesignation(*v);
    if (!t) return invalid(name, *v, "expected a time designation such as 5s or 850ms");
    out = *t;
    return true;
}

bool ElementReader::time(std::string_view name, std::optional<Milliseconds>& out) {
    Milliseconds value{};
    const bool present = take(name, Need::Optional) != nullptr;
    if (!present) return true;
    if (!time(name, value)) return false;
    out = value;
    return true;
}

bool ElementReader::boolean(std::string_view name, bool& out) {
    const std::string* v = take(name, Need::Optional);
    if (!v) return true;
    auto b = parseBoolean(*v);
    if (!b) return invalid(name, *v, "expected true, false, 1 or 0");
    out = *b;
    return true;
}

bool ElementReader::percentage(std::string_view name, std::uint32_t& out) {
    const std::string* v = take(name, Need::Optional);
    if (!v) return true;
    auto p = parsePercentage(*v);
    if (!p) return invalid(name, *v, "expected a percentage such as 50%");
    out = *p;
    return true;
}

bool ElementReader::dtmfChar(std::string_view name, char& out) {
    const std::string* v = take(name, Need::Optional);
    if (!v) return true;
    auto c = parseDtmfChar(*v);
    if (!c) return invalid(name, *v, "expected one DTMF character 0-9, #, *, A-D");
    out = *c;
    return true;
}

bool ElementReader::dtmfChar(std::string_view name, std::optional<char>& out) {
    char c = 0;
    if (take(name, Need::Optional) == nullptr) return true;
    if (!dtmfChar(name, c)) return false;
    out = c;
    return true;
}

bool ElementReader::dtmfString(std::string_view name, std::string& out, Need need) {
    const std::string* v = take(name, need);
    if (!v) return !ctx_.error;
    if (!isDtmfString(*v)) return invalid(name, *v, "expected DTMF characters 0-9, #, *, A-D");
    out = *v;
    return true;
}

bool ElementReader::dtmfString(std::string_view name, std::optional<std::string>& out) {
    std::string s;
    if (take(name, Need::Optional) == nullptr) return true;
    if (!dtmfString(name, s)) return false;
    out = std::move(s);
    return true;
}

bool ElementReader::nonNegative(std::string_view name, std::uint64_t& out, Need need) {
    const std::string* v = take(name, need);
    if (!v) return !ctx_.error;
    auto n = parseNonNegativeInteger(*v);
    if (!n) return invalid(name, *v, "expected a non-negative integer");
    out = *n;
    return true;
}

bool ElementReader::nonNegative(std::string_view name, std::optional<std::uint64_t>& out) {
    std::uint64_t n = 0;
    if (take(name, Need::Optional) == nullptr) return true;
    if (!nonNegative(name, n)) return false;
    out = n;
    return true;
}

bool ElementReader::nonNegative32(std::string_view name, std::uint32_t& out, Need need) {
    const std::string* v = take(name, need);
    if (!v) return !ctx_.error;
    auto n = parseNonNegativeInteger(*v);
    if (!n) return invalid(name, *v, "expected a non-negative integer");
    if (*n > std::numeric_limits<std::uint32_t>::max()) return invalid(name, *v, "too large");
    out = static_cast<std::uint32_t>(*n);
    return true;
}

bool ElementReader::positive32(std::string_view name, std::uint32_t& out) {
    const std::string* v = take(name, Need::Optional);
    if (!v) return true;
    auto n = parseNonNegativeInteger(*v);
    if (!n || *n == 0) return invalid(name, *v, "expected a positive integer");
    if (*n > std::numeric_limits<std::uint32_t>::max()) return invalid(name, *v, "too large");
    out = static_cast<std::uint32_t>(*n);
    return true;
}

bool ElementReader::integer(std::string_view name, int& out) {
    const std::string* v = take(name, Need::Optional);
    if (!v) return true;
    auto n = parseInteger(*v);
    if (!n || *n < std::numeric_limits<int>::min() || *n > std::numeric_limits<int>::max())
        return invalid(name, *v, "expected an integer");
    out = static_cast<int>(*n);
    return true;
}

bool ElementReader::language(std::string_view name, std::optional<std::string>& out) {
    const std::string* v = take(name, Need::Optional);
    if (!v) return true;
    std::string_view s = trimXml(*v);
    if (!isLanguage(s)) return invalid(name, *v, "expected a language tag");
    out = std::string(s);
    return true;
}

bool ElementReader::dateTime(std::string_view name, std::string& out, Need need) {
    const std::string* v = take(name, need);
    if (!v) return !ctx_.error;
    std::string_view s = trimXml(*v);
    if (!isDateTime(s)) return invalid(name, *v, "expected an xsd:dateTime");
    out = std::string(s);
    return true;
}

bool ElementReader::dateTime(std::string_view name, std::optional<std::string>& out) {
    std::string s;
    if (take(name, Need::Optional) == nullptr) return true;
    if (!dateTime(name, s)) return false;
    out = std::move(s);
    return true;
}

bool ElementReader::statusCode(std::string_view name, int& out) {
    const std::string* v = take(name, Need::Required);
    if (!v) return false;
    std::string_view s = trimXml(*v);
    if (s.size() != 3 || s[0] < '1' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] < '0' ||
        s[2] > '9')
        return invalid(name, *v, "expected a three-digit status code");
    out = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
    return true;
}

bool ElementReader::xmlAttribute(std::string_view local, std::optional<std::string>& out) {
    for (std::size_t i = 0; i < e_.attributes.size(); ++i) {
        const auto& a = e_.attributes[i];
        if (a.ns == kXmlNamespace && a.local == local) {
            used_[i] = true;
            out = a.value;
        }
    }
    return true;
}

bool ElementReader::finish(Extensions& ext) {
    for (std::size_t i = 0; i < e_.attributes.size(); ++i) {
        if (used_[i]) continue;
        const auto& a = e_.attributes[i];
        if (a.ns.empty()) return ctx_.fail(400, "unknown attribute " + a.local + " on " + where());
        if (a.ns == kNamespace)
            return ctx_.fail(400, "attribute " + a.local + " on " + where() +
                                      " must not be in the msc-ivr namespace");
        if (a.ns != kXmlNamespace && ctx_.foreign == ForeignPolicy::Reject)
            return ctx_.fail(
                431, "unsupported foreign attribute {" + a.ns + "}" + a.local + " on " + where());
        ext.attributes.push_back(a);
    }
    return true;
}

bool ElementReader::finishNoAttributes() {
    if (!e_.attributes.empty())
        return ctx_.fail(
            400, where() + " takes no attributes (found " + e_.attributes.front().local + ")");
    return true;
}

bool ElementReader::foreignChild(const xml::Element& child, Extensions& ext) {
    if (child.ns.empty())
        return ctx_.fail(400, "element <" + child.local + "> in " + where() + " has no namespace");
    if (ctx_.foreign == ForeignPolicy::Reject)
        return ctx_.fail(
            431, "unsupported foreign element {" + child.ns + "}" + child.local + " in " + where());
    ext.elements.push_back(Subtree{child});
    return true;
}

bool ElementReader::unexpectedChild(const xml::Element& child) {
    return ctx_.fail(400, "unexpected element <" + child.local + "> in " + where());
}

bool ElementReader::noText() {
    if (!isBlank(e_.text)) return ctx_.fail(400, "unexpected text in " + where());
    return true;
}

bool ElementReader::noChildren() {
    if (!e_.children.empty())
        return ctx_.fail(400,
                         "unexpected element <" + e_.children.front().local + "> in " + where());
    return true;
}

}  // namespace parley::proto::ivr::detail

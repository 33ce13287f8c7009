// Value parsers and small helpers for the mixer element readers (see mixer_reader.hpp).

#include "proto/packages/mixer/mixer_reader.hpp"

#include <charconv>

#include "proto/packages/mixer/mixer_status.hpp"

namespace parley::proto::mixer::detail {

bool isXmlSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && isXmlSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && isXmlSpace(s.back())) s.remove_suffix(1);
    return s;
}

Error invalid(const xml::Element& e, std::string_view what) {
    std::string m = "<" + e.local + ">";
    if (e.line > 0) m += " line " + std::to_string(e.line);
    m += ": ";
    m += what;
    return Error(status::kSyntaxError, std::move(m));
}

Error unsupported(const xml::Element& e, std::string_view what) {
    Error err = invalid(e, what);
    err.code = status::kUnsupportedForeign;
    return err;
}

std::string quoted(std::string_view s) {
    // Values echoed into reasons are cut short so a hostile value cannot bloat a response.
    constexpr std::size_t kMax = 40;
    std::string out = "'";
    out += s.substr(0, kMax);
    if (s.size() > kMax) out += "...";
    out += "'";
    return out;
}

// xsd:nonNegativeInteger bounded to 32 bits (optional '+', digits, surrounding whitespace).
Result<std::uint32_t> toUnsigned(const xml::Element& e, std::string_view name,
                                 std::string_view raw) {
    std::string_view v = trim(raw);
    if (!v.empty() && v.front() == '+') v.remove_prefix(1);
    if (v.empty() ||
        !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return invalid(e,
                       std::string(name) + " must be a non-negative integer, not " + quoted(raw));
    }
    std::uint32_t out = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || ptr != v.data() + v.size()) {
        return invalid(e, std::string(name) + " is out of range: " + quoted(raw));
    }
    return out;
}

Result<std::uint32_t> toPositive(const xml::Element& e, std::string_view name,
                                 std::string_view raw) {
    auto n = toUnsigned(e, name, raw);
    if (!n) return n;
    if (*n == 0)
        return invalid(e, std::string(name) + " must be a positive integer, not " + quoted(raw));
    return n;
}

Result<bool> toBool(const xml::Element& e, std::string_view name, std::string_view raw) {
    std::string_view v = trim(raw);
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    return invalid(e, std::string(name) + " must be true, false, 1 or 0, not " + quoted(raw));
}

// status.datatype: exactly three digits, a positive integer.
Result<int> toStatus(const xml::Element& e, std::string_view raw) {
    std::string_view v = trim(raw);
    if (v.size() != 3 ||
        !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        v.front() == '0') {
        return invalid(e, "status must be a three-digit code, not " + quoted(raw));
    }
    return (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
}

// A signed decimal number of dB: [+-]?(digits[.digits]|.digits), at most 64 characters
// after the sign, at most a million dB either way, and short enough when written back
// (formatGainDb, what serialize() emits, must fit the same bound so it reads back).
constexpr std::size_t kMaxGainChars = 64;

Result<double> toGain(const xml::Element& e, std::string_view raw) {
    std::string_view v = trim(raw);
    bool negative = false;
    if (!v.empty() && (v.front() == '+' || v.front() == '-')) {
        negative = v.front() == '-';
        v.remove_prefix(1);
    }
    std::size_t digits = 0, dots = 0, others = 0;
    for (char c : v) {
        if (c >= '0' && c <= '9')
            ++digits;
        else if (c == '.')
            ++dots;
        else
            ++others;
    }
    if (v.size() > kMaxGainChars || digits == 0 || dots > 1 || others > 0) {
        return invalid(e, "setgain value must be a signed number of dB, not " + quoted(raw));
    }
    double out = 0.0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out, std::chars_format::fixed);
    if (ec != std::errc() || ptr != v.data() + v.size() || out > 1e6 ||
        formatGainDb(out).size() > kMaxGainChars + 1) {
        return invalid(e, "setgain value must be a signed number of dB, not " + quoted(raw));
    }
    return negative ? -out : out;
}

// xsd:language: 1*8ALPHA *("-" 1*8ALPHANUM).
bool isLanguage(std::string_view v) {
    std::size_t start = 0;
    bool first = true;
    while (true) {
        std::size_t end = v.find('-', start);
        std::string_view part =
            v.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (part.empty() || part.size() > 8) return false;
        for (char c : part) {
            bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            bool digit = c >= '0' && c <= '9';
            if (!(alpha || (!first && digit))) return false;
        }
        if (end == std::string_view::npos) return true;
        start = end + 1;
        first = false;
    }
}

// xsd:NMTOKEN, restricted to ASCII name characters plus anything non-ASCII.
bool isNmtoken(std::string_view v) {
    if (v.empty()) return false;
    return std::all_of(v.begin(), v.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == ':';
    });
}

const xml::Element* first(const std::vector<const xml::Element*>& group) {
    return group.empty() ? nullptr : group.front();
}

Result<std::string> requiredId(const xml::Element& e, std::string_view name) {
    const std::string* v = e.attr(name);
    if (!v) return invalid(e, "missing required attribute " + quoted(name));
    if (v->empty()) return invalid(e, "attribute " + quoted(name) + " is empty");
    return *v;
}

Status checkDesclang(const xml::Element& e, std::optional<std::string>& out) {
    if (const std::string* v = e.attr("desclang")) {
        std::string_view t = trim(*v);
        if (!isLanguage(t)) return invalid(e, "desclang is not a language tag: " + quoted(*v));
        out = std::string(t);
    }
    return {};
}

std::optional<std::string> optionalAttr(const xml::Element& e, std::string_view name) {
    if (const std::string* v = e.attr(name)) return *v;
    return std::nullopt;
}

}  // namespace parley::proto::mixer::detail

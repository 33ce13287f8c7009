#include "proto/cfw/parser.hpp"

#include <algorithm>
#include <array>

namespace parley::proto::cfw {

namespace {

constexpr std::string_view kPrefix = "CFW ";
constexpr std::string_view kResync = "\nCFW ";

bool isSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && (isSpace(s.back()) || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool isHeaderNameChar(char c) {
    // RFC 6230 token characters.
    return c == '!' || (c >= '#' && c <= '\'') || c == '*' || c == '+' || c == '-' ||
           c == '.' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c >= '^' && c <= '~');
}

bool isDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::uint64_t> parseNumber(std::string_view s, std::uint64_t max) {
    if (!isDigits(s) || s.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
        if (v > max) return std::nullopt;
    }
    return v;
}

// Splits "a, b,c" into tokens; nullopt when any element is not a valid token.
std::optional<std::vector<std::string>> parseList(std::string_view s) {
    std::vector<std::string> out;
    while (true) {
        auto comma = s.find(',');
        auto item = trim(s.substr(0, comma));
        if (!isValidToken(item)) return std::nullopt;
        out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

enum class Known {
    ContentLength, ContentType, ControlPackage, Status, Seq, Timeout, DialogId, Packages,
    Supported, KeepAlive, None
};

struct KnownName {
    std::string_view name;
    Known id;
};

constexpr std::array<KnownName, 10> kKnown = {{
    {"Content-Length", Known::ContentLength},
    {"Content-Type", Known::ContentType},
    {"Control-Package", Known::ControlPackage},
    {"Status", Known::Status},
    {"Seq", Known::Seq},
    {"Timeout", Known::Timeout},
    {"Dialog-ID", Known::DialogId},
    {"Packages", Known::Packages},
    {"Supported", Known::Supported},
    {"Keep-Alive", Known::KeepAlive},
}};

Known lookup(std::string_view name) {
    for (const auto& k : kKnown) {
        if (equalsIgnoreCase(k.name, name)) return k.id;
    }
    return Known::None;
}

struct BlockResult {
    ParseEvent event;
    std::uint64_t length = 0;
    bool lengthKnown = true;
};

// Collects the first error of a header block while the rest is still read (the
// Content-Length is needed to skip the body of a bad message).
struct BlockErrors {
    std::optional<ParseError> first;
    void add(ParseErrorKind kind, std::string reason) {
        if (!first) first = ParseError{kind, std::move(reason), {}, {}, 0};
    }
};

BlockResult parseHeaderBlock(std::string_view block, const Limits& limits);

}  // namespace

std::string_view parseErrorKindName(ParseErrorKind k) {
    switch (k) {
        case ParseErrorKind::NotCfw: return "not-cfw";
        case ParseErrorKind::BadStartLine: return "bad-start-line";
        case ParseErrorKind::BadTransId: return "bad-trans-id";
        case ParseErrorKind::BadHeaderLine: return "bad-header-line";
        case ParseErrorKind::BadHeaderValue: return "bad-header-value";
        case ParseErrorKind::DuplicateHeader: return "duplicate-header";
        case ParseErrorKind::MissingHeader: return "missing-header";
        case ParseErrorKind::HeaderTooLarge: return "header-too-large";
        case ParseErrorKind::BodyTooLarge: return "body-too-large";
    }
    return "unknown";
}

Parser::Parser(Limits limits) : limits_(limits) {}

void Parser::feed(std::string_view bytes) {
    // Bytes of an oversized body are dropped here, before they are ever buffered.
    if (state_ == State::DiscardBody && pos_ == buffer_.size()) {
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(discardLeft_, bytes.size()));
        bytes.remove_prefix(n);
        discardLeft_ -= n;
        if (discardLeft_ == 0) state_ = State::Start;
    }
    compact();
    buffer_.append(bytes);
}

void Parser::compact() {
    if (pos_ == 0) return;
    if (pos_ == buffer_.size()) {
        buffer_.clear();
        pos_ = 0;
    } else if (pos_ >= 4096 && pos_ * 2 >= buffer_.size()) {
        buffer_.erase(0, pos_);
        pos_ = 0;
    }
}

std::optional<ParseEvent> Parser::next() {
    while (true) {
        std::string_view avail(buffer_.data() + pos_, buffer_.size() - pos_);
        switch (state_) {
            case State::Start: {
                std::size_t skip = 0;
                while (skip < avail.size() && (avail[skip] == '\r' || avail[skip] == '\n')) ++skip;
                pos_ += skip;
                avail.remove_prefix(skip);
                if (avail.empty()) {
                    compact();
                    return std::nullopt;
                }
                auto n = std::min(avail.size(), kPrefix.size());
                if (avail.substr(0, n) != kPrefix.substr(0, n)) {
                    state_ = State::Garbage;
                    return ParseError{ParseErrorKind::NotCfw,
                                      "bytes that do not start a CFW message", {}, {}, 0};
                }
                if (n < kPrefix.size()) return std::nullopt;
                state_ = State::Headers;
                scan_ = 0;
                searched_ = 0;
                break;
            }
            case State::Headers: {
                while (true) {
                    auto nl = avail.find('\n', std::max(scan_, searched_));
                    if (nl == std::string_view::npos) {
                        searched_ = avail.size();
                        if (avail.size() > limits_.maxHeaderBytes) break;
                        return std::nullopt;
                    }
                    std::string_view line = avail.substr(scan_, nl - scan_);
                    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                    bool blank = line.empty() && scan_ > 0;
                    scan_ = nl + 1;
                    if (scan_ > limits_.maxHeaderBytes) break;
                    if (blank) {
                        std::string_view block = avail.substr(0, scan_);
                        pos_ += scan_;
                        scan_ = 0;
                        auto ev = finishBlock(block);
                        if (ev) return ev;
                        break;  // a message with a body: state_ is now Body
                    }
                }
                if (state_ != State::Headers) break;
                // Header block over the limit: report it (with the trans-id if the start line
                // is complete and valid) and resynchronise on the next "CFW " line.
                ParseError err{ParseErrorKind::HeaderTooLarge,
                               "header block exceeds " + std::to_string(limits_.maxHeaderBytes) +
                                   " bytes",
                               {}, {}, 0};
                auto nl = avail.find('\n');
                if (nl != std::string_view::npos) {
                    auto probe =
                        parseHeaderBlock(std::string(avail.substr(0, nl + 1)) + "\r\n", limits_);
                    if (auto* m = std::get_if<Message>(&probe.event)) {
                        err.transId = m->transId;
                        err.method = m->method;
                        err.status = m->status;
                    } else {
                        const auto& pe = std::get<ParseError>(probe.event);
                        err.transId = pe.transId;
                        err.method = pe.method;
                        err.status = pe.status;
                    }
                }
                state_ = State::Garbage;
                scan_ = 0;
                return err;
            }
            case State::Body: {
                if (avail.size() < bodyLength_) return std::nullopt;
                Message m = std::move(pending_);
                pending_ = Message{};
                m.body.assign(avail.substr(0, bodyLength_));
                pos_ += bodyLength_;
                state_ = State::Start;
                compact();
                return m;
            }
            case State::DiscardBody: {
                auto n = static_cast<std::size_t>(
                    std::min<std::uint64_t>(discardLeft_, avail.size()));
                pos_ += n;
                discardLeft_ -= n;
                compact();
                if (discardLeft_ > 0) return std::nullopt;
                state_ = State::Start;
                break;
            }
            case State::Garbage: {
                auto at = avail.find(kResync);
                if (at != std::string_view::npos) {
                    pos_ += at + 1;
                    state_ = State::Start;
                    break;
                }
                // Keep a tail that may be the start of "\nCFW ".
                if (avail.size() > kResync.size()) pos_ += avail.size() - (kResync.size() - 1);
                compact();
                return std::nullopt;
            }
        }
    }
}

namespace {

BlockResult parseHeaderBlock(std::string_view block, const Limits& limits) {
    BlockErrors errors;
    Message m;

    auto firstNl = block.find('\n');
    std::string_view startLine = trim(block.substr(0, firstNl));
    std::string_view rest = block.substr(firstNl + 1);

    // Start line: "CFW" SP trans-id SP (method / status-code).
    std::array<std::string_view, 4> parts{};
    std::size_t count = 0;
    {
        std::string_view s = startLine;
        while (!s.empty() && count < parts.size()) {
            while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
            if (s.empty()) break;
            std::size_t len = 0;
            while (len < s.size() && !isSpace(s[len])) ++len;
            parts[count++] = s.substr(0, len);
            s.remove_prefix(len);
        }
    }
    bool startOk = false;
    if (count != 3 || parts[0] != "CFW") {
        errors.add(ParseErrorKind::BadStartLine, "start line is not 'CFW <trans-id> <method|status>'");
    } else if (!isValidTransId(parts[1])) {
        errors.add(ParseErrorKind::BadTransId, "trans-id must be 4 to 32 characters of ALPHANUM . - + % = /");
    } else {
        m.transId = std::string(parts[1]);
        std::string_view word = parts[2];
        if (word.size() == 3 && isDigits(word) && word[0] != '0') {
            m.status = (word[0] - '0') * 100 + (word[1] - '0') * 10 + (word[2] - '0');
            startOk = true;
        } else if (isValidMethod(word)) {
            m.method = std::string(word);
            startOk = true;
        } else {
            errors.add(ParseErrorKind::BadStartLine, "'" + std::string(word.substr(0, 40)) +
                                                         "' is neither a method nor a status code");
        }
    }

    std::optional<std::uint64_t> contentLength;
    bool contentLengthBad = false;
    std::array<bool, 10> seen{};

    while (!rest.empty()) {
        auto nl = rest.find('\n');
        std::string_view raw = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
        if (raw.empty()) break;  // the blank line that ends the block
        auto colon = raw.find(':');
        std::string_view name = colon == std::string_view::npos ? std::string_view{}
                                                                 : trim(raw.substr(0, colon));
        if (colon == std::string_view::npos || name.empty() || isSpace(raw.front()) ||
            !std::all_of(name.begin(), name.end(), isHeaderNameChar)) {
            errors.add(ParseErrorKind::BadHeaderLine,
                       "malformed header line '" + std::string(raw.substr(0, 40)) + "'");
            continue;
        }
        std::string_view value = trim(raw.substr(colon + 1));
        Known id = lookup(name);
        if (id == Known::None) {
            m.extensions.push_back({std::string(name), std::string(value)});
            continue;
        }
        auto idx = static_cast<std::size_t>(id);
        if (seen[idx]) {
            errors.add(ParseErrorKind::DuplicateHeader, "header " + std::string(name) + " repeated");
            if (id == Known::ContentLength) contentLengthBad = true;
            continue;
        }
        seen[idx] = true;
        auto bad = [&](const char* what) {
            errors.add(ParseErrorKind::BadHeaderValue,
                       std::string(kKnown[idx].name) + ": " + what);
        };
        switch (id) {
            case Known::ContentLength:
                contentLength = parseNumber(value, 999'999'999'999'999'999ULL);
                if (!contentLength) {
                    contentLengthBad = true;
                    bad("not a decimal number");
                }
                break;
            case Known::ContentType:
                if (value.empty() || value.find('/') == std::string_view::npos) bad("not a media type");
                m.contentType = std::string(value);
                break;
            case Known::ControlPackage:
                if (!isValidToken(value)) bad("not a package name");
                m.controlPackage = std::string(value);
                break;
            case Known::Status:
                m.reportStatus = reportStatusFromName(value);
                if (!m.reportStatus) bad("must be 'update' or 'terminate'");
                break;
            case Known::Seq:
            case Known::Timeout:
            case Known::KeepAlive: {
                auto v = parseNumber(value, 0xFFFFFFFFULL);
                if (!v) {
                    bad("not a 32-bit decimal number");
                    break;
                }
                auto u = static_cast<std::uint32_t>(*v);
                (id == Known::Seq ? m.seq : id == Known::Timeout ? m.timeout : m.keepAlive) = u;
                break;
            }
            case Known::DialogId:
                if (!isValidToken(value)) bad("not a token");
                m.dialogId = std::string(value);
                break;
            case Known::Packages:
            case Known::Supported: {
                auto list = parseList(value);
                if (!list) bad("not a comma-separated list of package names");
                (id == Known::Packages ? m.packages : m.supported) = list.value_or(std::vector<std::string>{});
                break;
            }
            case Known::None:
                break;
        }
    }

    std::uint64_t length = contentLength.value_or(0);
    bool tooLarge = !contentLengthBad && length > limits.maxBodyBytes;
    if (tooLarge) {
        errors.first.reset();
        errors.add(ParseErrorKind::BodyTooLarge, "Content-Length " + std::to_string(length) +
                                                     " exceeds the limit of " +
                                                     std::to_string(limits.maxBodyBytes));
    }

    if (!errors.first && startOk) {
        auto require = [&](bool present, const char* header) {
            if (!present) {
                errors.add(ParseErrorKind::MissingHeader,
                           std::string("missing mandatory header ") + header);
            }
        };
        if (m.isRequest()) {
            switch (m.methodKind()) {
                case Method::Control: require(m.controlPackage.has_value(), "Control-Package"); break;
                case Method::Report:
                    require(m.seq.has_value(), "Seq");
                    require(m.reportStatus.has_value(), "Status");
                    require(m.timeout.has_value(), "Timeout");
                    break;
                case Method::Sync:
                    require(m.dialogId.has_value(), "Dialog-ID");
                    require(m.packages.has_value(), "Packages");
                    break;
                case Method::KAlive:
                case Method::Other: break;
            }
        } else if (m.status == 202) {
            require(m.timeout.has_value(), "Timeout");
        }
        if (length > 0) require(m.contentType.has_value(), "Content-Type");
    }

    BlockResult r;
    r.length = length;
    r.lengthKnown = !contentLengthBad;
    if (errors.first) {
        ParseError err = std::move(*errors.first);
        err.transId = m.transId;
        err.method = m.method;
        err.status = m.status;
        r.event = std::move(err);
    } else {
        r.event = std::move(m);
    }
    return r;
}

}  // namespace

std::optional<ParseEvent> Parser::finishBlock(std::string_view block) {
    BlockResult r = parseHeaderBlock(block, limits_);
    if (auto* err = std::get_if<ParseError>(&r.event)) {
        if (!r.lengthKnown) {
            state_ = State::Garbage;  // the body's extent is unknown
        } else if (r.length > 0) {
            state_ = State::DiscardBody;
            discardLeft_ = r.length;
        } else {
            state_ = State::Start;
        }
        return std::move(*err);
    }
    if (r.length == 0) {
        state_ = State::Start;
        return std::move(r.event);
    }
    pending_ = std::move(std::get<Message>(r.event));
    bodyLength_ = static_cast<std::size_t>(r.length);
    state_ = State::Body;
    return std::nullopt;
}

}  // namespace parley::proto::cfw

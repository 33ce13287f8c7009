#include "proto/sdp/wire.hpp"

#include "proto/sdp/ascii.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <set>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

namespace parley::proto::sdp {

namespace {

using detail::equalsIgnoreCase;

using common::Error;
using common::Result;

// ---------------------------------------------------------------------------------------
// RAII over sofia-sip handles.

template <auto Fn>
struct CDeleter {
    template <typename T>
    void operator()(T* p) const noexcept {
        Fn(p);
    }
};

using HomePtr = std::unique_ptr<su_home_t, CDeleter<&su_home_unref>>;
using ParserPtr = std::unique_ptr<sdp_parser_t, CDeleter<&sdp_parser_free>>;
using PrinterPtr = std::unique_ptr<sdp_printer_t, CDeleter<&sdp_printer_free>>;

HomePtr newHome() { return HomePtr(static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)))); }

constexpr int kParseFlags = sdp_f_mode_manual;
constexpr int kPrintFlags = sdp_f_mode_manual;

// ---------------------------------------------------------------------------------------
// Small text helpers.

constexpr std::string_view kBlank = " \t";
// sofia-sip's token characters (RFC 4566 token-char).
constexpr std::string_view kTokenPunct = "-!#$%&'*+.^_`{|}~";

std::string_view trimmed(std::string_view s) {
    auto b = s.find_first_not_of(kBlank);
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(kBlank);
    return s.substr(b, e - b + 1);
}

std::string_view trimmedLeft(std::string_view s) {
    auto b = s.find_first_not_of(kBlank);
    return b == std::string_view::npos ? std::string_view{} : s.substr(b);
}


bool isTokenChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kTokenPunct.find(c) != std::string_view::npos;
}

template <typename T>
std::optional<T> parseUnsigned(std::string_view s, std::size_t maxDigits) {
    if (s.empty() || s.size() > maxDigits) return std::nullopt;
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string fromC(const char* s) { return s ? std::string(s) : std::string(); }

// ---------------------------------------------------------------------------------------
// Guards for faults of the installed sofia-sip (1.12.11, 2011 snapshot), some fixed
// upstream since (freeswitch/sofia-sip a953f25 and c07f05a, 2022):
// - parse_media() loops forever, allocating, when the format list of a non-RTP m= line
//   reaches a character outside the token set ("m=application 9 TCP (x"), or when the
//   proto is followed by nothing but blanks that include a tab ("TCP \t");
// - a one-character last line makes the parser read past the end of its buffer.

// The copy handed to sofia-sip: m= lines lose their trailing blanks and the body ends
// with a line break. nullopt when an m= line holds anything but token characters, blanks
// and '/' right after a token character (all RFC 4566 allows there).
std::optional<std::string> defusedCopy(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find_first_of("\r\n", pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        std::string_view content = trimmedLeft(line);
        if (content.size() >= 2 && content[0] == 'm' && content[1] == '=') {
            char previous = ' ';
            for (char c : content.substr(2)) {
                const bool ok = isTokenChar(c) || c == ' ' || c == '\t' ||
                                (c == '/' && isTokenChar(previous));
                if (!ok) return std::nullopt;
                previous = c;
            }
            const auto last = line.find_last_not_of(kBlank);
            line = line.substr(0, last == std::string_view::npos ? 0 : last + 1);
        }
        out.append(line);
        const std::size_t next = text.find_first_not_of("\r\n", end);
        const std::size_t stop = next == std::string_view::npos ? text.size() : next;
        out.append(text.substr(end, stop - end));
        pos = stop;
    }
    if (out.empty() || (out.back() != '\n' && out.back() != '\r')) out += "\r\n";
    return out;
}

// ---------------------------------------------------------------------------------------
// sofia -> model

// sofia-sip accepts a c= line whose address is empty ("c=IN IP4 /0"); print() cannot write
// an empty address (it becomes "-"), so such a line is refused rather than changed on the
// way back (found by fuzz_sdp).
Result<Connection> toConnection(const sdp_connection_t& c) {
    if (!c.c_address || !*c.c_address) return Error(kBadSdp, "bad SDP: c= line without address");
    Connection out;
    out.addrType = c.c_addrtype == sdp_addr_ip6 ? AddrType::IP6 : AddrType::IP4;
    out.address = fromC(c.c_address);
    const bool multicast = (c.c_mcast || c.c_ttl) && c.c_ttl > 0;
    out.ttl = multicast ? c.c_ttl : 0;
    out.groups = multicast && c.c_groups > 1 ? c.c_groups : 1;
    return out;
}

std::optional<Crypto> parseCrypto(std::string_view value) {
    // <tag> SP <suite> SP <key-params> [SP <session-params>]
    std::string_view rest = trimmed(value);
    auto word = [&rest]() {
        auto end = rest.find_first_of(kBlank);
        std::string_view w = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : trimmedLeft(rest.substr(end));
        return w;
    };
    auto tag = parseUnsigned<unsigned>(word(), 9);
    std::string_view suite = word();
    std::string_view key = word();
    if (!tag || suite.empty() || key.empty()) return std::nullopt;
    return Crypto{*tag, std::string(suite), std::string(key), std::string(rest)};
}

struct Inherited {
    Direction direction = Direction::SendRecv;
    std::optional<Setup> setup;
    std::optional<ConnectionMode> connectionMode;
};

Result<Media> toMedia(const sdp_media_t& m, const Inherited& session) {
    Media out;
    out.type = fromC(m.m_type_name);
    if (m.m_port > 65535) return Error(kBadSdp, "bad SDP: m= port out of range");
    out.port = static_cast<std::uint16_t>(m.m_port);
    if (m.m_number_of_ports > 65535) return Error(kBadSdp, "bad SDP: m= port count out of range");
    out.portCount = m.m_number_of_ports > 1 ? static_cast<unsigned>(m.m_number_of_ports) : 1;
    out.proto = fromC(m.m_proto_name);
    // "m=audio 7/6/3 ..." leaves sofia-sip with the proto "/3".
    if (out.proto.empty() || out.proto.front() == '/') return Error(kBadSdp, "bad SDP: m= proto");

    if (m.m_rtpmaps) {
        // sofia-sip already matched a=rtpmap and a=fmtp to the payload types of this line
        // and filled in the static ones (rm_predef) from its well-known table.
        for (const sdp_rtpmap_t* rm = m.m_rtpmaps; rm; rm = rm->rm_next) {
            const unsigned pt = rm->rm_pt;
            out.formats.push_back(std::to_string(pt));
            // A garbled a=rtpmap for a static payload type can leave sofia-sip with an
            // empty encoding; the static definition then stands, as it would without the
            // line, so that print() and parse() agree (found by fuzz_sdp).
            const sdp_rtpmap_t* def = rm;
            if ((!rm->rm_encoding || !*rm->rm_encoding) && pt < 128 && sdp_rtpmap_well_known[pt])
                def = sdp_rtpmap_well_known[pt];
            if (def->rm_encoding && *def->rm_encoding && !out.rtpmap(pt)) {
                if (def->rm_rate > std::numeric_limits<std::uint32_t>::max())
                    return Error(kBadSdp, "bad SDP: a=rtpmap clock rate out of range");
                RtpMap map;
                map.pt = pt;
                map.encoding = def->rm_encoding;
                map.clockRate = static_cast<std::uint32_t>(def->rm_rate);
                if (def->rm_params) {
                    auto ch = parseUnsigned<unsigned>(trimmed(def->rm_params), 4);
                    if (ch && *ch > 0) map.channels = *ch;
                }
                out.rtpmaps.push_back(std::move(map));
            }
            if (rm->rm_fmtp) out.fmtp.emplace(pt, std::string(trimmedLeft(rm->rm_fmtp)));
        }
    } else {
        for (const sdp_list_t* l = m.m_format; l; l = l->l_next) {
            if (l->l_text) out.formats.emplace_back(l->l_text);
        }
    }
    if (out.formats.empty()) return Error(kBadSdp, "bad SDP: m= line without formats");

    if (m.m_connections) {
        auto c = toConnection(*m.m_connections);
        if (!c) return c.error();
        out.connection = std::move(c.value());
    }

    std::optional<Direction> direction;
    for (const sdp_attribute_t* a = m.m_attributes; a; a = a->a_next) {
        const std::string_view name = a->a_name ? a->a_name : "";
        const std::string_view value = a->a_value ? a->a_value : "";
        const std::string_view v = trimmed(value);
        if (auto d = parseDirection(name)) {
            if (!direction) direction = d;
            continue;
        }
        bool taken = false;
        if (equalsIgnoreCase(name, "ptime")) {
            auto ms = parseUnsigned<unsigned>(v, 9);
            taken = ms.has_value();
            if (ms && !out.ptime) out.ptime = ms;
        } else if (equalsIgnoreCase(name, "label")) {
            taken = !v.empty();
            if (taken && !out.label) out.label = std::string(v);
        } else if (equalsIgnoreCase(name, "setup")) {
            auto s = parseSetup(v);
            taken = s.has_value();
            if (s && !out.setup) out.setup = s;
        } else if (equalsIgnoreCase(name, "connection")) {
            auto c = parseConnectionMode(v);
            taken = c.has_value();
            if (c && !out.connectionMode) out.connectionMode = c;
        } else if (equalsIgnoreCase(name, "cfw-id")) {
            taken = !v.empty();
            if (taken && !out.cfwId) out.cfwId = std::string(v);
        } else if (equalsIgnoreCase(name, "crypto")) {
            auto c = parseCrypto(value);
            taken = c.has_value();
            if (c) out.crypto.push_back(std::move(*c));
        }
        if (!taken) out.attributes.push_back(Attribute{std::string(name), std::string(value)});
    }
    out.direction = direction.value_or(session.direction);
    if (!out.setup) out.setup = session.setup;
    if (!out.connectionMode) out.connectionMode = session.connectionMode;
    return out;
}

Result<Session> toSession(const sdp_session_t& s) {
    Session out;
    if (!s.sdp_origin || !s.sdp_origin->o_address) return Error(kBadSdp, "bad SDP: no o= line");
    if (!s.sdp_origin->o_address->c_address || !*s.sdp_origin->o_address->c_address)
        return Error(kBadSdp, "bad SDP: o= line without address");
    if (!s.sdp_subject) return Error(kBadSdp, "bad SDP: no s= line");
    if (!s.sdp_time) return Error(kBadSdp, "bad SDP: no t= line");

    const sdp_origin_t& o = *s.sdp_origin;
    out.origin.username = fromC(o.o_username);
    out.origin.sessionId = o.o_id;
    out.origin.version = o.o_version;
    out.origin.addrType = o.o_address->c_addrtype == sdp_addr_ip6 ? AddrType::IP6 : AddrType::IP4;
    out.origin.address = fromC(o.o_address->c_address);
    out.name = std::string(trimmedLeft(s.sdp_subject));
    if (s.sdp_connection) {
        auto c = toConnection(*s.sdp_connection);
        if (!c) return c.error();
        out.connection = std::move(c.value());
    }
    out.startTime = s.sdp_time->t_start;
    out.stopTime = s.sdp_time->t_stop;

    Inherited inherited;
    bool haveDirection = false;
    for (const sdp_attribute_t* a = s.sdp_attributes; a; a = a->a_next) {
        const std::string_view name = a->a_name ? a->a_name : "";
        const std::string_view value = a->a_value ? a->a_value : "";
        if (auto d = parseDirection(name)) {
            if (!haveDirection) inherited.direction = *d;
            haveDirection = true;
            continue;
        }
        if (equalsIgnoreCase(name, "setup") && !inherited.setup) {
            inherited.setup = parseSetup(trimmed(value));
        } else if (equalsIgnoreCase(name, "connection") && !inherited.connectionMode) {
            inherited.connectionMode = parseConnectionMode(trimmed(value));
        }
        out.attributes.push_back(Attribute{std::string(name), std::string(value)});
    }
    out.direction = inherited.direction;

    for (const sdp_media_t* m = s.sdp_media; m; m = m->m_next) {
        auto media = toMedia(*m, inherited);
        if (!media) return media.error();
        out.media.push_back(std::move(media.value()));
    }
    return out;
}

// ---------------------------------------------------------------------------------------
// model -> sofia, allocated in one su_home that the printer reads from.

class Builder {
public:
    explicit Builder(su_home_t* home) : home_(home) {}

    template <typename T>
    T* alloc() {
        // su_salloc zero-fills and stores the size in the struct's first int member.
        auto* p = static_cast<T*>(su_salloc(home_, sizeof(T)));
        if (!p) throw std::bad_alloc();
        return p;
    }

    const char* dup(const std::string& s) {
        char* p = su_strdup(home_, s.c_str());
        if (!p) throw std::bad_alloc();
        return p;
    }

    sdp_connection_t* connection(const Connection& c) {
        auto* out = alloc<sdp_connection_t>();
        out->c_nettype = sdp_net_in;
        out->c_addrtype = c.addrType == AddrType::IP6 ? sdp_addr_ip6 : sdp_addr_ip4;
        out->c_address = dup(address(c.address));
        const unsigned ttl = c.ttl > 255 ? 255 : c.ttl;
        out->c_ttl = ttl;
        out->c_mcast = ttl > 0;
        out->c_groups = ttl > 0 && c.groups > 1 ? c.groups : 1;
        return out;
    }

    // Appends a=<name>[:<value>] at *tail and advances tail.
    void attribute(sdp_attribute_t**& tail, const std::string& name, const std::string& value) {
        auto* a = alloc<sdp_attribute_t>();
        a->a_name = dup(token(name));
        std::string v = text(value);
        // sofia-sip skips blanks and every ':' after the name, then keeps the rest verbatim,
        // so a value starting with ':' goes out behind a blank. parse() keeps such values
        // only for the trimmed named attributes ("a=cfw-id: :x" is cfw-id ":x"), which drop
        // the blank again (found by fuzz_sdp).
        if (!v.empty() && v.front() == ':') v.insert(v.begin(), ' ');
        a->a_value = v.empty() ? nullptr : dup(v);
        *tail = a;
        tail = &a->a_next;
    }

    // Keeps token characters (plus `extra`); "-" when nothing is left.
    static std::string token(std::string_view s, std::string_view extra = {}) {
        std::string out;
        for (char c : s) {
            if (isTokenChar(c) || extra.find(c) != std::string_view::npos) out.push_back(c);
        }
        return out.empty() ? std::string("-") : out;
    }

    // Free text on one line: no CR, LF or NUL.
    static std::string text(std::string_view s) {
        std::string out;
        for (char c : s) {
            if (c != '\r' && c != '\n' && c != '\0') out.push_back(c);
        }
        return out;
    }

    // A single word: no blanks, line ends, NUL; no '/' in addresses (it starts a TTL).
    static std::string word(std::string_view s, bool allowSlash) {
        std::string out;
        for (char c : s) {
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0') continue;
            if (c == '/' && !allowSlash) continue;
            out.push_back(c);
        }
        return out.empty() ? std::string("-") : out;
    }

    static std::string address(std::string_view s) { return word(s, false); }

    // Token characters and '/' right after one ("RTP/AVP"), as parse() requires.
    static std::string proto(std::string_view s) {
        std::string out;
        for (char c : s) {
            if (isTokenChar(c) || (c == '/' && !out.empty() && isTokenChar(out.back()))) out.push_back(c);
        }
        return out.empty() ? std::string("-") : out;
    }

private:
    su_home_t* home_;
};

std::string rtpmapValue(const RtpMap& r) {
    std::string v = std::to_string(r.pt) + " " + Builder::token(r.encoding) + "/" +
                    std::to_string(r.clockRate);
    if (r.channels != 1) v += "/" + std::to_string(r.channels);
    return v;
}

std::string cryptoValue(const Crypto& c) {
    std::string v = std::to_string(c.tag) + " " + Builder::word(c.suite, true) + " " +
                    Builder::word(c.keyParams, true);
    std::string sp(trimmed(Builder::text(c.sessionParams)));
    if (!sp.empty()) v += " " + sp;
    return v;
}

sdp_media_t* buildMedia(Builder& b, sdp_session_t* owner, const Session& s, const Media& m) {
    auto* out = b.alloc<sdp_media_t>();
    out->m_session = owner;
    // sdp_media_x / sdp_proto_x make the printer use our names verbatim (it would print
    // sdp_proto_tcp as "tcp").
    out->m_type = sdp_media_x;
    out->m_type_name = b.dup(Builder::token(m.type));
    out->m_port = m.port;
    out->m_number_of_ports = m.portCount > 1 ? m.portCount : 0;
    out->m_proto = sdp_proto_x;
    out->m_proto_name = b.dup(Builder::proto(m.proto));

    sdp_list_t** fmtTail = &out->m_format;
    for (const auto& f : m.formats) {
        auto* l = b.alloc<sdp_list_t>();
        l->l_text = b.dup(Builder::token(f));
        *fmtTail = l;
        fmtTail = &l->l_next;
    }
    if (m.connection) out->m_connections = b.connection(*m.connection);

    sdp_attribute_t** tail = &out->m_attributes;
    std::set<unsigned> done;
    for (const auto& f : m.formats) {
        auto pt = parseUnsigned<unsigned>(f, 3);
        if (!pt || !done.insert(*pt).second) continue;
        if (const RtpMap* r = m.rtpmap(*pt)) b.attribute(tail, "rtpmap", rtpmapValue(*r));
        if (auto p = m.fmtpFor(*pt)) {
            std::string params(trimmedLeft(Builder::text(*p)));
            b.attribute(tail, "fmtp", params.empty() ? std::to_string(*pt) : std::to_string(*pt) + " " + params);
        }
    }
    if (m.ptime) b.attribute(tail, "ptime", std::to_string(*m.ptime));
    for (const auto& c : m.crypto) b.attribute(tail, "crypto", cryptoValue(c));
    if (m.connectionMode) b.attribute(tail, "connection", std::string(toString(*m.connectionMode)));
    if (m.setup) b.attribute(tail, "setup", std::string(toString(*m.setup)));
    if (m.cfwId) {
        std::string v(trimmed(Builder::text(*m.cfwId)));
        if (!v.empty()) b.attribute(tail, "cfw-id", v);
    }
    if (m.label) {
        std::string v(trimmed(Builder::text(*m.label)));
        if (!v.empty()) b.attribute(tail, "label", v);
    }
    if (m.direction != s.direction) b.attribute(tail, std::string(toString(m.direction)), "");
    for (const auto& a : m.attributes) b.attribute(tail, a.name, a.value);
    return out;
}

}  // namespace

common::Result<Session> parse(std::string_view text) {
    if (text.empty()) return Error(kBadSdp, "bad SDP: empty body");
    if (text.size() > kMaxSdpBytes) return Error(kBadSdp, "bad SDP: body too large");
    if (text.find('\0') != std::string_view::npos) return Error(kBadSdp, "bad SDP: NUL byte in body");

    std::optional<std::string> body = defusedCopy(text);  // see the guards above
    if (!body) return Error(kBadSdp, "bad SDP: invalid character in m= line");

    HomePtr home = newHome();
    if (!home) return Error(500, "out of memory parsing SDP");
    // The parser is a clone of `home`, so it is released first (reverse declaration order).
    ParserPtr parser(sdp_parse(home.get(), body->data(), static_cast<issize_t>(body->size()), kParseFlags));
    const sdp_session_t* session = sdp_session(parser.get());
    if (!session) {
        const char* why = parser ? sdp_parsing_error(parser.get()) : nullptr;
        return Error(kBadSdp, std::string("bad SDP: ") + (why ? why : "unparseable"));
    }
    return toSession(*session);
}

std::string print(const Session& s) {
    HomePtr home = newHome();
    if (!home) throw std::bad_alloc();
    Builder b(home.get());

    auto* sdp = b.alloc<sdp_session_t>();
    sdp->sdp_version[0] = 0;

    auto* origin = b.alloc<sdp_origin_t>();
    origin->o_username = b.dup(Builder::word(s.origin.username, true));
    origin->o_id = s.origin.sessionId;
    origin->o_version = s.origin.version;
    origin->o_address = b.connection(Connection{s.origin.addrType, s.origin.address, 0, 1});
    sdp->sdp_origin = origin;

    sdp->sdp_subject = b.dup(std::string(trimmedLeft(Builder::text(s.name))));
    if (s.connection) sdp->sdp_connection = b.connection(*s.connection);

    auto* time = b.alloc<sdp_time_t>();
    time->t_start = static_cast<unsigned long>(s.startTime);
    time->t_stop = static_cast<unsigned long>(s.stopTime);
    sdp->sdp_time = time;

    sdp_attribute_t** tail = &sdp->sdp_attributes;
    for (const auto& a : s.attributes) b.attribute(tail, a.name, a.value);
    if (s.direction != Direction::SendRecv) b.attribute(tail, std::string(toString(s.direction)), "");

    sdp_media_t** mediaTail = &sdp->sdp_media;
    for (const auto& m : s.media) {
        sdp_media_t* built = buildMedia(b, sdp, s, m);
        *mediaTail = built;
        mediaTail = &built->m_next;
    }

    // The printer lives in `home`, so it is released before it (reverse declaration order).
    PrinterPtr printer(sdp_print(home.get(), sdp, nullptr, 0, kPrintFlags));
    const char* message = sdp_message(printer.get());
    if (!message) {
        // Everything above is sanitized, so only memory exhaustion can get here.
        throw std::bad_alloc();
    }
    return std::string(message, static_cast<std::size_t>(sdp_message_size(printer.get())));
}

}  // namespace parley::proto::sdp

#include "tests/e2e/as_focus/raw_sip.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <random>
#include <stdexcept>

namespace parley::test::focus {

namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string trim(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
    return std::string(s.substr(b, e - b));
}

// Long form of a compact header name (RFC 3261 7.3.3 and the event/refer extensions).
std::string longName(const std::string& lowerName) {
    static const std::pair<const char*, const char*> kCompact[] = {
        {"i", "call-id"}, {"f", "from"},        {"t", "to"},           {"v", "via"},
        {"m", "contact"}, {"c", "content-type"}, {"l", "content-length"}, {"e", "content-encoding"},
        {"k", "supported"}, {"o", "event"},     {"r", "refer-to"},     {"s", "subject"},
        {"x", "session-expires"}, {"u", "allow-events"}, {"b", "referred-by"}};
    for (const auto& [s, l] : kCompact)
        if (lowerName == s) return l;
    return lowerName;
}

std::string tagOf(const std::string& value) {
    auto lv = lower(value);
    auto at = lv.find(";tag=");
    if (at == std::string::npos) return {};
    auto start = at + 5;
    auto end = value.find_first_of(";>, \r\n", start);
    return value.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string randomToken(std::uint64_t counter) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::to_string(rng() % 100000000) + "x" + std::to_string(counter);
}

}  // namespace

std::string SipText::header(std::string_view name) const {
    const std::string want = longName(lower(name));
    for (const auto& [n, v] : headers)
        if (longName(lower(n)) == want) return v;
    return {};
}

std::string SipText::cseqMethod() const {
    std::string v = header("CSeq");
    auto sp = v.find(' ');
    return sp == std::string::npos ? std::string() : trim(v.substr(sp + 1));
}

std::string SipText::toTag() const { return tagOf(header("To")); }

std::optional<SipText> parseSipText(std::string_view text) {
    SipText m;
    m.raw = std::string(text);
    auto lineEnd = text.find('\n');
    if (lineEnd == std::string_view::npos) return std::nullopt;
    std::string start = trim(text.substr(0, lineEnd));
    if (start.rfind("SIP/2.0 ", 0) == 0) {
        m.isResponse = true;
        if (start.size() < 11) return std::nullopt;
        try {
            m.status = std::stoi(start.substr(8, 3));
        } catch (const std::exception&) {
            return std::nullopt;
        }
        m.reason = start.size() > 12 ? start.substr(12) : std::string();
    } else {
        auto sp1 = start.find(' ');
        auto sp2 = start.rfind(' ');
        if (sp1 == std::string::npos || sp2 == sp1 || start.substr(sp2 + 1) != "SIP/2.0")
            return std::nullopt;
        m.method = start.substr(0, sp1);
        m.requestUri = start.substr(sp1 + 1, sp2 - sp1 - 1);
    }
    std::size_t at = lineEnd + 1;
    while (at < text.size()) {
        auto e = text.find('\n', at);
        if (e == std::string_view::npos) e = text.size();
        std::string line = trim(text.substr(at, e - at));
        at = e + 1;
        if (line.empty()) break;
        if ((line[0] == ' ' || line[0] == '\t') && !m.headers.empty()) {
            m.headers.back().second += " " + trim(line);
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        m.headers.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
    }
    std::string rest = at < text.size() ? std::string(text.substr(at)) : std::string();
    std::string cl = m.header("Content-Length");
    if (!cl.empty()) {
        try {
            std::size_t n = std::stoul(cl);
            if (n < rest.size()) rest.resize(n);
        } catch (const std::exception&) {
        }
    }
    m.body = std::move(rest);
    return m;
}

RawSipClient::RawSipClient() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("raw SIP client: no socket");
    int size = 4 * 1024 * 1024;
    (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd_);
        throw std::runtime_error("raw SIP client: bind failed");
    }
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
}

RawSipClient::~RawSipClient() {
    if (fd_ >= 0) ::close(fd_);
}

std::string RawSipClient::contact() const {
    return "<sip:raw@127.0.0.1:" + std::to_string(port_) + ">";
}

RawSipClient::Request RawSipClient::request(const std::string& method, const std::string& requestUri,
                                            const std::vector<std::string>& extraHeaders,
                                            const std::string& body, const std::string& contentType,
                                            std::uint32_t cseq, std::string callId,
                                            std::string fromTag, const std::string& toTag) {
    Request r;
    ++counter_;
    r.callId = callId.empty() ? "raw" + randomToken(counter_) + "@127.0.0.1" : std::move(callId);
    r.fromTag = fromTag.empty() ? "rt" + randomToken(counter_) : std::move(fromTag);
    r.branch = "z9hG4bK" + randomToken(counter_);
    std::string t = method + " " + requestUri + " SIP/2.0\r\n";
    t += "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(port_) + ";rport;branch=" + r.branch + "\r\n";
    t += "Max-Forwards: 70\r\n";
    t += "From: <sip:raw@127.0.0.1:" + std::to_string(port_) + ">;tag=" + r.fromTag + "\r\n";
    t += "To: <" + requestUri + ">" + (toTag.empty() ? "" : ";tag=" + toTag) + "\r\n";
    t += "Call-ID: " + r.callId + "\r\n";
    t += "CSeq: " + std::to_string(cseq) + " " + method + "\r\n";
    t += "Contact: " + contact() + "\r\n";
    for (const auto& h : extraHeaders) t += h + "\r\n";
    if (!body.empty()) t += "Content-Type: " + contentType + "\r\n";
    t += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    r.text = std::move(t);
    return r;
}

bool RawSipClient::send(std::uint16_t port, std::string_view bytes) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
           static_cast<ssize_t>(bytes.size());
}

bool RawSipClient::readOne(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    const int ms = static_cast<int>(std::max<std::int64_t>(0, timeout.count()));
    if (::poll(&p, 1, ms) <= 0) return false;
    std::string buf(65536, '\0');
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n <= 0) return true;
    buf.resize(static_cast<std::size_t>(n));
    ++received_;
    auto m = parseSipText(buf);
    if (!m) return true;
    if (!m->isResponse) answer(*m, ntohs(from.sin_port));
    queue_.push_back(std::move(*m));
    return true;
}

void RawSipClient::answer(const SipText& req, std::uint16_t toPort) {
    if (req.method == "ACK") return;
    const int status = req.method == "INVITE" ? 481 : 200;
    std::string t = "SIP/2.0 " + std::to_string(status) +
                    (status == 200 ? " OK" : " Call/Transaction Does Not Exist") + "\r\n";
    for (const auto& [n, v] : req.headers) {
        const std::string ln = longName(lower(n));
        if (ln == "via" || ln == "from" || ln == "call-id" || ln == "cseq" || ln == "record-route")
            t += n + ": " + v + "\r\n";
        else if (ln == "to")
            t += n + ": " + v + (tagOf(v).empty() ? ";tag=rawto" + std::to_string(port_) : "") + "\r\n";
    }
    t += "Contact: " + contact() + "\r\nContent-Length: 0\r\n\r\n";
    (void)send(toPort, t);
}

std::optional<SipText> RawSipClient::waitResponse(const std::string& callId, const std::string& method,
                                                  std::chrono::milliseconds timeout, int minStatus) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        for (auto it = queue_.begin(); it != queue_.end(); ++it) {
            if (it->isResponse && it->status >= minStatus && it->header("Call-ID") == callId &&
                it->cseqMethod() == method) {
                SipText m = std::move(*it);
                queue_.erase(it);
                return m;
            }
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return std::nullopt;
        (void)readOne(left);
    }
}

std::optional<SipText> RawSipClient::waitRequest(const std::string& method,
                                                 std::chrono::milliseconds timeout,
                                                 const std::function<bool(const SipText&)>& pred) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        for (auto it = queue_.begin(); it != queue_.end(); ++it) {
            if (!it->isResponse && it->method == method && (!pred || pred(*it))) {
                SipText m = std::move(*it);
                queue_.erase(it);
                return m;
            }
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return std::nullopt;
        (void)readOne(left);
    }
}

void RawSipClient::pump(std::chrono::milliseconds duration) {
    const auto deadline = Clock::now() + duration;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return;
        (void)readOne(left);
    }
}

std::string tcpExchange(std::uint16_t port, std::string_view bytes, std::chrono::milliseconds readFor) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    std::string got;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        std::size_t sent = 0;
        const auto deadline = Clock::now() + readFor + std::chrono::seconds(10);
        while (sent < bytes.size() && Clock::now() < deadline) {
            pollfd p{fd, POLLOUT | POLLIN, 0};
            if (::poll(&p, 1, 200) <= 0) continue;
            if (p.revents & (POLLERR | POLLHUP)) break;
            if (p.revents & POLLIN) {
                char buf[4096];
                ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n > 0) got.append(buf, static_cast<std::size_t>(n));
                if (n == 0) break;
            }
            if (p.revents & POLLOUT) {
                ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;
                if (n > 0) sent += static_cast<std::size_t>(n);
            }
        }
        const auto end = Clock::now() + readFor;
        while (Clock::now() < end) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char buf[4096];
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            got.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return got;
}

}  // namespace parley::test::focus
